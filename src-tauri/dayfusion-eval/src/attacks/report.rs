//! The attack evaluation's report: a row per species and material, each
//! check's score distribution, every session, and what the data cannot
//! show; written as JSON, Markdown and a plot.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dayfusion_liveness::checks::PASS_SCORE;
use serde::Serialize;

use super::scene::Physics;
use super::source::{Material, Source};
use super::species::Species;
use super::{POLICY_PASS, REVIEW_BAND, SessionOutcome};
use crate::EvalError;
use crate::stats::{Summary, percent, wilson95};
use dayfusion_liveness::{CheckKind, LivenessStatus};

/// Error rate of one species on one kind of material.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateRow {
    /// Species id.
    pub species: String,
    /// ISO/IEC 30107 or CEN/TS 18099 category.
    pub category: &'static str,
    /// Clip or still.
    pub material: Material,
    /// Presentations (sessions).
    pub presentations: usize,
    /// Distinct people / recordings behind them.
    pub sources: usize,
    /// Sessions that did not complete (no face, challenge not finished,
    /// expired): rejected by the kiosk, counted in the errors of bona fide
    /// and among the rejected attacks, and shown apart here.
    pub not_completed: usize,
    /// Errors: attacks accepted (APCER) or bona fide rejected (BPCER).
    pub errors: usize,
    /// The rate, percent.
    pub rate: f64,
    /// Its 95% Wilson interval over the sessions (as if independent),
    /// percent.
    pub ci95: (f64, f64),
    /// Sources where most sessions erred: the honest sample size is the
    /// sources.
    pub source_errors: usize,
    /// The 95% Wilson interval over sources, percent.
    pub ci95_sources: (f64, f64),
    /// Sessions the default policy sends to staff review (confidence
    /// within [`REVIEW_BAND`] under the pass line): among the rejected
    /// here, a person looks at them.
    pub reviewed: usize,
    /// The rate at the checks' pass line (50) instead of the policy's.
    pub rate_at_check_line: f64,
    /// The rate without the recapture check (rule `2026-12-07.3`).
    pub rate_without_recapture: f64,
    /// The reasons of the checks that scored under the pass line, and of
    /// the sessions that did not complete, and how often each was given.
    pub failed_checks: BTreeMap<String, usize>,
}

/// One check's scores for one species and material.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckDistribution {
    /// The check.
    pub check: &'static str,
    /// Species id.
    pub species: String,
    /// Clip or still.
    pub material: Material,
    /// Sessions where the check did not apply.
    pub not_applicable: usize,
    /// The scores where it did (`None`: it never applied).
    pub scores: Option<Summary>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttackReport {
    /// The material's folder.
    pub dataset: PathBuf,
    /// The confidence rule the engine ran.
    pub rule: &'static str,
    /// Confidence counted as accepted.
    pub policy_pass: f32,
    /// The material: file, person / recording, clip or still, frames.
    pub material: Vec<(String, String, Material, usize)>,
    /// Material that could not be used, and why.
    pub skipped: Vec<super::source::Skipped>,
    /// The physical model's parameters.
    pub physics: Physics,
    /// BPCER rows (bona fide), then APCER rows per species.
    pub rows: Vec<RateRow>,
    /// Score distributions per check, species and material.
    pub distributions: Vec<CheckDistribution>,
    /// What these numbers cannot show.
    pub limits: Vec<&'static str>,
    /// Every session.
    pub sessions: Vec<SessionOutcome>,
}

const LIMITS: [&str; 8] = [
    "Simulated, partly circular: bona fide and attacks both go through the same physical model (distance, perspective from the face mesh, screen light, media, camera), which was written knowing what the checks measure. The rows are a regression guard for the engine, not error rates in the world.",
    "Bona fide from real clips keep the recording's own motion and blinks; bona fide from stills have a simulated sway and no blink. Neither has real light on real skin: the flash reflection is modelled.",
    "Few people: the material holds a handful of recordings, so the intervals are wide and the sources count is the honest sample size, not the sessions.",
    "Not covered: masks and 3D attacks, partial (cut-out) prints, high-end displays without moiré, a deepfake that renders the flash on the swapped face, and a relay faster than 100 ms.",
    "Each session draws its own challenge from the OS generator: rows can move by a session between runs.",
    "Screens and prints are flat, so the depth check catches every relay and replay whatever its delay: the relay rows cannot show the light check's timing margin on their own; the light check's score distribution does.",
    "The camera trust check (virtual and unpinned cameras refused) is not exercised: frames go straight into the engine, so the virtual-camera row measures the liveness checks alone.",
    "Sessions of one source are not independent: read the interval over sources.",
];

/// Gathers the rows and distributions.
pub fn build(
    dir: &Path,
    sources: &[Source],
    skipped: Vec<super::source::Skipped>,
    species: &[Species],
    physics: Physics,
    sessions: Vec<SessionOutcome>,
) -> AttackReport {
    let mut rows = Vec::new();
    let mut distributions = Vec::new();
    let materials: BTreeSet<Material> = sources.iter().map(|s| s.material).collect();
    for &kind in species {
        let id = kind.id();
        for &material in &materials {
            let group: Vec<&SessionOutcome> = sessions
                .iter()
                .filter(|s| s.species == id && s.material == material)
                .collect();
            if group.is_empty() {
                continue;
            }
            let error = |accepted: bool| accepted == kind.is_attack();
            let errors = group.iter().filter(|s| error(s.accepted)).count();
            let mut by_source: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for s in &group {
                let e = by_source.entry(s.group.as_str()).or_default();
                e.0 += 1;
                e.1 += usize::from(error(s.accepted));
            }
            let source_errors = by_source.values().filter(|(n, e)| 2 * e > *n).count();
            let succeeded = |s: &&SessionOutcome| s.status == LivenessStatus::Succeeded;
            let errors_at_line = group
                .iter()
                .filter(|s| error(s.accepted_at_check_line))
                .count();
            let errors_without_recapture = group
                .iter()
                .filter(|s| error(s.accepted_without_recapture))
                .count();
            let mut failed_checks = BTreeMap::new();
            for s in &group {
                if let Some(failure) = s.failure {
                    *failed_checks.entry(failure.to_owned()).or_default() += 1;
                }
                for (score, reason) in s.checks.values() {
                    if score.is_some_and(|v| v < PASS_SCORE) {
                        *failed_checks.entry((*reason).to_owned()).or_default() += 1;
                    }
                }
            }
            rows.push(RateRow {
                species: id.clone(),
                category: kind.category(),
                material,
                presentations: group.len(),
                sources: by_source.len(),
                not_completed: group.iter().filter(|s| !succeeded(s)).count(),
                errors,
                rate: percent(errors, group.len()),
                ci95: wilson95(errors, group.len()),
                source_errors,
                ci95_sources: wilson95(source_errors, by_source.len()),
                reviewed: group
                    .iter()
                    .filter(|s| {
                        succeeded(s) && !s.accepted && s.confidence >= POLICY_PASS - REVIEW_BAND
                    })
                    .count(),
                rate_at_check_line: percent(errors_at_line, group.len()),
                rate_without_recapture: percent(errors_without_recapture, group.len()),
                failed_checks,
            });
            for check in CheckKind::ALL {
                let scores: Vec<Option<f32>> = group
                    .iter()
                    .map(|s| s.checks.get(check.as_str()).and_then(|(score, _)| *score))
                    .collect();
                let values: Vec<f64> = scores.iter().flatten().map(|&v| f64::from(v)).collect();
                distributions.push(CheckDistribution {
                    check: check.as_str(),
                    species: id.clone(),
                    material,
                    not_applicable: scores.iter().filter(|s| s.is_none()).count(),
                    scores: Summary::of(&values, Some(f64::from(PASS_SCORE))),
                });
            }
        }
    }
    AttackReport {
        dataset: dir.to_path_buf(),
        rule: dayfusion_liveness::confidence::RULE_VERSION,
        policy_pass: POLICY_PASS,
        material: sources
            .iter()
            .map(|s| (s.name.clone(), s.group.clone(), s.material, s.frame_count()))
            .collect(),
        skipped,
        physics,
        rows,
        distributions,
        limits: LIMITS.to_vec(),
        sessions,
    }
}

/// Writes `report.json`, `report.md` and `distributions.png`.
pub fn write(report: &AttackReport, out_dir: &Path) -> Result<(), EvalError> {
    let write_error = |path: &Path, source: std::io::Error| EvalError::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(out_dir).map_err(|e| write_error(out_dir, e))?;
    let json_path = out_dir.join("report.json");
    let json = serde_json::to_vec_pretty(report)
        .map_err(|e| write_error(&json_path, std::io::Error::other(e)))?;
    std::fs::write(&json_path, json).map_err(|e| write_error(&json_path, e))?;
    let md_path = out_dir.join("report.md");
    std::fs::write(&md_path, markdown(report)).map_err(|e| write_error(&md_path, e))?;
    super::plot::distributions_png(&out_dir.join("distributions.png"), report)
}

/// The rows and distributions as Markdown tables.
pub fn markdown(report: &AttackReport) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Attack evaluation\n\nRule `{}`; accepted at confidence {} (the default policy; {} to {} goes to staff review, counted as rejected and shown apart), also shown at the checks' pass line {}.\n",
        report.rule,
        report.policy_pass,
        report.policy_pass - REVIEW_BAND,
        report.policy_pass,
        PASS_SCORE
    );
    if !report.skipped.is_empty() {
        let _ = writeln!(md, "Material left out:\n");
        for (file, why) in &report.skipped {
            let _ = writeln!(md, "- {file}: {why}");
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(
        md,
        "| species | material | category | presentations | sources | not completed | errors | rate % | 95% CI (sessions) | sources erring | 95% CI (sources) | to review | rate at 50 % | rate without recapture % | failed checks |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in &report.rows {
        let failed: Vec<String> = r
            .failed_checks
            .iter()
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        let _ = writeln!(
            md,
            "| {} ({}) | {:?} | {} | {} | {} | {} | {} | {:.1} | {:.1}-{:.1} | {} | {:.1}-{:.1} | {} | {:.1} | {:.1} | {} |",
            r.species,
            if r.species == "bona-fide" {
                "BPCER"
            } else {
                "APCER"
            },
            r.material,
            r.category,
            r.presentations,
            r.sources,
            r.not_completed,
            r.errors,
            r.rate,
            r.ci95.0,
            r.ci95.1,
            r.source_errors,
            r.ci95_sources.0,
            r.ci95_sources.1,
            r.reviewed,
            r.rate_at_check_line,
            r.rate_without_recapture,
            failed.join(", ")
        );
    }
    let _ = writeln!(
        md,
        "\n## Check scores (median [min-max], n; below 50)\n\n| check | species | material | scores | below 50 | not applicable |\n|---|---|---|---|---|---|"
    );
    for d in &report.distributions {
        let scores = d.scores.as_ref().map_or("-".to_owned(), |s| {
            format!("{:.0} [{:.0}-{:.0}], n={}", s.median, s.min, s.max, s.n)
        });
        let below = d.scores.as_ref().and_then(|s| s.below_pass).unwrap_or(0);
        let _ = writeln!(
            md,
            "| {} | {} | {:?} | {} | {} | {} |",
            d.check, d.species, d.material, scores, below, d.not_applicable
        );
    }
    let _ = writeln!(md, "\n## Limits\n");
    for limit in &report.limits {
        let _ = writeln!(md, "- {limit}");
    }
    md
}

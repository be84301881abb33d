//! `eval attacks DIR`: the liveness engine against attack species made
//! from real material, in the spirit of ISO/IEC 30107-3. Every
//! presentation is a live session of the real engine on its injectable
//! clock, following the challenge the answers reveal ([`presenter`]); the
//! frames come from the real clips and stills under `DIR` through a
//! physical model of what stands in front of the camera ([`scene`]).
//!
//! For each species: APCER (attacks accepted) or BPCER (bona fide
//! rejected) with its 95% Wilson interval, the number of presentations and
//! of distinct sources (people / recordings), the checks that caught it,
//! and every check's score distribution. Bona fide from real clips and
//! from stills (whose motion is simulated) are reported apart, and both
//! rest on the same physical model as the attacks: a regression guard,
//! not a measurement of the world.

pub mod presenter;
pub mod scene;
pub mod source;
pub mod species;

mod plot;
pub mod report;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dayfusion_face::FaceEngine;
use dayfusion_liveness::checks::PASS_SCORE;
use dayfusion_liveness::{CheckKind, LivenessStatus, Outcome, confidence};
use serde::Serialize;

pub use report::{AttackReport, CheckDistribution, RateRow};
pub use scene::Physics;
pub use source::Material;
pub use species::Species;

use crate::EvalError;
use presenter::{Presentation, present};

/// Confidence a session needs to count as accepted: the default policy's
/// `liveness_min` (`dayfusion-verify/policies.toml`; a copy, as this crate
/// does not depend on the flow).
pub const POLICY_PASS: f32 = 70.0;
/// The default policy's `review_band`: this much under the pass line goes
/// to staff review.
pub const REVIEW_BAND: f32 = 10.0;

/// How much to run.
#[derive(Debug, Clone)]
pub struct AttackOptions {
    /// Sessions per species and source (each with its own challenge).
    pub sessions_per_source: usize,
    /// Material limits.
    pub limits: source::Limits,
    /// The species to run (bona fide is always run).
    pub species: Vec<Species>,
}

impl AttackOptions {
    /// The whole evaluation: up to 8 clips and one still of each of up to
    /// 12 people or recordings (the usable `pad/real` crops, then the
    /// colour photos of `identities/`), 3 sessions each.
    pub fn full() -> Self {
        AttackOptions {
            sessions_per_source: 3,
            limits: source::Limits {
                stills_per_group: 1,
                still_groups: 12,
                clips: 8,
                clip_frames: 150,
            },
            species: Species::ALL.to_vec(),
        }
    }

    /// The subset `make test` runs (under 2 minutes): one clip, one still,
    /// one session of each species.
    pub fn quick() -> Self {
        AttackOptions {
            sessions_per_source: 1,
            limits: source::Limits {
                stills_per_group: 1,
                still_groups: 1,
                clips: 1,
                clip_frames: 60,
            },
            species: Species::ALL.to_vec(),
        }
    }
}

/// One session's outcome.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionOutcome {
    /// Species id.
    pub species: String,
    /// The material's file.
    pub source: String,
    /// Its person / recording.
    pub group: String,
    /// Clip or still.
    pub material: Material,
    /// Seed of the presentation's randomness.
    pub seed: u64,
    /// Frames the engine analysed.
    pub frames: usize,
    /// Frames the engine refused.
    pub refused_frames: usize,
    /// Session status.
    pub status: LivenessStatus,
    /// Why the capture failed, if it did.
    pub failure: Option<&'static str>,
    /// Confidence 0-100.
    pub confidence: f32,
    /// Accepted at [`POLICY_PASS`].
    pub accepted: bool,
    /// Accepted at the checks' pass line (50).
    pub accepted_at_check_line: bool,
    /// Accepted at [`POLICY_PASS`] without the recapture check (rule
    /// `2026-12-07.3`), for the side by side.
    pub accepted_without_recapture: bool,
    /// Each check's score (`None`: not applicable) and reason.
    pub checks: BTreeMap<&'static str, (Option<f32>, &'static str)>,
    /// The numbers behind each check's verdict.
    pub measures: BTreeMap<&'static str, BTreeMap<&'static str, f64>>,
}

/// Runs every species on the material under `dir` and writes
/// `report.json`, `report.md` and `distributions.png` into `out_dir`.
pub fn evaluate_attacks(
    engine: &Arc<FaceEngine>,
    dir: &Path,
    out_dir: &Path,
    options: &AttackOptions,
) -> Result<AttackReport, EvalError> {
    let (sources, skipped) = source::load(engine, dir, options.limits)?;
    let physics = Physics::default();
    let mut species = vec![Species::BonaFide];
    species.extend(options.species.iter().filter(|s| s.is_attack()));
    let mut jobs = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        // A face swap brings in someone else: the next source of another
        // person, if there is one.
        let other = sources
            .iter()
            .cycle()
            .skip(index + 1)
            .take(sources.len())
            .find(|o| o.group != source.group);
        for &kind in &species {
            if kind == Species::FaceSwap && other.is_none() {
                continue;
            }
            for session in 0..options.sessions_per_source {
                jobs.push(Presentation {
                    species: kind,
                    source,
                    other,
                    seed: seed(&kind.id(), &source.name, session),
                });
            }
        }
    }
    let outcomes = run_all(engine, &physics, &jobs)?;
    let report = report::build(dir, &sources, skipped, &species, physics, outcomes);
    report::write(&report, out_dir)?;
    Ok(report)
}

/// Runs the presentations on every core, in order of the list.
fn run_all(
    engine: &Arc<FaceEngine>,
    physics: &Physics,
    jobs: &[Presentation<'_>],
) -> Result<Vec<SessionOutcome>, EvalError> {
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut results: Vec<(usize, Result<SessionOutcome, EvalError>)> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(job) = jobs.get(i) else { break };
                            done.push((i, present(engine, physics, job).map(|p| outcome(job, p))));
                            if done.last().is_some_and(|(_, r)| r.is_err()) {
                                // No point running the rest: the error ends the run.
                                next.store(jobs.len(), Ordering::Relaxed);
                            }
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                // A worker's panic is the run's: carried on with its message.
                .flat_map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
    // After an error the workers stop early: the error is what comes back.
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn outcome(job: &Presentation<'_>, presented: presenter::Presented) -> SessionOutcome {
    let Some(r) = presented.result else {
        return SessionOutcome {
            species: job.species.id(),
            source: job.source.name.clone(),
            group: job.source.group.clone(),
            material: job.source.material,
            seed: job.seed,
            frames: 0,
            refused_frames: presented.refused_frames,
            status: LivenessStatus::Failed,
            failure: Some("no-frame-accepted"),
            confidence: 0.0,
            accepted: false,
            accepted_at_check_line: false,
            accepted_without_recapture: false,
            checks: BTreeMap::new(),
            measures: BTreeMap::new(),
        };
    };
    let succeeded = r.status == LivenessStatus::Succeeded;
    SessionOutcome {
        species: job.species.id(),
        source: job.source.name.clone(),
        group: job.source.group.clone(),
        material: job.source.material,
        seed: job.seed,
        frames: r.frames,
        refused_frames: presented.refused_frames,
        status: r.status,
        failure: r.failure,
        confidence: r.confidence,
        accepted: succeeded && r.confidence >= POLICY_PASS,
        accepted_at_check_line: succeeded && r.confidence >= PASS_SCORE,
        accepted_without_recapture: succeeded
            && confidence::combine_without(&r.checks, CheckKind::Recapture) >= POLICY_PASS,
        checks: r
            .checks
            .iter()
            .map(|c| {
                let score = (c.outcome != Outcome::NotApplicable)
                    .then_some(c.score)
                    .flatten();
                (c.check.as_str(), (score, c.reason))
            })
            .collect(),
        measures: r
            .checks
            .iter()
            .map(|c| (c.check.as_str(), c.measures.clone()))
            .collect(),
    }
}

/// A presentation's seed, fixed by what it is (runs are repeatable,
/// although each session's challenge is drawn by the engine).
fn seed(species: &str, source: &str, session: usize) -> u64 {
    // FNV-1a: stable across builds, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in species
        .bytes()
        .chain(source.bytes())
        .chain(session.to_le_bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

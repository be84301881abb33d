//! Versioned decision policies (see `policies.toml`, shipped with the
//! kiosk) and the decision rule.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain::{ComparisonRecord, LivenessRecord, LivenessStatus, Status};

/// The policies shipped with the kiosk.
pub const DEFAULT_POLICIES: &str = include_str!("../policies.toml");

/// The policy used when none is named.
pub const DEFAULT_POLICY_ID: &str = "default";

/// What to do with a liveness result that had no challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PassiveLiveness {
    /// Decide on the numbers.
    Allow,
    /// Send to a person even when the numbers pass.
    Review,
}

/// What to do with a liveness check the customer took without flashing
/// colours (the movement-only challenge: no light check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoLightChallenge {
    /// Decide on the numbers.
    Allow,
    /// Send to a person even when the numbers pass (the default, also of
    /// every policy written before the field existed: such checks did not
    /// exist then).
    #[default]
    Review,
    /// Refuse: the customer is served by staff instead.
    Refuse,
}

impl NoLightChallenge {
    /// `Review`, the value of policies written before the field existed.
    pub fn is_default(&self) -> bool {
        *self == NoLightChallenge::default()
    }
}

/// The assurance a movement-only liveness check records.
pub const MOVEMENT_CHALLENGE: &str = "movement-challenge";

/// One version of a policy; recorded whole in every decision it makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// `default`, `high-risk`.
    pub id: String,
    /// Bumped on every change.
    pub version: u32,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Pass line of the liveness confidence.
    #[serde(alias = "liveness_min")]
    pub liveness_min: f32,
    /// Pass line of the similarity.
    #[serde(alias = "similarity_min")]
    pub similarity_min: f32,
    /// Points below a pass line that go to REVIEW instead of REJECTED.
    #[serde(alias = "review_band")]
    pub review_band: f32,
    /// Captures without a challenge.
    #[serde(alias = "passive_liveness")]
    pub passive_liveness: PassiveLiveness,
    /// Checks taken with the movement-only challenge (no flashing colours).
    /// Left out of the recorded definition when it is the default, so a
    /// version recorded before this field existed keeps its SHA-256.
    #[serde(
        alias = "no_light_challenge",
        default,
        skip_serializing_if = "NoLightChallenge::is_default"
    )]
    pub no_light_challenge: NoLightChallenge,
}

impl Policy {
    /// Checks the numbers.
    pub fn validate(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(format!(
                "policy id {:?} must be lowercase letters, digits and -",
                self.id
            ));
        }
        if self.version == 0 {
            return Err(format!("policy {}: version starts at 1", self.id));
        }
        for (name, value) in [
            ("liveness_min", self.liveness_min),
            ("similarity_min", self.similarity_min),
        ] {
            if !(value.is_finite() && (1.0..=100.0).contains(&value)) {
                return Err(format!("policy {}: {name} must be 1-100", self.id));
            }
        }
        if !(self.review_band.is_finite() && (0.0..=30.0).contains(&self.review_band)) {
            return Err(format!("policy {}: review_band must be 0-30", self.id));
        }
        Ok(())
    }

    /// The reference recorded in transactions.
    pub fn reference(&self) -> crate::domain::PolicyRef {
        crate::domain::PolicyRef {
            id: self.id.clone(),
            version: self.version,
        }
    }

    /// The decision and its reasons (codes).
    pub fn decide(
        &self,
        liveness: &LivenessRecord,
        comparison: Option<&ComparisonRecord>,
    ) -> (Status, Vec<String>) {
        match liveness.status {
            LivenessStatus::Succeeded => {}
            LivenessStatus::Failed => {
                let mut reasons = vec!["liveness-failed".to_owned()];
                reasons.extend(liveness.failure.iter().map(|f| format!("liveness-{f}")));
                return (Status::Rejected, reasons);
            }
            LivenessStatus::Expired => {
                return (Status::Rejected, vec!["liveness-expired".to_owned()]);
            }
        }
        let Some(comparison) = comparison else {
            return (Status::Rejected, vec!["comparison-missing".to_owned()]);
        };
        if let Some(failure) = &comparison.failure {
            return (
                Status::Rejected,
                vec!["comparison-failed".to_owned(), failure.clone()],
            );
        }
        let mut rejects = Vec::new();
        let mut reviews = Vec::new();
        for (name, value, pass) in [
            ("liveness", liveness.confidence, self.liveness_min),
            ("similarity", comparison.similarity, self.similarity_min),
        ] {
            if !value.is_finite() || value < pass - self.review_band {
                rejects.push(format!("{name}-below-threshold"));
            } else if value < pass {
                reviews.push(format!("{name}-in-review-band"));
            }
        }
        let movement_only = liveness.assurance == MOVEMENT_CHALLENGE;
        if self.passive_liveness == PassiveLiveness::Review
            && liveness.assurance != "challenge"
            && !movement_only
        {
            reviews.push("liveness-without-challenge".to_owned());
        }
        if movement_only {
            match self.no_light_challenge {
                NoLightChallenge::Allow => {}
                NoLightChallenge::Review => reviews.push("liveness-no-light-challenge".to_owned()),
                NoLightChallenge::Refuse => rejects.push("liveness-no-light-challenge".to_owned()),
            }
        }
        if !rejects.is_empty() {
            rejects.extend(reviews);
            (Status::Rejected, rejects)
        } else if !reviews.is_empty() {
            (Status::Review, reviews)
        } else {
            (Status::Approved, vec!["thresholds-met".to_owned()])
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    policy: Vec<Policy>,
}

/// The policies a kiosk knows: the shipped ones, overridden or extended by
/// the kiosk's own file.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySet {
    policies: BTreeMap<String, Policy>,
}

impl PolicySet {
    /// The shipped policies.
    pub fn shipped() -> Result<PolicySet, String> {
        let mut set = PolicySet {
            policies: BTreeMap::new(),
        };
        set.merge_text(DEFAULT_POLICIES, "policies.toml (shipped)")?;
        Ok(set)
    }

    /// The shipped policies plus `path` when it exists.
    pub fn load(path: &Path) -> Result<PolicySet, String> {
        let mut set = PolicySet::shipped()?;
        match std::fs::read_to_string(path) {
            Ok(text) => set.merge_text(&text, &path.display().to_string())?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
        Ok(set)
    }

    /// Adds the policies in `text`; a policy replaces a lower or equal
    /// version of the same id.
    pub fn merge_text(&mut self, text: &str, origin: &str) -> Result<(), String> {
        let file: PolicyFile = toml::from_str(text)
            .map_err(|e| format!("{origin} is not a valid policy file: {e}"))?;
        for policy in file.policy {
            policy.validate().map_err(|e| format!("{origin}: {e}"))?;
            match self.policies.get(&policy.id) {
                Some(known) if known.version == policy.version && known != &policy => {
                    return Err(format!(
                        "{origin}: policy {} v{} differs from the one already known; give it a new version",
                        policy.id, policy.version
                    ));
                }
                Some(known) if known.version > policy.version => {}
                _ => {
                    self.policies.insert(policy.id.clone(), policy);
                }
            }
        }
        Ok(())
    }

    /// The current version of `id`.
    pub fn get(&self, id: &str) -> Option<&Policy> {
        self.policies.get(id)
    }

    /// Every policy, by id.
    pub fn all(&self) -> impl Iterator<Item = &Policy> {
        self.policies.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Provider, Status};

    fn liveness(confidence: f32, assurance: &str) -> LivenessRecord {
        LivenessRecord {
            provider: Provider::Embedded,
            session_id: "s".to_owned(),
            status: LivenessStatus::Succeeded,
            confidence,
            assurance: assurance.to_owned(),
            rule: "r".to_owned(),
            failure: None,
            reference_key: None,
            reference_sha256: None,
            audit_images: vec![],
            checks: vec![],
            camera: None,
        }
    }

    fn comparison(similarity: f32) -> ComparisonRecord {
        ComparisonRecord {
            provider: Provider::Embedded,
            similarity,
            model: "m".to_owned(),
            failure: None,
        }
    }

    fn shipped(id: &str) -> Result<Policy, String> {
        PolicySet::shipped()?
            .get(id)
            .cloned()
            .ok_or_else(|| format!("no {id}"))
    }

    #[test]
    fn shipped_policies_hold_the_guide_and_high_risk_thresholds() -> Result<(), String> {
        let default = shipped("default")?;
        assert_eq!(
            (
                default.version,
                default.liveness_min,
                default.similarity_min
            ),
            (1, 70.0, 80.0)
        );
        let high = shipped("high-risk")?;
        assert_eq!(
            (high.version, high.liveness_min, high.similarity_min),
            (1, 85.0, 90.0)
        );
        Ok(())
    }

    #[test]
    fn pass_lines_and_review_bands() -> Result<(), String> {
        let p = shipped("default")?;
        let decide = |l: f32, s: f32| p.decide(&liveness(l, "challenge"), Some(&comparison(s)));
        assert_eq!(decide(70.0, 80.0).0, Status::Approved);
        assert_eq!(decide(99.0, 99.0).1, vec!["thresholds-met".to_owned()]);
        assert_eq!(
            decide(69.9, 95.0),
            (Status::Review, vec!["liveness-in-review-band".to_owned()])
        );
        assert_eq!(decide(95.0, 70.0).0, Status::Review);
        assert_eq!(
            decide(95.0, 69.9),
            (
                Status::Rejected,
                vec!["similarity-below-threshold".to_owned()]
            )
        );
        assert_eq!(decide(59.9, 95.0).0, Status::Rejected);
        // A reject wins over a review, and both reasons are kept.
        assert_eq!(
            decide(65.0, 10.0),
            (
                Status::Rejected,
                vec![
                    "similarity-below-threshold".to_owned(),
                    "liveness-in-review-band".to_owned()
                ]
            )
        );
        assert_eq!(decide(f32::NAN, 95.0).0, Status::Rejected);
        Ok(())
    }

    #[test]
    fn failed_or_expired_liveness_and_missing_comparison_reject() -> Result<(), String> {
        let p = shipped("default")?;
        let mut l = liveness(99.0, "challenge");
        l.status = LivenessStatus::Failed;
        l.failure = Some("no-face".to_owned());
        assert_eq!(
            p.decide(&l, Some(&comparison(99.0))),
            (
                Status::Rejected,
                vec!["liveness-failed".to_owned(), "liveness-no-face".to_owned()]
            )
        );
        l.status = LivenessStatus::Expired;
        assert_eq!(p.decide(&l, None).0, Status::Rejected);
        assert_eq!(
            p.decide(&liveness(99.0, "challenge"), None).0,
            Status::Rejected
        );
        let mut c = comparison(0.0);
        c.failure = Some("face-multiple-faces".to_owned());
        assert_eq!(
            p.decide(&liveness(99.0, "challenge"), Some(&c)).0,
            Status::Rejected
        );
        Ok(())
    }

    #[test]
    fn high_risk_sends_passive_captures_to_review() -> Result<(), String> {
        let p = shipped("high-risk")?;
        assert_eq!(
            p.decide(&liveness(99.0, "challenge"), Some(&comparison(95.0)))
                .0,
            Status::Approved
        );
        assert_eq!(
            p.decide(&liveness(99.0, "passive-only"), Some(&comparison(95.0))),
            (
                Status::Review,
                vec!["liveness-without-challenge".to_owned()]
            )
        );
        let d = shipped("default")?;
        assert_eq!(
            d.decide(&liveness(99.0, "passive-only"), Some(&comparison(95.0)))
                .0,
            Status::Approved
        );
        Ok(())
    }

    #[test]
    fn a_check_without_flashing_colours_goes_to_a_person() -> Result<(), String> {
        // The shipped policies predate the field: they read it as "review".
        for id in ["default", "high-risk"] {
            let p = shipped(id)?;
            assert_eq!(p.no_light_challenge, NoLightChallenge::Review, "{id}");
            assert_eq!(
                p.decide(&liveness(99.0, MOVEMENT_CHALLENGE), Some(&comparison(95.0))),
                (
                    Status::Review,
                    vec!["liveness-no-light-challenge".to_owned()]
                ),
                "{id}"
            );
        }
        // Below the lines it is rejected as any other check.
        assert_eq!(
            shipped("default")?
                .decide(&liveness(40.0, MOVEMENT_CHALLENGE), Some(&comparison(95.0)))
                .0,
            Status::Rejected
        );
        // Their recorded definitions are unchanged (the ledger keeps each
        // version's SHA-256): no key at its default.
        let recorded = serde_json::to_string(&shipped("default")?).map_err(|e| e.to_string())?;
        assert!(!recorded.contains("noLightChallenge"), "{recorded}");
        // A bank's next version may refuse it (staff serve the customer) or allow it.
        let mut set = PolicySet::shipped()?;
        let version = |v: u32, rule: &str| {
            format!(
                "[[policy]]\nid = \"high-risk\"\nversion = {v}\nliveness_min = 85.0\nsimilarity_min = 90.0\nreview_band = 5.0\npassive_liveness = \"review\"\nno_light_challenge = \"{rule}\"\n"
            )
        };
        set.merge_text(&version(2, "refuse"), "test")?;
        let strict = set.get("high-risk").cloned().ok_or("no high-risk")?;
        assert_eq!(
            strict.decide(&liveness(99.0, MOVEMENT_CHALLENGE), Some(&comparison(95.0))),
            (
                Status::Rejected,
                vec!["liveness-no-light-challenge".to_owned()]
            )
        );
        assert!(
            serde_json::to_string(&strict)
                .map_err(|e| e.to_string())?
                .contains(r#""noLightChallenge":"refuse""#)
        );
        set.merge_text(&version(3, "allow"), "test")?;
        let allowed = set.get("high-risk").cloned().ok_or("no high-risk")?;
        assert_eq!(
            allowed
                .decide(&liveness(99.0, MOVEMENT_CHALLENGE), Some(&comparison(95.0)))
                .0,
            Status::Approved
        );
        // The full challenge is unaffected.
        assert_eq!(
            strict
                .decide(&liveness(99.0, "challenge"), Some(&comparison(95.0)))
                .0,
            Status::Approved
        );
        Ok(())
    }

    #[test]
    fn kiosk_file_adds_newer_versions_and_refuses_bad_numbers() -> Result<(), String> {
        let mut set = PolicySet::shipped()?;
        // The same id and version with other numbers is refused.
        assert!(set.clone().merge_text(
            "[[policy]]\nid = \"default\"\nversion = 1\nliveness_min = 10.0\nsimilarity_min = 10.0\nreview_band = 0.0\npassive_liveness = \"allow\"\n",
            "test",
        ).is_err());
        set.merge_text(
            "[[policy]]\nid = \"default\"\nversion = 2\nliveness_min = 75.0\nsimilarity_min = 82.0\nreview_band = 8.0\npassive_liveness = \"review\"\n",
            "test",
        )?;
        assert_eq!(
            set.get("default").map(|p| (p.version, p.liveness_min)),
            Some((2, 75.0))
        );
        // An older version never replaces a newer one.
        set.merge_text(
            "[[policy]]\nid = \"default\"\nversion = 1\nliveness_min = 10.0\nsimilarity_min = 10.0\nreview_band = 0.0\npassive_liveness = \"allow\"\n",
            "test",
        )?;
        assert_eq!(set.get("default").map(|p| p.version), Some(2));
        for bad in [
            "[[policy]]\nid = \"x\"\nversion = 1\nliveness_min = 170.0\nsimilarity_min = 80.0\nreview_band = 5.0\npassive_liveness = \"allow\"\n",
            "[[policy]]\nid = \"x\"\nversion = 0\nliveness_min = 70.0\nsimilarity_min = 80.0\nreview_band = 5.0\npassive_liveness = \"allow\"\n",
            "[[policy]]\nid = \"X Y\"\nversion = 1\nliveness_min = 70.0\nsimilarity_min = 80.0\nreview_band = 5.0\npassive_liveness = \"allow\"\n",
            "[[policy]]\nid = \"x\"\nversion = 1\nliveness_min = 70.0\nsimilarity_min = 80.0\nreview_band = 5.0\npassive_liveness = \"maybe\"\n",
            "[[policy]]\nid = \"x\"\nversion = 1\nliveness_min = 70.0\nsimilarity_min = 80.0\nreview_band = 5.0\npassive_liveness = \"allow\"\nsimilarty_typo = 3\n",
            "not toml [",
        ] {
            assert!(
                set.clone().merge_text(bad, "test").is_err(),
                "accepted: {bad}"
            );
        }
        Ok(())
    }
}

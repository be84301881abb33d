//! The `policies` table: every policy version the kiosk has used, as
//! canonical JSON with its SHA-256; a version changed in place is refused.

use dayfusion_verify::{AuditEvent, Policy, StoreError};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::audit::append;
use crate::{POLICY_REGISTERED, SqliteLog, begin, db_err, now};

impl SqliteLog {
    pub(crate) fn register_policy_version(&self, policy: &Policy) -> Result<(), StoreError> {
        let definition = serde_json::to_string(policy)
            .map_err(|e| StoreError::Other(format!("cannot encode policy: {e}")))?;
        let sha256 = hex::encode(Sha256::digest(definition.as_bytes()));
        let mut conn = self.lock();
        let tx = begin(&mut conn)?;
        let known: Option<String> = tx
            .query_row(
                "SELECT sha256 FROM policies WHERE id = ?1 AND version = ?2",
                params![policy.id, policy.version],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| db_err(e, "read policy"))?;
        match known {
            Some(known) if known == sha256 => return Ok(()),
            Some(_) => {
                tracing::warn!(policy = %policy.id, version = policy.version, "policy changed without a new version");
                return Err(StoreError::PolicyConflict {
                    id: policy.id.clone(),
                    version: policy.version,
                });
            }
            None => {}
        }
        tx.execute(
            "INSERT INTO policies (id, version, definition, sha256, first_used_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![policy.id, policy.version, definition, sha256, now()?],
        )
        .map_err(|e| db_err(e, "insert policy"))?;
        let event = AuditEvent {
            kind: POLICY_REGISTERED.to_owned(),
            data: serde_json::json!({
                "id": policy.id,
                "version": policy.version,
                "sha256": sha256,
            }),
        };
        append(&tx, None, &event)?;
        tx.commit().map_err(|e| db_err(e, "commit policy"))?;
        tracing::info!(policy = %policy.id, version = policy.version, "policy registered");
        Ok(())
    }
}

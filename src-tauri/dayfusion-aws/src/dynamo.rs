//! The central transaction table in DynamoDB (`dayfusion_transactions`,
//! key `TransactionId` S), as the guide creates it.
//!
//! [`DynamoTransactionTable::put_final`] writes one item per final
//! transaction, once: the guide's attributes (`TransactionId`, `SessionId`,
//! `DocumentKey`, `Liveness`, `Similarity`, `Status`, `CreatedAt`) plus the
//! policy, kiosk, operator id, backend, evidence keys and hashes, decision
//! time and reasons, and the whole record as JSON (`Record`, no images and no
//! names by design) with its SHA-256 (`RecordSha256`). Attributes without a
//! value are left out.
//!
//! The write is conditional (`attribute_not_exists(TransactionId)`): a retry
//! after a lost answer finds its own item and reports
//! [`PutOutcome::AlreadyThere`]; a *different* record under the same id is
//! `sync-conflict` and is never overwritten.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use dayfusion_verify::{Provider, StoreError, SyncState, Transaction};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use crate::context::AwsContext;
use crate::error::{AwsError, AwsResult};

/// The table's key attribute.
pub const KEY_ATTRIBUTE: &str = "TransactionId";

/// Stable code of a different record already stored under the same id.
pub const SYNC_CONFLICT: &str = "sync-conflict";

/// What [`DynamoTransactionTable::put_final`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PutOutcome {
    /// The item was written now.
    Written,
    /// The same record was already there (an earlier attempt got through).
    AlreadyThere,
}

/// The table as `DescribeTable` reports it (diagnostics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableInfo {
    /// The table's name.
    pub name: String,
    /// `ACTIVE`, `CREATING`, …
    pub status: String,
    /// Approximate item count (DynamoDB refreshes it about every 6 hours).
    pub item_count: Option<i64>,
}

/// The central transaction table.
#[derive(Debug, Clone)]
pub struct DynamoTransactionTable {
    ctx: Arc<AwsContext>,
    table: String,
}

/// The record text sent for `transaction` and its SHA-256 (hex): the
/// transaction serialised exactly as the local log stores it, so the hash
/// equals the local audit chain's `recordSha256` of the same record.
pub fn record_json(transaction: &Transaction) -> AwsResult<(String, String)> {
    let text = serde_json::to_string(transaction).map_err(|e| {
        AwsError::Store(StoreError::Other(format!(
            "cannot encode transaction {}: {e}",
            transaction.transaction_id
        )))
    })?;
    let sha256 = dayfusion_ledger::record_sha256(&text);
    Ok((text, sha256))
}

/// Whether two records are the same verification: equal but for the local
/// bookkeeping fields (`updatedAt`, `sync`, `evidencePurgedAt`) that the log
/// may change on a final transaction.
pub fn same_verification(a: &Transaction, b: &Transaction) -> bool {
    let normalise = |t: &Transaction| {
        let mut t = t.clone();
        t.updated_at = t.created_at;
        t.sync = SyncState::Pending;
        t.evidence_purged_at = None;
        t
    };
    normalise(a) == normalise(b)
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number with two decimals (the guide's `F2`); `None` when not finite.
fn n2(value: f32) -> Option<AttributeValue> {
    value
        .is_finite()
        .then(|| AttributeValue::N(format!("{value:.2}")))
}

fn rfc3339(at: time::OffsetDateTime) -> AwsResult<String> {
    at.format(&Rfc3339)
        .map_err(|e| AwsError::Store(StoreError::Other(format!("cannot format a time: {e}"))))
}

fn backend_name(provider: Provider) -> &'static str {
    match provider {
        Provider::Embedded => "embedded",
        Provider::Aws => "aws",
    }
}

/// The item written for a final `transaction` (see the module docs).
pub fn item_for(
    transaction: &Transaction,
    record: &str,
    record_sha256: &str,
) -> AwsResult<HashMap<String, AttributeValue>> {
    let t = transaction;
    let mut item = HashMap::new();
    let mut put = |name: &str, value: Option<AttributeValue>| {
        if let Some(value) = value {
            item.insert(name.to_owned(), value);
        }
    };
    put(KEY_ATTRIBUTE, Some(s(t.transaction_id.to_string())));
    let session = t
        .liveness
        .as_ref()
        .map(|l| l.session_id.clone())
        .or_else(|| t.liveness_session_id.clone())
        .filter(|v| !v.is_empty());
    put("SessionId", session.map(s));
    put(
        "DocumentKey",
        t.document.as_ref().map(|d| s(d.document_key.as_str())),
    );
    put(
        "DocumentSha256",
        t.document.as_ref().map(|d| s(d.sha256.clone())),
    );
    put(
        "Liveness",
        t.liveness.as_ref().and_then(|l| n2(l.confidence)),
    );
    put("Similarity", t.similarity().and_then(n2));
    put("Status", Some(s(t.status.as_str())));
    put("CreatedAt", Some(s(rfc3339(t.created_at)?)));
    put("PolicyId", Some(s(t.policy.id.clone())));
    put(
        "PolicyVersion",
        Some(AttributeValue::N(t.policy.version.to_string())),
    );
    put(
        "KioskId",
        Some(s(t.kiosk_id.clone())).filter(|_| !t.kiosk_id.is_empty()),
    );
    put(
        "Operator",
        t.operator.clone().filter(|v| !v.is_empty()).map(s),
    );
    put("Backend", Some(s(backend_name(t.backend))));
    if let Some(liveness) = &t.liveness {
        put(
            "ReferenceKey",
            liveness.reference_key.as_ref().map(|k| s(k.as_str())),
        );
        put("ReferenceSha256", liveness.reference_sha256.clone().map(s));
        if !liveness.audit_images.is_empty() {
            put(
                "AuditKeys",
                Some(AttributeValue::L(
                    liveness
                        .audit_images
                        .iter()
                        .map(|a| s(a.key.as_str()))
                        .collect(),
                )),
            );
        }
    }
    if let Some(decision) = &t.decision {
        put("DecidedAt", Some(s(rfc3339(decision.decided_at)?)));
        if !decision.reasons.is_empty() {
            put(
                "Reasons",
                Some(AttributeValue::L(decision.reasons.iter().map(s).collect())),
            );
        }
    }
    put(
        "AbortReason",
        t.abort_reason.clone().filter(|v| !v.is_empty()).map(s),
    );
    put("RecordSha256", Some(s(record_sha256)));
    put("Record", Some(s(record)));
    Ok(item)
}

/// An attribute value as JSON (numbers as JSON numbers where they parse).
fn attribute_json(value: &AttributeValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        AttributeValue::S(v) => Value::String(v.clone()),
        AttributeValue::N(v) => serde_json::from_str::<serde_json::Number>(v)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(v.clone())),
        AttributeValue::Bool(v) => Value::Bool(*v),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(items) => Value::Array(items.iter().map(attribute_json).collect()),
        AttributeValue::M(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), attribute_json(v)))
                .collect(),
        ),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::Ns(items) => Value::Array(
            items
                .iter()
                .map(|n| attribute_json(&AttributeValue::N(n.clone())))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// A whole item as a JSON object.
pub fn item_json(item: &HashMap<String, AttributeValue>) -> serde_json::Value {
    serde_json::Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), attribute_json(v)))
            .collect(),
    )
}

impl DynamoTransactionTable {
    /// The table of `ctx`'s settings.
    pub fn new(ctx: Arc<AwsContext>) -> DynamoTransactionTable {
        let table = ctx.settings.table.clone();
        DynamoTransactionTable { ctx, table }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.table
    }

    /// Writes the item of a final `transaction` once (see the module docs).
    /// `record_sha256` is the SHA-256 of its JSON record
    /// ([`record_json`]). A different record already stored under the same
    /// id gives the non-retryable `sync-conflict`.
    pub fn put_final(
        &self,
        transaction: &Transaction,
        record_sha256: &str,
    ) -> AwsResult<PutOutcome> {
        let id = transaction.transaction_id;
        if !transaction.stage.is_final() {
            return Err(AwsError::Store(StoreError::Conflict(format!(
                "transaction {id} is not final ({})",
                transaction.stage.as_str()
            ))));
        }
        let (record, _) = record_json(transaction)?;
        let item = item_for(transaction, &record, record_sha256)?;
        let request = self
            .ctx
            .dynamodb
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", KEY_ATTRIBUTE);
        match self.ctx.block_on(request.send()) {
            Ok(_) => {
                tracing::debug!(transaction = %id, "transaction written to DynamoDB");
                Ok(PutOutcome::Written)
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                self.compare_existing(transaction, record_sha256)
            }
            Err(err) => Err(AwsError::from_sdk("dynamodb:PutItem", &err)),
        }
    }

    /// After a failed condition: the stored item is ours (same record hash,
    /// or the same verification with other bookkeeping fields) or a conflict.
    fn compare_existing(
        &self,
        transaction: &Transaction,
        record_sha256: &str,
    ) -> AwsResult<PutOutcome> {
        let id = transaction.transaction_id;
        let conflict = |detail: String| AwsError::Call {
            operation: "dynamodb:PutItem",
            code: SYNC_CONFLICT,
            detail,
            retryable: false,
        };
        let Some(item) = self.get_item(&id.to_string())? else {
            // Deleted between the two calls: the next attempt writes it.
            return Err(AwsError::Call {
                operation: "dynamodb:GetItem",
                code: "aws-service",
                detail: format!("item {id} vanished after a failed condition"),
                retryable: true,
            });
        };
        let stored_sha = match item.get("RecordSha256") {
            Some(AttributeValue::S(v)) => v.as_str(),
            _ => "",
        };
        if stored_sha == record_sha256 {
            tracing::debug!(transaction = %id, "transaction already in DynamoDB");
            return Ok(PutOutcome::AlreadyThere);
        }
        let stored: Option<Transaction> = match item.get("Record") {
            Some(AttributeValue::S(text)) => serde_json::from_str(text).ok(),
            _ => None,
        };
        match stored {
            Some(stored) if same_verification(&stored, transaction) => {
                tracing::debug!(
                    transaction = %id,
                    "transaction already in DynamoDB (bookkeeping fields differ)"
                );
                Ok(PutOutcome::AlreadyThere)
            }
            _ => {
                tracing::warn!(transaction = %id, "a different record is stored in DynamoDB under this id");
                Err(conflict(format!(
                    "item {id} holds another record (RecordSha256 {stored_sha})"
                )))
            }
        }
    }

    fn get_item(&self, id: &str) -> AwsResult<Option<HashMap<String, AttributeValue>>> {
        let request = self
            .ctx
            .dynamodb
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, s(id))
            .consistent_read(true);
        let out = self
            .ctx
            .block_on(request.send())
            .map_err(|e| AwsError::from_sdk("dynamodb:GetItem", &e))?;
        Ok(out.item().cloned())
    }

    /// The item of transaction `id` as a JSON object (attribute name →
    /// value), read consistently; `None` when there is none.
    pub fn get(&self, id: &uuid::Uuid) -> AwsResult<Option<serde_json::Value>> {
        Ok(self.get_item(&id.to_string())?.as_ref().map(item_json))
    }

    /// The stored record of transaction `id`, decoded from `Record`.
    pub fn get_record(&self, id: &uuid::Uuid) -> AwsResult<Option<Transaction>> {
        let Some(item) = self.get_item(&id.to_string())? else {
            return Ok(None);
        };
        match item.get("Record") {
            Some(AttributeValue::S(text)) => {
                serde_json::from_str(text)
                    .map(Some)
                    .map_err(|e| AwsError::Unexpected {
                        operation: "dynamodb:GetItem",
                        detail: format!("item {id}: Record does not decode: {e}"),
                    })
            }
            _ => Err(AwsError::Unexpected {
                operation: "dynamodb:GetItem",
                detail: format!("item {id} has no Record"),
            }),
        }
    }

    /// The table's status (diagnostics); `aws-resource-missing` when the
    /// table does not exist.
    pub fn describe(&self) -> AwsResult<TableInfo> {
        let request = self.ctx.dynamodb.describe_table().table_name(&self.table);
        let out = self
            .ctx
            .block_on(request.send())
            .map_err(|e| AwsError::from_sdk("dynamodb:DescribeTable", &e))?;
        let table = out.table().ok_or_else(|| AwsError::Unexpected {
            operation: "dynamodb:DescribeTable",
            detail: "no table description".into(),
        })?;
        Ok(TableInfo {
            name: table.table_name().unwrap_or(self.table.as_str()).to_owned(),
            status: table
                .table_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            item_count: table.item_count(),
        })
    }
}

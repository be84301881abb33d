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
//!
//! Later changes of a final transaction (a staff review, the retention
//! purge) reach the item by [`DynamoTransactionTable::update_final`]: an
//! `UpdateItem` of `Status`, `Record`, `RecordSha256` and the
//! [`change_attributes`] only, conditioned on the `RecordSha256` the kiosk
//! sent last (kept in the local audit chain, see `dayfusion-ledger`), so
//! the decision's attributes stay as first written.
//!
//! The table also holds one heartbeat item per kiosk, keyed
//! `HEARTBEAT#<kiosk id>` (never a UUID): see [`crate::heartbeat`].

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use dayfusion_verify::{EvidenceKey, Provider, StoreError, SyncState, Transaction};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use crate::context::AwsContext;
use crate::error::{AwsError, AwsResult};

/// The table's key attribute.
pub const KEY_ATTRIBUTE: &str = "TransactionId";

/// Stable code of a different record already stored under the same id.
pub const SYNC_CONFLICT: &str = "sync-conflict";

/// What [`DynamoTransactionTable::put_final`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PutOutcome {
    /// The item was written now.
    Written,
    /// The same record was already there (an earlier attempt got through).
    AlreadyThere,
    /// An earlier record of the same decision is there (sent before a
    /// review or a purge, its answer lost): update it from this hash.
    Earlier(String),
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

/// Whether `earlier` is `later` before a review or a purge: equal but for
/// the review, the status a review settles, the purge time and the local
/// bookkeeping fields.
pub fn same_decision(earlier: &Transaction, later: &Transaction) -> bool {
    let reviewable = earlier.review.is_none() || earlier.review == later.review;
    let normalise = |t: &Transaction| {
        let mut t = t.clone();
        t.updated_at = t.created_at;
        t.sync = SyncState::Pending;
        t.evidence_purged_at = None;
        t.review = None;
        if let Some(decision) = &t.decision {
            t.status = decision.status;
        }
        t
    };
    reviewable && normalise(earlier) == normalise(later)
}

/// The attributes a staff review and a retention purge add to an item:
/// `ReviewStatus`, `ReviewedBy`, `ReviewedAt`, `ReviewReason`,
/// `EvidenceDeletedAt` (those the transaction has). The kiosk policy lets
/// `UpdateItem` touch only these, `Status`, `Record` and `RecordSha256`.
pub fn change_attributes(t: &Transaction) -> AwsResult<Vec<(&'static str, AttributeValue)>> {
    let mut out = Vec::new();
    if let Some(review) = &t.review {
        out.push(("ReviewStatus", s(review.verdict.as_str())));
        out.push(("ReviewedBy", s(review.reviewer.clone())));
        out.push(("ReviewedAt", s(rfc3339(review.reviewed_at)?)));
        out.push(("ReviewReason", s(review.reason.clone())));
    }
    if let Some(at) = t.evidence_purged_at {
        out.push(("EvidenceDeletedAt", s(rfc3339(at)?)));
    }
    Ok(out)
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

/// The item written for a final `transaction` (see the module docs). Its
/// key attributes (`DocumentKey`, `ReferenceKey`, `AuditKeys`) are the real
/// S3 object keys, `{kiosk_prefix}{evidence key}` with `kiosk_prefix` the
/// folder the evidence store writes in (`dayfusion/kiosk-001/`); `Record`
/// keeps the record's own evidence keys (the local record, as hashed).
pub fn item_for(
    transaction: &Transaction,
    record: &str,
    record_sha256: &str,
    kiosk_prefix: &str,
) -> AwsResult<HashMap<String, AttributeValue>> {
    let t = transaction;
    let object = |key: &EvidenceKey| s(format!("{kiosk_prefix}{key}"));
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
        t.document.as_ref().map(|d| object(&d.document_key)),
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
        put("ReferenceKey", liveness.reference_key.as_ref().map(object));
        put("ReferenceSha256", liveness.reference_sha256.clone().map(s));
        if !liveness.audit_images.is_empty() {
            put(
                "AuditKeys",
                Some(AttributeValue::L(
                    liveness
                        .audit_images
                        .iter()
                        .map(|a| object(&a.key))
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
    for (name, value) in change_attributes(t)? {
        put(name, Some(value));
    }
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

    /// The connection (the heartbeat writes through it).
    pub(crate) fn context(&self) -> &AwsContext {
        &self.ctx
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
        let kiosk_prefix = self.ctx.settings.kiosk_prefix()?;
        let item = item_for(transaction, &record, record_sha256, &kiosk_prefix)?;
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
            Some(stored) if same_decision(&stored, transaction) => {
                tracing::debug!(transaction = %id, "an earlier record of this decision is in DynamoDB");
                Ok(PutOutcome::Earlier(stored_sha.to_owned()))
            }
            _ => {
                tracing::warn!(transaction = %id, "a different record is stored in DynamoDB under this id");
                Err(conflict(format!(
                    "item {id} holds another record (RecordSha256 {stored_sha})"
                )))
            }
        }
    }

    /// Brings the item of a final `transaction` from the record whose hash
    /// is `previous_sha256` to its current record (`record_sha256`): one
    /// `UpdateItem` setting `Status`, `Record`, `RecordSha256` and the
    /// [`change_attributes`], conditioned on the item still holding
    /// `previous_sha256`. The decision's own attributes are never sent.
    /// A lost answer is recognised on the next try (the item already holds
    /// `record_sha256`); any other record is `sync-conflict`.
    pub fn update_final(
        &self,
        transaction: &Transaction,
        previous_sha256: &str,
        record_sha256: &str,
    ) -> AwsResult<PutOutcome> {
        let id = transaction.transaction_id;
        let (record, _) = record_json(transaction)?;
        let mut values: Vec<(&str, AttributeValue)> = vec![
            ("Status", s(transaction.status.as_str())),
            ("Record", s(record)),
            ("RecordSha256", s(record_sha256)),
        ];
        values.extend(change_attributes(transaction)?);
        let set = values
            .iter()
            .map(|(name, _)| format!("#{name} = :{name}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut request = self
            .ctx
            .dynamodb
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, s(id.to_string()))
            .update_expression(format!("SET {set}"))
            .condition_expression("#RecordSha256 = :previous")
            .expression_attribute_values(":previous", s(previous_sha256));
        for (name, value) in values {
            request = request
                .expression_attribute_names(format!("#{name}"), name)
                .expression_attribute_values(format!(":{name}"), value);
        }
        match self.ctx.block_on(request.send()) {
            Ok(_) => {
                tracing::debug!(transaction = %id, "DynamoDB item updated");
                Ok(PutOutcome::Written)
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                match self.record_sha256(&id)? {
                    Some(stored) if stored == record_sha256 => Ok(PutOutcome::AlreadyThere),
                    stored => {
                        tracing::warn!(transaction = %id, "DynamoDB item is not the record this kiosk sent last");
                        Err(AwsError::Call {
                            operation: "dynamodb:UpdateItem",
                            code: SYNC_CONFLICT,
                            detail: format!(
                                "item {id} holds RecordSha256 {}, expected {previous_sha256}",
                                stored.as_deref().unwrap_or("(no item)")
                            ),
                            retryable: false,
                        })
                    }
                }
            }
            Err(err) => Err(AwsError::from_sdk("dynamodb:UpdateItem", &err)),
        }
    }

    /// The `RecordSha256` of transaction `id`'s item; `None` without item.
    pub fn record_sha256(&self, id: &uuid::Uuid) -> AwsResult<Option<String>> {
        Ok(self
            .get_item(&id.to_string())?
            .and_then(|item| match item.get("RecordSha256") {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            }))
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
        self.get_json(&id.to_string())
    }

    /// The item under key `key` as a JSON object, read consistently.
    pub(crate) fn get_json(&self, key: &str) -> AwsResult<Option<serde_json::Value>> {
        Ok(self.get_item(key)?.as_ref().map(item_json))
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

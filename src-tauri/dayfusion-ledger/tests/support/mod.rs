//! Helpers shared by the release and upgrade tests: synthetic transactions
//! (no biometric data), raw table reads and the SQL text dump.

#![allow(dead_code)]

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use dayfusion_ledger::SqliteLog;
use dayfusion_verify::{
    AuditEvent, Decision, Policy, PolicySet, Provider, Stage, Status, SyncState, Transaction,
    TransactionLog,
};
use rusqlite::Connection;
use rusqlite::types::Value;
use time::OffsetDateTime;
use uuid::Uuid;

pub type TestResult = Result<(), Box<dyn Error>>;
pub type AnyResult<T> = Result<T, Box<dyn Error>>;

pub fn policy() -> AnyResult<Policy> {
    let set = PolicySet::shipped()?;
    Ok(set.get("default").ok_or("no default policy")?.clone())
}

pub fn base_time() -> AnyResult<OffsetDateTime> {
    Ok(OffsetDateTime::from_unix_timestamp(1_750_000_000)?)
}

/// A started transaction of a synthetic customer.
pub fn transaction(created_at: OffsetDateTime) -> AnyResult<Transaction> {
    Ok(Transaction {
        transaction_id: Uuid::now_v7(),
        created_at,
        updated_at: created_at,
        kiosk_id: "kiosk-01".to_owned(),
        operator: Some("op-7".to_owned()),
        product: "account-opening".to_owned(),
        backend: Provider::Embedded,
        policy: policy()?.reference(),
        stage: Stage::Started,
        status: Status::InProgress,
        document: None,
        liveness_session_id: None,
        liveness: None,
        comparison: None,
        decision: None,
        abort_reason: None,
        sync: SyncState::NotReady,
        evidence_purged_at: None,
        consent: None,
        review: None,
    })
}

pub fn event(kind: &str, n: u32) -> AuditEvent {
    AuditEvent {
        kind: kind.to_owned(),
        data: serde_json::json!({ "n": n, "code": "ok" }),
    }
}

/// A transaction recorded as the flow does: started, then decided as
/// `status` with `sync`.
pub fn decided(
    log: &SqliteLog,
    created_at: OffsetDateTime,
    status: Status,
    sync: SyncState,
) -> AnyResult<Transaction> {
    let mut t = transaction(created_at)?;
    log.insert(&t, &event("transaction.started", 1))?;
    t.stage = Stage::Decided;
    t.status = status;
    t.sync = sync;
    t.updated_at = created_at + time::Duration::seconds(40);
    t.decision = Some(Decision {
        status,
        reasons: vec![format!("synthetic-{}", status.as_str().to_lowercase())],
        policy: policy()?,
        decided_at: t.updated_at,
    });
    log.update(&t, &event("decision.made", 2))?;
    Ok(t)
}

/// Checks that the chain verifies; returns its length.
pub fn chain_length(log: &SqliteLog) -> AnyResult<u64> {
    let report = log.verify_audit()?;
    if let Some(bad) = report.first_bad {
        return Err(format!("audit chain broken at {}: {}", bad.seq, bad.problem).into());
    }
    Ok(report.events)
}

/// The user tables of `conn`, in creation order.
pub fn tables(conn: &Connection) -> AnyResult<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         ORDER BY rowid",
    )?;
    let names = stmt
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// The columns of `table`.
pub fn columns(conn: &Connection, table: &str) -> AnyResult<Vec<String>> {
    let mut stmt = conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
    let names = stmt
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// The values of `columns` of every row of `table`, ordered by them.
pub fn rows(conn: &Connection, table: &str, columns: &[String]) -> AnyResult<Vec<Vec<Value>>> {
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let order = (1..=columns.len())
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = conn.prepare(&format!("SELECT {list} FROM \"{table}\" ORDER BY {order}"))?;
    let out = stmt
        .query_map([], |row| {
            (0..columns.len())
                .map(|i| row.get::<_, Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })?
        .collect::<Result<_, _>>()?;
    Ok(out)
}

pub fn user_version(conn: &Connection) -> AnyResult<u32> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// The whole database as SQL text that rebuilds it: `header` as comments,
/// the tables, their rows, then indexes and triggers, and the schema version.
pub fn dump_sql(conn: &Connection, header: &str) -> AnyResult<String> {
    let mut out = String::new();
    for line in header.lines() {
        writeln!(out, "-- {line}")?;
    }
    out.push_str("BEGIN;\n");
    let objects: Vec<(String, String, String)> = {
        let mut stmt = conn.prepare(
            "SELECT type, name, sql FROM sqlite_schema
             WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    for (kind, name, sql) in &objects {
        if kind != "table" {
            continue;
        }
        writeln!(out, "{sql};")?;
        let columns = columns(conn, name)?;
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\" ORDER BY rowid"))?;
        let mut result = stmt.query([])?;
        while let Some(row) = result.next()? {
            let values = (0..columns.len())
                .map(|i| row.get::<_, Value>(i).map(|v| sql_literal(&v)))
                .collect::<Result<Vec<_>, _>>()?;
            writeln!(out, "INSERT INTO \"{name}\" VALUES({});", values.join(","))?;
        }
    }
    for (kind, _, sql) in &objects {
        if kind != "table" {
            writeln!(out, "{sql};")?;
        }
    }
    writeln!(out, "PRAGMA user_version = {};", user_version(conn)?)?;
    out.push_str("COMMIT;\n");
    Ok(out)
}

fn sql_literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => format!("{r:?}"),
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Blob(b) => format!("X'{}'", hex_upper(b)),
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// Writes a fresh SQLite file at `path` from a SQL dump.
pub fn load_dump(path: &Path, sql: &str) -> AnyResult<()> {
    let conn = Connection::open(path)?;
    conn.execute_batch(sql)?;
    Ok(())
}

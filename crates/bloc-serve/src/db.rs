//! The SQLite store: one file, WAL, `synchronous = FULL`, schema migrations embedded in the
//! binary and applied in order on open (`PRAGMA user_version` counts those applied).
//!
//! Writes go through one connection (SQLite has one writer at a time anyway; a mutex makes
//! the queue explicit and each write one `IMMEDIATE` transaction). Reads use a second
//! connection, which WAL lets run beside the writer.

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// The schema, one migration per entry; never edit one that has shipped, add a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('reporter', 'secretariat')),
    member TEXT,
    entity TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    member TEXT NOT NULL,
    token_id INTEGER NOT NULL REFERENCES tokens(id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (entity, idempotency_key)
);
CREATE TABLE report_versions (
    report_id INTEGER NOT NULL REFERENCES reports(id),
    version INTEGER NOT NULL,
    commodity TEXT NOT NULL,
    origin TEXT NOT NULL,
    delivery_period TEXT NOT NULL,
    price_usd_per_t REAL NOT NULL,
    volume_t REAL NOT NULL,
    trade_date TEXT NOT NULL,
    incoterm TEXT NOT NULL,
    counterparty_type TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (report_id, version)
);
CREATE INDEX report_versions_period ON report_versions (delivery_period, commodity);
CREATE TABLE reference_prices (
    period TEXT NOT NULL,
    commodity TEXT NOT NULL,
    body TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (period, commodity)
);
CREATE TABLE schedules (
    period TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (period, version)
);
CREATE TABLE ledger_tx (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    tx_id INTEGER NOT NULL REFERENCES ledger_tx(id),
    account TEXT NOT NULL,
    unit TEXT NOT NULL,
    amount REAL NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (account, unit);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER reports_append_only BEFORE UPDATE ON reports BEGIN SELECT RAISE(ABORT, 'reports are append-only'); END;
CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports BEGIN SELECT RAISE(ABORT, 'reports are append-only'); END;
CREATE TRIGGER report_versions_append_only BEFORE UPDATE ON report_versions BEGIN SELECT RAISE(ABORT, 'reports are append-only'); END;
CREATE TRIGGER report_versions_no_delete BEFORE DELETE ON report_versions BEGIN SELECT RAISE(ABORT, 'reports are append-only'); END;
CREATE TRIGGER reference_immutable BEFORE UPDATE ON reference_prices BEGIN SELECT RAISE(ABORT, 'a published reference price is immutable'); END;
CREATE TRIGGER reference_no_delete BEFORE DELETE ON reference_prices BEGIN SELECT RAISE(ABORT, 'a published reference price is immutable'); END;
CREATE TRIGGER schedules_immutable BEFORE UPDATE ON schedules BEGIN SELECT RAISE(ABORT, 'a published schedule is immutable'); END;
CREATE TRIGGER schedules_no_delete BEFORE DELETE ON schedules BEGIN SELECT RAISE(ABORT, 'a published schedule is immutable'); END;
CREATE TRIGGER ledger_tx_append_only BEFORE UPDATE ON ledger_tx BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    // 2 (issue 15): token expiry and revocation; the ledger tables refuse deletes; no append-only
    // table can be rewritten by `INSERT OR REPLACE` (REPLACE deletes the conflicting row without
    // firing delete triggers, so an insert that would conflict is refused before it happens);
    // the postings are indexed by transaction.
    r#"
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
ALTER TABLE tokens ADD COLUMN revoked_at TEXT;
ALTER TABLE tokens ADD COLUMN demo INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER tokens_only_revoke BEFORE UPDATE ON tokens
  WHEN NEW.id IS NOT OLD.id OR NEW.hash IS NOT OLD.hash OR NEW.role IS NOT OLD.role
    OR NEW.member IS NOT OLD.member OR NEW.entity IS NOT OLD.entity OR NEW.created_at IS NOT OLD.created_at
    OR NEW.expires_at IS NOT OLD.expires_at OR NEW.demo IS NOT OLD.demo OR OLD.revoked_at IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'a token can only be revoked, once'); END;
CREATE TRIGGER tokens_no_replace BEFORE INSERT ON tokens
  WHEN EXISTS (SELECT 1 FROM tokens WHERE id = NEW.id OR hash = NEW.hash)
  BEGIN SELECT RAISE(ABORT, 'tokens cannot be replaced'); END;
CREATE TRIGGER ledger_tx_no_delete BEFORE DELETE ON ledger_tx BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER reports_no_replace BEFORE INSERT ON reports
  WHEN EXISTS (SELECT 1 FROM reports WHERE id = NEW.id OR (entity = NEW.entity AND idempotency_key = NEW.idempotency_key))
  BEGIN SELECT RAISE(ABORT, 'reports are append-only'); END;
CREATE TRIGGER report_versions_no_replace BEFORE INSERT ON report_versions
  WHEN EXISTS (SELECT 1 FROM report_versions WHERE report_id = NEW.report_id AND version = NEW.version)
  BEGIN SELECT RAISE(ABORT, 'reports are append-only'); END;
CREATE TRIGGER reference_no_replace BEFORE INSERT ON reference_prices
  WHEN EXISTS (SELECT 1 FROM reference_prices WHERE period = NEW.period AND commodity = NEW.commodity)
  BEGIN SELECT RAISE(ABORT, 'a published reference price is immutable'); END;
CREATE TRIGGER schedules_no_replace BEFORE INSERT ON schedules
  WHEN EXISTS (SELECT 1 FROM schedules WHERE period = NEW.period AND version = NEW.version)
  BEGIN SELECT RAISE(ABORT, 'a published schedule is immutable'); END;
CREATE TRIGGER ledger_tx_no_replace BEFORE INSERT ON ledger_tx
  WHEN EXISTS (SELECT 1 FROM ledger_tx WHERE id = NEW.id OR idempotency_key = NEW.idempotency_key)
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_entries_no_replace BEFORE INSERT ON ledger_entries
  WHEN EXISTS (SELECT 1 FROM ledger_entries WHERE id = NEW.id)
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
  WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE INDEX ledger_entries_tx ON ledger_entries (tx_id);
"#,
];

/// Opens (creating if needed) the database at `path` and brings its schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening database {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    anyhow::ensure!(
        mode.eq_ignore_ascii_case("wal"),
        "{}: could not switch to WAL (journal_mode = {mode})",
        path.display()
    );
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    migrate(&conn).with_context(|| format!("migrating database {}", path.display()))?;
    Ok(conn)
}

/// Applies the migrations not yet applied, each in its own transaction.
pub fn migrate(conn: &Connection) -> Result<()> {
    let done: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    anyhow::ensure!(
        done as usize <= MIGRATIONS.len(),
        "the database has schema version {done}, newer than this bloc ({}); use a newer bloc",
        MIGRATIONS.len()
    );
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))?;
    }
    Ok(())
}

/// The service's two connections: one writer, one reader.
#[derive(Debug)]
pub struct Db {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl Db {
    /// Opens both connections on `path`.
    pub fn open(path: &Path) -> Result<Db> {
        let writer = open(path)?;
        let reader = open(path)?;
        Ok(Db {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// The writer connection (held for one transaction).
    pub fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reader connection.
    pub fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Appends one row to the audit log (inside the caller's transaction).
pub fn audit(
    tx: &Connection,
    actor: &str,
    role: &str,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO audit (actor, role, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        (actor, role, action, target, detail.to_string()),
    )?;
    Ok(())
}

/// What [`check`] finds in a database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrity {
    /// `PRAGMA integrity_check` said `ok`.
    pub ok: bool,
    /// Reports with no version 1 (half-written; must be 0).
    pub reports_without_version: i64,
    /// Ledger transactions with no postings (half-written; must be 0).
    pub transactions_without_entries: i64,
}

/// Checks a database file for corruption and half-written rows.
pub fn check(path: &Path) -> Result<Integrity> {
    let conn = open(path)?;
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    let reports_without_version = conn.query_row(
        "SELECT COUNT(*) FROM reports r WHERE NOT EXISTS (SELECT 1 FROM report_versions v WHERE v.report_id = r.id AND v.version = 1)",
        [],
        |r| r.get(0),
    )?;
    let transactions_without_entries = conn.query_row(
        "SELECT COUNT(*) FROM ledger_tx t WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.tx_id = t.id)",
        [],
        |r| r.get(0),
    )?;
    Ok(Integrity {
        ok: ok == "ok",
        reports_without_version,
        transactions_without_entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_published_rows_are_immutable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let c = open(&path).unwrap();
        drop(c);
        let c = open(&path).unwrap(); // reopening applies nothing twice
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
        c.execute(
            "INSERT INTO schedules (period, version, body, content_hash) VALUES ('2026Q1', 1, '{}', 'h')",
            [],
        )
        .unwrap();
        let e = c
            .execute("UPDATE schedules SET body = '{\"x\":1}'", [])
            .unwrap_err();
        assert!(e.to_string().contains("immutable"), "{e}");
        assert!(c.execute("DELETE FROM schedules", []).is_err());
    }
}

//! The ledger's tables and their forward migrations. `PRAGMA user_version` is the schema
//! version: migration `i` takes a ledger from version `i` to `i + 1`, each in the transaction
//! that sets the new version, so a ledger is never half-migrated. A ledger newer than
//! [`VERSION`] is refused before anything is written to it.

use rusqlite::Connection;

/// The schema version this patchplan writes.
pub const VERSION: i64 = 3;

/// Migration `i` takes version `i` to `i + 1`.
const MIGRATIONS: [&str; VERSION as usize] = [V1, V2, V3];

/// Version 3: the outbox. One row per (notice, channel, recipient) that `send` delivers, with
/// its state, attempts and last error. `in_flight` is set (and committed) before a message goes
/// out and cleared with its result, so a run killed in between leaves the row marked: the next
/// run sends it again with the same `key` (Message-ID or Idempotency-Key).
const V3: &str = r#"
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    notice INTEGER NOT NULL REFERENCES notices(seq),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    recipient TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'gave_up')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    in_flight INTEGER NOT NULL DEFAULT 0 CHECK (in_flight IN (0, 1)),
    error TEXT,
    permanent INTEGER NOT NULL DEFAULT 0 CHECK (permanent IN (0, 1)),
    enqueued_at TEXT NOT NULL,
    last_attempt_at TEXT,
    next_attempt_at TEXT,
    sent_at TEXT,
    UNIQUE (notice, channel, recipient)
);
CREATE INDEX outbox_by_state ON outbox(state);
"#;

/// Version 2: where each run wrote its files (absolute), so that `complete` writes its notice
/// beside the plan's.
const V2: &str = "ALTER TABLE runs ADD COLUMN out TEXT;";

/// Version 1: runs, first sightings, windows with their state, notices with their files, and
/// every state change of a window.
const V1: &str = r#"
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    now TEXT NOT NULL,
    inventory_sha256 TEXT NOT NULL,
    feeds TEXT NOT NULL,
    findings INTEGER NOT NULL,
    windows INTEGER NOT NULL,
    notices INTEGER NOT NULL
);
CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    first_run INTEGER NOT NULL REFERENCES runs(id),
    last_run INTEGER NOT NULL REFERENCES runs(id)
);
CREATE TABLE windows (
    key TEXT PRIMARY KEY,
    customer TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('planned', 'emergency')),
    current_id TEXT NOT NULL,
    uid TEXT NOT NULL UNIQUE,
    sequence INTEGER NOT NULL CHECK (sequence >= 0),
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('planned', 'in_progress', 'completed', 'cancelled', 'failed')),
    facts TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    outcome_note TEXT,
    outcome_at TEXT,
    created_run INTEGER NOT NULL REFERENCES runs(id),
    updated_run INTEGER REFERENCES runs(id)
);
CREATE INDEX windows_by_state ON windows(state);
CREATE INDEX windows_by_current_id ON windows(current_id);
CREATE TABLE window_events (
    id INTEGER PRIMARY KEY,
    window_key TEXT NOT NULL REFERENCES windows(key),
    at TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('planned', 'in_progress', 'completed', 'cancelled', 'failed')),
    note TEXT,
    run INTEGER REFERENCES runs(id)
);
CREATE TABLE notices (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    window_key TEXT NOT NULL REFERENCES windows(key),
    customer TEXT NOT NULL,
    occurrence TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN
        ('scheduled', 'reminder', 'emergency', 'rescheduled', 'cancelled', 'completed')),
    uid TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    previous_start TEXT,
    previous_end TEXT,
    reminder TEXT,
    content_sha256 TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    run INTEGER REFERENCES runs(id)
);
CREATE INDEX notices_by_window ON notices(window_key);
CREATE TABLE notice_files (
    notice INTEGER NOT NULL REFERENCES notices(seq),
    path TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (notice, path)
);
"#;

/// The tables in an order that respects their foreign keys (export and import use it).
pub const TABLES: [&str; 7] = [
    "runs",
    "findings",
    "windows",
    "window_events",
    "notices",
    "notice_files",
    "outbox",
];

/// The schema version that created `table` (an export of an older version has no rows for it).
pub fn introduced(table: &str) -> i64 {
    match table {
        "outbox" => 3,
        _ => 1,
    }
}

/// The ledger's schema version (0 for a new, empty file).
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Applies the migrations from `from` up to `to`, and sets the version; call it inside a write
/// transaction.
pub fn migrate(conn: &Connection, from: i64, to: i64) -> rusqlite::Result<()> {
    for step in &MIGRATIONS[from as usize..to as usize] {
        conn.execute_batch(step)?;
    }
    conn.pragma_update(None, "user_version", to)
}

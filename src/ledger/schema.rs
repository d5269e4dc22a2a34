//! The ledger's tables and their forward migrations. `PRAGMA user_version` is the schema
//! version: migration `i` takes a ledger from version `i` to `i + 1`, each in the transaction
//! that sets the new version, so a ledger is never half-migrated. A ledger newer than
//! [`VERSION`] is refused before anything is written to it.

use rusqlite::Connection;

/// The schema version this patchplan writes.
pub const VERSION: i64 = 7;

/// `PRAGMA application_id` of a ledger ("PPLG"): tells a ledger from another program's SQLite
/// file. Ledgers written before it was set carry 0 and are recognised by their schema.
pub const APPLICATION_ID: i32 = 0x5050_4c47;

/// One migration: SQL, and for the ones that move data SQL cannot reshape, code after it.
type Migration = fn(&Connection) -> rusqlite::Result<()>;

/// Migration `i` takes version `i` to `i + 1`.
const MIGRATIONS: [Migration; VERSION as usize] = [
    |c| c.execute_batch(V1),
    |c| c.execute_batch(V2),
    |c| c.execute_batch(V3),
    |c| {
        c.execute_batch(V4)?;
        super::v4::move_rows(c)
    },
    // Version 5: a window's snapshot (the window as the run that wrote it planned it, JSON)
    // is stored zlib-compressed, a BLOB where it was TEXT: a fleet's run writes thousands of
    // windows of several KB each, about a fifth of that compressed. The migration compresses
    // the snapshots already stored; a snapshot still TEXT (a row imported from an export)
    // reads as before.
    super::store::compress_snapshots,
    // Version 6: a notice file's content is stored as text, no longer zlib-compressed (see
    // [`super::contents`]); the contents versions 4 and 5 compressed still read, so nothing
    // moves. The version says that a patchplan which reads only compressed contents may not
    // read this ledger.
    |_| Ok(()),
    // Version 7: beside each window's snapshot, the SHA-256 of its JSON (`snapshot_sha256`,
    // hex): a run tells that it leaves a snapshot as it was by the hash, instead of inflating
    // every stored snapshot to compare (a fleet's re-plan spent 0.2 s of CPU on that). The
    // migration hashes the snapshots already stored.
    super::store::hash_snapshots,
];

/// Version 4: first sightings and notice contents that scale to fleets.
///
/// A first sighting was a row per finding keyed by its `ENV:PACKAGE:ADVISORY` text, updated by
/// every run. Now environments and vulnerabilities are interned once, and a run adds one
/// `sightings` row per environment with anything new: the ids (a JSON array of
/// `sighting_vulns.id`, ascending) first seen there by that run at that time. A re-plan with
/// nothing new writes nothing. A notice file's content is stored once per distinct content,
/// zlib-compressed, under its SHA-256. [`super::v4`] moves the rows of version 3, and then drops
/// `findings` (its `last_run` was never read) and the old `notice_files`.
const V4: &str = r#"
CREATE TABLE sighting_envs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE sighting_vulns (
    id INTEGER PRIMARY KEY,
    package TEXT NOT NULL,
    advisory TEXT NOT NULL,
    UNIQUE (package, advisory)
);
CREATE TABLE sightings (
    id INTEGER PRIMARY KEY,
    env INTEGER NOT NULL REFERENCES sighting_envs(id),
    first_run INTEGER NOT NULL REFERENCES runs(id),
    first_seen TEXT NOT NULL,
    vulns TEXT NOT NULL
);
CREATE TABLE notice_contents (
    sha256 TEXT PRIMARY KEY,
    content BLOB NOT NULL
);
ALTER TABLE notice_files RENAME TO notice_files_v3;
CREATE TABLE notice_files (
    notice INTEGER NOT NULL REFERENCES notices(seq),
    path TEXT NOT NULL,
    content_sha256 TEXT NOT NULL REFERENCES notice_contents(sha256),
    PRIMARY KEY (notice, path)
);
"#;

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

/// Every table a ledger has had, in an order that respects their foreign keys (export and
/// import use it), with the versions that have it: from the first up to, not including, the
/// second.
const TABLES: [(&str, i64, i64); 11] = [
    ("runs", 1, i64::MAX),
    ("findings", 1, 4),
    ("sighting_envs", 4, i64::MAX),
    ("sighting_vulns", 4, i64::MAX),
    ("sightings", 4, i64::MAX),
    ("windows", 1, i64::MAX),
    ("window_events", 1, i64::MAX),
    ("notices", 1, i64::MAX),
    ("notice_contents", 4, i64::MAX),
    ("notice_files", 1, i64::MAX),
    ("outbox", 3, i64::MAX),
];

/// The tables of schema version `version`, in an order that respects their foreign keys.
pub fn tables(version: i64) -> impl Iterator<Item = &'static str> {
    TABLES
        .iter()
        .filter(move |(_, from, until)| (*from..*until).contains(&version))
        .map(|(name, _, _)| *name)
}

/// The ledger's schema version (0 for a new, empty file).
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Applies the migrations from `from` up to `to`, and sets the version and the application id;
/// call it inside a write transaction, with `0 <= from <= to <= VERSION` (as [`verify`] checks).
pub fn migrate(conn: &Connection, from: i64, to: i64) -> rusqlite::Result<()> {
    let (from, to) = (from.clamp(0, VERSION), to.clamp(0, VERSION));
    for step in &MIGRATIONS[from as usize..to.max(from) as usize] {
        step(conn)?;
    }
    conn.pragma_update(None, "user_version", to)?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)
}

/// Why the file behind `conn`, at schema version `found`, is not a ledger this patchplan may
/// use, or `None` when it is: a negative version, another program's application id or tables, a
/// schema other than the one its version had (a dropped or altered table), or damage that
/// SQLite's quick check or the foreign keys find. Reads only; a newer version is left to the
/// caller.
pub fn verify(conn: &Connection, found: i64) -> rusqlite::Result<Option<String>> {
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if found < 0 {
        return Ok(Some(format!(
            "schema version {found} is not a ledger version"
        )));
    }
    if app != 0 && app != APPLICATION_ID {
        return Ok(Some(format!(
            "application id {app:#x} belongs to another program (a ledger's is {APPLICATION_ID:#x})"
        )));
    }
    if found > VERSION {
        return Ok(None);
    }
    let have = objects(conn)?;
    let want = objects_at(found)?;
    if have != want {
        let relabelled = found == 0 && have == objects_at(VERSION)?;
        let what = match found {
            0 if relabelled => format!(
                "it has the tables of ledger schema version {VERSION} but says version 0 (PRAGMA user_version was reset)"
            ),
            0 => "an SQLite database of another program (it has tables but no ledger version)"
                .to_string(),
            v => format!("its tables are not those of ledger schema version {v}"),
        };
        return Ok(Some(what));
    }
    let (quick, orphans) = mapped(conn, |conn| {
        let quick: Vec<String> = strings(conn, "PRAGMA quick_check")?;
        let orphans = match quick == ["ok"] {
            true => strings(conn, "SELECT \"table\" FROM pragma_foreign_key_check")?,
            false => Vec::new(),
        };
        Ok((quick, orphans))
    })?;
    if quick != ["ok"] {
        return Ok(Some(format!("quick check: {}", quick.join("; "))));
    }
    if let Some(table) = orphans.first() {
        return Ok(Some(format!(
            "{} rows of `{table}` and others refer to missing rows",
            orphans.len()
        )));
    }
    Ok(None)
}

/// `read` on `conn` with the file read through a memory map: SQLite otherwise copies each
/// 4 KiB page out of the page cache with a system call of its own, and a check that reads
/// every page of a fleet's ledger (40,000 of them) spent most of its time doing that. The map
/// is dropped after, so its pages are not counted in the run's memory for the rest of the run.
/// The map only saves time: where it cannot be set or dropped, `read` goes on without it.
///
/// While mapped, a read error of the device (or the file cut short by another program) ends
/// the process with SIGBUS rather than an SQLite error (SQLite's documentation on memory-mapped
/// I/O): the map is held for the fraction of a second these reads take. The size asked for is
/// capped at what SQLite was built to allow (2 GiB).
pub fn mapped<T>(
    conn: &Connection,
    read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let _ = conn.execute_batch("PRAGMA mmap_size = 2147418112");
    let read = read(conn);
    let _ = conn.execute_batch("PRAGMA mmap_size = 0");
    read
}

/// [`objects`] of a new ledger at schema version `version`.
fn objects_at(version: i64) -> rusqlite::Result<Vec<String>> {
    let mem = Connection::open_in_memory()?;
    migrate(&mem, 0, version)?;
    objects(&mem)
}

/// The schema's tables, indexes and their SQL, sorted.
fn objects(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    strings(
        conn,
        "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    )
}

fn strings(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

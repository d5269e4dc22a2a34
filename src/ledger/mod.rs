//! The ledger: what was announced, to whom and when, so that every re-plan issues only what
//! changed and nothing announced is ever lost.
//!
//! It is an SQLite file (default `INVENTORY/.patchplan/ledger.db`) in WAL mode with foreign keys
//! on, versioned by `PRAGMA user_version` with forward migrations ([`schema`]). It records each
//! plan run (its `--now`, and hashes of the inventory and of each feed snapshot), each finding's
//! first sighting (the detection time its deadline counts from; [`sightings`] keeps a fleet's
//! millions as integers), each window announced with its state (`planned`, `in_progress`,
//! `completed`, `cancelled`, `failed`) and outcome, and each notice issued with its UID,
//! SEQUENCE, content hash and files ([`contents`] stores each distinct file content once,
//! compressed).
//!
//! A plan run is one `BEGIN IMMEDIATE` transaction from reading what the ledger remembers to
//! recording what it issued, so two runs on one ledger never both write: the second waits for
//! the first (up to [`BUSY_TIMEOUT_SECS`]) and then sees its records, or fails saying the ledger
//! is locked. A run killed at any point leaves the last committed state, and notice files are
//! written only after the transaction that records them commits ([`store`] keeps their contents,
//! so a later run rewrites any that is missing). [`diff`] decides what a new plan issues;
//! [`outbox`] records what `send` delivered of it.

pub mod contents;
pub mod diff;
pub mod export;
pub mod hash;
pub mod history;
pub mod issue;
pub mod outbox;
pub mod published;
pub mod schema;
pub mod sightings;
pub mod store;
mod v4;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use crate::ledger_error::{BUSY_TIMEOUT_SECS, LedgerError};

/// The ledger's result type.
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;

/// An open ledger.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    /// A checkpoint running beside the rest of the run ([`Ledger::commit_checkpoint_beside`]),
    /// waited for before the connection closes.
    checkpoint: std::cell::RefCell<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if let Some(beside) = self.checkpoint.take() {
            let _ = beside.join();
        }
    }
}

/// The ledger of an inventory when `--ledger` does not name one.
pub fn default_path(inventory: &Path) -> PathBuf {
    inventory.join(".patchplan").join("ledger.db")
}

impl Ledger {
    /// Opens the ledger at `path` for writing, creating it (and its directory) when missing and
    /// migrating it forward. A file that is not a ledger, or a newer one, is refused untouched.
    pub fn open(path: &Path) -> Result<Ledger> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        // Switching a new file to WAL mode, and creating its schema, can meet another run doing
        // the same; SQLite then reports the lock at once instead of waiting for it. So the
        // opening is retried, within the same busy timeout a run's transaction waits.
        let deadline = std::time::Instant::now() + Duration::from_secs(BUSY_TIMEOUT_SECS);
        loop {
            match Ledger::open_once(path) {
                Err(LedgerError::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                done => return done,
            }
        }
    }

    fn open_once(path: &Path) -> Result<Ledger> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let ledger = Ledger::connect(path, flags)?;
        let found = ledger.verified_version()?;
        ledger.pragmas()?;
        if found < schema::VERSION {
            ledger.migrate()?;
        } else if ledger.application_id()? == 0 {
            // A ledger from before the application id: recognised by its schema, now labelled.
            ledger
                .conn
                .pragma_update(None, "application_id", schema::APPLICATION_ID)
                .map_err(|e| ledger.err(e))?;
        }
        Ok(ledger)
    }

    /// Opens an existing ledger read-only; `None` when there is no file at `path`.
    pub fn open_existing(path: &Path) -> Result<Option<Ledger>> {
        if !path.exists() {
            return Ok(None);
        }
        let ledger = Ledger::connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let found = ledger.verified_version()?;
        if found < schema::VERSION {
            return Err(LedgerError::Older {
                path: path.to_path_buf(),
                found,
                supported: schema::VERSION,
            });
        }
        Ok(Some(ledger))
    }

    /// An existing ledger that needs nothing before a run can use it (the current schema
    /// version, labelled with the application id), opened read-write and verified like
    /// [`Ledger::open`]; `None` when there is no file at `path` or it needs
    /// [`Ledger::open`]'s migration or label. A fleet's ledger takes a fraction of a second to
    /// verify: a run opens it so while its inventory loads.
    pub fn open_current(path: &Path) -> Result<Option<Ledger>> {
        if !path.exists() {
            return Ok(None);
        }
        let ledger = Ledger::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let found = ledger.verified_version()?;
        if found != schema::VERSION || ledger.application_id()? == 0 {
            return Ok(None);
        }
        ledger.pragmas()?;
        Ok(Some(ledger))
    }

    /// [`Ledger::open_existing`], where a missing ledger is an error.
    pub fn open_required(path: &Path) -> Result<Ledger> {
        Ledger::open_existing(path)?.ok_or_else(|| LedgerError::Missing {
            path: path.to_path_buf(),
        })
    }

    /// A new ledger file at `path` with no schema yet (for `ledger import`).
    pub(crate) fn create_empty(path: &Path) -> Result<Ledger> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let ledger = Ledger::connect(path, flags)?;
        ledger.pragmas()?;
        Ok(ledger)
    }

    /// An empty ledger in memory: what a dry run compares with when there is no ledger yet.
    pub fn in_memory() -> Result<Ledger> {
        let ledger = Ledger::connect(Path::new(":memory:"), OpenFlags::default())?;
        ledger.migrate()?;
        Ok(ledger)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Ledger> {
        // SQLite would wait forever on a named pipe, and cannot use a device or directory.
        if path != Path::new(":memory:")
            && let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
        {
            return Err(LedgerError::NotALedger {
                path: path.to_path_buf(),
                why: "not a regular file".into(),
            });
        }
        let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| LedgerError::sql(path, e))?;
        let ledger = Ledger {
            conn,
            path: path.to_path_buf(),
            checkpoint: Default::default(),
        };
        ledger
            .conn
            .busy_timeout(Duration::from_secs(BUSY_TIMEOUT_SECS))
            .map_err(|e| ledger.err(e))?;
        Ok(ledger)
    }

    fn version(&self) -> Result<i64> {
        schema::version(&self.conn).map_err(|e| self.err(e))
    }

    /// The schema version, once [`schema::verify`] finds the file a sound ledger of that version
    /// (or a new, empty file); anything else is refused before a byte is written.
    fn verified_version(&self) -> Result<i64> {
        // The version and the tables from one state of the file: another run may be creating
        // its schema meanwhile (its tables and version are committed together).
        self.begin_read()?;
        let checked = self.version().and_then(|found| {
            Ok((
                found,
                schema::verify(&self.conn, found).map_err(|e| self.err(e))?,
            ))
        });
        self.commit()?;
        let (found, problem) = checked?;
        if let Some(why) = problem {
            return Err(LedgerError::NotALedger {
                path: self.path.clone(),
                why,
            });
        }
        self.refuse_newer(found)?;
        Ok(found)
    }

    fn application_id(&self) -> Result<i32> {
        self.conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn refuse_newer(&self, found: i64) -> Result<()> {
        if found > schema::VERSION {
            return Err(LedgerError::Newer {
                path: self.path.clone(),
                found,
                supported: schema::VERSION,
            });
        }
        Ok(())
    }

    fn pragmas(&self) -> Result<()> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") && self.path != Path::new(":memory:") {
            return Err(LedgerError::Damaged {
                path: self.path.clone(),
                detail: format!("cannot use WAL mode (journal mode is {mode})"),
            });
        }
        self.conn
            // No checkpoint at each commit: the connection's close makes one (the last to close
            // copies the log into the database and deletes it), and a plan run has it made beside
            // its last steps (see `commit_checkpoint_beside`). A fleet's first plan writes
            // 250 MB, whose copy took half a second of its commit.
            .execute_batch(
                "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;",
            )
            .map_err(|e| self.err(e))
    }

    /// Brings the schema to [`schema::VERSION`] in one write transaction; the version is read
    /// again inside it, since another run may have migrated meanwhile.
    fn migrate(&self) -> Result<()> {
        self.begin()?;
        let found = self.version()?;
        self.refuse_newer(found)?;
        schema::migrate(&self.conn, found, schema::VERSION).map_err(|e| self.err(e))?;
        self.commit()?;
        if (1..4).contains(&found) {
            // Version 4 stores a fleet's first sightings and notice contents in a fraction of
            // the room: give the rest back to the file system, once.
            self.conn.execute_batch("VACUUM").map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Starts the write transaction of a run: waits for another run's to end, up to the busy
    /// timeout.
    pub fn begin(&self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))
    }

    /// Starts a read transaction: what is read until it ends is one state of the ledger.
    pub fn begin_read(&self) -> Result<()> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))
    }

    /// What changes whenever a run, an outcome or a reopening is recorded (runs and window
    /// events only grow): two equal fingerprints read the same windows and sightings.
    pub fn fingerprint(&self) -> Result<(Option<i64>, Option<i64>, i64)> {
        self.conn
            .query_row(
                "SELECT (SELECT max(id) FROM runs), (SELECT max(rowid) FROM window_events), (SELECT count(*) FROM window_events)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| self.err(e))
    }

    /// Commits the run's transaction (or ends a read transaction, [`Ledger::begin_read`]).
    pub fn commit(&self) -> Result<()> {
        self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))
    }

    /// [`Ledger::commit`], then copies the write-ahead log into the database on a connection
    /// and thread of its own, while this one goes on (reading, or idle): the commit is durable
    /// once the log is synced, and the close then finds little left to copy. A checkpoint that
    /// cannot run (busy) is left to the close.
    pub fn commit_checkpoint_beside(&self) -> Result<()> {
        self.commit()?;
        if self.path == Path::new(":memory:") || self.checkpoint.borrow().is_some() {
            return Ok(());
        }
        let path = self.path.clone();
        let beside = std::thread::spawn(move || {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            if let Ok(conn) = Connection::open_with_flags(&path, flags) {
                let _ = conn.busy_timeout(Duration::from_secs(1));
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        });
        *self.checkpoint.borrow_mut() = Some(beside);
        Ok(())
    }

    /// The ledger's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> LedgerError {
        LedgerError::sql(&self.path, e)
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`, and the references SQLite cannot
    /// check: each sighting's vulnerabilities, each notice content's hash, each window snapshot's
    /// hash. The problems found (none when the ledger is sound), and the schema version.
    pub fn check(&self) -> Result<(i64, Vec<String>)> {
        let mut problems: Vec<String> = self.strings("PRAGMA integrity_check")?;
        problems.retain(|p| p != "ok");
        let fk = self.strings("SELECT \"table\" || ' row ' || rowid || ' refers to a missing ' || parent FROM pragma_foreign_key_check")?;
        problems.extend(fk);
        if problems.is_empty() {
            problems.extend(self.sighting_problems()?);
            problems.extend(self.content_problems()?);
            if self.version()? >= 7 {
                problems.extend(self.snapshot_problems()?);
            }
        }
        Ok((self.version()?, problems))
    }

    fn strings(&self, sql: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }
}

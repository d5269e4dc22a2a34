//! What can go wrong with a ledger, each with the path and what to do about it. SQLite's own
//! error codes are sorted into these (busy -> [`LedgerError::Locked`], not a database ->
//! [`LedgerError::NotALedger`], corrupt -> [`LedgerError::Damaged`]) so that a user reads a
//! sentence, not an error code.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// Everything that can stop a ledger operation. All of these exit with code 2.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The file is not an SQLite database, or not a sound ledger.
    #[error(
        "{}: not a patchplan ledger ({why}); it was left untouched: move it away or pass --ledger PATH (or restore it from `patchplan ledger export` output with `ledger import`)",
        .path.display()
    )]
    NotALedger { path: PathBuf, why: String },
    /// Written by a newer patchplan.
    #[error(
        "{}: ledger schema version {found} is newer than this patchplan supports ({supported}); it was left untouched: use a newer patchplan",
        .path.display()
    )]
    Newer {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// Another run holds the write lock longer than the busy timeout.
    #[error(
        "{}: the ledger is locked by another patchplan run (waited {secs} s); nothing was recorded: try again when it has finished",
        .path.display()
    )]
    Locked { path: PathBuf, secs: u64 },
    /// SQLite found the file damaged.
    #[error("{}: the ledger is damaged: {detail}; restore it from `patchplan ledger export` output with `ledger import`", .path.display())]
    Damaged { path: PathBuf, detail: String },
    /// Written by an older patchplan and not yet migrated (read-only commands do not migrate).
    #[error(
        "{}: ledger schema version {found} is older than this patchplan's ({supported}); run `patchplan plan` once to migrate it",
        .path.display()
    )]
    Older {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// The ledger's directory or a file it needs could not be made.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No ledger where one is needed.
    #[error("{}: no ledger here (`patchplan plan` creates it; --ledger PATH names another)", .path.display())]
    Missing { path: PathBuf },
    /// Any other SQLite failure.
    #[error("{}: {source}", .path.display())]
    Sql {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The ledger has no window by that id.
    #[error(
        "no window `{0}` in the ledger (give a window id from plan.json or `patchplan history`)"
    )]
    UnknownWindow(String),
    /// The window's outcome is already recorded, or it was cancelled.
    #[error("window `{window}` is already {state}; its outcome cannot change")]
    Closed { window: String, state: String },
    /// An outcome for a window that has not started yet.
    #[error(
        "window `{window}` starts at {} (UTC), after now ({}): an outcome can be recorded only once it has started",
        .start.format("%Y-%m-%d %H:%M"),
        .now.format("%Y-%m-%d %H:%M")
    )]
    NotStarted {
        window: String,
        start: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    },
    /// A plan, outcome or reopening at a time before the ledger's latest run or recorded
    /// outcome: it would rewrite history.
    #[error(
        "{}: --now {} is before the ledger's latest {what} ({}): time only moves forward in a ledger (first sightings, announcements and outcomes would move back); use {} or later, or another --ledger",
        .path.display(),
        .now.to_rfc3339(),
        .latest.to_rfc3339(),
        .latest.to_rfc3339()
    )]
    Backwards {
        path: PathBuf,
        now: chrono::DateTime<chrono::Utc>,
        latest: chrono::DateTime<chrono::Utc>,
        /// `run`, or `recorded outcome or reopening` (by `complete` or `reopen`).
        what: &'static str,
    },
    /// A reopen of a window whose outcome is not recorded.
    #[error("window `{window}` is {state}: only a completed or failed window can be reopened")]
    NotClosed { window: String, state: String },
    /// An export that cannot be imported.
    #[error("{}: {message}", .path.display())]
    Import { path: PathBuf, message: String },
}

/// How long a run waits for another run's write lock before giving up.
pub const BUSY_TIMEOUT_SECS: u64 = 10;

impl LedgerError {
    /// Sorts an SQLite error on the ledger at `path` into a variant a user can act on.
    pub fn sql(path: &Path, source: rusqlite::Error) -> LedgerError {
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => LedgerError::Locked {
                path,
                secs: BUSY_TIMEOUT_SECS,
            },
            Some(ErrorCode::NotADatabase) => LedgerError::NotALedger {
                path,
                why: "the file is not an SQLite database".into(),
            },
            Some(ErrorCode::DatabaseCorrupt) => LedgerError::Damaged {
                path,
                detail: source.to_string(),
            },
            _ => LedgerError::Sql { path, source },
        }
    }
}

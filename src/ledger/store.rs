//! Reading and writing the ledger's rows. Everything here runs inside the caller's transaction;
//! times are stored as RFC 3339 UTC text (which sorts as time does).

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, Row, params};

use super::contents::{Deflater, Inflater, StoredFile};
use super::diff::{Issue, LedgerWindow, WindowState, WindowWrite};
use super::{Ledger, LedgerError, Result};

/// A time as the ledger stores it.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

/// A plan run as recorded.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub recorded_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub inventory_sha256: String,
    /// JSON: each feed snapshot used, with its hash.
    pub feeds: String,
    pub findings: i64,
    pub windows: i64,
    pub notices: i64,
    /// Where the run wrote plan.json and the notices (absolute).
    pub out: Option<String>,
}

/// A rendered notice's files and their hash, as recorded.
#[derive(Debug, Clone)]
pub struct NoticeFiles<'a> {
    pub files: Vec<StoredFile<'a>>,
    /// Hex SHA-256 of every file's path and content together.
    pub sha256: String,
}

pub(super) const WINDOW_COLUMNS: &str =
    "w.key, w.uid, w.sequence, w.state, w.snapshot, w.facts, w.snapshot_sha256";

impl Ledger {
    /// The windows whose story is not over (`planned` or `in_progress`), by start.
    pub fn open_windows(&self) -> Result<Vec<LedgerWindow>> {
        self.windows("WHERE w.state IN ('planned', 'in_progress')")
    }

    /// [`Ledger::open_windows`] for a plan run at `now`: a planned window that has not started is
    /// read from its row, its snapshot left compressed ([`LedgerWindow::pending`]) until read.
    pub fn open_windows_for_run(&self, now: DateTime<Utc>) -> Result<Vec<LedgerWindow>> {
        self.windows_read(
            "WHERE w.state IN ('planned', 'in_progress')",
            &[],
            Some(now),
        )
    }

    /// The windows that `filter` (a WHERE clause on `windows w`, or nothing) selects, by start
    /// then key. A fleet's snapshots run to tens of MB of JSON: they are read on every core,
    /// and sorted here rather than by SQLite, which would sort them along.
    pub(super) fn windows(&self, filter: &str) -> Result<Vec<LedgerWindow>> {
        self.windows_written(filter, &[])
    }

    /// [`Ledger::windows`], where the windows this run wrote (`written`, in its open
    /// transaction) are taken from the run instead of parsed back from their snapshots: each
    /// snapshot is `written`'s window as serialised, and a fleet's are 90 MB of JSON.
    pub(super) fn windows_written(
        &self,
        filter: &str,
        written: &[WindowWrite],
    ) -> Result<Vec<LedgerWindow>> {
        self.windows_read(filter, written, None)
    }

    /// [`Ledger::windows_written`]; with `before`, a planned window that starts after it is
    /// read from its row (see [`Ledger::open_windows_for_run`]).
    fn windows_read(
        &self,
        filter: &str,
        written: &[WindowWrite],
        before: Option<DateTime<Utc>>,
    ) -> Result<Vec<LedgerWindow>> {
        use rayon::prelude::*;
        let written: rustc_hash::FxHashMap<&str, &WindowWrite> =
            written.iter().map(|w| (w.key.as_str(), w)).collect();
        let sql = format!(
            "SELECT {WINDOW_COLUMNS}, w.start, w.current_id, w.customer, w.kind, w.end FROM windows w {filter}"
        );
        let mut stmt = self.conn().prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let columns = Columns {
                    id: r.get(8)?,
                    customer: r.get(9)?,
                    kind: r.get(10)?,
                    start: r.get(7)?,
                    end: r.get(11)?,
                };
                Ok((columns, RawWindow::read(r)?))
            })
            .map_err(|e| self.err(e))?;
        let mut raw: Vec<(Columns, RawWindow)> = rows
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))?;
        raw.sort_unstable_by(|a, b| (&a.0.start, &a.1.key).cmp(&(&b.0.start, &b.1.key)));
        (raw.into_par_iter())
            .map_init(Inflater::default, |z, (columns, w)| {
                match (written.get(w.key.as_str()), before) {
                    (Some(run), _) => w.parse_with(run.window.clone()),
                    (None, Some(now)) if w.state == WindowState::Planned.as_str() => {
                        w.parse_lazily(z, columns, now)
                    }
                    (None, _) => w.parse_in(z),
                }
            })
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// The window with key or current occurrence id `id` (an open one first).
    pub fn window(&self, id: &str) -> Result<LedgerWindow> {
        let sql = format!(
            "SELECT {WINDOW_COLUMNS} FROM windows w WHERE w.key = ?1 OR w.current_id = ?1 ORDER BY w.key = ?1 DESC, w.state IN ('planned', 'in_progress') DESC LIMIT 1"
        );
        self.conn()
            .query_row(&sql, [id], window_row)
            .optional()
            .map_err(|e| self.err(e))?
            .ok_or_else(|| LedgerError::UnknownWindow(id.to_string()))
    }

    /// The `--now` of the latest run, if any.
    pub fn latest_now(&self) -> Result<Option<DateTime<Utc>>> {
        let latest: Option<String> = self
            .conn()
            .query_row("SELECT max(now) FROM runs", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        latest
            .map(|t| parse_ts(&t).map_err(|e| self.err(e)))
            .transpose()
    }

    /// Refuses `now` when it is before the ledger's latest run or window event (an outcome or
    /// reopening that `complete` or `reopen` recorded): time only moves forward in a ledger.
    pub fn refuse_backwards(&self, now: DateTime<Utc>) -> Result<()> {
        let event: Option<String> = self
            .conn()
            .query_row("SELECT max(at) FROM window_events", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let event = (event.map(|t| parse_ts(&t).map_err(|e| self.err(e)))).transpose()?;
        // A run's own events are at its `now`: the run is named (the last of equals).
        let latest = [
            (event, "recorded outcome or reopening"),
            (self.latest_now()?, "run"),
        ]
        .into_iter()
        .filter_map(|(t, what)| Some((t?, what)))
        .max_by_key(|(t, _)| *t);
        match latest {
            Some((latest, what)) if now < latest => Err(crate::ledger::LedgerError::Backwards {
                path: self.path().to_path_buf(),
                now,
                latest,
                what,
            }),
            _ => Ok(()),
        }
    }

    /// Where the latest run that says so wrote its files.
    pub fn last_out(&self) -> Result<Option<std::path::PathBuf>> {
        let out: Option<String> = self
            .conn()
            .query_row(
                "SELECT out FROM runs WHERE out IS NOT NULL ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(out.map(std::path::PathBuf::from))
    }

    /// Every window key used so far.
    pub fn keys(&self) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT key FROM windows")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// Records a run; returns its id.
    pub fn insert_run(&self, run: &RunRow) -> Result<i64> {
        self.conn()
            .execute(
                "INSERT INTO runs (recorded_at, now, inventory_sha256, feeds, findings, windows, notices, out) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![ts(run.recorded_at), ts(run.now), run.inventory_sha256, run.feeds, run.findings, run.windows, run.notices, run.out],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Sets how many notices run `run` issued.
    pub fn set_run_notices(&self, run: i64, notices: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE runs SET notices = ?2 WHERE id = ?1",
                params![run, notices],
            )
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Inserts or updates windows, with an event for each change of state. A window the run
    /// leaves as it was is not rewritten (a fleet re-plan rewrote tens of MB of snapshots), so
    /// `updated_run` is the last run that changed it; one whose row and snapshot hash are known
    /// to be as stored ([`WindowWrite::same_row`], [`Made::unchanged`]) is not even looked up.
    /// `snapshots` are the windows' snapshots, one per window (see [`snapshots`]).
    pub(super) fn write_windows(
        &self,
        run: Option<i64>,
        now: DateTime<Utc>,
        windows: &[WindowWrite],
        snapshots: &[Made<'_>],
    ) -> Result<()> {
        debug_assert_eq!(windows.len(), snapshots.len());
        let mut upsert = self
            .conn()
            .prepare_cached(
                "INSERT INTO windows (key, customer, kind, current_id, uid, sequence, start, end, state, facts, snapshot, snapshot_sha256, created_run, updated_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
                 ON CONFLICT(key) DO UPDATE SET current_id = excluded.current_id, sequence = excluded.sequence,
                   start = excluded.start, end = excluded.end, state = excluded.state, facts = excluded.facts,
                   snapshot = excluded.snapshot, snapshot_sha256 = excluded.snapshot_sha256, updated_run = excluded.updated_run
                 WHERE (current_id, sequence, start, end, state, facts, snapshot, snapshot_sha256) IS NOT
                   (excluded.current_id, excluded.sequence, excluded.start, excluded.end, excluded.state, excluded.facts, excluded.snapshot, excluded.snapshot_sha256)",
            )
            .map_err(|e| self.err(e))?;
        for (w, snapshot) in windows.iter().zip(snapshots) {
            if w.same_row && snapshot.unchanged {
                continue;
            }
            let kind = match w.window.kind {
                crate::schedule::WindowKind::Planned => "planned",
                crate::schedule::WindowKind::Emergency => "emergency",
            };
            upsert
                .execute(params![
                    w.key,
                    w.window.customer,
                    kind,
                    w.window.id,
                    w.uid,
                    w.sequence,
                    ts(w.window.start),
                    ts(w.window.end),
                    w.state.as_str(),
                    w.facts,
                    &*snapshot.deflated,
                    snapshot.sha256,
                    run
                ])
                .map_err(|e| self.err(e))?;
            if w.changed_state {
                self.event(&w.key, now, w.state, None, run)?;
            }
        }
        Ok(())
    }

    /// Each window whose snapshot does not inflate, or whose SHA-256 is not the one beside it
    /// (schema version 7 on: a run that found the hash the same would keep a snapshot that is
    /// not the window's).
    pub(super) fn snapshot_problems(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT key, snapshot, snapshot_sha256 FROM windows ORDER BY key")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, Snapshot::read(r, 1)?, r.get(2)?))
            })
            .map_err(|e| self.err(e))?;
        let mut z = Inflater::default();
        let mut problems = Vec::new();
        for row in rows {
            let (key, snapshot, sha256): (String, Snapshot, Option<String>) =
                row.map_err(|e| self.err(e))?;
            match (snapshot.sha256(&mut z), sha256) {
                (Err(e), _) => problems.push(format!("window {key}: snapshot: {e}")),
                (Ok(actual), Some(sha256)) if actual != sha256 => problems.push(format!(
                    "window {key}: its snapshot does not have the SHA-256 {sha256}"
                )),
                _ => {}
            }
        }
        Ok(problems)
    }

    /// Records a change of a window's state.
    pub fn event(
        &self,
        key: &str,
        at: DateTime<Utc>,
        state: WindowState,
        note: Option<&str>,
        run: Option<i64>,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO window_events (window_key, at, state, note, run) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut stmt| stmt.execute(params![key, ts(at), state.as_str(), note, run]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records a window's outcome.
    pub fn set_outcome(
        &self,
        key: &str,
        at: DateTime<Utc>,
        state: WindowState,
        note: Option<&str>,
    ) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE windows SET state = ?2, outcome_note = ?3, outcome_at = ?4 WHERE key = ?1",
                params![key, state.as_str(), note, ts(at)],
            )
            .map_err(|e| self.err(e))?;
        self.event(key, at, state, note, None)
    }

    /// Undoes a recorded outcome: the window is in progress again, one SEQUENCE later (its next
    /// `completed` notice is a new one); the undone outcome stays in the window's events.
    pub fn reopen(&self, key: &str, at: DateTime<Utc>, note: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE windows SET state = 'in_progress', outcome_note = NULL, outcome_at = NULL, sequence = sequence + 1 WHERE key = ?1",
                params![key],
            )
            .map_err(|e| self.err(e))?;
        self.event(key, at, WindowState::InProgress, Some(note), None)
    }

    /// Records a notice issued at `at` with its files.
    pub fn insert_notice(
        &self,
        run: Option<i64>,
        at: DateTime<Utc>,
        n: &Issue,
        customer: &str,
        files: &NoticeFiles<'_>,
    ) -> Result<()> {
        let previous = n.previous.map(|(s, e)| (ts(s), ts(e)));
        self.conn()
            .prepare_cached(
                "INSERT INTO notices (id, window_key, customer, occurrence, kind, uid, sequence, window_start, window_end, previous_start, previous_end, reminder, content_sha256, issued_at, run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![n.id, n.key, customer, n.window.id, n.kind.as_str(), n.uid, n.sequence, ts(n.window.start), ts(n.window.end),
                    previous.as_ref().map(|p| &p.0), previous.as_ref().map(|p| &p.1), n.reminder, files.sha256, ts(at), run])
            })
            .map_err(|e| self.err(e))?;
        self.insert_files(self.conn().last_insert_rowid(), &files.files)
    }
}

/// A window's snapshot as the ledger holds it: compressed, and the SHA-256 of its JSON (hex)
/// where the row has it (schema version 7; a row imported without it has none).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSnapshot {
    pub deflated: Vec<u8>,
    pub sha256: Option<String>,
}

/// A window's snapshot as [`Ledger::write_windows`] stores it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Made<'a> {
    /// The JSON, zlib-compressed: the stored bytes, where they are kept.
    pub deflated: std::borrow::Cow<'a, [u8]>,
    /// The SHA-256 of the JSON, hex.
    pub sha256: String,
    /// The ledger holds this snapshot with this hash already.
    pub unchanged: bool,
}

/// Each window's snapshot as [`Ledger::write_windows`] stores it, made on every core: a fleet's
/// run to tens of MB of JSON. A window whose stored snapshot ([`WindowWrite::stored`]) has the
/// same hash keeps those bytes, as does one without a hash that inflates to the same JSON:
/// hashing is a fraction of what inflating costs, and that a fraction of what compressing
/// does, and a re-plan leaves most windows as they were.
pub(super) fn snapshots(windows: &[WindowWrite]) -> Vec<Made<'_>> {
    use rayon::prelude::*;
    (windows.par_iter())
        .map_init(
            || (Deflater::default(), Inflater::default()),
            |(z, unz), w| {
                let json = crate::schedule::json::window_vec(&w.window);
                let sha256 = crate::digest::sha256_hex(&json);
                let stored = w.stored.as_ref();
                let by_hash = stored.filter(|s| s.sha256.as_deref() == Some(sha256.as_str()));
                let kept = by_hash.or_else(|| {
                    stored.filter(|s| {
                        s.sha256.is_none()
                            && (unz.inflate(s.deflated.clone())).is_ok_and(|t| t.as_bytes() == json)
                    })
                });
                Made {
                    deflated: kept
                        .map_or_else(|| z.deflate(&json).into(), |s| s.deflated.as_slice().into()),
                    sha256,
                    unchanged: by_hash.is_some(),
                }
            },
        )
        .collect()
}

/// Migration to schema version 5: every snapshot stored as text, compressed.
pub(super) fn compress_snapshots(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let texts: Vec<(String, String)> = conn
        .prepare("SELECT key, snapshot FROM windows WHERE typeof(snapshot) = 'text'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = conn.prepare("UPDATE windows SET snapshot = ?2 WHERE key = ?1")?;
    let mut z = Deflater::default();
    for (key, text) in texts {
        update.execute(params![key, z.deflate(&text)])?;
    }
    Ok(())
}

/// Migration to schema version 7: every window's `snapshot_sha256`, the SHA-256 of its
/// snapshot's JSON.
pub(super) fn hash_snapshots(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute_batch("ALTER TABLE windows ADD COLUMN snapshot_sha256 TEXT")?;
    let snapshots: Vec<(String, Snapshot)> = conn
        .prepare("SELECT key, snapshot FROM windows")?
        .query_map([], |r| Ok((r.get(0)?, Snapshot::read(r, 1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = conn.prepare("UPDATE windows SET snapshot_sha256 = ?2 WHERE key = ?1")?;
    let mut z = Inflater::default();
    for (key, snapshot) in snapshots {
        update.execute(params![key, snapshot.sha256(&mut z)?])?;
    }
    Ok(())
}

/// A snapshot column as read: compressed JSON, or (a row imported from an export) the JSON
/// itself. Inflated when parsed, on the pool.
#[derive(Debug, Clone)]
enum Snapshot {
    Deflated(Vec<u8>),
    Text(String),
}

impl Snapshot {
    /// Column `i` of `r`.
    fn read(r: &Row, i: usize) -> rusqlite::Result<Snapshot> {
        match r.get_ref(i)? {
            rusqlite::types::ValueRef::Blob(b) => Ok(Snapshot::Deflated(b.to_vec())),
            _ => r.get(i).map(Snapshot::Text),
        }
    }

    /// The SHA-256 (hex) of the JSON it holds.
    fn sha256(self, z: &mut Inflater) -> rusqlite::Result<String> {
        Ok(crate::digest::sha256_hex(self.text(z)?.as_bytes()))
    }

    fn text(self, z: &mut Inflater) -> rusqlite::Result<String> {
        match self {
            Snapshot::Text(t) => Ok(t),
            Snapshot::Deflated(b) => z.inflate(b).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Blob, e.into())
            }),
        }
    }
}

pub(super) fn window_row(r: &Row) -> rusqlite::Result<LedgerWindow> {
    RawWindow::read(r)?.parse()
}

/// A window's row as read, its state and snapshot not parsed yet.
struct RawWindow {
    key: String,
    uid: String,
    sequence: u32,
    state: String,
    snapshot: Snapshot,
    facts: String,
    /// The SHA-256 of the snapshot's JSON (hex), where the row has it (schema version 7).
    sha256: Option<String>,
}

/// A window row's column that does not read as expected.
fn bad(e: Box<dyn std::error::Error + Send + Sync>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e)
}

impl RawWindow {
    /// The [`WINDOW_COLUMNS`] of `r`.
    fn read(r: &Row) -> rusqlite::Result<RawWindow> {
        Ok(RawWindow {
            key: r.get(0)?,
            uid: r.get(1)?,
            sequence: r.get(2)?,
            state: r.get(3)?,
            snapshot: Snapshot::read(r, 4)?,
            facts: r.get(5)?,
            sha256: r.get(6)?,
        })
    }

    fn parse(self) -> rusqlite::Result<LedgerWindow> {
        self.parse_in(&mut Inflater::default())
    }

    /// [`RawWindow::parse`], its snapshot inflated by `z`.
    fn parse_in(mut self, z: &mut Inflater) -> rusqlite::Result<LedgerWindow> {
        let snapshot = std::mem::replace(&mut self.snapshot, Snapshot::Text(String::new()));
        let text = snapshot.text(z)?;
        let window = serde_json::from_str(&text).map_err(|e| bad(Box::new(e)))?;
        self.parse_with(window)
    }

    /// [`RawWindow::parse_in`], but a window that starts after `now` is made from its row's
    /// `columns` and the environments its facts name, its snapshot left compressed
    /// ([`LedgerWindow::pending`]): a re-plan compares most windows by these alone. Parsed in full
    /// when the row does not say enough (its facts name no environments, or a column does not
    /// read).
    fn parse_lazily(
        mut self,
        z: &mut Inflater,
        columns: Columns,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<LedgerWindow> {
        #[derive(serde::Deserialize)]
        struct Facts {
            environments: Option<Vec<String>>,
        }
        let kind = match columns.kind.as_str() {
            "planned" => Some(crate::schedule::WindowKind::Planned),
            "emergency" => Some(crate::schedule::WindowKind::Emergency),
            _ => None,
        };
        let times = parse_ts(&columns.start).and_then(|s| Ok((s, parse_ts(&columns.end)?)));
        let environments = serde_json::from_str::<Facts>(&self.facts).map(|f| f.environments);
        let (Some(kind), Ok((start, end)), Ok(Some(environments))) = (kind, times, environments)
        else {
            return self.parse_in(z);
        };
        if start <= now {
            return self.parse_in(z);
        }
        let window = crate::schedule::Window {
            id: columns.id,
            customer: columns.customer,
            kind,
            window: None,
            start,
            end,
            timezone: String::new(),
            environments,
            tasks: std::sync::Arc::from([]),
            reasons: Vec::new(),
            reminders: Vec::new(),
        };
        let kept = Pending {
            snapshot: std::mem::replace(&mut self.snapshot, Snapshot::Text(String::new())),
            sha256: self.sha256.take(),
        };
        let mut read = self.parse_with(window)?;
        read.pending = Some(kept);
        Ok(read)
    }

    /// The row with `window`, the window its snapshot holds.
    fn parse_with(self, window: crate::schedule::Window) -> rusqlite::Result<LedgerWindow> {
        let state = WindowState::parse(&self.state)
            .ok_or_else(|| bad(format!("unknown window state `{}`", self.state).into()))?;
        Ok(LedgerWindow {
            key: self.key,
            uid: self.uid,
            sequence: self.sequence,
            state,
            window,
            facts: self.facts,
            pending: None,
        })
    }
}

/// What a window's row says of it besides its snapshot.
struct Columns {
    id: String,
    customer: String,
    kind: String,
    start: String,
    end: String,
}

/// The snapshot of a window read for a run from its row alone ([`LedgerWindow::pending`]).
#[derive(Debug, Clone)]
pub struct Pending {
    snapshot: Snapshot,
    sha256: Option<String>,
}

impl Pending {
    /// The snapshot as stored, when it is stored compressed (as every run since schema 5
    /// stores it), with its hash where the row has one.
    pub(crate) fn stored(&self) -> Option<StoredSnapshot> {
        match &self.snapshot {
            Snapshot::Deflated(bytes) => Some(StoredSnapshot {
                deflated: bytes.clone(),
                sha256: self.sha256.clone(),
            }),
            Snapshot::Text(_) => None,
        }
    }

    /// The window its snapshot holds.
    pub(super) fn window(self) -> rusqlite::Result<crate::schedule::Window> {
        let text = self.snapshot.text(&mut Inflater::default())?;
        serde_json::from_str(&text).map_err(|e| bad(Box::new(e)))
    }
}

//! `history`: the ledger's runs, notices and windows (with every change of state and the
//! outcome) and the deliveries of the notices, newest first, as one serialisable report for the table and the JSON alike.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{Ledger, Result};

/// `history --format json`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub runs: Vec<Run>,
    pub notices: Vec<Notice>,
    pub windows: Vec<WindowEntry>,
    /// Each delivery of a notice (`send`), newest first.
    pub deliveries: Vec<super::outbox::Delivery>,
}

#[derive(Debug, Serialize)]
pub struct Run {
    pub id: i64,
    pub now: String,
    pub inventory_sha256: String,
    pub feeds: serde_json::Value,
    pub findings: i64,
    pub windows: i64,
    pub notices: i64,
}

#[derive(Debug, Serialize)]
pub struct Notice {
    pub id: String,
    pub customer: String,
    /// The window's ledger key.
    pub window: String,
    /// The occurrence id the notice was issued for.
    pub occurrence: String,
    pub kind: String,
    pub uid: String,
    pub sequence: u32,
    pub start: String,
    pub end: String,
    pub previous_start: Option<String>,
    pub previous_end: Option<String>,
    pub reminder: Option<String>,
    pub content_sha256: String,
    pub issued_at: String,
    /// The plan run that issued it; `null` for `complete`.
    pub run: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct WindowEntry {
    pub key: String,
    pub customer: String,
    pub kind: String,
    pub current_id: String,
    pub uid: String,
    pub sequence: u32,
    pub start: String,
    pub end: String,
    pub state: String,
    pub outcome_note: Option<String>,
    pub outcome_at: Option<String>,
    /// Past its end (at the report's `now`) with no outcome recorded.
    pub overdue: bool,
    /// For an overdue window, the command that records its outcome.
    pub record_with: Option<String>,
    /// Each change of state, newest first.
    pub events: Vec<Event>,
}

#[derive(Debug, Serialize)]
pub struct Event {
    pub at: String,
    pub state: String,
    pub note: Option<String>,
    pub run: Option<i64>,
}

/// The report, for one customer or all, at `now` (which says which windows are overdue).
pub fn report(ledger: &Ledger, customer: Option<&str>, now: DateTime<Utc>) -> Result<Report> {
    let mut windows = windows(ledger, customer)?;
    let now = super::store::ts(now);
    for w in &mut windows {
        // Stored times are RFC 3339 UTC text, which sorts as time does.
        w.overdue = matches!(w.state.as_str(), "planned" | "in_progress") && w.end <= now;
        w.record_with = w.overdue.then(|| {
            format!(
                "patchplan complete {} (add --failed if it did not go through)",
                w.key
            )
        });
    }
    Ok(Report {
        schema: "patchplan.history/v1",
        runs: runs(ledger)?,
        notices: notices(ledger, customer)?,
        windows,
        deliveries: ledger.all_deliveries(customer)?,
    })
}

fn runs(ledger: &Ledger) -> Result<Vec<Run>> {
    let mut stmt = ledger
        .conn()
        .prepare("SELECT id, now, inventory_sha256, feeds, findings, windows, notices FROM runs ORDER BY id DESC")
        .map_err(|e| ledger.err(e))?;
    let rows = stmt
        .query_map([], |r| {
            let feeds: String = r.get(3)?;
            Ok(Run {
                id: r.get(0)?,
                now: r.get(1)?,
                inventory_sha256: r.get(2)?,
                feeds: serde_json::from_str(&feeds).unwrap_or(serde_json::Value::Null),
                findings: r.get(4)?,
                windows: r.get(5)?,
                notices: r.get(6)?,
            })
        })
        .map_err(|e| ledger.err(e))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(|e| ledger.err(e))
}

fn notices(ledger: &Ledger, customer: Option<&str>) -> Result<Vec<Notice>> {
    let mut stmt = ledger
        .conn()
        .prepare("SELECT id, customer, window_key, occurrence, kind, uid, sequence, window_start, window_end, previous_start, previous_end, reminder, content_sha256, issued_at, run FROM notices WHERE ?1 IS NULL OR customer = ?1 ORDER BY seq DESC")
        .map_err(|e| ledger.err(e))?;
    let rows = stmt
        .query_map(params![customer], |r| {
            Ok(Notice {
                id: r.get(0)?,
                customer: r.get(1)?,
                window: r.get(2)?,
                occurrence: r.get(3)?,
                kind: r.get(4)?,
                uid: r.get(5)?,
                sequence: r.get(6)?,
                start: r.get(7)?,
                end: r.get(8)?,
                previous_start: r.get(9)?,
                previous_end: r.get(10)?,
                reminder: r.get(11)?,
                content_sha256: r.get(12)?,
                issued_at: r.get(13)?,
                run: r.get(14)?,
            })
        })
        .map_err(|e| ledger.err(e))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(|e| ledger.err(e))
}

fn windows(ledger: &Ledger, customer: Option<&str>) -> Result<Vec<WindowEntry>> {
    let mut stmt = ledger
        .conn()
        .prepare("SELECT key, customer, kind, current_id, uid, sequence, start, end, state, outcome_note, outcome_at FROM windows w WHERE ?1 IS NULL OR customer = ?1 ORDER BY (SELECT max(id) FROM window_events e WHERE e.window_key = w.key) DESC, key")
        .map_err(|e| ledger.err(e))?;
    let rows = stmt
        .query_map(params![customer], |r| {
            Ok(WindowEntry {
                key: r.get(0)?,
                customer: r.get(1)?,
                kind: r.get(2)?,
                current_id: r.get(3)?,
                uid: r.get(4)?,
                sequence: r.get(5)?,
                start: r.get(6)?,
                end: r.get(7)?,
                state: r.get(8)?,
                outcome_note: r.get(9)?,
                outcome_at: r.get(10)?,
                overdue: false,
                record_with: None,
                events: Vec::new(),
            })
        })
        .map_err(|e| ledger.err(e))?;
    let mut out: Vec<WindowEntry> = rows
        .collect::<rusqlite::Result<_>>()
        .map_err(|e| ledger.err(e))?;
    for w in &mut out {
        w.events = events(ledger, &w.key)?;
    }
    Ok(out)
}

fn events(ledger: &Ledger, key: &str) -> Result<Vec<Event>> {
    let mut stmt = ledger
        .conn()
        .prepare_cached(
            "SELECT at, state, note, run FROM window_events WHERE window_key = ?1 ORDER BY id DESC",
        )
        .map_err(|e| ledger.err(e))?;
    let rows = stmt
        .query_map([key], |r| {
            Ok(Event {
                at: r.get(0)?,
                state: r.get(1)?,
                note: r.get(2)?,
                run: r.get(3)?,
            })
        })
        .map_err(|e| ledger.err(e))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(|e| ledger.err(e))
}

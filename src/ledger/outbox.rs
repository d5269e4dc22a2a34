//! The outbox: one row per (notice, channel, recipient) that `send` delivers, with its state
//! (`pending`, `sent`, `failed`, `gave_up`), attempts, last error and next attempt. Each
//! change is its own short transaction, so that a run killed at any moment leaves every row as
//! it was last recorded: a row marked `in_flight` went out or was about to, and goes again with
//! the same key.

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};
use serde::Serialize;

use super::store::ts;
use super::{Ledger, Result};

/// A notice that has no outbox rows yet.
#[derive(Debug, Clone)]
pub struct Unqueued {
    /// The notice's row (`notices.seq`).
    pub seq: i64,
    pub id: String,
    pub customer: String,
    pub kind: String,
    /// A later notice of the same window has a greater SEQUENCE: this one (a reminder of an
    /// announcement since changed) is out of date.
    pub superseded: bool,
    /// (path, content) of its files.
    pub files: Vec<(String, String)>,
}

impl Unqueued {
    /// The content of its file with extension `ext` (`json`, `txt`, `html`, `ics`).
    pub fn file(&self, ext: &str) -> Option<&str> {
        let suffix = format!(".{ext}");
        self.files
            .iter()
            .find(|(p, _)| p.ends_with(&suffix))
            .map(|(_, c)| c.as_str())
    }
}

/// One delivery as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    /// The notice's row.
    #[serde(skip)]
    pub seq: i64,
    pub notice: String,
    pub customer: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// An email address, or the webhook's URL.
    pub recipient: String,
    /// The Message-ID or Idempotency-Key: the same on every attempt.
    pub key: String,
    /// `pending`, `sent`, `failed` or `gave_up`.
    pub state: String,
    pub attempts: u32,
    /// It was going out when a run stopped: it goes again, with the same key.
    pub in_flight: bool,
    pub error: Option<String>,
    /// The last failure was permanent (never retried).
    pub permanent: bool,
    pub enqueued_at: String,
    pub last_attempt_at: Option<String>,
    pub next_attempt_at: Option<String>,
    pub sent_at: Option<String>,
}

/// How one attempt ended.
#[derive(Debug, Clone)]
pub enum Attempt {
    Sent,
    /// Failed; `retry_at` is when to try again, or `None` to give up (a permanent failure, or
    /// the last attempt).
    Failed {
        error: String,
        permanent: bool,
        retry_at: Option<DateTime<Utc>>,
    },
}

const COLUMNS: &str = "o.id, o.notice, n.id, n.customer, o.channel, o.recipient, o.key, o.state, o.attempts, o.in_flight, o.error, o.permanent, o.enqueued_at, o.last_attempt_at, o.next_attempt_at, o.sent_at";

impl Ledger {
    /// The notices that have no outbox row yet, in the order they were issued, with their
    /// files.
    pub fn unqueued(&self) -> Result<Vec<Unqueued>> {
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT n.seq, n.id, n.customer, n.kind,
                   EXISTS (SELECT 1 FROM notices m WHERE m.window_key = n.window_key AND m.sequence > n.sequence)
                 FROM notices n WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.notice = n.seq) ORDER BY n.seq",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Unqueued {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    customer: r.get(2)?,
                    kind: r.get(3)?,
                    superseded: r.get(4)?,
                    files: Vec::new(),
                })
            })
            .map_err(|e| self.err(e))?;
        let mut out: Vec<Unqueued> = rows
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))?;
        for n in &mut out {
            n.files = self.notice_files(n.seq)?;
        }
        Ok(out)
    }

    /// Queues one delivery of notice row `seq`; nothing when it is already queued.
    pub fn enqueue(
        &self,
        seq: i64,
        channel: &str,
        recipient: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT OR IGNORE INTO outbox (notice, channel, recipient, key, state, enqueued_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
            )
            .and_then(|mut s| s.execute(params![seq, channel, recipient, key, ts(now)]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The deliveries to attempt at `now`: pending ones, failed ones whose next attempt has
    /// come, and any left in flight by a run that stopped; in the order they were queued.
    pub fn due(&self, now: DateTime<Utc>) -> Result<Vec<Delivery>> {
        self.deliveries(
            "o.state = 'pending' OR o.in_flight = 1 OR (o.state = 'failed' AND o.next_attempt_at <= ?1)",
            &ts(now),
        )
    }

    /// Failed deliveries waiting for their next attempt after `now`.
    pub fn waiting(&self, now: DateTime<Utc>) -> Result<Vec<Delivery>> {
        self.deliveries(
            "o.state = 'failed' AND o.in_flight = 0 AND o.next_attempt_at > ?1",
            &ts(now),
        )
    }

    /// Every delivery, of one customer or all, newest first.
    pub fn all_deliveries(&self, customer: Option<&str>) -> Result<Vec<Delivery>> {
        let mut all = self.deliveries("?1 IS NULL OR n.customer = ?1", &customer)?;
        all.reverse();
        Ok(all)
    }

    /// One delivery by its row id.
    pub fn delivery(&self, id: i64) -> Result<Delivery> {
        let mut found = self.deliveries("o.id = ?1", &id)?;
        found
            .pop()
            .ok_or_else(|| self.err(rusqlite::Error::QueryReturnedNoRows))
    }

    fn deliveries(&self, filter: &str, arg: &dyn rusqlite::ToSql) -> Result<Vec<Delivery>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox o JOIN notices n ON n.seq = o.notice WHERE {filter} ORDER BY o.id"
        );
        let mut stmt = self.conn().prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([arg], delivery_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// Marks delivery `id` as going out now: one more attempt, in flight until its result is
    /// recorded. Committed before the message leaves.
    pub fn start_attempt(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.begin()?;
        self.conn()
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, in_flight = 1, last_attempt_at = ?2 WHERE id = ?1",
                params![id, ts(now)],
            )
            .map_err(|e| self.err(e))?;
        self.commit()
    }

    /// Records how the attempt of delivery `id` ended.
    pub fn finish_attempt(&self, id: i64, now: DateTime<Utc>, attempt: &Attempt) -> Result<()> {
        self.begin()?;
        let done = match attempt {
            Attempt::Sent => self.conn().execute(
                "UPDATE outbox SET state = 'sent', in_flight = 0, error = NULL, permanent = 0, next_attempt_at = NULL, sent_at = ?2 WHERE id = ?1",
                params![id, ts(now)],
            ),
            Attempt::Failed {
                error,
                permanent,
                retry_at,
            } => {
                let state = if retry_at.is_some() { "failed" } else { "gave_up" };
                self.conn().execute(
                    "UPDATE outbox SET state = ?2, in_flight = 0, error = ?3, permanent = ?4, next_attempt_at = ?5 WHERE id = ?1",
                    params![id, state, error, permanent, retry_at.map(ts)],
                )
            }
        };
        done.map_err(|e| self.err(e))?;
        self.commit()
    }
}

fn delivery_row(r: &Row) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        seq: r.get(1)?,
        notice: r.get(2)?,
        customer: r.get(3)?,
        channel: r.get(4)?,
        recipient: r.get(5)?,
        key: r.get(6)?,
        state: r.get(7)?,
        attempts: r.get(8)?,
        in_flight: r.get(9)?,
        error: r.get(10)?,
        permanent: r.get(11)?,
        enqueued_at: r.get(12)?,
        last_attempt_at: r.get(13)?,
        next_attempt_at: r.get(14)?,
        sent_at: r.get(15)?,
    })
}

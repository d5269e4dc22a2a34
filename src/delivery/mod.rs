//! Delivery: the notices the ledger issued, sent by email and webhook once their `send_at` has
//! come, through the ledger's outbox.
//!
//! A `send` run first queues every due notice that has no outbox row yet: one row per (notice,
//! channel, recipient), in one transaction. Then it goes through the due rows in order; for each
//! it commits "attempt N, in flight" before the message leaves and the result after, so that a
//! run killed at any moment loses nothing and sends nothing twice except the one message in
//! flight, which goes again with the same Message-ID or Idempotency-Key. Transient failures
//! (refused or timed-out connections, SMTP 4xx, HTTP 408, 429 and 5xx) are retried by later runs
//! after a doubling backoff, up to `max_attempts`; permanent ones are given up at once.

pub mod email;
mod queue;
pub mod webhook;

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::ledger::Ledger;
use crate::ledger::outbox::{Attempt, Delivery};

/// Why one attempt failed.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: String,
    /// Never retried: SMTP 5xx, HTTP 4xx other than 408 and 429, a malformed address.
    pub permanent: bool,
    /// The connection failed (no answer at all): the other deliveries to the same server in
    /// this run are not tried, and fail the same way.
    pub connection: bool,
}

/// What a `send` run did: the deliveries it attempted (or, dry, would attempt), and the failed
/// ones still waiting for their next attempt.
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub now: DateTime<Utc>,
    pub dry_run: bool,
    pub deliveries: Vec<Delivery>,
    pub warnings: Vec<String>,
}

impl Report {
    /// Whether anything failed or was given up.
    pub fn failed(&self) -> bool {
        (self.deliveries.iter()).any(|d| matches!(d.state.as_str(), "failed" | "gave_up"))
    }
}

/// Sends every due delivery at `now` (or, `dry_run`, lists them and changes nothing).
pub fn send(ledger: &Ledger, inv: &Inventory, now: DateTime<Utc>, dry_run: bool) -> Result<Report> {
    let mut report = Report {
        schema: "patchplan.send/v1",
        now,
        dry_run,
        deliveries: Vec::new(),
        warnings: Vec::new(),
    };
    if dry_run {
        report.deliveries = ledger.due(now)?;
        report
            .deliveries
            .extend(queue::plan_queue(ledger, inv, now, &mut report.warnings)?);
        return Ok(report);
    }
    let missing = inv.missing_secrets();
    if !missing.is_empty() {
        return Err(Error::Invalid(missing));
    }
    ledger.begin()?;
    for d in queue::plan_queue(ledger, inv, now, &mut report.warnings)? {
        ledger.enqueue(d.seq, &d.channel, &d.recipient, &d.key, now)?;
    }
    ledger.commit()?;
    let mut sender = Sender::new(inv);
    for d in ledger.due(now)? {
        sender.deliver(ledger, &d, now)?;
        report.deliveries.push(ledger.delivery(d.id)?);
    }
    let attempted: std::collections::HashSet<i64> =
        report.deliveries.iter().map(|d| d.id).collect();
    let waiting = ledger.waiting(now)?.into_iter();
    report
        .deliveries
        .extend(waiting.filter(|d| !attempted.contains(&d.id)));
    report.warnings.extend(sender.warnings);
    Ok(report)
}

/// The connections of a run, the messages built so far, and the state of each server.
struct Sender<'a> {
    inv: &'a Inventory,
    smtp: Option<std::result::Result<lettre::SmtpTransport, String>>,
    http: Option<std::result::Result<reqwest::blocking::Client, String>>,
    /// Notice row -> its files.
    files: HashMap<i64, Vec<(String, String)>>,
    /// Servers whose connection failed in this run, with the failure.
    down: HashMap<String, Failure>,
    rate: Rate,
    warnings: Vec<String>,
}

impl<'a> Sender<'a> {
    fn new(inv: &'a Inventory) -> Self {
        Sender {
            inv,
            smtp: None,
            http: None,
            files: HashMap::new(),
            down: HashMap::new(),
            rate: Rate::new(inv.delivery.rate),
            warnings: Vec::new(),
        }
    }

    /// One attempt of delivery `d`, recorded before and after.
    fn deliver(&mut self, ledger: &Ledger, d: &Delivery, now: DateTime<Utc>) -> Result<()> {
        let server = match d.channel.as_str() {
            "email" => "smtp".to_string(),
            _ => d.recipient.clone(),
        };
        if let Some(f) = self.down.get(&server).cloned() {
            ledger.start_attempt(d.id, now)?;
            return self.finish(ledger, d, now, Err(f));
        }
        if let std::collections::hash_map::Entry::Vacant(e) = self.files.entry(d.seq) {
            e.insert(ledger.notice_files(d.seq)?);
        }
        let prepared = self.prepare(d);
        if d.channel == "email" && prepared.is_ok() {
            self.rate.wait();
        }
        ledger.start_attempt(d.id, now)?;
        let result = prepared.and_then(|p| self.transmit(d, &p));
        if let Err(f) = &result
            && f.connection
        {
            self.down.insert(server, f.clone());
        }
        self.finish(ledger, d, now, result)
    }

    fn finish(
        &self,
        ledger: &Ledger,
        d: &Delivery,
        now: DateTime<Utc>,
        result: std::result::Result<(), Failure>,
    ) -> Result<()> {
        let attempt = match result {
            Ok(()) => Attempt::Sent,
            Err(f) => {
                let attempts = d.attempts + 1;
                let retry_at = (!f.permanent && attempts < self.inv.delivery.max_attempts)
                    .then(|| now + backoff(self.inv.delivery.backoff, attempts));
                Attempt::Failed {
                    error: f.error,
                    permanent: f.permanent,
                    retry_at,
                }
            }
        };
        Ok(ledger.finish_attempt(d.id, now, &attempt)?)
    }

    /// The bytes to send: the mail, or the webhook body.
    fn prepare(&self, d: &Delivery) -> std::result::Result<Vec<u8>, Failure> {
        let files = &self.files[&d.seq];
        let file = |ext: &str| {
            let suffix = format!(".{ext}");
            files
                .iter()
                .find(|(p, _)| p.ends_with(&suffix))
                .map(|(_, c)| c.as_str())
        };
        let missing = |what: &str| Failure {
            error: format!("the ledger has no {what} file for notice {}", d.notice),
            permanent: true,
            connection: false,
        };
        let json = file("json").ok_or_else(|| missing("json"))?;
        if d.channel == "webhook" {
            return Ok(json.as_bytes().to_vec());
        }
        let view: serde_json::Value =
            serde_json::from_str(json).map_err(|_| missing("readable json"))?;
        let parts = email::Parts {
            subject: view["subject"].as_str().unwrap_or(&d.notice),
            txt: file("txt").ok_or_else(|| missing("txt"))?,
            html: file("html").ok_or_else(|| missing("html"))?,
            ics: file("ics"),
        };
        let contacts = match self.inv.customer(&d.customer) {
            Some(c) if !c.contacts.is_empty() => c.contacts.clone(),
            _ => vec![crate::inventory::Contact {
                name: d.customer.clone(),
                email: d.recipient.clone(),
            }],
        };
        email::build(&self.inv.delivery, &contacts, &d.recipient, &d.key, &parts).map_err(|e| {
            Failure {
                error: e,
                permanent: true,
                connection: false,
            }
        })
    }

    fn transmit(&mut self, d: &Delivery, bytes: &[u8]) -> std::result::Result<(), Failure> {
        let setup = |e: &String| Failure {
            error: e.clone(),
            permanent: false,
            connection: true,
        };
        let inv = self.inv;
        if d.channel == "email" {
            let Some(smtp) = inv.delivery.smtp.as_ref() else {
                // Queued while patchplan.toml named a server; it no longer does.
                return Err(setup(&"patchplan.toml has no [delivery] smtp".to_string()));
            };
            let t = self.smtp.get_or_insert_with(|| {
                email::transport(smtp, &inv.delivery, &inv.organisation.domain)
            });
            let t = t.as_ref().map_err(setup)?;
            return email::send(t, &inv.delivery.from, &d.recipient, bytes);
        }
        let own = inv.customer(&d.customer).and_then(|c| c.webhook.as_ref());
        let hook = own.into_iter().chain(inv.delivery.webhook.iter());
        let Some(hook) = hook.into_iter().find(|h| h.url == d.recipient) else {
            return Err(Failure {
                error: format!(
                    "neither customer `{}` nor [delivery] has the webhook {} any more",
                    d.customer, d.recipient
                ),
                permanent: true,
                connection: false,
            });
        };
        let secret = hook.secret.value().map_err(|e| setup(&e.to_string()))?;
        let c = self
            .http
            .get_or_insert_with(|| webhook::client(inv.delivery.timeout));
        let c = c.as_ref().map_err(setup)?;
        let body = String::from_utf8_lossy(bytes);
        webhook::post(c, &d.recipient, &secret, &d.key, &body)
    }
}

/// The wait before attempt `attempts + 1`: `base`, doubled for each attempt after the first,
/// at most a day.
pub fn backoff(base: crate::duration::Duration, attempts: u32) -> chrono::TimeDelta {
    let factor = 1i64 << attempts.saturating_sub(1).min(16);
    let minutes = (base.minutes().max(1) * factor).min(24 * 60);
    chrono::TimeDelta::minutes(minutes)
}

/// At most `per_minute` mails in any minute of a run.
struct Rate {
    per_minute: usize,
    sent: VecDeque<Instant>,
}

impl Rate {
    fn new(per_minute: u32) -> Self {
        Rate {
            per_minute: per_minute.max(1) as usize,
            sent: VecDeque::new(),
        }
    }

    fn wait(&mut self) {
        let delay = self.delay(Instant::now());
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        self.sent.push_back(Instant::now());
    }

    /// How long a mail about to go at `now` must wait so that no minute holds more than
    /// `per_minute` of them.
    fn delay(&mut self, now: Instant) -> std::time::Duration {
        let minute = std::time::Duration::from_secs(60);
        if self.sent.len() < self.per_minute {
            return std::time::Duration::ZERO;
        }
        let oldest = self.sent.pop_front().expect("a full window has an oldest");
        (oldest + minute).saturating_duration_since(now)
    }
}

/// A server's words as one line of at most 300 characters, with control characters shown as
/// spaces (they reach the terminal and the ledger).
pub fn one_line(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if s.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_rate_mails_in_any_minute() {
        let start = Instant::now();
        let mut rate = Rate::new(2);
        let s = std::time::Duration::from_secs;
        let mut at = |t: u64| {
            let now = start + s(t);
            let delay = rate.delay(now);
            rate.sent.push_back(now + delay);
            delay
        };
        assert_eq!(at(0), s(0));
        assert_eq!(at(1), s(0));
        assert_eq!(
            at(2),
            s(58),
            "the third waits for the first's minute to pass"
        );
        assert_eq!(at(61), s(0));
        assert_eq!(at(62), s(58));
    }

    #[test]
    fn backoff_doubles_up_to_a_day() {
        let base = crate::duration::Duration::from_minutes(5);
        let minutes: Vec<i64> = (1..=10).map(|a| backoff(base, a).num_minutes()).collect();
        assert_eq!(minutes, [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440]);
    }

    #[test]
    fn message_ids_are_stable_and_well_formed() {
        assert_eq!(
            email::message_id(
                "hudson-fiber.sunday-early.2026-11-01.scheduled",
                "wispgate.example"
            ),
            "<hudson-fiber.sunday-early.2026-11-01.scheduled@wispgate.example>"
        );
        assert_eq!(
            email::message_id("a b:c", "x.example"),
            "<a=20b=3Ac@x.example>"
        );
    }
}

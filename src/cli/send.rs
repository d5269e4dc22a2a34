//! `patchplan send [--dry-run]`: deliver every issued notice whose `send_at` has come, by email
//! and webhook, through the ledger's outbox; print one row per delivery and exit 1 when any
//! failed. `plan --send` runs the same after recording its plan.

use std::fs::File;

use chrono::{DateTime, Utc};
use clap::Args;

use super::{Cli, Format, Outcome, print, table, warn};
use crate::delivery::{self, Report};
use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::ledger::Ledger;

#[derive(Debug, Args)]
pub struct SendArgs {
    /// List what would be sent; send and record nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(cli: &Cli, args: &SendArgs) -> Result<Outcome> {
    let inv = crate::inventory::load(&cli.inventory)?;
    deliver(cli, &inv, cli.now(), args.dry_run)
}

/// Sends what is due at `now` and presents the report (also for `plan --send`).
pub fn deliver(cli: &Cli, inv: &Inventory, now: DateTime<Utc>, dry_run: bool) -> Result<Outcome> {
    let path = cli.ledger_path();
    let report = if dry_run {
        match Ledger::open_existing(&path)? {
            Some(ledger) => delivery::send(&ledger, inv, now, true)?,
            None => delivery::send(&Ledger::in_memory()?, inv, now, true)?,
        }
    } else {
        let ledger = Ledger::open(&path)?;
        let _lock = lock(&path)?;
        delivery::send(&ledger, inv, now, false)?
    };
    warn(cli, &report.warnings);
    match cli.format {
        Format::Json => {
            print(&(serde_json::to_string_pretty(&report).expect("reports serialise") + "\n"))?
        }
        Format::Table if cli.quiet => {}
        Format::Table => print(&render(&report))?,
    }
    Ok(if report.failed() {
        Outcome::DeliveryFailed
    } else {
        Outcome::Done
    })
}

/// One `send` at a time per ledger: two would both see a row pending and both send it. The
/// lock is a file beside the ledger, released by the system when the process ends, however it
/// ends.
fn lock(ledger: &std::path::Path) -> Result<File> {
    let path = ledger.with_extension("send.lock");
    let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Usage(format!(
            "{}: another `patchplan send` is delivering from this ledger; nothing was sent: try again when it has finished",
            ledger.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

fn render(r: &Report) -> String {
    let rows: Vec<Vec<String>> = r
        .deliveries
        .iter()
        .map(|d| {
            let state = if r.dry_run {
                "would send"
            } else {
                d.state.as_str()
            };
            let detail = match (d.state.as_str(), &d.next_attempt_at) {
                ("failed", Some(next)) => format!(
                    "{}; next attempt after {next}",
                    d.error.as_deref().unwrap_or("")
                ),
                ("gave_up", _) if d.permanent => {
                    format!("{} (permanent)", d.error.as_deref().unwrap_or(""))
                }
                _ => d.error.clone().unwrap_or_default(),
            };
            vec![
                d.customer.clone(),
                d.notice.clone(),
                d.channel.clone(),
                d.recipient.clone(),
                state.to_string(),
                d.attempts.to_string(),
                if r.dry_run { String::new() } else { detail },
            ]
        })
        .collect();
    let count = |s: &str| r.deliveries.iter().filter(|d| d.state == s).count();
    let summary = if r.dry_run {
        format!(
            "dry run: {} deliveries would be attempted; nothing sent or recorded\n",
            rows.len()
        )
    } else {
        format!(
            "{} sent, {} failed (retried by a later send), {} given up\n",
            count("sent"),
            count("failed"),
            count("gave_up")
        )
    };
    if rows.is_empty() {
        return format!("nothing to send at {}\n", crate::ledger::store::ts(r.now));
    }
    let header = [
        "CUSTOMER",
        "NOTICE",
        "CHANNEL",
        "RECIPIENT",
        "STATE",
        "ATTEMPTS",
        "DETAIL",
    ];
    format!("{}\n{summary}", table::render(&header, &rows))
}

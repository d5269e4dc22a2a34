//! `patchplan complete WINDOW-ID [--failed] [--note TEXT]`: records how a window ended and issues
//! its `completed` notice (written under `--out` after the record commits). A failed window's
//! upgrades return to the next plan, with deadlines from their findings' first sightings.

use std::path::PathBuf;

use clap::Args;

use super::{Cli, Format, Outcome, print};
use crate::error::Result;
use crate::ledger::{Ledger, issue};

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The window: its id in plan.json or in `patchplan history`.
    #[arg(value_name = "WINDOW-ID")]
    window: String,
    /// The work failed: its upgrades return to the next plan.
    #[arg(long)]
    failed: bool,
    /// What happened, in the operator's words (goes into the notice and the ledger).
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Where to write the notice (default: where the last plan wrote, else `out`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &CompleteArgs) -> Result<Outcome> {
    let inv = crate::inventory::load(&cli.inventory)?;
    let path = cli.ledger_path();
    if !path.exists() {
        return Err(crate::ledger::LedgerError::Missing { path }.into());
    }
    let ledger = Ledger::open(&path)?;
    ledger.begin()?;
    ledger.refuse_backwards(cli.now())?;
    let (w, notice) = issue::complete(
        &ledger,
        &inv,
        &args.window,
        args.failed,
        args.note.clone(),
        cli.now(),
    )?;
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => ledger.last_out()?.unwrap_or_else(|| PathBuf::from("out")),
    };
    let staged = match &notice {
        Some(n) => Some(crate::notice::stage_files(&out, &n.files)?),
        None => None,
    };
    ledger.commit()?;
    if let Some(s) = staged {
        s.publish()?;
    }
    let state = if args.failed { "failed" } else { "completed" };
    match (cli.format, &notice) {
        (Format::Json, n) => {
            // The notice record's fields (as before), with the schema, window and state.
            let mut v = n.as_ref().map_or(serde_json::json!({}), |n| {
                serde_json::to_value(&n.record).expect("records serialise")
            });
            v["schema"] = "patchplan.complete/v1".into();
            v["window"] = w.key.clone().into();
            v["state"] = state.into();
            v["notice_issued"] = n.is_some().into();
            print(&(serde_json::to_string_pretty(&v).expect("values serialise") + "\n"))?
        }
        (Format::Table, _) if !cli.quiet => print(&format!(
            "window {} recorded as {state}; notice {}\n",
            w.key,
            notice
                .as_ref()
                .map_or("not issued (customer gone)".into(), |n| n
                    .record
                    .files
                    .iter()
                    .map(|f| out.join(f).display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "))
        ))?,
        (Format::Table, _) => {}
    }
    Ok(Outcome::Done)
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    /// The window: its id in plan.json or in `patchplan history`.
    #[arg(value_name = "WINDOW-ID")]
    window: String,
    /// Why the recorded outcome was wrong (kept in the ledger's history).
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
}

/// `patchplan reopen WINDOW-ID`: undoes a mistaken outcome; the window is in progress again.
pub fn reopen(cli: &Cli, args: &ReopenArgs) -> Result<Outcome> {
    let path = cli.ledger_path();
    if !path.exists() {
        return Err(crate::ledger::LedgerError::Missing { path }.into());
    }
    let ledger = Ledger::open(&path)?;
    ledger.begin()?;
    ledger.refuse_backwards(cli.now())?;
    let w = issue::reopen(&ledger, &args.window, args.note.as_deref(), cli.now())?;
    ledger.commit()?;
    if cli.format == Format::Json {
        let v = serde_json::json!({"schema": "patchplan.reopen/v1", "window": w.key, "was": w.state.as_str(), "state": "in_progress"});
        print(&format!("{v}\n"))?;
    } else if !cli.quiet {
        print(&format!(
            "window {} reopened (was {}): in progress again; record its outcome with `patchplan complete {}`\n",
            w.key,
            w.state.as_str(),
            w.key
        ))?;
    }
    Ok(Outcome::Done)
}

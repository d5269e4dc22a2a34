//! `patchplan history [--customer ID]`: the ledger's runs, notices and window outcomes, newest
//! first; `--format json` prints [`crate::ledger::history::Report`].

use clap::Args;

use super::{Cli, Format, Outcome, print, table};
use crate::error::Result;
use crate::ledger::Ledger;
use crate::ledger::history::{self, Report};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this customer's notices and windows (runs are listed in any case).
    #[arg(long, value_name = "ID")]
    customer: Option<String>,
}

pub fn run(cli: &Cli, args: &HistoryArgs) -> Result<Outcome> {
    let ledger = Ledger::open_required(&cli.ledger_path())?;
    let report = history::report(&ledger, args.customer.as_deref(), cli.now())?;
    match cli.format {
        Format::Json => {
            print(&(serde_json::to_string_pretty(&report).expect("reports serialise") + "\n"))
        }
        Format::Table => print(&render(&report)),
    }?;
    Ok(Outcome::Done)
}

fn render(r: &Report) -> String {
    let runs: Vec<Vec<String>> = r
        .runs
        .iter()
        .map(|x| {
            vec![
                x.id.to_string(),
                x.now.clone(),
                x.findings.to_string(),
                x.windows.to_string(),
                x.notices.to_string(),
                x.inventory_sha256[..12.min(x.inventory_sha256.len())].to_string(),
            ]
        })
        .collect();
    let notices: Vec<Vec<String>> = r
        .notices
        .iter()
        .map(|n| {
            vec![
                n.issued_at.clone(),
                n.kind.clone(),
                n.customer.clone(),
                n.occurrence.clone(),
                n.sequence.to_string(),
                n.uid.clone(),
            ]
        })
        .collect();
    let windows: Vec<Vec<String>> = r
        .windows
        .iter()
        .map(|w| {
            let state = if w.overdue { "overdue" } else { &w.state };
            vec![
                w.start.clone(),
                state.to_string(),
                w.customer.clone(),
                w.current_id.clone(),
                w.sequence.to_string(),
                w.outcome_note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let record: String = r
        .windows
        .iter()
        .filter_map(|w| w.record_with.as_ref())
        .map(|c| format!("overdue: record the outcome with `{c}`\n"))
        .collect();
    format!(
        "Runs\n{}\nNotices\n{}\nWindows\n{}{record}",
        table::render(
            &["RUN", "NOW", "FINDINGS", "WINDOWS", "NOTICES", "INVENTORY"],
            &runs
        ),
        table::render(
            &["ISSUED", "KIND", "CUSTOMER", "WINDOW", "SEQ", "UID"],
            &notices
        ),
        table::render(
            &["START", "STATE", "CUSTOMER", "WINDOW", "SEQ", "NOTE"],
            &windows
        ),
    )
}

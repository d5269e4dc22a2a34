//! The command line: clap definitions, one file per command, and the mapping of outcomes to exit
//! codes (0 done, 1 findings at or above `--fail-on`, 2 bad input or usage). Only this module
//! prints.

mod complete;
mod explain;
mod feeds;
mod history;
mod ledger;
mod notices;
mod plan;
mod scan;
mod send;
mod table;
mod terminal;
mod validate;
mod windows;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};

/// Patch and maintenance-window planner for service providers.
#[derive(Debug, Parser)]
#[command(name = "patchplan", version, about)]
pub struct Cli {
    /// The inventory directory.
    #[arg(long, global = true, default_value = "inventory", value_name = "DIR")]
    pub inventory: PathBuf,
    /// Plan as if it were this instant (RFC 3339), for reproducible output.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print only errors.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Where fetched feeds are kept (default: INVENTORY/.patchplan/feeds).
    #[arg(long, global = true, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// The ledger of what was announced (default: INVENTORY/.patchplan/ledger.db).
    #[arg(long, global = true, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the inventory, policy and feeds; report every problem with file:line:col.
    Validate,
    /// Fetch feeds into the cache (`sync`) or show how current they are (`status`).
    Feeds(feeds::FeedsArgs),
    /// Match the inventory, or ad-hoc lockfiles and SBOMs, against advisory feeds.
    Scan(scan::ScanArgs),
    /// Match, rank, schedule and render notices; writes DIR/plan.json and DIR/notices/.
    Plan(plan::PlanArgs),
    /// The next occurrences of a customer's maintenance windows, with blackouts marked.
    Windows(windows::WindowsArgs),
    /// Why a finding has its decision, deadline and window: every input and its source, each
    /// decision point, the SSVC row, the deadline arithmetic, the window or why none.
    Explain(explain::ExplainArgs),
    /// Render the notices of a saved plan, or a rescheduled, cancelled or completed notice.
    Notices(notices::NoticesArgs),
    /// Record a window's outcome and issue its `completed` notice.
    Complete(complete::CompleteArgs),
    /// Undo a window's recorded outcome (a mistaken `complete`): it is in progress again.
    Reopen(complete::ReopenArgs),
    /// Deliver every issued notice whose time has come, by email and webhook (see [delivery]).
    Send(send::SendArgs),
    /// Runs, notices, window outcomes and deliveries from the ledger, newest first.
    History(history::HistoryArgs),
    /// Check, export or import the ledger.
    Ledger(ledger::LedgerArgs),
}

pub(crate) fn parse_now(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    use chrono::Datelike;
    let t = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-10-27T09:00:00Z ({e})"))?;
    // A plan reaches years past `now` (horizon, notice, deadlines), and RFC 3339, which every
    // output writes, ends with year 9999.
    if !(1970..9000).contains(&t.year()) {
        return Err("expected a time from 1970 to 8999: plans look ahead from it, and RFC 3339 ends with year 9999".into());
    }
    Ok(t)
}

impl Cli {
    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }

    /// The ledger's path: `--ledger`, or the inventory's own.
    pub fn ledger_path(&self) -> PathBuf {
        self.ledger
            .clone()
            .unwrap_or_else(|| crate::ledger::default_path(&self.inventory))
    }
}

/// What a command reports back: whether findings reached `--fail-on`.
pub enum Outcome {
    Done,
    FindingsAtThreshold,
    /// `--fail-on` was asked, but some components could not be checked: exit 2, with why.
    Unchecked(String),
    /// `send`: a delivery failed or was given up (exit 1).
    DeliveryFailed,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::FindingsAtThreshold | Outcome::DeliveryFailed) => ExitCode::from(1),
        Ok(Outcome::Unchecked(why)) => {
            let _ = writeln!(std::io::stderr(), "error: {why}");
            ExitCode::from(2)
        }
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let message = terminal::clean_lines(&e.to_string(), terminal::LINE);
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Runs one parsed command.
pub fn run(cli: &Cli) -> Result<Outcome> {
    match &cli.command {
        Command::Validate => validate::run(cli),
        Command::Feeds(args) => feeds::run(cli, args),
        Command::Scan(args) => scan::run(cli, args),
        Command::Plan(args) => plan::run(cli, args),
        Command::Windows(args) => windows::run(cli, args),
        Command::Explain(args) => explain::run(cli, args),
        Command::Notices(args) => notices::run(cli, args),
        Command::Complete(args) => complete::run(cli, args),
        Command::Reopen(args) => complete::reopen(cli, args),
        Command::Send(args) => send::run(cli, args),
        Command::History(args) => history::run(cli, args),
        Command::Ledger(args) => ledger::run(cli, args),
    }
}

/// Writes `text` to stdout; a closed pipe ends the program quietly.
pub(crate) fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("<stdout>", e))
}

/// Writes warnings to stderr unless `--quiet`, one line each, through the terminal sanitiser.
pub(crate) fn warn(cli: &Cli, warnings: &[String]) {
    if cli.quiet {
        return;
    }
    let mut err = std::io::stderr().lock();
    for w in warnings {
        let _ = writeln!(err, "warning: {}", terminal::clean(w, terminal::LINE));
    }
}

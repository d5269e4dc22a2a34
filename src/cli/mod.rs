//! The command line: clap definitions, one file per command, and the mapping of outcomes to exit
//! codes (0 done, 1 findings at or above `--fail-on`, 2 bad input or usage). Only this module
//! prints.

pub mod color;
mod complete;
mod discover;
mod explain;
mod feeds;
mod generate;
mod history;
mod init;
mod ledger;
mod notices;
mod plan;
mod scan;
mod send;
mod table;
mod terminal;
mod validate;
mod vex;
mod windows;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};

/// Patch and maintenance-window planner for service providers.
#[derive(Debug, Parser)]
#[command(
    name = "patchplan",
    version,
    about,
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// The inventory directory [default: $PATCHPLAN_INVENTORY, else the nearest directory with
    /// a patchplan.toml from here up, else ./inventory].
    #[arg(long = "inventory", global = true, value_name = "DIR", help_heading = GLOBAL)]
    pub inventory_arg: Option<PathBuf>,
    /// The inventory in use, resolved from `--inventory`, the environment or the directories.
    #[arg(skip)]
    pub inventory: PathBuf,
    /// Take this instant as now (RFC 3339), for reproducible output.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_now, help_heading = GLOBAL)]
    pub now: Option<DateTime<Utc>>,
    /// Output format: table or json for every command; sarif, cyclonedx and markdown for scan.
    #[arg(id = "format", long = "format", global = true, value_enum, value_name = "FORMAT", default_value_t = Output::Table, help_heading = GLOBAL)]
    pub output: Output,
    /// The format of commands other than scan: table or json.
    #[arg(skip)]
    pub format: Format,
    /// Print only errors.
    #[arg(long, global = true, conflicts_with = "verbose", help_heading = GLOBAL)]
    pub quiet: bool,
    /// Say more: which inventory is used and why, every feed warning.
    #[arg(long, short = 'v', global = true, help_heading = GLOBAL)]
    pub verbose: bool,
    /// When to colour output (NO_COLOR turns auto off).
    #[arg(long, global = true, value_enum, default_value_t = color::ColorChoice::Auto, value_name = "WHEN", help_heading = GLOBAL)]
    pub color: color::ColorChoice,
    /// Where fetched feeds are kept [default: INVENTORY/.patchplan/feeds].
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL)]
    pub cache: Option<PathBuf>,
    /// The ledger of what was announced [default: INVENTORY/.patchplan/ledger.db].
    #[arg(long, global = true, value_name = "PATH", help_heading = GLOBAL)]
    pub ledger: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

const GLOBAL: &str = "Global options";

const EXAMPLES: &str = "\
Examples:
  patchplan init                          start an inventory in ./inventory
  patchplan validate                      check it (from inside it, or above it)
  patchplan plan --now 2026-10-27T09:00:00Z
  patchplan scan --lockfile Cargo.lock --osv crates.io-all.zip --format sarif
  patchplan explain GHSA-x639-jrgf-8x3r --environment andes-prod
  patchplan completions bash > /etc/bash_completion.d/patchplan";

/// What `--format` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned text for a terminal.
    Table,
    /// JSON with a `schema` key.
    Json,
    /// SARIF 2.1.0 (scan only).
    Sarif,
    /// CycloneDX 1.6 JSON with vulnerabilities (scan only).
    Cyclonedx,
    /// A Markdown comment for a pull request (scan only).
    Markdown,
}

/// The format of every command but `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the inventory, policy and feeds; report every problem with file:line:col.
    #[command(
        after_help = "Examples:\n  patchplan validate\n  patchplan validate --inventory ops/inventory --format json"
    )]
    Validate,
    /// Fetch feeds into the cache (`sync`) or show how current they are (`status`).
    Feeds(feeds::FeedsArgs),
    /// Match the inventory, or ad-hoc lockfiles and SBOMs, against advisory feeds.
    #[command(
        after_help = "Examples:\n  patchplan scan --fail-on attend\n  patchplan scan --lockfile Cargo.lock --osv crates.io-all.zip --format sarif > patchplan.sarif\n  patchplan scan --sbom app.cdx.json --osv osv/ --format cyclonedx > scan.cdx.json\n  patchplan scan --lockfile package-lock.json --osv npm-all.zip --format markdown"
    )]
    Scan(scan::ScanArgs),
    /// Match, rank, schedule and render notices; writes DIR/plan.json and DIR/notices/.
    #[command(
        after_help = "Examples:\n  patchplan plan --now 2026-10-27T09:00:00Z\n  patchplan plan --dry-run --format json\n  patchplan plan --out out/ --fail-on act"
    )]
    Plan(plan::PlanArgs),
    /// The next occurrences of a customer's maintenance windows, with blackouts marked.
    #[command(after_help = "Examples:\n  patchplan windows andes-telecom --next 5")]
    Windows(windows::WindowsArgs),
    /// Why a finding has its decision, deadline and window: every input and its source, each
    /// decision point, the SSVC row, the deadline arithmetic, the window or why none.
    #[command(
        after_help = "Examples:\n  patchplan explain GHSA-x639-jrgf-8x3r --environment andes-prod\n  patchplan explain andes-prod:axios:GHSA-x639-jrgf-8x3r --format json"
    )]
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
    /// Export the operator's exceptions (overrides.toml) as an OpenVEX document.
    Vex(vex::VexArgs),
    /// Write a small annotated inventory to start from.
    Init(init::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Examples:\n  patchplan completions bash > ~/.local/share/bash-completion/completions/patchplan\n  patchplan completions zsh > ~/.zfunc/_patchplan\n  patchplan completions fish > ~/.config/fish/completions/patchplan.fish"
    )]
    Completions(generate::CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    Man(generate::ManArgs),
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
    let mut cli = Cli::parse();
    color::init(cli.color);
    table::init();
    let result = settle(&mut cli).and_then(|()| run(&cli));
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::FindingsAtThreshold | Outcome::DeliveryFailed) => ExitCode::from(1),
        Ok(Outcome::Unchecked(why)) => {
            let why = terminal::clean_lines(&why, terminal::LINE);
            let _ = writeln!(std::io::stderr(), "{} {why}", color::error_label());
            ExitCode::from(2)
        }
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let message = terminal::clean_lines(&e.to_string(), terminal::LINE);
            let _ = writeln!(std::io::stderr(), "{} {message}", color::error_label());
            ExitCode::from(2)
        }
    }
}

/// Resolves what parsing leaves open: the inventory (said with `--verbose`) and the format.
fn settle(cli: &mut Cli) -> Result<()> {
    let (dir, why) = discover::inventory(cli.inventory_arg.as_deref())?;
    if cli.verbose {
        let _ = writeln!(
            std::io::stderr(),
            "using inventory {} ({why})",
            dir.display()
        );
    }
    cli.inventory = dir;
    cli.format = match (cli.output, &cli.command) {
        (Output::Table, _) => Format::Table,
        (Output::Json, _) => Format::Json,
        (_, Command::Scan(_)) => Format::Table,
        (other, _) => {
            let name = other.to_possible_value().map(|v| v.get_name().to_string());
            return Err(Error::Usage(format!(
                "--format {} is only for `scan`; this command writes table or json",
                name.unwrap_or_default()
            )));
        }
    };
    Ok(())
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
        Command::Vex(args) => vex::run(cli, args),
        Command::Init(args) => init::run(cli, args),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
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
    let label = color::warning_label();
    let mut err = std::io::stderr().lock();
    for w in warnings {
        let _ = writeln!(err, "{label} {}", terminal::clean(w, terminal::LINE));
    }
}

//! `patchplan plan`: match, rank, schedule, render; writes DIR/plan.json and DIR/notices/.
//! The run is one ledger transaction: what the ledger remembers shapes the plan, only the
//! notices that changed are issued, and their files are written after the ledger commits.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Cli, Format, Outcome, print, table, warn};
use crate::error::Result;
use crate::ledger::{Ledger, issue};
use crate::plan::{Plan, Status};
use crate::schedule::WindowKind;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Where to write plan.json and notices/.
    #[arg(long, default_value = "out", value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    fresh: super::feeds::FreshArgs,
    /// Show the notices this run would issue; record and write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(cli: &Cli, args: &PlanArgs) -> Result<Outcome> {
    let inv = crate::inventory::load(&cli.inventory)?;
    let refreshed = super::feeds::refresh(cli, &inv, &args.fresh);
    let targets = crate::plan::targets(&inv);
    let cache = super::feeds::cache(cli);
    let feeds = crate::plan::load_feeds(&inv, Some(&targets), &cache, cli.now())?;
    super::feeds::require_fresh(&feeds, &args.fresh)?;
    let ledger = open(cli, args.dry_run)?;
    let history = issue::history(&ledger, cli.now())?;
    let mut plan = crate::plan::build_with(&inv, &targets, &feeds, cli.now(), &history);
    plan.warnings.splice(0..0, refreshed);
    let changes = issue::changes(&ledger, &inv, &plan)?;
    plan.warnings.extend(changes.notes.iter().cloned());
    let mut skipped = Vec::new();
    let rendered = issue::render(&inv, &plan, &changes, &mut skipped)?;
    plan.warnings.extend(skipped);
    plan.notices = rendered.iter().map(|r| r.notice.record.clone()).collect();
    let json = serde_json::to_string_pretty(&plan).expect("plans serialise") + "\n";
    warn(cli, &plan.warnings);
    if args.dry_run {
        return present(cli, &plan, &json, None);
    }
    issue::record(&ledger, &inv, &plan, &changes, &rendered)?;
    // This run's notices are written in full before the ledger commits (a file that cannot be
    // written fails the run unrecorded), and put in place only once the ledger holds them.
    let staged = rendered
        .iter()
        .map(|r| crate::notice::stage_files(&args.out, &r.notice.files))
        .collect::<Result<Vec<_>>>()?;
    ledger.commit()?;
    for s in staged {
        s.publish()?;
    }
    // Then any recorded notice file that is missing.
    crate::notice::write_files(&args.out, &ledger.missing_files(&args.out)?)?;
    let path = args.out.join("plan.json");
    crate::notice::write_files(&args.out, &[("plan.json".into(), json.clone())])?;
    present(cli, &plan, &json, Some(&path))
}

/// The ledger, in its run's write transaction; for a dry run, read-only (or empty in memory).
fn open(cli: &Cli, dry_run: bool) -> Result<Ledger> {
    let path = cli.ledger_path();
    if dry_run {
        return Ok(match Ledger::open_existing(&path)? {
            Some(l) => l,
            None => Ledger::in_memory()?,
        });
    }
    let ledger = Ledger::open(&path)?;
    ledger.begin()?;
    Ok(ledger)
}

/// Prints the plan: JSON, or the summary table (a dry run lists the notices it would issue).
fn present(cli: &Cli, plan: &Plan, json: &str, path: Option<&Path>) -> Result<Outcome> {
    match cli.format {
        Format::Json => print(json)?,
        Format::Table if cli.quiet => {}
        Format::Table => {
            let mut text = summary(plan, path);
            if path.is_none() {
                text.push_str(&would_issue(plan));
            }
            print(&text)?;
        }
    }
    Ok(Outcome::Done)
}

fn would_issue(plan: &Plan) -> String {
    let rows: Vec<Vec<String>> = plan
        .notices
        .iter()
        .map(|n| {
            vec![
                n.kind.as_str().to_string(),
                n.customer.clone(),
                n.window.clone(),
                n.sequence.to_string(),
                n.uid.clone(),
            ]
        })
        .collect();
    format!(
        "\ndry run: nothing recorded or written; these notices would be issued:\n{}",
        table::render(&["KIND", "CUSTOMER", "WINDOW", "SEQ", "UID"], &rows)
    )
}

fn summary(plan: &Plan, path: Option<&Path>) -> String {
    let status = |s: Status| plan.findings.iter().filter(|f| f.status == s).count();
    let count = |d: &str| {
        plan.findings
            .iter()
            .filter(|f| f.status == Status::Open && f.risk.decision.as_str() == d)
            .count()
    };
    let mut out = format!(
        "{} findings: {} act, {} attend, {} track*, {} track; {} excepted, {} not affected or fixed (VEX), {} informational\n\n",
        plan.findings.len(),
        count("act"),
        count("attend"),
        count("track*"),
        count("track"),
        status(Status::Excepted),
        status(Status::NotAffected) + status(Status::Fixed),
        status(Status::Informational),
    );
    let rows: Vec<Vec<String>> = plan
        .windows
        .iter()
        .map(|w| {
            let kind = if w.kind == WindowKind::Emergency {
                "EMERGENCY"
            } else {
                "planned"
            };
            vec![
                w.start.format("%Y-%m-%d %H:%MZ").to_string(),
                kind.into(),
                w.customer.clone(),
                w.environments.join(","),
                w.tasks.len().to_string(),
                w.id.clone(),
            ]
        })
        .collect();
    out.push_str(&table::render(
        &[
            "START (UTC)",
            "KIND",
            "CUSTOMER",
            "ENVIRONMENTS",
            "TASKS",
            "WINDOW",
        ],
        &rows,
    ));
    let unscheduled = plan
        .findings
        .iter()
        .filter(|f| f.status == Status::Open && f.window.is_none())
        .count();
    let misses = plan
        .windows
        .iter()
        .flat_map(|w| &w.tasks)
        .filter(|t| t.deadline_missed)
        .count();
    out.push_str(&format!(
        "\n{} windows, {} notices, {} unscheduled findings, {} deadline misses; {}\n",
        plan.windows.len(),
        plan.notices.len(),
        unscheduled,
        misses,
        path.map_or("dry run".into(), |p| format!("written to {}", p.display()))
    ));
    out
}

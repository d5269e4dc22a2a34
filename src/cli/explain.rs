//! `patchplan explain ID`: why findings have their decision, deadline and window. Builds the
//! plan as `plan` does (without rendering notices) and presents [`crate::explain::Report`].

use chrono::{DateTime, Utc};
use clap::Args;

use super::{Cli, Format, Outcome, print, terminal, warn};
use crate::error::Result;
use crate::explain::{Explained, Report};
use crate::plan::Status;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A finding id (ENV:PACKAGE:ADVISORY), an advisory id or an alias such as a CVE.
    #[arg(value_name = "ID")]
    id: String,
    /// Only findings in this environment.
    #[arg(long, value_name = "ENV")]
    environment: Option<String>,
}

pub fn run(cli: &Cli, args: &ExplainArgs) -> Result<Outcome> {
    let inv = crate::inventory::load(&cli.inventory)?;
    let targets = crate::plan::targets(&inv);
    let cache = super::feeds::cache(cli);
    let feeds = crate::plan::load_feeds(&inv, Some(&targets), &cache, cli.now())?;
    // First sightings from the ledger, when there is one (read only: explain records nothing).
    let history = match crate::ledger::Ledger::open_existing(&cli.ledger_path())? {
        Some(ledger) => {
            let open = ledger.open_windows()?;
            crate::ledger::issue::history(&ledger, &open, cli.now(), inv.policy.outcome_grace)?
        }
        None => crate::plan::History::default(),
    };
    let plan = crate::plan::build_with(&inv, targets, &feeds, cli.now(), &history);
    let report = crate::explain::explain(&inv, &plan, &args.id, args.environment.as_deref())?;
    warn(cli, &plan.warnings);
    match cli.format {
        Format::Json => {
            print(&(serde_json::to_string_pretty(&report).expect("reports serialise") + "\n"))?
        }
        Format::Table => print(&render(&report))?,
    }
    Ok(Outcome::Done)
}

fn at(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Rows of cells, cleaned for the terminal, each column padded to its widest cell, indented by
/// two spaces.
fn aligned(rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| t(c)).collect())
        .collect();
    super::table::aligned(&rows, "  ")
}

/// Outside text (ids, summaries, notes) as the terminal may show it.
fn t(text: &str) -> String {
    terminal::clean(text, terminal::LINE).into_owned()
}

fn render(report: &Report) -> String {
    let parts: Vec<String> = report
        .findings
        .iter()
        .map(|x| finding(x, report.now))
        .collect();
    parts.join("\n")
}

fn finding(x: &Explained, now: DateTime<Utc>) -> String {
    let f = x.finding.finding;
    let m = &f.matched;
    let mut out = format!("{}\n", t(&f.id()));
    let aliases = match m.aliases.is_empty() {
        true => String::new(),
        false => format!(" ({})", m.aliases.join(", ")),
    };
    let mut head = vec![
        row([
            "environment",
            &format!("{} (customer {})", f.environment(), x.finding.customer),
        ]),
        row([
            "component",
            &format!("{} {} ({})", m.package, m.version, m.ecosystem),
        ]),
        row([
            "advisory",
            &format!("{}{aliases}: {}", m.advisory, m.summary),
        ]),
        row(["fix", &fix(f)]),
        row(["status", &status(f)]),
    ];
    if let Some(origin) = x.origin {
        head.insert(2, row(["declared in", origin]));
    }
    if let Some(u) = &x.upgrade {
        head.extend(upgrade_rows(u));
    }
    out.push_str(&aligned(&head));
    out.push_str("\nInputs\n");
    let inputs: Vec<Vec<String>> = x
        .inputs
        .iter()
        .map(|i| row([i.name, &i.value, &i.source]))
        .collect();
    out.push_str(&aligned(&inputs));
    out.push_str(&decision(x));
    out.push_str(&deadline(x, now));
    out.push_str(&score(x));
    out.push_str(&schedule(x));
    out
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// What an OS package's upgrade installs and restarts.
fn upgrade_rows(u: &crate::explain::Upgrade) -> Vec<Vec<String>> {
    let mut rows = vec![row(["binaries", &u.binaries.join(", ")])];
    if let Some(c) = &u.command {
        rows.push(row(["upgrade with", c]));
    }
    let why = u.restart_why.unwrap_or("as the inventory says");
    let downtime = match u.downtime_minutes {
        0 => "no downtime".to_string(),
        m => format!("{m} min of downtime"),
    };
    rows.push(row([
        "restart",
        &format!("{} ({why}); {downtime}", u.restart.as_str()),
    ]));
    rows
}

fn fix(f: &crate::plan::PlanFinding) -> String {
    let fixed = f
        .matched
        .fixed
        .as_deref()
        .map_or("no fixed version known".into(), |v| format!("fixed in {v}"));
    match &f.recommended {
        Some(r) => format!("{fixed}; upgrade to {r}"),
        None => format!("{fixed}; no version fixes all of this component's findings"),
    }
}

fn status(f: &crate::plan::PlanFinding) -> String {
    let mut out = f.status.as_str().to_string();
    if let Some(x) = f.exception() {
        let state = if x.expired { "expired on" } else { "until" };
        out.push_str(&format!(
            "; exception for {} {state} {}, owner {}: {}",
            x.advisory, x.until, x.owner, x.reason
        ));
    }
    if let Some(v) = f.vex() {
        out.push_str(&format!("; VEX {} at {}", v.status.as_str(), v.location));
        if let Some(j) = v.justification {
            out.push_str(&format!(", justification {}", j.as_str()));
        }
        for text in [&v.impact_statement, &v.action_statement, &v.status_notes]
            .into_iter()
            .flatten()
        {
            out.push_str(&format!(": {text}"));
        }
    }
    out
}

fn decision(x: &Explained) -> String {
    let mut out = String::from("\nDecision points\n");
    let rows: Vec<Vec<String>> = x
        .points
        .iter()
        .map(|p| {
            let why = match p.assumed {
                true => format!("ASSUMED: {}", p.why),
                false => p.why.clone(),
            };
            row([p.point, p.value, &why])
        })
        .collect();
    out.push_str(&aligned(&rows));
    let d = x.decision;
    let values: Vec<&str> = x.points.iter().take(4).map(|p| p.value).collect();
    out.push_str(&format!(
        "\nDecision: {} ({} row {}: {} -> {})\n",
        d.decision.as_str(),
        d.table,
        d.row,
        values.join(", "),
        d.table_decision.as_str()
    ));
    if d.decision != d.table_decision {
        out.push_str("  lowered to track: informational advisories are not vulnerabilities\n");
    }
    out
}

fn deadline(x: &Explained, now: DateTime<Utc>) -> String {
    let Some(calc) = &x.deadline else {
        return "\nDeadline: none (informational advisory)\n".into();
    };
    let source = match calc.detected < now {
        true => "first seen, as the ledger recorded",
        false => "--now: the ledger has no earlier sighting",
    };
    let mut out = format!(
        "\nDeadline\n  detected at {} ({source})\n",
        at(calc.detected)
    );
    if let Some((last, steps)) = calc.steps.split_last() {
        for step in steps {
            out.push_str(&format!("  {}\n", t(step)));
        }
        out.push_str(&format!("  => deadline {}\n", t(last)));
    }
    out
}

fn score(x: &Explained) -> String {
    let mut out = format!(
        "\nScore {:.1} (orders findings within a decision)\n",
        x.finding.risk().score
    );
    let rows: Vec<Vec<String>> = x
        .score
        .iter()
        .map(|t| {
            row([
                t.input,
                &format!("{:>2.0} x {:.3}", t.weight, t.value),
                &format!("= {:.2}", t.points),
            ])
        })
        .collect();
    out.push_str(&aligned(&rows));
    out
}

fn schedule(x: &Explained) -> String {
    let f = x.finding.finding;
    let mut out = String::from("\nSchedule\n");
    if f.status != Status::Open {
        let why = format!("  not scheduled: status {}\n", f.status.as_str());
        out.push_str(&why);
        return out;
    }
    match &x.schedule.window {
        Some(w) => {
            let kind = match w.kind {
                crate::schedule::WindowKind::Emergency => "EMERGENCY intervention",
                crate::schedule::WindowKind::Planned => "planned window",
            };
            out.push_str(&format!(
                "  {kind} {}: {} to {} ({})\n",
                t(w.id),
                at(w.start),
                at(w.end),
                w.timezone
            ));
            if let Some(t) = w.task_start {
                let missed = if w.deadline_missed {
                    "; DEADLINE MISSED"
                } else {
                    ""
                };
                out.push_str(&format!("  task starts {}{missed}\n", at(t)));
            }
        }
        None => match x.schedule.unscheduled_reason {
            Some(r) => out.push_str(&format!("  no window ({})\n", r.as_str())),
            None => out.push_str("  no window\n"),
        },
    }
    for r in &x.schedule.reasons {
        out.push_str(&format!("  {}\n", t(r)));
    }
    out
}

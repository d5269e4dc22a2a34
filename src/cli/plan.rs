//! `patchplan plan`: match, rank, schedule, render; writes DIR/plan.json and DIR/notices/.

use std::path::PathBuf;

use clap::Args;

use super::{Cli, Format, Outcome, print, table, warn};
use crate::error::{Error, Result};
use crate::plan::{Plan, Status};
use crate::schedule::WindowKind;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Where to write plan.json and notices/.
    #[arg(long, default_value = "out", value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    fresh: super::feeds::FreshArgs,
}

pub fn run(cli: &Cli, args: &PlanArgs) -> Result<Outcome> {
    let inv = crate::inventory::load(&cli.inventory)?;
    let refreshed = super::feeds::refresh(cli, &inv, &args.fresh);
    let targets = crate::plan::targets(&inv);
    let cache = super::feeds::cache(cli);
    let feeds = crate::plan::load_feeds(&inv, Some(&targets), &cache, cli.now())?;
    super::feeds::require_fresh(&feeds, &args.fresh)?;
    let mut plan = crate::plan::build(&inv, &feeds, cli.now());
    plan.warnings.splice(0..0, refreshed);
    let notices_dir = args.out.join("notices");
    if notices_dir.exists() {
        std::fs::remove_dir_all(&notices_dir).map_err(|e| Error::io(&notices_dir, e))?;
    }
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let rendered = crate::notice::render_plan(&inv, &plan, &args.out)?;
    plan.notices = rendered.records;
    plan.warnings.extend(rendered.notes);
    let json = serde_json::to_string_pretty(&plan).expect("plans serialise") + "\n";
    let path = args.out.join("plan.json");
    std::fs::write(&path, &json).map_err(|e| Error::io(&path, e))?;
    warn(cli, &plan.warnings);
    match cli.format {
        Format::Json => print(&json)?,
        Format::Table if !cli.quiet => print(&summary(&plan, &path))?,
        Format::Table => {}
    }
    Ok(Outcome::Done)
}

fn summary(plan: &Plan, path: &std::path::Path) -> String {
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
        "\n{} windows, {} notices, {} unscheduled findings, {} deadline misses; written to {}\n",
        plan.windows.len(),
        plan.notices.len(),
        unscheduled,
        misses,
        path.display()
    ));
    out
}

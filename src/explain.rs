//! `explain`: the findings of a plan that an id names, with everything behind their decision,
//! deadline and window. It reads the [`Plan`] that [`crate::plan::build_with`] made, so it explains
//! exactly what `plan` decided; the text and the JSON output are both this model.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::inventory::{Inventory, Restart};
use crate::plan::{Plan, PlanFinding};
use crate::risk::{DeadlineCalc, DecisionRow, Input, Point, ScoreTerm};
use crate::schedule::WindowKind;

/// `explain --format json`.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub schema: &'static str,
    pub now: DateTime<Utc>,
    pub query: &'a str,
    pub findings: Vec<Explained<'a>>,
}

/// One finding and why.
#[derive(Debug, Serialize)]
pub struct Explained<'a> {
    pub finding: crate::plan::InPlan<'a>,
    /// Where the component was declared: a stack, the environment file, a lockfile or an SBOM.
    pub origin: Option<&'a str>,
    /// For an OS package: what its upgrade installs and restarts.
    pub upgrade: Option<Upgrade<'a>>,
    /// The inputs, sources naming the environment and customer.
    pub inputs: Vec<Input>,
    /// The decision points, in the order the SSVC tables name them.
    pub points: &'a [Point],
    pub decision: &'a DecisionRow,
    /// `None` for informational advisories.
    pub deadline: Option<&'a DeadlineCalc>,
    pub score: &'a [ScoreTerm],
    pub schedule: Schedule<'a>,
}

/// An OS package's upgrade: the binary packages installed from the source package, the command
/// that upgrades them, and what it restarts by the restart rule (or the inventory).
#[derive(Debug, Serialize)]
pub struct Upgrade<'a> {
    pub binaries: &'a [String],
    pub command: Option<String>,
    pub restart: Restart,
    /// The rule that chose `restart`; `None` when the inventory said so.
    pub restart_why: Option<&'a str>,
    pub downtime_minutes: u32,
}

/// Where the fix went.
#[derive(Debug, Serialize)]
pub struct Schedule<'a> {
    pub emergency: bool,
    pub window: Option<WindowRef<'a>>,
    /// Why an open finding is in no window (plan.json's `unscheduled_reason`).
    pub unscheduled_reason: Option<crate::schedule::Unscheduled>,
    /// Why it went there, or why nowhere.
    pub reasons: Vec<String>,
}

/// The window a fix is in, and the fix's task in it.
#[derive(Debug, Serialize)]
pub struct WindowRef<'a> {
    pub id: &'a str,
    pub kind: WindowKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone: &'a str,
    /// When the task starts, and whether it ends after the deadline.
    pub task_start: Option<DateTime<Utc>>,
    pub deadline_missed: bool,
}

/// The findings `query` names (a finding id, an advisory id or an alias), optionally only in
/// `environment`; none is a usage error.
pub fn explain<'a>(
    inv: &'a Inventory,
    plan: &'a Plan,
    query: &'a str,
    environment: Option<&str>,
) -> Result<Report<'a>> {
    if let Some(env) = environment
        && inv.environment(env).is_none()
    {
        return Err(Error::Usage(format!("unknown environment `{env}`")));
    }
    let findings: Vec<Explained> = plan
        .findings
        .iter()
        .filter(|f| names(f, query) && environment.is_none_or(|e| f.environment() == e))
        .map(|f| explained(inv, plan, f))
        .collect();
    if findings.is_empty() {
        let scope = environment.map_or(String::new(), |e| format!(" in environment `{e}`"));
        return Err(Error::Usage(format!(
            "no finding{scope} matches `{query}` (give a finding id such as ENV:PACKAGE:ADVISORY, an advisory id or an alias)"
        )));
    }
    Ok(Report {
        schema: "patchplan.explain/v1",
        now: plan.now,
        query,
        findings,
    })
}

fn names(f: &PlanFinding, query: &str) -> bool {
    f.has_id(query) || *f.matched.advisory == *query || f.matched.aliases.iter().any(|a| a == query)
}

fn explained<'a>(inv: &'a Inventory, plan: &'a Plan, f: &'a PlanFinding) -> Explained<'a> {
    let env = inv.environment(f.environment());
    let comp = env.and_then(|e| e.components.get(f.matched.component as usize));
    let origin = comp.map(|c| c.origin.as_str());
    let upgrade = comp.filter(|c| !c.binaries.is_empty()).map(|c| Upgrade {
        binaries: &c.binaries,
        command: f
            .recommended
            .as_deref()
            .and_then(|to| crate::plan::upgrade_command(c, to)),
        restart: c.restart,
        restart_why: c.restart_why.as_deref(),
        downtime_minutes: c.downtime_minutes,
    });
    let x = &plan.risk(f).explanation;
    let inputs = x
        .inputs
        .iter()
        .map(|i| Input {
            source: match i.source.as_str() {
                "environment" => format!("environment {}", f.environment()),
                "customer" => format!("customer {}", f.customer(inv)),
                _ => i.source.clone(),
            },
            ..i.clone()
        })
        .collect();
    Explained {
        finding: crate::plan::InPlan::new(plan, inv, f),
        origin,
        upgrade,
        inputs,
        points: &x.points,
        decision: &x.decision,
        deadline: x.deadline.as_ref(),
        score: &x.score,
        schedule: Schedule {
            emergency: f.emergency,
            window: plan.window(f).and_then(|id| window(plan, f, id)),
            unscheduled_reason: f.unscheduled_reason,
            reasons: plan.schedule(f),
        },
    }
}

fn window<'a>(plan: &'a Plan, f: &PlanFinding, id: &str) -> Option<WindowRef<'a>> {
    let w = plan.windows.iter().find(|w| w.id == id)?;
    let id = f.id();
    let task = w.tasks.iter().find(|t| t.findings.contains(&id));
    Some(WindowRef {
        id: &w.id,
        kind: w.kind,
        start: w.start,
        end: w.end,
        timezone: &w.timezone,
        task_start: task.map(|t| t.start),
        deadline_missed: task.is_some_and(|t| t.deadline_missed),
    })
}

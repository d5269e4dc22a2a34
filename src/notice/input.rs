//! What notices are made from: the windows of a plan and the findings their tasks fix, in the
//! fields `plan.json` records (DESIGN.md, "CLI"). `plan` hands them over in memory and `notices`
//! reads them back from a saved plan, so both render from the same contract and neither depends
//! on the scheduler's internal types.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::inventory::Restart;
use crate::plan::Plan;
use crate::risk::Decision;
use crate::schedule::{Unscheduled, Window, WindowKind};

/// The parts of a plan that notices read.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanInput {
    pub now: DateTime<Utc>,
    #[serde(default)]
    pub findings: Vec<FindingInput>,
    pub windows: Vec<WindowInput>,
    /// The advisories of the findings, by id: what a task's findings are named by (plan.json
    /// v2 keeps them once, under `advisories`).
    #[serde(default)]
    pub advisories: HashMap<String, AdvisoryInput>,
}

/// An advisory, as far as a notice names it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AdvisoryInput {
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: String,
}

/// A finding, as far as a notice names it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FindingInput {
    pub id: String,
    pub advisory: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: String,
    /// Where it is, for the remaining risk a `detailed` notice lists.
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub package: String,
    #[serde(default)]
    pub version: String,
    /// Why an open finding has no window (plan.json's `unscheduled_reason`).
    #[serde(default)]
    pub unscheduled_reason: Option<Unscheduled>,
}

impl FindingInput {
    /// An open finding that no upgrade of this plan fixes: no fix is known, or its fix is on
    /// another branch than its component's upgrade.
    pub fn remains(&self) -> bool {
        matches!(
            self.unscheduled_reason,
            Some(Unscheduled::NoFix | Unscheduled::FixOnOtherBranch)
        )
    }
}

/// A window of the plan: a planned occurrence or an emergency intervention.
#[derive(Debug, Clone, Deserialize)]
pub struct WindowInput {
    pub id: String,
    pub customer: String,
    #[serde(deserialize_with = "emergency")]
    #[serde(rename = "kind")]
    pub emergency: bool,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[serde(default)]
    pub environments: Vec<String>,
    #[serde(default)]
    pub tasks: Vec<TaskInput>,
    /// Why an emergency intervention.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The reminders the schedule set for a planned window.
    #[serde(default)]
    pub reminders: Vec<ReminderInput>,
}

/// A reminder before a planned window: how long before (`1d`), and when.
#[derive(Debug, Clone, Deserialize)]
pub struct ReminderInput {
    pub before: String,
    pub at: DateTime<Utc>,
}

/// One upgrade in a window.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskInput {
    pub environment: String,
    pub package: String,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub findings: crate::schedule::FindingIds,
    #[serde(deserialize_with = "decision")]
    pub decision: Decision,
    #[serde(default)]
    pub deadline: Option<DateTime<Utc>>,
    #[serde(default)]
    pub downtime_minutes: u32,
    /// What the upgrade restarts (`none`, `service`, `reboot`).
    #[serde(default)]
    pub restart: Restart,
    /// For an OS package, the command that upgrades its binary packages.
    #[serde(default)]
    pub install: Option<String>,
}

fn emergency<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    match String::deserialize(d)?.as_str() {
        "planned" => Ok(false),
        "emergency" => Ok(true),
        other => Err(serde::de::Error::custom(format!(
            "unknown window kind `{other}`, expected `planned` or `emergency`"
        ))),
    }
}

fn decision<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Decision, D::Error> {
    let s = String::deserialize(d)?;
    Decision::parse(&s).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown decision `{s}`, expected track, track*, attend or act"
        ))
    })
}

impl PlanInput {
    /// The windows of `plan`, the findings their tasks fix, and the findings that remain open
    /// in their environments with no upgrade to fix them.
    pub fn from_plan(plan: &Plan, inv: &crate::inventory::Inventory) -> PlanInput {
        PlanInput {
            windows: plan.windows.iter().map(WindowInput::from).collect(),
            ..PlanInput::without_windows(plan, inv)
        }
    }

    /// [`PlanInput::from_plan`] without the windows: what a run's notices read beside the
    /// window each is about (a fleet's windows, copied again, were tens of MB).
    pub fn without_windows(plan: &Plan, inv: &crate::inventory::Inventory) -> PlanInput {
        let served: std::collections::HashSet<&str> = (plan.windows.iter())
            .flat_map(|w| w.environments.iter().map(String::as_str))
            .collect();
        // A task's findings are named by their advisory (the id's last part); only the findings
        // that remain are listed one by one, for the customers whose notices list them.
        let detailed: std::collections::HashSet<&str> = (inv.customers.iter())
            .filter(|c| c.disclosure == crate::inventory::Disclosure::Detailed)
            .map(|c| c.id.as_str())
            .collect();
        use rayon::prelude::*;
        let first = crate::plan::first_advisories(&plan.first_vulns());
        let advisories: HashMap<String, AdvisoryInput> = (first.into_iter())
            .map(|(id, v)| {
                let a = AdvisoryInput {
                    aliases: v.aliases.clone(),
                    summary: v.summary.clone(),
                };
                (id.to_string(), a)
            })
            .collect();
        let findings = plan
            .findings
            .par_iter()
            .filter(|f| {
                matches!(
                    f.unscheduled_reason,
                    Some(Unscheduled::NoFix | Unscheduled::FixOnOtherBranch)
                ) && detailed.contains(f.customer(inv))
                    && served.contains(f.environment())
            })
            // Named by their advisory, whose aliases and summary `advisories` holds once.
            .map(|f| FindingInput {
                id: f.id(),
                advisory: f.matched.advisory.to_string(),
                aliases: Vec::new(),
                summary: String::new(),
                environment: f.environment().to_string(),
                package: f.matched.package.clone(),
                version: f.matched.version.clone(),
                unscheduled_reason: f.unscheduled_reason,
            })
            .collect();
        PlanInput {
            now: plan.now,
            findings,
            windows: Vec::new(),
            advisories,
        }
    }

    /// Reads a saved `plan.json`; a malformed one is an error at its line and column.
    pub fn read(path: &Path) -> Result<PlanInput> {
        let text = crate::files::read_own_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut input: PlanInput = serde_json::from_str(&text).map_err(|e| {
            Error::Invalid(vec![Diagnostic {
                path: path.to_path_buf(),
                line: e.line(),
                col: e.column(),
                message: format!("not a patchplan plan: {e}"),
            }])
        })?;
        // v2 keeps an advisory's aliases and summary once, under `advisories` (a notice reads
        // them there); v1 in each finding, from which `advisories` is made.
        for f in &input.findings {
            if !input.advisories.contains_key(&f.advisory) {
                let a = AdvisoryInput {
                    aliases: f.aliases.clone(),
                    summary: f.summary.clone(),
                };
                input.advisories.insert(f.advisory.clone(), a);
            }
        }
        Ok(input)
    }
}

impl From<&Window> for WindowInput {
    fn from(w: &Window) -> Self {
        WindowInput {
            id: w.id.clone(),
            customer: w.customer.clone(),
            emergency: w.kind == WindowKind::Emergency,
            start: w.start,
            end: w.end,
            environments: w.environments.clone(),
            tasks: w
                .tasks
                .iter()
                .map(|t| TaskInput {
                    environment: t.environment.clone(),
                    package: t.package.clone(),
                    from: t.from.clone(),
                    to: t.to.clone(),
                    findings: t.findings.clone(),
                    decision: t.decision,
                    deadline: t.deadline,
                    downtime_minutes: t.downtime_minutes,
                    restart: t.restart,
                    install: t.install.clone(),
                })
                .collect(),
            reasons: w.reasons.clone(),
            reminders: (w.reminders.iter())
                .map(|r| ReminderInput {
                    before: r.before.clone(),
                    at: r.at,
                })
                .collect(),
        }
    }
}

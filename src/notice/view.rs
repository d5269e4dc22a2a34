//! The view model: one serialisable value per notice. Every format renders from it, and the
//! `json` format is it, as a webhook body. Under `summary` disclosure it carries no component
//! name, version or advisory id at all, so no template can leak one.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::locale;
use crate::inventory::{Contact, Customer, Disclosure, Inventory, Organisation};
use crate::plan::Plan;
use crate::risk::Decision;
use crate::schedule::{Window, WindowKind};

/// One notice.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    pub schema: &'static str,
    pub kind: &'static str,
    /// The window id: the reference customers quote.
    pub reference: String,
    pub uid: String,
    pub sequence: u32,
    pub locale: &'static str,
    pub disclosure: Disclosure,
    pub organisation: Organisation,
    pub customer: CustomerView,
    pub window: WindowView,
    /// The affected services (environment names).
    pub services: Vec<String>,
    /// Expected downtime the customer sees, in words, and in minutes.
    pub downtime: String,
    pub downtime_minutes: u32,
    /// `emergency`, `high` or `routine`, and its text in the notice's language.
    pub urgency: &'static str,
    pub urgency_text: &'static str,
    /// Why an emergency intervention, in words fit for the disclosure level.
    pub reason: String,
    /// Each change (only under `detailed` disclosure).
    pub changes: Vec<ChangeView>,
    pub contacts: Vec<Contact>,
    /// For `rescheduled`: the times announced before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<WindowView>,
    /// For `reminder`: how long before the window (`1d`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminder: Option<String>,
    /// For `completed`: `completed` or `failed`, and the operator's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeView>,
}

/// How a window ended, in a `completed` notice.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeView {
    pub status: &'static str,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    pub id: String,
    pub name: String,
    pub timezone: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowView {
    pub start: String,
    pub end: String,
    pub start_local: String,
    pub end_local: String,
    pub start_utc: String,
    pub end_utc: String,
    pub duration: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub service: String,
    pub component: String,
    pub from: String,
    pub to: String,
    pub advisories: String,
    pub decision: Decision,
}

/// The view of the notice for `window`.
pub fn build(
    inv: &Inventory,
    findings: &FindingIndex,
    window: &Window,
    customer: &Customer,
) -> NoticeView {
    let (tz, loc) = (customer.timezone, customer.locale);
    let detailed = customer.disclosure == Disclosure::Detailed;
    let env_name = |id: &str| {
        inv.environment(id)
            .map_or(id.to_string(), |e| e.name.clone())
    };
    let mut per_env: std::collections::BTreeMap<&str, u32> = Default::default();
    for t in &window.tasks {
        *per_env.entry(t.environment.as_str()).or_default() += t.downtime_minutes;
    }
    let downtime = per_env.values().copied().max().unwrap_or(0);
    let emergency = window.kind == WindowKind::Emergency;
    let urgency = if emergency {
        "emergency"
    } else if window.tasks.iter().any(|t| t.decision >= Decision::Attend) {
        "high"
    } else {
        "routine"
    };
    let changes = if detailed {
        window
            .tasks
            .iter()
            .map(|t| change(findings, t, &env_name(&t.environment)))
            .collect()
    } else {
        Vec::new()
    };
    NoticeView {
        schema: "patchplan.notice/v1",
        kind: if emergency { "emergency" } else { "scheduled" },
        reference: window.id.clone(),
        uid: format!("{}@{}", window.id, inv.organisation.domain),
        sequence: 0,
        locale: loc.code(),
        disclosure: customer.disclosure,
        organisation: inv.organisation.clone(),
        customer: CustomerView {
            id: customer.id.clone(),
            name: customer.name.clone(),
            timezone: tz.name().to_string(),
        },
        window: times(window.start, window.end, customer),
        services: window.environments.iter().map(|e| env_name(e)).collect(),
        downtime: locale::duration_words(downtime.into(), loc),
        downtime_minutes: downtime,
        urgency,
        urgency_text: locale::urgency(urgency, loc),
        reason: reason(emergency, detailed, window, loc),
        changes,
        contacts: customer.contacts.clone(),
        previous: None,
        reminder: None,
        outcome: None,
    }
}

/// A window's times in the customer's zone and language, and in UTC.
pub fn times(start: DateTime<Utc>, end: DateTime<Utc>, customer: &Customer) -> WindowView {
    let (tz, loc) = (customer.timezone, customer.locale);
    WindowView {
        start: start.to_rfc3339(),
        end: end.to_rfc3339(),
        start_local: locale::long_datetime(&start, tz, loc),
        end_local: locale::long_datetime(&end, tz, loc),
        start_utc: start.format("%Y-%m-%d %H:%M UTC").to_string(),
        end_utc: end.format("%Y-%m-%d %H:%M UTC").to_string(),
        duration: locale::duration_words((end - start).num_minutes(), loc),
    }
}

/// Each finding id's position in the plan and its advisory, built once per run.
pub type FindingIndex<'a> = HashMap<&'a str, (usize, &'a str)>;

/// Indexes the plan's findings for [`build`].
pub fn index(plan: &Plan) -> FindingIndex<'_> {
    let by_id = plan.findings.iter().enumerate();
    by_id
        .map(|(i, f)| (f.id.as_str(), (i, f.matched.advisory.as_str())))
        .collect()
}

fn change(findings: &FindingIndex, t: &crate::schedule::Task, service: &str) -> ChangeView {
    let mut hits: Vec<(usize, &str)> = t
        .findings
        .iter()
        .filter_map(|id| findings.get(id.as_str()).copied())
        .collect();
    hits.sort_unstable();
    let advisories: Vec<&str> = hits.into_iter().map(|(_, a)| a).collect();
    ChangeView {
        service: service.to_string(),
        component: t.package.clone(),
        from: t.from.clone(),
        to: t.to.clone(),
        advisories: advisories.join(", "),
        decision: t.decision,
    }
}

fn reason(
    emergency: bool,
    detailed: bool,
    window: &Window,
    loc: crate::inventory::Locale,
) -> String {
    use crate::inventory::Locale::*;
    match (emergency, detailed, loc) {
        (true, true, _) => window.reasons.join("; "),
        (true, false, En) => "A security issue affecting these services requires immediate action to protect the security and integrity of the service.".into(),
        (true, false, Es) => "Un problema de seguridad que afecta a estos servicios requiere una acción inmediata para proteger la seguridad e integridad del servicio.".into(),
        (false, _, En) => "Security and stability updates, applied according to operational priority and risk.".into(),
        (false, _, Es) => "Actualizaciones de seguridad y estabilidad, aplicadas según prioridad operativa y riesgo.".into(),
    }
}

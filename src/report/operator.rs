//! `report/index.html`: the operator's view of a run.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::html::{self, JS, e, table};
use super::{Sources, findings, timeline};
use crate::plan::Status;
use crate::risk::Decision;
use crate::schedule::{Task, Unscheduled, Window, WindowKind};

const DECISIONS: [Decision; 4] = [
    Decision::Act,
    Decision::Attend,
    Decision::TrackStar,
    Decision::Track,
];
const STATUSES: [Status; 5] = [
    Status::Open,
    Status::Excepted,
    Status::Informational,
    Status::NotAffected,
    Status::Fixed,
];

/// The whole page.
fn page_body(src: &Sources) -> String {
    let org = e(&src.inv.organisation.name);
    let now = utc(src.now());
    let mut body = format!(
        "<header>\n<h1>Patch plan: {org}</h1>\n<p>Planned at <time datetime=\"{}\">{now}</time></p>\n\
<nav aria-label=\"Sections\"><ul><li><a href=\"#summary\">Summary</a></li><li><a href=\"#timeline\">Timeline</a></li>\
<li><a href=\"#windows\">Windows</a></li><li><a href=\"#findings\">Findings</a></li><li><a href=\"#notices\">Notices</a></li><li><a href=\"#feeds\">Feeds</a></li></ul></nav>\n</header>\n<main id=\"main\">\n",
        src.now().to_rfc3339()
    );
    body.push_str(&summary(src));
    body.push_str(&timeline::section(src));
    body.push_str(&windows(src));
    body.push_str(&findings::section(src));
    body.push_str(&notices(src));
    body.push_str(&feeds(src));
    body.push_str("</main>\n<footer>Written by patchplan from plan.json and the ledger; times in UTC unless a zone is named.</footer>\n");
    body
}

pub fn page(src: &Sources) -> String {
    let title = format!("Patch plan: {}", src.inv.organisation.name);
    html::page("en", &title, "", &page_body(src), Some(JS))
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The plan in numbers, then by decision and status, its deadline misses and why open findings
/// are unscheduled.
fn summary(src: &Sources) -> String {
    let plan = src.plan;
    let emergencies = (plan.windows.iter())
        .filter(|w| w.kind == WindowKind::Emergency)
        .count();
    let misses: Vec<(&Window, &Task)> = (plan.windows.iter())
        .flat_map(|w| w.tasks.iter().map(move |t| (w, t)))
        .filter(|(_, t)| t.deadline_missed)
        .collect();
    let unscheduled = (plan.findings.iter())
        .filter(|f| f.status == Status::Open && f.window.is_none())
        .count();
    let mut out = String::from(
        "<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n<ul class=\"cards\">\n",
    );
    for (n, label) in [
        (plan.findings.len(), "findings"),
        (plan.windows.len(), "windows"),
        (emergencies, "emergency interventions"),
        (misses.len(), "deadline misses"),
        (unscheduled, "unscheduled open findings"),
    ] {
        out.push_str(&format!(
            "<li><strong data-count=\"{label}\">{n}</strong>{label}</li>\n"
        ));
    }
    out.push_str("</ul>\n");
    out.push_str(&by_decision(src));
    out.push_str(&deadline_misses(&misses));
    out.push_str(&unscheduled_reasons(src));
    out.push_str("</section>\n");
    out
}

/// The tasks placed after their deadline, each linked to its window.
fn deadline_misses(misses: &[(&Window, &Task)]) -> String {
    if misses.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = misses
        .iter()
        .map(|(w, t)| {
            vec![
                e(&t.environment),
                e(&format!("{} {} → {}", t.package, t.from, t.to)),
                e(t.decision.as_str()),
                t.deadline.map_or("-".into(), utc),
                utc(t.start),
                format!("<a href=\"#w-{}\">{}</a>", e(&w.id), e(&w.id)),
            ]
        })
        .collect();
    let header = [
        "Environment",
        "Upgrade",
        "Decision",
        "Deadline",
        "Starts",
        "Window",
    ];
    table("Deadline misses", &header, &rows)
}

/// Findings by decision (rows) and status (columns).
fn by_decision(src: &Sources) -> String {
    let mut counts: BTreeMap<(Decision, &str), usize> = BTreeMap::new();
    for f in &src.plan.findings {
        *counts
            .entry((f.risk.decision, f.status.as_str()))
            .or_default() += 1;
    }
    let mut header = vec!["Decision"];
    header.extend(STATUSES.iter().map(|s| s.as_str()));
    header.push("total");
    let rows: Vec<Vec<String>> = DECISIONS
        .iter()
        .map(|&d| {
            let mut row = vec![e(d.as_str())];
            let mut total = 0;
            for s in STATUSES {
                let n = counts.get(&(d, s.as_str())).copied().unwrap_or(0);
                total += n;
                row.push(n.to_string());
            }
            row.push(total.to_string());
            row
        })
        .collect();
    table("Findings by decision and status", &header, &rows)
}

fn unscheduled_reasons(src: &Sources) -> String {
    let mut counts: BTreeMap<Unscheduled, BTreeMap<Decision, usize>> = BTreeMap::new();
    for f in src
        .plan
        .findings
        .iter()
        .filter(|f| f.status == Status::Open && f.window.is_none())
    {
        let reason = f.unscheduled_reason.unwrap_or(Unscheduled::NoUsableWindow);
        *counts
            .entry(reason)
            .or_default()
            .entry(f.risk.decision)
            .or_default() += 1;
    }
    if counts.is_empty() {
        return "<p>Every open finding is in a window.</p>\n".into();
    }
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|(reason, by)| {
            let mut row = vec![e(reason.as_str())];
            row.extend(
                DECISIONS
                    .iter()
                    .map(|d| by.get(d).copied().unwrap_or(0).to_string()),
            );
            row
        })
        .collect();
    let header = ["Reason", "act", "attend", "track*", "track"];
    table("Unscheduled open findings by reason", &header, &rows)
}

/// Each feed used, with its age at the plan's `now`, and each ecosystem's coverage.
fn feeds(src: &Sources) -> String {
    let now = src.now();
    let rows: Vec<Vec<String>> = src
        .plan
        .feeds
        .iter()
        .map(|f| {
            let age = f.fetched_at.map_or("-".to_string(), |t| age(now - t));
            vec![
                e(&f.id),
                e(&format!("{:?}", f.kind).to_lowercase()),
                e(f.state.as_str()),
                f.records.to_string(),
                e(f.identity.as_deref().unwrap_or("-")),
                f.fetched_at.map_or("-".into(), utc),
                age,
            ]
        })
        .collect();
    let header = [
        "Feed", "Kind", "State", "Records", "Snapshot", "Fetched", "Age",
    ];
    let mut out = String::from(
        "<section id=\"feeds\" aria-labelledby=\"feeds-h\">\n<h2 id=\"feeds-h\">Feeds and coverage</h2>\n",
    );
    out.push_str(&table(
        "Feeds used, with their age at the plan's now",
        &header,
        &rows,
    ));
    let rows: Vec<Vec<String>> = src
        .plan
        .coverage
        .iter()
        .map(|c| {
            vec![
                e(&c.ecosystem),
                c.records.to_string(),
                c.components.to_string(),
                if c.checked { "yes" } else { "NO" }.into(),
            ]
        })
        .collect();
    let header = ["Ecosystem", "Advisory records", "Components", "Checked"];
    out.push_str(&table(
        "Coverage: advisory records per ecosystem",
        &header,
        &rows,
    ));
    out.push_str("</section>\n");
    out
}

fn age(d: chrono::TimeDelta) -> String {
    let h = d.num_hours();
    if h >= 48 {
        format!("{} days", h / 24)
    } else {
        format!("{h} h")
    }
}

/// Every window of the plan, as a table: the timeline's bars link here.
fn windows(src: &Sources) -> String {
    let rows: Vec<Vec<String>> = src
        .plan
        .windows
        .iter()
        .map(|w| {
            let decision = w.tasks.iter().map(|t| t.decision).max();
            let deadline = w.tasks.iter().filter_map(|t| t.deadline).min();
            vec![
                format!("<span id=\"w-{}\">{}</span>", e(&w.id), e(&w.id)),
                utc(w.start),
                e(&timeline::local(w.start, &w.timezone)),
                timeline::kind_badge(w),
                e(&w.customer),
                e(&w.environments.join(", ")),
                w.tasks.len().to_string(),
                decision.map_or("-".into(), |d| e(d.as_str())),
                deadline.map_or("-".into(), utc),
            ]
        })
        .collect();
    let header = [
        "Window",
        "Start (UTC)",
        "Local start",
        "Kind",
        "Customer",
        "Environments",
        "Tasks",
        "Decision",
        "Earliest deadline",
    ];
    format!(
        "<section id=\"windows\" aria-labelledby=\"windows-h\">\n<h2 id=\"windows-h\">Windows</h2>\n{}</section>\n",
        table("Windows and emergency interventions", &header, &rows)
    )
}

/// Every customer's notices about current windows, with links to their files, and the
/// customer's page.
fn notices(src: &Sources) -> String {
    let by_window = src.notices_by_window();
    let mut out = String::from(
        "<section id=\"notices\" aria-labelledby=\"notices-h\">\n<h2 id=\"notices-h\">Notices of current windows</h2>\n",
    );
    for c in &src.inv.customers {
        let id = e(&c.id);
        out.push_str(&format!(
            "<h3>{} <span class=\"muted\">({id}, {}, {})</span></h3>\n<p><a href=\"customers/{id}/index.html\">Customer page</a> · \
<a href=\"customers/{id}/maintenance.ics\">calendar</a> · <a href=\"customers/{id}/notices.atom\">feed</a></p>\n",
            e(&c.name),
            e(c.timezone.name()),
            e(c.locale.code())
        ));
        let rows: Vec<Vec<String>> = src
            .current(&c.id)
            .iter()
            .flat_map(|l| by_window.get(l.key.as_str()).into_iter().flatten())
            .map(|n| {
                let links: Vec<String> = n
                    .files
                    .iter()
                    .map(|f| {
                        let ext = f.rsplit('.').next().unwrap_or(f);
                        format!("<a href=\"../{}\">{}</a>", e(f), e(ext))
                    })
                    .collect();
                vec![
                    e(&n.id),
                    e(&n.kind),
                    n.sequence.to_string(),
                    e(&n.issued_at),
                    e(&send_at(n)),
                    links.join(" "),
                ]
            })
            .collect();
        if rows.is_empty() {
            out.push_str("<p>No current notices.</p>\n");
            continue;
        }
        let header = ["Notice", "Kind", "Sequence", "Issued", "Sent at", "Files"];
        out.push_str(&table(&format!("Notices for {}", c.id), &header, &rows));
    }
    out.push_str("</section>\n");
    out
}

/// When a notice is sent (a reminder at its time), from its view; `-` if it has none.
fn send_at(n: &crate::ledger::published::PublishedNotice) -> String {
    let view: Option<serde_json::Value> =
        n.view.as_deref().and_then(|v| serde_json::from_str(v).ok());
    view.as_ref()
        .and_then(|v| v.get("send_at"))
        .and_then(|v| v.as_str())
        .unwrap_or("-")
        .to_string()
}

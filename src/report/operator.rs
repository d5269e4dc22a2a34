//! `report/index.html`: the operator's view of a run.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::by_customer::{Share, Shown};
use super::html::{self, JS, e, table};
use super::tally::{DECISIONS, STATUSES, Tally};
use super::{Sources, customer, findings, timeline};
use crate::ledger::published::PublishedNotice;
use crate::schedule::{Task, Unscheduled, Window, WindowKind};

/// Deadline misses listed, at most (the count in the summary is of all).
const MISSES: usize = 100;

/// The whole page.
fn page_body(src: &Sources, shown: &Shown) -> String {
    let org = e(&src.inv.organisation.name);
    let now = utc(src.now());
    let mut body = format!(
        "<header>\n<h1>Patch plan: {org}</h1>\n<p>Planned at <time datetime=\"{}\">{now}</time></p>\n\
<nav aria-label=\"Sections\"><ul><li><a href=\"#summary\">Summary</a></li><li><a href=\"#timeline\">Timeline</a></li>\
<li><a href=\"#windows\">Windows</a></li><li><a href=\"#findings\">Findings</a></li><li><a href=\"#notices\">Notices</a></li><li><a href=\"#feeds\">Feeds</a></li></ul></nav>\n</header>\n<main id=\"main\">\n",
        src.now().to_rfc3339()
    );
    let tally = Tally::of(src, shown);
    body.push_str(&summary(src, shown, &tally));
    body.push_str(&timeline::section(src, shown, &tally.deadlines));
    body.push_str(&windows(src, shown));
    body.push_str(&findings::section(src));
    body.push_str(&notices(src, shown));
    body.push_str(&feeds(src));
    body.push_str("</main>\n<footer>Written by patchplan from plan.json and the ledger; times in UTC unless a zone is named.</footer>\n");
    body
}

/// The operator's page, detailing the `shown` customers.
pub fn page(src: &Sources, shown: &Shown) -> String {
    let title = format!("Patch plan: {}", src.inv.organisation.name);
    html::page("en", &title, "", &page_body(src, shown), Some(JS))
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The plan in numbers, then by decision and status, its deadline misses and why open findings
/// are unscheduled.
fn summary(src: &Sources, shown: &Shown, tally: &Tally) -> String {
    let plan = src.plan;
    let emergencies = (plan.windows.iter())
        .filter(|w| w.kind == WindowKind::Emergency)
        .count();
    let misses: Vec<(&Window, &Task)> = (plan.windows.iter())
        .flat_map(|w| w.tasks.iter().map(move |t| (w, t)))
        .filter(|(_, t)| t.deadline_missed)
        .collect();
    let unscheduled = tally.unscheduled_total();
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
    out.push_str(&by_decision(tally));
    out.push_str(&deadline_misses(&misses, shown));
    out.push_str(&unscheduled_reasons(tally));
    out.push_str("</section>\n");
    out
}

/// The tasks placed after their deadline (the first [`MISSES`], by window start), each linked to
/// its window when the windows table has it.
fn deadline_misses(misses: &[(&Window, &Task)], shown: &Shown) -> String {
    if misses.is_empty() {
        return String::new();
    }
    let window = |w: &Window| {
        if shown.details(&w.customer) {
            format!("<a href=\"#w-{}\">{}</a>", e(&w.id), e(&w.id))
        } else {
            e(&w.id)
        }
    };
    let rows: Vec<Vec<String>> = (misses.iter().take(MISSES))
        .map(|(w, t)| {
            vec![
                e(&t.environment),
                e(&format!("{} {} → {}", t.package, t.from, t.to)),
                e(t.decision.as_str()),
                t.deadline.map_or("-".into(), utc),
                utc(t.start),
                window(w),
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
    let mut out = String::new();
    if misses.len() > MISSES {
        out.push_str(&format!(
            "<p class=\"cap\" id=\"misses-cap\">The first {MISSES} of {} deadline misses, by window start; plan.json has every one.</p>\n",
            misses.len()
        ));
    }
    out.push_str(&table("Deadline misses", &header, &rows));
    out
}

/// Findings by decision (rows) and status (columns).
fn by_decision(tally: &Tally) -> String {
    let mut header = vec!["Decision"];
    header.extend(STATUSES.iter().map(|s| s.as_str()));
    header.push("total");
    let rows: Vec<Vec<String>> = (DECISIONS.iter().zip(&tally.by_decision))
        .map(|(d, counts)| {
            let mut row = vec![e(d.as_str())];
            row.extend(counts.iter().map(|n| n.to_string()));
            row.push(counts.iter().sum::<usize>().to_string());
            row
        })
        .collect();
    table("Findings by decision and status", &header, &rows)
}

fn unscheduled_reasons(tally: &Tally) -> String {
    let rows: Vec<Vec<String>> = (Unscheduled::ALL.iter().zip(&tally.unscheduled))
        .filter(|(_, by)| by.iter().any(|&n| n > 0))
        .map(|(reason, by)| {
            let mut row = vec![e(reason.as_str())];
            row.extend(by.iter().map(|n| n.to_string()));
            row
        })
        .collect();
    if rows.is_empty() {
        return "<p>Every open finding is in a window.</p>\n".into();
    }
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

/// The windows of the shown customers (every window, unless the fleet is too large to show),
/// as a table: the timeline's bars link here.
fn windows(src: &Sources, shown: &Shown) -> String {
    let rows: Vec<Vec<String>> = (src.plan.windows.iter())
        .filter(|w| shown.details(&w.customer))
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
    let note = if shown.capped() {
        format!(
            "<p class=\"cap\" id=\"windows-cap\">The {} windows of the {} customers on the timeline, of {} in all; plan.json has every one.</p>\n",
            rows.len(),
            shown.shares.len(),
            shown.all_windows()
        )
    } else {
        String::new()
    };
    format!(
        "<section id=\"windows\" aria-labelledby=\"windows-h\">\n<h2 id=\"windows-h\">Windows</h2>\n{note}{}</section>\n",
        table("Windows and emergency interventions", &header, &rows)
    )
}

/// The shown customers' notices about current windows, with links to their files, and every
/// customer's page.
fn notices(src: &Sources, shown: &Shown) -> String {
    let by_window = src.notices_by_window();
    let mut out = String::from(
        "<section id=\"notices\" aria-labelledby=\"notices-h\">\n<h2 id=\"notices-h\">Notices of current windows</h2>\n",
    );
    for share in &shown.shares {
        out.push_str(&customer_notices(share, &by_window));
    }
    if shown.capped() {
        out.push_str(&other_customers(shown, &by_window));
    }
    out.push_str("</section>\n");
    out
}

/// The current notices of the windows of `share`'s customer.
fn current_notices<'s>(
    share: &Share<'s>,
    by_window: &HashMap<&str, Vec<&'s PublishedNotice>>,
) -> Vec<&'s PublishedNotice> {
    (share.current())
        .flat_map(|l| by_window.get(l.key.as_str()).into_iter().flatten().copied())
        .collect()
}

/// A customer's heading, links and notices.
fn customer_notices(share: &Share, by_window: &HashMap<&str, Vec<&PublishedNotice>>) -> String {
    let c = share.customer;
    let id = e(&c.id);
    let mut out = format!(
        "<h3>{} <span class=\"muted\">({id}, {}, {})</span></h3>\n<p><a href=\"customers/{id}/index.html\">Customer page</a> · \
<a href=\"customers/{id}/maintenance.ics\">calendar</a> · <a href=\"customers/{id}/notices.atom\">feed</a></p>\n",
        e(&c.name),
        e(c.timezone.name()),
        e(c.locale.code())
    );
    let rows: Vec<Vec<String>> = current_notices(share, by_window)
        .into_iter()
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
        return out;
    }
    let header = ["Notice", "Kind", "Sequence", "Issued", "Sent at", "Files"];
    out.push_str(&table(&format!("Notices for {}", c.id), &header, &rows));
    out
}

/// The customers left off the timeline: a link to each one's page, which lists its notices.
fn other_customers(shown: &Shown, by_window: &HashMap<&str, Vec<&PublishedNotice>>) -> String {
    let others = shown.all.len() - shown.shares.len();
    let mut out = format!(
        "<h3 id=\"other-customers\">The other {others} customers</h3>\n<p>Their windows are not on the timeline; each one's page lists them, and its calendar and feed are beside it.</p>\n<ul class=\"others\">\n"
    );
    for share in shown.all.iter().filter(|s| !shown.details(&s.customer.id)) {
        let c = share.customer;
        out.push_str(&format!(
            "<li><a href=\"customers/{}/index.html\">{}</a> <span class=\"muted\">({}, {} current notices)</span></li>\n",
            e(&c.id),
            e(&c.name),
            e(&c.id),
            current_notices(share, by_window).len()
        ));
    }
    out.push_str("</ul>\n");
    out
}

/// When a notice is sent (a reminder at its time), from its view; `-` if it has none.
fn send_at(n: &PublishedNotice) -> String {
    customer::view_facts(n).map_or("-".to_string(), |v| v.send_at)
}

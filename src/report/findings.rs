//! The findings table. Findings travel as compact rows in one JSON block: every string that
//! repeats (customer, environment, package, version, advisory, deadline, window) is stored once
//! in a dictionary and rows refer to it by index, so each finding costs a few numbers. The
//! script sorts, filters and pages them; without it the first [`STATIC_ROWS`] rows, most urgent
//! first, are plain HTML.
//!
//! A fleet has millions of findings, too many for a page to carry and a browser to open, so the
//! page carries the [`ROWS`] most urgent and says, where the table is, how many there are in all
//! and that `plan.json` has every one. The summary's counts are over all of them.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::Sources;
use super::html::{e, script_json};
use crate::plan::PlanFinding;

/// Rows rendered as HTML for readers without script.
const STATIC_ROWS: usize = 100;
/// Rows the page carries, at most: the most urgent.
pub const ROWS: usize = 20_000;

/// Strings stored once, referred to by index.
#[derive(Default)]
struct Dict<'a> {
    index: HashMap<&'a str, usize>,
    values: Vec<&'a str>,
}

impl<'a> Dict<'a> {
    fn id(&mut self, s: &'a str) -> usize {
        *self.index.entry(s).or_insert_with(|| {
            self.values.push(s);
            self.values.len() - 1
        })
    }

    fn opt(&mut self, s: Option<&'a str>) -> i64 {
        s.map_or(-1, |s| self.id(s) as i64)
    }
}

/// The [`ROWS`] most urgent, most urgent first: decision, then score, then id (a total order,
/// so output is stable): the plan's own order.
fn ordered<'a>(src: &Sources<'a>) -> Vec<&'a PlanFinding> {
    src.plan.findings.iter().take(ROWS).collect()
}

/// The decisions, statuses and unscheduled reasons as rows number them.
const DECISIONS: [&str; 4] = ["track", "track*", "attend", "act"];
const STATUSES: [&str; 5] = ["open", "excepted", "informational", "not_affected", "fixed"];

/// The JSON block. `total` counts the plan's findings, of which `rows` are the most urgent.
/// `rows` are arrays of numbers, in the order of `columns`: `environment`
/// indexes `environments` (`[id, customer]`), `advisory` indexes `advisories` (`[id, summary]`),
/// `decision`, `status` and `reason` index their lists, `flags` is 1 for an emergency plus 2
/// for a missed deadline, `score` is the score; the other columns index `strings`; -1 is none.
/// Written directly rather than through `serde_json::Value`, which would cost hundreds of bytes
/// per finding for a fleet.
fn data(src: &Sources, findings: &[&PlanFinding], deadlines: &[&str], total: usize) -> String {
    let (inv, plan) = (src.inv, src.plan);
    let mut strings = Dict::default();
    let mut envs: Vec<(&str, &str)> = Vec::new();
    let mut env_index: HashMap<&str, usize> = HashMap::new();
    let mut advisories: Vec<(&str, &str)> = Vec::new();
    let mut adv_index: HashMap<&str, usize> = HashMap::new();
    let mut reasons: Vec<&str> = Vec::new();
    let mut rows = String::with_capacity(findings.len() * 48);
    for (i, (f, deadline)) in findings.iter().zip(deadlines).enumerate() {
        let env = *env_index.entry(f.environment()).or_insert_with(|| {
            envs.push((f.environment(), f.customer(inv)));
            envs.len() - 1
        });
        let adv = *adv_index.entry(&f.matched.advisory).or_insert_with(|| {
            advisories.push((&f.matched.advisory, &f.matched.summary));
            advisories.len() - 1
        });
        let reason = f.unscheduled_reason.map_or(-1, |r| {
            let r = r.as_str();
            match reasons.iter().position(|x| *x == r) {
                Some(i) => i as i64,
                None => {
                    reasons.push(r);
                    reasons.len() as i64 - 1
                }
            }
        });
        let decision = DECISIONS
            .iter()
            .position(|d| *d == plan.risk(f).decision.as_str());
        let status = STATUSES.iter().position(|s| *s == f.status.as_str());
        let flags = u8::from(f.emergency) + 2 * u8::from(f.deadline_missed);
        let score = (plan.risk(f).score * 10.0).round() / 10.0;
        let _ = write!(
            rows,
            "{}[{env},{},{},{},{adv},{},{},{},{},{score},{flags},{reason}]",
            if i == 0 { "" } else { ",\n" },
            strings.id(&f.matched.package),
            strings.id(&f.matched.version),
            strings.opt(f.matched.fixed.as_deref()),
            decision.unwrap_or(0),
            status.unwrap_or(0),
            strings.id(deadline),
            strings.opt(plan.window(f)),
        );
    }
    format!(
        "{{\"total\":{total},\"columns\":{},\"decisions\":{},\"statuses\":{},\"reasons\":{},\"environments\":{},\"strings\":{},\"advisories\":{},\"rows\":[\n{rows}]}}",
        json(&COLUMNS),
        json(&DECISIONS),
        json(&STATUSES),
        json(&reasons),
        json(&envs),
        json(&strings.values),
        json(&advisories),
    )
}

const COLUMNS: [&str; 12] = [
    "environment",
    "package",
    "version",
    "fixed",
    "advisory",
    "decision",
    "status",
    "deadline",
    "window",
    "score",
    "flags",
    "reason",
];

fn json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("strings serialise")
}

const HEADER: [(&str, &str); 10] = [
    ("customer", "Customer"),
    ("environment", "Environment"),
    ("package", "Package"),
    ("version", "Version"),
    ("fixed", "Fixed in"),
    ("advisory", "Advisory"),
    ("decision", "Decision"),
    ("status", "Status"),
    ("deadline", "Deadline (UTC)"),
    ("window", "Window"),
];

pub fn section(src: &Sources) -> String {
    let findings = ordered(src);
    let total = src.plan.findings.len();
    // Findings share a few deadlines: each is written once.
    let mut text: HashMap<DateTime<Utc>, String> = HashMap::new();
    for d in findings.iter().filter_map(|f| src.plan.risk(f).deadline) {
        text.entry(d)
            .or_insert_with(|| d.format("%Y-%m-%d %H:%M").to_string());
    }
    let deadlines: Vec<&str> = (findings.iter())
        .map(|f| src.plan.risk(f).deadline.map_or("", |d| &text[&d]))
        .collect();
    let mut out = format!(
        "<section id=\"findings\" aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">Findings</h2>\n{}{}\
<p id=\"findings-status\" role=\"status\" aria-live=\"polite\" data-count=\"{}\">{}</p>\n\
<table id=\"findings-table\">\n<caption>Findings, most urgent first</caption>\n<thead><tr>",
        cap_note(findings.len(), total),
        filters(src),
        findings.len(),
        static_status(findings.len(), total)
    );
    for (key, label) in HEADER.iter().chain([&("score", "Score")]) {
        out.push_str(&format!(
            "<th scope=\"col\" data-key=\"{key}\"{}>{label}</th>",
            if *key == "score" {
                " class=\"num\""
            } else {
                ""
            }
        ));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (f, deadline) in findings.iter().zip(&deadlines).take(STATIC_ROWS) {
        let cells = [
            e(f.customer(src.inv)),
            e(f.environment()),
            e(&f.matched.package),
            e(&f.matched.version),
            e(f.matched.fixed.as_deref().unwrap_or("-")),
            format!(
                "{}<br><span class=\"muted\">{}</span>",
                e(&f.matched.advisory),
                e(&f.matched.summary)
            ),
            e(src.plan.risk(f).decision.as_str()),
            e(f.status.as_str()),
            e(deadline),
            e(src.plan.window(f).unwrap_or("-")),
        ];
        out.push_str("<tr>");
        for c in cells {
            out.push_str(&format!("<td>{c}</td>"));
        }
        out.push_str(&format!(
            "<td class=\"num\">{:.1}</td></tr>\n",
            src.plan.risk(f).score
        ));
    }
    out.push_str("</tbody>\n</table>\n<div class=\"pager\" id=\"findings-pager\" hidden><button type=\"button\" id=\"prev\">Previous page</button><span id=\"page\"></span><button type=\"button\" id=\"next\">Next page</button></div>\n");
    let json = data(src, &findings, &deadlines, total);
    out.push_str(&format!(
        "<script type=\"application/json\" id=\"findings-data\">{}</script>\n</section>\n",
        script_json(&json)
    ));
    out
}

/// That the page carries `rows` of the `total` findings, when it does not carry all.
fn cap_note(rows: usize, total: usize) -> String {
    if rows == total {
        return String::new();
    }
    format!(
        "<p class=\"cap\" id=\"findings-cap\" data-rows=\"{rows}\" data-total=\"{total}\">There are {total} findings; \
this page carries the {rows} most urgent, and plan.json has every one. The summary counts all {total}.</p>\n"
    )
}

fn static_status(n: usize, total: usize) -> String {
    if n < total {
        format!(
            "The first {STATIC_ROWS} of the {n} most urgent findings ({total} in all); with script on, these {n} can be sorted, filtered and paged."
        )
    } else if n > STATIC_ROWS {
        format!(
            "The first {STATIC_ROWS} of {n} findings; with script on, all can be sorted, filtered and paged."
        )
    } else {
        format!("{n} findings.")
    }
}

/// The filter form; hidden until the script shows it, since it needs the script.
fn filters(src: &Sources) -> String {
    let mut customers = String::from("<option value=\"\">all</option>");
    for c in &src.inv.customers {
        customers.push_str(&format!(
            "<option value=\"{}\">{}</option>",
            e(&c.id),
            e(&c.id)
        ));
    }
    let decisions: String = ["", "act", "attend", "track*", "track"]
        .iter()
        .map(|d| {
            format!(
                "<option value=\"{d}\">{}</option>",
                if d.is_empty() { "all" } else { d }
            )
        })
        .collect();
    let statuses: String = [
        "",
        "open",
        "excepted",
        "informational",
        "not_affected",
        "fixed",
    ]
    .iter()
    .map(|s| {
        format!(
            "<option value=\"{s}\">{}</option>",
            if s.is_empty() { "all" } else { s }
        )
    })
    .collect();
    format!(
        "<form class=\"filters\" id=\"filters\" role=\"search\" aria-label=\"Filter findings\" hidden>\
<label>Customer <select name=\"customer\">{customers}</select></label>\
<label>Environment <input name=\"environment\" type=\"text\" placeholder=\"id or its start\"></label>\
<label>Decision <select name=\"decision\">{decisions}</select></label>\
<label>Status <select name=\"status\">{statuses}</select></label>\
<label>Text <input name=\"q\" type=\"search\" placeholder=\"package, advisory, summary\"></label>\
<button type=\"reset\">Clear</button></form>\n"
    )
}

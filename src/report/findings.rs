//! The findings table. Findings travel as compact rows in one JSON block: every string that
//! repeats (customer, environment, package, version, advisory, deadline, window) is stored once
//! in a dictionary and rows refer to it by index, so a fleet's million findings cost a few
//! numbers each. The script sorts, filters and pages them; without it the first
//! [`STATIC_ROWS`] rows, most urgent first, are plain HTML.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::Sources;
use super::html::{e, script_json};
use crate::plan::PlanFinding;

/// Rows rendered as HTML for readers without script.
const STATIC_ROWS: usize = 100;

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

/// Most urgent first: decision, then score, then id (a total order, so output is stable).
fn ordered<'a>(src: &Sources<'a>) -> Vec<&'a PlanFinding> {
    let mut all: Vec<&PlanFinding> = src.plan.findings.iter().collect();
    all.sort_by(|a, b| {
        (b.risk.decision.cmp(&a.risk.decision))
            .then(b.risk.score.total_cmp(&a.risk.score))
            .then(a.id.cmp(&b.id))
    });
    all
}

/// The JSON block: `columns`, the dictionaries, and `rows` of
/// `[customer, environment, package, version, fixed, advisory, decision, status, deadline,
/// window, score, emergency, deadline_missed, unscheduled_reason]` (indices; -1 for none).
fn data(findings: &[&PlanFinding], deadlines: &[String]) -> Value {
    let mut strings = Dict::default();
    let mut advisories: Vec<(&str, &str)> = Vec::new();
    let mut adv_index: HashMap<&str, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(findings.len());
    for (f, deadline) in findings.iter().zip(deadlines) {
        let adv = *adv_index.entry(&f.matched.advisory).or_insert_with(|| {
            advisories.push((&f.matched.advisory, &f.matched.summary));
            advisories.len() - 1
        });
        rows.push(json!([
            strings.id(&f.customer),
            strings.id(&f.environment),
            strings.id(&f.matched.package),
            strings.id(&f.matched.version),
            strings.opt(f.matched.fixed.as_deref()),
            adv,
            f.risk.decision.as_str(),
            f.status.as_str(),
            strings.id(deadline),
            strings.opt(f.window.as_deref()),
            (f.risk.score * 10.0).round() / 10.0,
            u8::from(f.emergency),
            u8::from(f.deadline_missed),
            f.unscheduled_reason.map(|r| r.as_str()),
        ]));
    }
    json!({
        "columns": ["customer", "environment", "package", "version", "fixed", "advisory", "decision",
            "status", "deadline", "window", "score", "emergency", "deadline_missed", "unscheduled_reason"],
        "strings": strings.values,
        "advisories": advisories,
        "rows": rows,
    })
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
    let deadlines: Vec<String> = findings
        .iter()
        .map(|f| {
            f.risk
                .deadline
                .map_or(String::new(), |d| d.format("%Y-%m-%d %H:%M").to_string())
        })
        .collect();
    let mut out = format!(
        "<section id=\"findings\" aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">Findings</h2>\n{}\
<p id=\"findings-status\" role=\"status\" aria-live=\"polite\" data-count=\"{}\">{}</p>\n\
<table id=\"findings-table\">\n<caption>Findings, most urgent first</caption>\n<thead><tr>",
        filters(src),
        findings.len(),
        static_status(findings.len())
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
            e(&f.customer),
            e(&f.environment),
            e(&f.matched.package),
            e(&f.matched.version),
            e(f.matched.fixed.as_deref().unwrap_or("-")),
            format!(
                "{}<br><span class=\"muted\">{}</span>",
                e(&f.matched.advisory),
                e(&f.matched.summary)
            ),
            e(f.risk.decision.as_str()),
            e(f.status.as_str()),
            e(deadline),
            e(f.window.as_deref().unwrap_or("-")),
        ];
        out.push_str("<tr>");
        for c in cells {
            out.push_str(&format!("<td>{c}</td>"));
        }
        out.push_str(&format!(
            "<td class=\"num\">{:.1}</td></tr>\n",
            f.risk.score
        ));
    }
    out.push_str("</tbody>\n</table>\n<div class=\"pager\" id=\"findings-pager\" hidden><button type=\"button\" id=\"prev\">Previous page</button><span id=\"page\"></span><button type=\"button\" id=\"next\">Next page</button></div>\n");
    let json = serde_json::to_string(&data(&findings, &deadlines)).expect("rows serialise");
    out.push_str(&format!(
        "<script type=\"application/json\" id=\"findings-data\">{}</script>\n</section>\n",
        script_json(&json)
    ));
    out
}

fn static_status(n: usize) -> String {
    if n > STATIC_ROWS {
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

//! The view model: one serialisable value per notice. Every template format renders from it, the
//! `ics` writer reads it, and the `json` format is it, as a webhook body. Under `summary`
//! disclosure it carries no component name, version, advisory id or CVSS vector at all, so no
//! template can leak one. Untrusted text is [`clean`]ed on the way in.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::escape::{clean, clean_name};
use super::input::{AdvisoryInput, FindingInput, TaskInput, WindowInput};
use super::locale::{self, ListStyle, Style};
use super::{Issue, Kind, Outcome, words};
use crate::inventory::{Contact, Customer, Disclosure, Locale, Organisation};
use crate::risk::Decision;
use crate::schedule::Unscheduled;

/// One notice.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    pub schema: &'static str,
    /// The notice id, also the stem of its files: `WINDOW.KIND` or `WINDOW.reminder-LEAD`.
    pub id: String,
    pub kind: Kind,
    /// The notice's title in its language: the heading, and the calendar SUMMARY's start.
    pub title: &'static str,
    /// The mail subject: the title, the services and the start in the customer's zone.
    pub subject: String,
    /// The window id: the reference customers quote.
    pub reference: String,
    /// The calendar UID: the same window occurrence has the same UID in every run.
    pub uid: String,
    pub sequence: u32,
    /// When the notice was made (the plan's `now`): the calendar DTSTAMP.
    pub issued: DateTime<Utc>,
    /// When to send it: `issued`, or for a reminder its lead before the start.
    pub send_at: DateTime<Utc>,
    pub locale: Locale,
    pub disclosure: Disclosure,
    /// The window is an emergency intervention, not a planned window.
    pub emergency: bool,
    pub organisation: Organisation,
    pub customer: CustomerView,
    pub window: TimesView,
    /// `rescheduled`: the times announced before.
    pub previous: Option<TimesView>,
    /// `reminder`: how long before the start it is sent.
    pub reminder: Option<ReminderView>,
    /// Whether the work has started when the notice is sent (`send_at` at or after the start):
    /// an emergency notice sent ahead says the work *will* take place.
    pub started: bool,
    /// The calendar alarms of a planned window's invitation (`scheduled`, `rescheduled`): one
    /// per reminder of the customer, so calendars remind without the invitation being sent
    /// again.
    pub alarms: Vec<ReminderView>,
    /// `completed`: how the work went.
    pub outcome: Option<OutcomeView>,
    /// The operator's words for a rescheduled, cancelled or completed notice.
    pub note: Option<String>,
    /// The affected services (environment names), in window order.
    pub services: Vec<String>,
    /// The longest downtime any one service sees, in minutes and in words.
    pub downtime_minutes: u32,
    pub downtime: String,
    /// `emergency`, `high` or `routine`, and its text in the notice's language.
    pub urgency: &'static str,
    pub urgency_text: &'static str,
    /// Why the work is done, in words fit for the disclosure level.
    pub reason: String,
    /// Each change, under `detailed` disclosure only.
    pub changes: Vec<ChangeView>,
    /// Under `detailed` disclosure only: the known flaws of these services that this work does
    /// not fix (no fix exists yet, or it is on another version line), as remaining risk.
    pub remaining: Vec<RemainingView>,
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    pub id: String,
    pub name: String,
    pub timezone: String,
}

/// A window's times: UTC instants for code and helpers, and the same written out.
#[derive(Debug, Clone, Serialize)]
pub struct TimesView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub start_local: String,
    pub end_local: String,
    pub start_utc: String,
    pub end_utc: String,
    pub minutes: i64,
    pub duration: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReminderView {
    pub lead_minutes: i64,
    pub lead: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutcomeView {
    /// `done`, `partial` or `rolled-back`.
    pub status: Outcome,
    /// The work failed and its changes were undone: the notice says so, not "completed".
    pub rolled_back: bool,
    pub text: &'static str,
}

/// One upgrade, as a `detailed` notice lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub service: String,
    pub component: String,
    pub from: String,
    pub to: String,
    pub decision: Decision,
    pub decision_text: &'static str,
    /// For an OS package, the command that upgrades its binary packages ...
    pub install: Option<String>,
    /// ... and what the upgrade restarts, in words.
    pub restart_text: &'static str,
    pub advisories: Vec<AdvisoryView>,
}

/// A known flaw of a service that stays after this work, as a `detailed` notice lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RemainingView {
    pub service: String,
    pub component: String,
    pub version: String,
    pub advisory: AdvisoryView,
    /// `no_fix` or `fix_on_other_branch`, and its words in the notice's language.
    pub reason: Unscheduled,
    pub reason_text: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdvisoryView {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
}

/// What every notice of one run draws on besides its window.
pub struct Sources<'a> {
    pub organisation: &'a Organisation,
    /// Environment id to the name customers know it by.
    pub names: HashMap<&'a str, &'a str>,
    pub findings: HashMap<&'a str, &'a FindingInput>,
    /// Advisories by id: what a task's finding is named by when `findings` does not list it.
    pub advisories: HashMap<&'a str, &'a AdvisoryInput>,
    /// The findings that remain (see [`FindingInput::remains`]) by environment.
    remaining: HashMap<&'a str, Vec<&'a FindingInput>>,
}

impl<'a> Sources<'a> {
    /// The advisory (id, aliases, summary) of finding `id`, whose advisory is `advisory`: the
    /// finding's own, else the advisory's.
    fn advisory(&self, id: &str, advisory: &str) -> Option<(&'a str, &'a [String], &'a str)> {
        if let Some(f) = self.findings.get(id) {
            let (aliases, summary) = self.about(f);
            return Some((&f.advisory, aliases, summary));
        }
        let (key, a) = self.advisories.get_key_value(advisory)?;
        Some((key, &a.aliases, &a.summary))
    }

    /// A finding's aliases and summary: its own, or (as plan.json v2 and a plan in memory keep
    /// them) its advisory's.
    fn about(&self, f: &'a FindingInput) -> (&'a [String], &'a str) {
        match self.advisories.get(f.advisory.as_str()) {
            Some(a) if f.aliases.is_empty() && f.summary.is_empty() => (&a.aliases, &a.summary),
            _ => (&f.aliases, &f.summary),
        }
    }

    /// The sources of every notice of a run: built once, read by every notice.
    pub fn new(
        organisation: &'a Organisation,
        names: HashMap<&'a str, &'a str>,
        findings: impl IntoIterator<Item = &'a FindingInput>,
        advisories: &'a HashMap<String, AdvisoryInput>,
    ) -> Sources<'a> {
        let mut by_id = HashMap::new();
        let mut remaining: HashMap<&str, Vec<&FindingInput>> = HashMap::new();
        for f in findings {
            // A finding that remains is in no task, so no task looks it up by id.
            if f.remains() {
                remaining.entry(f.environment.as_str()).or_default().push(f);
            } else {
                by_id.insert(f.id.as_str(), f);
            }
        }
        Sources {
            organisation,
            names,
            findings: by_id,
            advisories: (advisories.iter())
                .map(|(id, a)| (id.as_str(), a))
                .collect(),
            remaining,
        }
    }

    fn service(&self, env: &str) -> String {
        clean(self.names.get(env).copied().unwrap_or(env))
    }
}

/// The view of `issue` for `window`, addressed to `customer`.
pub fn build(
    src: &Sources,
    customer: &Customer,
    window: &WindowInput,
    issue: &Issue,
) -> NoticeView {
    let (tz, loc) = (customer.timezone, customer.locale);
    let detailed = customer.disclosure == Disclosure::Detailed;
    let downtime = downtime(&window.tasks);
    let urgency = urgency(window);
    let uid_of = issue.previous.as_ref().map_or(&window.id, |p| &p.window);
    let title = words::title(issue.kind, window.emergency, issue.outcome, loc);
    let services: Vec<String> = window.environments.iter().map(|e| src.service(e)).collect();
    let when = locale::long_datetime(&window.start, tz, loc);
    let subject = words::subject(title, &locale::list(&services, loc, ListStyle::And), &when);
    NoticeView {
        schema: "patchplan.notice/v1",
        id: issue.id(&window.id),
        kind: issue.kind,
        title,
        subject,
        reference: window.id.clone(),
        uid: format!("{uid_of}@{}", src.organisation.domain),
        sequence: issue.sequence,
        issued: issue.issued,
        send_at: issue.send_at,
        locale: loc,
        disclosure: customer.disclosure,
        emergency: window.emergency,
        organisation: organisation(src.organisation),
        customer: customer_view(customer),
        window: times(window.start, window.end, tz, loc),
        previous: (issue.previous.as_ref()).map(|p| times(p.start, p.end, tz, loc)),
        reminder: issue.lead.map(|d| reminder(d, loc)),
        started: issue.send_at >= window.start,
        alarms: alarms(window, issue.kind, loc),
        outcome: issue.outcome.map(|o| outcome(o, loc)),
        note: issue.note.as_deref().map(clean).filter(|n| !n.is_empty()),
        services,
        downtime_minutes: downtime,
        downtime: locale::duration_words(downtime.into(), loc),
        urgency,
        urgency_text: words::urgency(urgency, loc),
        reason: reason(window, detailed, tz, loc),
        changes: if detailed {
            changes(src, window, loc)
        } else {
            Vec::new()
        },
        remaining: if detailed {
            remaining(src, window, loc)
        } else {
            Vec::new()
        },
        contacts: customer.contacts.iter().map(contact).collect(),
    }
}

fn customer_view(c: &Customer) -> CustomerView {
    CustomerView {
        id: c.id.clone(),
        name: clean(&c.name),
        timezone: c.timezone.name().to_string(),
    }
}

fn reminder(lead: crate::duration::Duration, loc: Locale) -> ReminderView {
    ReminderView {
        lead_minutes: lead.minutes(),
        lead: locale::duration_words(lead.minutes(), loc),
    }
}

/// The customer's reminders, as alarms of a planned window's invitation, longest lead first.
fn alarms(window: &WindowInput, kind: Kind, loc: Locale) -> Vec<ReminderView> {
    if window.emergency || !matches!(kind, Kind::Scheduled | Kind::Rescheduled) {
        return Vec::new();
    }
    let mut leads: Vec<crate::duration::Duration> = (window.reminders.iter())
        .filter_map(|r| r.before.parse().ok())
        .collect();
    leads.sort_by_key(|d| std::cmp::Reverse(d.minutes()));
    leads.dedup_by_key(|d| d.minutes());
    leads.into_iter().map(|d| reminder(d, loc)).collect()
}

fn outcome(o: Outcome, loc: Locale) -> OutcomeView {
    OutcomeView {
        status: o,
        rolled_back: o == Outcome::RolledBack,
        text: words::outcome(o, loc),
    }
}

fn organisation(o: &Organisation) -> Organisation {
    Organisation {
        name: clean(&o.name),
        email: clean(&o.email),
        domain: clean(&o.domain),
    }
}

fn contact(c: &Contact) -> Contact {
    Contact {
        name: clean(&c.name),
        email: clean(&c.email),
    }
}

/// The times of a window in `tz` and in UTC.
pub fn times(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, loc: Locale) -> TimesView {
    let minutes = (end - start).num_minutes();
    let utc = |t: &DateTime<Utc>| locale::datetime(t, chrono_tz::UTC, loc, Style::Iso);
    TimesView {
        start,
        end,
        start_local: locale::long_datetime(&start, tz, loc),
        end_local: locale::long_datetime(&end, tz, loc),
        start_utc: utc(&start),
        end_utc: utc(&end),
        minutes,
        duration: locale::duration_words(minutes, loc),
    }
}

/// The longest downtime of any one service: its tasks run one after the other.
fn downtime(tasks: &[TaskInput]) -> u32 {
    let mut per_env: BTreeMap<&str, u32> = BTreeMap::new();
    for t in tasks {
        let d = per_env.entry(t.environment.as_str()).or_default();
        *d = d.saturating_add(t.downtime_minutes);
    }
    per_env.values().copied().max().unwrap_or(0)
}

fn urgency(window: &WindowInput) -> &'static str {
    if window.emergency {
        "emergency"
    } else if window.tasks.iter().any(|t| t.decision >= Decision::Attend) {
        "high"
    } else {
        "routine"
    }
}

fn changes(src: &Sources, window: &WindowInput, loc: Locale) -> Vec<ChangeView> {
    let change = |t: &TaskInput| ChangeView {
        service: src.service(&t.environment),
        component: clean_name(&t.package),
        from: clean(&t.from),
        to: clean(&t.to),
        decision: t.decision,
        decision_text: words::decision(t.decision, loc),
        install: t.install.as_deref().map(clean),
        restart_text: words::restart(t.restart, loc),
        advisories: t
            .findings
            .entries()
            .filter_map(|(id, advisory)| src.advisory(&id, advisory))
            .map(|(advisory, aliases, summary)| AdvisoryView {
                id: clean(advisory),
                aliases: aliases.iter().map(|a| clean(a)).collect(),
                summary: clean(summary),
            })
            .collect(),
    };
    window.tasks.iter().map(change).collect()
}

/// The open findings of the window's environments that no upgrade fixes, in window order, then
/// by component and advisory.
fn remaining(src: &Sources, window: &WindowInput, loc: Locale) -> Vec<RemainingView> {
    let mut found: Vec<(usize, &FindingInput)> = (window.environments.iter().enumerate())
        .flat_map(|(p, env)| {
            let here = src.remaining.get(env.as_str()).into_iter().flatten();
            here.map(move |f| (p, *f))
        })
        .collect();
    found.sort_by(|(a, f), (b, g)| (a, &f.package, &f.advisory).cmp(&(b, &g.package, &g.advisory)));
    found
        .into_iter()
        .filter_map(|(_, f)| {
            let reason = f.unscheduled_reason?;
            let (aliases, summary) = src.about(f);
            Some(RemainingView {
                service: src.service(&f.environment),
                component: clean(&f.package),
                version: clean(&f.version),
                advisory: AdvisoryView {
                    id: clean(&f.advisory),
                    aliases: aliases.iter().map(|a| clean(a)).collect(),
                    summary: clean(summary),
                },
                reason,
                reason_text: words::remaining(reason, loc),
            })
        })
        .collect()
}

/// The scheduler's words for an emergency an operator forced (`plan.json` window reasons).
const FORCED: &str = "forced by override: ";

/// Why the work is done. Under `detailed` disclosure an emergency says what made it one: a fix
/// rated `act`, an operator's decision, or a deadline no planned window meets.
fn reason(window: &WindowInput, detailed: bool, tz: Tz, loc: Locale) -> String {
    if !(window.emergency && detailed) {
        return words::generic_reason(window.emergency, loc).into();
    }
    let mut parts: Vec<String> = Vec::new();
    if window.tasks.iter().any(|t| t.decision == Decision::Act) {
        parts.push(words::act_reason(loc).into());
    }
    let forced: Vec<String> = (window.reasons.iter())
        .filter_map(|r| r.strip_prefix(FORCED))
        .map(clean)
        .collect();
    if !forced.is_empty() {
        parts.push(words::forced_reason(&forced.join("; "), loc));
    }
    let deadline = window.tasks.iter().filter_map(|t| t.deadline).min();
    match deadline {
        Some(d) if parts.is_empty() => {
            let when = locale::long_datetime(&d, tz, loc);
            parts.push(words::deadline_reason(&when, loc));
        }
        None if parts.is_empty() => parts.push(words::generic_reason(true, loc).into()),
        _ => {}
    }
    parts.join(" ")
}

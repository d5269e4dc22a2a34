//! The sample notices `patchplan validate` renders every template against: one per locale, kind
//! and disclosure level, each with the fields its kind has in a real run (a `rescheduled` notice
//! has `previous`, a `scheduled` one does not), so strict mode finds a template that reads a
//! field its kind lacks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::input::{FindingInput, TaskInput, WindowInput};
use super::view::{self, NoticeView, Sources};
use super::{Issue, Kind, Outcome, Previous};
use crate::duration::Duration;
use crate::inventory::{Contact, Customer, Disclosure, Locale, Organisation, Tier};
use crate::risk::Decision;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("sample times parse")
}

/// The sample notices of `kind` in `locale` under `disclosure`: one for each kind of window the
/// notice kind fits (a cancelled notice may be about a planned window or an emergency).
pub fn views(locale: Locale, kind: Kind, disclosure: Disclosure) -> Vec<NoticeView> {
    [false, true]
        .into_iter()
        .filter(|&emergency| kind.fits(emergency))
        .map(|emergency| view(locale, kind, disclosure, emergency))
        .collect()
}

fn view(locale: Locale, kind: Kind, disclosure: Disclosure, emergency: bool) -> NoticeView {
    let organisation = Organisation {
        name: "Example Operator".into(),
        email: "maintenance@operator.example".into(),
        domain: "operator.example".into(),
    };
    let finding = FindingInput {
        id: "sample-prod:openssl:ADV-1".into(),
        advisory: "ADV-1".into(),
        aliases: vec!["CVE-2026-0001".into()],
        summary: "Sample advisory summary".into(),
        ..FindingInput::default()
    };
    // One that no upgrade fixes, so templates render their remaining-risk part too.
    let unfixed = FindingInput {
        id: "sample-prod:openssl:ADV-2".into(),
        advisory: "ADV-2".into(),
        aliases: vec!["CVE-2026-0002".into()],
        summary: "Sample advisory nobody has fixed".into(),
        environment: "sample-prod".into(),
        package: "openssl".into(),
        version: "3.0.11".into(),
        unscheduled_reason: Some(crate::schedule::Unscheduled::NoFix),
    };
    let advisories = HashMap::new();
    let sources = Sources::new(
        &organisation,
        HashMap::from([("sample-prod", "Sample production")]),
        [&finding, &unfixed],
        &advisories,
    );
    let window = window(emergency);
    view::build(
        &sources,
        &customer(locale, disclosure),
        &window,
        &issue(kind, disclosure),
    )
}

fn customer(locale: Locale, disclosure: Disclosure) -> Customer {
    Customer {
        id: "sample".into(),
        name: "Sample Customer".into(),
        timezone: chrono_tz::America::New_York,
        locale,
        tier: Tier::Standard,
        notice: Duration::from_minutes(72 * 60),
        disclosure,
        contacts: vec![Contact {
            name: "Operations".into(),
            email: "ops@customer.example".into(),
        }],
        webhook: None,
        reminders: vec![Duration::from_minutes(24 * 60)],
        windows: Vec::new(),
        blackouts: Vec::new(),
    }
}

fn window(emergency: bool) -> WindowInput {
    WindowInput {
        id: "sample.sunday-early.2026-11-01".into(),
        customer: "sample".into(),
        emergency,
        start: at("2026-11-01T05:30:00Z"),
        end: at("2026-11-01T08:30:00Z"),
        environments: vec!["sample-prod".into()],
        tasks: vec![TaskInput {
            environment: "sample-prod".into(),
            package: "openssl".into(),
            from: "3.0.11".into(),
            to: "3.0.13".into(),
            findings: vec!["sample-prod:openssl:ADV-1".into()].into(),
            decision: if emergency {
                Decision::Act
            } else {
                Decision::Attend
            },
            deadline: Some(at("2026-11-10T09:00:00Z")),
            downtime_minutes: 5,
            restart: crate::inventory::Restart::Service,
            install: Some("apt-get install --only-upgrade libssl3 openssl".into()),
        }],
        reasons: Vec::new(),
        reminders: vec![super::input::ReminderInput {
            before: "1d".into(),
            at: at("2026-10-31T05:30:00Z"),
        }],
    }
}

/// The issue of `kind`, with a note under `detailed` so both branches of `{{#if note}}` run.
fn issue(kind: Kind, disclosure: Disclosure) -> Issue {
    let now = at("2026-10-27T09:00:00Z");
    let mut issue = Issue::new(kind, now);
    match kind {
        Kind::Reminder => {
            issue.lead = Some(Duration::from_minutes(24 * 60));
            issue.send_at = at("2026-10-31T05:30:00Z");
        }
        Kind::Rescheduled => {
            issue.previous = Some(Previous {
                window: "sample.sunday-early.2026-10-25".into(),
                start: at("2026-10-25T05:30:00Z"),
                end: at("2026-10-25T08:30:00Z"),
            });
        }
        Kind::Completed => issue.outcome = Some(Outcome::Done),
        _ => {}
    }
    let takes_note = matches!(kind, Kind::Rescheduled | Kind::Cancelled | Kind::Completed);
    if takes_note && disclosure == Disclosure::Detailed {
        issue.note = Some("Sample note from the operator".into());
    }
    issue
}

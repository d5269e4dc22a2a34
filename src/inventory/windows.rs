//! Checks of maintenance windows that need the rule expanded: a rule that never occurs, a window
//! longer than the gap between its occurrences, and `[[pins]]` naming an occurrence that does not
//! exist. Caught at `validate`, with the position in the file, rather than as a silent empty plan.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta};
use toml::Spanned;

use super::check::Check;
use super::model::{Customer, Environment, Pin, WindowSpec};
use super::raw::{RawPin, RawWindow};
use crate::diag::{Diagnostic, Source};

/// How far from `since` a rule must produce a date.
const NEVER_YEARS: u32 = 10;
/// How far from `since` occurrences are compared for overlap.
const OVERLAP_YEARS: u32 = 2;

/// The local start of every occurrence of `spec` from its `since` through `until`.
pub fn local_starts(spec: &WindowSpec, until: NaiveDate) -> Vec<NaiveDateTime> {
    let days = Days::new((spec.offset.minutes() / 1440).max(0) as u64);
    spec.rule
        .dates(spec.since, until)
        .into_iter()
        .filter_map(|d| Some(d.checked_add_days(days)?.and_time(spec.start)))
        .collect()
}

/// Reports a rule that gives no date, and occurrences that would overlap in `tz`: a window's
/// length is elapsed time, so two occurrences a local day apart are 23 hours apart across the
/// change to summer time.
pub fn check(c: &mut Check, raw: &RawWindow, spec: &WindowSpec, tz: chrono_tz::Tz) {
    let horizon = |years| spec.since.checked_add_months(Months::new(12 * years));
    let Some(far) = horizon(NEVER_YEARS) else {
        return;
    };
    let near_date = horizon(OVERLAP_YEARS).unwrap_or(far);
    let near = near_date.and_time(spec.start);
    // The occurrences through a year past `near` (a fleet has thousands of customers' windows
    // to check); all of them through `far` only when none of those falls after `near`, so the
    // pairs compared below are the same either way.
    let margin = (near_date.checked_add_days(Days::new(366))).map_or(far, |d| d.min(far));
    let mut starts = local_starts(spec, margin);
    if starts.last().is_none_or(|s| *s <= near) {
        starts = local_starts(spec, far);
    }
    if starts.is_empty() {
        let since = spec.since;
        let message = format!("this RRULE gives no date in the {NEVER_YEARS} years from {since}");
        c.error(&raw.rrule, message);
        return;
    }
    let length = spec.duration.delta();
    // No zone has moved its clocks by more (Samoa skipped a day in 2011): pairs further apart
    // than the window and this cannot overlap, and are not localised (a fleet has thousands).
    let most_shift = TimeDelta::hours(26);
    let elapsed = |a: NaiveDateTime, b: NaiveDateTime| {
        crate::rrule::localise(tz, b) - crate::rrule::localise(tz, a)
    };
    let overlap = (starts.windows(2))
        .take_while(|pair| pair[0] <= near)
        .filter(|pair| pair[1] - pair[0] < length + most_shift)
        .map(|pair| (pair, elapsed(pair[0], pair[1])))
        .find(|(_, gap)| *gap < length);
    if let Some((pair, gap)) = overlap {
        let gap = crate::duration::Duration::from_minutes(gap.num_minutes());
        let (a, b) = (
            pair[0].format("%Y-%m-%d %H:%M"),
            pair[1].format("%Y-%m-%d %H:%M"),
        );
        c.error(
            &raw.duration,
            format!(
                "the window lasts {}, longer than the {gap} between its occurrences at {a} and {b}: they would overlap",
                spec.duration
            ),
        );
    }
}

/// Validates `[[pins]]`: the environment, its component, the window of its customer, and an
/// occurrence of that window starting on the date given.
pub fn pins(
    src: &Source,
    raw: &[RawPin],
    customers: &BTreeMap<String, Customer>,
    environments: &BTreeMap<String, Environment>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Pin> {
    let mut c = Check { src, diags };
    raw.iter()
        .filter_map(|p| pin(&mut c, p, customers, environments))
        .collect()
}

fn pin(
    c: &mut Check,
    p: &RawPin,
    customers: &BTreeMap<String, Customer>,
    environments: &BTreeMap<String, Environment>,
) -> Option<Pin> {
    let Some(env) = environments.get(p.environment.get_ref()) else {
        c.error(
            &p.environment,
            format!("unknown environment `{}`", p.environment.get_ref()),
        );
        return None;
    };
    if !env
        .components
        .iter()
        .any(|x| &x.name == p.component.get_ref())
    {
        let message = format!(
            "environment `{}` has no component `{}`",
            env.id,
            p.component.get_ref()
        );
        c.error(&p.component, message);
    }
    let customer = customers.get(&env.customer)?;
    let window = window_of(c, &p.window, customer, env)?;
    let date = c.date(&p.date)?;
    occurs_on(c, &p.date, window, date)?;
    Some(Pin {
        environment: env.id.clone(),
        component: p.component.get_ref().clone(),
        window: window.id.clone(),
        date,
        reason: p.reason.clone(),
    })
}

fn window_of<'a>(
    c: &mut Check,
    name: &Spanned<String>,
    customer: &'a Customer,
    env: &Environment,
) -> Option<&'a WindowSpec> {
    let found = customer.windows.iter().find(|w| &w.id == name.get_ref());
    let allowed = env.windows.is_empty() || env.windows.contains(name.get_ref());
    match found {
        Some(w) if allowed => Some(w),
        Some(_) => {
            let message = format!(
                "environment `{}` does not use window `{}`",
                env.id,
                name.get_ref()
            );
            c.error(name, message);
            None
        }
        None => {
            let ids: Vec<&str> = customer.windows.iter().map(|w| w.id.as_str()).collect();
            let message = format!(
                "customer `{}` has no window `{}` (its windows: {})",
                customer.id,
                name.get_ref(),
                ids.join(", ")
            );
            c.error(name, message);
            None
        }
    }
}

/// Whether `window` has an occurrence starting on local `date`; if not, says which dates near it
/// it has.
fn occurs_on(
    c: &mut Check,
    at: &Spanned<String>,
    window: &WindowSpec,
    date: NaiveDate,
) -> Option<()> {
    let until = date.checked_add_signed(TimeDelta::days(62)).unwrap_or(date);
    let starts: Vec<NaiveDate> = local_starts(window, until)
        .iter()
        .map(|s| s.date())
        .collect();
    if starts.contains(&date) {
        return Some(());
    }
    let before = starts.iter().rev().find(|d| **d < date);
    let after = starts.iter().find(|d| **d > date);
    let near: Vec<String> = before
        .into_iter()
        .chain(after)
        .map(|d| format!("{d} ({})", d.weekday()))
        .collect();
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!("; the nearest: {}", near.join(", "))
    };
    let weekday = date.weekday();
    c.error(
        at,
        format!(
            "window `{}` has no occurrence on {date} ({weekday}){hint}",
            window.id
        ),
    );
    None
}

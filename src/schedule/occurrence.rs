//! Window occurrences: a customer's rules expanded to local dates, given their local start time,
//! and localised in the customer's zone by RFC 5545 3.3.5: a start inside a DST gap moves forward
//! by the gap, an ambiguous start takes the first occurrence. Durations are elapsed time.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::inventory::{Blackout, Customer, WindowSpec};

/// One occurrence of one window.
#[derive(Debug, Clone, Serialize)]
pub struct Occurrence {
    pub window: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Local start, with its UTC offset, in the customer's zone.
    pub local_start: String,
    pub utc_offset: String,
    /// The blackout that blocks it, if any.
    pub blocked_by: Option<BlockedBy>,
    /// The window's usable length for tasks: duration minus cutoff, in minutes.
    #[serde(skip)]
    pub capacity_minutes: i64,
    /// At most this many upgrades in it.
    #[serde(skip)]
    pub max_changes: Option<u32>,
}

/// A blackout overlapping an occurrence.
#[derive(Debug, Clone, Serialize)]
pub struct BlockedBy {
    pub reason: String,
    pub hard: bool,
}

pub use crate::rrule::localise;

/// Occurrences of all of `customer`'s windows that start in `[from, to)`, sorted by start and
/// window id, with blackouts marked.
pub fn expand(customer: &Customer, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
    let tz = customer.timezone;
    let mut out: Vec<Occurrence> = customer
        .windows
        .iter()
        .flat_map(|w| expand_window(w, tz, from, to))
        .map(|mut o| {
            o.blocked_by = blackout_for(&customer.blackouts, tz, o.start, o.end);
            o
        })
        .collect();
    out.sort_by(|a, b| (a.start, &a.window).cmp(&(b.start, &b.window)));
    out
}

fn expand_window(
    w: &WindowSpec,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Occurrence> {
    let offset_days = Days::new((w.offset.minutes() / 1440) as u64);
    let last = to
        .with_timezone(&tz)
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap_or(NaiveDate::MAX);
    w.rule
        .dates(w.since, last)
        .into_iter()
        .filter_map(|d| {
            let local = d.checked_add_days(offset_days)?.and_time(w.start);
            let start = localise(tz, local);
            let start_utc = start.with_timezone(&Utc);
            (start_utc >= from && start_utc < to).then(|| Occurrence {
                window: w.id.clone(),
                start: start_utc,
                end: start_utc + w.duration.delta(),
                local_start: start.format("%Y-%m-%dT%H:%M%:z").to_string(),
                utc_offset: start.format("%:z").to_string(),
                blocked_by: None,
                capacity_minutes: (w.duration.minutes() - w.cutoff.minutes()),
                max_changes: w.max_changes,
            })
        })
        .collect()
}

/// The first blackout whose local dates overlap `[start, end)` in `tz`.
pub fn blackout_for(
    blackouts: &[Blackout],
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Option<BlockedBy> {
    let first = start.with_timezone(&tz).date_naive();
    let last = (end - TimeDelta::minutes(1))
        .max(start)
        .with_timezone(&tz)
        .date_naive();
    let mut hits: Vec<&Blackout> = blackouts
        .iter()
        .filter(|b| b.from <= last && b.to >= first)
        .collect();
    hits.sort_by_key(|b| !b.hard);
    hits.first().map(|b| BlockedBy {
        reason: b.reason.clone(),
        hard: b.hard,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use chrono_tz::America::New_York;

    fn local(tz: Tz, s: &str) -> String {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        localise(tz, naive).to_rfc3339()
    }

    #[test]
    fn follows_rfc_5545_at_dst_transitions() {
        // Spring forward: 02:30 does not exist in New York on 2026-03-08; it becomes 03:30 EDT.
        assert_eq!(
            local(New_York, "2026-03-08 02:30"),
            "2026-03-08T03:30:00-04:00"
        );
        // Fall back: 01:30 happens twice on 2026-11-01; the first (EDT) is taken.
        assert_eq!(
            local(New_York, "2026-11-01 01:30"),
            "2026-11-01T01:30:00-04:00"
        );
        assert_eq!(
            local(New_York, "2026-11-08 01:30"),
            "2026-11-08T01:30:00-05:00"
        );
        // Lord Howe Island has a 30-minute gap.
        let lh: Tz = "Australia/Lord_Howe".parse().unwrap();
        assert_eq!(local(lh, "2026-10-04 02:15"), "2026-10-04T02:45:00+11:00");
    }

    /// A customer in `zone` with one window: `rule` plus `offset` days, starting at `start`.
    fn customer(zone: &str, rule: &str, offset: i64, start: &str) -> Customer {
        use crate::duration::Duration;
        use crate::inventory::{Disclosure, Locale, Tier};
        let window = WindowSpec {
            id: "w".into(),
            rule: rule.parse().unwrap(),
            since: "2026-01-01".parse().unwrap(),
            offset: Duration::from_minutes(offset * 1440),
            start: chrono::NaiveTime::parse_from_str(start, "%H:%M").unwrap(),
            duration: Duration::from_minutes(60),
            cutoff: Duration::ZERO,
            max_changes: None,
        };
        Customer {
            id: "c".into(),
            name: "C".into(),
            timezone: zone.parse().unwrap(),
            locale: Locale::En,
            tier: Tier::Standard,
            notice: Duration::ZERO,
            disclosure: Disclosure::Summary,
            contacts: Vec::new(),
            webhook: None,
            reminders: Vec::new(),
            windows: vec![window],
            blackouts: Vec::new(),
        }
    }

    /// Every occurrence in tests/fixtures/occurrences/occurrences.tsv, which python-dateutil and
    /// zoneinfo computed independently (12 zones, 9 rules, 2 years, DST gaps and folds).
    #[test]
    fn agrees_with_dateutil_and_zoneinfo_over_two_years() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/occurrences/occurrences.tsv"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let mut expected: std::collections::BTreeMap<(&str, &str, &str, &str), Vec<String>> =
            Default::default();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = line.split('\t').collect();
            expected
                .entry((f[0], f[1], f[2], f[3]))
                .or_default()
                .push(format!("{} {}", f[4], f[5]));
        }
        assert!(expected.len() >= 12 * 14, "{} series", expected.len());
        let (from, to) = (
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "2028-01-01T00:00:00Z".parse().unwrap(),
        );
        for ((zone, rule, offset, start), want) in &expected {
            let c = customer(zone, rule, offset.parse().unwrap(), start);
            let got: Vec<String> = expand(&c, from, to)
                .iter()
                .map(|o| format!("{} {}", o.start.format("%Y-%m-%dT%H:%MZ"), o.local_start))
                .collect();
            assert_eq!(&got, want, "{zone} {rule} +{offset}d {start}");
        }
    }
}

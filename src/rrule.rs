//! The RFC 5545 RRULE subset maintenance windows use, expanded to local dates.
//!
//! Written by hand rather than with the `rrule` crate: that crate expands in zoned time and has
//! open DST bugs (duplicated and missing occurrences at transitions). Here a rule yields local
//! *dates* only; the caller adds the local start time and localises each occurrence itself
//! (see `occurrence.rs`), which is where RFC 5545 3.3.5's gap and overlap rules apply.
//!
//! Supported: FREQ=DAILY|WEEKLY|MONTHLY, INTERVAL, BYDAY (with ordinals for MONTHLY, such as
//! `2TU` or `-1SU`), BYMONTHDAY (negative too), BYMONTH, BYSETPOS, COUNT, UNTIL, WKST=MO.

use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
}

/// A parsed recurrence rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RRule {
    pub freq: Freq,
    pub interval: u32,
    /// Weekdays, with an optional ordinal within the month (`2TU` is `(Some(2), Tue)`).
    pub by_day: Vec<(Option<i32>, Weekday)>,
    pub by_month_day: Vec<i32>,
    pub by_month: Vec<u32>,
    pub by_set_pos: Vec<i32>,
    pub count: Option<u32>,
    pub until: Option<NaiveDate>,
}

impl FromStr for RRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut rule = RRule {
            freq: Freq::Weekly,
            interval: 1,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_month: Vec::new(),
            by_set_pos: Vec::new(),
            count: None,
            until: None,
        };
        let mut freq = None;
        let body = s.strip_prefix("RRULE:").unwrap_or(s);
        let mut seen = std::collections::HashSet::new();
        for part in body.split(';').filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not KEY=VALUE"))?;
            // RFC 5545 3.3.10: each rule part at most once; a second FREQ is no refinement.
            if !seen.insert(key) {
                return Err(format!(
                    "`{key}` appears twice; each RRULE part may appear once"
                ));
            }
            match key {
                "FREQ" => freq = Some(parse_freq(value)?),
                "INTERVAL" => rule.interval = parse_num(key, value).and_then(positive)?,
                "BYDAY" => rule.by_day = list(value, parse_weekday)?,
                "BYMONTHDAY" => rule.by_month_day = list(value, month_day)?,
                "BYMONTH" => rule.by_month = list(value, month)?,
                "BYSETPOS" => rule.by_set_pos = list(value, |v| parse_num(key, v))?,
                "COUNT" => rule.count = Some(parse_num(key, value).and_then(positive)?),
                "UNTIL" => rule.until = Some(parse_until(value)?),
                "WKST" if value == "MO" => {}
                "WKST" => return Err("only WKST=MO is supported".into()),
                _ => return Err(format!("unsupported RRULE part `{key}`")),
            }
        }
        rule.freq = freq.ok_or("an RRULE needs FREQ (DAILY, WEEKLY or MONTHLY)")?;
        if rule.freq != Freq::Monthly && rule.by_day.iter().any(|(n, _)| n.is_some()) {
            return Err("BYDAY ordinals such as `2TU` need FREQ=MONTHLY".into());
        }
        if rule.count.is_some() && rule.until.is_some() {
            return Err("COUNT and UNTIL cannot both be given".into());
        }
        Ok(rule)
    }
}

impl RRule {
    /// The local dates of the rule, from `since` (its DTSTART) through `end`, in order.
    pub fn dates(&self, since: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
        let last = self.until.map_or(end, |u| u.min(end));
        let mut out = Vec::new();
        let mut produced = 0u32;
        for period in 0u32.. {
            let Some(start) = self.period_start(since, period * self.interval) else {
                break;
            };
            if start > last {
                break;
            }
            let mut days = self.candidates(start, since);
            days = self.apply_set_pos(days);
            for day in days.into_iter().filter(|d| *d >= since) {
                if self.count.is_some_and(|c| produced >= c) || day > last {
                    return out;
                }
                produced += 1;
                out.push(day);
            }
        }
        out
    }

    fn period_start(&self, since: NaiveDate, n: u32) -> Option<NaiveDate> {
        match self.freq {
            Freq::Daily => since.checked_add_days(Days::new(n.into())),
            Freq::Weekly => {
                let monday = since
                    .checked_sub_days(Days::new(since.weekday().num_days_from_monday().into()))?;
                monday.checked_add_days(Days::new(u64::from(n) * 7))
            }
            Freq::Monthly => since.with_day(1)?.checked_add_months(Months::new(n)),
        }
    }

    fn candidates(&self, start: NaiveDate, since: NaiveDate) -> Vec<NaiveDate> {
        let span: Vec<NaiveDate> = match self.freq {
            Freq::Daily => vec![start],
            Freq::Weekly => start.iter_days().take(7).collect(),
            Freq::Monthly => start
                .iter_days()
                .take_while(|d| d.month() == start.month())
                .collect(),
        };
        span.into_iter()
            .filter(|d| self.matches(*d, since))
            .collect()
    }

    fn matches(&self, day: NaiveDate, since: NaiveDate) -> bool {
        if !self.by_month.is_empty() && !self.by_month.contains(&day.month()) {
            return false;
        }
        let by_day_ok = self.by_day.is_empty()
            || self
                .by_day
                .iter()
                .any(|(n, wd)| weekday_matches(day, *n, *wd));
        let by_month_day_ok = self.by_month_day.is_empty()
            || self.by_month_day.iter().any(|n| month_day_matches(day, *n));
        let default_ok = match self.freq {
            _ if !self.by_day.is_empty() || !self.by_month_day.is_empty() => true,
            Freq::Daily => true,
            // Without BYDAY a weekly rule recurs on its DTSTART's weekday, a monthly one on its
            // DTSTART's day of the month (RFC 5545 3.3.10).
            Freq::Weekly => day.weekday() == since.weekday(),
            Freq::Monthly => day.day() == since.day(),
        };
        by_day_ok && by_month_day_ok && default_ok
    }

    fn apply_set_pos(&self, days: Vec<NaiveDate>) -> Vec<NaiveDate> {
        if self.by_set_pos.is_empty() {
            return days;
        }
        let len = days.len() as i32;
        let mut picked: Vec<NaiveDate> = self
            .by_set_pos
            .iter()
            .filter_map(|&p| {
                let idx = if p > 0 { p - 1 } else { len + p };
                (0..len).contains(&idx).then(|| days[idx as usize])
            })
            .collect();
        picked.sort();
        picked.dedup();
        picked
    }
}

fn weekday_matches(day: NaiveDate, ordinal: Option<i32>, wd: Weekday) -> bool {
    if day.weekday() != wd {
        return false;
    }
    let Some(n) = ordinal else { return true };
    let nth_from_start = (day.day() as i32 - 1) / 7 + 1;
    let days_in_month = days_in_month(day);
    let nth_from_end = (days_in_month as i32 - day.day() as i32) / 7 + 1;
    if n > 0 {
        nth_from_start == n
    } else {
        nth_from_end == -n
    }
}

fn month_day_matches(day: NaiveDate, n: i32) -> bool {
    let len = days_in_month(day) as i32;
    let wanted = if n > 0 { n } else { len + n + 1 };
    day.day() as i32 == wanted
}

fn days_in_month(day: NaiveDate) -> u32 {
    let first = day.with_day(1).expect("day 1 exists in every month");
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    next.signed_duration_since(first).num_days() as u32
}

fn parse_freq(v: &str) -> Result<Freq, String> {
    match v {
        "DAILY" => Ok(Freq::Daily),
        "WEEKLY" => Ok(Freq::Weekly),
        "MONTHLY" => Ok(Freq::Monthly),
        _ => Err(format!(
            "unsupported FREQ `{v}`: expected DAILY, WEEKLY or MONTHLY"
        )),
    }
}

fn parse_num<T: FromStr>(key: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{key}: `{v}` is not a number"))
}

fn positive(n: u32) -> Result<u32, String> {
    if n == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(n)
    }
}

fn list<T>(value: &str, f: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    value.split(',').map(f).collect()
}

fn parse_weekday(v: &str) -> Result<(Option<i32>, Weekday), String> {
    let split = v.len().saturating_sub(2);
    let (Some(num), Some(day)) = (v.get(..split), v.get(split..)) else {
        return Err(format!("BYDAY: `{v}` is not a weekday such as SU or 2TU"));
    };
    let wd = match day {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return Err(format!("BYDAY: `{v}` is not a weekday such as SU or 2TU")),
    };
    if num.is_empty() {
        return Ok((None, wd));
    }
    let n: i32 = num
        .trim_start_matches('+')
        .parse()
        .map_err(|_| format!("BYDAY: `{v}` has a bad ordinal"))?;
    if n == 0 || n.abs() > 5 {
        return Err(format!("BYDAY: ordinal in `{v}` must be 1..5 or -5..-1"));
    }
    Ok((Some(n), wd))
}

fn month_day(v: &str) -> Result<i32, String> {
    let n: i32 = parse_num("BYMONTHDAY", v)?;
    if n == 0 || n.abs() > 31 {
        return Err(format!("BYMONTHDAY: `{v}` must be 1..31 or -31..-1"));
    }
    Ok(n)
}

fn month(v: &str) -> Result<u32, String> {
    let n: u32 = parse_num("BYMONTH", v)?;
    if !(1..=12).contains(&n) {
        return Err(format!("BYMONTH: `{v}` must be 1..12"));
    }
    Ok(n)
}

fn parse_until(v: &str) -> Result<NaiveDate, String> {
    let date = v.get(..8).unwrap_or(v);
    NaiveDate::parse_from_str(date, "%Y%m%d")
        .map_err(|_| format!("UNTIL: `{v}` is not a date such as 20270131 or 20270131T000000Z"))
}

/// A local wall-clock time as an instant in `tz`, by RFC 5545 3.3.5.
pub fn localise(
    tz: chrono_tz::Tz,
    naive: chrono::NaiveDateTime,
) -> chrono::DateTime<chrono_tz::Tz> {
    use chrono::{LocalResult, Offset, TimeDelta, TimeZone};
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t,
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => {
            // In a gap: read the wall-clock time with the offset in force before the gap, which
            // lands the same elapsed distance past the transition (02:30 EST -> 03:30 EDT).
            let before = tz
                .offset_from_utc_datetime(&(naive - TimeDelta::days(1)))
                .fix();
            let utc = naive - TimeDelta::seconds(before.local_minus_utc().into());
            tz.from_utc_datetime(&utc)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn case(rule: &str, since: &str, end: &str, expected: &[&str]) {
        let r: RRule = rule.parse().unwrap();
        let got: Vec<String> = r
            .dates(d(since), d(end))
            .iter()
            .map(|x| x.to_string())
            .collect();
        assert_eq!(got, expected, "{rule}");
    }

    #[test]
    fn expands_weekly_and_monthly_rules() {
        case(
            "FREQ=WEEKLY;BYDAY=SU",
            "2026-10-27",
            "2026-11-16",
            &["2026-11-01", "2026-11-08", "2026-11-15"],
        );
        case(
            "FREQ=WEEKLY;BYDAY=TU,TH",
            "2026-11-01",
            "2026-11-08",
            &["2026-11-03", "2026-11-05"],
        );
        case(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
            "2026-01-01",
            "2026-01-31",
            &["2026-01-03", "2026-01-17", "2026-01-31"],
        );
        // Patch Tuesday: the second Tuesday of each month.
        case(
            "FREQ=MONTHLY;BYDAY=2TU",
            "2026-10-01",
            "2026-12-31",
            &["2026-10-13", "2026-11-10", "2026-12-08"],
        );
        case(
            "FREQ=MONTHLY;BYDAY=-1SU",
            "2026-10-01",
            "2026-11-30",
            &["2026-10-25", "2026-11-29"],
        );
        case(
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "2027-01-01",
            "2027-03-31",
            &["2027-01-31", "2027-02-28", "2027-03-31"],
        );
        // The last weekday of the month.
        case(
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "2026-10-01",
            "2026-11-30",
            &["2026-10-30", "2026-11-30"],
        );
        case(
            "FREQ=DAILY;INTERVAL=3;COUNT=3",
            "2026-11-01",
            "2026-12-31",
            &["2026-11-01", "2026-11-04", "2026-11-07"],
        );
        case(
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261110T000000Z",
            "2026-11-01",
            "2026-12-31",
            &["2026-11-02", "2026-11-09"],
        );
    }

    #[test]
    fn rejects_what_it_cannot_evaluate() {
        for bad in [
            "BYDAY=SU",
            "FREQ=YEARLY",
            "FREQ=WEEKLY;BYDAY=2TU",
            "FREQ=WEEKLY;BYDAY=XX",
            "FREQ=MONTHLY;BYMONTHDAY=0",
            "FREQ=WEEKLY;INTERVAL=0",
            "FREQ=WEEKLY;FOO=1",
            "FREQ=WEEKLY;BYDAY=éU",
            "FREQ=WEEKLY;FREQ=DAILY",
            "FREQ=WEEKLY;BYDAY=SU;BYDAY=MO",
        ] {
            assert!(bad.parse::<RRule>().is_err(), "{bad}");
        }
    }
}

//! Instants as text, written by hand where a run writes them by the thousand (the scheduler's
//! reasons, plan.json's rows and windows): chrono's `format` reads its format string again for
//! every instant. The text is what chrono writes; years outside 0-9999 are left to chrono.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};

/// `t` as `YYYY-MM-DD HH:MM UTC`, as `t.format("%Y-%m-%d %H:%M UTC")` writes it.
pub fn minute(t: &DateTime<Utc>) -> String {
    if !(0..=9999).contains(&t.year()) {
        return t.format("%Y-%m-%d %H:%M UTC").to_string();
    }
    let mut text = *b"0000-00-00 00:00 UTC";
    put(&mut text[..16], &t.naive_utc());
    String::from_utf8(text.to_vec()).expect("digits and ASCII")
}

/// Writes `t`'s year, month, day, hour, minute and second as digits into `text` at the places
/// `YYYY-MM-DD?HH:MM?SS` has them (as far as `text` reaches), leaving the rest as it is. `t`'s
/// year is 0 to 9999. (A `NaiveDateTime`: each field of a `DateTime` works its local time
/// out again.)
pub(crate) fn put(text: &mut [u8], t: &NaiveDateTime) {
    let fields = [
        (0, 4, t.year() as u32),
        (5, 2, t.month()),
        (8, 2, t.day()),
        (11, 2, t.hour()),
        (14, 2, t.minute()),
        (17, 2, t.second()),
    ];
    for (at, width, mut n) in fields {
        let Some(place) = text.get_mut(at..at + width) else {
            continue;
        };
        for d in place.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The same text as chrono's format, across years (the ends of 0-9999 and beyond, which
    /// chrono writes), months, days, hours and minutes, leap days included.
    #[test]
    fn minute_is_what_chrono_writes() {
        let mut instants = Vec::new();
        for year in [0, 1, 9, 999, 1970, 2024, 2026, 9999, 10_000, -1, 262_142] {
            for (month, day) in [(1, 1), (2, 29), (2, 28), (6, 15), (12, 31)] {
                for (hour, minute, second) in [(0, 0, 0), (9, 5, 59), (23, 59, 30)] {
                    let t = Utc.with_ymd_and_hms(year, month, day, hour, minute, second);
                    instants.extend(t.single());
                }
            }
        }
        assert!(instants.len() > 100, "{} instants", instants.len());
        for t in &instants {
            assert_eq!(
                minute(t),
                t.format("%Y-%m-%d %H:%M UTC").to_string(),
                "{t:?}"
            );
        }
    }
}

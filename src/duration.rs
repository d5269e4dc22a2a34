//! Durations as operators write them: `72h`, `5d`, `30m`, `1h30m`, `2w`.

use std::fmt;
use std::str::FromStr;

use chrono::TimeDelta;
use serde::{Serialize, Serializer};

/// A non-negative span of elapsed time, parsed from `NwNdNhNm` (any subset, in that order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Duration {
    minutes: i64,
}

impl Duration {
    pub const ZERO: Duration = Duration { minutes: 0 };

    pub fn from_minutes(minutes: i64) -> Self {
        Duration { minutes }
    }

    pub fn minutes(self) -> i64 {
        self.minutes
    }

    pub fn delta(self) -> TimeDelta {
        TimeDelta::minutes(self.minutes)
    }
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let quoted = crate::diag::excerpt(s);
        let expected = || {
            format!(
                "invalid duration `{quoted}`: expected a number and a unit (w, d, h, m), such as `72h`, `5d` or `1h30m`"
            )
        };
        if s.is_empty() {
            return Err(expected());
        }
        let (mut minutes, mut digits, mut last_rank) = (0i64, String::new(), 0);
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let (rank, unit) = match c {
                'w' => (1, 7 * 24 * 60),
                'd' => (2, 24 * 60),
                'h' => (3, 60),
                'm' => (4, 1),
                _ => return Err(expected()),
            };
            if digits.is_empty() || rank <= last_rank {
                return Err(expected());
            }
            let n: i64 = digits.parse().map_err(|_| expected())?;
            minutes = n
                .checked_mul(unit)
                .and_then(|m| m.checked_add(minutes))
                .filter(|m| *m <= 100 * 366 * 24 * 60)
                .ok_or_else(|| format!("duration `{quoted}` is too long"))?;
            digits.clear();
            last_rank = rank;
        }
        if !digits.is_empty() {
            return Err(expected());
        }
        Ok(Duration { minutes })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, h, m) = (
            self.minutes / 1440,
            self.minutes % 1440 / 60,
            self.minutes % 60,
        );
        let mut out = String::new();
        for (n, unit) in [(d, 'd'), (h, 'h'), (m, 'm')] {
            if n > 0 {
                out.push_str(&format!("{n}{unit}"));
            }
        }
        if out.is_empty() {
            out.push_str("0m");
        }
        f.write_str(&out)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(input: &str, minutes: Option<i64>) {
        let got = input.parse::<Duration>().ok().map(Duration::minutes);
        assert_eq!(got, minutes, "{input}");
    }

    #[test]
    fn parses_operator_durations() {
        case("72h", Some(72 * 60));
        case("5d", Some(5 * 1440));
        case("30m", Some(30));
        case("1h30m", Some(90));
        case("2w", Some(2 * 7 * 1440));
        case("1d12h", Some(36 * 60));
        case("0m", Some(0));
        case("", None);
        case("h", None);
        case("12", None);
        case("30m1h", None);
        case("1x", None);
        case("-1h", None);
        case("99999999999999999999d", None);
    }

    #[test]
    fn displays_compactly() {
        assert_eq!(Duration::from_minutes(90).to_string(), "1h30m");
        assert_eq!(Duration::from_minutes(1440 * 3).to_string(), "3d");
    }
}

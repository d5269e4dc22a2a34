//! Small validators shared by the inventory's files: each turns one spanned value into a typed
//! one, or records a diagnostic pointing at it and returns `None`, so that validation goes on and
//! every problem is reported at once.

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use toml::Spanned;

use crate::diag::{Diagnostic, Source};
use crate::duration::Duration;

/// A file being validated and the problems found in it so far.
pub struct Check<'a> {
    pub src: &'a Source,
    pub diags: &'a mut Vec<Diagnostic>,
}

impl Check<'_> {
    pub fn error(&mut self, value: &Spanned<String>, message: impl Into<String>) {
        self.diags.push(self.src.at(value.span(), message));
    }

    pub fn duration(&mut self, value: &Spanned<String>) -> Option<Duration> {
        value
            .get_ref()
            .parse()
            .map_err(|e: String| self.error(value, e))
            .ok()
    }

    pub fn duration_or(&mut self, value: Option<&Spanned<String>>, default: Duration) -> Duration {
        value.and_then(|v| self.duration(v)).unwrap_or(default)
    }

    pub fn date(&mut self, value: &Spanned<String>) -> Option<NaiveDate> {
        let text = value.get_ref();
        text.parse()
            .map_err(|_| self.error(value, format!("invalid date `{text}`: expected YYYY-MM-DD")))
            .ok()
    }

    pub fn time(&mut self, value: &Spanned<String>) -> Option<NaiveTime> {
        let text = value.get_ref();
        NaiveTime::parse_from_str(text, "%H:%M")
            .map_err(|_| {
                self.error(
                    value,
                    format!("invalid time `{text}`: expected HH:MM, such as 02:00"),
                )
            })
            .ok()
    }

    pub fn timezone(&mut self, value: &Spanned<String>) -> Option<Tz> {
        let text = value.get_ref();
        text.parse::<Tz>()
            .map_err(|_| {
                let hint = closest_zone(text)
                    .map(|z| format!("; did you mean `{z}`?"))
                    .unwrap_or_default();
                self.error(value, format!("unknown time zone `{text}`{hint}"));
            })
            .ok()
    }
}

/// The IANA zone name closest to `text` by edit distance, if any is close enough to be a typo.
pub fn closest_zone(text: &str) -> Option<&'static str> {
    let wanted = text.to_ascii_lowercase();
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| {
            (
                edit_distance(&wanted, &tz.name().to_ascii_lowercase()),
                tz.name(),
            )
        })
        .filter(|(d, _)| *d <= (wanted.len() / 3).max(2))
        .min()
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_zone() {
        assert_eq!(closest_zone("America/Bogata"), Some("America/Bogota"));
        assert_eq!(closest_zone("europe/madird"), Some("Europe/Madrid"));
        assert_eq!(closest_zone("Nowhere"), None);
    }
}

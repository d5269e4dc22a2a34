//! Small validators shared by the inventory's files: each turns one spanned value into a typed
//! one, or records a diagnostic pointing at it and returns `None`, so that validation goes on and
//! every problem is reported at once.

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use toml::Spanned;

use crate::diag::{Diagnostic, Source};
use crate::duration::Duration;

/// The longest id, in characters. Ids name files and directories (`notices/CUSTOMER/`, a
/// window occurrence's notice files, a feed's cache directory): with the suffixes a notice adds,
/// 64 stays far below the 255 bytes a file name may have.
pub const MAX_ID_LEN: usize = 64;

/// The one rule for the ids of customers, windows, environments, stacks and feeds: 1 to
/// [`MAX_ID_LEN`] ASCII letters, digits, `-`, `_` or `.`, starting with a letter or digit. So no
/// id is empty, has a path separator or control character, or is `.` or `..`, and every file
/// it names can be written; `validate` checks it, long before `plan` records a run.
pub fn id_rule(id: &str) -> Result<(), String> {
    name_rule(id, MAX_ID_LEN)
}

/// The longest name made of ids (a notice's file stem: window key, kind, sequence).
pub const MAX_NAME_LEN: usize = 200;

/// [`id_rule`] with another length limit: the rule for names built from ids, such as the stems
/// of notice files ([`MAX_NAME_LEN`]).
pub fn name_rule(id: &str, max: usize) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let first_ok = id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let len = id.chars().count();
    if first_ok && len <= max && id.chars().all(allowed) {
        return Ok(());
    }
    let quoted = crate::diag::excerpt(id);
    Err(match len {
        0 => "an id may not be empty".to_string(),
        n if n > max => format!("id `{quoted}` is {n} characters long; at most {max}"),
        _ => format!(
            "id `{quoted}`: expected letters, digits, `-`, `_` or `.`, starting with a letter or digit"
        ),
    })
}

/// A file being validated and the problems found in it so far.
pub struct Check<'a> {
    pub src: &'a Source,
    pub diags: &'a mut Vec<Diagnostic>,
}

impl Check<'_> {
    pub fn error(&mut self, value: &Spanned<String>, message: impl Into<String>) {
        self.diags.push(self.src.at(value.span(), message));
    }

    /// Reports each of `values` that holds a line break or another control character: they
    /// are written into mail headers and calendar invitations. `whose` names them (`a
    /// contact's`).
    pub fn no_control(&mut self, values: &[&Spanned<String>], whose: &str) {
        for v in values
            .iter()
            .filter(|v| v.get_ref().chars().any(char::is_control))
        {
            let message = format!("{whose} name and email may not hold control characters");
            self.error(v, message);
        }
    }

    /// Reports `value`, the id of a `what`, when it breaks [`id_rule`].
    pub fn id(&mut self, what: &str, value: &Spanned<String>) {
        if let Err(e) = id_rule(value.get_ref()) {
            self.error(value, format!("{what} {e}"));
        }
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
            .map_err(|_| {
                let quoted = crate::diag::excerpt(text);
                self.error(
                    value,
                    format!("invalid date `{quoted}`: expected YYYY-MM-DD"),
                )
            })
            .ok()
    }

    pub fn time(&mut self, value: &Spanned<String>) -> Option<NaiveTime> {
        let text = value.get_ref();
        NaiveTime::parse_from_str(text, "%H:%M")
            .map_err(|_| {
                self.error(
                    value,
                    format!(
                        "invalid time `{}`: expected HH:MM, such as 02:00",
                        crate::diag::excerpt(text)
                    ),
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
                let quoted = crate::diag::excerpt(text);
                self.error(value, format!("unknown time zone `{quoted}`{hint}"));
            })
            .ok()
    }
}

#[cfg(test)]
mod bounded_tests {
    use super::*;

    #[test]
    fn a_huge_zone_name_gets_no_hint_and_a_short_quote() {
        let huge = "Q".repeat(10 << 20);
        assert_eq!(closest_zone(&huge), None);
        let src = Source::new("c.toml", String::new());
        let mut diags = Vec::new();
        let mut c = Check {
            src: &src,
            diags: &mut diags,
        };
        assert!(c.timezone(&Spanned::new(0..0, huge)).is_none());
        assert!(diags[0].message.len() < 200, "{}", diags[0].message.len());
        assert_eq!(closest_zone("Europe/Madird"), Some("Europe/Madrid"));
    }
}

/// The IANA zone name closest to `text` by edit distance, if any is close enough to be a typo.
pub fn closest_zone(text: &str) -> Option<&'static str> {
    // No zone name is longer than 32 characters: a much longer text is no typo of one, and the
    // edit distance to each of ~600 names would cost its length squared.
    if text.len() > 64 {
        return None;
    }
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

//! RPM version ordering (Red Hat, Rocky Linux, AlmaLinux, SUSE, openSUSE), as rpm's
//! `rpm.vercmp` decides it.
//!
//! A version is `[epoch:]version[-release]`: the epoch is the digits before a `:` at the start,
//! the release is what follows the last `-`. Versions compare by epoch (missing: 0), then version,
//! then release; a version without a release sorts before the same version with any release
//! (`1.0 < 1.0-0`), as `rpm.vercmp` and `rpm.labelCompare` order them. (rpm's dependency
//! matching instead lets a missing release match any release; that is a match, not an order.)
//!
//! Version and release strings compare with rpm's `rpmvercmp`: they split into runs of ASCII
//! digits and runs of ASCII letters; every other character only separates runs, except `~` and
//! `^`. Position by position, `~` sorts lowest (below even the end of the string: `1.0~rc1 <
//! 1.0`), then the end of the string, then `^` (`1.0 < 1.0^git1 < 1.0.1`), then letter runs
//! (compared as byte strings), then digit runs (compared as numbers of any length).
//!
//! The reference is rpm itself (`rpmio/rpmvercmp.c`, `lib/rpmver.c`, `tests/rpmvercmp.at`);
//! `tests/fixtures/versions/rpm.tsv` holds its answers, made by `rpm_reference.sh`. rpm
//! refuses only the empty string; this module also refuses an empty epoch, version or release
//! (`:1`, `1:`, `-1`, `1.0-`), which no package can carry, and leaves anything else to rpm's
//! rules: `a:1` is version `a:1` with no epoch, as rpm reads it.

use std::cmp::Ordering;

/// A parsed RPM `[epoch:]version[-release]`, ordered as `rpm.vercmp` orders it.
#[derive(Debug, Clone)]
pub struct RpmVersion {
    epoch: Number,
    version: Vec<Segment>,
    /// `None` when there is no `-`.
    release: Option<Vec<Segment>>,
    original: String,
}

/// One piece of a version or release string. The variant order is rpmvercmp's order for the
/// pieces two strings have at the first position where they differ.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    /// `~`: sorts before everything, even the end.
    Tilde,
    /// The end of the string.
    End,
    /// `^`: sorts after the end, before any further run.
    Caret,
    /// A run of ASCII letters, compared as bytes.
    Alpha(String),
    /// A run of ASCII digits, compared as a number.
    Numeric(Number),
}

/// A decimal number of any length, without its leading zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Number(String);

impl Number {
    fn new(digits: &str) -> Number {
        Number(digits.trim_start_matches('0').to_string())
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl RpmVersion {
    /// Parses `text` (surrounding white space ignored); never panics. Err is a short reason.
    pub fn parse(text: &str) -> Result<RpmVersion, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("version string is empty".to_string());
        }
        let (epoch, rest) = split_epoch(trimmed)?;
        let (version, release) = match rest.rsplit_once('-') {
            Some((version, release)) => (version, Some(release)),
            None => (rest, None),
        };
        if version.is_empty() {
            return Err("version is empty".to_string());
        }
        if release == Some("") {
            return Err("release is empty".to_string());
        }
        Ok(RpmVersion {
            epoch,
            version: segments(version),
            release: release.map(segments),
            original: trimmed.to_string(),
        })
    }
}

/// Splits off an epoch: the digits at the start, when a `:` follows them (rpm's `parseEVR`).
fn split_epoch(text: &str) -> Result<(Number, &str), String> {
    let digit_count = text.bytes().take_while(u8::is_ascii_digit).count();
    match text
        .get(digit_count..)
        .and_then(|rest| rest.strip_prefix(':'))
    {
        Some(_) if digit_count == 0 => Err("epoch is empty".to_string()),
        Some(rest) => Ok((Number::new(&text[..digit_count]), rest)),
        None => Ok((Number::new("0"), text)),
    }
}

/// Splits a version or release string into rpmvercmp's pieces, ending with [`Segment::End`].
fn segments(text: &str) -> Vec<Segment> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        let run_len = match first {
            '~' | '^' => 1,
            c if c.is_ascii_digit() => rest.bytes().take_while(u8::is_ascii_digit).count(),
            c if c.is_ascii_alphabetic() => {
                rest.bytes().take_while(u8::is_ascii_alphabetic).count()
            }
            other => other.len_utf8(),
        };
        let (run, tail) = rest.split_at(run_len);
        match first {
            '~' => pieces.push(Segment::Tilde),
            '^' => pieces.push(Segment::Caret),
            c if c.is_ascii_digit() => pieces.push(Segment::Numeric(Number::new(run))),
            c if c.is_ascii_alphabetic() => pieces.push(Segment::Alpha(run.to_string())),
            _ => {} // a separator
        }
        rest = tail;
    }
    pieces.push(Segment::End);
    pieces
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.version.cmp(&other.version))
            .then_with(|| self.release.cmp(&other.release))
    }
}

super::by_precedence!(RpmVersion, original);

#[cfg(test)]
mod tests {
    use super::RpmVersion;
    use std::cmp::Ordering::{self, Equal, Greater, Less};

    fn parse(text: &str) -> RpmVersion {
        RpmVersion::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    }

    fn case(a: &str, b: &str, expected: Ordering) {
        let (va, vb) = (parse(a), parse(b));
        assert_eq!(va.cmp(&vb), expected, "{a} vs {b}");
        assert_eq!(vb.cmp(&va), expected.reverse(), "{b} vs {a}");
        assert_eq!(va == vb, expected == Equal, "{a} == {b}");
    }

    /// Ordering cases, grouped by where they come from.
    const CASES: &[(&str, &str, Ordering)] = &[
        // rpm tests/rpmvercmp.at
        ("2.0.1a", "2.0.1", Greater),
        ("5.5p1", "5.5p10", Less),
        ("10xyz", "10.1xyz", Less),
        ("xyz.4", "8", Less),
        ("6.0.rc1", "6.0", Greater),
        ("10b2", "10a1", Greater),
        ("1.0a", "1.0aa", Less),
        ("10.0001", "10.1", Equal),
        ("4.999.9", "5.0", Less),
        ("2_0", "2.0", Equal),
        ("a+", "a_", Equal),
        ("_+", "+_", Equal),
        ("1.0~rc1", "1.0", Less),
        ("1.0~rc1~git123", "1.0~rc1", Less),
        ("1.0^", "1.0", Greater),
        ("1.0^git1", "1.01", Less),
        ("1.0^20160101", "1.0.1", Less),
        ("1.0^20160102", "1.0^20160101^git1", Greater),
        ("1.0~rc1^git1", "1.0~rc1", Greater),
        ("1.0^git1~pre", "1.0^git1", Less),
        // rpm's documented oddities: RhBug:811992, non-ASCII characters only separate
        ("1b.fc17", "1.fc17", Less),
        ("1g.fc17", "1.fc17", Greater),
        ("1.1.α", "1.1.β", Equal),
        // Epochs and releases
        ("1:1.0-1", "2.0-1", Greater),
        ("0:1.0-1", "1.0-1", Equal),
        ("99999999999999999999999:1", "2:1", Greater),
        ("a:1", "1", Less),
        ("1.0", "1.0-0", Less),
        ("1.0-1-2", "1.0-1-1", Greater),
        ("1.0-1.el9_2", "1.0-1.el9", Greater),
        ("2.34-60.el9_2.7", "2.34-60.el9", Greater),
        ("4.18.0-477.10.1.el8_8", "4.18.0-477.27.1.el8_8", Less),
        ("1:1.0-0.1~rc1", "1:1.0-0.1", Less),
        ("1.0^20230101git1-1", "1.0.1-1", Less),
        // Segments
        ("1a", "1.1", Less),
        ("1.A", "1.a", Less),
        ("1..0", "1.0", Equal),
        (
            "99999999999999999999999999.1",
            "99999999999999999999999999.2",
            Less,
        ),
    ];

    #[test]
    fn orders_like_rpm() {
        for &(a, b, expected) in CASES {
            case(a, b, expected);
        }
        assert!(CASES.len() >= 30);
    }

    #[test]
    fn agrees_with_rpm_fixture() {
        let text = include_str!("../../tests/fixtures/versions/rpm.tsv");
        crate::version::table::check("rpm.tsv", text, 139, parse);
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        let bad = [
            "", " ", "-", ":", "1:", ":1", "-1", "1.0-", "1:-1", "1:1.0-",
        ];
        for text in bad {
            assert!(
                RpmVersion::parse(text).is_err(),
                "{text:?} should be rejected"
            );
        }
        // Odd but comparable, as rpm compares them.
        for text in [
            "a:1",
            "１.０",
            "99999999999999999999999999.1",
            "~",
            "^",
            "1.0-1-2",
        ] {
            assert!(RpmVersion::parse(text).is_ok(), "{text:?} should parse");
        }
        assert_eq!(RpmVersion::parse(":1").unwrap_err(), "epoch is empty");
    }

    #[test]
    fn displays_trimmed_original() {
        assert_eq!(parse(" 1:2.0-1.el9 ").to_string(), "1:2.0-1.el9");
    }

    #[test]
    fn sorts_a_shuffled_list() {
        let expected = [
            "1.0~rc1-1.el9",
            "1.0",
            "1.0-1.el8",
            "1.0-1.el9",
            "1.0-1.el9_2",
            "1.0-2.el9",
            "1.0^20230101git1-1.el9",
            "1.0a-1",
            "1.0.1-1.el9",
            "1.10-1",
            "2.0-1",
            "1:0.9-1",
        ];
        let shuffled = [6, 11, 0, 9, 3, 7, 1, 10, 4, 8, 2, 5];
        let mut versions: Vec<RpmVersion> = shuffled.iter().map(|&i| parse(expected[i])).collect();
        versions.sort();
        let sorted: Vec<String> = versions.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, expected);
    }
}

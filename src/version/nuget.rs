//! NuGet version ordering, as NuGet.Versioning orders `NuGetVersion`s (`VersionComparer.Default`,
//! what OSV's `NuGet` ecosystem uses).
//!
//! A version is 1 to 4 dot-separated numbers (missing ones are 0, so `1.0` == `1.0.0.0`; leading
//! zeros are allowed, `1.01` == `1.1`), then optional release labels after `-` and optional build
//! metadata after `+`. Numbers compare numerically, the fourth (revision) included; a version
//! with labels sorts below the same version without; labels compare one by one, numerically when
//! both parse as a 32-bit integer, a numeric label below a non-numeric one, others by
//! case-insensitive ordinal order; when one list of labels is a prefix of the other the shorter
//! sorts first. Build metadata takes no part.
//!
//! Parsing accepts what `NuGetVersion.TryParse` accepts: surrounding whitespace is trimmed; each
//! number is ASCII digits up to 2147483647; each label is non-empty `[0-9A-Za-z-]` without a
//! leading zero when all digits; each metadata part is non-empty `[0-9A-Za-z-]`. A leading `v`
//! is not NuGet and is rejected.
//!
//! Written by hand, without a crate, because the rules are short and NuGet's departures from
//! SemVer (four parts, legacy padding, case-insensitive labels, `int.TryParse` deciding what a
//! numeric label is) would each need patching on top of a SemVer crate. The cases of
//! `tests/fixtures/versions/nuget.tsv` come from NuGet.Versioning's own tests.

use std::cmp::Ordering;

/// A NuGet version: its four numbers and release labels, kept with the text it was read from.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    /// Major, minor, patch and revision; each at most `i32::MAX`.
    numbers: [u32; 4],
    /// Release labels; empty for a release (stable) version.
    labels: Vec<Label>,
    original: String,
}

/// A release label as `VersionComparer.CompareRelease` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Label {
    /// A label that `int.TryParse` reads (an optional `-` and digits within 32 bits).
    Numeric(i32),
    /// Any other label, lower-cased (ASCII only, so this orders as NuGet's `OrdinalIgnoreCase`).
    Text(String),
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Label::Numeric(a), Label::Numeric(b)) => a.cmp(b),
            (Label::Numeric(_), Label::Text(_)) => Ordering::Less,
            (Label::Text(_), Label::Numeric(_)) => Ordering::Greater,
            (Label::Text(a), Label::Text(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The three sections of a version: numbers, then labels after `-`, then metadata after `+`.
struct Sections<'a> {
    numbers: &'a str,
    labels: Option<&'a str>,
    metadata: Option<&'a str>,
}

/// Splits `text` as `ParseSections` does: the numbers end at the first `-` or `+`, the labels at
/// the first `+` after that. A separator with nothing after it leaves NuGet an invalid section.
fn split_sections(text: &str) -> Result<Sections<'_>, String> {
    let Some(at) = text.find(['-', '+']) else {
        return Ok(Sections {
            numbers: text,
            labels: None,
            metadata: None,
        });
    };
    let (numbers, rest) = (&text[..at], &text[at + 1..]);
    if rest.is_empty() {
        return Err(format!("nothing after '{}'", &text[at..]));
    }
    if text[at..].starts_with('+') {
        return Ok(Sections {
            numbers,
            labels: None,
            metadata: Some(rest),
        });
    }
    let (labels, metadata) = match rest.split_once('+') {
        Some((_, "")) => return Err("nothing after '+'".to_string()),
        Some((labels, metadata)) => (labels, Some(metadata)),
        None => (rest, None),
    };
    Ok(Sections {
        numbers,
        labels: Some(labels),
        metadata,
    })
}

/// Reads one numeric part: ASCII digits (leading zeros allowed) up to `i32::MAX`.
fn parse_number(part: &str) -> Result<u32, String> {
    if part.is_empty() {
        return Err("empty numeric part".to_string());
    }
    let mut value: u32 = 0;
    for byte in part.bytes() {
        if !byte.is_ascii_digit() {
            return Err(format!("non-numeric part '{part}'"));
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u32::from(byte - b'0')))
            .filter(|v| i32::try_from(*v).is_ok())
            .ok_or_else(|| format!("numeric part '{part}' is too large"))?;
    }
    Ok(value)
}

/// Reads the 1 to 4 dot-separated numbers, padding the missing ones with 0.
fn parse_numbers(text: &str) -> Result<[u32; 4], String> {
    if text.is_empty() {
        return Err("no version number".to_string());
    }
    let mut numbers = [0; 4];
    for (index, part) in text.split('.').enumerate() {
        let slot = numbers
            .get_mut(index)
            .ok_or_else(|| "more than 4 numeric parts".to_string())?;
        *slot = parse_number(part)?;
    }
    Ok(numbers)
}

/// `IsValidPart`: non-empty, `[0-9A-Za-z-]` only, and (for labels) no leading zero on a
/// label of digits only.
fn check_part(part: &str, what: &str, allow_leading_zeros: bool) -> Result<(), String> {
    if part.is_empty() {
        return Err(format!("empty {what}"));
    }
    if !part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(format!(
            "{what} '{part}' has a character other than [0-9A-Za-z-]"
        ));
    }
    let all_digits = part.bytes().all(|b| b.is_ascii_digit());
    if !allow_leading_zeros && all_digits && part.len() > 1 && part.starts_with('0') {
        return Err(format!("{what} '{part}' has a leading zero"));
    }
    Ok(())
}

/// Reads the dot-separated release labels.
fn parse_labels(text: &str) -> Result<Vec<Label>, String> {
    text.split('.')
        .map(|part| {
            check_part(part, "release label", false)?;
            // CompareRelease asks int.TryParse, which also takes a sign: `-1` is numeric there.
            Ok(match part.parse::<i32>() {
                Ok(number) => Label::Numeric(number),
                Err(_) => Label::Text(part.to_ascii_lowercase()),
            })
        })
        .collect()
}

impl NuGetVersion {
    /// Parses `text` (trimmed) as `NuGetVersion.TryParse` does.
    pub fn parse(text: &str) -> Result<NuGetVersion, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("empty version".to_string());
        }
        let sections = split_sections(trimmed)?;
        let numbers = parse_numbers(sections.numbers)?;
        let labels = match sections.labels {
            Some(labels) => parse_labels(labels)?,
            None => Vec::new(),
        };
        if let Some(metadata) = sections.metadata {
            for part in metadata.split('.') {
                check_part(part, "build metadata part", true)?;
            }
        }
        Ok(NuGetVersion {
            numbers,
            labels,
            original: trimmed.to_string(),
        })
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                // A pre-release sorts below the release of the same numbers.
                (false, true) => Ordering::Less,
                (true, false) => Ordering::Greater,
                // Label by label; when one list runs out first, it is the lower.
                (false, false) => self.labels.cmp(&other.labels),
            }
        })
    }
}

super::by_precedence!(NuGetVersion, original);

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn v(text: &str) -> NuGetVersion {
        NuGetVersion::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn case(a: &str, b: &str, expected: Ordering) {
        assert_eq!(v(a).cmp(&v(b)), expected, "{a} vs {b}");
        assert_eq!(v(b).cmp(&v(a)), expected.reverse(), "{b} vs {a}");
        assert_eq!(v(a) == v(b), expected == Equal, "{a} == {b}");
    }

    #[test]
    fn orders_as_nuget_versioning_does() {
        // NuGet.Client VersionComparerTests (VersionComparisonDefaultEqual / ...Less).
        case("1.0.0-BETA", "1.0.0-beta", Equal);
        case(
            "1.0.0-BETA.X.y.5.77.0+AA",
            "1.0.0-beta.x.y.5.77.0+aa",
            Equal,
        );
        case("1.999.9999", "2.1.1", Less);
        case("1.0.0-BETA", "1.0.0-beta2", Less);
        case("1.0.0-beta+AA", "1.0.0+aa", Less);
        case("1.0.0-BETA", "1.0.0-beta.1+AA", Less);
        case(
            "1.0.0-BETA.X.y.5.79.0+AA",
            "1.0.0-beta.x.y.5.790.0+abc",
            Less,
        );
        // NuGetVersionTest (SemVerLessThan..., SemVerEqualsOperatorWorks, legacy numbers).
        case("1.23", "1.231", Less);
        case("1.4.5.6", "1.45.6", Less);
        case("1.4.5.6", "1.4.5.60", Less);
        case("1.01", "1.10", Less);
        case("1.01-RC-1", "1.01", Less);
        case("1.01", "1.2-preview", Less);
        case("1.0", "1.0.0.0", Equal);
        case("1.6.2-BeTa", "1.6.02-beta", Equal);
        case("22.3.07     ", "22.3.07", Equal);
        case("1.022", "1.22.0.0", Equal);
        case("  1.022-Beta", "1.22-Beta", Equal);
        // VersionParsingTests.VersionLength and VersionRangeTests (missing parts are zero).
        case("2", "2.0.0.0", Equal);
        // SemVer201SpecTests (NuGet's reading of SemVer 2.0 precedence).
        case("9.9.9", "10.1.1", Less);
        case("1.2.3-1.9", "1.2.3-1.50", Less);
        case("1.2.3-1.50A", "1.2.3-1.9A", Less);
        case("1.2.3-999999", "1.2.3-Z", Less);
        case("1.2.3-A.999999", "1.2.3-A.56-2", Less);
        case("1.2.3-a.2.3.4", "1.2.3-a.2.3.4.5", Less);
        case("1.2.3-A-b2-C", "1.2.3-a-B2-c", Equal);
        // SemVer 2.0.0, section 11 (precedence) and section 10 (metadata is ignored).
        case("1.0.0-alpha.1", "1.0.0-alpha.beta", Less);
        case("1.0.0-beta.2", "1.0.0-beta.11", Less);
        case("1.0.0-rc.1", "1.0.0", Less);
        case("1.0.0+20130313144700", "1.0.0", Equal);
        // From VersionComparer.cs itself: the revision counts; CompareRelease's int.TryParse
        // makes a label past 32 bits text (above every numeric one), and `-1` numeric.
        case("1.0.0.1", "1.0.0", Greater);
        case("1.0.0.1-beta", "1.0.0", Greater);
        case("2147483647.0", "2147483646.9.9.9", Greater);
        case("1.0.0-2147483648", "1.0.0-2147483647", Greater);
        case("1.0.0-2147483648", "1.0.0-a", Less);
        case("1.0.0--1", "1.0.0-0", Less);
        case("1.0.0--", "1.0.0-0", Greater);
    }

    #[test]
    fn agrees_with_nuget_versioning_tests() {
        let table = include_str!("../../tests/fixtures/versions/nuget.tsv");
        let mut pairs = 0;
        for line in table
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 3, "bad line {line:?}");
            let expected = match cols[2] {
                "-1" => Less,
                "0" => Equal,
                "1" => Greater,
                other => panic!("bad expectation {other:?} in {line:?}"),
            };
            case(cols[0], cols[1], expected);
            pairs += 1;
        }
        assert!(pairs >= 92, "only {pairs} pairs in nuget.tsv");
    }

    #[test]
    fn rejects_what_nuget_rejects_and_never_panics() {
        let bad = [
            // Not versions at all, and odd input.
            "",
            " ",
            "-",
            ".",
            "+",
            "1..2",
            "１.０",
            "v1.0.0",
            "99999999999999999999999999.1",
            "1.0.0-ünicode",
            "🦀",
            // NuGetVersionTest.ParseThrowsIfStringIsNotAValidSemVer.
            "1beta",
            "$version$",
            "1.2Av^c",
            "1.2..",
            "1.2.3.4.5",
            "1.2.3.Beta",
            "1.2.3.4This version is full of awesomeness!!",
            "So.is.this",
            "1.34.2Alpha",
            "1.34.2Release Candidate",
            "1.4.7-",
            "1.4.7-*",
            "1.4.7+*",
            "1.4.7-AA.01^",
            "1.4.7-AA.0A^",
            "1.4.7-A^A",
            "1.4.7+AA.01^",
            // Added to that test in 2023 (NuGet/NuGet.Client#5202, listed in NuGet/Home#12820).
            "..1.2",
            "1.2147483648.3.4",
            "10000000000000000000",
            "1.2.-3.4",
            // SemVer201SpecTests: empty, invalid and zero-padded labels; bad metadata.
            "0.1.2-Alpha..2",
            "0.1.2-Alpha.",
            "0.1.2-.AA",
            "0.1.2-alp=ha",
            "0.1.2-a.&.444",
            "0.1.2-02",
            "0.1.2-2.A.02",
            "0.1.2+ÄÄ",
            "0.1.2+2+A",
            "0.1.2+02A.",
            "0.1.2+02..A",
            "0.1.2+",
            "1.0-beta+",
        ];
        for text in bad {
            assert!(NuGetVersion::parse(text).is_err(), "{text:?} was accepted");
        }
        // SemVer201SpecTests: valid labels and metadata (hyphens, zero-led alphanumerics).
        let good = [
            "0.1.2--",
            "0.1.2--B2.-.C.-A0-",
            "0.1.2-02A",
            "0.1.2----+----",
            "0.1.2+-",
            "0.1.2+000000",
            "0.1.2+02.02-02",
            "2147483647.2147483647.2147483647.2147483647",
        ];
        for text in good {
            assert_eq!(v(text).to_string(), text);
        }
        assert_eq!(v("\t1.0.0-RC.1+build \n").to_string(), "1.0.0-RC.1+build");
    }

    #[test]
    fn sorting_a_shuffled_list_gives_the_reference_order() {
        // SemVer 2.0.0 section 11, with NuGet's revision and padding around it.
        let ordered = [
            "0.9.9.9",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1-alpha",
            "1.0.0.1",
            "1.0.1",
            "2",
            "2.1.0",
            "2.1.1",
            "10.0",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20 {
            let mut shuffled: Vec<NuGetVersion> = ordered.iter().map(|t| v(t)).collect();
            for i in (1..shuffled.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                shuffled.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            shuffled.sort();
            let texts: Vec<String> = shuffled.iter().map(ToString::to_string).collect();
            assert_eq!(texts, ordered);
        }
    }
}

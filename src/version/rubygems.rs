//! RubyGems version ordering: the precedence of Ruby's `Gem::Version#<=>`, which OSV uses for the
//! `RubyGems` ecosystem.
//!
//! Followed: `rubygems/version.rb` (RubyGems 3.3, the one Debian's Ruby 3.1 ships), not the Go port
//! in osv-scanner, which skips validation and does not turn `-` into `.pre.`. The rules:
//!
//! - A version must match `Gem::Version::ANCHORED_VERSION_PATTERN`: surrounding ASCII whitespace,
//!   then `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`. So `1.0a`, `1.a` and
//!   `1.0--` are versions, while `1a`, `1..2`, `1.0-` and `junk` are not. Ruby reads an empty
//!   string as `0`; patchplan rejects it, since an empty version in an SBOM is a missing one.
//! - Every `-` is read as `.pre.`, then the text is split into runs of ASCII digits (numbers) and
//!   runs of ASCII letters (strings); everything else only separates runs.
//! - Canonical segments: the numbers before the first string, and the segments from the first
//!   string on, each lose their trailing zeros (`1.0.0` is `[1]`, `1.0.a.0` is `[1, "a"]`).
//! - Comparison walks the canonical segments, a missing one counting as `0`: numbers compare by
//!   value, strings bytewise (`"A" < "a"`), and a string is less than any number, so a version
//!   with a letter (a prerelease) sorts before its release: `1.0.a < 1.0`, `1.0.0-1 < 1`.
//!
//! Hand-written because no crate reproduces these rules, and patchplan keeps version orderings
//! std-only. Numbers are kept as digit strings, so any length compares without overflow, and
//! parsing never panics.

use std::cmp::Ordering;

/// A RubyGems version, ordered as `Gem::Version#<=>` orders it.
///
/// Equality follows the ordering: `1.0` and `1` are equal, as Ruby's `<=>` says.
#[derive(Debug, Clone)]
pub struct GemVersion {
    /// Ruby's `canonical_segments`.
    segments: Vec<Segment>,
    /// The text as given, without surrounding whitespace.
    original: String,
}

/// One segment of a version: a run of digits or a run of letters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// ASCII digits without leading zeros (`"0"` for zero).
    Number(String),
    /// ASCII letters, compared bytewise.
    Letters(String),
}

impl GemVersion {
    /// Parses `text` as `Gem::Version.new` would. Never panics.
    ///
    /// # Errors
    ///
    /// A short human reason when Ruby would reject `text`, or when it is empty or only
    /// whitespace (which Ruby reads as `0`).
    pub fn parse(text: &str) -> Result<GemVersion, String> {
        let trimmed = text.trim_matches(is_ruby_space);
        if trimmed.is_empty() {
            return Err("empty version".to_string());
        }
        check_pattern(trimmed)?;
        Ok(GemVersion {
            segments: canonical(scan_segments(&trimmed.replace('-', ".pre."))),
            original: trimmed.to_string(),
        })
    }
}

/// Whitespace as Ruby's `\s` and `String#strip` see it (ASCII only, vertical tab included).
fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// Checks `text` (trimmed, non-empty) against `Gem::Version::VERSION_PATTERN`:
/// `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`.
fn check_pattern(text: &str) -> Result<(), String> {
    // The release part holds no `-`, so the first `-` starts the prerelease part.
    let (release, prerelease) = match text.split_once('-') {
        Some((release, prerelease)) => (release, Some(prerelease)),
        None => (text, None),
    };
    let mut pieces = release.split('.');
    let first = pieces.next().unwrap_or_default();
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err("does not start with a number".to_string());
    }
    for piece in pieces {
        check_piece(piece, |c| c.is_ascii_alphanumeric())?;
    }
    for piece in prerelease.iter().flat_map(|p| p.split('.')) {
        check_piece(piece, |c| c.is_ascii_alphanumeric() || c == '-')?;
    }
    Ok(())
}

/// Checks one dot-separated piece: non-empty, and every character `allowed`.
fn check_piece(piece: &str, allowed: impl Fn(char) -> bool) -> Result<(), String> {
    if piece.is_empty() {
        return Err("empty segment (a separator doubled, or at the end)".to_string());
    }
    match piece.chars().find(|&c| !allowed(c)) {
        Some(c) => Err(format!("unexpected character {c:?}")),
        None => Ok(()),
    }
}

/// Ruby's `scan(/[0-9]+|[a-z]+/i)`: the runs of ASCII digits and of ASCII letters, in order.
fn scan_segments(text: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        rest = &rest[start..];
        let digits = rest.starts_with(|c: char| c.is_ascii_digit());
        let end = rest
            .find(|c: char| {
                if digits {
                    !c.is_ascii_digit()
                } else {
                    !c.is_ascii_alphabetic()
                }
            })
            .unwrap_or(rest.len());
        let run = &rest[..end];
        segments.push(if digits {
            Segment::Number(strip_leading_zeros(run).to_string())
        } else {
            Segment::Letters(run.to_string())
        });
        rest = &rest[end..];
    }
    segments
}

/// `digits` without leading zeros; `"0"` when it is all zeros.
fn strip_leading_zeros(digits: &str) -> &str {
    match digits.trim_start_matches('0') {
        "" => "0",
        stripped => stripped,
    }
}

/// Ruby's `canonical_segments`: the numeric prefix and the rest (from the first string on) each
/// lose their trailing zeros, then are joined again.
fn canonical(mut segments: Vec<Segment>) -> Vec<Segment> {
    let first_letters = segments
        .iter()
        .position(|s| matches!(s, Segment::Letters(_)))
        .unwrap_or(segments.len());
    let mut rest = segments.split_off(first_letters);
    drop_trailing_zeros(&mut segments);
    drop_trailing_zeros(&mut rest);
    segments.append(&mut rest);
    segments
}

/// Removes the zeros at the end of `segments`.
fn drop_trailing_zeros(segments: &mut Vec<Segment>) {
    while segments.last().is_some_and(Segment::is_zero) {
        segments.pop();
    }
}

impl Segment {
    /// True for the number zero.
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Number(n) if n == "0")
    }
}

/// Compares two segments as `Gem::Version#<=>` does; a missing segment counts as `0`.
fn compare_segments(a: Option<&Segment>, b: Option<&Segment>) -> Ordering {
    match (view(a), view(b)) {
        (Run::Number(x), Run::Number(y)) => compare_digits(x, y),
        (Run::Letters(x), Run::Letters(y)) => x.as_bytes().cmp(y.as_bytes()),
        // A string is less than any number.
        (Run::Number(_), Run::Letters(_)) => Ordering::Greater,
        (Run::Letters(_), Run::Number(_)) => Ordering::Less,
    }
}

/// A borrowed segment, so that a missing one can stand as the number zero.
enum Run<'a> {
    Number(&'a str),
    Letters(&'a str),
}

/// The segment at a position, or zero when the version has no segment there.
fn view(segment: Option<&Segment>) -> Run<'_> {
    match segment {
        None => Run::Number("0"),
        Some(Segment::Number(n)) => Run::Number(n),
        Some(Segment::Letters(l)) => Run::Letters(l),
    }
}

/// Compares digit strings without leading zeros by value: the longer is greater, then bytewise.
fn compare_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.segments.len().max(other.segments.len());
        (0..len)
            .map(|i| compare_segments(self.segments.get(i), other.segments.get(i)))
            .find(|ordering| ordering.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

super::by_precedence!(GemVersion, original);

#[cfg(test)]
mod tests {
    use super::GemVersion;
    use std::cmp::Ordering::{self, Equal, Greater, Less};

    /// The reference fixture, made by `rubygems_reference.rb` with the real `Gem::Version`.
    const FIXTURE: &str = include_str!("../../tests/fixtures/versions/rubygems.tsv");
    /// How many pairs the fixture held when this test was written; it may only grow.
    const FIXTURE_PAIRS: usize = 88;

    fn parse(text: &str) -> GemVersion {
        GemVersion::parse(text).unwrap_or_else(|reason| panic!("{text:?} rejected: {reason}"))
    }

    /// Asserts `a` compares to `b` as `expected`, `b` to `a` the other way, and `==` agrees.
    fn case(a: &str, b: &str, expected: Ordering) {
        let (va, vb) = (parse(a), parse(b));
        assert_eq!(va.cmp(&vb), expected, "{a:?} vs {b:?}");
        assert_eq!(vb.cmp(&va), expected.reverse(), "{b:?} vs {a:?}");
        assert_eq!(va == vb, expected == Equal, "{a:?} == {b:?}");
    }

    #[test]
    fn orders_as_rubygems_own_tests() {
        // rubygems test/rubygems/test_gem_version.rb, test_spaceship.
        case("1.0", "1.0.0", Equal);
        case("1.0", "1.0.a", Greater);
        case("1.8.2", "0.0.0", Greater);
        case("1.8.2", "1.8.2.a", Greater);
        case("1.8.2.b", "1.8.2.a", Greater);
        case("1.8.2.a", "1.8.2", Less);
        case("1.8.2.a10", "1.8.2.a9", Greater);
        case("0.beta.1", "0.0.beta.1", Equal);
        case("0.0.beta", "0.0.beta.1", Less);
        case("0.0.beta", "0.beta.1", Less);
        case("5.a", "5.0.0.rc2", Less);
        case("5.x", "5.0.0.rc2", Greater);
        case("1.9.3", "1.9.2.99", Greater);
        case("1.9.3", "1.9.3.1", Less);
        // test_gem_version.rb, test_semver.
        case("1.0.0-alpha", "1.0.0-alpha.1", Less);
        case("1.0.0-alpha.1", "1.0.0-beta.2", Less);
        case("1.0.0-beta.2", "1.0.0-beta.11", Less);
        case("1.0.0-beta.11", "1.0.0-rc.1", Less);
        case("1.0.0-rc1", "1.0.0", Less);
        case("1.0.0-1", "1", Less);
        // test_gem_version.rb, test_canonical_segments: [1, "a", 1] and [1, 2, 3, "pre", 1].
        case("1.0.0.a.1.0", "1.a.1", Equal);
        case("1.2.3-1", "1.2.3.pre.1", Equal);
    }

    #[test]
    fn orders_whitespace_dashes_letters_and_long_numbers() {
        // test_gem_version.rb, test_initialize: surrounding whitespace is ignored.
        case("1.0  ", "1.0", Equal);
        case(" 1.0 ", "1.0", Equal);
        case("\n1.0\n", "1.0", Equal);
        case("\u{0B}1.0\t", "1.0", Equal);
        // `-` is `.pre.`, and "pre" sorts after "beta" (checked with ruby 3.1, RubyGems 3.3.15).
        case("1.0.0-beta", "1.0.0.beta", Greater);
        case("1-1", "1.pre.1", Equal);
        case("1.0--", "1.0.pre.pre", Equal);
        // Letters compare bytewise: uppercase first, a longer run after its prefix (same check).
        case("1.0.0.RC1", "1.0.0.rc1", Less);
        case("1.0.0.alpha", "1.0.0.a", Greater);
        // A letter run glued to a number is still its own segment (same check).
        case("1.0a", "1.0.a", Equal);
        case("1.0a1", "1.0.a.1", Equal);
        // Numbers of any length compare by value; leading zeros do not count (same check).
        case(
            "99999999999999999999999999.1",
            "99999999999999999999999999.0.1",
            Greater,
        );
        case("1.12345678901234567890", "1.12345678901234567889", Greater);
        case("01.02", "1.2", Equal);
    }

    #[test]
    fn agrees_with_ruby_on_the_reference_fixture() {
        crate::version::table::check("rubygems.tsv", FIXTURE, FIXTURE_PAIRS, parse);
    }

    #[test]
    fn rejects_what_ruby_rejects_and_never_panics() {
        // Invalid for Gem::Version.correct? (test_gem_version.rb has "junk", "1.0\n2.0", "1..2"),
        // plus the empty version, which Ruby reads as "0".
        let rejected = [
            "", " ", "\t\n", "junk", "1..2", "1.0\n2.0", "1.2 3.4", "1a", "1.", ".1", "1.0-", "1-",
            "-", ".", "v1.0", "1.0_1", "1.0+1", "１.０", "1.ü", "1.0-é", "1.0 2", "\u{0}1",
        ];
        for text in rejected {
            assert!(GemVersion::parse(text).is_err(), "{text:?} accepted");
        }
        let odd = [
            "99999999999999999999999999.1",
            "0",
            "1.0--",
            "1-a.-b",
            "🦀",
            "1.🦀",
            "1-🦀",
        ];
        for text in odd {
            let _ = GemVersion::parse(text);
        }
        let long = "9".repeat(10_000) + &".a-b".repeat(1_000);
        assert_eq!(parse(&long), parse(&long));
        assert!(parse("99999999999999999999999999.1") > parse("9999999999999999999999999.9"));
    }

    #[test]
    fn displays_the_trimmed_text() {
        assert_eq!(parse("  1.0.0-rc1\n").to_string(), "1.0.0-rc1");
        assert_eq!(parse("01.0").to_string(), "01.0");
    }

    #[test]
    fn sorts_a_shuffled_list() {
        let expected = [
            "0.9",
            "1.0.a",
            "1.0.b1",
            "1.0.0-beta",
            "1.0.rc1",
            "1.0.rc2",
            "1.0",
            "1.0.1",
            "1.0.10",
            "1.1.a",
            "1.1",
            "2.0.0.pre1",
            "10",
        ];
        // A fixed shuffle: every fifth element, wrapping around (5 is coprime with 13).
        let mut versions: Vec<GemVersion> = (0..expected.len())
            .map(|i| parse(expected[(i * 5) % expected.len()]))
            .collect();
        versions.sort();
        let sorted: Vec<String> = versions.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, expected);
    }
}

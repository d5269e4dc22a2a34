//! Packagist (PHP Composer) version ordering as OSV evaluates it: osv-scanner's canonicalisation
//! followed by PHP's `version_compare`.
//!
//! Followed: `semantic/version-packagist.go` of osv-scalibr (commit 5c859e0; the same algorithm
//! as osv-scanner's older `internal/semantic`), a port of `php_version_compare` in php-src
//! `ext/standard/versioning.c`:
//!
//! 1. Canonicalise: drop one leading `v`, then one leading `V`; turn `-`, `_` and `+` into `.`;
//!    put a `.` between a digit and a following non-digit, and between a non-digit and a
//!    following digit (`v4.3-2RC1` becomes `4.3.2.RC.1`). Split on `.`.
//! 2. Compare the parts left to right. Two numbers compare by value. Any other part weighs, by
//!    the first special form it starts with (case matters): `dev` 0, `alpha`/`a` 1, `beta`/`b` 2,
//!    `RC`/`rc` 3, `pl`/`p` 5, any other string -1; a number weighs 4 (PHP's `#`).
//! 3. When one version runs out, the next part of the longer one decides: a number makes it
//!    greater (`1.0.0 > 1.0`, unlike SemVer), a string compares its weight with 4
//!    (`1.0rc1 < 1.0 < 1.0pl1`).
//!
//! Where osv-scalibr's Go and PHP disagree, this follows PHP, which the Go code means to copy:
//! a string that is no special form weighs -1, below `dev` (the Go code weighs it 0, equal to
//! `dev`); numbers of any length compare by value (PHP clamps them at `i64::MAX`; Go's check of
//! the part after a shorter version overflows past `i64`). OSV's Python (osv.dev) matches special
//! forms exactly rather than by prefix; this follows the prefix rule of PHP and Go.
//!
//! Stricter than OSV, so that a version it cannot order well is reported rather than misplaced,
//! parsing rejects: an empty version, characters other than ASCII letters, digits, `.`, `-`, `_`
//! and `+` (PHP turns them into `.`, Go keeps them), an empty part (`1..2`, `1.0-`: PHP merges
//! doubled separators, Go keeps an empty part), and a version with no digit (`dev-master`).
//!
//! Hand-written because no crate reproduces these rules, and patchplan keeps version orderings
//! std-only. Numbers are kept as digit strings, so parsing and comparing never panic.

use std::cmp::Ordering;

/// A Packagist version, ordered as OSV orders Packagist versions.
///
/// Equality follows the ordering: `1.0-alpha1`, `1.0a1` and `v1.0.a.1` are equal.
#[derive(Debug, Clone)]
pub struct PackagistVersion {
    /// The canonical parts.
    parts: Vec<Part>,
    /// The text as given, without surrounding whitespace.
    original: String,
}

/// One part of a canonical version.
#[derive(Debug, Clone)]
enum Part {
    /// ASCII digits without leading zeros (`"0"` for zero).
    Number(String),
    /// A run of non-digits, kept as the weight of the special form it starts with.
    Word(i8),
}

/// The weight of a number (PHP's `#`), between `RC` and `pl`.
const NUMBER_WEIGHT: i8 = 4;

/// PHP's special forms in its table order; a part takes the weight of the first it starts with.
const SPECIAL_FORMS: [(&str, i8); 10] = [
    ("dev", 0),
    ("alpha", 1),
    ("a", 1),
    ("beta", 2),
    ("b", 2),
    ("RC", 3),
    ("rc", 3),
    ("#", NUMBER_WEIGHT),
    ("pl", 5),
    ("p", 5),
];

impl PackagistVersion {
    /// Parses `text`, surrounding whitespace ignored. Never panics.
    ///
    /// # Errors
    ///
    /// A short human reason when `text` is empty, holds a character other than ASCII letters,
    /// digits, `.`, `-`, `_` and `+`, has an empty part, or has no digit.
    pub fn parse(text: &str) -> Result<PackagistVersion, String> {
        let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
        if trimmed.is_empty() {
            return Err("empty version".to_string());
        }
        if let Some(c) = trimmed.chars().find(|&c| !is_allowed(c)) {
            return Err(format!("unexpected character {c:?}"));
        }
        if !trimmed.bytes().any(|b| b.is_ascii_digit()) {
            return Err("no number in version".to_string());
        }
        let canonical = canonicalise(trimmed);
        if canonical.split('.').any(str::is_empty) {
            return Err("empty part (a separator doubled, or at an end)".to_string());
        }
        Ok(PackagistVersion {
            parts: canonical.split('.').map(Part::new).collect(),
            original: trimmed.to_string(),
        })
    }
}

/// The characters a version may hold: ASCII letters and digits, and the separators.
fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+')
}

/// osv-scanner's `canonicalizePackagistVersion`: see step 1 of the module documentation.
fn canonicalise(text: &str) -> String {
    // Exactly as the Go code: `v` then `V`, so `vV1` loses both and `Vv1` keeps its `v`.
    let text = text.strip_prefix('v').unwrap_or(text);
    let text = text.strip_prefix('V').unwrap_or(text);
    let mut out = String::with_capacity(text.len() * 2);
    let mut previous = None;
    for c in text.chars() {
        let c = if matches!(c, '-' | '_' | '+') { '.' } else { c };
        if previous.is_some_and(|p| is_transition(p, c)) {
            out.push('.');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// True between a digit and a non-digit (in either order), neither of them a `.`.
fn is_transition(before: char, after: char) -> bool {
    before != '.' && after != '.' && before.is_ascii_digit() != after.is_ascii_digit()
}

impl Part {
    /// The part for `text`, a non-empty run of digits or of non-digits.
    fn new(text: &str) -> Part {
        if text.bytes().all(|b| b.is_ascii_digit()) {
            let digits = text.trim_start_matches('0');
            Part::Number(if digits.is_empty() { "0" } else { digits }.to_string())
        } else {
            Part::Word(special_weight(text))
        }
    }

    /// The weight of the part: its special form's, or [`NUMBER_WEIGHT`] for a number.
    fn weight(&self) -> i8 {
        match self {
            Part::Number(_) => NUMBER_WEIGHT,
            Part::Word(weight) => *weight,
        }
    }
}

/// PHP's `compare_special_version_forms` weight: the first special form `word` starts with,
/// or -1 for any other string.
fn special_weight(word: &str) -> i8 {
    SPECIAL_FORMS
        .iter()
        .find(|(form, _)| word.starts_with(form))
        .map_or(-1, |&(_, weight)| weight)
}

/// Compares two parts at the same position: numbers by value, otherwise by weight.
fn compare_parts(a: &Part, b: &Part) -> Ordering {
    match (a, b) {
        (Part::Number(x), Part::Number(y)) => compare_digits(x, y),
        _ => a.weight().cmp(&b.weight()),
    }
}

/// How the first part past the end of a shorter version compares with that end: a number is
/// greater, a string compares its weight with a number's (so `rc` is less and `pl` greater).
fn compare_with_end(extra: &Part) -> Ordering {
    match extra {
        Part::Number(_) => Ordering::Greater,
        Part::Word(weight) => weight.cmp(&NUMBER_WEIGHT),
    }
}

/// Compares digit strings without leading zeros by value: the longer is greater, then bytewise.
fn compare_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for PackagistVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let common = self.parts.iter().zip(&other.parts);
        if let Some(ordering) = common.map(|(a, b)| compare_parts(a, b)).find(|o| o.is_ne()) {
            return ordering;
        }
        let shared = self.parts.len().min(other.parts.len());
        match (self.parts.get(shared), other.parts.get(shared)) {
            (Some(extra), _) => compare_with_end(extra),
            (None, Some(extra)) => compare_with_end(extra).reverse(),
            (None, None) => Ordering::Equal,
        }
    }
}

super::by_precedence!(PackagistVersion, original);

#[cfg(test)]
mod tests {
    use super::PackagistVersion;
    use std::cmp::Ordering::{self, Equal, Greater, Less};

    /// The reference fixture, made by `packagist_reference.php` with PHP's `version_compare`.
    const FIXTURE: &str = include_str!("../../tests/fixtures/versions/packagist.tsv");
    /// How many pairs the fixture held when this test was written; it may only grow.
    const FIXTURE_PAIRS: usize = 107;

    fn parse(text: &str) -> PackagistVersion {
        PackagistVersion::parse(text).unwrap_or_else(|reason| panic!("{text:?} rejected: {reason}"))
    }

    /// Asserts `a` compares to `b` as `expected`, `b` to `a` the other way, and `==` agrees.
    fn case(a: &str, b: &str, expected: Ordering) {
        let (va, vb) = (parse(a), parse(b));
        assert_eq!(va.cmp(&vb), expected, "{a:?} vs {b:?}");
        assert_eq!(vb.cmp(&va), expected.reverse(), "{b:?} vs {a:?}");
        assert_eq!(va == vb, expected == Equal, "{a:?} == {b:?}");
    }

    #[test]
    fn orders_as_php_and_osv_dev_tests() {
        // php-src ext/standard/tests/versioning/version_compare.phpt.
        case("1", "2", Less);
        case("10", "2", Greater);
        case("1.0", "1.1", Less);
        case("1.2", "1.0.1", Greater);
        case("1.0-dev", "1.0a1", Less);
        case("1.0a1", "1.0b1", Less);
        case("1.0b1", "1.0RC1", Less);
        case("1.0RC1", "1.0rc1", Equal);
        case("1.0rc1", "1.0", Less);
        case("1.0", "1.0.1", Less);
        case("1.0.1", "1.0pl1", Less);
        // The PHP manual: a shorter version is less, even when the rest is zeros.
        case("5.2", "5.2.0", Less);
        case("5.3.0-dev", "5.3.0", Less);
        // osv.dev osv/ecosystems/packagist_test.py.
        case("4.3-2RC1", "4.3-2RC2", Less);
        case("4.3-2RC2", "4.3-2beta5", Greater);
        case("4.3-2", "4.3-2beta1", Greater);
        case("1.0.0", "1.0", Greater);
        case("1.0.0rc2", "1.0.0.rc2", Equal);
    }

    #[test]
    fn orders_prefixes_separators_special_forms_and_long_numbers() {
        // osv-scalibr canonicalisation: `v`/`V` prefix, `-` `_` `+` separators.
        case("v1.0", "1.0", Equal);
        case("V1.0.1", "1.0.1", Equal);
        case("1.0_1", "1.0+1", Equal);
        case("1.0-alpha1", "1.0a1", Equal);
        case("v2.0.0-RC1", "2.0.0", Less);
        // PHP matches special forms by prefix and case (checked with PHP 8.2).
        case("1.0-patch1", "1.0", Greater);
        case("1.0-build", "1.0", Less);
        case("1.0-abc", "1.0-alpha", Equal);
        case("1.0-Beta", "1.0-beta", Less);
        // A `pl` part outranks a number: 1.0pl1 is above every 1.0.x (PHP 8.2).
        case("1.0-pl1", "1.0.99", Greater);
        case("1.0-pl1", "1.1", Less);
        // Where osv-scalibr's Go differs from PHP, PHP: other strings below `dev` (Go: equal).
        case("1.0-foo", "1.0-dev", Less);
        case("1.0-foo", "1.0-zzz", Equal);
        // Numbers of any length by value (PHP clamps at i64::MAX and calls these equal; Go's
        // check after the shorter version fails past i64 and calls the second pair equal).
        case("1.99999999999999999999", "1.99999999999999999998", Greater);
        case("1.99999999999999999999", "1", Greater);
        case("1.007", "1.7", Equal);
    }

    #[test]
    fn agrees_with_php_on_the_reference_fixture() {
        crate::version::table::check("packagist.tsv", FIXTURE, FIXTURE_PAIRS, parse);
    }

    #[test]
    fn rejects_bad_input_and_never_panics() {
        let rejected = [
            "",
            " ",
            "\t\n",
            "-",
            ".",
            "1..2",
            "1.0-",
            "-1.0",
            "1.0--beta",
            "１.０",
            "junk",
            "dev-master",
            "v",
            "1.0 2",
            "1.0#1",
            "1.0~beta",
            "1.ü",
            "🦀",
            "\u{0}1",
        ];
        for text in rejected {
            assert!(PackagistVersion::parse(text).is_err(), "{text:?} accepted");
        }
        let odd = [
            "99999999999999999999999999.1",
            "vV1",
            "Vv1",
            "1-a_b+c",
            "0",
            "1.🦀",
        ];
        for text in odd {
            let _ = PackagistVersion::parse(text);
        }
        let long = "9".repeat(10_000) + &"-rc1".repeat(1_000);
        assert_eq!(parse(&long), parse(&long));
        assert!(parse("99999999999999999999999999.1") > parse("9999999999999999999999999.9"));
    }

    #[test]
    fn displays_the_trimmed_text() {
        assert_eq!(parse("  v1.0.0-RC1\n").to_string(), "v1.0.0-RC1");
    }

    #[test]
    fn sorts_a_shuffled_list() {
        let expected = [
            "0.9",
            "1.0-dev",
            "1.0-alpha1",
            "1.0-beta2",
            "1.0-RC1",
            "1.0",
            "1.0.0",
            "1.0.1",
            "1.0-pl1",
            "1.1",
            "v2.0.0",
            "10",
        ];
        // A fixed shuffle: every fifth element, wrapping around (5 is coprime with 12).
        let mut versions: Vec<PackagistVersion> = (0..expected.len())
            .map(|i| parse(expected[(i * 5) % expected.len()]))
            .collect();
        versions.sort();
        let sorted: Vec<String> = versions.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, expected);
    }
}

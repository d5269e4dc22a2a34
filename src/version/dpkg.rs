//! Debian and Ubuntu version ordering, as `dpkg --compare-versions` decides it.
//!
//! A version is `[epoch:]upstream[-revision]`: the epoch is a decimal number before the first
//! `:`, the revision is what follows the last `-`. Versions compare by epoch, then upstream, then
//! revision; the two strings compare with dpkg's `verrevcmp`: alternating runs of non-digits,
//! compared character by character (`~` before the end of the run, the end before letters,
//! letters before everything else), and runs of digits, compared as numbers (an empty run is 0).
//!
//! The reference is dpkg itself (`lib/dpkg/parsehelp.c` `parseversion` and `lib/dpkg/version.c`
//! `verrevcmp`); `tests/fixtures/versions/dpkg.tsv` holds its answers, made by
//! `dpkg_reference.sh`.
//!
//! Parsing accepts exactly what `dpkg --compare-versions` compares. dpkg has two levels of
//! complaint: errors (empty version, embedded blank, bad epoch, empty upstream or revision), after
//! which it refuses to compare, and warnings (upstream not starting with a digit, characters
//! outside `[A-Za-z0-9.+~:-]`), after which it prints a warning and compares anyway. Errors are
//! `Err` here; warning cases parse and order as dpkg orders them. Beyond dpkg, a NUL character is
//! rejected (dpkg never sees one: it ends a C string).
//!
//! Why not the `debversion` crate: it was the first choice, but it disagrees with dpkg on
//! reference cases. It orders `1a` before `1a0`, `1~` before `1~0` and `1.0.` before `1.0.0`,
//! where dpkg finds them equal (a missing digit run counts as 0), and its parser accepts
//! versions dpkg refuses (`1:`, `:1`, `1.0-`, `-1`, epochs above 2147483647) while refusing
//! ones dpkg compares (`1_2`, leading or trailing blanks). So this module follows dpkg by hand.

use std::cmp::Ordering;

/// The largest epoch dpkg accepts (`INT_MAX`).
const MAX_EPOCH: u32 = i32::MAX as u32;

/// A parsed Debian version. Equality and order are dpkg's: `1.0` equals `0:1.0-0`.
#[derive(Debug, Clone)]
pub struct DpkgVersion {
    epoch: u32,
    upstream: String,
    /// Empty when the version has no `-`.
    revision: String,
    original: String,
}

impl DpkgVersion {
    /// Parses `text`; never panics. `Err` carries dpkg's reason, such as "epoch in version is
    /// negative". Leading and trailing blanks (space, tab) are ignored, as dpkg ignores them.
    pub fn parse(text: &str) -> Result<DpkgVersion, String> {
        let trimmed = text.trim_matches(is_blank);
        if trimmed.is_empty() {
            return Err("version string is empty".to_string());
        }
        if trimmed.contains(is_blank) {
            return Err("version string has embedded spaces".to_string());
        }
        if trimmed.contains('\0') {
            return Err("version string contains a NUL character".to_string());
        }
        let (epoch, rest) = split_epoch(trimmed)?;
        let (upstream, revision) = match rest.rfind('-') {
            Some(hyphen) => (&rest[..hyphen], &rest[hyphen + 1..]),
            None => (rest, ""),
        };
        if rest.contains('-') && revision.is_empty() {
            return Err("revision number is empty".to_string());
        }
        if upstream.is_empty() {
            return Err("version number is empty".to_string());
        }
        Ok(DpkgVersion {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
            original: trimmed.to_string(),
        })
    }
}

/// dpkg's blank: space or tab (`c_isblank`).
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits off the epoch before the first `:`, read as C `strtol` reads it (leading white space
/// and a sign allowed), with dpkg's checks; no `:` means epoch 0.
fn split_epoch(text: &str) -> Result<(u32, &str), String> {
    let Some((epoch_text, rest)) = text.split_once(':') else {
        return Ok((0, text));
    };
    let unsigned = epoch_text.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let (negative, digits) = match unsigned.as_bytes().first() {
        Some(b'-') => (true, &unsigned[1..]),
        Some(b'+') => (false, &unsigned[1..]),
        _ => (false, unsigned),
    };
    let digit_count = digits.bytes().take_while(u8::is_ascii_digit).count();
    if digit_count == 0 {
        return Err("epoch in version is empty".to_string());
    }
    if digit_count != digits.len() {
        return Err("epoch in version is not number".to_string());
    }
    let significant = digits.trim_start_matches('0');
    if negative && !significant.is_empty() {
        return Err("epoch in version is negative".to_string());
    }
    let epoch = match significant.parse::<u64>() {
        _ if significant.is_empty() => 0,
        Ok(value) if value <= u64::from(MAX_EPOCH) => value as u32,
        _ => return Err("epoch in version is too big".to_string()),
    };
    if rest.is_empty() {
        return Err("nothing after colon in version number".to_string());
    }
    Ok((epoch, rest))
}

/// dpkg's `verrevcmp`: compares an upstream version or a revision.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        let (a_text, a_rest) = split_run(a, |c| !c.is_ascii_digit());
        let (b_text, b_rest) = split_run(b, |c| !c.is_ascii_digit());
        let text_order = compare_non_digits(a_text, b_text);
        if text_order != Ordering::Equal {
            return text_order;
        }
        let (a_digits, a_rest) = split_run(a_rest, |c| c.is_ascii_digit());
        let (b_digits, b_rest) = split_run(b_rest, |c| c.is_ascii_digit());
        let number_order = compare_digits(a_digits, b_digits);
        if number_order != Ordering::Equal {
            return number_order;
        }
        (a, b) = (a_rest, b_rest);
    }
    Ordering::Equal
}

/// Splits `bytes` after its leading run of bytes matching `pred`.
fn split_run(bytes: &[u8], pred: impl Fn(&u8) -> bool) -> (&[u8], &[u8]) {
    let end = bytes.iter().position(|c| !pred(c)).unwrap_or(bytes.len());
    bytes.split_at(end)
}

/// Compares two runs of non-digits by dpkg's character weights; the shorter run is padded with
/// weight 0, which sorts after `~` and before everything else.
fn compare_non_digits(a: &[u8], b: &[u8]) -> Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| (weight(a.get(i)), weight(b.get(i))))
        .map(|(wa, wb)| wa.cmp(&wb))
        .find(|order| *order != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

/// dpkg's `order()` for one byte of a non-digit run (`None`: the run has ended).
///
/// dpkg passes a C `char`, which is signed on amd64, where the fixture was made: bytes from 0x80
/// up (non-ASCII text) weigh 128..255, between the letters and the ASCII punctuation. On
/// platforms with an unsigned `char` (arm64) dpkg weighs them 384..511 instead.
fn weight(byte: Option<&u8>) -> i32 {
    match byte {
        None => 0,
        Some(b'~') => -1,
        Some(&c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(&c) if c >= 0x80 => i32::from(c),
        Some(&c) => i32::from(c) + 256,
    }
}

/// Compares two runs of ASCII digits as numbers of any length (an empty run is 0).
fn compare_digits(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_zeros(a);
    let b = strip_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `digits` without its leading zeros.
fn strip_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|&c| c != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

super::by_precedence!(DpkgVersion, original);

#[cfg(test)]
mod tests {
    use super::DpkgVersion;
    use std::cmp::Ordering::{self, Equal, Greater, Less};

    fn parse(text: &str) -> DpkgVersion {
        DpkgVersion::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    }

    fn case(a: &str, b: &str, expected: Ordering) {
        let (va, vb) = (parse(a), parse(b));
        assert_eq!(va.cmp(&vb), expected, "{a} vs {b}");
        assert_eq!(vb.cmp(&va), expected.reverse(), "{b} vs {a}");
        assert_eq!(va == vb, expected == Equal, "{a} == {b}");
    }

    /// Ordering cases, grouped by where they come from.
    const CASES: &[(&str, &str, Ordering)] = &[
        // dpkg scripts/t/Dpkg_Version.t
        ("1.0-1", "2.0-2", Less),
        ("2.2~rc-4", "2.2-1", Less),
        ("1.0000-1", "1.0-1", Equal),
        ("1", "0:1", Equal),
        ("2:2.5", "1:7.5", Greater),
        ("0foo~foo+Bar", "0foo~foo+bar", Less),
        ("0foo~~", "0foo~", Less),
        ("0foo.bar", "0foo1bar", Greater),
        ("0foo2.0", "0foo2.0.0", Less),
        ("1.09", "1.9", Equal),
        ("3.11", "3.10+nmu1", Greater),
        ("1:3.8.1-1", "3.8.GA-1", Greater),
        ("1a", "1000a", Less),
        // dpkg lib/dpkg/t/t-version.c, written as strings
        ("0-00", "00-0", Equal),
        ("0:0-0-0", "0-0-0", Equal),
        ("0:0:0-0", "0:0-0", Greater),
        ("0:0-azAZ09.+~", "0:0-azAZ09.+", Less),
        ("  0:0-1", "0:0-1\t", Equal),
        // Debian security updates and backports
        ("3.0.11-1~deb12u2", "3.0.11-1", Less),
        ("3.0.11-1~deb12u2", "3.0.11-1~deb12u1", Greater),
        ("2.36-9+deb12u4", "2.36-9+deb12u10", Less),
        ("1:9.2p1-2", "9.3p1-1", Greater),
        ("1.0-1~bpo12+1", "1.0-1", Less),
        ("1.0-1+b1", "1.0-1.1", Less),
        // Ubuntu updates
        ("1.2.3-0ubuntu0.22.04.1", "1.2.3-0ubuntu0.20.04.1", Greater),
        ("1.2.3-0ubuntu0.22.04.1", "1.2.3-0ubuntu1", Less),
        ("1.2.3-1build1", "1.2.3-1ubuntu1", Less),
        ("5.15.0-91.101", "5.15.0-100.110", Less),
        // Epochs as strtol reads them, and revisions
        ("+1:1.0", "1:1.0", Equal),
        ("-0:1.0", "1.0", Equal),
        ("2147483647:1", "2147483646:9", Greater),
        ("1.0", "1.0-0", Equal),
        ("1.0", "1.0-0.0", Less),
        // A missing digit run is 0: where the debversion crate disagrees with dpkg
        ("1a", "1a0", Equal),
        ("1~", "1~0", Equal),
        ("1.0.", "1.0.0", Equal),
        // Digit runs of any length, and versions dpkg only warns about
        (
            "1.99999999999999999999999",
            "1.100000000000000000000000",
            Less,
        ),
        ("abc", "abd", Less),
        ("1_2", "1.2", Greater),
        ("1é", "1.", Less),
        ("1é", "1a", Greater),
    ];

    #[test]
    fn orders_like_dpkg() {
        for &(a, b, expected) in CASES {
            case(a, b, expected);
        }
        assert!(CASES.len() >= 30);
    }

    #[test]
    fn agrees_with_dpkg_fixture() {
        let text = include_str!("../../tests/fixtures/versions/dpkg.tsv");
        crate::version::table::check("dpkg.tsv", text, 135, parse);
    }

    #[test]
    fn rejects_what_dpkg_rejects_in_fixture() {
        let text = include_str!("../../tests/fixtures/versions/dpkg.tsv");
        let invalid: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("#invalid\t"))
            .collect();
        for line in &invalid {
            let fields: Vec<&str> = line.split('\t').collect();
            let (a, b) = (fields[1], fields[2]);
            assert!(
                DpkgVersion::parse(a).is_err() || DpkgVersion::parse(b).is_err(),
                "dpkg refuses {a:?} or {b:?} ({}), parse accepts both",
                fields[3]
            );
        }
        assert!(invalid.len() >= 17, "only {} invalid pairs", invalid.len());
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        let bad = [
            "",
            " ",
            "\t",
            "-",
            ":",
            "1:",
            "a:1",
            ":1",
            "-1:1",
            "1.0-",
            "0:-0",
            "1 0",
            "1.0:1",
            "2147483648:1",
            "99999999999999999999999999:1",
            "1\0",
        ];
        for text in bad {
            assert!(
                DpkgVersion::parse(text).is_err(),
                "{text:?} should be rejected"
            );
        }
        assert_eq!(
            DpkgVersion::parse("-1:0").unwrap_err(),
            "epoch in version is negative"
        );
        // Odd but comparable, as dpkg compares them (with a warning).
        for text in [
            "99999999999999999999999999.1",
            "１.０",
            "abc",
            "1.0@",
            "~",
            "1:a",
        ] {
            assert!(DpkgVersion::parse(text).is_ok(), "{text:?} should parse");
        }
    }

    #[test]
    fn displays_trimmed_original() {
        assert_eq!(parse(" 1:2.0-1~deb12u1\t").to_string(), "1:2.0-1~deb12u1");
        assert_eq!(parse("1.0-0").to_string(), "1.0-0");
    }

    #[test]
    fn sorts_a_shuffled_list() {
        let expected = [
            "1.0~rc1-1",
            "1.0-1~deb12u1",
            "1.0-1",
            "1.0-1ubuntu0.22.04.1",
            "1.0-1ubuntu1",
            "1.0-1+b1",
            "1.0-1+deb12u1",
            "1.0-1.1",
            "1.0+dfsg-1",
            "1.0.1-1",
            "1.10-1",
            "1:0.9-1",
        ];
        let shuffled = [6, 11, 0, 9, 3, 7, 1, 10, 4, 8, 2, 5];
        let mut versions: Vec<DpkgVersion> = shuffled.iter().map(|&i| parse(expected[i])).collect();
        versions.sort();
        let sorted: Vec<String> = versions.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, expected);
    }
}

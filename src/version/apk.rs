//! Alpine (apk) version ordering, following apk-tools' `src/version.c`.
//!
//! A version is `digits{.digits}...{letter}{_suffix{digits}}...{~hash}{-rN}`: numbers separated
//! by dots, one optional lowercase letter, any number of suffixes, an optional commit hash of
//! lowercase hex digits, and an optional revision. Suffixes rank
//! `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`.
//!
//! Two versions compare token by token. Same kind of token: numbers compare as numbers, except
//! that a dotted number with a leading zero compares as a string against its counterpart
//! (`1.01 < 1.1`, `8.2.0 < 8.2.001`); letters, suffixes and hashes compare by value. Different
//! kinds, where one version goes on and the other does not: a pre-release suffix sorts lowest,
//! then the end of the version, then a revision, a hash, a suffix number, a post-release suffix,
//! a letter and a dotted number. So `1.0_rc1 < 1.0 < 1.0-r0 < 1.0~ab < 1.0_p1 < 1.0a < 1.0.1`.
//!
//! The reference is apk-tools' current tokenizer (the one that knows `~hash`, apk-tools 3), and
//! its `test/version.data`; `tests/fixtures/versions/apk.tsv` holds its answers, made by
//! `apk_reference.sh`. Parsing accepts what `apk version --check` accepts. The older apk-tools
//! 2.x tokenizer differs in corners: it has no `~hash`, accepts a digit after the letter
//! (`1.0a1`), and orders some zero-padded numbers differently (it had `8.2.0 > 8.2.001`).
//!
//! Numbers of any length compare exactly (apk-tools keeps 64 bits and wraps beyond them).

use std::cmp::Ordering;

/// Pre-release suffixes, lowest first: they sort before the bare version.
const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
/// Post-release suffixes, lowest first: they sort after the bare version.
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// A parsed Alpine package version, ordered as `apk version -t` orders it.
#[derive(Debug, Clone)]
pub struct ApkVersion {
    /// The tokens, always ending with [`Token::End`].
    tokens: Vec<Token>,
    original: String,
}

/// One token of a version. The variant order is the order of tokens of different kinds at the
/// first position where two versions differ (apk-tools: a pre-release suffix is lowest, then a
/// higher token kind sorts lower); within a kind, the payload decides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    /// `_alpha`, `_beta`, `_pre`, `_rc`, as their rank.
    PreSuffix(usize),
    /// The end of the version.
    End,
    /// `-rN`.
    Revision(Number),
    /// `~hex`, compared as a string.
    CommitHash(String),
    /// The number after a suffix.
    SuffixNumber(Number),
    /// `_cvs`, `_svn`, `_git`, `_hg`, `_p`, as their rank.
    PostSuffix(usize),
    /// The letter after the numbers.
    Letter(u8),
    /// A number after a dot.
    Dotted(DottedNumber),
    /// The first number, always compared as a number.
    First(Number),
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

/// A number after a dot. When either side starts with `0` apk compares the digit strings; as
/// such a string sorts below any digit string starting `1`-`9`, every zero-led number sorts
/// below every other, and the variant order says exactly that.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum DottedNumber {
    ZeroLed(String),
    Plain(Number),
}

impl DottedNumber {
    fn new(digits: &str) -> DottedNumber {
        if digits.starts_with('0') {
            DottedNumber::ZeroLed(digits.to_string())
        } else {
            DottedNumber::Plain(Number::new(digits))
        }
    }
}

impl ApkVersion {
    /// Parses `text` (surrounding white space ignored); never panics. Err names the first
    /// character that breaks apk's grammar, as `apk version --check` would reject the version.
    pub fn parse(text: &str) -> Result<ApkVersion, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("version string is empty".to_string());
        }
        let tokens = Tokenizer::new(trimmed).tokens()?;
        Ok(ApkVersion {
            tokens,
            original: trimmed.to_string(),
        })
    }
}

/// The token kinds in apk-tools' order, which also bounds what may follow what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    First,
    Dotted,
    Letter,
    Suffix,
    SuffixNumber,
    CommitHash,
    Revision,
}

/// Splits a version into tokens, as apk-tools' `token_first` and `token_next` do.
struct Tokenizer<'a> {
    text: &'a str,
    pos: usize,
    last: Kind,
}

impl<'a> Tokenizer<'a> {
    fn new(text: &'a str) -> Tokenizer<'a> {
        Tokenizer {
            text,
            pos: 0,
            last: Kind::First,
        }
    }

    fn tokens(mut self) -> Result<Vec<Token>, String> {
        let first = self.take_while(|c| c.is_ascii_digit());
        if first.is_empty() {
            return Err("an apk version starts with a digit".to_string());
        }
        let mut tokens = vec![Token::First(Number::new(first))];
        while let Some(&byte) = self.text.as_bytes().get(self.pos) {
            tokens.push(self.next_token(byte)?);
        }
        tokens.push(Token::End);
        Ok(tokens)
    }

    /// Reads the token that starts with `byte`, checking that it may follow the last one.
    fn next_token(&mut self, byte: u8) -> Result<Token, String> {
        let start = self.pos;
        let token = match byte {
            b'a'..=b'z' if self.last <= Kind::Dotted => {
                self.pos += 1;
                self.last = Kind::Letter;
                Some(Token::Letter(byte))
            }
            b'.' if self.last <= Kind::Dotted => self.dotted_number(),
            b'0'..=b'9' if self.last == Kind::Suffix => self.suffix_number(),
            b'_' if self.last <= Kind::SuffixNumber => self.suffix(),
            b'~' if self.last < Kind::CommitHash => self.commit_hash(),
            b'-' if self.last < Kind::Revision => self.revision(),
            _ => None,
        };
        token.ok_or_else(|| self.error_at(start))
    }

    fn dotted_number(&mut self) -> Option<Token> {
        self.pos += 1;
        let digits = self.digits()?;
        self.last = Kind::Dotted;
        Some(Token::Dotted(DottedNumber::new(digits)))
    }

    fn suffix_number(&mut self) -> Option<Token> {
        let digits = self.digits()?;
        self.last = Kind::SuffixNumber;
        Some(Token::SuffixNumber(Number::new(digits)))
    }

    fn suffix(&mut self) -> Option<Token> {
        self.pos += 1;
        let name = self.take_while(|c| c.is_ascii_lowercase());
        self.last = Kind::Suffix;
        if let Some(rank) = PRE_SUFFIXES.iter().position(|s| *s == name) {
            return Some(Token::PreSuffix(rank));
        }
        let rank = POST_SUFFIXES.iter().position(|s| *s == name)?;
        Some(Token::PostSuffix(rank))
    }

    fn commit_hash(&mut self) -> Option<Token> {
        self.pos += 1;
        let hash = self.take_while(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
        if hash.is_empty() {
            return None;
        }
        self.last = Kind::CommitHash;
        Some(Token::CommitHash(hash.to_string()))
    }

    fn revision(&mut self) -> Option<Token> {
        if !self
            .text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with("-r"))
        {
            return None;
        }
        self.pos += 2;
        let digits = self.digits()?;
        self.last = Kind::Revision;
        Some(Token::Revision(Number::new(digits)))
    }

    /// A non-empty run of digits at the current position.
    fn digits(&mut self) -> Option<&'a str> {
        let digits = self.take_while(|c| c.is_ascii_digit());
        (!digits.is_empty()).then_some(digits)
    }

    /// Advances over the ASCII bytes matching `pred` and returns them.
    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
        let len = rest.iter().take_while(|&&c| pred(c)).count();
        let run = self.text.get(self.pos..self.pos + len).unwrap_or("");
        self.pos += len;
        run
    }

    fn error_at(&self, start: usize) -> String {
        let found = self.text.get(start..).and_then(|rest| rest.chars().next());
        let found = found.unwrap_or(' ');
        format!("not an apk version: unexpected {found:?} at byte {start}")
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.tokens.cmp(&other.tokens)
    }
}

super::by_precedence!(ApkVersion, original);

#[cfg(test)]
mod tests {
    use super::ApkVersion;
    use std::cmp::Ordering::{self, Equal, Greater, Less};

    fn parse(text: &str) -> ApkVersion {
        ApkVersion::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    }

    fn case(a: &str, b: &str, expected: Ordering) {
        let (va, vb) = (parse(a), parse(b));
        assert_eq!(va.cmp(&vb), expected, "{a} vs {b}");
        assert_eq!(vb.cmp(&va), expected.reverse(), "{b} vs {a}");
        assert_eq!(va == vb, expected == Equal, "{a} == {b}");
    }

    /// Ordering cases, grouped by where they come from.
    const CASES: &[(&str, &str, Ordering)] = &[
        // apk-tools test/version.data
        ("2.34", "0.1.0_alpha", Greater),
        ("0.1.0_alpha2", "0.1.0_alpha", Greater),
        ("1.1", "1.1_alpha1", Greater),
        ("2.3.0b-r1", "2.3.0b-r2", Less),
        ("1.06-r6", "006", Less),
        ("006", "1.0.0", Greater),
        ("3.0.20060720", "20060720", Less),
        ("2.5.1-r8", "2.5.1a-r1", Less),
        ("0.10.0-r1", "0.10.0", Greater),
        ("1.3_pre1-r1", "1.3.2", Less),
        ("1.0_p10-r0", "1.0_p9-r0", Greater),
        ("0.1.0_alpha_pre2", "0.1.0_alpha", Less),
        (
            "1.0.0_pre20191002222144-r0",
            "1.0.0_pre20210530193627-r0",
            Less,
        ),
        ("6.0_pre1", "6.0", Less),
        ("6.1_p1", "6.1", Greater),
        ("8.2.0", "8.2.001", Less),
        ("8.2.0015", "8.2.002", Less),
        ("1.0~1234-r1", "1.0~2345-r0", Less),
        ("1.0~1234-r1", "1.0~1234-r0", Greater),
        // Revisions, suffix ranks and letters (Alpine secdb style)
        ("1.0", "1.0-r0", Less),
        ("1.0-r10", "1.0-r9", Greater),
        ("1.36.1-r15", "1.36.1-r2", Greater),
        ("1.0_rc1", "1.0_beta2", Greater),
        ("1.0_hg", "1.0_p", Less),
        ("1.0_p1", "1.0-r1", Greater),
        ("9.3_p2-r0", "9.3_p1-r5", Greater),
        ("1.1.1w-r1", "1.1.1v-r0", Greater),
        ("1.0z", "1.0.1", Less),
        // Commit hashes sit between the suffixes and the revision
        ("1.0~abc", "1.0", Greater),
        ("1.0~abc", "1.0-r1", Greater),
        ("1.0~abc", "1.0_p1", Less),
        ("1.0_rc1~abc", "1.0", Less),
        // Leading zeros: numeric first number, string sort after a dot
        ("01.1", "1.1", Equal),
        ("1.0-r01", "1.0-r1", Equal),
        ("1.01", "1.1", Less),
        ("1.0", "1.00", Less),
        ("1.09", "1.9", Less),
        // Numbers past 64 bits compare exactly (apk-tools would wrap them)
        ("1.18446744073709551616", "1.18446744073709551615", Greater),
        (
            "1.0-r99999999999999999999999",
            "1.0-r100000000000000000000000",
            Less,
        ),
    ];

    #[test]
    fn orders_like_apk() {
        for &(a, b, expected) in CASES {
            case(a, b, expected);
        }
        assert!(CASES.len() >= 30);
    }

    #[test]
    fn agrees_with_apk_fixture() {
        let text = include_str!("../../tests/fixtures/versions/apk.tsv");
        crate::version::table::check("apk.tsv", text, 797, parse);
    }

    #[test]
    fn rejects_what_apk_rejects_in_fixture() {
        let text = include_str!("../../tests/fixtures/versions/apk.tsv");
        let invalid: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("#invalid\t"))
            .collect();
        for line in &invalid {
            let fields: Vec<&str> = line.split('\t').collect();
            let (a, b) = (fields[1], fields[2]);
            assert!(
                ApkVersion::parse(a).is_err() || ApkVersion::parse(b).is_err(),
                "apk rejects {a:?} or {b:?}, parse accepts both"
            );
        }
        assert!(invalid.len() >= 2, "only {} invalid pairs", invalid.len());
    }

    #[test]
    fn validates_like_apk_version_check() {
        // apk-tools test/version.data: valid, then invalid ("!") lines
        for text in [
            "1.2",
            "0.1_pre2",
            "0.1_pre2~1234abcd",
            "0.1_p1_pre2",
            "0.1_alpha1_pre2",
            "0.1_git20240101_pre1",
        ] {
            assert!(ApkVersion::parse(text).is_ok(), "{text:?} should parse");
        }
        let invalid = [
            "0.1bc",
            "0.1bc1",
            "0.1a1",
            "0.1a.1",
            "0.1_pre2~",
            "0.1_pre2~1234xbcd",
            "0.1_pre2~1234abcd_pre1",
            "0.1_pre2-r1~1234xbcd",
            "0.1_foobar",
            "0.1_foobar1",
            "0.1-pre1.1",
            "0.1-r",
            "0.1-r2_pre1",
            "0.1-r2_p3_pre1",
            "0.1-r2-r3",
            "0.1-r2.1",
            ".1",
            "a",
            "_pre1",
            "-r1",
            "0.1_",
            "0.1_-r0",
            "0.1__alpha",
            "0.1_1_alpha",
        ];
        for text in invalid {
            assert!(
                ApkVersion::parse(text).is_err(),
                "{text:?} should be rejected"
            );
        }
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        let bad = [
            "", " ", "-", ":", "1:", "a:1", "１.０", "1.0~ABC", "1.0 1", "1.0é", "1.0-r",
        ];
        for text in bad {
            assert!(
                ApkVersion::parse(text).is_err(),
                "{text:?} should be rejected"
            );
        }
        assert!(ApkVersion::parse("99999999999999999999999999.1").is_ok());
        assert_eq!(
            ApkVersion::parse("1.0é").unwrap_err(),
            "not an apk version: unexpected 'é' at byte 3"
        );
    }

    #[test]
    fn displays_trimmed_original() {
        assert_eq!(parse("  1.2.3_p1-r0\n").to_string(), "1.2.3_p1-r0");
    }

    #[test]
    fn sorts_a_shuffled_list() {
        let expected = [
            "1.0_alpha",
            "1.0_beta2",
            "1.0_rc1",
            "1.0",
            "1.0-r0",
            "1.0-r1",
            "1.0~abc",
            "1.0_git20240101",
            "1.0_p1",
            "1.0a",
            "1.0.1",
            "1.1",
        ];
        let shuffled = [6, 11, 0, 9, 3, 7, 1, 10, 4, 8, 2, 5];
        let mut versions: Vec<ApkVersion> = shuffled.iter().map(|&i| parse(expected[i])).collect();
        versions.sort();
        let sorted: Vec<String> = versions.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, expected);
    }
}

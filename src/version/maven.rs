//! Maven version ordering, as `org.apache.maven.artifact.versioning.ComparableVersion` of
//! maven-artifact 3.8 orders versions (OSV's `Maven` ecosystem uses this ordering).
//!
//! A version is split on `.`, `-` and every digit/letter transition into numbers and
//! qualifiers; `-` and a letter/digit transition open a nested sub-list. Qualifiers order as
//! `alpha` (`a` before a digit) < `beta` (`b`) < `milestone` (`m`) < `rc` (`cr`) < `snapshot` <
//! release (`""`, `ga`, `final`, `release`) < `sp` < any other qualifier, the others by their
//! lower-cased text. Trailing zeros and release qualifiers are dropped ("1.0" == "1" == "1-0").
//! Numbers keep Java's item classes: a number of up to 9 digits (after stripping leading zeros)
//! sorts below one of 10 to 18 digits, which sorts below a longer one, whatever their values.
//!
//! Written by hand, without a crate, because no crate reproduces these rules exactly, and because
//! the reference's corner cases matter for matching: leading-zero runs, digits of other scripts
//! (Java's `Character.isDigit`), and how a sub-list compares with a missing item. Every version
//! parses (as in Maven) except an empty one; nothing here can panic or recurse without bound.
//! `tests/fixtures/versions/maven.tsv`, made by running maven-artifact itself, checks it.

use std::cmp::Ordering;

/// A Maven version: its normalised items, kept with the text it was read from.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    /// The nested item lists flattened: `levels[k + 1]` is the sub-list that ends `levels[k]`.
    levels: Vec<Vec<Leaf>>,
    original: String,
}

/// An item that is not a sub-list.
#[derive(Debug, Clone)]
enum Leaf {
    Number(Number),
    Qualifier(Qualifier),
}

/// A number item: Java's item class, then its value as ASCII digits without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Number {
    width: Width,
    value: Digits,
}

/// `IntItem`, `LongItem` or `BigIntegerItem`, chosen by the digit count after leading ASCII
/// zeros are stripped (a run of zeros only is kept whole). They order by class first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Width {
    Int,
    Long,
    Big,
}

/// A non-negative integer of any length: ASCII digits, no leading zeros, empty for zero.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Digits(String);

impl Ord for Digits {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }
}

impl PartialOrd for Digits {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A qualifier: its rank among the known ones (7 for any other), and its text when unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Qualifier {
    rank: u8,
    text: String,
}

/// The known qualifiers in ascending order; the empty one is the release.
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// The rank of the release qualifier, which compares equal to a missing item.
const RELEASE_RANK: u8 = 5;
/// The rank of every qualifier not in [`QUALIFIERS`].
const UNKNOWN_RANK: u8 = 7;

impl Qualifier {
    /// Java's `StringItem(text, followedByDigit)`: `a1` is `alpha-1`, `b1` `beta-1`, `m1`
    /// `milestone-1`; `ga`, `final` and `release` are the release, `cr` is `rc`.
    fn new(text: &str, followed_by_digit: bool) -> Qualifier {
        let text = match (text, followed_by_digit) {
            ("a", true) => "alpha",
            ("b", true) => "beta",
            ("m", true) => "milestone",
            ("ga" | "final" | "release", _) => "",
            ("cr", _) => "rc",
            (other, _) => other,
        };
        match QUALIFIERS.iter().position(|q| *q == text) {
            Some(rank) => Qualifier {
                rank: rank as u8,
                text: String::new(),
            },
            None => Qualifier {
                rank: UNKNOWN_RANK,
                text: text.to_string(),
            },
        }
    }
}

impl Ord for Qualifier {
    /// Java compares `"<rank>"` or `"7-<text>"` as strings: by rank, then by UTF-16 text.
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank
            .cmp(&other.rank)
            .then_with(|| self.text.encode_utf16().cmp(other.text.encode_utf16()))
    }
}

impl PartialOrd for Qualifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Leaf {
    /// Whether normalisation drops this item when it trails its list (a zero or the release).
    fn is_null(&self) -> bool {
        match self {
            Leaf::Number(n) => n.value.0.is_empty(),
            Leaf::Qualifier(q) => q.rank == RELEASE_RANK,
        }
    }

    /// How this item compares with a missing one (the other version ran out of items).
    fn cmp_missing(&self) -> Ordering {
        match self {
            Leaf::Number(n) if n.value.0.is_empty() => Ordering::Equal,
            Leaf::Number(_) => Ordering::Greater,
            Leaf::Qualifier(q) => q.rank.cmp(&RELEASE_RANK),
        }
    }
}

/// One position of a list: an item, or the sub-list at the given depth.
#[derive(Clone, Copy)]
enum Element<'a> {
    Leaf(&'a Leaf),
    List,
}

impl Element<'_> {
    /// Java's order between item classes: qualifier < sub-list < number.
    fn class(self) -> u8 {
        match self {
            Element::Leaf(Leaf::Qualifier(_)) => 0,
            Element::List => 1,
            Element::Leaf(Leaf::Number(_)) => 2,
        }
    }
}

/// The zero codepoints of the decimal-digit blocks Java 17's `Character.isDigit(char)` accepts:
/// every `Nd` block of Unicode 13 in the Basic Multilingual Plane (Java walks UTF-16 units, so
/// supplementary digits are letters to it). Each block is ten consecutive digits 0-9.
const DIGIT_ZEROS: [u32; 37] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

/// The value of `c` as Java reads a decimal digit, or `None` when Java sees no digit.
fn java_digit(c: char) -> Option<u8> {
    let code = u32::from(c);
    let index = DIGIT_ZEROS
        .partition_point(|&zero| zero <= code)
        .checked_sub(1)?;
    let offset = code - DIGIT_ZEROS[index];
    u8::try_from(offset).ok().filter(|d| *d < 10)
}

/// Java's `parseItem(true, run)`: the class from the run's length once leading ASCII zeros
/// are stripped (all-zero runs are kept whole), the value from its digits.
fn parse_number(run: &str) -> Number {
    let stripped = run.trim_start_matches('0');
    let kept = if stripped.is_empty() { run } else { stripped };
    let width = match kept.chars().count() {
        0..=9 => Width::Int,
        10..=18 => Width::Long,
        _ => Width::Big,
    };
    let ascii: String = run
        .chars()
        .filter_map(java_digit)
        .map(|d| char::from(b'0' + d))
        .collect();
    let value = Digits(ascii.trim_start_matches('0').to_string());
    Number { width, value }
}

/// The zero Java adds for an empty part (`1..2`, a leading `.` or `-`).
fn zero() -> Leaf {
    Leaf::Number(Number {
        width: Width::Int,
        value: Digits(String::new()),
    })
}

/// Java's `parseItem(isDigit, run)`.
fn parse_leaf(is_digit: bool, run: &str) -> Leaf {
    if is_digit {
        Leaf::Number(parse_number(run))
    } else {
        Leaf::Qualifier(Qualifier::new(run, false))
    }
}

/// The lists being built by [`tokenize`]: the last level is the current list.
struct Lists(Vec<Vec<Leaf>>);

impl Lists {
    /// Adds `leaf` to the current list.
    fn push(&mut self, leaf: Leaf) {
        if let Some(list) = self.0.last_mut() {
            list.push(leaf);
        }
    }

    /// Opens a sub-list at the end of the current list and makes it current.
    fn open(&mut self) {
        self.0.push(Vec::new());
    }

    /// Whether the current list has no items yet.
    fn current_is_empty(&self) -> bool {
        self.0.last().is_none_or(Vec::is_empty)
    }
}

/// Splits lower-cased `text` the way `ComparableVersion.parseVersion` does, before
/// normalisation: items at `.`, items and a new sub-list at `-` and at digit/letter changes.
fn tokenize(text: &str) -> Vec<Vec<Leaf>> {
    let mut lists = Lists(vec![Vec::new()]);
    let mut is_digit = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '.' || c == '-' {
            let leaf = if i == start {
                zero()
            } else {
                parse_leaf(is_digit, &text[start..i])
            };
            lists.push(leaf);
            start = i + 1;
            if c == '-' {
                lists.open();
            }
        } else if java_digit(c).is_some() {
            if !is_digit && i > start {
                if !lists.current_is_empty() {
                    lists.open();
                }
                lists.push(Leaf::Qualifier(Qualifier::new(&text[start..i], true)));
                start = i;
                lists.open();
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                lists.push(parse_leaf(true, &text[start..i]));
                start = i;
                lists.open();
            }
            is_digit = false;
        }
    }
    if start < text.len() {
        if !is_digit && !lists.current_is_empty() {
            lists.open();
        }
        lists.push(parse_leaf(is_digit, &text[start..]));
    }
    lists.0
}

/// `ListItem.normalize`, innermost list first: trailing null items go (a sub-list does not stop
/// the sweep), and a sub-list left empty is removed from its parent.
fn normalize(levels: &mut Vec<Vec<Leaf>>) {
    for depth in (0..levels.len()).rev() {
        let list = &mut levels[depth];
        while list.last().is_some_and(Leaf::is_null) {
            list.pop();
        }
        let is_innermost = depth + 1 == levels.len();
        if depth > 0 && is_innermost && levels[depth].is_empty() {
            levels.pop();
        }
    }
}

impl MavenVersion {
    /// Parses `text` (trimmed) as Maven does: any non-empty text is a version.
    pub fn parse(text: &str) -> Result<MavenVersion, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("empty version".to_string());
        }
        let mut levels = tokenize(&trimmed.to_lowercase());
        normalize(&mut levels);
        Ok(MavenVersion {
            levels,
            original: trimmed.to_string(),
        })
    }

    /// The number of positions in the list at `depth`, counting its sub-list.
    fn len_at(&self, depth: usize) -> usize {
        let leaves = self.levels.get(depth).map_or(0, Vec::len);
        leaves + usize::from(depth + 1 < self.levels.len())
    }

    /// The element at `index` of the list at `depth`: an item, its sub-list, or nothing.
    fn element(&self, depth: usize, index: usize) -> Option<Element<'_>> {
        let leaves = self.levels.get(depth)?;
        match leaves.get(index) {
            Some(leaf) => Some(Element::Leaf(leaf)),
            None if index == leaves.len() && depth + 1 < self.levels.len() => Some(Element::List),
            None => None,
        }
    }

    /// `ListItem.compareTo(null)` for the list at `depth` from position `from` on: the first
    /// item (its sub-list included) that differs from a missing one decides.
    fn cmp_missing_from(&self, mut depth: usize, mut from: usize) -> Ordering {
        while let Some(leaves) = self.levels.get(depth) {
            let mut decided = leaves.iter().skip(from).map(Leaf::cmp_missing);
            if let Some(order) = decided.find(|o| o.is_ne()) {
                return order;
            }
            depth += 1;
            from = 0;
        }
        Ordering::Equal
    }
}

/// Compares two elements at the same position of lists at `depth`, both present and not both
/// sub-lists (that case continues one level down).
fn cmp_elements(a: Element<'_>, b: Element<'_>) -> Ordering {
    match (a, b) {
        (Element::Leaf(Leaf::Number(x)), Element::Leaf(Leaf::Number(y))) => x.cmp(y),
        (Element::Leaf(Leaf::Qualifier(x)), Element::Leaf(Leaf::Qualifier(y))) => x.cmp(y),
        _ => a.class().cmp(&b.class()),
    }
}

impl Ord for MavenVersion {
    /// `ListItem.compareTo`, walked level by level instead of recursively: a sub-list is always
    /// the last element of its parent, so comparing two sub-lists ends the parent's comparison.
    fn cmp(&self, other: &Self) -> Ordering {
        let mut depth = 0;
        'level: loop {
            let len = self.len_at(depth).max(other.len_at(depth));
            for index in 0..len {
                let order = match (self.element(depth, index), other.element(depth, index)) {
                    (Some(Element::List), Some(Element::List)) => {
                        depth += 1;
                        continue 'level;
                    }
                    (Some(a), Some(b)) => cmp_elements(a, b),
                    // One list ran out: the rest of the other, against nothing, decides.
                    (Some(_), None) => return self.cmp_missing_from(depth, index),
                    (None, Some(_)) => return other.cmp_missing_from(depth, index).reverse(),
                    (None, None) => return Ordering::Equal,
                };
                if order.is_ne() {
                    return order;
                }
            }
            return Ordering::Equal;
        }
    }
}

super::by_precedence!(MavenVersion, original);

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn v(text: &str) -> MavenVersion {
        MavenVersion::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn case(a: &str, b: &str, expected: Ordering) {
        assert_eq!(v(a).cmp(&v(b)), expected, "{a} vs {b}");
        assert_eq!(v(b).cmp(&v(a)), expected.reverse(), "{b} vs {a}");
        assert_eq!(v(a) == v(b), expected == Equal, "{a} == {b}");
    }

    #[test]
    fn orders_as_comparable_version_does() {
        // Maven's ComparableVersionTest: testVersionsEqual.
        case("1", "1.0.0", Equal);
        case("1", "1-0", Equal);
        case("1.0", "1.0-0", Equal);
        case("1a", "1-a", Equal);
        case("1a", "1.0.0-a", Equal);
        case("1x", "1.0-x", Equal);
        case("1ga", "1", Equal);
        case("1final", "1", Equal);
        case("1cr", "1rc", Equal);
        case("1a1", "1alpha1", Equal);
        case("1b2", "1beta2", Equal);
        case("1m3", "1MILESTONE3", Equal);
        case("1FinaL", "1", Equal);
        // Maven's ComparableVersionTest: testVersionComparing.
        case("1.5", "2", Less);
        case("1.0.1", "1.1", Less);
        case("1.0-alpha-1", "1.0", Less);
        case("1.0-alpha-1", "1.0-beta-1", Less);
        case("1.0-beta-1", "1.0-SNAPSHOT", Less);
        case("1.0-SNAPSHOT", "1.0", Less);
        case("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1", Less);
        case("1.0", "1.0-1", Less);
        case("1.0.0", "1.0-1", Less);
        case("2.0-1", "2.0.1", Less);
        case("2.0.1-klm", "2.0.1-lmn", Less);
        case("2.0.1", "2.0.1-xyz", Less);
        case("2.0.1-xyz", "2.0.1-123", Less);
        // ComparableVersionTest: MNG-6572 (numbers past int and long), MNG-6964, leading zeros.
        case("20190126.230843", "1234567890.12345", Less);
        case(
            "123456789012345.1H.5-beta",
            "12345678901234567890.1H.5-beta",
            Less,
        );
        case("1-0.alpha", "1", Less);
        case("0000000000000000001", "1", Equal);
        // The brief's spellings, checked against maven-artifact 3.8.7 (see maven.tsv).
        case("1.0.0.RELEASE", "1.0.0", Equal);
        case("2.0.0.Final", "2.0.0", Equal);
        case("1.0a1", "1.0-alpha-1", Equal);
        case("1.0-sp1", "1.0", Greater);
        case("1.0-sp1", "1.0.1", Less);
        case("1.0-foo", "1.0-sp", Greater);
        case("1.0-foo", "1.0-bar", Greater);
        case(
            "99999999999999999999999999.1",
            "99999999999999999999999999.2",
            Less,
        );
        // maven-artifact 3.8.7 quirks: an all-zero run of 10+ digits is a LongItem, above any
        // IntItem; a sub-list against nothing looks past its first item; `.` after a number
        // keeps `rc.1` flat while `rc1` nests.
        case("0000000000.1", "0.1", Greater);
        case("1-0.1", "1", Greater);
        case("1.0.0-rc.1", "1.0.0-rc1", Greater);
        // Java's Character.isDigit takes any BMP decimal digit; lower-casing is Unicode.
        case("１.０", "1", Equal);
        case("1-Ω", "1-ω", Equal);
    }

    #[test]
    fn agrees_with_maven_artifact() {
        let table = include_str!("../../tests/fixtures/versions/maven.tsv");
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
        assert!(pairs >= 1264, "only {pairs} pairs in maven.tsv");
    }

    #[test]
    fn rejects_only_empty_text_and_never_panics() {
        for bad in ["", " ", "\t\n"] {
            assert!(MavenVersion::parse(bad).is_err(), "{bad:?}");
        }
        let odd = [
            "-",
            ".",
            "..--..",
            "1..2",
            "99999999999999999999999999.1",
            "１.０",
            "٠٠٠٠٠٠٠٠٠٠١",
            "𝟙.𝟚",
            "İ-ß-ǅ",
            "v1.0",
            "1.0+build.5",
            "\u{0}",
            "🦀-1a-b2",
        ];
        for text in odd {
            let parsed = v(text);
            assert_eq!(parsed.cmp(&parsed), Equal, "{text}");
            assert_eq!(parsed.to_string(), text);
            let _ = parsed.cmp(&v("1"));
        }
        assert_eq!(v("  1.0-SNAPSHOT \n").to_string(), "1.0-SNAPSHOT");
    }

    #[test]
    fn deep_nesting_neither_recurses_nor_overflows() {
        // Every letter/digit change opens a sub-list: 200,000 levels here.
        let deep = "a1".repeat(100_000);
        let (a, b) = (v(&deep), v(&format!("{deep}.1")));
        assert!(a.cmp(&b) == Less);
        assert!(a.cmp(&a.clone()) == Equal);
        let dashes = v(&"1-".repeat(100_000));
        assert!(dashes > v("1") && dashes < v("1.1"));
    }

    #[test]
    fn sorting_a_shuffled_list_gives_the_reference_order() {
        // ComparableVersionTest.VERSIONS_QUALIFIER, in Maven's ascending order.
        let ordered = [
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
            "1.0.1",
            "2.0.a",
            "2.1",
            "11.a2",
            "11",
            "11m",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20 {
            let mut shuffled: Vec<MavenVersion> = ordered.iter().map(|t| v(t)).collect();
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

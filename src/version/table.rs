//! The reference tables in `tests/fixtures/versions/` (`A<TAB>B<TAB>-1|0|1`, `#` comments), read
//! the same way by every scheme's tests.

use std::cmp::Ordering;
use std::fmt::Debug;

/// The pairs of a table: (line number, A, B, expected order of A against B).
pub fn pairs(text: &str) -> Vec<(usize, &str, &str, Ordering)> {
    let lines = text.lines().enumerate();
    lines
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty())
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            let expected = match fields.get(2).copied() {
                Some("-1") => Ordering::Less,
                Some("0") => Ordering::Equal,
                Some("1") => Ordering::Greater,
                other => panic!("line {}: bad expectation {other:?}", index + 1),
            };
            (index + 1, fields[0], fields[1], expected)
        })
        .collect()
}

/// Checks every pair of table `name` both ways with `parse`, and that it has at least `min`
/// pairs (so an emptied table fails).
pub fn check<V: Ord + Debug>(name: &str, text: &str, min: usize, parse: impl Fn(&str) -> V) {
    let pairs = pairs(text);
    for &(line, a, b, expected) in &pairs {
        let (va, vb) = (parse(a), parse(b));
        assert_eq!(va.cmp(&vb), expected, "{name} line {line}: {a} vs {b}");
        assert_eq!(
            vb.cmp(&va),
            expected.reverse(),
            "{name} line {line}: {b} vs {a}"
        );
    }
    assert!(pairs.len() >= min, "only {} pairs in {name}", pairs.len());
}

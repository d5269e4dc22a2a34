//! The real OSV exports in `../shared/data/osv`: every record loads (but withdrawn or malformed
//! ones, which are counted), and the PyPI ranges agree with their own version lists.

use std::collections::BTreeSet;

use patchplan::feeds::{FeedKind, FeedSpec, Feeds};

use crate::common::{root, shared};

fn load(rel: &str) -> Option<Feeds> {
    let path = shared(rel)?;
    let spec = FeedSpec {
        id: "osv".into(),
        kind: FeedKind::Osv,
        source: path.display().to_string(),
    };
    Some(Feeds::load(&[spec]).expect("the real feed loads"))
}

/// The number of `.json` entries of a zip, read independently of patchplan's loader.
fn json_entries(rel: &str) -> usize {
    let path = shared(rel).expect("checked by the caller");
    let archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    archive
        .file_names()
        .filter(|n| n.as_ref().is_ok_and(|n| n.ends_with(".json")))
        .count()
}

#[test]
fn go_and_pypi_exports_load_without_dropping_records() {
    for (rel, expected_records) in [("osv/Go-all.zip", 4291), ("osv/PyPI-all.zip", 2661)] {
        let Some(feeds) = load(rel) else { return };
        let snap = &feeds.snapshots[0];
        assert_eq!(
            snap.records + snap.withdrawn + snap.skipped,
            json_entries(rel)
        );
        assert_eq!(
            json_entries(rel),
            expected_records,
            "{rel}: the README's count"
        );
        assert_eq!(
            snap.skipped, 0,
            "{rel}: malformed records: {:?}",
            feeds.warnings
        );
        // Every record kept at least one package it can be matched on.
        let empty: Vec<&str> = feeds
            .advisories
            .iter()
            .filter(|a| a.affected.is_empty())
            .map(|a| a.id.as_str())
            .collect();
        assert!(
            empty.is_empty(),
            "{rel}: records with nothing to match: {empty:?}"
        );
    }
}

/// Each listed version of a PyPI record that PEP 440 can read lies inside the record's own
/// ECOSYSTEM ranges, but for the inconsistencies of the data itself, which Python's `packaging`
/// finds independently (tests/fixtures/pypi_inconsistent.py writes the list).
#[test]
fn pypi_listed_versions_lie_inside_their_ranges() {
    let Some(feeds) = load("osv/PyPI-all.zip") else {
        return;
    };
    let mut outside = BTreeSet::new();
    let mut checked = 0;
    for adv in &feeds.advisories {
        for a in adv.affected.iter().filter(|a| a.ecosystem == "PyPI") {
            if a.range.intervals.is_empty() {
                continue;
            }
            for v in &a.range.versions {
                checked += 1;
                if !a.range.intervals.iter().any(|i| i.contains(v)) {
                    outside.insert(format!("{}\t{}\t{}", adv.id, a.name, v));
                }
            }
        }
    }
    let reference = std::fs::read_to_string(root().join("tests/fixtures/pypi_inconsistent.tsv"))
        .expect("reference list");
    let expected: BTreeSet<String> = reference
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(
        checked, 139_372,
        "versions checked (packaging counts the same)"
    );
    assert_eq!(
        outside, expected,
        "listed versions outside their own ranges"
    );
}

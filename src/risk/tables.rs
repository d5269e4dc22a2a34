//! The two decision tables, as data: the CISA SSVC coordinator table (v2.0.3) and the CISA
//! BOD 26-04 remediation timelines (v1.0.0). Each row is transcribed from the CSV files in
//! `../shared/data/ssvc/`; a test checks every row against them.

use serde::Serialize;

pub use crate::decision::Decision;

/// Exploitation decision point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Exploitation {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "public poc")]
    PublicPoc,
    #[serde(rename = "active")]
    Active,
}

impl Exploitation {
    pub fn as_str(self) -> &'static str {
        match self {
            Exploitation::None => "none",
            Exploitation::PublicPoc => "public poc",
            Exploitation::Active => "active",
        }
    }
}

/// Mission and well-being impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mission {
    Low,
    Medium,
    High,
}

impl Mission {
    pub fn as_str(self) -> &'static str {
        match self {
            Mission::Low => "low",
            Mission::Medium => "medium",
            Mission::High => "high",
        }
    }
}

/// The SSVC coordinator decision: row = exploitation * 12 + automatable * 6 + total * 3 + mission.
pub fn ssvc(e: Exploitation, automatable: bool, total: bool, m: Mission) -> (usize, Decision) {
    use Decision::*;
    const ROWS: [Decision; 36] = [
        Track, Track, Track, Track, Track, TrackStar, // none, not automatable
        Track, Track, Attend, Track, Track, Attend, // none, automatable
        Track, Track, TrackStar, Track, TrackStar, Attend, // public poc, not automatable
        Track, Track, Attend, Track, TrackStar, Attend, // public poc, automatable
        Track, Track, Attend, Track, Attend, Act, // active, not automatable
        Attend, Attend, Act, Attend, Act, Act, // active, automatable
    ];
    let row = e as usize * 12 + usize::from(automatable) * 6 + usize::from(total) * 3 + m as usize;
    (row, ROWS[row])
}

/// A BOD 26-04 remediation timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Timeline {
    #[serde(rename = "fix on system upgrade")]
    OnUpgrade,
    #[serde(rename = "60 days")]
    Days60,
    #[serde(rename = "14 days")]
    Days14,
    #[serde(rename = "3 days")]
    Days3,
    #[serde(rename = "3 days & forensic investigation")]
    Days3Forensic,
}

impl Timeline {
    pub fn as_str(self) -> &'static str {
        match self {
            Timeline::OnUpgrade => "fix on system upgrade",
            Timeline::Days60 => "60 days",
            Timeline::Days14 => "14 days",
            Timeline::Days3 => "3 days",
            Timeline::Days3Forensic => "3 days & forensic investigation",
        }
    }

    /// Days to remediate; `None` for "fix on system upgrade".
    pub fn days(self) -> Option<i64> {
        match self {
            Timeline::OnUpgrade => None,
            Timeline::Days60 => Some(60),
            Timeline::Days14 => Some(14),
            Timeline::Days3 | Timeline::Days3Forensic => Some(3),
        }
    }
}

/// The BOD 26-04 timeline, in the CSV's row order: the first row whose inputs match.
pub fn bod(in_kev: bool, exposed: bool, automatable: bool, total: bool) -> (usize, Timeline) {
    use Timeline::*;
    const ROWS: [(bool, bool, bool, bool, Timeline); 16] = [
        (false, false, false, false, OnUpgrade),
        (true, false, false, false, Days14),
        (false, true, false, false, Days60),
        (false, false, true, false, Days60),
        (false, false, false, true, OnUpgrade),
        (true, true, false, false, Days14),
        (true, false, true, false, Days14),
        (false, true, true, false, Days14),
        (true, false, false, true, Days14),
        (false, true, false, true, Days14),
        (false, false, true, true, Days60),
        (true, true, true, false, Days3),
        (true, true, false, true, Days3Forensic),
        (true, false, true, true, Days3Forensic),
        (false, true, true, true, Days3),
        (true, true, true, true, Days3Forensic),
    ];
    let key = (in_kev, exposed, automatable, total);
    ROWS.iter()
        .enumerate()
        .find(|(_, r)| (r.0, r.1, r.2, r.3) == key)
        .map(|(i, r)| (i, r.4))
        .expect("the 16 rows cover every combination")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// `../shared/data/ssvc/NAME` (or `$PATCHPLAN_SHARED_DATA/ssvc/NAME`), or `None` (with a note)
    /// when shared data is absent.
    fn shared(name: &str) -> Option<String> {
        let data = std::env::var_os("PATCHPLAN_SHARED_DATA").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
            PathBuf::from,
        );
        let path = data.join("ssvc").join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(_) if std::env::var("PATCHPLAN_REQUIRE_SHARED").as_deref() != Ok("1") => {
                // Past libtest's capture, so a user sees what was skipped, and by which test (libtest
                // names each test's thread after it); listed in tests/cli/zz_real_data.rs.
                let test = std::thread::current().name().unwrap_or("?").to_string();
                let _ = std::io::Write::write_all(
                    &mut std::io::stderr(),
                    format!("skipped {test}: {} not found (real data)\n", path.display())
                        .as_bytes(),
                );
                None
            }
            Err(e) => panic!("{}: {e} (PATCHPLAN_REQUIRE_SHARED=1)", path.display()),
        }
    }

    /// The data rows of a shared CSV, split into cells, after checking their count.
    fn rows(name: &str, expected: usize) -> Option<Vec<Vec<String>>> {
        let csv = shared(name)?;
        let rows: Vec<Vec<String>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        assert_eq!(rows.len(), expected, "{name}");
        Some(rows)
    }

    fn yes(s: &str) -> bool {
        match s {
            "yes" => true,
            "no" => false,
            "total" => true,
            "partial" => false,
            _ => panic!("unexpected cell `{s}`"),
        }
    }

    #[test]
    fn every_coordinator_row_matches_the_csv() {
        let Some(rows) = rows("cisa_coordinator_2_0_3.csv", 36) else {
            return;
        };
        for r in rows {
            let e = match r[1].as_str() {
                "none" => Exploitation::None,
                "public poc" => Exploitation::PublicPoc,
                "active" => Exploitation::Active,
                other => panic!("{other}"),
            };
            let m = match r[4].as_str() {
                "low" => Mission::Low,
                "medium" => Mission::Medium,
                "high" => Mission::High,
                other => panic!("{other}"),
            };
            let (row, decision) = ssvc(e, yes(&r[2]), yes(&r[3]), m);
            assert_eq!(
                (row.to_string().as_str(), decision.as_str()),
                (r[0].as_str(), r[5].as_str()),
                "{r:?}"
            );
        }
    }

    #[test]
    fn every_bod_row_matches_the_csv() {
        let Some(rows) = rows("cisa_bod_26_04_1_0_0.csv", 16) else {
            return;
        };
        for r in rows {
            let (row, t) = bod(yes(&r[1]), yes(&r[2]), yes(&r[3]), yes(&r[4]));
            assert_eq!(
                (row.to_string().as_str(), t.as_str()),
                (r[0].as_str(), r[5].as_str()),
                "{r:?}"
            );
        }
    }
}

//! CVSS: choose a record's best vector (v4.0, then v3.x, then v2), score it with the `cvss` crate,
//! and read the base metrics the decision points need.

use serde::Serialize;

/// The vector a finding is ranked by.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CvssInfo {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    pub vector: String,
    pub score: f64,
}

impl CvssInfo {
    fn metric(&self, key: &str) -> Option<&str> {
        self.vector.split('/').find_map(|part| {
            let (k, v) = part.split_once(':')?;
            (k == key).then_some(v)
        })
    }

    /// Network attack vector, no privileges (v2: no authentication), no user interaction.
    pub fn automatable(&self) -> bool {
        let network = self.metric("AV") == Some("N");
        if self.version == "2.0" {
            network && self.metric("Au") == Some("N")
        } else {
            network && self.metric("PR") == Some("N") && self.metric("UI") == Some("N")
        }
    }

    /// Confidentiality and integrity impact both high (v2: complete; v4: on the vulnerable system).
    pub fn total_impact(&self) -> bool {
        match self.version.as_str() {
            "2.0" => self.metric("C") == Some("C") && self.metric("I") == Some("C"),
            "4.0" => self.metric("VC") == Some("H") && self.metric("VI") == Some("H"),
            _ => self.metric("C") == Some("H") && self.metric("I") == Some("H"),
        }
    }
}

/// Parses and scores one vector.
pub fn parse(vector: &str) -> Result<CvssInfo, String> {
    let parsed: cvss::Cvss = vector
        .trim()
        .parse()
        .map_err(|e| format!("invalid CVSS vector `{vector}`: {e}"))?;
    let version = match parsed {
        cvss::Cvss::CvssV20(_) => "2.0",
        cvss::Cvss::CvssV30(_) => "3.0",
        cvss::Cvss::CvssV31(_) => "3.1",
        cvss::Cvss::CvssV40(_) => "4.0",
        _ => return Err(format!("unsupported CVSS version in `{vector}`")),
    };
    Ok(CvssInfo {
        version: version.to_string(),
        vector: vector.trim().to_string(),
        score: parsed.score(),
    })
}

/// The preferred vector among `vectors`: v4.0, then v3.1, v3.0, then v2. Invalid vectors are
/// returned as notes.
pub fn best<'a>(vectors: impl Iterator<Item = &'a str>) -> (Option<CvssInfo>, Vec<String>) {
    let mut notes = Vec::new();
    let mut parsed: Vec<CvssInfo> = vectors
        .filter_map(|v| parse(v).map_err(|e| notes.push(e)).ok())
        .collect();
    parsed.sort_by(|a, b| b.version.cmp(&a.version));
    (parsed.into_iter().next(), notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(vector: &str, score: f64, automatable: bool, total: bool) {
        let info = parse(vector).unwrap();
        assert_eq!(
            (info.score, info.automatable(), info.total_impact()),
            (score, automatable, total),
            "{vector}"
        );
    }

    #[test]
    fn scores_and_reads_metrics() {
        // Scores from the FIRST calculators.
        case(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            9.8,
            true,
            true,
        );
        case(
            "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
            6.5,
            false,
            false,
        );
        case("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0, true, true);
        case(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            true,
            true,
        );
        case(
            "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
            7.8,
            false,
            true,
        );
    }

    #[test]
    fn prefers_the_newest_version() {
        let (best, notes) = best(
            [
                "AV:N/AC:L/Au:N/C:P/I:P/A:P",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "CVSS:9/bogus",
            ]
            .into_iter(),
        );
        assert_eq!(best.unwrap().version, "3.1");
        assert_eq!(notes.len(), 1);
    }
}

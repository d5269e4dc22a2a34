//! CVSS: choose a finding's best vector (v4.0, then v3.x, then v2), score it with the `cvss` crate,
//! and read the base metrics the decision points need. A record with no vector may still name a
//! severity word (GHSA's `database_specific.severity`), which stands in for the score only.

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
    /// The value of base metric `key` (`AV`, `PR`, ...) in the vector.
    pub fn metric(&self, key: &str) -> Option<&str> {
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

/// The vector chosen (with its tag), and the invalid ones (with their tags and why).
pub type Best<T> = (Option<(CvssInfo, T)>, Vec<(T, String)>);

/// The preferred vector among `vectors`, each tagged with where it came from: v4.0, then v3.1,
/// v3.0, then v2 (the first of equals). Invalid vectors are returned with their tag and why.
pub fn best<'a, T: Copy>(vectors: impl Iterator<Item = (T, &'a str)>) -> Best<T> {
    let mut invalid = Vec::new();
    let mut parsed: Vec<(CvssInfo, T)> = vectors
        .filter_map(|(tag, v)| {
            parse(v)
                .map_err(|e| invalid.push((tag, e)))
                .ok()
                .map(|c| (c, tag))
        })
        .collect();
    parsed.sort_by(|a, b| b.0.version.cmp(&a.0.version));
    (parsed.into_iter().next(), invalid)
}

/// The base score that stands in for a severity word when a record has no vector (GHSA's
/// `database_specific.severity`): the middle of the CVSS v3 qualitative range it names (low
/// 0.1-3.9, medium 4.0-6.9, high 7.0-8.9, critical 9.0-10.0). `None` for words outside the scale.
pub fn severity_text_score(text: &str) -> Option<f64> {
    match text.trim().to_ascii_lowercase().as_str() {
        "none" => Some(0.0),
        "low" => Some(2.0),
        "medium" | "moderate" => Some(5.5),
        "high" | "important" => Some(8.0),
        "critical" => Some(9.5),
        _ => None,
    }
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
        let (best, invalid) = best(
            [
                (0, "AV:N/AC:L/Au:N/C:P/I:P/A:P"),
                (1, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
                (2, "CVSS:9/bogus"),
                (3, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            ]
            .into_iter(),
        );
        let (info, tag) = best.unwrap();
        assert_eq!((info.version.as_str(), tag), ("3.1", 1));
        assert_eq!(invalid.len(), 1);
        assert_eq!(invalid[0].0, 2);
    }

    #[test]
    fn severity_words_stand_for_the_middle_of_their_range() {
        let case =
            |text: &str, score: Option<f64>| assert_eq!(severity_text_score(text), score, "{text}");
        case("LOW", Some(2.0));
        case("moderate", Some(5.5));
        case("MEDIUM", Some(5.5));
        case("High", Some(8.0));
        case("CRITICAL", Some(9.5));
        case("severe", None);
    }
}

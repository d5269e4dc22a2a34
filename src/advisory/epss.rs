//! EPSS scores: `#model_version:...,score_date:...`, then `cve,epss,percentile`, one row per CVE.

use std::collections::HashMap;

/// EPSS probability and percentile of one CVE.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpssScore {
    pub probability: f64,
    pub percentile: f64,
}

/// One EPSS snapshot.
#[derive(Debug, Clone, Default)]
pub struct Epss {
    pub model_version: Option<String>,
    pub score_date: Option<String>,
    pub scores: HashMap<String, EpssScore>,
}

/// Parses an EPSS CSV. A bad row is a warning (`notes`, with its line number); a file without the
/// `cve,epss,percentile` header is an error.
pub fn parse(text: &str, notes: &mut Vec<String>) -> Result<Epss, String> {
    let mut epss = Epss::default();
    let mut lines = text.lines().enumerate().peekable();
    if let Some((_, first)) = lines.peek()
        && let Some(meta) = first.strip_prefix('#')
    {
        for field in meta.split(',') {
            match field.split_once(':') {
                Some(("model_version", v)) => epss.model_version = Some(v.trim().to_string()),
                Some(("score_date", v)) => epss.score_date = Some(v.trim().to_string()),
                _ => {}
            }
        }
        lines.next();
    }
    match lines.next() {
        Some((_, header)) if header.trim() == "cve,epss,percentile" => {}
        _ => return Err("not an EPSS file: expected the header `cve,epss,percentile`".into()),
    }
    for (i, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        match parse_row(line) {
            Ok((cve, score)) => {
                epss.scores.insert(cve, score);
            }
            Err(e) => notes.push(format!("line {}: {e}", i + 1)),
        }
    }
    Ok(epss)
}

fn parse_row(line: &str) -> Result<(String, EpssScore), String> {
    let mut fields = line.trim().split(',');
    let (Some(cve), Some(p), Some(pct), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(format!("expected `cve,epss,percentile`, found `{line}`"));
    };
    let prob = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|x| (0.0..=1.0).contains(x))
            .ok_or_else(|| format!("`{s}` is not a probability between 0 and 1"))
    };
    if !cve.starts_with("CVE-") {
        return Err(format!("`{cve}` is not a CVE id"));
    }
    let score = EpssScore {
        probability: prob(p)?,
        percentile: prob(pct)?,
    };
    Ok((cve.to_string(), score))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_daily_csv_shape() {
        let text = "#model_version:v2025.03.14,score_date:2026-10-26T00:00:00+0000\n\
                    cve,epss,percentile\nCVE-2026-1,0.97,0.999\nCVE-2026-2,1.7,0.5\nbroken\n";
        let mut notes = Vec::new();
        let epss = parse(text, &mut notes).unwrap();
        assert_eq!(epss.model_version.as_deref(), Some("v2025.03.14"));
        assert_eq!(epss.score_date.as_deref(), Some("2026-10-26T00:00:00+0000"));
        assert_eq!(epss.scores["CVE-2026-1"].percentile, 0.999);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("line 4:"), "{notes:?}");
    }

    #[test]
    fn rejects_a_file_without_the_header() {
        assert!(parse("<html></html>", &mut Vec::new()).is_err());
    }
}

//! EPSS scores: `#model_version:...,score_date:...`, then `cve,epss,percentile`, one row per CVE,
//! as FIRST publishes it daily: plain CSV or gzip-compressed (`epss_scores-YYYY-MM-DD.csv.gz`).

use std::collections::HashMap;
use std::io::Read;

/// The most a compressed EPSS file may inflate to: the daily file is about 10 MB.
const MAX_INFLATED: u64 = 256 * 1024 * 1024;

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

/// Parses an EPSS CSV given as bytes, gunzipping it first when it starts with the gzip magic
/// number (whatever its name).
pub fn parse_bytes(bytes: &[u8], notes: &mut Vec<String>) -> Result<Epss, String> {
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .take(MAX_INFLATED + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("not a gzip-compressed EPSS CSV: {e}"))?;
        if text.len() as u64 > MAX_INFLATED {
            return Err(format!("inflates past {MAX_INFLATED} bytes"));
        }
        text
    } else {
        String::from_utf8(bytes.to_vec()).map_err(|e| format!("not UTF-8 text: {e}"))?
    };
    parse(&text, notes)
}

/// Parses an EPSS CSV. A bad row is a warning (`notes`, with its line number); a file without the
/// `cve,epss,percentile` header is an error.
pub fn parse(text: &str, notes: &mut Vec<String>) -> Result<Epss, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
    fn a_byte_order_mark_is_accepted() {
        let csv = "\u{feff}#model_version:v2025.03.14,score_date:2026-10-26T00:00:00+0000\ncve,epss,percentile\nCVE-2024-1,0.5,0.9\n";
        let epss = parse_bytes(csv.as_bytes(), &mut Vec::new()).unwrap();
        assert_eq!(epss.scores.len(), 1);
        assert_eq!(epss.model_version.as_deref(), Some("v2025.03.14"));
    }

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
    fn reads_gzip_compressed_files() {
        use std::io::Write;
        let text = "#model_version:v2025.03.14,score_date:2026-10-26T00:00:00+0000\n\
                    cve,epss,percentile\nCVE-2026-1,0.97,0.999\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        let epss = parse_bytes(&bytes, &mut Vec::new()).unwrap();
        assert_eq!(epss.score_date.as_deref(), Some("2026-10-26T00:00:00+0000"));
        assert_eq!(epss.scores["CVE-2026-1"].probability, 0.97);
        let plain = parse_bytes(text.as_bytes(), &mut Vec::new()).unwrap();
        assert_eq!(plain.scores.len(), 1);
        assert!(parse_bytes(&[0x1f, 0x8b, 0, 1, 2], &mut Vec::new()).is_err());
    }

    #[test]
    fn rejects_a_file_without_the_header() {
        assert!(parse("<html></html>", &mut Vec::new()).is_err());
    }
}

//! The CISA Known Exploited Vulnerabilities catalog, keyed by CVE.

use std::collections::HashMap;

use serde::Deserialize;

/// One KEV entry: what risk needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevEntry {
    pub cve: String,
    pub name: String,
    pub date_added: String,
    /// The remediation due date CISA set, `YYYY-MM-DD`.
    pub due_date: Option<chrono::NaiveDate>,
    /// `knownRansomwareCampaignUse` is `Known`.
    pub ransomware: bool,
}

/// The catalog.
#[derive(Debug, Clone, Default)]
pub struct Kev {
    pub catalog_version: Option<String>,
    pub entries: HashMap<String, KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Catalog {
    catalog_version: Option<String>,
    vulnerabilities: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    vulnerability_name: String,
    #[serde(default)]
    date_added: String,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
}

/// Parses the catalog. A bad entry is a warning (`notes`), the rest loads; a due date that does
/// not parse is a warning naming the CVE (the entry loads without one); a file that is not a KEV
/// catalog is an error. Returns the catalog and how many entries were skipped.
pub fn parse(bytes: &[u8], notes: &mut Vec<String>) -> Result<(Kev, usize), String> {
    let bytes = crate::files::strip_bom(bytes);
    let mut skipped = 0;
    let catalog: Catalog =
        serde_json::from_slice(bytes).map_err(|e| format!("not a KEV catalog: {e}"))?;
    let mut kev = Kev {
        catalog_version: catalog.catalog_version,
        entries: HashMap::new(),
    };
    for (i, value) in catalog.vulnerabilities.into_iter().enumerate() {
        match serde_json::from_value::<Entry>(value) {
            Ok(e) if e.cve_id.starts_with("CVE-") => {
                let due_date = e.due_date.as_deref().and_then(|d| match d.parse() {
                    Ok(date) => Some(date),
                    Err(_) => {
                        notes.push(format!(
                            "{}: dueDate `{}` is not a date (expected YYYY-MM-DD); the entry counts without a due date",
                            e.cve_id,
                            crate::diag::excerpt(d)
                        ));
                        None
                    }
                });
                let entry = KevEntry {
                    ransomware: e.known_ransomware_campaign_use.as_deref() == Some("Known"),
                    cve: e.cve_id.clone(),
                    name: e.vulnerability_name,
                    date_added: e.date_added,
                    due_date,
                };
                kev.entries.insert(e.cve_id, entry);
            }
            Ok(e) => {
                skipped += 1;
                let id = crate::diag::excerpt(&e.cve_id);
                notes.push(format!("entry {i}: `{id}` is not a CVE id"));
            }
            Err(e) => {
                skipped += 1;
                notes.push(format!("entry {i}: {e}"));
            }
        }
    }
    Ok((kev, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_entries_and_skips_a_bad_one() {
        let json = br#"{"catalogVersion":"2025.08.25","vulnerabilities":[
            {"cveID":"CVE-2024-1","vulnerabilityName":"x","dateAdded":"2024-01-01",
             "dueDate":"2024-01-22","knownRansomwareCampaignUse":"Known"},
            {"vulnerabilityName":"no id"}]}"#;
        let mut notes = Vec::new();
        let (kev, skipped) = parse(json, &mut notes).unwrap();
        assert_eq!(kev.catalog_version.as_deref(), Some("2025.08.25"));
        assert_eq!(kev.entries.len(), 1);
        assert!(kev.entries["CVE-2024-1"].ransomware);
        assert_eq!((notes.len(), skipped), (1, 1), "{notes:?}");
    }

    #[test]
    fn a_due_date_that_does_not_parse_is_a_warning_naming_the_cve() {
        let json = "\u{feff}{\"vulnerabilities\":[{\"cveID\":\"CVE-2024-2\",\"dueDate\":\"next tuesday\"}]}";
        let mut notes = Vec::new();
        let (kev, skipped) = parse(json.as_bytes(), &mut notes).unwrap();
        assert_eq!((kev.entries.len(), skipped), (1, 0));
        assert_eq!(kev.entries["CVE-2024-2"].due_date, None);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with("CVE-2024-2: dueDate `next tuesday` is not a date"),
            "{notes:?}"
        );
    }
}

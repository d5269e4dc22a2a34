//! SPDX 2.x JSON SBOMs (2.3 and the 2.2 that tools still write): each package of `packages` by
//! its purl, an `externalRefs` entry of type `purl` in the package-manager category (spelled
//! `PACKAGE-MANAGER` in 2.3, `PACKAGE_MANAGER` in 2.2).
//!
//! A package without a purl (the described project, files, an operating system) cannot be
//! matched and is counted in one warning. SPDX 3 is JSON-LD of another shape and is not read.

use serde::Deserialize;

use super::{Inputs, purl_package, without_purl};
use crate::diag::Source;
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: String,
    #[serde(default)]
    packages: Vec<SpdxPackage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    name: Option<String>,
    version_info: Option<String>,
    #[serde(default)]
    external_refs: Vec<ExternalRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: String,
    reference_type: String,
    reference_locator: String,
}

impl ExternalRef {
    fn is_purl(&self) -> bool {
        self.reference_type == "purl"
            && matches!(
                self.reference_category.as_str(),
                "PACKAGE-MANAGER" | "PACKAGE_MANAGER"
            )
    }
}

/// The packages of an SPDX 2.x JSON document.
pub fn parse(source: &Source) -> Result<Inputs> {
    let doc: Document = source.parse_json().map_err(|d| Error::Invalid(vec![d]))?;
    if !doc.spdx_version.starts_with("SPDX-2.") {
        let message = format!(
            "`spdxVersion` is `{}`: patchplan reads SPDX 2.x JSON",
            doc.spdx_version
        );
        return Err(Error::input(&source.path, message));
    }
    let mut out = Inputs::default();
    let mut unidentified = Vec::new();
    for p in &doc.packages {
        let name = p.name.as_deref().unwrap_or("(unnamed)");
        let mut purls = p.external_refs.iter().filter(|r| r.is_purl()).peekable();
        if purls.peek().is_none() {
            unidentified.push(name.to_string());
        }
        for r in purls {
            match purl_package(&r.reference_locator, p.version_info.as_deref()) {
                Ok(package) => out.packages.push(package),
                Err(e) => out.warnings.push(format!(
                    "{}: package `{name}`: {e}; not matched",
                    source.path.display()
                )),
            }
        }
    }
    out.warnings
        .extend(without_purl(source, "package", &unidentified));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{fixture, read_sbom, triples};

    fn parse_text(text: &str) -> Result<Inputs> {
        parse(&Source::new("sbom.spdx.json", text.into()))
    }

    #[test]
    fn reads_purls_of_both_category_spellings() {
        let text = r#"{
  "spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "app",
  "packages": [
    {"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "1.0.0", "externalRefs": [
      {"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
       "referenceLocator": "cpe:2.3:a:a:a:1.0.0:*:*:*:*:*:*:*"},
      {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
       "referenceLocator": "pkg:npm/a@1.0.0"}]},
    {"SPDXID": "SPDXRef-b", "name": "b", "versionInfo": "2.0", "externalRefs": [
      {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
       "referenceLocator": "pkg:pypi/B@2.0"}]},
    {"SPDXID": "SPDXRef-c", "name": "c", "versionInfo": "3.0"}
  ]
}"#;
        let inputs = parse_text(text).unwrap();
        assert_eq!(
            triples(&inputs),
            [("npm", "a", "1.0.0"), ("PyPI", "B", "2.0")]
        );
        assert_eq!(
            inputs.warnings,
            ["sbom.spdx.json: 1 package without a purl cannot be matched: c"]
        );
    }

    #[test]
    fn only_spdx_2_is_read() {
        let err = parse_text(r#"{"spdxVersion": "SPDX-3.0"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("sbom.spdx.json: `spdxVersion` is `SPDX-3.0`"),
            "{err}"
        );
        let err = parse_text("{\"spdxVersion\": \"SPDX-2.3\",\n\"packages\": {}}")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("sbom.spdx.json:2:"), "{err}");
    }

    #[test]
    fn reads_the_fixture() {
        let inputs = read_sbom(&fixture("spdx-2.3.spdx.json")).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("npm", "minimist", "1.2.5"),
                ("npm", "express", "4.18.2"),
                ("Go", "golang.org/x/net", "v0.15.0"),
                ("PyPI", "django", "4.2.1"),
                ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
                ("Debian", "openssl", "3.0.9-1"),
            ]
        );
        assert_eq!(inputs.warnings.len(), 1, "{:#?}", inputs.warnings);
        assert!(
            inputs.warnings[0].ends_with(
                "2 packages without a purl cannot be matched: billing-platform, ca-certificates"
            ),
            "{:#?}",
            inputs.warnings
        );
    }
}

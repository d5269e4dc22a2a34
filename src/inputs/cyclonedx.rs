//! CycloneDX JSON SBOMs, spec versions 1.4 to 1.6: every component of `components`, nested
//! `components` included, identified by its `purl`.
//!
//! The purl is what names a component in its ecosystem; a component without one (the
//! application itself, a file, an operating system) cannot be matched and is counted in one
//! warning. `metadata.component`, the subject of the SBOM, is not a dependency and is not read.
//! Only the fields read here are modelled: the `cyclonedx-bom` crate would validate the whole
//! document, and reject SBOMs that are good enough to match.

use serde::Deserialize;

use super::{Inputs, purl_package, without_purl};
use crate::diag::Source;
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: String,
    spec_version: Option<String>,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Deserialize)]
struct Component {
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    #[serde(default)]
    components: Vec<Component>,
}

/// The components of a CycloneDX JSON document.
pub fn parse(source: &Source) -> Result<Inputs> {
    let bom: Bom = source.parse_json().map_err(|d| Error::Invalid(vec![d]))?;
    if bom.bom_format != "CycloneDX" {
        let message = format!("`bomFormat` is `{}`, not `CycloneDX`", bom.bom_format);
        return Err(Error::input(&source.path, message));
    }
    let mut out = Inputs::default();
    let known = ["1.4", "1.5", "1.6"];
    let spec = bom.spec_version.as_deref().unwrap_or("(none)");
    if !known.contains(&spec) {
        out.warnings.push(format!(
            "{}: CycloneDX specVersion `{}` is not one patchplan knows (1.4 to 1.6); its components were read as 1.6's",
            source.path.display(),
            crate::diag::excerpt(spec)
        ));
    }
    let mut unidentified = Vec::new();
    let mut pending: Vec<&Component> = bom.components.iter().rev().collect();
    while let Some(c) = pending.pop() {
        let name = c.name.as_deref().unwrap_or("(unnamed)");
        match &c.purl {
            Some(purl) => match purl_package(purl, c.version.as_deref()) {
                Ok(p) => out.packages.push(p),
                Err(e) => out.warnings.push(format!(
                    "{}: component `{name}`: {e}; not matched",
                    source.path.display()
                )),
            },
            None => unidentified.push(name.to_string()),
        }
        pending.extend(c.components.iter().rev());
    }
    out.warnings
        .extend(without_purl(source, "component", &unidentified));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{fixture, read_sbom, triples};

    fn parse_text(text: &str) -> Result<Inputs> {
        parse(&Source::new("bom.json", text.into()))
    }

    #[test]
    fn walks_nested_components_in_document_order() {
        let text = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.6",
  "metadata": {"component": {"name": "app", "purl": "pkg:npm/app@1.0.0"}},
  "components": [
    {"type": "library", "name": "a", "purl": "pkg:npm/a@1.0.0",
     "components": [{"type": "library", "name": "b", "purl": "pkg:npm/b@2.0.0",
                     "components": [{"name": "c", "purl": "pkg:npm/c@3.0.0"}]}]},
    {"type": "operating-system", "name": "debian", "version": "12"},
    {"type": "library", "name": "guava", "version": "32.1.2-jre",
     "purl": "pkg:maven/com.google.guava/guava"},
    {"type": "library", "name": "bad", "purl": "maven/x"}
  ]
}"#;
        let inputs = parse_text(text).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("npm", "a", "1.0.0"),
                ("npm", "b", "2.0.0"),
                ("npm", "c", "3.0.0"),
                ("Maven", "com.google.guava:guava", "32.1.2-jre"),
            ]
        );
        assert_eq!(inputs.warnings.len(), 2, "{:#?}", inputs.warnings);
        assert!(inputs.warnings[0].starts_with("bom.json: component `bad`: `maven/x`"));
        assert_eq!(
            inputs.warnings[1],
            "bom.json: 1 component without a purl cannot be matched: debian"
        );
    }

    #[test]
    fn an_unknown_spec_version_is_a_warning() {
        let text = "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"99\", \"components\": []}";
        let inputs = parse_text(text).unwrap();
        assert!(
            inputs.warnings[0].contains("specVersion `99` is not one patchplan knows"),
            "{:?}",
            inputs.warnings
        );
    }

    #[test]
    fn wrong_types_name_their_position() {
        let text =
            "{\"bomFormat\": \"CycloneDX\",\n \"components\": [{\"name\": \"a\", \"purl\": 7}]}";
        let err = parse_text(text).unwrap_err().to_string();
        assert!(err.starts_with("bom.json:2:"), "{err}");
        assert!(err.contains("expected a string"), "{err}");
    }

    #[test]
    fn reads_the_fixtures_of_each_spec_version() {
        let v14 = read_sbom(&fixture("cyclonedx-1.4.cdx.json")).unwrap();
        assert_eq!(
            triples(&v14),
            [
                ("npm", "express", "4.18.2"),
                ("npm", "body-parser", "1.20.1"),
                ("npm", "qs", "6.11.0"),
                ("npm", "minimist", "1.2.5"),
                ("npm", "@babel/code-frame", "7.24.7"),
            ]
        );
        assert_eq!(v14.warnings.len(), 1, "{:#?}", v14.warnings);
        let v15 = read_sbom(&fixture("cyclonedx-1.5.cdx.json")).unwrap();
        assert_eq!(
            triples(&v15),
            [
                (
                    "Maven",
                    "org.springframework.boot:spring-boot-starter-web",
                    "3.1.2"
                ),
                ("Maven", "org.apache.logging.log4j:log4j-api", "2.14.1"),
                ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
                (
                    "Maven",
                    "com.fasterxml.jackson.core:jackson-databind",
                    "2.15.2"
                ),
                ("crates.io", "smallvec", "1.6.0"),
                ("NuGet", "Newtonsoft.Json", "12.0.3"),
            ]
        );
        assert_eq!(
            v15.warnings,
            [format!(
                "{}: 2 components without a purl cannot be matched: billing-gateway.jar, vendor-blob",
                fixture("cyclonedx-1.5.cdx.json").display()
            )]
        );
        let v16 = read_sbom(&fixture("cyclonedx-1.6.cdx.json")).unwrap();
        assert_eq!(
            triples(&v16),
            [
                ("Go", "golang.org/x/net", "v0.15.0"),
                ("Go", "github.com/gin-gonic/gin", "v1.9.1"),
                ("PyPI", "requests", "2.28.2"),
                ("PyPI", "typing-extensions", "4.7.1"),
                ("Debian", "openssl", "3.0.9-1"),
                ("Debian", "zlib", "1:1.2.13.dfsg-1"),
                ("RubyGems", "rack", "2.2.7"),
                ("Packagist", "guzzlehttp/guzzle", "7.7.0"),
            ]
        );
        assert_eq!(v16.warnings.len(), 1, "{:#?}", v16.warnings);
        assert!(v16.warnings[0].ends_with("1 component without a purl cannot be matched: meter"));
    }
}

//! `package-lock.json` (and `npm-shrinkwrap.json`), lockfile versions 2 and 3: the `packages`
//! map, keyed by install path (`node_modules/a/node_modules/b`).
//!
//! Only registry packages are kept: the root project (`""`), workspace folders (keys outside
//! `node_modules/`), symlinks to them (`"link": true`) and packages resolved from anything but
//! an http(s) tarball (`file:`, `git+ssh:`, `github:`) are skipped. A registry that is not npm's
//! still serves npm packages, so any http(s) tarball counts. Version 1, which has only the
//! nested `dependencies` tree, is rejected: npm 7 (2020) and later write version 2 or 3.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Inputs, Package};
use crate::diag::Source;
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lockfile {
    lockfile_version: Option<u32>,
    packages: Option<BTreeMap<String, Entry>>,
}

#[derive(Deserialize)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    #[serde(default)]
    link: bool,
}

/// The registry packages of a package-lock.json.
pub fn parse(source: &Source) -> Result<Inputs> {
    let lock: Lockfile = source.parse_json().map_err(|d| Error::Invalid(vec![d]))?;
    let packages = match (lock.lockfile_version, lock.packages) {
        (Some(2..), Some(packages)) => packages,
        (Some(1), _) => return Err(unsupported(source, "lockfileVersion 1 is not supported")),
        _ => return Err(unsupported(source, "no `packages` map")),
    };
    let mut out = Inputs::default();
    if let Some(v) = lock.lockfile_version.filter(|v| *v > 3) {
        out.warnings.push(format!(
            "{}: lockfileVersion {v} is newer than patchplan knows (2 and 3); its `packages` were read as version 3's",
            source.path.display()
        ));
    }
    for (key, entry) in packages {
        let Some(installed) = key.rsplit_once("node_modules/").map(|(_, name)| name) else {
            continue; // the root project or a workspace folder
        };
        if entry.link || !entry.resolved.as_deref().is_none_or(is_tarball_url) {
            continue;
        }
        match entry.version {
            Some(version) => {
                let name = entry.name.as_deref().unwrap_or(installed);
                out.packages.push(Package::new("npm", name, version));
            }
            None => out.warnings.push(format!(
                "{}: `{key}` has no version; not matched",
                source.path.display()
            )),
        }
    }
    Ok(out)
}

/// Registries serve packages as tarballs over http(s); `file:`, git and GitHub shorthands are
/// other sources.
fn is_tarball_url(resolved: &str) -> bool {
    resolved.starts_with("https://") || resolved.starts_with("http://")
}

fn unsupported(source: &Source, why: &str) -> Error {
    let message = format!(
        "{why}: patchplan reads package-lock.json versions 2 and 3 \
         (`npm install --lockfile-version 3` rewrites it)"
    );
    let diag = match source.text.find("\"lockfileVersion\"") {
        Some(at) => source.at(at..at, message),
        None => Source::whole(&source.path, message),
    };
    Error::Invalid(vec![diag])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Host, fixture, read_lockfile, triples};

    fn parse_text(text: &str) -> Result<Inputs> {
        parse(&Source::new("package-lock.json", text.into()))
    }

    #[test]
    fn keeps_registry_packages_by_their_installed_name() {
        let text = r#"{
  "name": "app", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "app", "version": "1.0.0"},
    "node_modules/@scope/pkg": {"version": "2.0.0",
      "resolved": "https://registry.npmjs.org/@scope/pkg/-/pkg-2.0.0.tgz"},
    "node_modules/a/node_modules/minimist": {"version": "0.0.8",
      "resolved": "https://registry.npmjs.org/minimist/-/minimist-0.0.8.tgz"},
    "node_modules/old-lodash": {"name": "lodash", "version": "3.10.1",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-3.10.1.tgz"},
    "node_modules/no-resolved": {"version": "1.1.0"},
    "node_modules/ui": {"resolved": "packages/ui", "link": true},
    "packages/ui": {"name": "@app/ui", "version": "0.1.0"},
    "node_modules/local": {"version": "1.0.0", "resolved": "file:../local"},
    "node_modules/forked": {"version": "1.0.0",
      "resolved": "git+ssh://git@github.com/example/forked.git#0123abc"}
  }
}"#;
        let inputs = parse_text(text).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("npm", "@scope/pkg", "2.0.0"),
                ("npm", "minimist", "0.0.8"),
                ("npm", "no-resolved", "1.1.0"),
                ("npm", "lodash", "3.10.1"),
            ]
        );
        assert!(inputs.warnings.is_empty());
    }

    #[test]
    fn a_lockfile_version_past_3_is_a_warning() {
        let text = "{\"lockfileVersion\": 99, \"packages\": {}}";
        let inputs = parse_text(text).unwrap();
        assert!(
            inputs.warnings[0].contains("lockfileVersion 99 is newer"),
            "{:?}",
            inputs.warnings
        );
    }

    #[test]
    fn version_1_is_rejected_with_a_way_forward() {
        let text = "{\n  \"name\": \"app\",\n  \"lockfileVersion\": 1,\n  \"dependencies\": {}\n}";
        let err = parse_text(text).unwrap_err().to_string();
        assert!(
            err.starts_with("package-lock.json:3:3: lockfileVersion 1 is not supported"),
            "{err}"
        );
        assert!(err.contains("--lockfile-version 3"), "{err}");
    }

    #[test]
    fn wrong_types_point_at_their_position() {
        let text =
            "{\"lockfileVersion\": 3, \"packages\": {\n  \"node_modules/a\": {\"version\": 1}\n}}";
        let err = parse_text(text).unwrap_err().to_string();
        assert!(err.starts_with("package-lock.json:2:"), "{err}");
        assert!(err.contains("expected a string"), "{err}");
    }

    #[test]
    fn reads_the_fixture_and_drops_duplicates() {
        let inputs = read_lockfile(&fixture("package-lock.json"), &Host::default()).unwrap();
        let found = triples(&inputs);
        assert_eq!(found.len(), 22, "{found:#?}");
        for expected in [
            ("npm", "@babel/code-frame", "7.24.7"),
            ("npm", "express", "4.18.2"),
            ("npm", "minimist", "1.2.5"),
            ("npm", "minimist", "0.0.8"),
            ("npm", "ms", "2.0.0"),
            ("npm", "ms", "2.1.3"),
        ] {
            assert!(found.contains(&expected), "{expected:?} in {found:#?}");
        }
        for absent in [
            "billing-portal",
            "@billing/shared-ui",
            "shared-ui",
            "legacy-pdf",
        ] {
            assert!(found.iter().all(|(_, n, _)| *n != absent), "{absent}");
        }
        assert_eq!(found.iter().filter(|(_, n, _)| *n == "ms").count(), 2);
    }
}

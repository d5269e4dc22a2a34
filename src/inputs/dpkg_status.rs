//! The dpkg status database (`/var/lib/dpkg/status`): RFC 822 stanzas separated by blank lines,
//! continuation lines starting with a space or a tab.
//!
//! Only installed packages are read: a `Status:` of `WANT ok installed`, where WANT is `install`,
//! and also `hold` (held back, still installed) or `deinstall` (marked for removal, not yet
//! removed); `half-installed`, `config-files` and the other states are not installed. Debian's
//! and Ubuntu's advisories name the *source* package (`openssl`, not `libssl3`), so a package is
//! read as its `Source:` name, at the version in `Source: name (version)` when given (a binNMU's
//! or an epoch-carrying binary's version differs from its source's) and at its `Version:`
//! otherwise. The binary packages built from one source at one version collapse into one
//! package, which keeps their names (what an operator upgrades) and what their upgrade restarts
//! (see [`super::os_package`]). Hand-written: the format is small, and the deb822 crates bring
//! editing machinery that reading does not need.

use super::Inputs;
use super::os_package::{self, Installed};
use crate::diag::{Diagnostic, Source};
use crate::error::{Error, Result};

/// One stanza's fields, with the byte offset of its first line.
struct Stanza<'a> {
    at: usize,
    fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Stanza<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// The installed packages of a dpkg status file, by source package, in `ecosystem` (the host's
/// release, such as `Ubuntu:22.04:LTS`).
pub fn parse(source: &Source, ecosystem: &str) -> Result<Inputs> {
    let mut diags = Vec::new();
    let mut host: Vec<(Installed, String)> = Vec::new();
    for stanza in stanzas(source, &mut diags) {
        let at = stanza.at..stanza.at;
        let Some(package) = stanza.get("Package") else {
            diags.push(source.at(at, "a stanza without a `Package` field"));
            continue;
        };
        if !is_installed(stanza.get("Status")) {
            continue;
        }
        let Some(version) = stanza.get("Version") else {
            let message = format!("installed package `{package}` has no `Version` field");
            diags.push(source.at(at, message));
            continue;
        };
        let (name, version) = match stanza.get("Source") {
            Some(src) => match src.split_once('(') {
                Some((name, v)) => (name.trim(), v.trim_end_matches(')').trim()),
                None => (src, version),
            },
            None => (package, version),
        };
        let depends = ["Depends", "Pre-Depends"]
            .iter()
            .filter_map(|f| stanza.get(f))
            .flat_map(dependency_names)
            .collect();
        let installed = Installed {
            binary: package.to_string(),
            source: name.to_string(),
            depends: Some(depends),
            provides: Vec::new(),
        };
        host.push((installed, version.to_string()));
    }
    if diags.is_empty() {
        Ok(os_package::by_source(ecosystem, &host).into())
    } else {
        Err(Error::Invalid(diags))
    }
}

/// The packages named by a `Depends` value: `libc6 (>= 2.34), libssl3 | libssl1.1, perl:any`.
fn dependency_names(value: &str) -> impl Iterator<Item = String> + '_ {
    value.split([',', '|']).filter_map(|d| {
        let name = d.split_whitespace().next()?;
        Some(name.split(':').next().unwrap_or(name).to_string())
    })
}

fn is_installed(status: Option<&str>) -> bool {
    let words: Vec<&str> = status.unwrap_or("").split_whitespace().collect();
    matches!(
        words[..],
        ["install" | "hold" | "deinstall", "ok", "installed"]
    )
}

/// The file's stanzas; a line that is neither a field, a continuation nor blank is an error.
fn stanzas<'a>(source: &'a Source, diags: &mut Vec<Diagnostic>) -> Vec<Stanza<'a>> {
    let mut out: Vec<Stanza> = Vec::new();
    let mut current: Option<Stanza> = None;
    let mut offset = 0;
    for line in source.text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            out.extend(current.take());
        } else if line.starts_with([' ', '\t']) {
            if current.is_none() {
                diags.push(source.at(at..at, "a continuation line outside a stanza"));
            }
        } else if let Some((name, value)) = field(line) {
            current
                .get_or_insert_with(|| Stanza {
                    at,
                    fields: Vec::new(),
                })
                .fields
                .push((name, value));
        } else {
            diags.push(source.at(at..at, "expected `Field: value`, as in a dpkg status file"));
        }
    }
    out.extend(current);
    out
}

/// `Name: value`. Field names are US-ASCII from `!` to `~` without `:`, and start with neither
/// `#` nor `-` (deb-control(5)).
fn field(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let valid = !name.starts_with(['#', '-'])
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_graphic());
    valid.then(|| (name, value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Host, fixture, read_lockfile, triples};

    fn parse_text(text: &str) -> Result<Inputs> {
        parse(&Source::new("status", text.into()), "Debian:12")
    }

    #[test]
    fn reads_installed_packages_by_source() {
        let text = "\
Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL
 and TLS cryptographic protocols.

Package: bash
Status: hold ok installed
Version: 5.2.15-2+b2
Source: bash (5.2.15-2)

Package: telnet
Status: deinstall ok config-files
Version: 0.17+2.4-2

Package: curl
Status: install ok installed
Version: 7.88.1-10+deb12u4
";
        assert_eq!(
            triples(&parse_text(text).unwrap()),
            [
                ("Debian:12", "openssl", "3.0.11-1~deb12u2"),
                ("Debian:12", "bash", "5.2.15-2"),
                ("Debian:12", "curl", "7.88.1-10+deb12u4"),
            ]
        );
    }

    #[test]
    fn garbage_and_incomplete_stanzas_are_errors_with_positions() {
        let err = parse_text("Package: a\nStatus: install ok installed\n\nnot a field\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("status:1:1: installed package `a` has no `Version`"),
            "{err}"
        );
        assert!(err.contains("status:4:1: expected `Field: value`"), "{err}");
        let err = parse_text("{\"Package\": \"a\"}").unwrap_err().to_string();
        assert!(
            err.starts_with("status:1:1: a stanza without a `Package` field"),
            "{err}"
        );
        let err = parse_text("  continued\n").unwrap_err().to_string();
        assert!(err.starts_with("status:1:1: a continuation line"), "{err}");
    }

    #[test]
    fn reads_the_fixture() {
        // Its release comes from the `os-release` beside it.
        let inputs = read_lockfile(&fixture("debian-12.dpkg-status"), &Host::default()).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("Debian:12", "base-files", "12.4+deb12u2"),
                ("Debian:12", "bash", "5.2.15-2"),
                ("Debian:12", "ca-certificates", "20230311"),
                ("Debian:12", "curl", "7.88.1-10+deb12u4"),
                ("Debian:12", "glibc", "2.36-9+deb12u3"),
                ("Debian:12", "openssl", "3.0.9-1"),
                ("Debian:12", "zlib", "1:1.2.13.dfsg-1"),
            ]
        );
    }
}

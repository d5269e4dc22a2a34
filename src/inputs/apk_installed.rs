//! Alpine's installed-package database (`/lib/apk/db/installed`): stanzas separated by blank
//! lines, one `K:value` line per field with a one-letter key. `P:` is the package, `V:` its
//! version, `o:` its origin (the source package Alpine's advisories name; the package itself when
//! absent), `D:` its dependencies and `p:` what it provides (`so:libssl.so.3=3`), which the
//! restart rule reads. Every subpackage of an origin has the origin's version. Hand-written: the
//! format is a handful of line prefixes.

use super::Inputs;
use super::os_package::{self, Installed};
use crate::diag::Source;
use crate::error::{Error, Result};

/// The installed packages of an apk database, by origin, in `ecosystem` (`Alpine:v3.20`).
pub fn parse(source: &Source, ecosystem: &str) -> Result<Inputs> {
    let mut diags = Vec::new();
    let mut host: Vec<(Installed, String)> = Vec::new();
    let mut current: Option<(usize, Fields)> = None;
    let mut offset = 0;
    for line in source.text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            if let Some((start, fields)) = current.take() {
                finish(source, start, fields, &mut host, &mut diags);
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':').filter(|(k, _)| k.len() == 1) else {
            let message = "expected `K:value` with a one-letter key, as in /lib/apk/db/installed";
            diags.push(source.at(at..at, message));
            continue;
        };
        let (_, fields) = current.get_or_insert_with(|| (at, Fields::default()));
        match key {
            "P" => fields.name = Some(value.trim().to_string()),
            "V" => fields.version = Some(value.trim().to_string()),
            "o" => fields.origin = Some(value.trim().to_string()),
            "D" => fields.depends.extend(names(value)),
            "p" => fields.provides.extend(names(value)),
            _ => {}
        }
    }
    if let Some((start, fields)) = current.take() {
        finish(source, start, fields, &mut host, &mut diags);
    }
    if diags.is_empty() {
        Ok(os_package::by_source(ecosystem, &host).into())
    } else {
        Err(Error::Invalid(diags))
    }
}

#[derive(Default)]
struct Fields {
    name: Option<String>,
    version: Option<String>,
    origin: Option<String>,
    depends: Vec<String>,
    provides: Vec<String>,
}

fn finish(
    source: &Source,
    at: usize,
    f: Fields,
    host: &mut Vec<(Installed, String)>,
    diags: &mut Vec<crate::diag::Diagnostic>,
) {
    let (Some(name), Some(version)) = (f.name, f.version) else {
        let message = "a package without `P:` (name) and `V:` (version) lines";
        diags.push(source.at(at..at, message));
        return;
    };
    let installed = Installed {
        source: f.origin.unwrap_or_else(|| name.clone()),
        binary: name,
        depends: Some(f.depends),
        provides: f.provides,
    };
    host.push((installed, version));
}

/// `so:libc.musl-x86_64.so.1 musl>=1.2 !foo` -> `so:libc.musl-x86_64.so.1`, `musl`; conflicts
/// (`!`) are not dependencies.
fn names(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split_whitespace()
        .filter(|d| !d.starts_with('!'))
        .map(|d| {
            let end = d.find(['=', '<', '>', '~']).unwrap_or(d.len());
            d[..end].to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::restart::Restart;
    use crate::inputs::{Host, fixture, read_lockfile, triples};

    fn parse_text(text: &str) -> Result<Inputs> {
        parse(&Source::new("installed", text.into()), "Alpine:v3.20")
    }

    #[test]
    fn reads_packages_by_origin_with_their_binaries() {
        let host = Host::distro("alpine:3.20");
        let inputs = read_lockfile(&fixture("alpine-3.20/installed"), &host).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("Alpine:v3.20", "musl", "1.2.5-r0"),
                ("Alpine:v3.20", "openssl", "3.3.1-r3"),
                ("Alpine:v3.20", "nginx", "1.26.1-r0"),
                ("Alpine:v3.20", "busybox", "1.36.1-r29"),
            ]
        );
        let openssl = inputs.packages[1].os.as_ref().unwrap();
        assert_eq!(openssl.binaries, ["libcrypto3", "libssl3"]);
        // nginx links libssl.so.3: upgrading openssl restarts it.
        assert_eq!(openssl.restart, Restart::Service);
        assert!(
            openssl.restart_why.contains("nginx"),
            "{}",
            openssl.restart_why
        );
        assert_eq!(
            inputs.packages[0].os.as_ref().unwrap().restart,
            Restart::Reboot
        );
    }

    #[test]
    fn bad_lines_and_incomplete_packages_are_errors_with_positions() {
        let err = parse_text("P:musl\nV:1.2.5-r0\n\nnot a field line\nP:x\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("installed:4:1: expected `K:value`"), "{err}");
        assert!(
            err.contains("installed:5:1: a package without `P:`"),
            "{err}"
        );
    }
}

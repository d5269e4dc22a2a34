//! An RPM host's packages as `rpm -qa --qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE}
//! %{SOURCERPM}\n'` prints them: one line per package, `NAME EPOCH:VERSION-RELEASE SOURCERPM`,
//! EPOCH `(none)` when unset. Each package is read as its source package, from the source RPM's
//! file name (`openssl-3.0.7-27.el9.src.rpm` is `openssl`), at the binary's
//! `EPOCH:VERSION-RELEASE`, which every package built from one source RPM shares; the binaries'
//! names are kept, since AlmaLinux's and Rocky's advisories name binary RPMs (`openssl-libs`) and
//! matching looks them up too. `gpg-pubkey`
//! pseudo-packages (no source RPM) are not software and are skipped. The listing carries no
//! dependencies, which the restart rule then cannot use.

use super::Inputs;
use super::os_package::{self, Installed};
use crate::diag::Source;
use crate::error::{Error, Result};

/// The packages of an `rpm -qa` listing, by source RPM, in `ecosystem` (`AlmaLinux:9`).
pub fn parse(source: &Source, ecosystem: &str) -> Result<Inputs> {
    let mut diags = Vec::new();
    let mut host: Vec<(Installed, String)> = Vec::new();
    let mut offset = 0;
    for line in source.text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        match read_line(text) {
            Ok(Some(p)) => host.push(p),
            Ok(None) => {}
            Err((col, message)) => diags.push(source.at(at + col..at + col, message)),
        }
    }
    if diags.is_empty() {
        Ok(os_package::by_source(ecosystem, &host).into())
    } else {
        Err(Error::Invalid(diags))
    }
}

const FORMAT: &str = "expected `NAME EPOCH:VERSION-RELEASE SOURCERPM`, as printed by \
`rpm -qa --qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} %{SOURCERPM}\\n'`";

/// One line; `None` for a `gpg-pubkey`. An error carries the byte column it points at.
fn read_line(line: &str) -> std::result::Result<Option<(Installed, String)>, (usize, String)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [name, evr, srpm] = fields[..] else {
        return Err((0, format!("{} fields, {FORMAT}", fields.len())));
    };
    let column = |field: &str| line.find(field).unwrap_or(0);
    let (epoch, vr) = evr
        .split_once(':')
        .ok_or_else(|| (column(evr), format!("`{evr}` has no `EPOCH:`; {FORMAT}")))?;
    if !vr.contains('-') || vr.starts_with('-') || vr.ends_with('-') {
        return Err((
            column(evr),
            format!("`{evr}` is not EPOCH:VERSION-RELEASE; {FORMAT}"),
        ));
    }
    let version = match epoch {
        "(none)" | "0" => vr.to_string(),
        e if e.bytes().all(|b| b.is_ascii_digit()) => format!("{e}:{vr}"),
        _ => {
            return Err((
                column(evr),
                format!("epoch `{epoch}` is not a number or `(none)`"),
            ));
        }
    };
    if srpm == "(none)" {
        return Ok(if name == "gpg-pubkey" {
            None
        } else {
            Some((installed(name, name), version))
        });
    }
    let source = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))
        .and_then(|s| s.rsplitn(3, '-').nth(2))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            let message =
                format!("`{srpm}` is not a source RPM file name (NAME-VERSION-RELEASE.src.rpm)");
            (column(srpm), message)
        })?;
    Ok(Some((installed(name, source), version)))
}

fn installed(binary: &str, source: &str) -> Installed {
    Installed {
        binary: binary.to_string(),
        source: source.to_string(),
        depends: None,
        provides: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Host, fixture, read_lockfile, triples};

    fn parse_text(text: &str) -> Result<Inputs> {
        parse(&Source::new("rpm-qa", text.into()), "AlmaLinux:9")
    }

    #[test]
    fn reads_packages_by_source_rpm() {
        let host = Host::distro("almalinux:9");
        let inputs = read_lockfile(&fixture("almalinux-9/host.rpm-qa"), &host).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("AlmaLinux:9", "glibc", "2.34-100.el9_4.2"),
                ("AlmaLinux:9", "openssl", "1:3.0.7-27.el9"),
                ("AlmaLinux:9", "openssh", "8.7p1-38.el9"),
                ("AlmaLinux:9", "bash", "5.1.8-9.el9"),
            ]
        );
        let openssl = inputs.packages[1].os.as_ref().unwrap();
        assert_eq!(openssl.binaries, ["openssl", "openssl-libs"]);
    }

    #[test]
    fn bad_lines_are_errors_with_positions() {
        let err = parse_text("bash 0:5.1.8-9.el9 bash-5.1.8-9.el9.src.rpm\nbash 5.1.8\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rpm-qa:2:1: 2 fields, expected `NAME"),
            "{err}"
        );
        let err = parse_text("bash 5.1.8-9.el9 bash-5.1.8-9.el9.src.rpm\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("rpm-qa:1:6: `5.1.8-9.el9` has no `EPOCH:`"),
            "{err}"
        );
        let err = parse_text("bash x:5.1.8-9.el9 bash.rpm\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rpm-qa:1:6: epoch `x`"), "{err}");
        let err = parse_text("bash 0:5.1.8-9.el9 bash.rpm\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rpm-qa:1:20: `bash.rpm` is not a source RPM"),
            "{err}"
        );
    }
}

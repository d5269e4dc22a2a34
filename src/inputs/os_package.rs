//! OS packages: the binary packages a host has installed, grouped by the source package its
//! distribution's advisories name, each group with what upgrading it restarts.
//!
//! The three package-list formats (dpkg status, apk installed, `rpm -qa`) read their own syntax
//! into [`Installed`] binaries; [`by_source`] makes the components: one per (source package,
//! source version), keeping the binaries' names (what an operator upgrades) and the restart the
//! rule in [`super::restart`] gives them.

use std::collections::HashMap;

use super::Package;
use super::restart;
use super::restart::Restart;

/// One installed binary package, as the restart rule needs it.
#[derive(Debug, Clone, Default)]
pub struct Installed {
    pub binary: String,
    pub source: String,
    /// Names of the packages (or, for apk, the `so:` names) it depends on; `None` when the
    /// list cannot say.
    pub depends: Option<Vec<String>>,
    /// What else it is known by (apk's `p:`, such as `so:libssl.so.3`).
    pub provides: Vec<String>,
}

/// What an OS package list says of one source package besides its version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OsPackage {
    /// The binary packages installed from it, sorted: what an operator upgrades.
    pub binaries: Vec<String>,
    /// What upgrading them restarts (see [`restart`]) ...
    pub restart: Restart,
    /// ... and the rule that said so.
    pub restart_why: String,
}

/// One package per (source, source version), in the order first seen, with its binaries.
pub(super) fn by_source(ecosystem: &str, host: &[(Installed, String)]) -> Vec<Package> {
    let mut out: Vec<Package> = Vec::new();
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    for (p, version) in host {
        let i = *index.entry((&p.source, version)).or_insert_with(|| {
            let mut package = Package::new(ecosystem, p.source.clone(), version.clone());
            package.os = Some(OsPackage::default());
            out.push(package);
            out.len() - 1
        });
        if let Some(os) = &mut out[i].os {
            os.binaries.push(p.binary.clone());
        }
    }
    let installed: Vec<Installed> = host.iter().map(|(p, _)| p.clone()).collect();
    for package in &mut out {
        let os = package.os.get_or_insert_with(OsPackage::default);
        os.binaries.sort();
        os.binaries.dedup();
        (os.restart, os.restart_why) = restart::classify(&package.name, &os.binaries, &installed);
    }
    out
}

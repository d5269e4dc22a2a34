//! The canonical advisory. Every feed format (OSV, native TOML) is converted into [`Advisory`] on
//! load; KEV and EPSS are keyed by CVE and joined to advisories through their aliases.

pub mod epss;
pub mod kev;
pub mod native;
pub mod osv;

use serde::Serialize;

use crate::version::{Range, Scheme};

/// One advisory, from any feed.
#[derive(Debug, Clone)]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    /// Publication date, `YYYY-MM-DD`.
    pub published: Option<String>,
    /// CVSS vectors, as the record gives them.
    pub severity: Vec<String>,
    /// Severity text where no vector is given (`HIGH`, `moderate`, ...).
    pub severity_text: Option<String>,
    /// The distribution's own priority (Ubuntu's `negligible` to `critical`, from
    /// `cves_map`): the highest of the record's CVEs. Shown beside the CVSS vector; it stands in
    /// for the score only when no vector or severity word does.
    pub distro_priority: Option<String>,
    /// Known exploitation, as the record itself claims (native `exploited = true`).
    pub exploited: bool,
    /// RustSec's informational kinds: `unmaintained`, `unsound`, `notice`.
    pub informational: Option<String>,
    pub affected: Vec<Affected>,
    /// The id of the feed it came from.
    pub feed: String,
}

/// The versions of one package an advisory affects.
#[derive(Debug, Clone)]
pub struct Affected {
    /// Canonical ecosystem (see [`crate::version::canonical_ecosystem`]).
    pub ecosystem: String,
    /// Canonical name (see [`crate::version::canonical_name`]).
    pub name: String,
    pub scheme: Scheme,
    pub range: Range,
}

impl Advisory {
    /// The id and every alias.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// The CVE ids among the id and aliases, for joining KEV and EPSS.
    pub fn cves(&self) -> impl Iterator<Item = &str> {
        self.ids().filter(|id| id.starts_with("CVE-"))
    }
}

/// A record skipped while loading a feed, reported as a warning.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LoadWarning {
    /// The feed id.
    pub feed: String,
    /// The file or zip entry.
    pub entry: String,
    pub message: String,
}

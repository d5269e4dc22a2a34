//! Matching: components x advisories -> findings, with fix versions.
//!
//! Each component is looked up by (ecosystem, name) in an index of the advisories' affected
//! packages and its version tested against each range. Advisories that hit the same component
//! and share an id or alias are one vulnerability: they become one finding. For each finding the
//! smallest fix above the installed version is found, and for each component the smallest version
//! that fixes all of its findings and that no known advisory marks as affected.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::advisory::Advisory;
use crate::feeds::Feeds;
use crate::version::{Scheme, Version, ecosystem_base};

/// Something whose components are matched: an environment or a lockfile.
#[derive(Debug, Clone)]
pub struct Target {
    /// The environment id, or the lockfile's path.
    pub id: String,
    pub components: Vec<TargetComponent>,
}

/// The identity of one component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetComponent {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

/// One vulnerability of one component.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub target: String,
    /// Index of the component in its target.
    #[serde(skip)]
    pub component: usize,
    pub ecosystem: String,
    pub package: String,
    pub version: String,
    /// The primary record id.
    pub advisory: String,
    /// Every other id of the merged records, sorted.
    pub aliases: Vec<String>,
    /// Indices into [`Feeds::advisories`] of the merged records; the primary first.
    #[serde(skip)]
    pub records: Vec<usize>,
    /// `unmaintained`, `unsound` or `notice` for informational advisories.
    pub informational: Option<String>,
    /// The smallest fixed version above the installed one on its branch.
    pub fixed: Option<String>,
    pub summary: String,
}

/// What matching produced.
#[derive(Debug, Default)]
pub struct Matches {
    pub findings: Vec<Finding>,
    /// Per (target index, component index) with findings: the recommended version, or `None`
    /// when no version fixes all of them.
    pub recommended: HashMap<(usize, usize), Option<String>>,
    /// Components that could not be matched, with the reason.
    pub warnings: Vec<String>,
}

/// The (ecosystem base, name) keys advisories are looked up by, for every component of
/// `targets`: what a feed needs to keep (see [`Feeds::for_packages`]).
pub fn package_keys(targets: &[Target]) -> impl Iterator<Item = crate::feeds::Key> + '_ {
    targets.iter().flat_map(|t| {
        t.components
            .iter()
            .map(|c| (ecosystem_base(&c.ecosystem).to_string(), c.name.clone()))
    })
}

type Index = HashMap<(String, String), Vec<(usize, usize)>>;

/// Matches every target's components against every advisory.
pub fn match_targets(targets: &[Target], feeds: &Feeds) -> Matches {
    let index = feeds.index();
    let mut out = Matches::default();
    for (t, target) in targets.iter().enumerate() {
        for (c, comp) in target.components.iter().enumerate() {
            let Some((version, scheme)) = parse_component(target, comp, &mut out.warnings) else {
                continue;
            };
            let hits = hits(comp, &version, &index, feeds);
            if hits.is_empty() {
                continue;
            }
            let findings = merge(target, c, comp, &version, &hits, feeds);
            let real: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.informational.is_none())
                .collect();
            if !real.is_empty() {
                let rec = recommend(comp, scheme, &version, &real, &index, feeds);
                out.recommended.insert((t, c), rec);
            }
            out.findings.extend(findings);
        }
    }
    out
}

fn parse_component(
    target: &Target,
    comp: &TargetComponent,
    warnings: &mut Vec<String>,
) -> Option<(Version, Scheme)> {
    let Some(scheme) = Scheme::for_ecosystem(&comp.ecosystem) else {
        warnings.push(format!(
            "{}: {} {} ({}): versions of this ecosystem cannot be ordered yet; not matched",
            target.id, comp.name, comp.version, comp.ecosystem
        ));
        return None;
    };
    match scheme.parse(&comp.version) {
        Ok(v) => Some((v, scheme)),
        Err(e) => {
            warnings.push(format!(
                "{}: {} ({}): {e}; not matched",
                target.id, comp.name, comp.ecosystem
            ));
            None
        }
    }
}

fn same_ecosystem(component: &str, advisory: &str) -> bool {
    match (component.split_once(':'), advisory.split_once(':')) {
        (Some((_, a)), Some((_, b))) => a == b,
        _ => true,
    }
}

/// Indices of the advisories whose ranges contain the component's version.
fn hits(comp: &TargetComponent, version: &Version, index: &Index, feeds: &Feeds) -> Vec<usize> {
    let key = (
        ecosystem_base(&comp.ecosystem).to_string(),
        comp.name.clone(),
    );
    let mut found: Vec<usize> = index
        .get(&key)
        .into_iter()
        .flatten()
        .filter(|(a, j)| {
            let affected = &feeds.advisories[*a].affected[*j];
            same_ecosystem(&comp.ecosystem, &affected.ecosystem) && affected.range.contains(version)
        })
        .map(|(a, _)| *a)
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// Groups hits that share an id or alias into one finding each.
fn merge(
    target: &Target,
    c: usize,
    comp: &TargetComponent,
    version: &Version,
    hits: &[usize],
    feeds: &Feeds,
) -> Vec<Finding> {
    let mut groups: Vec<(BTreeSet<&str>, Vec<usize>)> = Vec::new();
    for &h in hits {
        let ids: BTreeSet<&str> = feeds.advisories[h].ids().collect();
        let (joined, rest): (Vec<_>, Vec<_>) =
            groups.into_iter().partition(|(g, _)| !g.is_disjoint(&ids));
        let mut merged = (ids, vec![h]);
        for (g, members) in joined {
            merged.0.extend(g);
            merged.1.extend(members);
        }
        groups = rest;
        groups.push(merged);
    }
    let mut findings: Vec<Finding> = groups
        .into_iter()
        .map(|(ids, mut members)| {
            members.sort_by_key(|&m| primary_rank(&feeds.advisories[m]));
            let primary = &feeds.advisories[members[0]];
            // Records of one flaw may disagree (a CVE record with only `last_affected`): the fix
            // is the highest that any of them knows.
            let fixed = members
                .iter()
                .filter_map(|&m| fixed_for(&feeds.advisories[m], comp, version))
                .max()
                .map(|v| v.to_string());
            Finding {
                target: target.id.clone(),
                component: c,
                ecosystem: comp.ecosystem.clone(),
                package: comp.name.clone(),
                version: comp.version.clone(),
                advisory: primary.id.clone(),
                aliases: ids
                    .into_iter()
                    .filter(|i| *i != primary.id)
                    .map(str::to_string)
                    .collect(),
                informational: members
                    .iter()
                    .find_map(|&m| feeds.advisories[m].informational.clone()),
                fixed,
                summary: primary.summary.clone(),
                records: members,
            }
        })
        .collect();
    findings.sort_by(|a, b| a.advisory.cmp(&b.advisory));
    findings
}

/// Which record of a merged group names the finding: the operator's own, then the ecosystem
/// database's (RUSTSEC, PYSEC, GO, ...), then GHSA, then CVE.
fn primary_rank(a: &Advisory) -> (u8, String) {
    let rank = if a.feed == "inventory" {
        0
    } else if a.id.starts_with("CVE-") {
        3
    } else if a.id.starts_with("GHSA-") {
        2
    } else {
        1
    };
    (rank, a.id.clone())
}

fn fixed_for(adv: &Advisory, comp: &TargetComponent, version: &Version) -> Option<Version> {
    adv.affected
        .iter()
        .filter(|a| {
            a.name == comp.name && ecosystem_base(&a.ecosystem) == ecosystem_base(&comp.ecosystem)
        })
        .filter_map(|a| a.range.fixed_for(version))
        .max()
        .cloned()
}

/// The smallest version above `installed` that is at least every finding's fix and that no
/// non-informational advisory marks as affected.
fn recommend(
    comp: &TargetComponent,
    scheme: Scheme,
    installed: &Version,
    findings: &[&Finding],
    index: &Index,
    feeds: &Feeds,
) -> Option<String> {
    let floor = findings
        .iter()
        .map(|f| f.fixed.as_ref().and_then(|v| scheme.parse(v).ok()))
        .collect::<Option<Vec<Version>>>()?
        .into_iter()
        .max()?;
    let key = (
        ecosystem_base(&comp.ecosystem).to_string(),
        comp.name.clone(),
    );
    let entries: Vec<(usize, usize)> = index
        .get(&key)
        .into_iter()
        .flatten()
        .copied()
        .filter(|(a, _)| feeds.advisories[*a].informational.is_none())
        .collect();
    let mut candidates: Vec<&Version> = entries
        .iter()
        .flat_map(|(a, j)| feeds.advisories[*a].affected[*j].range.intervals.iter())
        .filter_map(|i| i.fixed())
        .filter(|v| *v >= &floor && *v > installed)
        .collect();
    candidates.sort();
    candidates.dedup();
    candidates
        .into_iter()
        .find(|v| {
            !entries
                .iter()
                .any(|(a, j)| feeds.advisories[*a].affected[*j].range.contains(v))
        })
        .map(ToString::to_string)
}

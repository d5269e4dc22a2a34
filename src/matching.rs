//! Matching: components x advisories -> findings, with fix versions.
//!
//! Each component is looked up by (ecosystem, name) in an index of the advisories' affected
//! packages and its version tested against each range. Advisories that hit the same component
//! and share an id or alias are one vulnerability: they become one finding. For each finding the
//! smallest fix above the installed version is found, and for each component the smallest version
//! that fixes all of its findings and that no known advisory marks as affected.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use crate::advisory::Advisory;
use crate::feeds::Feeds;
use crate::shared_list::SharedList;
use crate::version::{Scheme, Version, canonical_name, ecosystem_base, is_known_ecosystem};

/// Something whose components are matched: an environment or a lockfile.
#[derive(Debug, Clone)]
pub struct Target {
    /// The environment id, or the lockfile's path.
    pub id: String,
    /// An environment's, shared as its components are (see [`crate::plan::targets`]).
    pub components: SharedList<TargetComponent>,
}

/// The identity of one component.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TargetComponent {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    /// Other names records may give it at the same version: an RPM source package's binary
    /// packages, which AlmaLinux's and Rocky's advisories name (see
    /// [`crate::inputs::distro::PackageFormat::advisory_names`]).
    pub also_named: Vec<String>,
}

/// One vulnerability of one component of one target. What it is ([`Vuln`]) is shared by every
/// target that runs the same version: a fleet repeats a few thousand vulnerable versions across
/// tens of thousands of environments, and each finding is three words.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The target's id (shared by its findings).
    pub target: TargetId,
    /// Index of the component in its target.
    pub component: u32,
    pub vuln: Arc<Vuln>,
}

/// A target's id as its findings share it: one pointer (an `Arc<str>` is two), as a fleet's
/// plan holds millions of findings.
pub type TargetId = Arc<String>;

impl std::ops::Deref for Finding {
    type Target = Vuln;
    fn deref(&self) -> &Vuln {
        &self.vuln
    }
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            target: &'a str,
            #[serde(flatten)]
            vuln: &'a Vuln,
        }
        Flat {
            target: &self.target,
            vuln: &self.vuln,
        }
        .serialize(s)
    }
}

/// One vulnerability of one component version: the merged records that hit it and its fix.
#[derive(Debug, Clone, Serialize)]
pub struct Vuln {
    pub ecosystem: String,
    pub package: String,
    pub version: String,
    /// The primary record id.
    pub advisory: Arc<str>,
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

/// Each (target, component) index pair's upgrade choices: which distinct component each is
/// (matched once), and each distinct component's upgrade. Two array lookups: a fleet has a
/// million (target, component) pairs with findings and a few thousand distinct components.
#[derive(Debug, Default)]
pub struct Upgrades {
    /// By target, by component: the distinct component's index in `distinct`.
    which: Vec<Vec<u32>>,
    /// By distinct component: its upgrade, when it has non-informational findings (and its
    /// version could be read).
    distinct: Vec<Option<Arc<Upgrade>>>,
}

impl Upgrades {
    /// Component `c` of target `t`'s upgrade choices, if it has any.
    pub fn get(&self, &(t, c): &(usize, usize)) -> Option<&Arc<Upgrade>> {
        let d = *self.which.get(t)?.get(c)?;
        self.distinct.get(d as usize)?.as_ref()
    }
}

/// What matching produced.
#[derive(Debug, Default)]
pub struct Matches {
    pub findings: Vec<Finding>,
    /// Per (target index, component index) with non-informational findings: the versions it
    /// could be upgraded to, and what each fixes (see [`Upgrade::choose`]).
    pub upgrades: Upgrades,
    /// Components that could not be matched, with the reason.
    pub warnings: Vec<String>,
}

/// The (ecosystem base, name) keys advisories are looked up by, for every component of
/// `targets`: what a feed needs to keep (see [`Feeds::for_packages`]).
pub fn package_keys(targets: &[Target]) -> impl Iterator<Item = crate::feeds::Key> + '_ {
    let mut names: HashSet<(&str, &str, &[String])> = HashSet::new();
    crate::shared_list::distinct(targets.iter().map(|t| &t.components))
        .into_iter()
        .filter(move |c| names.insert((&c.ecosystem, &c.name, &c.also_named)))
        .flat_map(|c| keys_of(c))
}

/// What the loaded advisories cover of one ecosystem of the targets' components.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// The components' ecosystem, with its release where it has one (`Debian:12`).
    pub ecosystem: String,
    /// Advisory records loaded for this ecosystem, from every feed.
    pub records: usize,
    /// The targets' components in this ecosystem.
    pub components: usize,
    /// Whether they were checked against anything: some record covers the ecosystem.
    pub checked: bool,
}

/// Per ecosystem of the targets' components (with its release: `Ubuntu:22.04:LTS`), sorted: how
/// many advisory records were loaded for it, counting those of its base ecosystem that its
/// release sees (see [`same_ecosystem`]). An ecosystem without records means its components were
/// checked against nothing.
pub fn coverage(targets: &[Target], feeds: &Feeds) -> Vec<Coverage> {
    // A fleet's millions of components are a few stacks' shared lists: each shared start is
    // counted by ecosystem once, and each list as its start's counts, less the places it leaves
    // out, and its own.
    let mut starts: rustc_hash::FxHashMap<usize, BTreeMap<&str, usize>> = Default::default();
    let mut components: BTreeMap<&str, usize> = BTreeMap::new();
    for list in targets.iter().map(|t| &t.components) {
        let start = starts.entry(list.base_key()).or_insert_with(|| {
            let mut counts = BTreeMap::new();
            for comp in list.base().iter() {
                *counts.entry(comp.ecosystem.as_str()).or_default() += 1;
            }
            counts
        });
        for (ecosystem, n) in start.iter() {
            *components.entry(ecosystem).or_default() += n;
        }
        for &at in list.removed() {
            *components
                .entry(&list.base()[at as usize].ecosystem)
                .or_default() -= 1;
        }
        for comp in list.rest() {
            *components.entry(&comp.ecosystem).or_default() += 1;
        }
    }
    (components.into_iter())
        .filter(|&(_, n)| n > 0)
        .map(|(ecosystem, components)| {
            let records = records_for(ecosystem, feeds);
            Coverage {
                ecosystem: ecosystem.to_string(),
                records,
                components,
                checked: records > 0,
            }
        })
        .collect()
}

/// The records loaded that a component of `ecosystem` is matched against.
fn records_for(ecosystem: &str, feeds: &Feeds) -> usize {
    let base = ecosystem_base(ecosystem);
    feeds
        .coverage
        .iter()
        .filter(|(e, _)| ecosystem_base(e) == base && same_ecosystem(ecosystem, e))
        .map(|(_, n)| n)
        .sum()
}

/// One warning per target with components in an ecosystem no loaded advisory covers (the first
/// ten targets of each ecosystem, then a count of the rest).
pub fn coverage_warnings(targets: &[Target], feeds: &Feeds) -> Vec<String> {
    const SHOWN: usize = 10;
    let mut covered: HashMap<&str, bool> = HashMap::new();
    // Most inventories have nothing to warn about: their ecosystems, seen once per shared
    // component, are all covered.
    let all_covered = crate::shared_list::distinct(targets.iter().map(|t| &t.components))
        .into_iter()
        .all(|c| {
            let eco = c.ecosystem.as_str();
            *covered
                .entry(eco)
                .or_insert_with(|| records_for(eco, feeds) > 0)
        });
    if all_covered {
        return Vec::new();
    }
    let mut per: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::new();
    for t in targets {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for comp in &t.components {
            let eco = comp.ecosystem.as_str();
            if !*covered
                .entry(eco)
                .or_insert_with(|| records_for(eco, feeds) > 0)
            {
                *counts.entry(eco).or_default() += 1;
            }
        }
        for (eco, n) in counts {
            per.entry(eco).or_default().push((&t.id, n));
        }
    }
    let mut out = Vec::new();
    for (eco, hit) in per {
        for (target, n) in hit.iter().take(SHOWN) {
            out.push(format!(
                "{target}: {n} {eco} components not checked: no loaded advisory feed covers {eco}"
            ));
        }
        if hit.len() > SHOWN {
            let rest: usize = hit[SHOWN..].iter().map(|(_, n)| n).sum();
            out.push(format!(
                "and {} more targets with {rest} {eco} components not checked",
                hit.len() - SHOWN
            ));
        }
    }
    out
}

/// How a component is looked up: its ecosystem without release suffix, and its canonical name
/// (PEP 503 for PyPI), as advisories are indexed; then the same for each of its other names.
fn keys_of(comp: &TargetComponent) -> Vec<crate::feeds::Key> {
    let base = ecosystem_base(&comp.ecosystem);
    std::iter::once(&comp.name)
        .chain(&comp.also_named)
        .map(|name| (base.to_string(), canonical_name(base, name)))
        .collect()
}

/// The index entries (advisory, affected entry) under any of the component's keys, each once.
fn entries(comp: &TargetComponent, index: &Index) -> Vec<(usize, usize)> {
    let mut found: Vec<(usize, usize)> = keys_of(comp)
        .iter()
        .filter_map(|k| index.get(k))
        .flatten()
        .copied()
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

type Index = HashMap<(String, String), Vec<(usize, usize)>>;

/// What one (ecosystem, name, version) matched: its findings (for target 0, component 0) and
/// the recommended upgrade. Environments built from the same stacks share most components, so
/// each distinct version is matched once and its result copied to every target that runs it.
struct Matched {
    findings: Vec<Arc<Vuln>>,
    upgrade: Option<Arc<Upgrade>>,
}

/// The versions one component can be upgraded to, smallest first: every fixed version above the
/// installed one that brings in no advisory the installed version does not have and that has a
/// fix above it (an advisory nobody has fixed does not disqualify a version: it is remaining risk
/// whatever the version).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Upgrade {
    pub candidates: Vec<Candidate>,
}

/// One version a component can go to, and the advisories of its findings that version fixes.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Shared with the findings it is recommended to (one pointer: a fleet's plan has
    /// millions).
    pub version: Arc<String>,
    /// The primary advisory ids of the component's findings that this version leaves.
    pub fixes: BTreeSet<String>,
}

impl Upgrade {
    /// The version to upgrade to for the open findings with a fix, `fixable` (advisory id and
    /// urgency, the greater the more urgent): the smallest version that fixes them all; when
    /// fixes lie on different branches and no version does, the one whose fixed findings are the
    /// most urgent (compared most urgent first; then more findings; then the smaller version).
    /// `None` when no version fixes any of them.
    pub fn choose<K: Ord + Clone>(&self, fixable: &[(&str, K)]) -> Option<&Candidate> {
        if let Some(all) = self
            .candidates
            .iter()
            .find(|c| fixable.iter().all(|(a, _)| c.fixes.contains(*a)))
        {
            return Some(all);
        }
        let profile = |c: &Candidate| {
            let mut keys: Vec<&K> = fixable
                .iter()
                .filter(|(a, _)| c.fixes.contains(*a))
                .map(|(_, k)| k)
                .collect();
            keys.sort_by(|a, b| b.cmp(a));
            keys
        };
        // `max_by` keeps the last of equals: walk from the largest version down so the smallest
        // of equally good versions wins. Each candidate's profile is made once.
        self.candidates
            .iter()
            .rev()
            .map(|c| (profile(c), c))
            .filter(|(p, _)| !p.is_empty())
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, c)| c)
    }
}

/// Matches every target's components against every advisory: each distinct component once (on
/// every core), then its result shared by every target that runs it.
pub fn match_targets(targets: &[Target], feeds: &Feeds) -> Matches {
    use rayon::prelude::*;
    let index = feeds.index();
    // The distinct components, in first-seen order, and which one each component is.
    let mut numbers = Numbering::default();
    let which: Vec<Vec<u32>> = (targets.iter().enumerate())
        .map(|(t, target)| numbers.of_list(t, &target.components))
        .collect();
    let first = numbers.first;
    let results: Vec<(Option<Matched>, Vec<String>)> = first
        .par_iter()
        .map(|&(t, comp)| {
            let mut warnings = Vec::new();
            let m = match_one(&targets[t], comp, &index, feeds, &mut warnings);
            (m, warnings)
        })
        .collect();
    let mut out = Matches::default();
    // The findings, target by target on every core (in target order).
    let results = &results;
    out.findings = (targets.par_iter().zip(&which))
        .flat_map_iter(|(target, which)| {
            let id: TargetId = Arc::new(target.id.clone());
            let mut found = Vec::new();
            // (The id is shared by the target's findings only: most of its hundreds of
            // components have none.)
            for (c, &d) in which.iter().enumerate() {
                if let (Some(m), warnings) = &results[d as usize]
                    && warnings.is_empty()
                {
                    found.extend(m.findings.iter().map(|v| Finding {
                        target: id.clone(),
                        component: c as u32,
                        vuln: v.clone(),
                    }));
                }
            }
            found
        })
        .collect();
    // An unreadable version is reported for every target that has it.
    let unreadable: Vec<bool> = (results.iter()).map(|(_, w)| !w.is_empty()).collect();
    if unreadable.contains(&true) {
        for (t, target) in targets.iter().enumerate() {
            for (c, &d) in which[t].iter().enumerate() {
                let d = d as usize;
                if !unreadable[d] {
                    continue;
                }
                if first[d].0 == t {
                    out.warnings.extend(results[d].1.iter().cloned());
                } else {
                    let mut w = Vec::new();
                    match_one(target, &target.components[c], &index, feeds, &mut w);
                    out.warnings.extend(w);
                }
            }
        }
    }
    out.upgrades = Upgrades {
        which,
        distinct: (results.iter())
            .map(|(matched, warnings)| match matched {
                Some(m) if warnings.is_empty() => m.upgrade.clone(),
                _ => None,
            })
            .collect(),
    };
    out
}

/// The distinct components of targets, numbered in the order first met. Shared components are
/// recognised by address, the others by value.
#[derive(Default)]
struct Numbering<'a> {
    by_address: rustc_hash::FxHashMap<*const TargetComponent, u32>,
    by_value: HashMap<&'a TargetComponent, u32>,
    /// Each distinct component with the first target that has it.
    first: Vec<(usize, &'a TargetComponent)>,
    /// The numbers of a shared start's places, by its address (`u32::MAX`: not met yet).
    starts: rustc_hash::FxHashMap<usize, Vec<u32>>,
}

impl<'a> Numbering<'a> {
    /// The numbers of the components of target `t`, `list`: those of its shared start found
    /// by place once met, not looked up again for each target that shares it.
    fn of_list(&mut self, t: usize, list: &'a SharedList<TargetComponent>) -> Vec<u32> {
        let mut numbers = Vec::with_capacity(list.len());
        let mut start = (self.starts.remove(&list.base_key()))
            .unwrap_or_else(|| vec![u32::MAX; list.base().len()]);
        for at in list.kept_places() {
            if start[at] == u32::MAX {
                start[at] = self.of(t, &list.base()[at]);
            }
            numbers.push(start[at]);
        }
        self.starts.insert(list.base_key(), start);
        numbers.extend(list.rest().iter().map(|comp| self.of(t, comp)));
        numbers
    }

    /// The number of `comp`, a component of target `t`.
    fn of(&mut self, t: usize, comp: &'a Arc<TargetComponent>) -> u32 {
        let (by_value, first) = (&mut self.by_value, &mut self.first);
        *self.by_address.entry(Arc::as_ptr(comp)).or_insert_with(|| {
            *by_value.entry(comp).or_insert_with(|| {
                first.push((t, comp));
                (first.len() - 1) as u32
            })
        })
    }
}

/// Matches one component; `None` when its version cannot be read (warned about) or nothing
/// matches.
fn match_one(
    target: &Target,
    comp: &TargetComponent,
    index: &Index,
    feeds: &Feeds,
    warnings: &mut Vec<String>,
) -> Option<Matched> {
    let version = parse_component(target, comp, warnings)?;
    let hits = hits(comp, &version, index, feeds);
    if hits.is_empty() {
        return None;
    }
    let findings = merge(comp, &version, &hits, feeds);
    let real: Vec<&Vuln> = findings
        .iter()
        .filter(|f| f.informational.is_none())
        .collect();
    let upgrade =
        (!real.is_empty()).then(|| Arc::new(upgrades(comp, &version, &real, index, feeds)));
    let findings = findings.into_iter().map(Arc::new).collect();
    Some(Matched { findings, upgrade })
}

fn parse_component(
    target: &Target,
    comp: &TargetComponent,
    warnings: &mut Vec<String>,
) -> Option<Version> {
    match Scheme::for_ecosystem(&comp.ecosystem).parse(&comp.version) {
        Ok(v) => Some(v),
        Err(e) => {
            let unknown = if is_known_ecosystem(&comp.ecosystem) {
                ""
            } else {
                " (an ecosystem patchplan does not know: its versions are read as SemVer)"
            };
            warnings.push(format!(
                "{}: {} ({}): {e}{unknown}; not matched",
                target.id, comp.name, comp.ecosystem
            ));
            None
        }
    }
}

/// Whether records of `advisory`'s ecosystem apply to a component of `component`'s (both of one
/// base, such as `Ubuntu`). A release narrows: `Debian:12` sees only `Debian:12` records, and an
/// OS package list always names its release (see [`crate::inputs::distro`]). A host with Ubuntu
/// Pro (`Ubuntu:Pro:22.04:LTS`) sees its release's records as well as Pro's. A component
/// declared without a release (`ecosystem = "Debian"`) sees every release's records.
fn same_ecosystem(component: &str, advisory: &str) -> bool {
    match (component.split_once(':'), advisory.split_once(':')) {
        (Some((_, a)), Some((_, b))) => a == b || a.strip_prefix("Pro:") == Some(b),
        _ => true,
    }
}

/// Indices of the advisories whose ranges contain the component's version.
fn hits(comp: &TargetComponent, version: &Version, index: &Index, feeds: &Feeds) -> Vec<usize> {
    let mut found: Vec<usize> = entries(comp, index)
        .into_iter()
        .filter(|(a, j)| {
            let affected = &feeds.advisories[*a].affected[*j];
            same_ecosystem(&comp.ecosystem, &affected.ecosystem) && affected.range.contains(version)
        })
        .map(|(a, _)| a)
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// Groups hits that share an id or alias into one finding each.
fn merge(comp: &TargetComponent, version: &Version, hits: &[usize], feeds: &Feeds) -> Vec<Vuln> {
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
    let mut findings: Vec<Vuln> = groups
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
            Vuln {
                ecosystem: comp.ecosystem.clone(),
                package: comp.name.clone(),
                version: comp.version.clone(),
                advisory: Arc::from(primary.id.as_str()),
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
    let keys = keys_of(comp);
    adv.affected
        .iter()
        .filter(|a| {
            let base = ecosystem_base(&a.ecosystem);
            keys.iter()
                .any(|(b, n)| (b.as_str(), n.as_str()) == (base, a.name.as_str()))
        })
        .filter(|a| same_ecosystem(&comp.ecosystem, &a.ecosystem))
        .filter_map(|a| a.range.fixed_for(version))
        .max()
        .cloned()
}

/// Every version above `installed` that a non-informational advisory of the component names as
/// a fix and that brings in no new advisory fixed above it, with the findings each leaves.
fn upgrades(
    comp: &TargetComponent,
    installed: &Version,
    findings: &[&Vuln],
    index: &Index,
    feeds: &Feeds,
) -> Upgrade {
    let entries: Vec<(usize, usize)> = entries(comp, index)
        .into_iter()
        .filter(|(a, j)| {
            let adv = &feeds.advisories[*a];
            adv.informational.is_none()
                && same_ecosystem(&comp.ecosystem, &adv.affected[*j].ecosystem)
        })
        .collect();
    let keys = keys_of(comp);
    let range = |(a, j): &(usize, usize)| &feeds.advisories[*a].affected[*j].range;
    let mut versions: Vec<&Version> = entries
        .iter()
        .flat_map(|e| range(e).intervals.iter())
        .filter_map(|i| i.fixed())
        .filter(|v| *v > installed)
        .collect();
    versions.sort();
    versions.dedup();
    // Affected by an advisory the installed version does not have and that someone fixed above
    // it: a worse place to go than the next fix. (The installed version's own advisories are its
    // findings: a version either leaves them or not, which `fixes` says.)
    let known: HashSet<usize> = findings
        .iter()
        .flat_map(|f| f.records.iter().copied())
        .collect();
    let fixable_at = |v: &Version| {
        entries.iter().filter(|(a, _)| !known.contains(a)).any(|e| {
            let r = range(e);
            r.contains(v) && r.intervals.iter().filter_map(|i| i.fixed()).any(|f| f > v)
        })
    };
    let leaves = |f: &Vuln, v: &Version| {
        !f.records.iter().any(|&m| {
            feeds.advisories[m]
                .affected
                .iter()
                .filter(|a| {
                    let base = ecosystem_base(&a.ecosystem);
                    same_ecosystem(&comp.ecosystem, &a.ecosystem)
                        && keys
                            .iter()
                            .any(|(b, n)| (b.as_str(), n.as_str()) == (base, a.name.as_str()))
                })
                .any(|a| a.range.contains(v))
        })
    };
    let candidates = versions
        .into_iter()
        .filter(|v| !fixable_at(v))
        .map(|v| Candidate {
            version: v.to_string().into(),
            fixes: findings
                .iter()
                .filter(|f| f.fixed.is_some() && leaves(f, v))
                .map(|f| f.advisory.to_string())
                .collect(),
        })
        .collect();
    Upgrade { candidates }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::osv::{self, Loaded};

    /// Feeds holding OSV records given as `(id, aliases, ecosystem, package, events)`, the
    /// events as `kind:version` words.
    fn feeds(records: &[(&str, &[&str], &str, &str, &str)]) -> Feeds {
        let mut feeds = Feeds::default();
        for (id, aliases, eco, name, events) in records {
            let events: Vec<String> = events
                .split_whitespace()
                .map(|e| {
                    let (k, v) = e.split_once(':').unwrap();
                    format!("{{\"{k}\":\"{v}\"}}")
                })
                .collect();
            let json = format!(
                r#"{{"id":"{id}","aliases":{aliases:?},"affected":[{{"package":{{"ecosystem":"{eco}","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{}]}}]}}]}}"#,
                events.join(",")
            );
            let Ok(Loaded::Advisory(a)) = osv::parse(json.as_bytes(), "t", &mut Vec::new()) else {
                panic!("{json}")
            };
            feeds.advisories.push(*a);
        }
        feeds
    }

    fn scan(feeds: &Feeds, eco: &str, name: &str, version: &str) -> Matches {
        let target = Target {
            id: "t".into(),
            components: vec![Arc::new(TargetComponent {
                ecosystem: eco.into(),
                name: name.into(),
                version: version.into(),
                also_named: Vec::new(),
            })]
            .into(),
        };
        match_targets(&[target], feeds)
    }

    /// Targets whose components share starts (places left out, a start left out entirely, an
    /// item in two starts, components of their own) are walked as their plain lists are: the
    /// coverage counts and warnings, the package keys and the findings, target by target.
    #[test]
    fn shared_starts_are_walked_as_the_plain_lists() {
        let comp = |eco: &str, name: &str, version: &str| {
            Arc::new(TargetComponent {
                ecosystem: eco.into(),
                name: name.into(),
                version: version.into(),
                also_named: Vec::new(),
            })
        };
        let both = comp("npm", "both", "1.0.0");
        let one: Arc<[Arc<TargetComponent>]> = vec![
            comp("npm", "a", "1.0.0"),
            comp("PyPI", "b", "2.0"),
            both.clone(),
            comp("Go", "c", "v1.0.0"),
        ]
        .into();
        let two: Arc<[Arc<TargetComponent>]> = vec![both, comp("npm", "d", "0.1.0")].into();
        let lists = [
            SharedList::new(one.clone(), vec![1], vec![comp("npm", "own", "1.0.0")]),
            SharedList::new(one.clone(), vec![0, 1, 2, 3], vec![]),
            SharedList::new(two.clone(), vec![], vec![comp("Go", "c", "v1.0.0")]),
            SharedList::new(one, vec![], vec![]),
            SharedList::new(two, vec![1], vec![]),
        ];
        let target = |i: usize, components| Target {
            id: format!("t{i}"),
            components,
        };
        let shared: Vec<Target> = (lists.iter().enumerate())
            .map(|(i, l)| target(i, l.clone()))
            .collect();
        let plain: Vec<Target> = (lists.iter().enumerate())
            .map(|(i, l)| target(i, l.iter().cloned().collect::<Vec<_>>().into()))
            .collect();
        let mut feeds = feeds(&[
            ("A-1", &[], "npm", "a", "introduced:0"),
            ("B-1", &[], "npm", "both", "introduced:0 fixed:2.0.0"),
            ("C-1", &[], "Go", "c", "introduced:0"),
        ]);
        feeds.coverage.insert("npm".into(), 2);
        feeds.coverage.insert("Go".into(), 1);
        let counts = |c: Vec<Coverage>| -> Vec<(String, usize, usize, bool)> {
            (c.into_iter())
                .map(|c| (c.ecosystem, c.records, c.components, c.checked))
                .collect()
        };
        let npm = ("npm".to_string(), 2, 8, true);
        assert!(counts(coverage(&shared, &feeds)).contains(&npm));
        assert_eq!(
            counts(coverage(&shared, &feeds)),
            counts(coverage(&plain, &feeds))
        );
        let warnings = coverage_warnings(&shared, &feeds);
        assert!(!warnings.is_empty(), "PyPI is covered by nothing");
        assert_eq!(warnings, coverage_warnings(&plain, &feeds));
        let keys: Vec<_> = package_keys(&shared).collect();
        assert_eq!(keys, package_keys(&plain).collect::<Vec<_>>());
        let found = |m: Matches| -> Vec<(String, u32, String)> {
            (m.findings.iter())
                .map(|f| (f.target.to_string(), f.component, f.advisory.to_string()))
                .collect()
        };
        let matched = found(match_targets(&shared, &feeds));
        assert_eq!(matched.len(), 9);
        assert_eq!(matched, found(match_targets(&plain, &feeds)));
    }

    /// (advisory, fixed) per finding, and the recommended upgrade (`Some(None)`: no fix).
    type Outcome = (Vec<(String, Option<String>)>, Option<Option<String>>);

    fn outcome(m: &Matches) -> Outcome {
        let found = m
            .findings
            .iter()
            .map(|f| (f.advisory.to_string(), f.fixed.clone()))
            .collect();
        (found, m.upgrades.get(&(0, 0)).map(|u| chosen(m, u, |_| 0)))
    }

    /// The version `u` chooses for the findings of `m` with a fix, by `urgency`.
    fn chosen(m: &Matches, u: &Upgrade, urgency: impl Fn(&str) -> u8) -> Option<String> {
        let fixable: Vec<(&str, u8)> = m
            .findings
            .iter()
            .filter(|f| f.fixed.is_some())
            .map(|f| (&*f.advisory, urgency(&f.advisory)))
            .collect();
        u.choose(&fixable).map(|c| c.version.to_string())
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn the_fix_is_the_one_on_the_installed_branch() {
        let f = feeds(&[(
            "A-1",
            &[],
            "crates.io",
            "x",
            "introduced:0 fixed:1.2.3 introduced:2.0.0 fixed:2.1.4",
        )]);
        let m = scan(&f, "crates.io", "x", "2.0.5");
        assert_eq!(
            outcome(&m),
            (vec![("A-1".into(), some("2.1.4"))], Some(some("2.1.4")))
        );
        let m = scan(&f, "crates.io", "x", "1.0.0");
        assert_eq!(outcome(&m).0, vec![("A-1".into(), some("1.2.3"))]);
        assert!(scan(&f, "crates.io", "x", "1.5.0").findings.is_empty());
        // Pre-releases of an affected line are affected.
        assert_eq!(scan(&f, "crates.io", "x", "2.1.4-rc.1").findings.len(), 1);
    }

    #[test]
    fn the_upgrade_fixes_everything_and_is_itself_unaffected() {
        // 1.2.0 fixes A but B was introduced in it; 1.2.5 fixes both.
        let f = feeds(&[
            ("A-1", &[], "PyPI", "django", "introduced:0 fixed:1.2.0"),
            ("B-1", &[], "PyPI", "django", "introduced:1.2.0 fixed:1.2.5"),
            (
                "C-1",
                &[],
                "PyPI",
                "django",
                "introduced:1.0 fixed:1.1.post1",
            ),
        ]);
        let m = scan(&f, "PyPI", "Django", "1.1");
        let expected = vec![
            ("A-1".into(), some("1.2.0")),
            ("C-1".into(), some("1.1.post1")),
        ];
        assert_eq!(outcome(&m), (expected, Some(some("1.2.5"))));
    }

    #[test]
    fn no_fix_is_said_so() {
        let f = feeds(&[
            (
                "A-1",
                &[],
                "npm",
                "left-pad",
                "introduced:0 last_affected:1.3.0",
            ),
            ("B-1", &[], "npm", "left-pad", "introduced:0 fixed:1.1.0"),
        ]);
        // Only A: nothing to upgrade to.
        let only_a = feeds(&[(
            "A-1",
            &[],
            "npm",
            "left-pad",
            "introduced:0 last_affected:1.3.0",
        )]);
        let m = scan(&only_a, "npm", "left-pad", "1.0.0");
        assert_eq!(outcome(&m), (vec![("A-1".into(), None)], Some(None)));
        // A and B: A stays without a fix, and does not stop B's fix.
        let m = scan(&f, "npm", "left-pad", "1.0.0");
        let expected = vec![("A-1".into(), None), ("B-1".into(), some("1.1.0"))];
        assert_eq!(outcome(&m), (expected, Some(some("1.1.0"))));
    }

    #[test]
    fn an_advisory_without_a_fix_never_holds_back_the_others() {
        // A has no fix anywhere (every version from 1.0 on); B is fixed in 1.1.0, C in 1.3.0.
        let f = feeds(&[
            ("A-1", &[], "npm", "left-pad", "introduced:1.0.0"),
            ("B-1", &[], "npm", "left-pad", "introduced:0 fixed:1.1.0"),
            (
                "C-1",
                &[],
                "npm",
                "left-pad",
                "introduced:1.0.0 fixed:1.3.0",
            ),
        ]);
        let m = scan(&f, "npm", "left-pad", "1.0.0");
        let expected = vec![
            ("A-1".into(), None),
            ("B-1".into(), some("1.1.0")),
            ("C-1".into(), some("1.3.0")),
        ];
        assert_eq!(outcome(&m), (expected, Some(some("1.3.0"))));
        let u = &m.upgrades.get(&(0, 0)).unwrap();
        let names = |c: &Candidate| c.fixes.iter().cloned().collect::<Vec<_>>();
        assert_eq!(names(&u.candidates[1]), ["B-1", "C-1"]);
    }

    #[test]
    fn a_version_affected_by_a_fixed_advisory_is_skipped() {
        // 1.2.0 fixes A but brings in B, fixed in 1.2.5; C has no fix from 1.2.3 on and does not
        // disqualify 1.2.5 (every later version has it too).
        let f = feeds(&[
            ("A-1", &[], "PyPI", "x", "introduced:0 fixed:1.2.0"),
            ("B-1", &[], "PyPI", "x", "introduced:1.2.0 fixed:1.2.5"),
            ("C-1", &[], "PyPI", "x", "introduced:1.2.3"),
        ]);
        let m = scan(&f, "PyPI", "x", "1.1");
        assert_eq!(outcome(&m).1, Some(some("1.2.5")));
    }

    #[test]
    fn fixes_on_two_branches_go_to_the_most_urgent() {
        // A is fixed only on the 1.x line (1.9.5; every 2.x stays affected); B only in 2.1.
        let f = feeds(&[
            (
                "A-1",
                &[],
                "crates.io",
                "x",
                "introduced:0 fixed:1.9.5 introduced:2.0.0",
            ),
            ("B-1", &[], "crates.io", "x", "introduced:0 fixed:2.1.0"),
        ]);
        let m = scan(&f, "crates.io", "x", "1.8.0");
        let u = &m.upgrades.get(&(0, 0)).unwrap();
        let a_first = |a: &str| u8::from(a == "A-1");
        let b_first = |a: &str| u8::from(a == "B-1");
        assert_eq!(chosen(&m, u, a_first), some("1.9.5"));
        assert_eq!(chosen(&m, u, b_first), some("2.1.0"));
        // Equally urgent: the smaller version.
        assert_eq!(chosen(&m, u, |_| 0), some("1.9.5"));
    }

    #[test]
    fn aliases_merge_into_one_finding_per_component() {
        let f = feeds(&[
            (
                "GHSA-aaaa",
                &["CVE-2026-1"],
                "crates.io",
                "x",
                "introduced:0 fixed:1.0.1",
            ),
            (
                "RUSTSEC-2026-0001",
                &["CVE-2026-1"],
                "crates.io",
                "x",
                "introduced:0 fixed:1.0.2",
            ),
            (
                "RUSTSEC-2026-0002",
                &[],
                "crates.io",
                "x",
                "introduced:0 fixed:0.9.0",
            ),
        ]);
        let m = scan(&f, "crates.io", "x", "1.0.0");
        assert_eq!(m.findings.len(), 1);
        let finding = &m.findings[0];
        assert_eq!(&*finding.advisory, "RUSTSEC-2026-0001");
        assert_eq!(finding.aliases, ["CVE-2026-1", "GHSA-aaaa"]);
        // The merged finding is fixed only where every record is.
        assert_eq!(finding.fixed.as_deref(), Some("1.0.2"));
    }

    #[test]
    fn ecosystems_never_cross_and_releases_narrow() {
        let f = feeds(&[
            (
                "DSA-1",
                &[],
                "Debian:12",
                "openssl",
                "introduced:0 fixed:3.0.11-1~deb12u2",
            ),
            (
                "DSA-2",
                &[],
                "Debian:11",
                "openssl",
                "introduced:0 fixed:1.1.1w-0+deb11u1",
            ),
            (
                "X-1",
                &[],
                "crates.io",
                "openssl",
                "introduced:0 fixed:99.0.0",
            ),
        ]);
        let m = scan(&f, "Debian:12", "openssl", "3.0.11-1~deb12u1");
        assert_eq!(
            outcome(&m).0,
            vec![("DSA-1".into(), some("3.0.11-1~deb12u2"))]
        );
        assert!(
            scan(&f, "Debian:12", "openssl", "3.0.11-1~deb12u2")
                .findings
                .is_empty()
        );
        // The fix and the upgrade are the release's own, never another release's.
        let m = scan(&f, "Debian:11", "openssl", "1.1.1n-0+deb11u5");
        assert_eq!(
            outcome(&m),
            (
                vec![("DSA-2".into(), some("1.1.1w-0+deb11u1"))],
                Some(some("1.1.1w-0+deb11u1"))
            )
        );
        // A component without a release is compared with every release's records (an OS
        // package list always names its release).
        assert_eq!(
            scan(&f, "Debian", "openssl", "1.1.1n-0+deb11u5")
                .findings
                .len(),
            2
        );
    }

    #[test]
    fn ubuntu_pro_hosts_see_their_release_and_pro_records_only() {
        let f = feeds(&[
            (
                "USN-1",
                &[],
                "Ubuntu:22.04:LTS",
                "curl",
                "introduced:0 fixed:7.81.0-1ubuntu1.15",
            ),
            (
                "USN-2",
                &[],
                "Ubuntu:Pro:22.04:LTS",
                "curl",
                "introduced:0 fixed:7.81.0-1ubuntu1.16",
            ),
            (
                "USN-3",
                &[],
                "Ubuntu:24.04:LTS",
                "curl",
                "introduced:0 fixed:8.5.0-2ubuntu10.1",
            ),
            (
                "USN-4",
                &[],
                "Ubuntu:Pro:20.04:LTS",
                "curl",
                "introduced:0 fixed:9",
            ),
        ]);
        let ids = |eco: &str| -> Vec<String> {
            let m = scan(&f, eco, "curl", "7.81.0-1ubuntu1");
            m.findings
                .into_iter()
                .map(|x| x.advisory.to_string())
                .collect()
        };
        assert_eq!(ids("Ubuntu:22.04:LTS"), ["USN-1"]);
        assert_eq!(ids("Ubuntu:Pro:22.04:LTS"), ["USN-1", "USN-2"]);
        assert!(ids("Ubuntu:20.04:LTS").is_empty());
    }

    #[test]
    fn an_rpm_source_package_is_also_found_by_its_binaries() {
        // AlmaLinux names binary RPMs: openssl-libs's record applies to the source package.
        let f = feeds(&[
            (
                "ALSA-1",
                &[],
                "AlmaLinux:9",
                "openssl-libs",
                "introduced:0 fixed:1:3.0.7-28.el9",
            ),
            (
                "ALSA-2",
                &[],
                "AlmaLinux:9",
                "openssl",
                "introduced:0 fixed:1:3.0.7-28.el9",
            ),
            ("ALSA-3", &[], "AlmaLinux:9", "bash", "introduced:0 fixed:9"),
        ]);
        let target = Target {
            id: "t".into(),
            components: vec![Arc::new(TargetComponent {
                ecosystem: "AlmaLinux:9".into(),
                name: "openssl".into(),
                version: "1:3.0.7-27.el9".into(),
                also_named: vec!["openssl-libs".into()],
            })]
            .into(),
        };
        let m = match_targets(&[target], &f);
        assert_eq!(
            outcome(&m),
            (
                vec![
                    ("ALSA-1".into(), some("1:3.0.7-28.el9")),
                    ("ALSA-2".into(), some("1:3.0.7-28.el9"))
                ],
                Some(some("1:3.0.7-28.el9"))
            )
        );
    }

    #[test]
    fn an_unreadable_version_is_a_warning_naming_the_component() {
        let f = feeds(&[("A-1", &[], "PyPI", "x", "introduced:0 fixed:1.0")]);
        let m = scan(&f, "PyPI", "x", "not a version");
        assert!(m.findings.is_empty());
        assert_eq!(m.warnings.len(), 1);
        assert!(m.warnings[0].contains("x (PyPI)"), "{:?}", m.warnings);
    }

    #[test]
    fn coverage_is_counted_per_release() {
        let mut feeds = Feeds::default();
        feeds.coverage.insert("Debian:11".into(), 3);
        feeds.coverage.insert("Ubuntu:Pro:22.04:LTS".into(), 2);
        feeds.coverage.insert("Ubuntu:22.04:LTS".into(), 5);
        feeds.coverage.insert("crates.io".into(), 7);
        let comp = |eco: &str| TargetComponent {
            ecosystem: eco.into(),
            name: "x".into(),
            version: "1.0.0".into(),
            also_named: Vec::new(),
        };
        let target = Target {
            id: "t".into(),
            components: vec![
                Arc::new(comp("Debian:12")),
                Arc::new(comp("Debian")),
                Arc::new(comp("Ubuntu:22.04:LTS")),
                Arc::new(comp("Ubuntu:Pro:22.04:LTS")),
                Arc::new(comp("crates.io")),
                Arc::new(comp("npm")),
            ]
            .into(),
        };
        let got: Vec<(String, usize)> = coverage(std::slice::from_ref(&target), &feeds)
            .into_iter()
            .map(|c| (c.ecosystem, c.records))
            .collect();
        let want = [
            ("Debian", 3),
            ("Debian:12", 0),
            ("Ubuntu:22.04:LTS", 5),
            ("Ubuntu:Pro:22.04:LTS", 7),
            ("crates.io", 7),
            ("npm", 0),
        ];
        let want: Vec<(String, usize)> = want.iter().map(|(e, n)| (e.to_string(), *n)).collect();
        assert_eq!(got, want);
        let warnings = coverage_warnings(&[target], &feeds);
        assert_eq!(
            warnings,
            [
                "t: 1 Debian:12 components not checked: no loaded advisory feed covers Debian:12",
                "t: 1 npm components not checked: no loaded advisory feed covers npm",
            ]
        );
    }
}

//! First sightings: when each finding (environment, package, advisory) was first seen, the
//! detection time its deadline counts from.
//!
//! A fleet has millions of them, so nothing here is a string per finding: environment names and
//! vulnerabilities (package, advisory) are interned once, under the ids the ledger gave them, and
//! a sighting is two integers. Each environment's sightings are one run of (vulnerability, time)
//! pairs sorted by vulnerability, and the times themselves are few (one per plan run that saw
//! something new). The type lives here, beside the [`History`](super::History) that carries it,
//! so that the plan reads it without naming the ledger that fills it.

use chrono::{DateTime, Utc};
use hashbrown::{Equivalent, HashMap};

/// Every first sighting a ledger remembers.
#[derive(Debug, Clone, Default)]
pub struct Sightings {
    /// Environment name -> its id and its run of `seen`.
    envs: HashMap<Box<str>, Span>,
    /// (package, advisory) -> vulnerability id.
    vulns: HashMap<VulnKey, u32>,
    /// (vulnerability id, index into `times`): each environment's run, sorted by vulnerability.
    seen: Vec<(u32, u32)>,
    /// The distinct first-sighting times.
    times: Vec<DateTime<Utc>>,
}

/// A vulnerability's names, looked up as `(&str, &str)` (they hash alike).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct VulnKey {
    package: Box<str>,
    advisory: Box<str>,
}

impl Equivalent<VulnKey> for (&str, &str) {
    fn equivalent(&self, key: &VulnKey) -> bool {
        *key.package == *self.0 && *key.advisory == *self.1
    }
}

#[derive(Debug, Clone, Copy)]
struct Span {
    id: u32,
    start: u32,
    end: u32,
}

/// An environment that [`Sightings`] knows.
#[derive(Debug, Clone, Copy)]
pub struct KnownEnv<'a> {
    id: u32,
    seen: &'a [(u32, u32)],
    times: &'a [DateTime<Utc>],
}

impl KnownEnv<'_> {
    /// The environment's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// When vulnerability `vuln` (an id) was first seen in this environment.
    pub fn first_seen(&self, vuln: u32) -> Option<DateTime<Utc>> {
        let at = self.seen.binary_search_by_key(&vuln, |s| s.0).ok()?;
        Some(self.times[self.seen[at].1 as usize])
    }
}

impl Sightings {
    /// When `advisory` in `package` was first seen in `environment`.
    pub fn get(&self, environment: &str, package: &str, advisory: &str) -> Option<DateTime<Utc>> {
        let env = self.environment(environment)?;
        env.first_seen(self.vuln_id(package, advisory)?)
    }

    /// Whether no sighting is known (a first plan).
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// How many sightings are known.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// The environment named `name`, when known.
    pub fn environment(&self, name: &str) -> Option<KnownEnv<'_>> {
        let span = self.envs.get(name)?;
        Some(KnownEnv {
            id: span.id,
            seen: &self.seen[span.start as usize..span.end as usize],
            times: &self.times,
        })
    }

    /// The id of the vulnerability (`package`, `advisory`), when known.
    pub fn vuln_id(&self, package: &str, advisory: &str) -> Option<u32> {
        self.vulns.get(&(package, advisory)).copied()
    }
}

/// Builds [`Sightings`] from what a ledger stores: its environments and vulnerabilities with
/// their ids, then groups of vulnerabilities first seen together in an environment.
#[derive(Debug, Default)]
pub struct SightingsBuilder {
    names: HashMap<u32, Box<str>>,
    vulns: HashMap<VulnKey, u32>,
    seen: HashMap<u32, Vec<(u32, u32)>>,
    times: Vec<DateTime<Utc>>,
    time_index: HashMap<DateTime<Utc>, u32>,
}

impl SightingsBuilder {
    /// Environment `id` is named `name`.
    pub fn env(&mut self, id: u32, name: &str) {
        self.names.insert(id, name.into());
    }

    /// Vulnerability `id` is `advisory` in `package`.
    pub fn vuln(&mut self, id: u32, package: &str, advisory: &str) {
        let key = VulnKey {
            package: package.into(),
            advisory: advisory.into(),
        };
        self.vulns.insert(key, id);
    }

    /// `vulns` (ids) were first seen in environment `env` (an id) at `at`.
    pub fn seen(&mut self, env: u32, at: DateTime<Utc>, vulns: &[u32]) {
        let next = self.times.len() as u32;
        let time = *self.time_index.entry(at).or_insert(next);
        if time == next {
            self.times.push(at);
        }
        let run = self.seen.entry(env).or_default();
        run.extend(vulns.iter().map(|&v| (v, time)));
    }

    /// The sightings; a vulnerability recorded twice in one environment keeps its earlier time.
    /// Groups of an environment that was never named are left out.
    pub fn build(mut self) -> Sightings {
        let total = self.seen.values().map(Vec::len).sum();
        let mut out = Sightings {
            envs: HashMap::with_capacity(self.names.len()),
            vulns: self.vulns,
            seen: Vec::with_capacity(total),
            times: self.times,
        };
        for (id, name) in self.names {
            let mut run = self.seen.remove(&id).unwrap_or_default();
            let times = &out.times;
            run.sort_unstable_by(|a, b| {
                a.0.cmp(&b.0)
                    .then(times[a.1 as usize].cmp(&times[b.1 as usize]))
            });
            run.dedup_by_key(|s| s.0);
            let start = out.seen.len() as u32;
            out.seen.extend(run);
            let end = out.seen.len() as u32;
            out.envs.insert(name, Span { id, start, end });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-10-{day:02}T09:00:00Z").parse().unwrap()
    }

    fn sightings() -> Sightings {
        let mut b = SightingsBuilder::default();
        b.env(1, "e1");
        b.env(2, "e2");
        b.vuln(10, "serde", "RUSTSEC-1");
        b.vuln(11, "org.apache:log4j", "CVE-2");
        b.vuln(12, "serde", "RUSTSEC-3");
        b.seen(1, at(27), &[11, 10]);
        b.seen(2, at(27), &[12]);
        b.seen(2, at(28), &[10]);
        // Seen again later (a ledger edited by hand): the earlier time stands.
        b.seen(1, at(29), &[10]);
        b.build()
    }

    #[test]
    fn lookups() {
        let s = sightings();
        let case = |env: &str, package: &str, advisory: &str, want: Option<u32>| {
            assert_eq!(
                s.get(env, package, advisory),
                want.map(at),
                "{env}:{package}:{advisory}"
            );
        };
        case("e1", "serde", "RUSTSEC-1", Some(27));
        case("e1", "org.apache:log4j", "CVE-2", Some(27));
        case("e1", "serde", "RUSTSEC-3", None);
        case("e2", "serde", "RUSTSEC-3", Some(27));
        case("e2", "serde", "RUSTSEC-1", Some(28));
        case("e2", "org.apache:log4j", "CVE-2", None);
        case("e3", "serde", "RUSTSEC-1", None);
        case("e1", "org.apache", "log4j:CVE-2", None);
        assert_eq!(s.len(), 4);
        assert!(!s.is_empty());
        assert!(Sightings::default().is_empty());
    }

    #[test]
    fn ids_are_the_ledgers() {
        let s = sightings();
        assert_eq!(s.environment("e2").map(|e| e.id()), Some(2));
        assert_eq!(s.vuln_id("serde", "RUSTSEC-3"), Some(12));
        assert_eq!(s.vuln_id("serde", "CVE-2"), None);
    }
}

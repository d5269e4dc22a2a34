//! First sightings in the ledger: when each finding was first seen, the detection time its
//! deadline counts from.
//!
//! Environments (`sighting_envs`) and vulnerabilities (`sighting_vulns`: package, advisory) are
//! stored once each; a `sightings` row says which vulnerabilities (a JSON array of their ids,
//! ascending) a run first saw in one environment, and when. A first plan of a fleet writes one
//! row per environment, a re-plan only the rows of environments with something new, and nothing
//! at all when nothing is new. [`Ledger::sightings`] reads them into a
//! [`Sightings`], which also says what a run has not seen before.

use chrono::{DateTime, Utc};
use rusqlite::{CachedStatement, Connection, Row, params};

use super::store::{parse_ts, ts};
use super::{Ledger, Result};
use crate::plan::{Sightings, SightingsBuilder};

impl Ledger {
    /// Every first sighting.
    pub fn sightings(&self) -> Result<Sightings> {
        load(self.conn()).map_err(|e| self.err(e))
    }

    /// Records, as first seen in run `run` at `now`, the sightings of `seen` that `known`
    /// (this ledger's sightings, read in the same transaction) lacks; returns how many that was.
    pub fn record_sightings(
        &self,
        run: i64,
        now: DateTime<Utc>,
        known: &Sightings,
        seen: &Seen,
    ) -> Result<usize> {
        let fresh = Fresh::sort(known, seen);
        if fresh.envs.is_empty() {
            return Ok(0);
        }
        fresh
            .write(self.conn(), run, &ts(now))
            .map_err(|e| self.err(e))
    }

    /// Each `sightings` row whose `vulns` is not an ascending JSON array of known
    /// vulnerability ids (the one reference SQLite's foreign keys cannot check).
    pub(super) fn sighting_problems(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut ids = std::collections::HashSet::new();
        each(conn, "SELECT id FROM sighting_vulns", |r| {
            ids.insert(r.get::<_, i64>(0)?);
            Ok(())
        })
        .map_err(|e| self.err(e))?;
        let mut problems = Vec::new();
        each(conn, "SELECT id, vulns FROM sightings ORDER BY id", |r| {
            let text = r.get_ref(1)?.as_str()?;
            let sound = serde_json::from_str::<Vec<i64>>(text).is_ok_and(|v| {
                v.windows(2).all(|w| w[0] < w[1]) && v.iter().all(|id| ids.contains(id))
            });
            if !sound {
                problems.push(format!(
                    "sightings row {}: vulns {} is not an ascending array of sighting_vulns ids",
                    r.get::<_, i64>(0)?,
                    crate::diag::excerpt(text)
                ));
            }
            Ok(())
        })
        .map_err(|e| self.err(e))?;
        Ok(problems)
    }
}

pub use crate::schedule::split_id;

fn load(conn: &Connection) -> rusqlite::Result<Sightings> {
    let mut b = SightingsBuilder::default();
    each(conn, "SELECT id, name FROM sighting_envs", |r| {
        b.env(r.get(0)?, r.get_ref(1)?.as_str()?);
        Ok(())
    })?;
    each(
        conn,
        "SELECT id, package, advisory FROM sighting_vulns",
        |r| {
            b.vuln(r.get(0)?, r.get_ref(1)?.as_str()?, r.get_ref(2)?.as_str()?);
            Ok(())
        },
    )?;
    each(conn, "SELECT env, first_seen, vulns FROM sightings", |r| {
        let at = parse_ts(r.get_ref(1)?.as_str()?)?;
        let vulns = ids(r.get_ref(2)?.as_str()?).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?;
        b.seen(r.get(0)?, at, &vulns);
        Ok(())
    })?;
    Ok(b.build())
}

/// A `vulns` column: a JSON array of ids. The form the ledger writes (`[3,17,42]`) is read
/// directly, a fleet's 3.3 million ids several times faster than through serde_json, which
/// reads any other form (spaces, from an imported ledger) and says what is wrong with a bad one.
fn ids(text: &str) -> serde_json::Result<Vec<u32>> {
    plain_ids(text.as_bytes()).map_or_else(|| serde_json::from_str(text), Ok)
}

/// The ids of `[N,N,...]` (no spaces, no signs, no leading zeros, each fitting a `u32`), or
/// `None` when `text` is anything else.
fn plain_ids(text: &[u8]) -> Option<Vec<u32>> {
    let inner = text.strip_prefix(b"[")?.strip_suffix(b"]")?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    let mut out = Vec::with_capacity(inner.len() / 4 + 1);
    for number in inner.split(|&b| b == b',') {
        let (&first, _) = number.split_first()?;
        if number.len() > 10 || (first == b'0' && number.len() > 1) {
            return None;
        }
        let mut n: u64 = 0;
        for &d in number {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u64::from(d - b'0');
        }
        out.push(u32::try_from(n).ok()?);
    }
    Some(out)
}

fn each(
    conn: &Connection,
    sql: &str,
    mut f: impl FnMut(&Row) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(r)?;
    }
    Ok(())
}

/// A run's sightings, by environment: what [`Ledger::record_sightings`] records.
#[derive(Debug, Default)]
pub struct Seen<'a> {
    /// The distinct vulnerabilities: (package, advisory).
    pub vulns: Vec<(&'a str, &'a str)>,
    /// Each environment once, with the vulnerabilities seen there (indices into `vulns`), in
    /// the order they were seen.
    pub envs: Vec<(&'a str, Vec<u32>)>,
}

#[cfg(test)]
impl<'a> Seen<'a> {
    /// The sightings (environment, package, advisory) of `seen`, in order.
    pub fn of(seen: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Seen<'a> {
        let mut out = Seen::default();
        let (mut envs, mut vulns) = (hashbrown::HashMap::new(), hashbrown::HashMap::new());
        for (env, package, advisory) in seen {
            let next = out.vulns.len() as u32;
            let v = *vulns.entry((package, advisory)).or_insert(next);
            if v == next {
                out.vulns.push((package, advisory));
            }
            let next = out.envs.len();
            let e = *envs.entry(env).or_insert(next);
            if e == next {
                out.envs.push((env, Vec::new()));
            }
            out.envs[e].1.push(v);
        }
        out
    }
}

/// A vulnerability of a new sighting: one the ledger knows (its id), or a new one (its index
/// among [`Seen::vulns`], then among [`Fresh::vulns`]).
#[derive(Clone, Copy)]
enum Vuln {
    Known(u32),
    New(u32),
}

/// The sightings of a run that the ledger lacks, by environment.
struct Fresh<'a> {
    /// Each environment with something new: its name, its id when the ledger knows it, and
    /// what is new there.
    envs: Vec<(&'a str, Option<u32>, Vec<Vuln>)>,
    /// The vulnerabilities the ledger does not know yet, in the order first seen.
    vulns: Vec<(&'a str, &'a str)>,
}

impl<'a> Fresh<'a> {
    /// What of `seen` is not in `known`: each vulnerability and environment looked up once.
    /// On this thread: a run records its sightings while the pool renders and writes, and the
    /// pool would have it wait.
    fn sort(known: &Sightings, seen: &Seen<'a>) -> Fresh<'a> {
        let ids: Vec<Option<u32>> = (seen.vulns.iter())
            .map(|&(package, advisory)| known.vuln_id(package, advisory))
            .collect();
        let mut envs: Vec<(&str, Option<u32>, Vec<Vuln>)> = (seen.envs.iter())
            .filter_map(|(env, vulns)| {
                let known_env = known.environment(env);
                let new: Vec<Vuln> = (vulns.iter())
                    .filter_map(|&v| match ids[v as usize] {
                        Some(id) if known_env.is_some_and(|e| e.first_seen(id).is_some()) => None,
                        Some(id) => Some(Vuln::Known(id)),
                        None => Some(Vuln::New(v)),
                    })
                    .collect();
                (!new.is_empty()).then(|| (*env, known_env.map(|e| e.id()), new))
            })
            .collect();
        // New vulnerabilities numbered in the order first seen.
        let mut number = vec![u32::MAX; seen.vulns.len()];
        let mut vulns = Vec::new();
        for (_, _, new) in &mut envs {
            for v in new.iter_mut() {
                if let Vuln::New(at) = v {
                    let n = &mut number[*at as usize];
                    if *n == u32::MAX {
                        *n = vulns.len() as u32;
                        vulns.push(seen.vulns[*at as usize]);
                    }
                    *at = *n;
                }
            }
        }
        Fresh { envs, vulns }
    }

    /// Writes the new environments, vulnerabilities and a sightings row per environment;
    /// returns how many sightings that was.
    fn write(self, conn: &Connection, run: i64, first_seen: &str) -> rusqlite::Result<usize> {
        let mut w = Writer::new(conn)?;
        let vulns = (self.vulns.iter())
            .map(|(package, advisory)| w.vuln(package, advisory))
            .collect::<rusqlite::Result<Vec<u32>>>()?;
        let mut count = 0;
        let mut ids = Vec::new();
        for (name, id, new) in self.envs {
            let env = match id {
                Some(id) => id,
                None => w.env(name)?,
            };
            ids.clear();
            ids.extend(new.iter().map(|v| match *v {
                Vuln::Known(id) => id,
                Vuln::New(at) => vulns[at as usize],
            }));
            count += w.group(env, run, first_seen, &mut ids)?;
        }
        Ok(count)
    }
}

/// The statements that write sightings, prepared once for a run (or a migration).
pub(super) struct Writer<'c> {
    env: CachedStatement<'c>,
    vuln: CachedStatement<'c>,
    group: CachedStatement<'c>,
}

impl<'c> Writer<'c> {
    pub(super) fn new(conn: &'c Connection) -> rusqlite::Result<Writer<'c>> {
        Ok(Writer {
            env: conn.prepare_cached("INSERT INTO sighting_envs (name) VALUES (?1)")?,
            vuln: conn
                .prepare_cached("INSERT INTO sighting_vulns (package, advisory) VALUES (?1, ?2)")?,
            group: conn.prepare_cached(
                "INSERT INTO sightings (env, first_run, first_seen, vulns) VALUES (?1, ?2, ?3, ?4)",
            )?,
        })
    }

    /// A new environment's id.
    pub(super) fn env(&mut self, name: &str) -> rusqlite::Result<u32> {
        id(self.env.insert([name])?)
    }

    /// A new vulnerability's id.
    pub(super) fn vuln(&mut self, package: &str, advisory: &str) -> rusqlite::Result<u32> {
        id(self.vuln.insert([package, advisory])?)
    }

    /// Records `vulns` (ids, in any order) as first seen in `env` by run `run` at `first_seen`;
    /// returns how many distinct ones that was.
    pub(super) fn group(
        &mut self,
        env: u32,
        run: i64,
        first_seen: &str,
        vulns: &mut Vec<u32>,
    ) -> rusqlite::Result<usize> {
        vulns.sort_unstable();
        vulns.dedup();
        let list = serde_json::to_string(vulns).expect("ids serialise");
        self.group.execute(params![env, run, first_seen, list])?;
        Ok(vulns.len())
    }
}

/// A new row's id, which [`Sightings`] keeps in 32 bits.
fn id(rowid: i64) -> rusqlite::Result<u32> {
    u32::try_from(rowid).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, rowid))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `vulns` column reads as serde_json reads it, whatever it holds: the ledger's own form
    /// directly (taken for every canonical array here), any other through serde_json, a bad
    /// one as an error.
    #[test]
    fn vulns_read_as_serde_json_reads_them() {
        let mut texts: Vec<String> = [
            "[]",
            "[0]",
            "[7]",
            "[4294967295]",
            "[4294967296]",
            "[99999999999]",
            "[01]",
            "[-1]",
            "[1.5]",
            "[1e3]",
            "[1,]",
            "[,1]",
            "[1,,2]",
            "[",
            "]",
            "",
            "null",
            "[1, 2]",
            " [1]",
            "[1]\n",
            "[\"1\"]",
            "[18446744073709551616]",
            "[+1]",
            "[0,0]",
        ]
        .map(String::from)
        .to_vec();
        let mut state = 0x9e37_79b9_u32;
        for len in 0..40 {
            let ids: Vec<u32> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state >> (state % 32)
                })
                .collect();
            let text = serde_json::to_string(&ids).unwrap();
            assert_eq!(plain_ids(text.as_bytes()), Some(ids), "{text}");
            texts.push(text);
        }
        for text in &texts {
            let serde = serde_json::from_str::<Vec<u32>>(text);
            match (ids(text), serde) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{text}: {a:?} but serde_json {b:?}"),
            }
        }
    }
    use crate::ledger::store::RunRow;

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-10-{day:02}T09:00:00Z").parse().unwrap()
    }

    fn count(ledger: &Ledger, table: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {table}");
        ledger.conn().query_row(&sql, [], |r| r.get(0)).unwrap()
    }

    /// Records `seen` as a run at `day`; returns how many were new.
    fn record(ledger: &Ledger, day: u32, seen: &[(&str, &str, &str)]) -> usize {
        let known = ledger.sightings().unwrap();
        let run = ledger
            .insert_run(&RunRow {
                recorded_at: at(day),
                now: at(day),
                inventory_sha256: String::new(),
                feeds: "[]".into(),
                findings: seen.len() as i64,
                windows: 0,
                notices: 0,
                out: None,
            })
            .unwrap();
        let seen = Seen::of(seen.iter().copied());
        ledger
            .record_sightings(run, at(day), &known, &seen)
            .unwrap()
    }

    #[test]
    fn ids_split_at_the_first_and_last_colon() {
        let case = |id: &str, want: (&str, &str, &str)| assert_eq!(split_id(id), want, "{id}");
        case(
            "e1:serde:RUSTSEC-2024-0001",
            ("e1", "serde", "RUSTSEC-2024-0001"),
        );
        case(
            "prod:org.apache.logging.log4j:log4j-core:GHSA-jfh8-c2jp-5v3q",
            (
                "prod",
                "org.apache.logging.log4j:log4j-core",
                "GHSA-jfh8-c2jp-5v3q",
            ),
        );
        case(
            "e1:openssl:ALSA-2024:4312",
            ("e1", "openssl", "ALSA-2024:4312"),
        );
        case("e1:g:a:RHSA-2024:1", ("e1", "g:a", "RHSA-2024:1"));
        case("e1:x", ("e1", "", "x"));
        case("e1:x:2024", ("e1", "x", "2024"));
    }

    #[test]
    fn a_run_records_only_what_is_new() {
        let ledger = Ledger::in_memory().unwrap();
        let first = [
            ("e1", "serde", "RUSTSEC-1"),
            ("e1", "org.apache:log4j", "CVE-2"),
            ("e2", "serde", "RUSTSEC-1"),
            ("e1", "serde", "RUSTSEC-1"),
        ];
        assert_eq!(record(&ledger, 27, &first), 3);
        assert_eq!(count(&ledger, "sightings"), 2, "a row per environment");
        // A re-plan with nothing new writes nothing.
        assert_eq!(record(&ledger, 28, &first), 0);
        assert_eq!(count(&ledger, "sightings"), 2);
        let more = [
            ("e2", "org.apache:log4j", "CVE-2"),
            ("e3", "serde", "RUSTSEC-3"),
        ];
        assert_eq!(record(&ledger, 29, &[&first[..], &more[..]].concat()), 2);
        assert_eq!(count(&ledger, "sightings"), 4);
        assert_eq!(count(&ledger, "sighting_envs"), 3);
        assert_eq!(count(&ledger, "sighting_vulns"), 3);
        let seen = ledger.sightings().unwrap();
        let case = |env: &str, package: &str, advisory: &str, day: u32| {
            let got = seen.get(env, package, advisory);
            assert_eq!(got, Some(at(day)), "{env}:{package}:{advisory}");
        };
        case("e1", "serde", "RUSTSEC-1", 27);
        case("e1", "org.apache:log4j", "CVE-2", 27);
        case("e2", "serde", "RUSTSEC-1", 27);
        case("e2", "org.apache:log4j", "CVE-2", 29);
        case("e3", "serde", "RUSTSEC-3", 29);
        assert_eq!(seen.len(), 5);
        assert!(ledger.sighting_problems().unwrap().is_empty());
    }
}

//! The move of a version 3 ledger's rows into version 4's tables (see [`super::schema`]): the
//! part of that migration SQL cannot do, as it needs hashing, compression and ids that are
//! split at their last `:`.
//!
//! A version 3 finding id is `ENVIRONMENT:PACKAGE:ADVISORY`, split by [`split_id`].

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;

use super::contents::{StoredFile, insert_files};
use super::sightings::{Writer, split_id};

/// Moves first sightings out of `findings` and notice files out of `notice_files_v3`, then
/// drops both.
pub(super) fn move_rows(conn: &Connection) -> rusqlite::Result<()> {
    move_findings(conn)?;
    move_notice_files(conn)?;
    conn.execute_batch("DROP TABLE findings; DROP TABLE notice_files_v3;")
}

fn move_findings(conn: &Connection) -> rusqlite::Result<()> {
    let mut w = Writer::new(conn)?;
    let mut envs: HashMap<String, u32> = HashMap::new();
    let mut vulns: HashMap<String, HashMap<String, u32>> = HashMap::new();
    // (first run, environment, first seen) -> vulnerability ids: a sightings row each.
    let mut groups: BTreeMap<(i64, u32, String), Vec<u32>> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT id, first_seen, first_run FROM findings ORDER BY rowid")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (env, package, advisory) = split_id(r.get_ref(0)?.as_str()?);
        let env = match envs.get(env) {
            Some(&id) => id,
            None => {
                let id = w.env(env)?;
                envs.insert(env.to_string(), id);
                id
            }
        };
        if !vulns.contains_key(package) {
            vulns.insert(package.to_string(), HashMap::new());
        }
        let by_advisory = vulns.get_mut(package).expect("inserted above");
        let vuln = match by_advisory.get(advisory) {
            Some(&id) => id,
            None => {
                let id = w.vuln(package, advisory)?;
                by_advisory.insert(advisory.to_string(), id);
                id
            }
        };
        let group = (r.get(2)?, env, r.get(1)?);
        groups.entry(group).or_default().push(vuln);
    }
    for ((run, env, first_seen), mut ids) in groups {
        w.group(env, run, &first_seen, &mut ids)?;
    }
    Ok(())
}

fn move_notice_files(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt =
        conn.prepare("SELECT notice, path, content FROM notice_files_v3 ORDER BY rowid")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let file = StoredFile::new(r.get_ref(1)?.as_str()?, r.get_ref(2)?.as_str()?);
        insert_files(conn, r.get(0)?, &[file])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Ledger, schema};

    /// A version 3 ledger made by hand: two runs, five findings (one of a Maven package, one of
    /// an erratum whose id has a `:`), and a notice with two files of the same content.
    const V3_ROWS: &str = r#"
        INSERT INTO runs (id, recorded_at, now, inventory_sha256, feeds, findings, windows, notices, out)
        VALUES (1, '2026-10-27T09:00:01Z', '2026-10-27T09:00:00Z', 'x', '[]', 3, 1, 1, NULL),
               (2, '2026-10-28T09:00:01Z', '2026-10-28T09:00:00Z', 'x', '[]', 4, 1, 0, NULL);
        INSERT INTO findings (id, first_seen, first_run, last_run) VALUES
            ('e1:serde:RUSTSEC-2024-0001', '2026-10-27T09:00:00Z', 1, 2),
            ('e1:org.apache.logging.log4j:log4j-core:GHSA-jfh8-c2jp-5v3q', '2026-10-27T09:00:00Z', 1, 2),
            ('e2:serde:RUSTSEC-2024-0001', '2026-10-27T09:00:00Z', 1, 1),
            ('e2:openssl:DLA-3530-1', '2026-10-28T09:00:00Z', 2, 2),
            ('e2:openssl:ALSA-2024:4312', '2026-10-28T09:00:00Z', 2, 2);
        INSERT INTO windows (key, customer, kind, current_id, uid, sequence, start, end, state, facts, snapshot, created_run)
        VALUES ('w', 'c1', 'planned', 'w', 'uid', 0, '2026-11-01T06:00:00Z', '2026-11-01T08:00:00Z', 'planned', '', '{}', 1);
        INSERT INTO notices (seq, id, window_key, customer, occurrence, kind, uid, sequence, window_start, window_end, content_sha256, issued_at, run)
        VALUES (1, 'w.scheduled', 'w', 'c1', 'w', 'scheduled', 'uid', 0, '2026-11-01T06:00:00Z', '2026-11-01T08:00:00Z', 'x', '2026-10-27T09:00:00Z', 1);
        INSERT INTO notice_files (notice, path, content) VALUES
            (1, 'notices/c1/w.scheduled.txt', 'Dear c1,'), (1, 'notices/c1/w.scheduled.md', 'Dear c1,');
    "#;

    fn at(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(t.parse().unwrap())
    }

    #[test]
    fn a_version_3_ledger_keeps_its_first_sightings_and_notice_files() {
        let conn = Connection::open_in_memory().unwrap();
        schema::migrate(&conn, 0, 3).unwrap();
        conn.execute_batch(V3_ROWS).unwrap();
        let ledger = Ledger {
            conn,
            path: ":memory:".into(),
            checkpoint: Default::default(),
        };
        ledger.migrate().unwrap();
        assert_eq!(
            schema::verify(ledger.conn(), schema::VERSION).unwrap(),
            None
        );
        assert_eq!(ledger.check().unwrap(), (schema::VERSION, vec![]));
        // Version 5 compressed the window's snapshot.
        let snapshot: Vec<u8> = (ledger.conn())
            .query_row("SELECT snapshot FROM windows WHERE key = 'w'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(crate::ledger::contents::inflate(&snapshot).unwrap(), "{}");
        let seen = ledger.sightings().unwrap();
        let case = |env: &str, package: &str, advisory: &str, want: &str| {
            let got = seen.get(env, package, advisory);
            assert_eq!(got, at(want), "{env}:{package}:{advisory}");
        };
        case("e1", "serde", "RUSTSEC-2024-0001", "2026-10-27T09:00:00Z");
        case(
            "e1",
            "org.apache.logging.log4j:log4j-core",
            "GHSA-jfh8-c2jp-5v3q",
            "2026-10-27T09:00:00Z",
        );
        case("e2", "serde", "RUSTSEC-2024-0001", "2026-10-27T09:00:00Z");
        case("e2", "openssl", "DLA-3530-1", "2026-10-28T09:00:00Z");
        case("e2", "openssl", "ALSA-2024:4312", "2026-10-28T09:00:00Z");
        assert_eq!(seen.len(), 5);
        let files = ledger.notice_files(1).unwrap();
        let want =
            ["md", "txt"].map(|f| (format!("notices/c1/w.scheduled.{f}"), "Dear c1,".into()));
        assert_eq!(files, want);
        let stored: i64 = (ledger.conn())
            .query_row("SELECT count(*) FROM notice_contents", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 1, "one content, stored once");
    }
}

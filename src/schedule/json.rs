//! A window as JSON: byte for byte what its `Serialize` gives with serde_json (a test holds the
//! two together), several times faster. A fleet's 20,000 windows, 84 MB of JSON, are written
//! twice per run (plan.json's `windows` and the ledger's snapshots, compared with the stored
//! ones), at the end of a run's critical path.

use super::{FindingIds, Ids, Reminder, Task, Window};
use crate::json_bytes::{
    array, boolean, integer, key, key_instant, key_opt, key_str, number, string,
};

/// `w` as a JSON object.
pub fn window(buf: &mut Vec<u8>, w: &Window) {
    buf.extend_from_slice(b"{\"id\":");
    string(buf, &w.id);
    key_str(buf, "customer", &w.customer);
    key_str(buf, "kind", w.kind.as_str());
    key_opt(buf, "window", w.window.as_deref());
    key_instant(buf, "start", &w.start);
    key_instant(buf, "end", &w.end);
    key_str(buf, "timezone", &w.timezone);
    key(buf, "environments");
    array(buf, &w.environments, |b, e| string(b, e));
    key(buf, "tasks");
    array(buf, &w.tasks, task);
    key(buf, "reasons");
    array(buf, &w.reasons, |b, r| string(b, r));
    key(buf, "reminders");
    array(buf, &w.reminders, reminder);
    buf.push(b'}');
}

fn task(buf: &mut Vec<u8>, t: &Task) {
    buf.extend_from_slice(b"{\"environment\":");
    string(buf, &t.environment);
    key_str(buf, "ecosystem", &t.ecosystem);
    key_str(buf, "package", &t.package);
    key_str(buf, "from", &t.from);
    key_str(buf, "to", &t.to);
    key(buf, "findings");
    findings(buf, &t.findings);
    key_str(buf, "decision", t.decision.as_str());
    match &t.deadline {
        Some(d) => key_instant(buf, "deadline", d),
        None => key_opt(buf, "deadline", None),
    }
    key(buf, "minutes");
    integer(buf, t.minutes);
    key(buf, "downtime_minutes");
    number(buf, t.downtime_minutes);
    key_str(buf, "restart", t.restart.as_str());
    if let Some(install) = &t.install {
        key_str(buf, "install", install);
    }
    key_instant(buf, "start", &t.start);
    key(buf, "deadline_missed");
    boolean(buf, t.deadline_missed);
    buf.push(b'}');
}

/// The ids as a JSON array, each made where it is written.
pub(super) fn findings(buf: &mut Vec<u8>, ids: &FindingIds) {
    match &ids.0 {
        Ids::Shared { prefix, advisories } => {
            let plain_prefix = crate::json_bytes::plain(prefix);
            array(buf, advisories, |b, a| {
                if plain_prefix && crate::json_bytes::plain(a) {
                    b.push(b'"');
                    b.extend_from_slice(prefix.as_bytes());
                    b.extend_from_slice(a.as_bytes());
                    b.push(b'"');
                } else {
                    string(b, &format!("{prefix}{a}"));
                }
            })
        }
        Ids::Listed(listed) => array(buf, listed, |b, id| string(b, id)),
    }
}

fn reminder(buf: &mut Vec<u8>, r: &Reminder) {
    buf.extend_from_slice(b"{\"before\":");
    string(buf, &r.before);
    key_instant(buf, "at", &r.at);
    if let Some(skipped) = &r.skipped {
        key_str(buf, "skipped", skipped);
    }
    buf.push(b'}');
}

/// [`window`] into a new buffer.
pub fn window_vec(w: &Window) -> Vec<u8> {
    let mut buf = Vec::with_capacity(1024);
    window(&mut buf, w);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Decision;
    use crate::inputs::restart::Restart;
    use crate::schedule::WindowKind;
    use std::sync::Arc;

    fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
        text.parse().unwrap()
    }

    fn a_task(n: usize, odd: &str) -> Task {
        Task {
            environment: format!("prod-{n}"),
            ecosystem: "crates.io".into(),
            package: format!("pkg{odd}"),
            from: "1.0.0".into(),
            to: "1.0.1".into(),
            findings: match n % 3 {
                0 => FindingIds::new(&format!("prod-{n}"), "pkg", vec![Arc::from("CVE-1")]),
                1 => FindingIds::from(vec![format!("prod:x{odd}:GHSA-1"), "b:c:d".into()]),
                _ => FindingIds::new(
                    "prod",
                    &format!("p{odd}"),
                    vec![Arc::from("A"), Arc::from("B")],
                ),
            },
            decision: [
                Decision::Track,
                Decision::TrackStar,
                Decision::Attend,
                Decision::Act,
            ][n % 4],
            deadline: n.is_multiple_of(2).then(|| at("2026-11-01T09:00:00Z")),
            minutes: [15, 0, -5, 120][n % 4],
            downtime_minutes: n as u32,
            restart: [Restart::None, Restart::Service, Restart::Reboot][n % 3],
            install: (n % 2 == 1).then(|| format!("apt-get install --only-upgrade 'x{odd}'")),
            start: at(["2026-10-27T11:00:00Z", "2026-10-27T11:15:00.25Z"][n % 2]),
            deadline_missed: n % 2 == 1,
        }
    }

    /// Every field and every shape a field takes (null and not, skipped and not, strings that
    /// need escaping, fractional seconds) writes as serde_json writes it.
    #[test]
    fn windows_are_written_as_serde_json_writes_them() {
        for (n, odd) in ["", "\"q\"", "\\", "\u{1}\n", "é"].iter().enumerate() {
            let w = Window {
                id: format!("c{odd}.sunday.2026-11-01"),
                customer: format!("c{odd}"),
                kind: [WindowKind::Planned, WindowKind::Emergency][n % 2],
                window: (n % 2 == 0).then(|| format!("sunday{odd}")),
                start: at("2026-11-01T01:00:00Z"),
                end: at("2026-11-01T05:00:00.000001Z"),
                timezone: "Europe/Madrid".into(),
                environments: (0..n).map(|i| format!("e{i}{odd}")).collect(),
                tasks: (0..n + 1).map(|i| a_task(i + n, odd)).collect(),
                reasons: (0..n).map(|i| format!("reason {i}{odd}")).collect(),
                reminders: (0..n)
                    .map(|i| Reminder {
                        before: format!("{i}d{odd}"),
                        at: at("2026-10-31T01:00:00Z"),
                        skipped: (i % 2 == 1).then(|| format!("passed{odd}")),
                    })
                    .collect(),
            };
            let ours = String::from_utf8(window_vec(&w)).unwrap();
            assert_eq!(ours, serde_json::to_string(&w).unwrap());
            // (`FindingIds` serialises through `findings` too: its ids against serde's own.)
            for t in w.tasks.iter() {
                let ids: Vec<String> = t.findings.entries().map(|(id, _)| id.into()).collect();
                let mut written = Vec::new();
                findings(&mut written, &t.findings);
                assert_eq!(written, serde_json::to_vec(&ids).unwrap());
            }
        }
    }
}

//! `send` and `plan --send` against real servers on 127.0.0.1 started here: an SMTP server
//! (Python's aiosmtpd, `tests/delivery/smtp_server.py`; the received mail is read back with
//! Python's `email` package by `tests/delivery/read_mail.py`) and an HTTP server written below.
//! Faults: servers down, every kind of refusal, a server that stalls, and `send` killed at random
//! moments.
//!
//! The tests that need aiosmtpd say on stderr that they skipped when it is not installed, and
//! fail instead under `PATCHPLAN_REQUIRE_SHARED=1` (as CI sets it; `.ci/run` installs it).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

const SECRET: &str = "s3cret-shared-with-the-customer";

mod servers;
use servers::*;

/// A copy of the example that sends mail to `smtp_port` and, for outback-wireless, to the
/// webhook at `hook_port`, with fast retries.
fn example_for(smtp_port: u16, hook_port: Option<u16>) -> tempfile::TempDir {
    let tmp = example_copy();
    let config = tmp.path().join("inventory/patchplan.toml");
    edit(
        &config,
        "smtp = \"smtp://127.0.0.1:2525\"",
        &format!("smtp = \"smtp://127.0.0.1:{smtp_port}\""),
    );
    edit(&config, "timeout = \"30s\"", "timeout = \"2s\"");
    edit(&config, "max_attempts = 5", "max_attempts = 3");
    if let Some(port) = hook_port {
        edit(
            &tmp.path().join("inventory/customers/outback-wireless.toml"),
            "reminders = [\"24h\"]",
            &format!(
                "webhook = {{ url = \"http://127.0.0.1:{port}/hooks/maintenance\", secret_env = \"OUTBACK_WEBHOOK_SECRET\" }}\nreminders = [\"24h\"]"
            ),
        );
    }
    tmp
}

/// Runs patchplan in `dir` with the webhook secret set.
fn pp(dir: &Path, args: &[&str]) -> Output {
    command(dir, args)
        .env("OUTBACK_WEBHOOK_SECRET", SECRET)
        .output()
        .unwrap()
}

fn send_json(dir: &Path, now: &str) -> (Option<i32>, Value) {
    let o = pp(dir, &["send", "--now", now, "--format", "json"]);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(&o), stderr(&o)));
    (o.status.code(), v)
}

fn states(report: &Value) -> Vec<(String, String, String, String)> {
    report["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap().to_string();
            (s("notice"), s("channel"), s("recipient"), s("state"))
        })
        .collect()
}

/// The notice JSON views `plan` wrote, by notice id.
fn views(dir: &Path) -> BTreeMap<String, Value> {
    let plan: Value = crate::common::read_plan(&dir.join("out/plan.json"));
    plan["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let json = n["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .find(|f| f.ends_with(".json"))
                .unwrap();
            let text = std::fs::read_to_string(dir.join("out").join(json)).unwrap();
            (
                n["id"].as_str().unwrap().to_string(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

/// `plan --send` on the example delivers every due notice, once, to every contact: the right
/// recipients, subject, parts, calendar method and Message-ID; a second `send` sends nothing;
/// reminders go when their time comes, without a calendar part.
#[test]
fn plan_send_delivers_every_due_notice_by_email() {
    let mail = tempfile::tempdir().unwrap();
    let Some(server) = smtp_server("plan_send_delivers_every_due_notice_by_email", mail.path())
    else {
        return;
    };
    let tmp = example_for(server.port, None);
    let dir = tmp.path();
    let o = pp(dir, &["plan", "--now", NOW, "--send"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("20 sent, 0 failed"), "{}", stdout(&o));
    let views = views(dir);
    let due: Vec<&Value> = views
        .values()
        .filter(|v| v["send_at"].as_str().unwrap() <= "2026-10-27T09:00:00Z")
        .collect();
    assert_eq!(due.len(), 12, "5 emergencies and 7 scheduled windows");
    let got = received(&server.dir);
    let mut expected = 0;
    for v in &due {
        let id = v["id"].as_str().unwrap();
        let contacts: Vec<&str> = v["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap())
            .collect();
        for rcpt in &contacts {
            expected += 1;
            let mine: Vec<&Value> = got
                .iter()
                .filter(|m| m["message_id"] == format!("<{id}@wispgate.example>"))
                .filter(|m| m["rcpt_tos"] == serde_json::json!([rcpt]))
                .collect();
            assert_eq!(mine.len(), 1, "{id} to {rcpt}");
            let m = mine[0];
            assert_eq!(m["subject"], v["subject"]);
            assert_eq!(
                m["from"],
                "WISPGate Networks <maintenance@wispgate.example>"
            );
            assert_eq!(m["to"], serde_json::json!(contacts));
            assert_eq!(m["top"], "multipart/alternative");
            let types: Vec<&str> = (m["parts"].as_array().unwrap().iter())
                .map(|p| p["type"].as_str().unwrap())
                .collect();
            assert_eq!(types, ["text/plain", "text/html", "text/calendar"], "{id}");
            let parts = m["parts"].as_array().unwrap();
            let txt = std::fs::read_to_string(dir.join(format!(
                "out/notices/{}/{id}.txt",
                v["customer"]["id"].as_str().unwrap()
            )))
            .unwrap();
            assert_eq!(
                parts[0]["body"].as_str().unwrap().trim_end(),
                txt.trim_end()
            );
            assert_eq!(parts[2]["method"], "REQUEST");
            assert!(
                parts[2]["body"]
                    .as_str()
                    .unwrap()
                    .contains("METHOD:REQUEST")
            );
            if let Some(uids) = parts[2]["ical_uids"].as_array() {
                assert_eq!(parts[2]["ical_method"], "REQUEST");
                assert_eq!(uids, &vec![v["uid"].clone()]);
            }
        }
    }
    assert_eq!(got.len(), expected, "no other mail");
    // Nothing new: nothing sent.
    let o = pp(dir, &["send", "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "nothing to send at 2026-10-27T09:00:00Z\n");
    assert_eq!(received(&server.dir).len(), expected);
    // Later, the reminders due by then: plain mails, no invitation.
    let later = "2026-10-31T06:00:00Z";
    let (code, report) = send_json(dir, later);
    assert_eq!(code, Some(0));
    let reminders: Vec<&Value> = views
        .values()
        .filter(|v| v["kind"] == "reminder" && v["send_at"].as_str().unwrap() <= later)
        .collect();
    assert!(!reminders.is_empty());
    let sent = states(&report);
    assert!(
        sent.iter()
            .all(|s| s.0.contains(".reminder-") && s.3 == "sent")
    );
    let all = received(&server.dir);
    for v in reminders {
        let id = v["id"].as_str().unwrap();
        let m = (all.iter())
            .find(|m| m["message_id"] == format!("<{id}@wispgate.example>"))
            .unwrap_or_else(|| panic!("{id} was not sent"));
        let types: Vec<&str> = (m["parts"].as_array().unwrap().iter())
            .map(|p| p["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["text/plain", "text/html"], "{id}");
    }
    // `history` shows the deliveries.
    let h = pp(dir, &["history", "--customer", "outback-wireless"]);
    assert!(stdout(&h).contains("Deliveries"), "{}", stdout(&h));
    assert!(stdout(&h).contains("ops@outbackwireless.example"));
}

/// A port on 127.0.0.1 that nothing listens on (bound, then let go): a mail server that is
/// down.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The webhook gets each notice's JSON, exactly as written, with the notice id as
/// Idempotency-Key and a signature that Python's `hmac` verifies.
#[test]
fn webhook_body_signature_and_idempotency_key() {
    let hook = http_server(204);
    // No SMTP server: email fails (and is retried later); the webhook is independent of it.
    let closed = closed_port();
    let tmp = example_for(closed, Some(hook.port));
    let dir = tmp.path();
    let o = pp(dir, &["plan", "--now", NOW, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (code, report) = send_json(dir, NOW);
    assert_eq!(code, Some(1), "the mail failed");
    let hooks: Vec<_> = states(&report)
        .into_iter()
        .filter(|s| s.1 == "webhook")
        .collect();
    assert_eq!(hooks.len(), 2, "outback's emergency and scheduled notice");
    assert!(hooks.iter().all(|s| s.3 == "sent"), "{hooks:?}");
    let requests = hook.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    let views = views(dir);
    for r in &requests {
        let key = &r.headers["idempotency-key"];
        let view = &views[key];
        let file = format!("out/notices/outback-wireless/{key}.json");
        assert_eq!(r.body, std::fs::read(dir.join(file)).unwrap());
        assert_eq!(view["id"].as_str().unwrap(), key);
        assert_eq!(r.headers["content-type"], "application/json");
        let body = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(body.path(), &r.body).unwrap();
        let check = Command::new("python3")
            .args([
                "-c",
                "import hmac, hashlib, sys; body = open(sys.argv[1], 'rb').read(); \
                 good = 'sha256=' + hmac.new(sys.argv[2].encode(), body, hashlib.sha256).hexdigest(); \
                 sys.exit(0 if hmac.compare_digest(good, sys.argv[3]) else 1)",
            ])
            .arg(body.path())
            .arg(SECRET)
            .arg(&r.headers["x-patchplan-signature-256"])
            .status()
            .unwrap();
        assert!(check.success(), "signature of {key} does not verify");
    }
    // The mail that failed is waiting for its retry; the webhooks are not sent again.
    let (code, report) = send_json(dir, NOW);
    assert_eq!(code, Some(1));
    assert!(
        states(&report)
            .iter()
            .all(|s| s.1 == "email" && s.3 == "failed")
    );
    assert_eq!(hook.requests.lock().unwrap().len(), 2);
}

/// Each kind of failure: transient ones are retried by a later run after the backoff, up to
/// max_attempts, permanent ones are given up at once; a server that was down gets everything
/// once it is up, and nothing is lost; a stalling server times out.
#[test]
fn failures_are_retried_or_given_up_by_kind() {
    let hook = http_server(503);
    let closed = closed_port();
    let tmp = example_for(closed, Some(hook.port));
    let dir = tmp.path();
    assert_eq!(
        pp(dir, &["plan", "--now", NOW, "--quiet"]).status.code(),
        Some(0)
    );
    // Attempt 1: SMTP refused, webhook 503.
    let (code, r) = send_json(dir, NOW);
    assert_eq!(code, Some(1));
    let ds = r["deliveries"].as_array().unwrap();
    assert_eq!(ds.len(), 22);
    for d in ds {
        assert_eq!(d["state"], "failed", "{d}");
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["permanent"], false);
        let next = d["next_attempt_at"].as_str().unwrap();
        assert_eq!(next, "2026-10-27T09:05:00Z", "5m backoff");
    }
    let hooks = |r: &Value| -> Vec<Value> {
        (r["deliveries"].as_array().unwrap().iter())
            .filter(|d| d["channel"] == "webhook")
            .cloned()
            .collect()
    };
    assert!(hooks(&r)[0]["error"].as_str().unwrap().contains("503"));
    // Before the backoff: nothing attempted.
    let (_, r) = send_json(dir, "2026-10-27T09:04:00Z");
    assert!(
        r["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["attempts"] == 1)
    );
    // 429, then 408: still transient; the third attempt is the last (max_attempts = 3).
    hook.status.store(429, Ordering::SeqCst);
    let (_, r) = send_json(dir, "2026-10-27T09:05:00Z");
    assert!(
        hooks(&r)
            .iter()
            .all(|d| d["state"] == "failed" && d["attempts"] == 2)
    );
    assert_eq!(
        hooks(&r)[0]["next_attempt_at"],
        "2026-10-27T09:15:00Z",
        "doubled"
    );
    hook.status.store(408, Ordering::SeqCst);
    let (code, r) = send_json(dir, "2026-10-27T09:15:00Z");
    assert_eq!(code, Some(1));
    assert!(
        hooks(&r)
            .iter()
            .all(|d| d["state"] == "gave_up" && d["attempts"] == 3)
    );
    // Mail gave up too; a new plan's notices meet a webhook that refuses for good.
    for (status, permanent) in [(400, true), (404, true), (410, true)] {
        let tmp = example_for(closed, Some(hook.port));
        let dir = tmp.path();
        hook.status.store(status, Ordering::SeqCst);
        assert_eq!(
            pp(dir, &["plan", "--now", NOW, "--quiet"]).status.code(),
            Some(0)
        );
        let (code, r) = send_json(dir, NOW);
        assert_eq!(code, Some(1));
        for d in hooks(&r) {
            assert_eq!(d["state"], "gave_up", "{status}");
            assert_eq!(d["permanent"], permanent);
            assert!(d["error"].as_str().unwrap().contains(&status.to_string()));
        }
    }
    // A server that stalls: timed out (timeout = "2s"), retried later, and once it answers,
    // delivered: nothing lost.
    let tmp = example_for(closed, Some(hook.port));
    let dir = tmp.path();
    hook.status.store(0, Ordering::SeqCst);
    assert_eq!(
        pp(dir, &["plan", "--now", NOW, "--quiet"]).status.code(),
        Some(0)
    );
    let started = Instant::now();
    let (code, r) = send_json(dir, NOW);
    assert_eq!(code, Some(1));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "one timeout per server, not per message"
    );
    for d in hooks(&r) {
        assert_eq!(d["state"], "failed");
        assert!(d["error"].as_str().unwrap().contains("timed out"), "{d}");
    }
    hook.status.store(200, Ordering::SeqCst);
    let before = hook.requests.lock().unwrap().len();
    let (_, r) = send_json(dir, "2026-10-27T10:00:00Z");
    assert!(
        hooks(&r)
            .iter()
            .all(|d| d["state"] == "sent" && d["attempts"] == 2)
    );
    assert_eq!(hook.requests.lock().unwrap().len(), before + 2);
}

/// SMTP replies: 451 is retried, then delivered when the server accepts; a 550 for one
/// recipient gives up that recipient only.
#[test]
fn smtp_replies_4xx_retried_5xx_given_up() {
    let mail = tempfile::tempdir().unwrap();
    let Some(server) = smtp_server("smtp_replies_4xx_retried_5xx_given_up", mail.path()) else {
        return;
    };
    let tmp = example_for(server.port, None);
    let dir = tmp.path();
    edit(
        &dir.join("inventory/customers/outback-wireless.toml"),
        "contacts = [{ name = \"Operations\", email = \"ops@outbackwireless.example\" }]",
        "contacts = [{ name = \"Operations\", email = \"ops@outbackwireless.example\" }, { name = \"Gone\", email = \"reject-gone@outbackwireless.example\" }]",
    );
    assert_eq!(
        pp(dir, &["plan", "--now", NOW, "--quiet"]).status.code(),
        Some(0)
    );
    std::fs::write(server.dir.join("mode"), "451 4.3.0 Try again later").unwrap();
    let (code, r) = send_json(dir, NOW);
    assert_eq!(code, Some(1));
    for (notice, _, rcpt, state) in states(&r) {
        let want = if rcpt.starts_with("reject-") {
            "gave_up"
        } else {
            "failed"
        };
        assert_eq!(state, want, "{notice} {rcpt}");
    }
    assert!(received(&server.dir).is_empty());
    std::fs::remove_file(server.dir.join("mode")).unwrap();
    let (code, r) = send_json(dir, "2026-10-27T09:10:00Z");
    assert_eq!(
        code,
        Some(0),
        "the given-up ones are not attempted again: {r}"
    );
    assert!(states(&r).iter().all(|s| s.3 == "sent"));
    assert_eq!(received(&server.dir).len(), 20);
    let h: Value =
        serde_json::from_slice(&pp(dir, &["history", "--format", "json"]).stdout).unwrap();
    let gave_up: Vec<&Value> = (h["deliveries"].as_array().unwrap().iter())
        .filter(|d| d["state"] == "gave_up")
        .collect();
    assert_eq!(gave_up.len(), 2);
    assert!(
        gave_up
            .iter()
            .all(|d| d["error"].as_str().unwrap().contains("550"))
    );
}

/// An inventory of `n` customers, each with one contact, a webhook and an internet-facing
/// gateway that needs an emergency fix: `n` emergency notices due at once.
fn fleet(dir: &Path, n: usize, smtp_port: u16, hook_port: u16) {
    let inv = dir.join("inventory");
    for sub in ["customers", "environments"] {
        std::fs::remove_dir_all(inv.join(sub)).unwrap();
        std::fs::create_dir_all(inv.join(sub)).unwrap();
    }
    std::fs::write(inv.join("overrides.toml"), "").unwrap();
    let config = inv.join("patchplan.toml");
    edit(
        &config,
        "smtp = \"smtp://127.0.0.1:2525\"",
        &format!("smtp = \"smtp://127.0.0.1:{smtp_port}\""),
    );
    edit(&config, "rate = 60", "rate = 100000");
    edit(&config, "vex = [\"vex/*.json\"]", "vex = []");
    for i in 0..n {
        std::fs::write(
            inv.join(format!("customers/c{i:03}.toml")),
            format!(
                "id = \"c{i:03}\"\nname = \"Customer {i}\"\ncontacts = [{{ name = \"NOC\", email = \"noc@c{i:03}.example\" }}]\nwebhook = {{ url = \"http://127.0.0.1:{hook_port}/c{i:03}\", secret_env = \"OUTBACK_WEBHOOK_SECRET\" }}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            inv.join(format!("environments/e{i:03}.toml")),
            format!(
                "id = \"e{i:03}\"\ncustomer = \"c{i:03}\"\nname = \"Gateway {i}\"\nexposure = \"internet\"\ncriticality = \"high\"\nstacks = [\"wispgate-edge-7.2\"]\n"
            ),
        )
        .unwrap();
    }
}

/// kill -9 of `send` at random moments over 200 notices (400 deliveries), repeated; then a
/// last run completes. Every notice reached its contact and its webhook at least once and at
/// most twice, and every copy carries the notice's own Message-ID and Idempotency-Key.
#[test]
fn send_killed_at_random_moments_loses_nothing_and_duplicates_at_most_the_one_in_flight() {
    let mail = tempfile::tempdir().unwrap();
    let test =
        "send_killed_at_random_moments_loses_nothing_and_duplicates_at_most_the_one_in_flight";
    let Some(server) = smtp_server(test, mail.path()) else {
        return;
    };
    let hook = http_server(200);
    let tmp = example_copy();
    let dir = tmp.path();
    fleet(dir, 200, server.port, hook.port);
    let o = pp(dir, &["plan", "--now", NOW, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let notices: Vec<String> = views(dir).into_keys().collect();
    assert_eq!(notices.len(), 200);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    eprintln!("send crash test seed {seed}");
    let (mut finished, mut kills) = (false, 0usize);
    for round in 0..8 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = Duration::from_millis(100 + (seed >> 33) % 1500);
        let mut child = command(dir, &["send", "--now", NOW, "--quiet"])
            .env("OUTBACK_WEBHOOK_SECRET", SECRET)
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        if let Ok(Some(status)) = child.try_wait() {
            assert_eq!(status.code(), Some(0), "round {round}");
            finished = true;
            break;
        }
        let _ = child.kill();
        let _ = child.wait();
        kills += 1;
    }
    eprintln!("a run finished before it was killed: {finished}");
    let o = pp(dir, &["send", "--now", NOW, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Mail: per notice (by its reference in the text), every copy has its Message-ID.
    let mut mails: BTreeMap<String, usize> = BTreeMap::new();
    for m in received(&server.dir) {
        let key = m["message_id"].as_str().unwrap().to_string();
        let id = key
            .trim_start_matches('<')
            .trim_end_matches("@wispgate.example>")
            .to_string();
        let text = m["parts"][0]["body"].as_str().unwrap();
        let window = id.trim_end_matches(".emergency");
        assert!(
            text.contains(&format!("Reference: {window}")),
            "{key} carries another notice"
        );
        assert_eq!(m["rcpt_tos"].as_array().unwrap().len(), 1);
        *mails.entry(id).or_default() += 1;
    }
    let mut hooks: BTreeMap<String, usize> = BTreeMap::new();
    for r in hook.requests.lock().unwrap().iter() {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["id"].as_str().unwrap(), r.headers["idempotency-key"]);
        *hooks
            .entry(r.headers["idempotency-key"].clone())
            .or_default() += 1;
    }
    for (what, got) in [("mail", &mails), ("webhook", &hooks)] {
        let ids: Vec<&String> = got.keys().collect();
        assert_eq!(
            ids,
            notices.iter().collect::<Vec<_>>(),
            "{what}: every notice, no other"
        );
        // Each kill can repeat at most the one delivery in flight (a slow machine may be killed
        // twice on the same one).
        let dups: Vec<_> = got.iter().filter(|(_, n)| **n > 1).collect();
        let extra: usize = got.values().map(|n| n - 1).sum();
        assert!(
            got.values().all(|n| *n >= 1) && extra <= kills,
            "{what}: {extra} repeats after {kills} kills: {dups:?}"
        );
        eprintln!("{what}: {} duplicates (in flight when killed)", dups.len());
    }
    // And the ledger says every delivery was sent.
    let h: Value =
        serde_json::from_slice(&pp(dir, &["history", "--format", "json"]).stdout).unwrap();
    let ds = h["deliveries"].as_array().unwrap();
    assert_eq!(ds.len(), 400);
    assert!(
        ds.iter()
            .all(|d| d["state"] == "sent" && d["in_flight"] == false)
    );
}

/// Secrets are named, never written: a missing variable is an error at its place, for
/// `validate` and `send`, not for `plan`; bad URLs and unknown keys are errors too.
#[test]
fn delivery_settings_are_validated() {
    let tmp = example_for(2525, Some(9));
    let dir = tmp.path();
    let customer = dir.join("inventory/customers/outback-wireless.toml");
    let at = position(&customer, "\"OUTBACK_WEBHOOK_SECRET\" }\nreminders");
    for args in [&["validate"][..], &["send", "--now", NOW]] {
        let o = command(dir, args)
            .env_remove("OUTBACK_WEBHOOK_SECRET")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains(&format!("outback-wireless.toml:{at}: environment variable `OUTBACK_WEBHOOK_SECRET` is not set")),
            "{}",
            stderr(&o)
        );
    }
    let o = command(dir, &["plan", "--now", NOW, "--quiet"])
        .env_remove("OUTBACK_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(pp(dir, &["validate"]).status.code(), Some(0));
    for (from, to, message) in [
        (
            "smtp = \"smtp://127.0.0.1:2525\"",
            "smtp = \"imap://127.0.0.1\"",
            "unknown scheme `imap`",
        ),
        (
            "smtp = \"smtp://127.0.0.1:2525\"",
            "smtp = \"smtp://127.0.0.1:25?tls=maybe\"",
            "unknown parameter `tls=maybe`",
        ),
        (
            "smtp = \"smtp://127.0.0.1:2525\"",
            "smtp = \"smtp://u:p@127.0.0.1\"",
            "no credentials in the smtp URL",
        ),
        ("rate = 60", "rate = 0", "rate is mails per minute"),
        (
            "rate = 60",
            "rate = 60\nretries = 3",
            "unknown field `retries`",
        ),
        ("timeout = \"2s\"", "timeout = \"soon\"", "timeout `soon`"),
        (
            "# username_env = \"PATCHPLAN_SMTP_USER\"",
            "username_env = \"my password\"",
            "not an environment variable name",
        ),
    ] {
        let tmp = example_for(2525, None);
        let config = tmp.path().join("inventory/patchplan.toml");
        if from.starts_with("timeout") {
            edit(&config, "timeout = \"2s\"", to);
        } else {
            edit(&config, from, to);
        }
        let o = pp(tmp.path(), &["validate"]);
        assert_eq!(o.status.code(), Some(2), "{to}");
        assert!(stderr(&o).contains("patchplan.toml:"), "{}", stderr(&o));
        assert!(stderr(&o).contains(message), "{to}: {}", stderr(&o));
    }
    // Plain text to a remote host: a warning; with AUTH, an error.
    let tmp = example_for(2525, None);
    let config = tmp.path().join("inventory/patchplan.toml");
    edit(
        &config,
        "smtp://127.0.0.1:2525",
        "smtp://mail.example.net:25",
    );
    let o = pp(tmp.path(), &["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("plain text to a remote host"),
        "{}",
        stderr(&o)
    );
    edit(
        &config,
        "# username_env = \"PATCHPLAN_SMTP_USER\"",
        "username_env = \"U\"",
    );
    edit(
        &config,
        "# password_env = \"PATCHPLAN_SMTP_PASSWORD\"",
        "password_env = \"P\"",
    );
    let o = command(tmp.path(), &["validate"])
        .env("U", "u")
        .env("P", "p")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("would send the password in clear"),
        "{}",
        stderr(&o)
    );
    edit(&customer, "http://127.0.0.1:9/hooks/maintenance", "ftp://x");
    let o = pp(dir, &["validate"]);
    assert!(
        stderr(&o).contains("is not an http(s) URL"),
        "{}",
        stderr(&o)
    );
    let _ = config;
}

/// A cancelled window's notice carries the calendar part with method CANCEL (so calendars
/// remove the event), the reminders of the announcement it replaces are never sent, and the
/// outbox survives `ledger export` and `import` byte for byte.
#[test]
fn a_cancelled_window_sends_a_calendar_cancel_and_no_stale_reminders() {
    let mail = tempfile::tempdir().unwrap();
    let test = "a_cancelled_window_sends_a_calendar_cancel_and_no_stale_reminders";
    let Some(server) = smtp_server(test, mail.path()) else {
        return;
    };
    let tmp = example_for(server.port, None);
    let dir = tmp.path();
    assert_eq!(
        pp(dir, &["plan", "--now", NOW, "--send", "--quiet"])
            .status
            .code(),
        Some(0)
    );
    upgrade_selfcare(dir);
    let o = pp(
        dir,
        &["plan", "--now", "2026-10-30T18:00:00Z", "--send", "--quiet"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let window = "hudson-fiber.sunday-early.2026-11-01";
    let cancelled: Vec<Value> = received(&server.dir)
        .into_iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("cancel")
        })
        .collect();
    assert_eq!(cancelled.len(), 2, "one per hudson contact");
    for m in &cancelled {
        let cal = (m["parts"].as_array().unwrap().iter())
            .find(|p| p["type"] == "text/calendar")
            .expect("a calendar part");
        assert_eq!(cal["method"], "CANCEL");
        assert!(cal["body"].as_str().unwrap().contains("METHOD:CANCEL"));
        assert!(
            cal["body"]
                .as_str()
                .unwrap()
                .contains(&format!("UID:{window}@wispgate.example"))
        );
        if cal.get("ical_method").is_some() {
            assert_eq!(cal["ical_method"], "CANCEL");
        }
    }
    // After the window's time: its reminders (24h and 1h before) were never sent.
    let (code, _) = send_json(dir, "2026-11-01T06:00:00Z");
    assert_eq!(code, Some(0));
    let stale = received(&server.dir)
        .into_iter()
        .filter(|m| (m["message_id"].as_str().unwrap()).starts_with(&format!("<{window}.reminder")))
        .count();
    assert_eq!(stale, 0);
    // The outbox is in the export, and the round trip is byte-identical.
    let export = pp(dir, &["ledger", "export"]);
    let v: Value = serde_json::from_slice(&export.stdout).unwrap();
    assert!(v["tables"]["outbox"].as_array().unwrap().len() > 20);
    std::fs::write(dir.join("backup.json"), &export.stdout).unwrap();
    let o = pp(
        dir,
        &["ledger", "import", "backup.json", "--ledger", "restored.db"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let again = pp(dir, &["ledger", "export", "--ledger", "restored.db"]);
    assert_eq!(again.stdout, export.stdout);
}

/// `?tls=starttls` requires STARTTLS: against a server that does not offer it, nothing is sent
/// in clear; the deliveries fail and wait for a retry.
#[test]
fn starttls_required_never_falls_back_to_plain_text() {
    let mail = tempfile::tempdir().unwrap();
    let test = "starttls_required_never_falls_back_to_plain_text";
    let Some(server) = smtp_server(test, mail.path()) else {
        return;
    };
    let tmp = example_for(server.port, None);
    let dir = tmp.path();
    edit(
        &dir.join("inventory/patchplan.toml"),
        &format!("smtp://127.0.0.1:{}", server.port),
        &format!("smtp://127.0.0.1:{}?tls=starttls", server.port),
    );
    let o = pp(dir, &["plan", "--now", NOW, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (code, r) = send_json(dir, NOW);
    assert_eq!(code, Some(1));
    assert!(states(&r).iter().all(|s| s.3 == "failed"), "{r}");
    assert!(received(&server.dir).is_empty());
}

/// SMTP AUTH with the user name and password from the variables patchplan.toml names: a wrong
/// password is a problem of the server's configuration, not of the notices: the deliveries
/// fail and are retried (never given up at once), and go once the password is right.
#[test]
fn smtp_auth_reads_its_credentials_from_the_environment() {
    let mail = tempfile::tempdir().unwrap();
    let test = "smtp_auth_reads_its_credentials_from_the_environment";
    let Some(server) = smtp_server_with(test, mail.path(), Some("notices:pa55word")) else {
        return;
    };
    let tmp = example_for(server.port, None);
    let dir = tmp.path();
    let config = dir.join("inventory/patchplan.toml");
    edit(&config, "# username_env = ", "username_env = ");
    edit(&config, "# password_env = ", "password_env = ");
    let send = |password: &str, now: &str| {
        let o = command(dir, &["send", "--now", now, "--format", "json"])
            .env("PATCHPLAN_SMTP_USER", "notices")
            .env("PATCHPLAN_SMTP_PASSWORD", password)
            .output()
            .unwrap();
        let report: Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
        (o.status.code(), report)
    };
    assert_eq!(
        pp(dir, &["plan", "--now", NOW, "--quiet"]).status.code(),
        Some(0)
    );
    let (code, r) = send("wrong", NOW);
    assert_eq!(code, Some(1));
    for d in r["deliveries"].as_array().unwrap() {
        assert_eq!(d["state"], "failed", "{d}");
        assert!(d["error"].as_str().unwrap().contains("AUTH"), "{d}");
    }
    assert!(received(&server.dir).is_empty());
    let (code, r) = send("pa55word", "2026-10-27T09:10:00Z");
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(received(&server.dir).len(), 20);
}

/// `[delivery] webhook`, the organisation's own: every customer's notices are POSTed to it, and
/// outback's also to outback's.
#[test]
fn the_organisation_webhook_gets_every_customers_notices() {
    let hook = http_server(200);
    let closed = closed_port();
    let tmp = example_for(closed, Some(hook.port));
    let dir = tmp.path();
    edit(
        &dir.join("inventory/patchplan.toml"),
        "timeout = \"2s\"",
        &format!(
            "timeout = \"2s\"\nwebhook = {{ url = \"http://127.0.0.1:{}/all\", secret_env = \"OUTBACK_WEBHOOK_SECRET\" }}",
            hook.port
        ),
    );
    assert_eq!(
        pp(dir, &["plan", "--now", NOW, "--quiet"]).status.code(),
        Some(0)
    );
    let (_, report) = send_json(dir, NOW);
    let sent: Vec<_> = states(&report)
        .into_iter()
        .filter(|s| s.1 == "webhook" && s.3 == "sent")
        .collect();
    assert_eq!(
        sent.len(),
        14,
        "12 due notices to the organisation's, 2 to outback's"
    );
    let requests = hook.requests.lock().unwrap().clone();
    let to = |path: &str| requests.iter().filter(|r| r.path == path).count();
    assert_eq!((to("/all"), to("/hooks/maintenance")), (12, 2));
}

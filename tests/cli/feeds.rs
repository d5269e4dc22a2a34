//! `feeds sync`, `feeds status` and the feed cache, against a real HTTP server on 127.0.0.1 that
//! each test starts with its own script of answers. Every failure is checked three ways: the
//! exit code, the message, and the cache still holding the last good copy byte for byte.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{NOW, edit, example_copy, run_in, stderr, stdout};

/// One scripted answer.
#[derive(Clone)]
enum Reply {
    /// 200 with this body and ETag; a request carrying that ETag in If-None-Match gets a 304.
    Ok(Vec<u8>, &'static str),
    /// This status with a short HTML body.
    Status(u16),
    /// A Content-Length of `declared`, then only `body`, then the connection closes.
    CutShort(Vec<u8>, usize),
    /// Nothing for this long, then a 200.
    Stall(Duration, Vec<u8>),
    /// A 200 whose body comes one byte per interval.
    Drip(Vec<u8>, Duration),
    /// A 302 to this location.
    Redirect(String),
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: HashMap<String, String>,
}

/// An HTTP/1.1 server on an ephemeral port of 127.0.0.1. Each path answers its replies in turn,
/// repeating the last one.
struct Server {
    port: u16,
    routes: Arc<Mutex<HashMap<String, Vec<Reply>>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Vec<Reply>>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (r, s) = (routes.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, s) = (r.clone(), s.clone());
                std::thread::spawn(move || serve(stream, &r, &s));
            }
        });
        Server { port, routes, seen }
    }

    fn route(&self, path: &str, replies: Vec<Reply>) {
        self.routes.lock().unwrap().insert(path.into(), replies);
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn requests(&self, path: &str) -> Vec<Seen> {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|s| s.path == path).cloned().collect()
    }
}

fn serve(
    mut stream: TcpStream,
    routes: &Mutex<HashMap<String, Vec<Reply>>>,
    seen: &Mutex<Vec<Seen>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    seen.lock().unwrap().push(Seen {
        path: path.clone(),
        headers: headers.clone(),
    });
    let reply = {
        let mut routes = routes.lock().unwrap();
        match routes.get_mut(&path) {
            Some(list) if list.len() > 1 => list.remove(0),
            Some(list) => list[0].clone(),
            None => Reply::Status(404),
        }
    };
    let _ = respond(&mut stream, reply, &headers);
}

fn respond(
    stream: &mut TcpStream,
    reply: Reply,
    headers: &HashMap<String, String>,
) -> std::io::Result<()> {
    let head = |status: &str, len: usize, extra: &str| {
        format!("HTTP/1.1 {status}\r\nContent-Length: {len}\r\nConnection: close\r\n{extra}\r\n")
    };
    match reply {
        Reply::Ok(_, etag) if headers.get("if-none-match").map(String::as_str) == Some(etag) => {
            stream.write_all(head("304 Not Modified", 0, &format!("ETag: {etag}\r\n")).as_bytes())
        }
        Reply::Ok(body, etag) => {
            stream
                .write_all(head("200 OK", body.len(), &format!("ETag: {etag}\r\n")).as_bytes())?;
            stream.write_all(&body)
        }
        Reply::Status(code) => {
            let body = format!("<html><body>error {code}</body></html>");
            let status = format!("{code} Scripted");
            stream
                .write_all(head(&status, body.len(), "Content-Type: text/html\r\n").as_bytes())?;
            stream.write_all(body.as_bytes())
        }
        Reply::CutShort(body, declared) => {
            stream.write_all(head("200 OK", declared, "").as_bytes())?;
            stream.write_all(&body)
        }
        Reply::Redirect(to) => {
            stream.write_all(head("302 Found", 0, &format!("Location: {to}\r\n")).as_bytes())
        }
        Reply::Drip(body, every) => {
            stream.write_all(head("200 OK", body.len(), "").as_bytes())?;
            for b in body {
                stream.write_all(&[b])?;
                stream.flush()?;
                std::thread::sleep(every);
            }
            Ok(())
        }
        Reply::Stall(wait, body) => {
            std::thread::sleep(wait);
            stream.write_all(head("200 OK", body.len(), "").as_bytes())?;
            stream.write_all(&body)
        }
    }
}

/// A copy of the example inventory whose OSV, KEV and EPSS feeds are served by `server` at
/// `/osv.zip`, `/kev.json` and `/epss.csv.gz`.
fn served_inventory(server: &Server) -> (tempfile::TempDir, PathBuf) {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let toml = inv.join("patchplan.toml");
    edit(
        &toml,
        "source = \"feeds/osv\"",
        &format!("source = \"{}\"", server.url("/osv.zip")),
    );
    edit(
        &toml,
        "source = \"feeds/kev.json\"",
        &format!("source = \"{}\"", server.url("/kev.json")),
    );
    let epss = server.url("/epss.csv.gz");
    edit(
        &toml,
        "source = \"feeds/epss.csv\"",
        &format!("source = \"{epss}\""),
    );
    (tmp, inv)
}

/// The example's own feed files, as the server would serve them.
fn example_osv_zip() -> Vec<u8> {
    let dir = crate::common::root().join("inventory/feeds/osv");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let entries: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    zip_of(&entries)
}

fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn example_file(name: &str) -> Vec<u8> {
    std::fs::read(crate::common::root().join("inventory/feeds").join(name)).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Serves the example's three feeds, all answering 200 (then 304 to a matching ETag).
fn serve_example(server: &Server) {
    server.route("/osv.zip", vec![Reply::Ok(example_osv_zip(), "\"osv-1\"")]);
    server.route(
        "/kev.json",
        vec![Reply::Ok(example_file("kev.json"), "\"kev-1\"")],
    );
    let epss = gzip(&example_file("epss.csv"));
    server.route("/epss.csv.gz", vec![Reply::Ok(epss, "\"epss-1\"")]);
}

fn pp(dir: &Path, args: &[&str]) -> Output {
    let inv = dir.join("inventory");
    let mut full = vec!["--inventory", inv.to_str().unwrap(), "--now", NOW];
    full.extend(args);
    run_in(dir, &full)
}

fn cached(inv: &Path, feed: &str, file: &str) -> Vec<u8> {
    std::fs::read(inv.join(".patchplan/feeds").join(feed).join(file)).unwrap_or_default()
}

/// Syncs one feed with quick retries.
fn sync(dir: &Path, feed: &str, extra: &[&str]) -> Output {
    let mut args = vec!["feeds", "sync", feed];
    if !extra.contains(&"--retries") {
        args.extend(["--retries", "2"]);
    }
    args.extend(extra);
    pp(dir, &args)
}

/// The entry of feed `id` in a report's `feeds` (plan.json or `feeds status --format json`).
fn feed(report: &serde_json::Value, id: &str) -> serde_json::Value {
    let feeds = report["feeds"].as_array().unwrap();
    let found = feeds.iter().find(|f| f["id"] == id);
    found
        .unwrap_or_else(|| panic!("no feed {id} in {report}"))
        .clone()
}

fn assert_failed(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    assert!(
        stderr(o).contains(needle),
        "`{needle}` not in: {}",
        stderr(o)
    );
    assert!(!stderr(o).contains("panicked"), "{}", stderr(o));
}

#[test]
fn a_second_sync_is_a_304_and_rewrites_nothing() {
    let server = Server::start();
    serve_example(&server);
    let (tmp, inv) = served_inventory(&server);
    let first = pp(tmp.path(), &["feeds", "sync"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(stdout(&first).contains("updated"), "{}", stdout(&first));
    let data = inv.join(".patchplan/feeds/kev/data.json");
    let (bytes, mtime) = (
        std::fs::read(&data).unwrap(),
        data.metadata().unwrap().modified().unwrap(),
    );
    assert_eq!(bytes, example_file("kev.json"));
    let second = pp(tmp.path(), &["feeds", "sync", "kev"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("not-modified"),
        "{}",
        stdout(&second)
    );
    let asked = server.requests("/kev.json");
    assert_eq!(
        asked[1].headers.get("if-none-match").map(String::as_str),
        Some("\"kev-1\"")
    );
    assert_eq!(std::fs::read(&data).unwrap(), bytes);
    assert_eq!(
        data.metadata().unwrap().modified().unwrap(),
        mtime,
        "the data file is not rewritten"
    );
}

#[test]
fn two_500s_then_a_200_is_retried_into_success() {
    let server = Server::start();
    let kev = example_file("kev.json");
    server.route(
        "/kev.json",
        vec![
            Reply::Status(500),
            Reply::Status(503),
            Reply::Ok(kev.clone(), "\"k\""),
        ],
    );
    let (tmp, inv) = served_inventory(&server);
    let o = sync(tmp.path(), "kev", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(server.requests("/kev.json").len(), 3);
    assert_eq!(cached(&inv, "kev", "data.json"), kev);
}

#[test]
fn a_server_that_always_fails_leaves_the_last_good_copy_and_plan_uses_it() {
    let server = Server::start();
    serve_example(&server);
    let (tmp, inv) = served_inventory(&server);
    assert_eq!(pp(tmp.path(), &["feeds", "sync"]).status.code(), Some(0));
    let good = cached(&inv, "osv-local", "data.zip");
    let meta = cached(&inv, "osv-local", "meta.json");
    server.route("/osv.zip", vec![Reply::Status(500)]);
    let o = sync(tmp.path(), "osv-local", &[]);
    assert_failed(&o, "feed osv-local");
    assert!(
        stderr(&o).contains("500") && stderr(&o).contains("3 attempts"),
        "{}",
        stderr(&o)
    );
    assert_eq!(cached(&inv, "osv-local", "data.zip"), good);
    assert_eq!(cached(&inv, "osv-local", "meta.json"), meta);
    let out = tmp.path().join("out");
    let plan = pp(tmp.path(), &["plan", "--out", out.to_str().unwrap()]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let json: serde_json::Value = crate::common::read_plan(&out.join("plan.json"));
    let osv = feed(&json, "osv-local");
    assert_eq!(osv["state"], "fresh", "{osv}");
    assert_eq!(osv["records"], 10, "{osv}");
}

#[test]
fn a_404_is_not_retried() {
    let server = Server::start();
    server.route("/kev.json", vec![Reply::Status(404)]);
    let (tmp, inv) = served_inventory(&server);
    let o = sync(tmp.path(), "kev", &[]);
    assert_failed(&o, "404");
    assert!(stderr(&o).contains("(1 attempt)"), "{}", stderr(&o));
    assert_eq!(server.requests("/kev.json").len(), 1);
    assert!(!inv.join(".patchplan/feeds/kev/data.json").exists());
}

/// A feed served at `path` and cached as `file`, with its good content.
struct Served {
    feed: &'static str,
    path: &'static str,
    file: &'static str,
    good: Vec<u8>,
}

fn kev_feed() -> Served {
    let good = example_file("kev.json");
    Served {
        feed: "kev",
        path: "/kev.json",
        file: "data.json",
        good,
    }
}

fn osv_feed() -> Served {
    let good = example_osv_zip();
    Served {
        feed: "osv-local",
        path: "/osv.zip",
        file: "data.zip",
        good,
    }
}

/// Syncs `served` once successfully, then scripts `then` and syncs again: the second must fail
/// with `needle`, leaving the first copy (data and metadata) byte for byte as it was.
fn fails_keeping_the_good_copy(
    served: Served,
    then: Vec<Reply>,
    extra: &[&str],
    needle: &str,
) -> Output {
    let server = Server::start();
    server.route(
        served.path,
        vec![Reply::Ok(served.good.clone(), "\"good\"")],
    );
    let (tmp, inv) = served_inventory(&server);
    assert_eq!(sync(tmp.path(), served.feed, &[]).status.code(), Some(0));
    let meta = cached(&inv, served.feed, "meta.json");
    server.route(served.path, then);
    let o = sync(tmp.path(), served.feed, extra);
    assert_failed(&o, needle);
    assert!(
        stderr(&o).contains(&format!("feed {}", served.feed)),
        "{}",
        stderr(&o)
    );
    let data = cached(&inv, served.feed, served.file);
    assert!(data == served.good, "the last good copy, byte for byte");
    assert_eq!(cached(&inv, served.feed, "meta.json"), meta);
    let dir = inv.join(".patchplan/feeds").join(served.feed);
    let leftovers: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    assert_eq!(leftovers.len(), 2, "no temporary file left: {leftovers:?}");
    o
}

#[test]
fn a_body_cut_short_of_its_length_fails() {
    let half = example_file("kev.json")[..100].to_vec();
    fails_keeping_the_good_copy(
        kev_feed(),
        vec![Reply::CutShort(half, 5000)],
        &["--retries", "1"],
        "broke off",
    );
}

#[test]
fn a_stalled_server_times_out() {
    let reply = Reply::Stall(Duration::from_secs(5), b"{}".to_vec());
    fails_keeping_the_good_copy(
        kev_feed(),
        vec![reply],
        &["--retries", "0", "--timeout", "1"],
        "timed out",
    );
}

/// The timeout is a deadline for the whole attempt: a server that sends a byte every 50 ms
/// (a 4 KB catalog would take minutes) is cut off at it.
#[test]
fn a_server_dripping_bytes_is_cut_off_at_the_timeout() {
    let reply = Reply::Drip(example_file("kev.json"), Duration::from_millis(50));
    let start = std::time::Instant::now();
    fails_keeping_the_good_copy(
        kev_feed(),
        vec![reply],
        &["--retries", "0", "--timeout", "2"],
        "timed out",
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_redirect_to_a_file_url_is_named_not_followed() {
    fails_keeping_the_good_copy(
        kev_feed(),
        vec![Reply::Redirect("file:///etc/passwd".into())],
        &["--retries", "0"],
        "a redirect to `file:///etc/passwd`, which is not followed",
    );
}

/// A temporary file a killed sync left behind is removed by the next sync.
#[test]
fn a_killed_syncs_temporary_file_is_removed_at_the_next_start() {
    let server = Server::start();
    server.route(
        "/kev.json",
        vec![Reply::Ok(example_file("kev.json"), "\"a\"")],
    );
    let (tmp, inv) = served_inventory(&server);
    let dir = inv.join(".patchplan/feeds/kev");
    std::fs::create_dir_all(&dir).unwrap();
    // No process has this id (above Linux's pid_max).
    let leftover = dir.join(".tmp-4194305-1.json");
    std::fs::write(&leftover, "half a download").unwrap();
    assert_eq!(sync(tmp.path(), "kev", &[]).status.code(), Some(0));
    assert!(!leftover.exists());
}

#[test]
fn an_html_page_instead_of_a_zip_is_refused() {
    let page = b"<!DOCTYPE html><html><body>Please log in</body></html>".to_vec();
    let o = fails_keeping_the_good_copy(
        osv_feed(),
        vec![Reply::Ok(page, "\"h\"")],
        &[],
        "not a zip archive",
    );
    assert!(
        stderr(&o).contains("not a usable OSV feed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_zip_bomb_is_an_error_not_an_out_of_memory() {
    let bomb = zip_of(&[("bomb.json".into(), vec![b' '; 17 << 20])]);
    assert!(bomb.len() < 1 << 20, "the bomb is small on the wire");
    let reply = vec![Reply::Ok(bomb, "\"b\"")];
    fails_keeping_the_good_copy(osv_feed(), reply, &[], "decompresses to more than 16 MiB");
}

#[test]
fn an_empty_feed_never_replaces_a_good_one() {
    let empty = br#"{"catalogVersion":"x","vulnerabilities":[]}"#.to_vec();
    fails_keeping_the_good_copy(
        kev_feed(),
        vec![Reply::Ok(empty, "\"e\"")],
        &[],
        "no KEV records",
    );
}

#[test]
fn a_404_keeps_the_good_copy_too() {
    fails_keeping_the_good_copy(kev_feed(), vec![Reply::Status(404)], &[], "404 Not Found");
}

#[test]
fn plan_refresh_fetches_and_plan_alone_does_not() {
    let server = Server::start();
    serve_example(&server);
    let (tmp, _) = served_inventory(&server);
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    assert_eq!(
        pp(tmp.path(), &["plan", "--out", out]).status.code(),
        Some(0)
    );
    assert!(
        server.requests("/kev.json").is_empty(),
        "plan alone never fetches"
    );
    let o = pp(
        tmp.path(),
        &["plan", "--out", out, "--refresh", "--require-fresh"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(server.requests("/kev.json").len(), 1);
}

#[test]
fn a_zip_entry_named_outside_the_cache_is_only_a_name() {
    let server = Server::start();
    let record = br#"{"id":"EVIL-1","affected":[{"package":{"ecosystem":"crates.io","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#;
    let zip = zip_of(&[("../../../escaped.json".into(), record.to_vec())]);
    server.route("/osv.zip", vec![Reply::Ok(zip.clone(), "\"z\"")]);
    let (tmp, inv) = served_inventory(&server);
    let o = sync(tmp.path(), "osv-local", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(cached(&inv, "osv-local", "data.zip"), zip);
    let escaped = |d: &Path| d.join("escaped.json").exists();
    let cache = inv.join(".patchplan/feeds/osv-local");
    let written: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
    for dir in cache.ancestors().take(5) {
        assert!(!escaped(dir), "{} holds escaped.json", dir.display());
    }
}

#[test]
fn a_kev_file_with_one_bad_entry_loads_the_rest() {
    let server = Server::start();
    let text = String::from_utf8(example_file("kev.json")).unwrap();
    let broken = text.replacen("\"cveID\": \"", "\"cveID\": 7, \"was\": \"", 1);
    assert_ne!(broken, text);
    server.route(
        "/kev.json",
        vec![Reply::Ok(broken.clone().into_bytes(), "\"k\"")],
    );
    let (tmp, inv) = served_inventory(&server);
    let o = sync(tmp.path(), "kev", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning: feed kev:"), "{}", stderr(&o));
    assert_eq!(cached(&inv, "kev", "data.json"), broken.as_bytes());
    let meta: serde_json::Value =
        serde_json::from_slice(&cached(&inv, "kev", "meta.json")).unwrap();
    assert_eq!(meta["records"], 3, "{meta}");
}

#[test]
fn an_epss_csv_gz_is_read_with_its_model_and_date() {
    let server = Server::start();
    serve_example(&server);
    let (tmp, inv) = served_inventory(&server);
    assert_eq!(sync(tmp.path(), "epss", &[]).status.code(), Some(0));
    assert_eq!(
        cached(&inv, "epss", "data.csv.gz"),
        gzip(&example_file("epss.csv"))
    );
    let status = pp(tmp.path(), &["feeds", "status", "--format", "json"]);
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let json: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
    let epss = feed(&json, "epss");
    assert_eq!(epss["state"], "fresh", "{epss}");
    assert_eq!(epss["records"], 11, "{epss}");
    assert!(
        epss["identity"]
            .as_str()
            .unwrap()
            .starts_with("v2025.03.14"),
        "{epss}"
    );
    let osv = feed(&json, "osv-local");
    assert_eq!(osv["state"], "missing", "{osv}");
}

#[test]
fn sync_then_plan_equals_the_plan_from_local_files() {
    let server = Server::start();
    serve_example(&server);
    let (tmp, _) = served_inventory(&server);
    let sync = pp(tmp.path(), &["feeds", "sync"]);
    assert_eq!(sync.status.code(), Some(0), "{}", stderr(&sync));
    let served = tmp.path().join("served");
    let o = pp(tmp.path(), &["plan", "--out", served.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let local_tmp = example_copy();
    let local = local_tmp.path().join("local");
    let o = pp(
        local_tmp.path(),
        &["plan", "--out", local.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let read = |d: &Path| -> serde_json::Value { crate::common::read_plan(&d.join("plan.json")) };
    let (a, b) = (read(&served), read(&local));
    assert_eq!(a["findings"], b["findings"]);
    assert_eq!(a["windows"], b["windows"]);
    // Every served feed is fresh; the Ubuntu notices stay the example's local directory.
    assert!(
        a["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] != "native" && f["id"] != "usn")
            .all(|f| f["state"] == "fresh"),
        "{}",
        a["feeds"]
    );
}

#[test]
fn stale_and_missing_feeds_warn_and_require_fresh_fails() {
    let server = Server::start();
    serve_example(&server);
    let (tmp, inv) = served_inventory(&server);
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    let missing = pp(tmp.path(), &["plan", "--out", out]);
    assert_eq!(missing.status.code(), Some(0), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("feed kev: ")
            && stderr(&missing).contains("missing: never fetched"),
        "{}",
        stderr(&missing)
    );
    assert_failed(
        &pp(tmp.path(), &["plan", "--out", out, "--require-fresh"]),
        "--require-fresh",
    );
    assert_eq!(pp(tmp.path(), &["feeds", "sync"]).status.code(), Some(0));
    // Three days after the sync, OSV and KEV (2 days) are stale; EPSS (3 days) is not, yet.
    let later = ["--now", "2026-10-30T09:00:00Z"];
    let inv_arg = inv.to_str().unwrap();
    let stale = run_in(
        tmp.path(),
        &[
            &["--inventory", inv_arg],
            &later[..],
            &["plan", "--out", out],
        ]
        .concat(),
    );
    assert_eq!(stale.status.code(), Some(0), "{}", stderr(&stale));
    assert!(
        stderr(&stale).contains("feed kev: ")
            && stderr(&stale).contains("stale: last fetched 3d ago"),
        "{}",
        stderr(&stale)
    );
    assert!(
        !stderr(&stale).contains("feed epss: "),
        "{}",
        stderr(&stale)
    );
    let strict = run_in(
        tmp.path(),
        &[
            &["--inventory", inv_arg],
            &later[..],
            &["plan", "--out", out, "--require-fresh"],
        ]
        .concat(),
    );
    assert_failed(&strict, "osv-local (stale), kev (stale)");
}

#[test]
fn feed_ids_name_directories_so_they_must_be_safe() {
    let tmp = example_copy();
    let toml = tmp.path().join("inventory/patchplan.toml");
    edit(&toml, "id = \"kev\"", "id = \"../kev\"");
    edit(
        &toml,
        "kind = \"osv\"              # osv",
        "kind = \"native\"           # osv",
    );
    edit(
        &toml,
        "source = \"feeds/osv\"",
        "source = \"https://example.com/advisories\"",
    );
    let o = pp(tmp.path(), &["validate"]);
    assert_failed(&o, "feed id `../kev`: expected letters, digits");
    assert!(
        stderr(&o).contains("a native feed is a directory of TOML files"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains(&format!("{}:", toml.display())),
        "{}",
        stderr(&o)
    );
}

//! The servers of the delivery tests, on 127.0.0.1: SMTP (Python's aiosmtpd, started from
//! `tests/delivery/smtp_server.py`, its mail read back by `tests/delivery/read_mail.py`) and a
//! small HTTP server whose answer each test sets.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::common::*;

/// The SMTP server of one test; killed when dropped.
pub(super) struct Smtp {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the SMTP server storing mail in `dir`, or `None` (the test skips) when aiosmtpd is
/// not installed.
pub(super) fn smtp_server(test: &str, dir: &Path) -> Option<Smtp> {
    smtp_server_with(test, dir, None)
}

/// [`smtp_server`], requiring AUTH with `credentials` (`USER:PASSWORD`) when given.
pub(super) fn smtp_server_with(test: &str, dir: &Path, credentials: Option<&str>) -> Option<Smtp> {
    let have = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var("PATCHPLAN_REQUIRE_SHARED").as_deref() != Ok("1"),
            "{test}: Python's aiosmtpd is not installed and PATCHPLAN_REQUIRE_SHARED=1 (pip install aiosmtpd)"
        );
        eprintln!(
            "skipped delivery::{test}: Python's aiosmtpd is not installed (pip install aiosmtpd)"
        );
        return None;
    }
    let mut server = Command::new("python3");
    server
        .arg(root().join("tests/delivery/smtp_server.py"))
        .arg(dir)
        .stdout(Stdio::piped());
    if let Some(c) = credentials {
        server.env("PATCHPLAN_TEST_SMTP_AUTH", c);
    }
    let mut child = server.spawn().expect("python3 runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().expect("the server prints its port");
    Some(Smtp {
        child,
        port,
        dir: dir.to_path_buf(),
    })
}

/// The mail the SMTP server received, as Python's `email` package reads it.
pub(super) fn received(dir: &Path) -> Vec<Value> {
    let o = Command::new("python3")
        .arg(root().join("tests/delivery/read_mail.py"))
        .arg(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// One request the HTTP server received.
#[derive(Debug, Clone)]
pub(super) struct Request {
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// An HTTP server on 127.0.0.1 answering every request with `status` (0: never answering).
pub(super) struct Http {
    pub port: u16,
    pub status: Arc<AtomicU16>,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

pub(super) fn http_server(status: u16) -> Http {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = Http {
        port,
        status: Arc::new(AtomicU16::new(status)),
        requests: Arc::default(),
    };
    let (status, requests) = (server.status.clone(), server.requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (status, requests) = (status.clone(), requests.clone());
            std::thread::spawn(move || serve(stream, &status, &requests));
        }
    });
    server
}

fn serve(stream: TcpStream, status: &AtomicU16, requests: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let len: usize = headers["content-length"].parse().unwrap();
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let code = status.load(Ordering::SeqCst);
    if code == 0 {
        std::thread::sleep(Duration::from_secs(5));
        return;
    }
    let path = line.split(' ').nth(1).unwrap_or("").to_string();
    requests.lock().unwrap().push(Request {
        path,
        headers,
        body,
    });
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

//! `feeds sync`: fetch every feed whose source is an http(s) URL into the cache.
//!
//! Each fetch is a conditional GET (ETag, Last-Modified) with connect and total timeouts, bounded
//! retries with exponential backoff on connection errors, timeouts, cut-short bodies and 5xx
//! (never on 4xx), and a size limit. The body goes to a temporary file beside the last good copy;
//! it replaces that copy only once it has been read back as the feed's kind with at least one
//! record. Whatever fails, the last good copy stays byte for byte.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use sha2::{Digest, Sha256};

use super::cache::{self, Cache, Meta};
use super::{FeedKind, FeedSpec, Feeds};

/// How fetching behaves.
#[derive(Debug, Clone)]
pub struct Options {
    pub connect_timeout: Duration,
    /// The whole of one attempt, body included: a deadline, so a server that drips bytes is cut
    /// off like one that sends nothing.
    pub timeout: Duration,
    /// Further attempts after the first, on errors worth retrying.
    pub retries: u32,
    /// The first backoff; doubled on each retry.
    pub backoff: Duration,
    /// The largest body accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_bytes: 1 << 30,
        }
    }
}

/// Progress of one download, for the command line to draw.
pub enum Progress<'a> {
    Start { feed: &'a str, total: Option<u64> },
    Advance(u64),
    Finish,
}

/// What became of one feed.
#[derive(Debug)]
pub enum Outcome {
    /// New content, checked and cached.
    Updated { records: usize, bytes: u64 },
    /// The server said the cached copy is current (304).
    NotModified,
    /// Nothing changed in the cache; why.
    Failed(String),
}

/// One feed's sync.
#[derive(Debug)]
pub struct Report {
    pub feed: String,
    pub url: String,
    pub outcome: Outcome,
    /// Problems that did not stop the sync: records skipped, plain http.
    pub warnings: Vec<String>,
}

/// Syncs every URL feed of `specs` (all of them, or those named in `only`).
pub fn sync(
    specs: &[&FeedSpec],
    cache: &Cache,
    options: &Options,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(Progress),
) -> Vec<Report> {
    let client = match client(options) {
        Ok(c) => c,
        Err(e) => {
            let failed = |s: &&FeedSpec| report(s, Outcome::Failed(e.clone()), Vec::new());
            return specs.iter().map(failed).collect();
        }
    };
    let fetcher = Fetcher {
        client,
        cache,
        options,
        now: now.trunc_subsecs(0),
    };
    specs
        .iter()
        .map(|s| fetcher.sync_one(s, progress))
        .collect()
}

/// Whether `source` is fetched over HTTP rather than read from disk.
pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

fn report(spec: &FeedSpec, outcome: Outcome, warnings: Vec<String>) -> Report {
    Report {
        feed: spec.id.clone(),
        url: spec.source.clone(),
        outcome,
        warnings,
    }
}

fn client(options: &Options) -> Result<Client, String> {
    // rustls with ring: no system OpenSSL, and no C toolchain beyond what ring itself needs.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .user_agent(concat!("patchplan/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .build()
        .map_err(|e| format!("cannot set up HTTP: {e}"))
}

struct Fetcher<'a> {
    client: Client,
    cache: &'a Cache,
    options: &'a Options,
    now: DateTime<Utc>,
}

/// Why one attempt failed, and whether another may succeed.
struct Failure {
    message: String,
    retry: bool,
}

impl Fetcher<'_> {
    fn sync_one(&self, spec: &FeedSpec, progress: &mut dyn FnMut(Progress)) -> Report {
        let mut warnings = Vec::new();
        if spec.source.starts_with("http://") && !loopback(&spec.source) {
            warnings.push(format!(
                "{}: plain http to a remote host; anyone on the path can change this feed",
                spec.source
            ));
        }
        cache::remove_stale_temporaries(&self.cache.feed_dir(&spec.id));
        let old = self.cache.meta(&spec.id, &spec.source, spec.kind);
        let outcome = match self.fetch_with_retries(spec, old.as_ref(), progress) {
            Ok(None) => self.not_modified(spec, old),
            Ok(Some(download)) => self.install(spec, download, old, &mut warnings),
            Err(message) => Outcome::Failed(message),
        };
        report(spec, outcome, warnings)
    }

    fn fetch_with_retries(
        &self,
        spec: &FeedSpec,
        old: Option<&Meta>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Option<Download>, String> {
        let mut attempt = 0;
        loop {
            match self.fetch(spec, old, progress) {
                Ok(done) => return Ok(done),
                Err(f) if f.retry && attempt < self.options.retries => {
                    std::thread::sleep(self.options.backoff * 2u32.saturating_pow(attempt));
                    attempt += 1;
                }
                Err(f) => {
                    let tries = attempt + 1;
                    let plural = if tries == 1 { "attempt" } else { "attempts" };
                    return Err(format!("{} ({tries} {plural})", f.message));
                }
            }
        }
    }

    /// One GET: `None` for 304, the checked-in temporary file for 200.
    fn fetch(
        &self,
        spec: &FeedSpec,
        old: Option<&Meta>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Option<Download>, Failure> {
        let deadline = std::time::Instant::now() + self.options.timeout;
        let mut request = self.client.get(&spec.source);
        if let Some(m) = old {
            if let Some(etag) = &m.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &m.last_modified {
                request = request.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let response = request.send().map_err(|e| Failure {
            message: describe(&e),
            retry: true,
        })?;
        let status = response.status();
        match status {
            StatusCode::NOT_MODIFIED if old.is_some() => Ok(None),
            StatusCode::OK => self.download(spec, response, deadline, progress).map(Some),
            // reqwest follows http(s) redirects; one it returns points elsewhere (file://).
            s if s.is_redirection() => {
                let to = header(response.headers(), reqwest::header::LOCATION).unwrap_or_default();
                Err(Failure {
                    message: format!(
                        "the server answered {s}, a redirect to `{}`, which is not followed: only http and https redirects are",
                        crate::diag::excerpt(&to)
                    ),
                    retry: false,
                })
            }
            s => Err(Failure {
                message: format!("the server answered {s}"),
                retry: s.is_server_error(),
            }),
        }
    }

    /// Streams the body into a temporary file in the feed's directory, hashing and counting it.
    fn download(
        &self,
        spec: &FeedSpec,
        mut response: Response,
        deadline: std::time::Instant,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Download, Failure> {
        let fail = |message: String, retry: bool| Failure { message, retry };
        let max = self.options.max_bytes;
        let declared = response.content_length();
        if declared.is_some_and(|n| n > max) {
            return Err(fail(
                format!("the body is larger than the limit of {max} bytes"),
                false,
            ));
        }
        let dir = self.cache.feed_dir(&spec.id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| fail(format!("{}: {e}", dir.display()), false))?;
        let file = cache::data_file_name(&spec.source, spec.kind);
        let tmp = cache::temp_path(&dir).with_extension(file.trim_start_matches("data."));
        let headers = response.headers().clone();
        progress(Progress::Start {
            feed: &spec.id,
            total: declared,
        });
        let limits = Limits {
            max,
            deadline,
            timeout: self.options.timeout,
        };
        let copied = copy_body(&mut response, &tmp, &limits, progress);
        progress(Progress::Finish);
        let (sha256, bytes) = copied.inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
        Ok(Download {
            tmp,
            file,
            sha256,
            bytes,
            etag: header(&headers, ETAG),
            last_modified: header(&headers, LAST_MODIFIED),
        })
    }

    /// Checks a download (it loads as its kind, with records) and renames it over the last
    /// good copy; a download that fails the check is removed and the cache left as it was.
    fn install(
        &self,
        spec: &FeedSpec,
        d: Download,
        old: Option<Meta>,
        warnings: &mut Vec<String>,
    ) -> Outcome {
        let checked = check(spec, &d.tmp);
        let (records, identity) = match checked {
            Ok((records, identity, notes)) => {
                warnings.extend(notes);
                (records, identity)
            }
            Err(message) => {
                let _ = std::fs::remove_file(&d.tmp);
                return Outcome::Failed(message);
            }
        };
        let dir = self.cache.feed_dir(&spec.id);
        let data = dir.join(&d.file);
        if let Err(e) = std::fs::rename(&d.tmp, &data) {
            let _ = std::fs::remove_file(&d.tmp);
            return Outcome::Failed(format!("{}: {e}", data.display()));
        }
        let meta = Meta {
            url: spec.source.clone(),
            file: d.file.clone(),
            fetched_at: self.now,
            changed_at: self.now,
            etag: d.etag,
            last_modified: d.last_modified,
            sha256: d.sha256,
            bytes: d.bytes,
            records,
            identity: identity.or_else(|| {
                Some(format!(
                    "fetched {}",
                    self.now.to_rfc3339_opts(SecondsFormat::Secs, true)
                ))
            }),
        };
        if let Err(e) = self.cache.write_meta(&spec.id, &meta) {
            return Outcome::Failed(e.to_string());
        }
        if let Some(previous) = old.filter(|o| o.file != d.file) {
            let _ = std::fs::remove_file(dir.join(previous.file));
        }
        Outcome::Updated {
            records,
            bytes: d.bytes,
        }
    }

    fn not_modified(&self, spec: &FeedSpec, old: Option<Meta>) -> Outcome {
        let Some(mut meta) = old else {
            return Outcome::Failed("a 304 without a cached copy".into());
        };
        meta.fetched_at = self.now;
        match self.cache.write_meta(&spec.id, &meta) {
            Ok(()) => Outcome::NotModified,
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }
}

/// A body saved to a temporary file, not yet checked.
struct Download {
    tmp: std::path::PathBuf,
    file: String,
    sha256: String,
    bytes: u64,
    etag: Option<String>,
    last_modified: Option<String>,
}

/// What one body may take: at most `max` bytes, and until `deadline` (`timeout` after the
/// attempt began).
struct Limits {
    max: u64,
    deadline: std::time::Instant,
    timeout: Duration,
}

fn copy_body(
    response: &mut Response,
    tmp: &Path,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<(String, u64), Failure> {
    let max = limits.max;
    let fail = |message: String, retry: bool| Failure { message, retry };
    let local = |e: std::io::Error| fail(format!("{}: {e}", tmp.display()), false);
    let mut out = std::io::BufWriter::new(std::fs::File::create(tmp).map_err(local)?);
    let mut hasher = Sha256::new();
    let (mut total, mut buf) = (0u64, vec![0u8; 64 * 1024]);
    loop {
        let n = response.read(&mut buf).map_err(|e| {
            fail(
                format!("the download broke off after {total} bytes: {e}"),
                true,
            )
        })?;
        if n == 0 {
            break;
        }
        if std::time::Instant::now() > limits.deadline {
            let secs = limits.timeout.as_secs_f64();
            return Err(fail(
                format!("timed out: the download took more than {secs} s (after {total} bytes)"),
                true,
            ));
        }
        total += n as u64;
        if total > max {
            return Err(fail(
                format!("the body is larger than the limit of {max} bytes"),
                false,
            ));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(local)?;
        progress(Progress::Advance(n as u64));
    }
    let file = out.into_inner().map_err(|e| local(e.into_error()))?;
    file.sync_all().map_err(local)?;
    let hex = crate::digest::hex(&hasher.finalize());
    Ok((hex, total))
}

/// Loads a downloaded file as its feed kind: its record count, identity and warnings, or why it
/// is not a good copy.
fn check(spec: &FeedSpec, path: &Path) -> Result<(usize, Option<String>, Vec<String>), String> {
    let probe = FeedSpec {
        id: spec.id.clone(),
        kind: spec.kind,
        source: path.display().to_string(),
    };
    let mut feeds = Feeds::default();
    feeds.load_one(&probe).map_err(|e| {
        format!(
            "the download is not a usable {} feed: {}",
            kind_name(spec.kind),
            strip_path(&e.to_string(), path)
        )
    })?;
    let snapshot = feeds.snapshots.pop().expect("load_one records a snapshot");
    if snapshot.records == 0 {
        return Err(format!(
            "the download has no {} records",
            kind_name(spec.kind)
        ));
    }
    let notes = feeds
        .warnings
        .into_iter()
        .map(|w| format!("{}: {}", strip_path(&w.entry, path), w.message))
        .collect();
    Ok((snapshot.records, snapshot.identity, notes))
}

/// Messages about the temporary file name the feed instead.
fn strip_path(message: &str, tmp: &Path) -> String {
    message
        .replace(&format!("{}: ", tmp.display()), "")
        .replace(&tmp.display().to_string(), "the download")
}

fn kind_name(kind: FeedKind) -> &'static str {
    match kind {
        FeedKind::Osv => "OSV",
        FeedKind::Kev => "KEV",
        FeedKind::Epss => "EPSS",
        FeedKind::Native => "native",
    }
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// Whether a URL's host is this machine, where plain http is fine.
fn loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_are_loopback() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://[::1]:9/x",
            "http://u@127.0.0.2/",
        ] {
            assert!(loopback(url), "{url}");
        }
        for url in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "http://127.0.0.1.evil.com/x",
        ] {
            assert!(!loopback(url), "{url}");
        }
    }
}

//! The report in a real browser: Debian's headless Chromium loads the example's operator report
//! and a customer page from disk (`--dump-dom` gives the DOM after the page's script ran,
//! `--screenshot` a picture). No console message and no script error; one timeline bar per
//! window of plan.json, placed at its start and sized by its length; the findings filter (driven
//! by the URL's fragment, which the page reads) counts the rows plan.json says it should; a
//! fleet's page says its rows are the most urgent of how many; and hostile text runs no script
//! in either page. Screenshots go to `target/report-screenshots/`
//! for a person to look at (the README's pictures are copies of them).
//!
//! Each test names itself and skips when Chromium is absent; with PATCHPLAN_REQUIRE_SHARED=1
//! (CI, whose `.ci/run` installs Chromium) its absence fails the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{example_copy, root};
use crate::notices::plan;

/// How long one Chromium run may take before it is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(90);

/// Headless Chromium with a fresh profile; the flags keep it off the network.
struct Chromium {
    bin: PathBuf,
    profile: tempfile::TempDir,
}

impl Chromium {
    /// Chromium (`$PATCHPLAN_CHROMIUM`, else `chromium` or `chromium-browser` on PATH), or
    /// `None` after saying that `test` skipped.
    fn find(test: &str) -> Option<Chromium> {
        let bin = std::env::var_os("PATCHPLAN_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| {
                let path = std::env::var_os("PATH")?;
                std::env::split_paths(&path)
                    .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
                    .find(|p| p.is_file())
            });
        match bin {
            Some(bin) => Some(Chromium {
                bin,
                profile: tempfile::tempdir().unwrap(),
            }),
            None if std::env::var("PATCHPLAN_REQUIRE_SHARED").as_deref() == Ok("1") => {
                panic!("{test}: Chromium is not installed and PATCHPLAN_REQUIRE_SHARED=1")
            }
            None => {
                eprintln!("SKIPPED {test}: Chromium is not installed (apt-get install chromium)");
                None
            }
        }
    }

    /// Runs Chromium on `url` with `args`; returns stdout and stderr.
    fn run(&self, args: &[&str], url: &str) -> (String, String) {
        // Into files, not pipes: a DOM larger than a pipe's buffer would block Chromium while
        // this waits for it to exit.
        let (out, err) = (
            self.profile.path().join("stdout"),
            self.profile.path().join("stderr"),
        );
        let mut child = Command::new(&self.bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .args(args)
            .arg(url)
            .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
            .spawn()
            .expect("chromium starts");
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > TIMEOUT {
                child.kill().unwrap();
                panic!("chromium took longer than {TIMEOUT:?} on {url}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let text = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
        (text(&out), text(&err))
    }

    /// The DOM of `url` after its script ran, asserting that the page logged nothing to the
    /// console, raised no error and finished its script.
    fn dom(&self, url: &str) -> String {
        let (dom, log) = self.run(&["--dump-dom"], url);
        let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
        assert!(
            console.is_empty(),
            "console output on {url}:\n{}",
            console.join("\n")
        );
        assert!(dom.contains("</html>"), "no DOM for {url}:\n{log}");
        assert!(!dom.contains("data-errors="), "a script error on {url}");
        dom
    }

    /// A screenshot of `url` at `width` x `height` into `target/report-screenshots/NAME.png`.
    fn screenshot(&self, url: &str, name: &str, width: u32, height: u32) -> PathBuf {
        let dir = root().join("target/report-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&path);
        let size = format!("--window-size={width},{height}");
        let shot = format!("--screenshot={}", path.display());
        self.run(&[&size, &shot, "--hide-scrollbars"], url);
        let png = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
            "{name}"
        );
        eprintln!("screenshot for a person to look at: {}", path.display());
        path
    }
}

fn url(path: &Path, fragment: &str) -> String {
    format!("file://{}{fragment}", path.display())
}

/// The value of attribute `name` in the tag that starts at `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let tag = &tag[..tag.find('>')?];
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[at..at + tag[at..].find('"')?])
}

/// `left:12.3456%;width:0.1234%` -> (12.3456, 0.1234).
fn place(style: &str) -> (f64, f64) {
    let num = |key: &str| -> f64 {
        let at = style.find(key).unwrap() + key.len();
        style[at..at + style[at..].find('%').unwrap()]
            .parse()
            .unwrap()
    };
    (num("left:"), num("width:"))
}

fn instant(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The number of findings the page says match its filter.
fn count(dom: &str) -> usize {
    let at = dom
        .find("id=\"findings-status\"")
        .expect("a findings status");
    let start = dom[..at].rfind('<').unwrap();
    attr(&dom[start..], "data-count").unwrap().parse().unwrap()
}

#[test]
fn browser_operator_report_has_a_bar_per_window_filters_and_a_screenshot() {
    let test = "browser::browser_operator_report_has_a_bar_per_window_filters_and_a_screenshot";
    let Some(chromium) = Chromium::find(test) else {
        return;
    };
    let tmp = example_copy();
    let plan = plan(tmp.path());
    let page = tmp.path().join("out/report/index.html");
    let dom = chromium.dom(&url(&page, ""));
    let html = &dom[dom.find("<html").unwrap()..];
    assert_eq!(attr(html, "lang"), Some("en"));
    assert_eq!(
        attr(html, "data-ready"),
        Some("1"),
        "the script did not finish"
    );

    // One bar per window, at its place in the timeline's range.
    let tl = &dom[dom.find("<div class=\"timeline\"").unwrap()..];
    let (from, to) = (
        instant(attr(tl, "data-from").unwrap()),
        instant(attr(tl, "data-to").unwrap()),
    );
    let span = (to - from).num_seconds() as f64;
    let windows = plan["windows"].as_array().unwrap();
    let bars: Vec<&str> = dom
        .match_indices("<a class=\"bar ")
        .map(|(i, _)| &dom[i..])
        .collect();
    assert_eq!(bars.len(), windows.len());
    for w in windows {
        let id = w["id"].as_str().unwrap();
        let bar = bars
            .iter()
            .find(|b| attr(b, "data-window") == Some(id))
            .unwrap_or_else(|| panic!("no bar for {id}"));
        let (left, width) = place(attr(bar, "style").unwrap());
        let (start, end) = (
            instant(w["start"].as_str().unwrap()),
            instant(w["end"].as_str().unwrap()),
        );
        let want_left = (start - from).num_seconds() as f64 / span * 100.0;
        let want_width = (end - start).num_seconds() as f64 / span * 100.0;
        assert!(
            (left - want_left).abs() < 0.001,
            "{id}: left {left}, want {want_left}"
        );
        assert!(
            (width - want_width).abs() < 0.001,
            "{id}: width {width}, want {want_width}"
        );
        let class = if w["kind"] == "emergency" {
            "emergency"
        } else {
            ""
        };
        assert!(bar.starts_with(&format!("<a class=\"bar {class}")), "{id}");
    }

    // The filters count what plan.json says.
    let findings = plan["findings"].as_array().unwrap();
    assert_eq!(count(&dom), findings.len());
    let cases = [
        ("#customer=andes-telecom", Some("andes-telecom"), None),
        ("#decision=attend", None, Some("attend")),
        (
            "#customer=hudson-fiber&decision=track",
            Some("hudson-fiber"),
            Some("track"),
        ),
    ];
    for (fragment, customer, decision) in cases {
        let keep = |f: &&Value| {
            customer.is_none_or(|c| f["customer"] == c)
                && decision.is_none_or(|d| f["decision"] == d)
        };
        let want = findings.iter().filter(keep).count();
        assert!(want > 0 && want < findings.len(), "{fragment}: {want}");
        let dom = chromium.dom(&url(&page, fragment));
        assert_eq!(count(&dom), want, "{fragment}");
        let table = &dom[dom.find("id=\"findings-table\"").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        assert_eq!(
            table.matches("<tr><td>").count(),
            want.min(100),
            "{fragment}"
        );
    }
    // Sorting, by the same fragment: the first row has the lowest score.
    let dom = chromium.dom(&url(&page, "#sort=score&dir=asc"));
    let lowest = (findings.iter())
        .map(|f| f["score"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    let table = &dom[dom.find("id=\"findings-table\"").unwrap()..];
    let first = &table[table.find("<tr><td>").unwrap()..];
    let first = &first[..first.find("</tr>").unwrap()];
    assert!(
        first.contains(&format!("<td class=\"num\">{lowest:.1}</td>")),
        "{first}"
    );
    chromium.screenshot(&url(&page, ""), "operator", 1200, 1500);
}

#[test]
fn browser_customer_page_lists_its_windows_and_a_screenshot() {
    let test = "browser::browser_customer_page_lists_its_windows_and_a_screenshot";
    let Some(chromium) = Chromium::find(test) else {
        return;
    };
    let tmp = example_copy();
    let plan = plan(tmp.path());
    let page = tmp
        .path()
        .join("out/report/customers/andes-telecom/index.html");
    let dom = chromium.dom(&url(&page, ""));
    assert!(dom.contains("<html lang=\"es\">"));
    let windows: Vec<&str> = plan["windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["customer"] == "andes-telecom")
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        dom.matches("<article class=\"window").count(),
        windows.len()
    );
    for id in windows {
        assert!(dom.contains(&format!("data-window=\"{id}\"")), "{id}");
    }
    assert!(dom.contains("href=\"maintenance.ics\"") && dom.contains("href=\"notices.atom\""));
    chromium.screenshot(&url(&page, ""), "customer", 900, 1300);
}

#[test]
fn browser_hostile_text_runs_no_script_in_either_page() {
    let test = "browser::browser_hostile_text_runs_no_script_in_either_page";
    let Some(chromium) = Chromium::find(test) else {
        return;
    };
    let tmp = crate::report::hostile_copy();
    plan(tmp.path());
    for (rel, fragment) in [
        ("index.html", ""),
        ("index.html", "#q=onerror"),
        ("customers/harbor/index.html", ""),
    ] {
        let page = tmp.path().join("out/report").join(rel);
        let dom = chromium.dom(&url(&page, fragment));
        assert!(
            !dom.contains("data-pwned=\"1\""),
            "{rel}{fragment}: the hostile text ran"
        );
        assert!(
            !dom.contains("<img"),
            "{rel}{fragment}: the hostile text made an element"
        );
        assert!(
            dom.contains("&lt;img src=x onerror="),
            "{rel}{fragment}: text not shown"
        );
    }
    // Had escaping failed, the pages' Content-Security-Policy would still run no script but the
    // report's own: a script forced into each page is refused (and reported on the console).
    let forced = "<script>document.documentElement.setAttribute('data-pwned','1')</script>";
    for (rel, own) in [("index.html", true), ("customers/harbor/index.html", false)] {
        let page = tmp.path().join("out/report").join(rel);
        let text = std::fs::read_to_string(&page).unwrap();
        std::fs::write(
            &page,
            text.replacen(
                "<main id=\"main\">",
                &format!("<main id=\"main\">{forced}"),
                1,
            ),
        )
        .unwrap();
        let (dom, log) = chromium.run(&["--dump-dom"], &url(&page, ""));
        assert!(
            !dom.contains("data-pwned=\"1\""),
            "{rel}: a forced script ran"
        );
        assert!(
            log.contains("Content Security Policy"),
            "{rel}: no CSP report:\n{log}"
        );
        assert_eq!(
            dom.contains("data-ready=\"1\""),
            own,
            "{rel}: its own script"
        );
    }
}

#[test]
fn browser_report_reads_without_javascript() {
    let test = "browser::browser_report_reads_without_javascript";
    let Some(chromium) = Chromium::find(test) else {
        return;
    };
    let tmp = example_copy();
    let plan = plan(tmp.path());
    // Chromium's --dump-dom needs script itself, so the page's own script is taken out instead.
    let text = std::fs::read_to_string(tmp.path().join("out/report/index.html")).unwrap();
    let own = text.find("<script>\n").expect("the page's script");
    let end = own + text[own..].find("</script>").unwrap() + "</script>".len();
    let page = tmp.path().join("out/report/no-script.html");
    std::fs::write(&page, format!("{}{}", &text[..own], &text[end..])).unwrap();
    let dom = chromium.dom(&url(&page, "#decision=act"));
    assert!(!dom.contains("data-ready"), "the script ran");
    // Everything but the script's work is there: the summary, a bar per window, the windows
    // table, every finding (the example has fewer than a page) unfiltered, the notices.
    let windows = plan["windows"].as_array().unwrap().len();
    assert_eq!(dom.matches("<a class=\"bar ").count(), windows);
    for id in [
        "summary", "timeline", "windows", "findings", "notices", "feeds",
    ] {
        assert!(dom.contains(&format!("<section id=\"{id}\"")), "{id}");
    }
    let table = &dom[dom.find("id=\"findings-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let findings = plan["findings"].as_array().unwrap().len();
    assert_eq!(table.matches("<tr><td>").count(), findings);
    // The filter form needs the script, so it stays hidden.
    let form = &dom[dom.find("<form").unwrap()..];
    assert!(
        form[..form.find('>').unwrap()].contains(" hidden"),
        "{}",
        &form[..200]
    );
}

#[test]
fn browser_fleet_report_says_it_carries_the_most_urgent_findings() {
    let test = "browser::browser_fleet_report_says_it_carries_the_most_urgent_findings";
    let Some(chromium) = Chromium::find(test) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    crate::report::write_large_fleet(tmp.path());
    let plan = plan(tmp.path());
    let findings = plan["findings"].as_array().unwrap();
    let page = tmp.path().join("out/report/index.html");
    let status = |dom: &str| {
        let at = dom.find("id=\"findings-status\"").unwrap();
        let text = &dom[at + dom[at..].find('>').unwrap() + 1..];
        text[..text.find('<').unwrap()].to_string()
    };
    let dom = chromium.dom(&url(&page, ""));
    assert_eq!(count(&dom), 20_000);
    let all = format!("20000 most urgent here ({} in all", findings.len());
    assert!(status(&dom).contains(&all), "{}", status(&dom));
    // Every act finding is among the most urgent, so filtering finds each one.
    let act = findings.iter().filter(|f| f["decision"] == "act").count();
    assert!(act > 0);
    let dom = chromium.dom(&url(&page, "#decision=act"));
    assert_eq!(count(&dom), act);
    assert!(status(&dom).contains(&all), "{}", status(&dom));
}

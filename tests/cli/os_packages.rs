//! OS packages: dpkg status files matched against their own release's advisories, on the real
//! Ubuntu Security Notices in `../shared/data/ubuntu`, against an independent reference
//! (`tests/fixtures/ubuntu/usn_reference.py`, which compares versions with `dpkg
//! --compare-versions`), and what happens when the release is unknown.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{NOW, root, run, shared, stderr, stdout};

type Triple = (String, String, String);

/// `scan --format json` of the shared Ubuntu status file (`status`, or a copy) against the
/// shared USN zip, with `extra` arguments; it must succeed.
fn scan(status: &str, extra: &[&str]) -> Option<Value> {
    let zip = shared("ubuntu/Ubuntu-usn-sample.zip")?;
    let mut args = vec!["scan", "--lockfile", status, "--osv", zip.to_str().unwrap()];
    args.extend(["--format", "json", "--now", NOW]);
    args.extend(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    Some(serde_json::from_str(&stdout(&o)).unwrap())
}

/// Every (advisory, source package, version) a report finds. Records that name the same CVE
/// for the same package are one finding; the other records' ids are among its aliases, and each
/// still counts as a triple of its own.
fn triples(report: &Value) -> BTreeSet<Triple> {
    let mut out = BTreeSet::new();
    for f in report["findings"].as_array().unwrap() {
        let s = |v: &Value| v.as_str().unwrap().to_string();
        let merged = f["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a.as_str().unwrap().starts_with("USN-"));
        for id in std::iter::once(&f["advisory"]).chain(merged) {
            out.insert((s(id), s(&f["package"]), s(&f["version"])));
        }
    }
    out
}

fn reference() -> BTreeSet<Triple> {
    let path = root().join("tests/fixtures/ubuntu/usn_reference.tsv");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0].into(), cols[1].into(), cols[2].into())
        })
        .collect()
}

#[test]
fn the_shared_ubuntu_host_reproduces_the_reference_evaluator() {
    let Some(status) = shared("ubuntu/ubuntu-22.04.status") else {
        return;
    };
    let Some(report) = scan(status.to_str().unwrap(), &["--distro", "ubuntu:22.04"]) else {
        return;
    };
    let expected = reference();
    assert_eq!(expected.len(), 49, "the reference as committed");
    assert_eq!(triples(&report), expected);
    let has = |a: &str, p: &str, v: &str| expected.contains(&(a.into(), p.into(), v.into()));
    // Covered by the range only, not by the record's `versions` list.
    assert!(has("USN-5397-1", "curl", "7.81.0-1ubuntu1"));
    // Affected only through bsdutils's `Source: util-linux (2.37.2-4ubuntu3)`.
    assert!(has("USN-6719-1", "util-linux", "2.37.2-4ubuntu3"));
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["ecosystem"], "Ubuntu:22.04:LTS", "{f:#}");
        // Not installed (config-files, half-installed), or Pro-only for 22.04.
        for absent in ["squid", "redis", "haproxy", "cjson"] {
            assert_ne!(f["package"], absent, "{f:#}");
        }
        // CVE ids come from `upstream`, and the fix is the 22.04 one.
        let aliases = f["aliases"].as_array().unwrap();
        assert!(
            aliases
                .iter()
                .any(|a| a.as_str().unwrap().starts_with("CVE-")),
            "{f:#}"
        );
    }
    let openssh = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"] == "USN-7270-1")
        .unwrap();
    assert_eq!(openssh["fixed"], "1:8.9p1-3ubuntu0.11");
    assert_eq!(openssh["recommended"], "1:8.9p1-3ubuntu0.14");
    assert_eq!(
        openssh["aliases"],
        serde_json::json!(["CVE-2025-26465", "CVE-2025-26466"])
    );
    assert_eq!(
        openssh["cvss"]["vector"],
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N"
    );
}

#[test]
fn an_ubuntu_pro_host_also_matches_the_pro_records() {
    let Some(status) = shared("ubuntu/ubuntu-22.04.status") else {
        return;
    };
    let Some(report) = scan(
        status.to_str().unwrap(),
        &["--distro", "ubuntu:22.04", "--ubuntu-pro"],
    ) else {
        return;
    };
    let found = triples(&report);
    // Everything the release's own records find, and the Pro-only cjson and redis notices.
    assert!(found.is_superset(&reference()));
    let pro: BTreeSet<&str> = found
        .iter()
        .filter(|t| !reference().contains(*t))
        .map(|t| t.0.as_str())
        .collect();
    assert!(pro.contains("USN-6784-1"), "{pro:?}");
    assert!(
        pro.iter()
            .any(|id| ["USN-6531-1", "USN-7321-1"].contains(id)),
        "{pro:?}"
    );
}

#[test]
fn the_release_comes_from_an_os_release_file_beside_the_list() {
    let Some(status) = shared("ubuntu/ubuntu-22.04.status") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("x.dpkg-status");
    std::fs::copy(&status, &copy).unwrap();
    let zip = shared("ubuntu/Ubuntu-usn-sample.zip").unwrap();
    let args = |extra: &'static [&'static str]| {
        let mut a = vec![
            "scan".to_string(),
            "--lockfile".into(),
            copy.display().to_string(),
        ];
        a.extend(["--osv".into(), zip.display().to_string()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    // The issue's command: no release anywhere is an error naming what to add, never a guess.
    let o = run(&args(&[]).iter().map(String::as_str).collect::<Vec<_>>());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("x.dpkg-status: the distribution release of this package list is unknown"),
        "{err}"
    );
    for needle in [
        "--distro ID:VERSION",
        "--os-release FILE",
        "`distro = \"ubuntu:22.04\"`",
        "os-release",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    std::fs::write(
        tmp.path().join("os-release"),
        "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\n",
    )
    .unwrap();
    let o = run(&args(&["--format", "json"])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(triples(&report), reference());
    // `--os-release` names the file explicitly; `--distro` wins over the file beside the list.
    let os_release = tmp.path().join("os-release").display().to_string();
    let mut explicit = args(&["--format", "json"]);
    explicit.extend(["--os-release".into(), os_release]);
    let o = run(&explicit.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&args(&["--distro", "debian:12"])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("no findings"), "{}", stdout(&o));
}

#[test]
fn bad_releases_are_usage_errors() {
    for (args, needle) in [
        (
            &["--distro", "centos:7"][..],
            "unknown distribution `centos:7`",
        ),
        (
            &["--distro", "alpine:3.20"][..],
            "which `alpine:3.20` does not use",
        ),
        (
            &["--distro", "debian:12", "--ubuntu-pro"][..],
            "Ubuntu only",
        ),
    ] {
        let mut all = vec![
            "scan",
            "--lockfile",
            "tests/fixtures/inputs/debian-12.dpkg-status",
        ];
        all.extend(["--osv", "tests/fixtures/inputs/osv"]);
        all.extend(args);
        let o = run(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(needle), "{needle}: {err}");
    }
    // Without a package list, a release has nothing to apply to.
    let o = run(&["scan", "--distro", "ubuntu:22.04"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("an inventory's environments say it with `distro`"),
        "{err}"
    );
}

/// The example's Ubuntu gateway, its systemd notice (CVE-2026-29111, only in `upstream`) now in
/// KEV and in EPSS: both join through the CVE id, and the KEV due date sets the deadline.
#[test]
fn kev_and_epss_join_ubuntu_records_through_their_upstream_cves() {
    let tmp = crate::common::example_copy();
    let feeds = tmp.path().join("inventory/feeds");
    let kev_path = feeds.join("kev.json");
    let mut kev: Value = serde_json::from_slice(&std::fs::read(&kev_path).unwrap()).unwrap();
    let mut entry = kev["vulnerabilities"][0].clone();
    entry["cveID"] = "CVE-2026-29111".into();
    entry["dueDate"] = "2026-11-05".into();
    kev["vulnerabilities"].as_array_mut().unwrap().push(entry);
    std::fs::write(&kev_path, serde_json::to_vec(&kev).unwrap()).unwrap();
    let epss_path = feeds.join("epss.csv");
    let mut epss = std::fs::read_to_string(&epss_path).unwrap();
    epss.push_str("CVE-2026-29111,0.41000,0.97100\n");
    std::fs::write(&epss_path, epss).unwrap();
    let out = tmp.path().join("out");
    let o = crate::common::run_in(
        tmp.path(),
        &[
            "plan",
            "--now",
            NOW,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan: Value = crate::common::read_plan(&out.join("plan.json"));
    let f = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "iberia-gateway:systemd:USN-8119-1")
        .unwrap();
    assert_eq!(f["kev"], true, "{f:#}");
    assert_eq!(f["points"]["exploitation"], "active", "{f:#}");
    assert_eq!(f["epss"]["percentile"], 0.971, "{f:#}");
    assert_eq!(f["deadline"], "2026-11-05T00:00:00Z", "{f:#}");
    // The reboot still fits iberia's Tuesday window, before the due date.
    let window = plan["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == f["window"])
        .unwrap();
    assert_eq!(window["id"], "iberia-conecta.martes-jueves.2026-11-03");
    let task = window["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["package"] == "systemd")
        .unwrap();
    assert_eq!(task["deadline_missed"], false);
    assert_eq!(
        (task["restart"].as_str(), task["downtime_minutes"].as_u64()),
        (Some("reboot"), Some(10))
    );
}

/// Two notices that fix the same CVE in the same package (a notice and its regression update)
/// are one finding, named by the first, with the other and the CVE among its aliases; a third
/// record of the same CVE for another release does not join.
#[test]
fn notices_of_one_cve_for_one_package_are_one_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("status"),
        "Package: libexpat1\nStatus: install ok installed\nSource: expat\nVersion: 2.4.7-1ubuntu0.2\n",
    )
    .unwrap();
    std::fs::create_dir(dir.join("osv")).unwrap();
    let record = |id: &str, eco: &str, fixed: &str| {
        let json = format!(
            r#"{{"id":"{id}","aliases":[],"upstream":["UBUNTU-CVE-2024-45491"],"summary":"expat vulnerability",
            "affected":[{{"package":{{"ecosystem":"{eco}","name":"expat"}},
            "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
        );
        std::fs::write(dir.join("osv").join(format!("{id}.json")), json).unwrap();
    };
    record("USN-7000-1", "Ubuntu:22.04:LTS", "2.4.7-1ubuntu0.4");
    record("USN-7000-2", "Ubuntu:22.04:LTS", "2.4.7-1ubuntu0.5");
    record("USN-7001-1", "Ubuntu:24.04:LTS", "2.6.1-2ubuntu0.1");
    let status = dir.join("status").display().to_string();
    let osv = dir.join("osv").display().to_string();
    let o = run(&[
        "scan",
        "--lockfile",
        &status,
        "--distro",
        "ubuntu:22.04",
        "--osv",
        &osv,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    let f = &findings[0];
    assert_eq!(f["advisory"], "USN-7000-1");
    assert_eq!(
        f["aliases"],
        serde_json::json!(["CVE-2024-45491", "USN-7000-2"])
    );
    // The merged finding is fixed where both notices are.
    assert_eq!(f["fixed"], "2.4.7-1ubuntu0.5");
}

//! Risk on real data and through the binary: every CVSS vector of the shared OSV exports scored as
//! an independent implementation scores it; salt 3000.1 against the PyPI export and the real KEV
//! catalog; the policy switches; OpenVEX documents, good and bad; invalid vectors; EPSS `.csv.gz`.

use std::collections::BTreeMap;
use std::path::Path;

use patchplan::feeds::{FeedKind, FeedSpec, Feeds};
use serde_json::Value;

use crate::common::{NOW, edit, example_copy, position, root, run_in, shared, stderr, stdout};

/// `plan` in `dir` (holding `inventory/`), returning plan.json and stderr.
fn plan_in(dir: &Path) -> (Value, String) {
    let out = dir.join("out");
    let o = run_in(dir, &["plan", "--now", NOW, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan = crate::common::read_plan(&out.join("plan.json"));
    (plan, stderr(&o))
}

fn finding<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

fn reasons(f: &Value) -> String {
    let all: Vec<&str> = f["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    all.join("\n")
}

#[test]
fn every_cvss_vector_in_the_shared_osv_exports_scores_as_the_reference() {
    let tsv =
        std::fs::read_to_string(root().join("tests/fixtures/cvss/reference_scores.tsv")).unwrap();
    let reference: BTreeMap<&str, f64> = tsv
        .lines()
        .skip(2)
        .map(|l| {
            let (vector, score) = l.split_once('\t').unwrap();
            (vector, score.parse().unwrap())
        })
        .collect();
    let mut seen: BTreeMap<String, f64> = BTreeMap::new();
    for zip in ["crates.io-all.zip", "PyPI-all.zip", "Go-all.zip"] {
        let Some(path) = shared(&format!("osv/{zip}")) else {
            return;
        };
        let spec = FeedSpec {
            id: "osv".into(),
            kind: FeedKind::Osv,
            source: path.display().to_string(),
        };
        let feeds = Feeds::load(&[spec]).expect("the real feed loads");
        for vector in feeds.advisories.iter().flat_map(|a| &a.severity) {
            let info =
                patchplan::risk::cvss::parse(vector).unwrap_or_else(|e| panic!("{zip}: {e}"));
            seen.insert(vector.clone(), info.score);
        }
    }
    let seen_keys: Vec<&str> = seen.keys().map(String::as_str).collect();
    let reference_keys: Vec<&str> = reference.keys().copied().collect();
    assert_eq!(
        seen_keys, reference_keys,
        "the fixture covers exactly the vectors in the data"
    );
    let wrong: Vec<String> = seen
        .iter()
        .filter(|(v, s)| reference[v.as_str()] != **s)
        .map(|(v, s)| format!("{v}: {s}, reference {}", reference[v.as_str()]))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        seen.len(),
        wrong.join("\n")
    );
    assert!(seen.len() > 150 && seen.keys().any(|v| v.starts_with("CVSS:4.0/")));
}

/// An inventory of one internet-exposed, high-criticality environment running `salt` 3000.1.
fn salt_inventory(dir: &Path, pypi: &Path, kev: &Path) {
    let inv = dir.join("inventory");
    for sub in ["customers", "environments"] {
        std::fs::create_dir_all(inv.join(sub)).unwrap();
    }
    let config = format!(
        "[organisation]\nname = \"Ops\"\nemail = \"ops@ops.example\"\ndomain = \"ops.example\"\n\n\
         [[feed]]\nid = \"pypa\"\nkind = \"osv\"\nsource = \"{}\"\n\n\
         [[feed]]\nid = \"kev\"\nkind = \"kev\"\nsource = \"{}\"\n",
        pypi.display(),
        kev.display()
    );
    std::fs::write(inv.join("patchplan.toml"), config).unwrap();
    std::fs::write(
        inv.join("customers/acme.toml"),
        "id = \"acme\"\nname = \"Acme\"\n\n[[windows]]\nid = \"sunday\"\nrrule = \"FREQ=WEEKLY;BYDAY=SU\"\nstart = \"02:00\"\nduration = \"4h\"\n",
    )
    .unwrap();
    std::fs::write(
        inv.join("environments/salt-master.toml"),
        "id = \"salt-master\"\ncustomer = \"acme\"\nname = \"Salt master\"\nexposure = \"internet\"\ncriticality = \"high\"\n\n[[components]]\nname = \"salt\"\necosystem = \"PyPI\"\nversion = \"3000.1\"\n",
    )
    .unwrap();
}

#[test]
fn salt_3000_1_on_an_exposed_critical_master_is_an_emergency() {
    let (Some(pypi), Some(kev)) = (
        shared("osv/PyPI-all.zip"),
        shared("kev/known_exploited_vulnerabilities.json"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    salt_inventory(tmp.path(), &pypi, &kev);
    let (plan, _) = plan_in(tmp.path());
    let f = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "CVE-2020-11651")
        })
        .expect("a finding for CVE-2020-11651");
    assert_eq!(
        (f["decision"].as_str(), f["emergency"].as_bool()),
        (Some("act"), Some(true))
    );
    assert!(f["cvss"].is_null(), "the record has no vector: {f}");
    let why = reasons(f);
    for needle in [
        "exploitation: active (CVE-2020-11651 is in CISA KEV, added 2021-11-03, due 2022-05-03)",
        "automatable: no (assumed: the record has no CVSS vector; policy assume_automatable)",
        "technical impact: total (assumed: the record has no CVSS vector; policy assume_technical_impact)",
        "CISA KEV due date 2022-05-03 (00:00 UTC) already passed",
        "schedule: decision act",
    ] {
        assert!(why.contains(needle), "missing `{needle}` in:\n{why}");
    }
    assert_eq!(f["deadline"], NOW, "the KEV due date passed long ago");
    let o = run_in(
        tmp.path(),
        &["explain", "CVE-2020-11651", "--now", NOW, "--quiet"],
    );
    let text = stdout(&o);
    assert!(
        text.contains("automatable             no      ASSUMED: the record has no CVSS vector")
            && text
                .contains("KEV          CVE-2020-11651 listed: added 2021-11-03, due 2022-05-03"),
        "{text}"
    );
}

#[test]
fn policy_switches_change_emergencies() {
    // Default `true`: the SLA deadline no planned window meets makes an emergency.
    let tmp = example_copy();
    let config = tmp.path().join("inventory/patchplan.toml");
    edit(
        &config,
        "emergency_on_missed_deadline = \"3d\"",
        "emergency_on_missed_deadline = true",
    );
    let (plan, _) = plan_in(tmp.path());
    let f = finding(&plan, "andes-prod:axios:GHSA-x639-jrgf-8x3r");
    assert_eq!(f["emergency"], true, "{f}");
    // `false`: the KEV finding at iberia-prod is a deadline miss, and `emergency = []` leaves act
    // findings to planned windows.
    let tmp = example_copy();
    let config = tmp.path().join("inventory/patchplan.toml");
    edit(
        &config,
        "emergency_on_missed_deadline = \"3d\"",
        "emergency_on_missed_deadline = false",
    );
    edit(&config, "emergency = [\"act\"]", "emergency = []");
    let (plan, _) = plan_in(tmp.path());
    let crypto = finding(&plan, "iberia-prod:golang.org/x/crypto:GO-2026-4417");
    assert_eq!(crypto["emergency"], false, "{crypto}");
    assert!(reasons(crypto).contains("deadline miss"), "{crypto}");
    let portal = finding(&plan, "andes-prod:wispgate-portal:WG-2026-017");
    assert_eq!(
        (portal["decision"].as_str(), portal["emergency"].as_bool()),
        (Some("act"), Some(false))
    );
    assert!(
        plan["windows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["kind"] == "planned")
    );
}

#[test]
fn bad_policy_values_point_at_themselves() {
    let tmp = example_copy();
    let config = tmp.path().join("inventory/patchplan.toml");
    edit(
        &config,
        "emergency = [\"act\"]",
        "emergency = [\"act\", \"panic\"]",
    );
    edit(
        &config,
        "emergency_on_missed_deadline = \"3d\"",
        "emergency_on_missed_deadline = 3",
    );
    edit(&config, "attend = \"7d\"", "attend = \"7 days\"");
    let o = run_in(tmp.path(), &["validate"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for (needle, message) in [
        (
            "\"panic\"",
            "unknown decision `panic`: expected track, track*, attend or act",
        ),
        (
            "3 # true",
            "emergency_on_missed_deadline is true, false or a duration such as \"3d\" (found integer)",
        ),
        ("\"7 days\"", "invalid duration `7 days`"),
    ] {
        let line = format!(
            "inventory/patchplan.toml:{}: {message}",
            position(&config, needle)
        );
        assert!(err.contains(&line), "missing `{line}` in:\n{err}");
    }
    // An unknown tier is a misspelt key.
    let tmp = example_copy();
    let config = tmp.path().join("inventory/patchplan.toml");
    edit(&config, "[policy.sla.premium]", "[policy.sla.gold]");
    let err = stderr(&run_in(tmp.path(), &["validate"]));
    assert!(err.contains("unknown field `gold`"), "{err}");
}

/// Writes `text` as the example's VEX document and returns `validate`'s stderr.
fn validate_vex(text: &str) -> (String, String) {
    let tmp = example_copy();
    let doc = tmp.path().join("inventory/vex/wispgate-psirt.openvex.json");
    std::fs::write(&doc, text).unwrap();
    let o = run_in(tmp.path(), &["validate"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    (
        stderr(&o),
        "inventory/vex/wispgate-psirt.openvex.json".into(),
    )
}

#[test]
fn bad_vex_documents_are_errors_at_their_line_and_column() {
    let head = "{\n  \"@context\": \"https://openvex.dev/ns/v0.2.0\",\n  \"statements\": [\n";
    let case = |statement: &str, at: &str, message: &str| {
        let (err, path) = validate_vex(&format!("{head}    {statement}\n  ]\n}}\n"));
        let line = format!("{path}:{at}: {message}");
        assert!(err.contains(&line), "missing `{line}` in:\n{err}");
    };
    case(
        r#"{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:cargo/h2"}], "status": "not_afected"}"#,
        "4:103",
        "unknown variant `not_afected`, expected one of `not_affected`, `affected`, `fixed`, `under_investigation`",
    );
    case(
        r#"{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:cargo/h2"}], "status": "not_affected"}"#,
        "4:5",
        "statement on CVE-1: not_affected needs a justification or an impact_statement",
    );
    case(
        r#"{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "nowhere-prod"}], "status": "fixed"}"#,
        "4:55",
        "product `nowhere-prod` is neither a purl (pkg:...) nor an environment of this inventory",
    );
    case(
        r#"{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "andes-prod", "subcomponents": [{"@id": "h2"}]}], "status": "fixed"}"#,
        "4:95",
        "a subcomponent is named by a purl (pkg:...)",
    );
    case(
        r#"{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:cargo/h2"}], "status": "fixed", "justification": "because"}"#,
        "4:125",
        "unknown variant `because`",
    );
    let (err, path) = validate_vex(
        "{\n  \"@context\": \"https://openvex.dev/ns/v0.2.0\",\n  \"statements\": [\n",
    );
    assert!(
        err.contains(&format!("{path}:4:1: EOF while parsing")),
        "{err}"
    );
    let (err, path) = validate_vex(
        "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"timestamp\": \"yesterday\", \"statements\": []}",
    );
    let line = format!("{path}:1:60: invalid timestamp `yesterday`");
    assert!(err.contains(&line), "missing `{line}` in:\n{err}");
    let (err, path) =
        validate_vex("{\"@context\": \"https://example.com/csaf\", \"statements\": []}");
    assert!(
        err.contains(&format!("{path}:1:14: not an OpenVEX document")),
        "{err}"
    );
}

#[test]
fn a_missing_vex_document_names_the_key() {
    let tmp = example_copy();
    let config = tmp.path().join("inventory/patchplan.toml");
    edit(
        &config,
        "vex = [\"vex/*.json\"]",
        "vex = [\"vex/*.json\", \"vex/missing.json\"]",
    );
    let o = run_in(tmp.path(), &["validate"]);
    let at = position(&config, "\"vex/missing.json\"");
    let line =
        format!("inventory/patchplan.toml:{at}: VEX document `vex/missing.json` does not exist");
    assert!(
        stderr(&o).contains(&line),
        "missing `{line}` in:\n{}",
        stderr(&o)
    );
}

#[test]
fn a_fixed_statement_for_a_purl_suppresses_the_component_everywhere() {
    let tmp = example_copy();
    let doc = tmp.path().join("inventory/vex/vendor.json");
    std::fs::write(
        &doc,
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "timestamp": "2026-10-20T00:00:00Z",
            "statements": [{"vulnerability": {"name": "CVE-2026-41866"},
              "products": [{"@id": "x", "identifiers": {"purl": "pkg:npm/axios@1.7.7"}}],
              "status": "fixed", "status_notes": "backported"}]}"#,
    )
    .unwrap();
    let (plan, _) = plan_in(tmp.path());
    let axios: Vec<&Value> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["package"] == "axios")
        .collect();
    for f in &axios {
        let at_177 = f["version"] == "1.7.7";
        assert_eq!(f["status"] == "fixed", at_177, "{f}");
        if at_177 {
            assert_eq!(f["vex"]["status"], "fixed");
            assert_eq!(f["window"], Value::Null);
        }
    }
    assert!(
        axios.iter().any(|f| f["status"] == "open"),
        "other versions stay open"
    );
}

#[test]
fn an_invalid_vector_is_a_warning_and_the_severity_word_stands_in() {
    let tmp = example_copy();
    let record = tmp
        .path()
        .join("inventory/feeds/osv/GHSA-x639-jrgf-8x3r.json");
    edit(
        &record,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        "CVSS:3.1/AV:N/AC:X",
    );
    let (plan, err) = plan_in(tmp.path());
    assert_eq!(
        err.matches("advisory GHSA-x639-jrgf-8x3r (feed osv-local): invalid CVSS vector `CVSS:3.1/AV:N/AC:X`").count(),
        1,
        "one warning per record: {err}"
    );
    let f = finding(&plan, "andes-prod:axios:GHSA-x639-jrgf-8x3r");
    assert!(f["cvss"].is_null(), "{f}");
    let why = reasons(f);
    assert!(
        why.contains("severity HIGH (no CVSS vector; the score counts it as 8.0)"),
        "{why}"
    );
    assert!(why.contains("automatable: no (assumed"), "{why}");
}

#[test]
fn epss_reads_gzip_compressed_csv() {
    use std::io::Write;
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let csv = std::fs::read(inv.join("feeds/epss.csv")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&csv).unwrap();
    std::fs::write(inv.join("feeds/epss.csv.gz"), gz.finish().unwrap()).unwrap();
    std::fs::remove_file(inv.join("feeds/epss.csv")).unwrap();
    edit(
        &inv.join("patchplan.toml"),
        "\"feeds/epss.csv\"",
        "\"feeds/epss.csv.gz\"",
    );
    let (plan, _) = plan_in(tmp.path());
    let epss = plan["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "epss")
        .unwrap();
    assert_eq!(epss["records"], 11);
    assert_eq!(epss["identity"], "v2025.03.14 2026-10-26T00:00:00+0000");
    let f = finding(&plan, "andes-prod:wispgate-core:WG-2026-014");
    assert_eq!(f["epss"]["percentile"], 0.97315);
}

/// An override naming an advisory that no record about the inventory's components has (a
/// mistyped id) is a warning: it applies to nothing. The example's, an id and an alias, are not.
#[test]
fn an_override_of_an_unknown_advisory_is_a_warning() {
    let tmp = example_copy();
    let (_, err) = plan_in(tmp.path());
    assert!(!err.contains("it applies to nothing"), "{err}");
    let overrides = tmp.path().join("inventory/overrides.toml");
    let typo = "\n[[exceptions]]\nadvisory = \"GHSA-rx39-2q6v-69fv\"\nenvironments = [\"*\"]\nuntil = \"2027-01-31\"\nreason = \"r\"\nowner = \"o\"\n";
    crate::common::append(&overrides, typo);
    let (plan, err) = plan_in(tmp.path());
    let warning = "overrides.toml: exception for `GHSA-rx39-2q6v-69fv`: no advisory about the inventory's components has that id or alias; it applies to nothing";
    assert!(err.contains(warning), "missing `{warning}` in:\n{err}");
    let listed = plan["warnings"].as_array().unwrap();
    assert!(listed.iter().any(|w| w == warning), "{listed:?}");
}

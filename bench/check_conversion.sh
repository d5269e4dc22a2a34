#!/usr/bin/env bash
# Checks that the advisory-db converted from the RustSec OSV zip makes
# cargo-audit report what the shared reference reports say: for every
# LOCKFILES_DIR/NAME.Cargo.lock, the set of (advisory id, package, version) in
# `vulnerabilities.list` and the (kind, advisory id, package, version) of the
# unmaintained / unsound / notice warnings must equal NAME.cargo-audit.json's.
# (The references' `yanked` warnings come from the crates.io index, not from
# the advisory data, so cargo-audit runs with --no-yanked and they are not
# compared.)
#
# Then a probe over the whole database, not only the advisories these
# lockfiles hit: a synthetic lockfile holds, for every crate named in the OSV
# data, versions at and around every range event (the event itself, its -0 and
# -alpha.1 pre-releases, the neighbouring patch and minor releases, ...), and
# cargo-audit's findings on it must equal a direct evaluation of the OSV
# events (introduced <= v < fixed; withdrawn records dropped).
#
# Exits 1 on any difference, 2 on a usage or setup problem.
#
# Environment (all optional):
#   SHARED_DATA    shared data dir       (default: REPO/../shared/data)
#   OSV_ZIP        RustSec OSV export    (default: $SHARED_DATA/osv/crates.io-all.zip)
#   LOCKFILES_DIR  lockfiles + reports   (default: $SHARED_DATA/lockfiles)
#   ADVISORY_DB    an already converted advisory-db to check (default: convert
#                  OSV_ZIP into a temporary directory)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
SHARED_DATA=${SHARED_DATA:-$repo/../shared/data}
OSV_ZIP=${OSV_ZIP:-$SHARED_DATA/osv/crates.io-all.zip}
LOCKFILES_DIR=${LOCKFILES_DIR:-$SHARED_DATA/lockfiles}

if ! cargo audit --version >/dev/null 2>&1; then
    echo "error: cargo-audit is not installed; install it with: cargo install cargo-audit --locked" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "error: python3 is needed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/check-conversion.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [[ -z "${ADVISORY_DB:-}" ]]; then
    [[ -f "$OSV_ZIP" ]] || { echo "error: $OSV_ZIP not found (set OSV_ZIP)" >&2; exit 2; }
    ADVISORY_DB=$work/advisory-db
    python3 "$here/osv_to_advisory_db.py" "$OSV_ZIP" "$ADVISORY_DB"
fi

shopt -s nullglob
locks=("$LOCKFILES_DIR"/*.Cargo.lock)
if (( ${#locks[@]} == 0 )); then
    echo "error: no *.Cargo.lock in $LOCKFILES_DIR (set LOCKFILES_DIR)" >&2
    exit 2
fi

echo "cargo-audit: $(cargo audit --version)"
echo "advisory-db: $ADVISORY_DB"
failed=0
for lock in "${locks[@]}"; do
    name=$(basename "$lock" .Cargo.lock)
    ref=$LOCKFILES_DIR/$name.cargo-audit.json
    if [[ ! -f "$ref" ]]; then
        echo "skip $name: no $name.cargo-audit.json"
        continue
    fi
    got=$work/$name.json
    # exit status 1 means "vulnerabilities found"; anything else is an error
    status=0
    cargo audit --json --no-fetch --no-yanked --db "$ADVISORY_DB" --file "$lock" \
        >"$got" 2>"$work/$name.stderr" || status=$?
    if (( status > 1 )) || [[ ! -s "$got" ]]; then
        echo "FAIL $name: cargo audit exited $status" >&2
        cat "$work/$name.stderr" >&2
        failed=1
        continue
    fi
    python3 - "$name" "$ref" "$got" <<'EOF' || failed=1
import json, sys

name, ref_path, got_path = sys.argv[1:]

def sets(path):
    with open(path, encoding="utf-8") as fh:
        report = json.load(fh)
    vulns = {
        (v["advisory"]["id"], v["package"]["name"], v["package"]["version"])
        for v in report["vulnerabilities"]["list"]
    }
    warnings = set()
    for kind, items in (report.get("warnings") or {}).items():
        if kind not in ("unmaintained", "unsound", "notice"):
            continue  # yanked: crates.io index, not advisory data
        for w in items:
            warnings.add((kind, w["advisory"]["id"], w["package"]["name"], w["package"]["version"]))
    return vulns, warnings

ref_v, ref_w = sets(ref_path)
got_v, got_w = sets(got_path)
ok = ref_v == got_v and ref_w == got_w
print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(got_v)}/{len(ref_v)} vulnerabilities, "
      f"{len(got_w)}/{len(ref_w)} warnings (converted/reference)")
for label, ref, got in (("vulnerability", ref_v, got_v), ("warning", ref_w, got_w)):
    for item in sorted(ref - got):
        print(f"  missing {label}: {' '.join(item)}")
    for item in sorted(got - ref):
        print(f"  extra   {label}: {' '.join(item)}")
sys.exit(0 if ok else 1)
EOF
done

echo "probe: every crate of $OSV_ZIP at and around each range event"
python3 - "$here" "$OSV_ZIP" "$work/probe.Cargo.lock" "$work/probe.expected.json" <<'EOF'
import json, sys, zipfile
sys.path.insert(0, sys.argv[1])
from osv_to_advisory_db import MIN, Version

zip_path, lock_path, expect_path = sys.argv[2:5]

def around(v):
    major, minor, patch, pre = v.key
    out = {v.text, f"{major}.{minor}.{patch + 1}", f"{major}.{minor + 1}.0"}
    if pre == (1,):  # a release: also just below it
        out |= {f"{major}.{minor}.{patch}-0", f"{major}.{minor}.{patch}-alpha.1"}
        if patch:
            out.add(f"{major}.{minor}.{patch - 1}")
        if minor:
            out.add(f"{major}.{minor - 1}.99")
    else:  # a pre-release: its release and the next pre-release
        out |= {f"{major}.{minor}.{patch}", v.text + ".0"}
    return out

def affected(entry, v):
    """OSV events as exported (ascending), evaluated directly."""
    for rng in entry.get("ranges") or []:
        start = None
        for event in rng["events"]:
            if "introduced" in event:
                start = MIN if event["introduced"] == "0" else Version.parse(event["introduced"])
            elif "fixed" in event or "last_affected" in event:
                end = Version.parse(event.get("fixed") or event["last_affected"])
                inside = v < end if "fixed" in event else v <= end
                if start is not None and start <= v and inside:
                    return True
                start = None
        if start is not None and start <= v:
            return True
    return False

records, versions = [], {}
with zipfile.ZipFile(zip_path) as zf:
    for name in sorted(zf.namelist()):
        if name.endswith(".json"):
            records.append(json.loads(zf.read(name)))
for record in records:
    for entry in record["affected"]:
        probes = versions.setdefault(entry["package"]["name"], {"0.0.0", "0.1.0", "1.0.0", "999.0.0"})
        for rng in entry.get("ranges") or []:
            for event in rng["events"]:
                for raw in event.values():
                    if raw != "0" and Version.parse(raw).key != MIN.key:
                        probes |= around(Version.parse(raw))
expected = set()
for record in records:
    if record.get("withdrawn"):
        continue
    for entry in record["affected"]:
        kind = (entry.get("database_specific") or {}).get("informational") or "vulnerability"
        for text in versions[entry["package"]["name"]]:
            if affected(entry, Version.parse(text)):
                expected.add((kind, record["id"], entry["package"]["name"], text))
with open(expect_path, "w") as fh:
    json.dump(sorted(expected), fh)
with open(lock_path, "w") as fh:
    fh.write("version = 3\n")
    for name in sorted(versions):
        for text in sorted(versions[name], key=lambda t: Version.parse(t).key):
            fh.write(f'\n[[package]]\nname = "{name}"\nversion = "{text}"\n'
                     'source = "registry+https://github.com/rust-lang/crates.io-index"\n')
print(f"  {sum(map(len, versions.values()))} probe packages of {len(versions)} crates, "
      f"{len(expected)} expected findings")
EOF
status=0
cargo audit --json --no-fetch --no-yanked --db "$ADVISORY_DB" --file "$work/probe.Cargo.lock" \
    >"$work/probe.json" 2>"$work/probe.stderr" || status=$?
if (( status > 1 )) || [[ ! -s "$work/probe.json" ]]; then
    echo "FAIL probe: cargo audit exited $status" >&2
    cat "$work/probe.stderr" >&2
    failed=1
else
    python3 - "$work/probe.expected.json" "$work/probe.json" <<'EOF' || failed=1
import json, sys

with open(sys.argv[1]) as fh:
    expected = {tuple(item) for item in json.load(fh)}
with open(sys.argv[2]) as fh:
    report = json.load(fh)
got = {("vulnerability", v["advisory"]["id"], v["package"]["name"], v["package"]["version"])
       for v in report["vulnerabilities"]["list"]}
for kind, items in (report.get("warnings") or {}).items():
    got |= {(kind, w["advisory"]["id"], w["package"]["name"], w["package"]["version"])
            for w in items}
ok = got == expected
print(f"{'ok  ' if ok else 'FAIL'} probe: {len(got)}/{len(expected)} findings (cargo-audit/OSV), "
      f"{report['database']['advisory-count']} advisories loaded")
for item in sorted(expected - got)[:50]:
    print(f"  missing: {' '.join(item)}")
for item in sorted(got - expected)[:50]:
    print(f"  extra:   {' '.join(item)}")
sys.exit(0 if ok else 1)
EOF
fi

if (( failed )); then
    echo "conversion check FAILED" >&2
    exit 1
fi
echo "conversion check passed: cargo-audit on the converted OSV data matches every reference report"

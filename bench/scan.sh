#!/usr/bin/env bash
# Benchmarks `patchplan scan` against cargo-audit on the same lockfiles and the
# same advisory data (DESIGN.md, "Performance"), side by side with hyperfine:
#
#   (a) the largest shared lockfile (by package count):
#         patchplan scan --lockfile L --osv ZIP --format json
#       vs
#         cargo audit --no-fetch --no-yanked --db DB --file L --json
#       target: patchplan mean / cargo-audit mean <= 0.2
#   (b) patchplan scan with every shared lockfile in one invocation
#       vs one cargo-audit run on the largest lockfile
#       target: patchplan (all) mean < cargo-audit (one) mean
#
# DB is ZIP converted to cargo-audit's advisory-db layout by
# bench/osv_to_advisory_db.py (bench/check_conversion.sh checks that it
# reproduces the reference reports), so both tools read the same advisories.
# patchplan does not look for yanked crates, hence cargo-audit's --no-yanked.
#
# Warm runs are measured for both tools: hyperfine's warm-up runs (untimed)
# let patchplan build its cached index of the zip and fill the page cache, and
# cargo-audit reads an already converted (already "fetched") advisory-db.
#
# Runs from anywhere. Environment (all optional):
#   SHARED_DATA        shared data dir     (default: REPO/../shared/data)
#   OSV_ZIP            RustSec OSV export  (default: $SHARED_DATA/osv/crates.io-all.zip)
#   LOCKFILES_DIR      lockfiles           (default: $SHARED_DATA/lockfiles, *.Cargo.lock)
#   ADVISORY_DB        converted advisory-db to use (default: convert OSV_ZIP into a temp dir)
#   PATCHPLAN_CACHE_DIR  patchplan's cache dir (default: a fresh temp dir, filled by the warm-up)
#   BENCH_OUT          where the hyperfine exports go (default: REPO/target/bench-scan)
#   BENCH_RUNS         minimum timed runs per command (default 20)
#   BENCH_WARMUP       untimed warm-up runs per command (default 3)
#   CARGO_AUDIT_VIA_CARGO=1  time `cargo audit ...` (through cargo's subcommand
#                      dispatch) instead of the `cargo-audit audit ...` binary
#   BENCH_STRICT=1     exit 1 when a target is missed
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
SHARED_DATA=${SHARED_DATA:-$repo/../shared/data}
OSV_ZIP=${OSV_ZIP:-$SHARED_DATA/osv/crates.io-all.zip}
LOCKFILES_DIR=${LOCKFILES_DIR:-$SHARED_DATA/lockfiles}
BENCH_OUT=${BENCH_OUT:-$repo/target/bench-scan}
BENCH_RUNS=${BENCH_RUNS:-20}
BENCH_WARMUP=${BENCH_WARMUP:-3}

# ---------------------------------------------------------------- tools
missing=0
if ! command -v cargo >/dev/null; then
    echo "error: cargo not found: install a Rust toolchain (https://rustup.rs)" >&2
    missing=1
fi
if ! command -v python3 >/dev/null; then
    echo "error: python3 not found: install it (e.g. apt-get install python3)" >&2
    missing=1
fi
if ! cargo audit --version >/dev/null 2>&1; then
    echo "error: cargo-audit not found: install it with  cargo install cargo-audit --locked" >&2
    missing=1
fi
if ! hyperfine --version >/dev/null 2>&1; then
    echo "error: hyperfine not found: install it with  apt-get install hyperfine  (or cargo install hyperfine --locked)" >&2
    missing=1
fi
(( missing == 0 )) || exit 2

[[ -f "$OSV_ZIP" ]] || { echo "error: $OSV_ZIP not found (set OSV_ZIP or SHARED_DATA)" >&2; exit 2; }
shopt -s nullglob
locks=("$LOCKFILES_DIR"/*.Cargo.lock)
shopt -u nullglob
(( ${#locks[@]} > 0 )) || { echo "error: no *.Cargo.lock in $LOCKFILES_DIR (set LOCKFILES_DIR)" >&2; exit 2; }

# ---------------------------------------------------------------- build
echo "== building patchplan (cargo build --release in $repo)" >&2
(cd "$repo" && cargo build --release)
patchplan=$repo/target/release/patchplan
[[ -x "$patchplan" ]] || { echo "error: $patchplan was not built" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/patchplan-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [[ -z "${ADVISORY_DB:-}" ]]; then
    echo "== converting $OSV_ZIP to an advisory-db for cargo-audit" >&2
    ADVISORY_DB=$work/advisory-db
    python3 "$here/osv_to_advisory_db.py" "$OSV_ZIP" "$ADVISORY_DB"
fi
[[ -d "$ADVISORY_DB/crates" ]] || { echo "error: $ADVISORY_DB has no crates/ directory" >&2; exit 2; }
export PATCHPLAN_CACHE_DIR=${PATCHPLAN_CACHE_DIR:-$work/patchplan-cache}
mkdir -p "$BENCH_OUT"

# ---------------------------------------------------------------- inputs
largest=
largest_count=-1
for lock in "${locks[@]}"; do
    count=$(grep -c '^\[\[package\]\]' "$lock" || true)
    if (( count > largest_count )); then
        largest=$lock
        largest_count=$count
    fi
done
largest_name=$(basename "$largest" .Cargo.lock)

q() { printf '%q' "$1"; }
pp_one="$(q "$patchplan") scan --lockfile $(q "$largest") --osv $(q "$OSV_ZIP") --format json"
pp_all="$(q "$patchplan") scan"
for lock in "${locks[@]}"; do
    pp_all+=" --lockfile $(q "$lock")"
done
pp_all+=" --osv $(q "$OSV_ZIP") --format json"
# Time the cargo-audit binary itself: cargo's subcommand dispatch (rustup
# proxy + cargo, about 30 ms here) would add its own start-up to cargo-audit's.
audit_bin=$(command -v cargo-audit || true)
if [[ -z "$audit_bin" && -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-audit" ]]; then
    audit_bin=${CARGO_HOME:-$HOME/.cargo}/bin/cargo-audit
fi
if [[ "${CARGO_AUDIT_VIA_CARGO:-0}" == 1 || -z "$audit_bin" ]]; then
    audit_cmd="cargo audit"
else
    audit_cmd="$(q "$audit_bin") audit"
fi
ca_one="$audit_cmd --no-fetch --no-yanked --db $(q "$ADVISORY_DB") --file $(q "$largest") --json"

# cargo-audit exits 1 when it finds vulnerabilities (patchplan only does with
# --fail-on), so hyperfine runs with --ignore-failure; check once here that
# each command really works (exit 0 or 1 with a JSON report), so that a broken
# command is not timed as a fast one.
check() {
    local label=$1 cmd=$2 status=0
    eval "$cmd" >"$work/check.out" 2>"$work/check.err" || status=$?
    if (( status > 1 )) || ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/check.out" 2>/dev/null; then
        echo "error: $label failed (exit $status): $cmd" >&2
        tail -20 "$work/check.err" >&2
        exit 2
    fi
}
check "patchplan scan (largest)" "$pp_one"
check "patchplan scan (all)" "$pp_all"
check "cargo-audit" "$ca_one"

hf() {
    hyperfine --shell=none --output=null --ignore-failure \
        --warmup "$BENCH_WARMUP" --min-runs "$BENCH_RUNS" "$@"
}

echo "== (a) $largest_name ($largest_count packages): patchplan scan vs cargo-audit" >&2
hf --export-markdown "$BENCH_OUT/a.md" --export-json "$BENCH_OUT/a.json" \
    -n "patchplan scan $largest_name" "$pp_one" \
    -n "cargo-audit $largest_name" "$ca_one"

echo "== (b) patchplan scan of all ${#locks[@]} lockfiles vs cargo-audit on $largest_name" >&2
hf --export-markdown "$BENCH_OUT/b.md" --export-json "$BENCH_OUT/b.json" \
    -n "patchplan scan all ${#locks[@]} lockfiles" "$pp_all" \
    -n "cargo-audit $largest_name" "$ca_one"

# ---------------------------------------------------------------- summary
echo
echo "## patchplan scan vs cargo-audit"
echo
echo "patchplan: $("$patchplan" --version 2>/dev/null || echo "$patchplan")"
echo "cargo-audit: $(cargo audit --version) (timed as: $audit_cmd)"
echo "advisory data: $OSV_ZIP (advisory-db for cargo-audit: converted copy)"
echo "lockfiles: ${#locks[@]} in $LOCKFILES_DIR; largest $largest_name ($largest_count packages)"
echo "warm runs are measured for both tools: $BENCH_WARMUP untimed warm-up runs each"
echo "(patchplan's cached index of the zip is built by then, in $PATCHPLAN_CACHE_DIR;"
echo "cargo-audit reads an already fetched advisory-db with --no-fetch --no-yanked);"
echo "at least $BENCH_RUNS timed runs per command, outputs to /dev/null, exit status 1 (= findings) ignored."
echo
echo "### (a) one lockfile: $largest_name"
echo
cat "$BENCH_OUT/a.md"
echo
echo "### (b) patchplan on all ${#locks[@]} lockfiles vs cargo-audit on $largest_name"
echo
cat "$BENCH_OUT/b.md"
echo
python3 - "$BENCH_OUT/a.json" "$BENCH_OUT/b.json" "${BENCH_STRICT:-0}" <<'EOF'
import json, sys

def means(path):
    with open(path) as fh:
        results = json.load(fh)["results"]
    return results[0]["mean"], results[1]["mean"]

pa, ca = means(sys.argv[1])
pb, cb = means(sys.argv[2])
ra, rb = pa / ca, pb / cb
ok_a, ok_b = ra <= 0.2, pb < cb
print("### ratios (patchplan mean / cargo-audit mean)")
print()
print(f"(a) {pa * 1000:.1f} ms / {ca * 1000:.1f} ms = {ra:.3f}   target <= 0.2: {'MET' if ok_a else 'NOT MET'}")
print(f"(b) {pb * 1000:.1f} ms / {cb * 1000:.1f} ms = {rb:.3f}   target < 1 (all lockfiles faster than one cargo-audit run): {'MET' if ok_b else 'NOT MET'}")
if sys.argv[3] == "1" and not (ok_a and ok_b):
    sys.exit(1)
EOF
echo
echo "exports: $BENCH_OUT/{a,b}.{md,json}"

#!/usr/bin/env bash
# The fleet benchmark (DESIGN.md, "Performance"): `patchplan plan` over ENVIRONMENTS
# environments of COMPONENTS components against all shared OSV data and the KEV catalogue.
# Target: under 10 s and 2 GiB on 2 cores for 20,000 x 250.
#
#   bench/fleet.sh [ENVIRONMENTS [COMPONENTS]]      (defaults 20000 250)
#
# Generates the inventory with bench/fleet.py into target/fleet-N (once), builds patchplan in
# release mode, runs one untimed plan (which builds the zip indexes in a fresh cache), then times
# three plans with /usr/bin/time, printing wall time and peak memory. Each plan starts from an
# empty ledger and output directory, so each is a first plan that issues every notice.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
envs=${1:-20000}
comps=${2:-250}
dir="$repo/target/fleet-$envs-$comps"
if [[ ! -f "$dir/inventory/patchplan.toml" ]]; then
    python3 "$here/fleet.py" "$dir" "$envs" "$comps"
fi
(cd "$repo" && cargo build --release --quiet)
bin="$repo/target/release/patchplan"
export PATCHPLAN_CACHE_DIR="$dir/cache"
fresh() { rm -rf "$dir/out" "$dir/ledger.db"*; }
plan=("$bin" --quiet --inventory "$dir/inventory" --ledger "$dir/ledger.db"
    --now 2026-10-27T09:00:00Z plan --out "$dir/out")
fresh; "${plan[@]}"  # warm-up: zip indexes, page cache
for i in 1 2 3; do
    fresh
    /usr/bin/time -f "run $i: %e s wall, %U s user, %S s system, %M KiB peak" "${plan[@]}"
done
python3 - "$dir/out/plan.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
print(f"plan.json: {len(plan['findings'])} findings, {len(plan['windows'])} windows, "
      f"{len(plan['notices'])} notices")
PY

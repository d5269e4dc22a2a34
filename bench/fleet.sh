#!/usr/bin/env bash
# The fleet benchmark (DESIGN.md, "Performance"): `patchplan plan` over fleets of 1,000, 5,000
# and 20,000 environments of 250 components against all shared OSV data and the KEV catalogue.
# Targets: 20,000 x 250 in under 5 s and 1 GiB on 2 cores from an empty ledger, a re-plan with
# nothing changed and a dry run in under 3 s; 1,000 x 250 in under 0.5 s.
#
#   bench/fleet.sh [SIZES...]      (default: 1000 5000 20000)
#
# For each size it generates the inventory with bench/fleet.py into target/fleet-N-250 (once),
# runs one untimed plan (which builds the zip indexes in a fresh cache and creates the output
# directory), then times, each the median of RUNS (default 3) runs with /usr/bin/time:
#   first   `plan` from an empty ledger: every finding is new and every notice is issued;
#   replan  `plan` again at the same `now`: nothing changed, nothing is issued;
#   dry-run `plan --dry-run`.
# Each timed run starts after `sync`, so the disk is not still taking the previous run's files.
# The output directory is not deleted between runs (deleting tens of thousands of files just
# before creating as many measures the file system, not patchplan): a first plan rewrites the
# notices in place. Notice writing is shown on its own (`notices` column: staging and
# publishing the notice files, from PATCHPLAN_TIMINGS), as are the files each run wrote.
# Prints a Markdown table, then for each size how long the disk took, between the re-plans and
# the dry runs, to write plan.json's bytes alone (zeros, past the page cache, to a new file
# beside it): what no plan of that size can be written in, that hour. A re-plan's wall time
# is about its dry run's plus that.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000 5000 20000)
runs=${RUNS:-3}
comps=250
(cd "$repo" && cargo build --release --quiet)
bin="$repo/target/release/patchplan"
now=2026-10-27T09:00:00Z
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One timed run: prints "wall cpu rss_kib notices_s files".
timed() {
    local dir=$1; shift
    touch "$tmp/marker"
    # The previous run's 1.6 GB plan.json is written out first: the kernel flushing it during
    # this run would be timed as this run's.
    sync
    sleep 0.01
    PATCHPLAN_TIMINGS=1 /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" \
        "$bin" --quiet --inventory "$dir/inventory" --ledger "$dir/ledger.db" --now "$now" \
        plan --out "$dir/out" "$@" 2>"$tmp/stderr" >/dev/null
    local files
    files=$(find "$dir/out" -type f -newer "$tmp/marker" | wc -l)
    local notices
    notices=$(awk '/^timing: +(notice files staged|publish notice files)/ {for (i = 1; i <= NF; i++) if ($i == "s") {s += $(i-1); break}} END {printf "%.2f", s}' "$tmp/stderr")
    read -r wall user sys rss < "$tmp/time"
    echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}') $rss $notices $files"
}

# Seconds the disk takes to write $2 bytes to a new file in directory $1 past the page cache
# (through it and synced where direct writes are refused), then the file is deleted again.
disk_alone() {
    local f="$1/.disk-alone" blocks=$(( ($2 + 4194303) / 4194304 ))
    sync
    /usr/bin/time -f "%e" -o "$tmp/disk" dd if=/dev/zero of="$f" bs=4M count="$blocks" \
        oflag=direct status=none 2>/dev/null ||
        /usr/bin/time -f "%e" -o "$tmp/disk" dd if=/dev/zero of="$f" bs=4M count="$blocks" \
            conv=fsync status=none
    rm -f "$f"
    sync
    cat "$tmp/disk"
}

# The median (by wall time) of $runs runs of `timed`, after `prepare` before each.
median() {
    local prepare=$1; shift
    for _ in $(seq "$runs"); do
        $prepare
        timed "$@"
    done | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

alone=()
echo "| environments | findings | run | wall | CPU | peak RSS | notices written in | plan.json | files written |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|"
for envs in "${sizes[@]}"; do
    dir="$repo/target/fleet-$envs-$comps"
    [[ -f "$dir/inventory/patchplan.toml" ]] || python3 "$here/fleet.py" "$dir" "$envs" "$comps" >/dev/null
    export PATCHPLAN_CACHE_DIR="$dir/cache"
    fresh() { rm -f "$dir/ledger.db" "$dir/ledger.db-wal" "$dir/ledger.db-shm"; }
    keep() { :; }
    fresh
    "$bin" --quiet --inventory "$dir/inventory" --ledger "$dir/ledger.db" --now "$now" plan --out "$dir/out"
    # plan.json v2 writes one finding per line.
    findings=$(grep -c '^[,]*{"id":' "$dir/out/plan.json" || true)
    size=$(du -m "$dir/out/plan.json" | cut -f1)
    bytes=$(stat -c %s "$dir/out/plan.json")
    for run in first replan dry-run; do
        case $run in
            first) line=$(median fresh "$dir") ;;
            replan) line=$(median keep "$dir") ;;
            dry-run)
                disk=$(disk_alone "$dir/out" "$bytes")
                # (dd writes whole 4 MiB blocks: the rate is of what it wrote.)
                written=$(( (bytes + 4194303) / 4194304 * 4194304 ))
                rate=$(awk -v b="$written" -v s="$disk" 'BEGIN {printf "%.2f", b / s / 1e9}')
                alone+=("| $envs | $size MB | $disk s | $rate GB/s |")
                line=$(median keep "$dir" --dry-run)
                ;;
        esac
        read -r wall cpu rss notices files <<< "$line"
        printf "| %s | %s | %s | %.2f s | %.2f s | %d MiB | %s s | %s MB | %s |\n" \
            "$envs" "$findings" "$run" "$wall" "$cpu" "$((rss / 1024))" "$notices" "$size" "$files"
    done
done
echo
echo "| environments | plan.json | its bytes alone, written to a new file past the page cache | rate |"
echo "|---:|---:|---:|---:|"
printf "%s\n" "${alone[@]}"

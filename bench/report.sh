#!/usr/bin/env bash
# The report benchmark: how big the operator report of a plan is, and how long headless
# Chromium takes to load it (parse the page and its findings rows, first draw) and to filter it.
#
#   bench/report.sh OUT_DIR [FRAGMENT]      (FRAGMENT defaults to #decision=act)
#
# OUT_DIR is a `plan --out` directory (bench/fleet.sh leaves one in target/fleet-N-M/out). The
# page records its own timings (`data-ready-ms`: from navigation start to the end of its script,
# the fragment's filter included; `data-render-ms`: the last filter, sort and draw), read here
# from the DOM Chromium dumps. Three runs each, unfiltered and filtered.
set -euo pipefail
out=${1:?usage: bench/report.sh OUT_DIR [FRAGMENT]}
fragment=${2:-#decision=act}
page="$(cd "$out" && pwd)/report/index.html"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
echo "report: $(du -h "$page" | cut -f1) ($(grep -o '"rows":\[' "$page" >/dev/null && echo rows embedded))"
for view in "" "$fragment"; do
    for i in 1 2 3; do
        dom=$(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --user-data-dir="$profile" --dump-dom "file://$page$view" 2>/dev/null)
        ready=$(grep -o 'data-ready-ms="[0-9.]*"' <<<"$dom" | head -1 | cut -d'"' -f2)
        render=$(grep -o 'data-render-ms="[0-9.]*"' <<<"$dom" | head -1 | cut -d'"' -f2)
        count=$(grep -o 'id="findings-status"[^>]*data-count="[0-9]*"' <<<"$dom" | grep -o '[0-9]*"$' | tr -d '"' || true)
        echo "${view:-(all)} run $i: loaded in ${ready} ms, filter and draw ${render} ms, ${count} rows match"
    done
done

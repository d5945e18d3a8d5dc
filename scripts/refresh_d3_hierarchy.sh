#!/usr/bin/env bash
# Refresh the vendored d3-hierarchy (the report's treemap layout) from npm:
#   scripts/refresh_d3_hierarchy.sh [VERSION]     (default: the latest 3.x)
# It replaces sizescan/files/report/d3-hierarchy.min.js and LICENSE.d3-hierarchy and
# writes the version into sizescan/files/report/README.md.  Review the diff, then run
# tests/test_report.py: the page must still draw and pass its checks.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-$(npm view 'd3-hierarchy@3' version | tail -1 | awk '{print $NF}' | tr -d "'")}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "d3-hierarchy@$version" >/dev/null && tar xzf d3-hierarchy-*.tgz)
dest=sizescan/files/report
cp "$work/package/dist/d3-hierarchy.min.js" "$dest/d3-hierarchy.min.js"
cp "$work/package/LICENSE" "$dest/LICENSE.d3-hierarchy"
if grep -q '</script' "$dest/d3-hierarchy.min.js"; then
    echo "d3-hierarchy $version contains '</script': it cannot be inlined as it is" >&2
    exit 1
fi
sed -i "s/^d3-hierarchy [0-9.]*,/d3-hierarchy $version,/" "$dest/README.md"
echo "d3-hierarchy $version vendored into $dest"

#!/usr/bin/env bash
# The documentation builds with DocC, without one warning: the catalogs
# (Sources/ProcessMonitor/ProcessMonitor.docc, Sources/MonitorExport/MonitorExport.docc, with the
# guides WritingASink and WritingAFormat) and the doc comments of every library module. Every
# ``symbol`` link and <doc:article> link must resolve: a link to a renamed, removed or
# non-public symbol is a warning, and fails the check.
#
# Usage: .ci/check-docc.sh [--scratch DIR]
#   --scratch DIR keeps the build and the archives in DIR for fast re-runs (e.g. .build-docc,
#   which .gitignore's `.build*/` covers); by default they live in a temporary directory.
#
# No swift-docc-plugin (the package has no dependencies): `swift build` emits each module's
# symbol graph (-emit-symbol-graph, in a build directory of its own so the main .build is not
# rebuilt), and the toolchain's `docc convert` builds one archive per module from its graphs
# (the module's own and its extensions of other modules' types, `Module@Other`) and its catalog
# when it has one. The ```swift blocks of the catalogs are compiled by check-doc-examples.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
die() { echo "check-docc: FAIL: $*" >&2; exit 1; }
command -v docc >/dev/null || die "docc is not on PATH (it ships with the toolchain in /opt/swift/usr/bin)"
scratch=""
if [[ ${1:-} == --scratch ]]; then scratch=$2; fi
if [[ -z $scratch ]]; then
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
fi
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
graphs="$scratch/symbol-graphs"

swift build --scratch-path "$scratch/build" \
    -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$graphs" > "$scratch/build.log" 2>&1 \
    || { tail -40 "$scratch/build.log" >&2; die "swift build with symbol graphs failed"; }

failed=0
for module in ProcessMonitor MonitorExport MonitorExportHTTP MonitorReport ProcessMonitorTesting; do
    [[ -f $graphs/$module.symbols.json ]] || die "swift build emitted no symbol graph for $module"
    input="$scratch/graphs/$module"
    rm -rf "$input" "$scratch/$module.doccarchive"
    mkdir -p "$input"
    cp "$graphs/$module.symbols.json" "$input/"
    for extension in "$graphs/$module@"*.symbols.json; do
        [[ -f $extension ]] && cp "$extension" "$input/"
    done
    catalog=()
    [[ -d Sources/$module/$module.docc ]] && catalog=("Sources/$module/$module.docc")
    status=0
    docc convert "${catalog[@]}" --additional-symbol-graph-dir "$input" \
        --fallback-display-name "$module" --fallback-bundle-identifier "org.processmonitor.$module" \
        --output-dir "$scratch/$module.doccarchive" > "$scratch/$module.log" 2>&1 || status=$?
    warnings=$(grep -cE '^(warning|error):' "$scratch/$module.log" || true)
    if ((status != 0 || warnings > 0)); then
        cat "$scratch/$module.log" >&2
        echo "check-docc: $module: docc exited $status with $warnings warning(s) or error(s)" >&2
        failed=1
        continue
    fi
    pages=$(find "$scratch/$module.doccarchive/data/documentation" -name '*.json' | wc -l)
    echo "check-docc: $module: $pages pages${catalog:+ (catalog ${catalog[0]})}, no warnings"
done
((failed == 0)) || die "docc reported the problems above"

# The catalogs are really read: the landing pages curate, and the guides are pages.
for page in processmonitor.json monitorexport.json monitorexport/writingasink.json monitorexport/writingaformat.json; do
    case $page in processmonitor*) archive="$scratch/ProcessMonitor.doccarchive" ;; *) archive="$scratch/MonitorExport.doccarchive" ;; esac
    [[ -f $archive/data/documentation/$page ]] || die "the archive has no page $page"
done
grep -q '"title":"Writing a sink"' "$scratch/MonitorExport.doccarchive/data/documentation/monitorexport/writingasink.json" \
    || die "the WritingASink page does not carry its title"
grep -q '"title":"Running a monitor"' "$scratch/ProcessMonitor.doccarchive/data/documentation/processmonitor.json" \
    || die "the ProcessMonitor landing page lost its topic groups"
echo "check-docc: all catalogs and doc comments build without warnings"

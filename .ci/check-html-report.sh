#!/usr/bin/env bash
# Checks `heartbeat-demo render --to html` end to end, in a real browser:
#
#   .ci/check-html-report.sh DEMO_BINARY OUTDIR
#
# 1. runs the demo for a JSON Lines log and renders its report (also from the log split into a
#    rotated set given out of order, and with a malformed line, which must be reported and
#    skipped);
# 2. checks the HTML itself: no URL or any other way to fetch (http:, https:, //, src=, @import,
#    url(), under 5 MB;
# 3. loads it from a file:// URL in Debian's headless Chromium with no network at all (a network
#    namespace with not even loopback; the browser is also told to resolve no name and to use a
#    dead proxy), through the DevTools protocol (.ci/browser-check.py): fails on any console
#    error or exception, on any request but the page itself, or on a blank page; keeps the
#    screenshot as OUTDIR/report.png;
# 4. proves the check has teeth: the same report with an injected <img src="http://…">, one
#    with an injected <script>throw 1</script> and that one without the report's CSP (so the
#    script runs and throws) must each fail it.
#
# Installs chromium (Debian) and pillow (PyPI) when missing.
set -euo pipefail
if (($# != 2)); then
    echo "usage: $0 DEMO_BINARY OUTDIR" >&2
    exit 2
fi
demo=$1
out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$out"
die() { echo "check-html-report: FAIL: $*" >&2; exit 1; }

checker=""
trap '[[ -n $checker ]] && kill "$checker" 2>/dev/null; true' EXIT

if ! command -v chromium >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium >/dev/null
fi
python3 -c 'import PIL' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pillow

# Runs browser-check.py with no network when this user may make a namespace (root may),
# in the background so the trap can end it (and with it the browser) by its PID.
browser_check() {
    local isolate=()
    if unshare -n true 2>/dev/null; then isolate=(unshare -n --); fi
    "${isolate[@]}" python3 "$here/browser-check.py" "$@" &
    checker=$!
    local status=0
    wait "$checker" || status=$?
    checker=""
    return "$status"
}

echo "check-html-report: the demo's log and its report"
"$demo" --duration 8s --interval 500ms --stall-threshold 1s \
    --export jsonl:"$out/demo.jsonl" --attribute job=html-report 2> /dev/null
records=$(wc -l < "$out/demo.jsonl")
"$demo" render --to html --title "heartbeat-demo" "$out/demo.jsonl" > "$out/report.html"
size=$(wc -c < "$out/report.html")
echo "check-html-report: $records records -> report.html, $size bytes"
((size < 5000000)) || die "the report is $size bytes (limit 5 MB)"
if grep -Eion 'https?:|//|src=|@import|url\(' "$out/report.html" | head -5; then
    die "the report names something a browser could fetch (above)"
fi
grep -q "$records heartbeats from 1 process in 1 source\." "$out/report.html" || die "the report does not count $records heartbeats"
grep -q '<svg' "$out/report.html" || die "the report has no drawing"

echo "check-html-report: a rotated set out of order, and a malformed line"
split -l 6 -d -a 1 "$out/demo.jsonl" "$out/part."
parts=("$out"/part.*)
{ head -2 "${parts[1]}"; echo '{"not": "a heartbeat"}'; tail -n +3 "${parts[1]}"; } > "$out/part.bad"
mv "$out/part.bad" "${parts[1]}"
set +e
# Newest first, as `ls` lists a rotated set; the report must not care.
"$demo" render --to html $(printf '%s\n' "${parts[@]}" | sort -r) > "$out/rotated.html" 2> "$out/rotated.err"
status=$?
set -e
((status == 1)) || die "a malformed line must make render exit 1, got $status"
grep -q "^heartbeat-demo render: ${parts[1]} line 3: " "$out/rotated.err" || die "the malformed line was not named: $(cat "$out/rotated.err")"
grep -q "$records heartbeats from 1 process in ${#parts[@]} sources, 1 unreadable line skipped\." "$out/rotated.html" \
    || die "the rotated set did not read as one log of $records heartbeats"

echo "check-html-report: the report in headless Chromium, no network"
browser_check "$out/report.html" "$out/report.png" || die "the report failed the browser check"

echo "check-html-report: the check must fail on an injected request and an injected error"
sed 's|<main>|<main><img src="http://example.com/x.png">|' "$out/report.html" > "$out/inject-request.html"
sed 's|<main>|<main><script>throw 1</script>|' "$out/report.html" > "$out/inject-throw.html"
# Without the report's Content-Security-Policy the script runs: the exception itself must fail.
grep -v 'Content-Security-Policy' "$out/inject-throw.html" > "$out/inject-throw-no-csp.html"
for page in inject-request inject-throw inject-throw-no-csp; do
    set +e
    browser_check "$out/$page.html" "$out/$page.png" 2> "$out/$page.err"
    status=$?
    set -e
    cat "$out/$page.err" >&2
    ((status == 1)) || die "$page.html passed the browser check (exit $status); the check has no teeth"
done
grep -q "the page requested http://example.com/x.png" "$out/inject-request.err" || die "the injected request was not reported"
grep -q "Executing inline script" "$out/inject-throw.err" || die "the blocked script was not reported"
grep -q "uncaught exception: 1" "$out/inject-throw-no-csp.err" || die "the exception was not reported"
echo "check-html-report: ok"

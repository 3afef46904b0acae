#!/usr/bin/env bash
# Checks the Pushgateway exporter end to end against the real Prometheus Pushgateway:
#   - Debian's prometheus-pushgateway runs on a free loopback port without a persistence file;
#   - a bad destination (pushgateway:ftp://…) fails the demo at start with exit 2 naming it;
#   - the demo runs with --export pushgateway:URL --export jsonl:FILE --attribute job=pmdemo;
#   - while it runs, the gateway serves processmonitor_heartbeats_total{job="pmdemo"};
#   - after it ends, the group is still there (the batch-job pattern) and holds the final
#     heartbeat: processmonitor_final_heartbeat 1, processmonitor_heartbeats_total and
#     processmonitor_heartbeat_timestamp_seconds equal to the last JSON Lines record's seq
#     and timestamp, and job_name="pmdemo" beside the grouping label job="pmdemo";
#   - /api/v1/metrics says the group's last push succeeded, and the demo warned about nothing;
#   - `promtool check metrics` reports nothing for the processmonitor families the gateway serves.
#
# Usage: .ci/check-pushgateway.sh DEMO_BINARY
# Installs prometheus-pushgateway, jq and curl (apt) when missing (promtool is used when
# present); starts the gateway itself with explicit flags (never the package's service) and
# stops it by PID.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DEMO_BINARY" >&2
    exit 2
fi
demo=$(realpath "$1")
say() { echo "check-pushgateway: $*"; }
die() { echo "check-pushgateway: FAIL: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------
bash "$(dirname "$0")/ensure-tools.sh" check-pushgateway prometheus-pushgateway=prometheus-pushgateway jq=jq curl=curl

work=$(mktemp -d)
gateway_pid=""
demo_pid=""
cleanup() {
    local status=$?
    for pid in $demo_pid $gateway_pid; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $demo_pid $gateway_pid; do
        wait "$pid" 2>/dev/null || true
    done
    if ((status != 0)); then
        for log in pushgateway.log demo.err; do
            [[ -s $work/$log ]] && { echo "--- $log (last 20 lines)"; tail -20 "$work/$log"; }
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
')
# An empty persistence file keeps the gateway in memory (Debian's default writes to /var/lib).
prometheus-pushgateway --web.listen-address="127.0.0.1:$port" --persistence.file="" \
    > "$work/pushgateway.log" 2>&1 &
gateway_pid=$!
base="http://127.0.0.1:$port"

servers="$gateway_pid:pushgateway"
source "$(dirname "$0")/wait-for.sh"
wait_for "the pushgateway" curl -sf "$base/-/ready"
say "pushgateway pid $gateway_pid on 127.0.0.1:$port"

# --- a bad destination fails at start ----------------------------------------------------
status=0
"$demo" --duration 1s --export "pushgateway:ftp://127.0.0.1:$port" 2> "$work/bad.err" > /dev/null || status=$?
((status == 2)) || die "pushgateway:ftp://… exited $status, expected 2"
grep -q "Pushgateway URL \"ftp://127.0.0.1:$port\" must use http or https" "$work/bad.err" \
    || die "the message does not name the bad URL: $(cat "$work/bad.err")"
say "pushgateway:ftp://… -> $(head -1 "$work/bad.err")"

# --- the run -----------------------------------------------------------------------------
ours() { curl -sf "$base/metrics" | grep -E '^(# (HELP|TYPE) )?processmonitor_' || true; }
sample() { ours | grep -E "^$1\{" | grep -F 'job="pmdemo"' | awk '{print $NF}'; }
pushed() { [[ -n $(sample processmonitor_heartbeats_total) ]]; }

timeout 120 "$demo" --duration 5s --interval 1s --stall-threshold 2s --workers 2 \
    --export "pushgateway:$base" --export "jsonl:$work/demo.jsonl" --attribute job=pmdemo \
    2> "$work/demo.err" &
demo_pid=$!
wait_for "the demo's first push" pushed
say "during the run: processmonitor_heartbeats_total{job=\"pmdemo\"} = $(sample processmonitor_heartbeats_total)"
wait "$demo_pid" || die "the demo failed: $(tail -5 "$work/demo.err")"
demo_pid=""

! grep -q PushgatewaySink "$work/demo.err" || die "the sink warned: $(grep PushgatewaySink "$work/demo.err")"
[[ -s $work/demo.jsonl ]] || die "the demo wrote no JSON Lines"
last_seq=$(jq -s 'map(.seq) | max' "$work/demo.jsonl")
last_time=$(jq -rs 'last | .timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdate' "$work/demo.jsonl")
last_millis=$(jq -rs 'last | .timestamp | capture("\\.(?<ms>[0-9]+)Z$").ms' "$work/demo.jsonl")

# --- what the gateway holds after the job ended ------------------------------------------
ours > "$work/ours.prom"
show() { printf '  %-52s => %s\n' "$1" "$2"; }
say "from $base/metrics after the demo ended:"
# check METRIC JQ_TEST NOTE: shows the sample and fails unless `$v | JQ_TEST` holds for its
# value as a number (the gateway prints floats its own way, 1.796203870137e+09).
check() {
    local value
    value=$(sample "$1")
    show "$1{job=\"pmdemo\"}" "$value${3:+ ($3)}"
    jq -ne --arg v "$value" "(\$v | tonumber) as \$v | $2" >/dev/null || die "$1 is ${value:-missing}; expected $2"
}
((last_seq >= 5)) || die "the demo made only $last_seq heartbeats"
check processmonitor_heartbeats_total "\$v == $last_seq" "JSON Lines last seq: $last_seq"
check processmonitor_final_heartbeat '$v == 1' "the final heartbeat"
check processmonitor_heartbeat_timestamp_seconds "\$v == $last_time.$last_millis" "JSON Lines: $last_time.$last_millis"
check processmonitor_elapsed_seconds '$v >= 4' "the run lasted 5 s"
check processmonitor_cpu_seconds_total '$v > 0'
labels=$(grep -E '^processmonitor_heartbeats_total\{' "$work/ours.prom")
show "labels" "${labels%% *}"
grep -qF 'job_name="pmdemo"' <<< "$labels" || die "the job attribute did not arrive as job_name: $labels"
grep -qF 'job="pmdemo"' <<< "$labels" || die "the grouping label job is missing: $labels"

group=$(curl -sf "$base/api/v1/metrics" | jq -c '.data[] | select(.labels.job == "pmdemo")
    | {labels, last_push_successful, push_failure: .push_failure_time_seconds.metrics[0].value}')
show "/api/v1/metrics group" "$group"
jq -e '.last_push_successful == true and (.push_failure | tonumber) == 0' <<< "$group" >/dev/null \
    || die "the gateway saw a failed push: $group"

if command -v promtool >/dev/null; then
    lint=$(promtool check metrics < "$work/ours.prom" 2>&1) || die "promtool check metrics failed: $lint"
    [[ -z $lint ]] || die "promtool check metrics reported: $lint"
    say "promtool check metrics ($(grep -c '^processmonitor_' "$work/ours.prom") processmonitor samples served by the gateway): no findings"
else
    say "promtool not installed; the lint was skipped"
fi

say "passed in $SECONDS s"

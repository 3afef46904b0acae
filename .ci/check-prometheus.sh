#!/usr/bin/env bash
# Checks the Prometheus textfile exporter end to end with the real servers, not with our code:
#   - node_exporter (Debian's prometheus-node-exporter) serves a textfile directory on a free
#     loopback port, and Prometheus (Debian's prometheus) scrapes it every second;
#   - the demo runs with --export prometheus:DIR/demo.prom and --export jsonl:demo.jsonl;
#   - `promtool check metrics` reports nothing for the file, during the run and after it;
#   - Prometheus's HTTP API (/api/v1/query) returns the demo's values within a few scrapes, and
#     every scraped sample matches the JSON Lines record with the same sequence number (stalled
#     lanes, CPU cores busy), so the values are right and never from a half-written file;
#   - node_exporter never failed to parse the directory (node_textfile_scrape_error stays 0),
#     the attribute job=... arrives as job_name, and a hostile label value arrives intact, its
#     carriage return shown as the two characters \r (the exposition format has no escape for
#     it, and a raw one would reach terminals and dashboards).
#
# Usage: .ci/check-prometheus.sh DEMO_BINARY
# Installs prometheus, prometheus-node-exporter, jq and curl (apt) when missing; starts both
# servers itself with explicit flags (never the packages' services) and stops them by PID.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DEMO_BINARY" >&2
    exit 2
fi
demo=$(realpath "$1")
say() { echo "check-prometheus: $*"; }
die() { echo "check-prometheus: FAIL: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------
bash "$(dirname "$0")/ensure-tools.sh" check-prometheus promtool=prometheus prometheus=prometheus \
    prometheus-node-exporter=prometheus-node-exporter jq=jq curl=curl
# A system service started anyway (a host with systemd) listens on its default ports and
# directory; ours use free ports and a directory of their own, so it cannot interfere.
# (pgrep matches the 15-byte process name: prometheus-node-exporter is "prometheus-node".)
for name in prometheus prometheus-node; do
    if pgrep -x "$name" >/dev/null; then
        say "note: a system $name is running (left alone; ours use their own ports and directory):"
        pgrep -a -x "$name" || true
    fi
done

work=$(mktemp -d)
node_pid=""
prom_pid=""
demo_pid=""
cleanup() {
    local status=$?
    for pid in $demo_pid $prom_pid $node_pid; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $demo_pid $prom_pid $node_pid; do
        wait "$pid" 2>/dev/null || true
    done
    if ((status != 0)); then
        for log in node_exporter.log prometheus.log demo.err; do
            [[ -s $work/$log ]] && { echo "--- $log (last 20 lines)"; tail -20 "$work/$log"; }
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

textfiles=$work/textfile
mkdir -p "$textfiles" "$work/tsdb"

# Two free loopback ports: bound to port 0 at once, so the kernel hands out distinct ones.
read -r node_port prom_port < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])
')

prometheus-node-exporter \
    --web.listen-address="127.0.0.1:$node_port" \
    --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$textfiles" \
    > "$work/node_exporter.log" 2>&1 &
node_pid=$!

cat > "$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$node_port']
EOF
prometheus \
    --config.file="$work/prometheus.yml" \
    --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" \
    > "$work/prometheus.log" 2>&1 &
prom_pid=$!
api="http://127.0.0.1:$prom_port/api/v1"

servers="$node_pid:node_exporter $prom_pid:prometheus"
source "$(dirname "$0")/wait-for.sh"
wait_for "node_exporter" curl -sf "http://127.0.0.1:$node_port/metrics"
wait_for "prometheus" curl -sf "http://127.0.0.1:$prom_port/-/ready"
say "node_exporter pid $node_pid on 127.0.0.1:$node_port, prometheus pid $prom_pid on 127.0.0.1:$prom_port"

# query PROMQL: the result vector of an instant query, as JSON.
query() {
    curl -sf --get "$api/query" --data-urlencode "query=$1" | jq -ce 'if .status == "success" then .data.result else error end'
}
# value PROMQL: the single value of an instant query, or nothing.
value() { query "$1" | jq -r 'if length == 1 then .[0].value[1] else empty end'; }
has_value() { [[ -n $(value "$1") ]]; }
final_scraped() { [[ $(value "processmonitor_final_heartbeat$selector") == 1 ]]; }

selector='{job_name="ci-prometheus"}'
# Prometheus applies its targets a few seconds after start; the demo waits for the first scrape.
wait_for "Prometheus's first scrape of node_exporter" has_value 'up{job="node"} == 1'
note=$'two\nlines, "quotes", a \\ backslash and \r'
shown_note=$'two\nlines, "quotes", a \\ backslash and \\r'
start=$SECONDS
timeout 120 "$demo" --duration 12s --interval 1s --stall-threshold 2s --workers 2 \
    --export "prometheus:$textfiles/demo.prom" --export "jsonl:$work/demo.jsonl" \
    --attribute job=ci-prometheus --attribute "note=$note" \
    2> "$work/demo.err" &
demo_pid=$!

wait_for "the demo's first heartbeat in Prometheus" has_value "processmonitor_heartbeats_total$selector"
say "first heartbeat visible through /api/v1/query after $((SECONDS - start)) s"

# promtool while the demo writes, and the collector's view of the same file.
lint=$(promtool check metrics < "$textfiles/demo.prom" 2>&1) || die "promtool check metrics failed: $lint"
[[ -z $lint ]] || die "promtool check metrics reported: $lint"
say "promtool check metrics (during the run): no findings"

wait "$demo_pid" || die "the demo failed: $(tail -5 "$work/demo.err")"
demo_pid=""
[[ -s $work/demo.jsonl ]] || die "the demo wrote no JSON Lines"
last_seq=$(jq -s 'map(.seq) | max' "$work/demo.jsonl")
wait_for "the final heartbeat in Prometheus" final_scraped

lint=$(promtool check metrics < "$textfiles/demo.prom" 2>&1) || die "promtool check metrics failed: $lint"
[[ -z $lint ]] || die "promtool check metrics reported: $lint"
say "promtool check metrics (final file): no findings"
[[ $(ls -A "$textfiles") == demo.prom ]] || die "the textfile directory holds more than demo.prom: $(ls -A "$textfiles")"

# --- instant queries ---------------------------------------------------------------------
show() { printf '  %-72s => %s\n' "$1" "$2"; }
say "answers from $api/query:"
heartbeats=$(value "processmonitor_heartbeats_total$selector")
show "processmonitor_heartbeats_total$selector" "$heartbeats"
((heartbeats == last_seq)) || die "Prometheus has $heartbeats heartbeats, the JSON Lines $last_seq"

available=$(value "processmonitor_cpu_available_cores$selector")
expected_available=$(jq -s 'last | .cpu_available_cores' "$work/demo.jsonl")
show "processmonitor_cpu_available_cores$selector" "$available (JSON Lines: $expected_available)"
jq -ne --arg a "$available" --argjson e "$expected_available" '($a | tonumber) == $e' >/dev/null \
    || die "available cores: Prometheus $available, JSON Lines $expected_available"

max_stalled=$(value "max_over_time(processmonitor_stalled_lanes${selector}[5m])")
jsonl_max_stalled=$(jq -s 'map(.stalls | length) | max' "$work/demo.jsonl")
show "max_over_time(processmonitor_stalled_lanes${selector}[5m])" "$max_stalled (JSON Lines max: $jsonl_max_stalled)"
((jsonl_max_stalled >= 1)) || die "the demo reported no stall; the check needs one"
((max_stalled >= 1 && max_stalled <= jsonl_max_stalled)) || die "stalled lanes seen by Prometheus: $max_stalled"

max_busy=$(value "max_over_time(processmonitor_cpu_cores_busy${selector}[5m])")
show "max_over_time(processmonitor_cpu_cores_busy${selector}[5m])" "$max_busy"
jq -ne --arg b "$max_busy" '($b | tonumber) > 0' >/dev/null || die "no busy CPU seen: $max_busy"

scrape_errors=$(value 'max_over_time(node_textfile_scrape_error[5m])')
show "max_over_time(node_textfile_scrape_error[5m])" "$scrape_errors"
[[ $scrape_errors == 0 ]] || die "node_exporter failed to read the textfile directory"

series=$(query "processmonitor_stalled_lanes$selector")
show "labels of processmonitor_stalled_lanes" "$(jq -c '.[0].metric' <<< "$series")"
jq -e --arg note "$shown_note" '.[0].metric | .job == "node" and .job_name == "ci-prometheus"
    and .note == $note and (has("exported_job") | not)' <<< "$series" >/dev/null \
    || die "labels did not arrive as expected: $series"

phase=$(query "count_over_time(processmonitor_active_phase_info${selector}[5m])")
show "count_over_time(processmonitor_active_phase_info${selector}[5m])" \
    "$(jq -c 'map({(.metric.phase): .value[1]}) | add' <<< "$phase")"

# --- every scraped sample against the JSON Lines record of the same heartbeat -------------
# Raw samples of a range selector carry their scrape timestamps; samples of one scrape come
# from one file, so joining on the timestamp pairs each value with its heartbeat's sequence.
raw() { curl -sf --get "$api/query" --data-urlencode "query=$1${selector}[5m]" | jq -c '.data.result[0].values'; }
jq -n --argjson seq "$(raw processmonitor_heartbeats_total)" \
      --argjson stalled "$(raw processmonitor_stalled_lanes)" \
      --argjson busy "$(raw processmonitor_cpu_cores_busy)" \
      --slurpfile records "$work/demo.jsonl" '
    ($records | map({key: (.seq | tostring), value: .}) | from_entries) as $bySeq
    | ($stalled | map({key: (.[0] | tostring), value: (.[1] | tonumber)}) | from_entries) as $stalledAt
    | ($busy | map({key: (.[0] | tostring), value: (.[1] | tonumber)}) | from_entries) as $busyAt
    | [$seq[] | (.[0] | tostring) as $t | $bySeq[.[1]] as $r
        | {t: $t, seq: (.[1] | tonumber),
           ok: ($r != null and $stalledAt[$t] == ($r.stalls | length)
                and ($r.cpu_cores == null or $busyAt[$t] == $r.cpu_cores))}]
    | {scrapes: length, heartbeats: (map(.seq) | unique | length), mismatches: map(select(.ok | not))}
    ' > "$work/join.json"
show "scrapes joined with the JSON Lines by sequence" "$(jq -c '{scrapes, heartbeats, mismatches: (.mismatches | length)}' "$work/join.json")"
jq -e '.mismatches == [] and .heartbeats >= 5' "$work/join.json" >/dev/null \
    || die "scraped values that no heartbeat had: $(jq -c .mismatches "$work/join.json")"

say "passed in $SECONDS s"

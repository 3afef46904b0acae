#!/usr/bin/env bash
# Checks the OTLP exporters of heartbeat-demo against OpenTelemetry's own protobuf definitions
# (PyPI opentelemetry-proto, parsed with google.protobuf.json_format, unknown fields rejected):
#   1. otlp-json:FILE — every line parses as an ExportLogsServiceRequest or
#      ExportMetricsServiceRequest, and its values match the JSON Lines record of the same run;
#   2. otlp-http:URL against a local receiver that answers 503 (Retry-After: 1) for the first
#      3 s of traffic, then accepts, then goes away 7 s in: every body parses, every request is
#      either received or counted as dropped, retries wait for Retry-After, and the job is not
#      slowed down.
# Usage: .ci/check-otlp.sh DEMO_BINARY
set -euo pipefail
demo=${1:?usage: check-otlp.sh DEMO_BINARY}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work=$(mktemp -d)
receiver=""
cleanup() {
    if [[ -n $receiver ]]; then kill "$receiver" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
die() { echo "check-otlp: FAIL: $*" >&2; exit 1; }

python3 -c 'import opentelemetry.proto.collector.logs.v1.logs_service_pb2, google.protobuf.json_format' 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check opentelemetry-proto

echo "--- otlp-json: a file the Collector's otlpjsonfile receiver reads"
"$demo" --duration 6s --interval 500ms --stall-threshold 1s \
    --export otlp-json:"$work/demo.otlp.jsonl" --export jsonl:"$work/demo.jsonl" --attribute job=ci
python3 "$here/otlp_check.py" file "$work/demo.otlp.jsonl" "$work/demo.jsonl" ci

echo "--- render --to otlp-json: a JSON Lines log converted afterwards"
"$demo" render --to otlp-json "$work/demo.jsonl" > "$work/rendered.otlp.jsonl"
python3 "$here/otlp_check.py" file "$work/rendered.otlp.jsonl" "$work/demo.jsonl" ci > /dev/null
echo "render --to otlp-json: $(wc -l < "$work/rendered.otlp.jsonl") lines, all parsed and checked"

echo "--- otlp-json: bad input fails at start with exit 2"
set +e
"$demo" --export otlp-json:/nonexistent/dir/x.jsonl 2> "$work/bad.err" > /dev/null
status=$?
set -e
((status == 2)) && grep -q "/nonexistent/dir/x.jsonl" "$work/bad.err" || die "an unopenable otlp-json path must exit 2 naming it"

echo "--- otlp-http: bad endpoints fail at start with exit 2 and a clear message"
# A port nobody listens on: bind one, note it, close it.
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
check_bad() {
    local value=$1 expect=$2
    set +e
    "$demo" --duration 1s --export "otlp-http:$value" 2> "$work/bad.err" > /dev/null
    local status=$?
    set -e
    ((status == 2)) || die "otlp-http:$value exited $status, expected 2"
    grep -q -- "$expect" "$work/bad.err" || die "otlp-http:$value: message lacks '$expect': $(cat "$work/bad.err")"
    echo "otlp-http:$value -> $(head -1 "$work/bad.err")"
}
check_bad "http://127.0.0.1:$closed_port" "cannot reach"
check_bad "ftp://127.0.0.1:4318" "must use http or https"
check_bad "http://127.0.0.1:4318?x=1" "must not have a query"
check_bad "http://127.0.0.1:4318/v1/logs" "give the base URL"
check_bad "127.0.0.1:4318" "is not a URL"

echo "--- otlp-http: a receiver that answers 503 for 3 s, accepts, then goes away 7 s into the traffic"
duration=10
flush_bound=5
python3 "$here/otlp_receiver.py" --out "$work/received" --port-file "$work/port" \
    --unavailable-for 3 --retry-after 1 --lifetime 7 &
receiver=$!
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.1; done
[[ -s $work/port ]] || die "the receiver did not start"
port=$(cat "$work/port")
started=$(date +%s%N)
"$demo" --duration "${duration}s" --interval 500ms --stall-threshold 2s \
    --export "otlp-http:http://127.0.0.1:$port" --export jsonl:"$work/http.jsonl" --attribute job=ci \
    2> "$work/http.err"
ended=$(date +%s%N)
wait "$receiver" || true
receiver=""
cat "$work/http.err"
python3 "$here/otlp_check.py" http "$work/received" "$work/http.jsonl" "$work/http.err"
# The job itself ran for its duration (the monitor's final elapsed_s), and the whole process
# took no longer than that plus the sink's close bound, plus generous room for start and exit.
wall_ms=$(((ended - started) / 1000000))
final_elapsed=$(tail -1 "$work/http.jsonl" | python3 -c 'import json, sys; print(json.load(sys.stdin)["elapsed_s"])')
python3 - "$final_elapsed" "$wall_ms" "$duration" "$flush_bound" <<'PY' || die "the job was slowed down"
import sys
elapsed, wall_ms, duration, bound = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"otlp-http: job ran {elapsed:.3f}s of {duration}s; process took {wall_ms / 1000:.3f}s (limit {duration + bound + 5}s)")
assert elapsed < duration + 2, "the job ran longer than its duration"
assert wall_ms / 1000 < duration + bound + 5, "exit took longer than the close bound allows"
PY
echo "check-otlp: all OTLP checks passed"

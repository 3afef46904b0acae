#!/usr/bin/env bash
# Checks ProcessMonitor's machine formats with independent tools, not with our own code:
#   - every JSON Lines record: one JSON document per line (jq, and Python's strict parser,
#     which also refuses NaN/Infinity), at most MAX_LINE_BYTES, valid against
#     schemas/heartbeat.v3.schema.json (check-jsonschema, one file per line: it reads whole
#     documents, not JSON Lines);
#   - deliberately broken records (a missing, a misspelled, a mistyped field, a bad timestamp)
#     are REJECTED by the schema, so the schema is known to have teeth;
#   - every logfmt line decodes with the reference decoder, go-logfmt (Debian's package, built
#     offline from GOPATH), into a flat map of strings valid against
#     schemas/logfmt-line.v3.schema.json; broken lines are rejected there too.
#
# Usage: .ci/check-machine-output.sh FILE.jsonl FILE.logfmt
# Installs jq, Go, go-logfmt (apt) and check-jsonschema (pip) when they are missing.
# Environment: MAX_LINE_BYTES (default 16384, the default ExportLimits.maxLineBytes);
# SCHEMA_VERSION (default 2; 1 checks files of the first schema version).
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 FILE.jsonl FILE.logfmt" >&2
    exit 2
fi
jsonl=$(realpath "$1")
logfmt=$(realpath "$2")
max_line_bytes=${MAX_LINE_BYTES:-16384}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# SCHEMA_VERSION=1 checks records of the first schema version; current output is version 3.
if [[ ${SCHEMA_VERSION:-3} == 1 ]]; then
    heartbeat_schema="$root/schemas/heartbeat.schema.json"
    logfmt_schema="$root/schemas/logfmt-line.schema.json"
else
    heartbeat_schema="$root/schemas/heartbeat.v3.schema.json"
    logfmt_schema="$root/schemas/logfmt-line.v3.schema.json"
fi
gopath=/usr/share/gocode

say() { echo "check-machine-output: $*"; }
die() { echo "check-machine-output: FAIL: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------
missing=()
command -v jq >/dev/null || missing+=(jq)
command -v go >/dev/null || missing+=(golang-go)
[[ -f $gopath/src/github.com/go-logfmt/logfmt/decode.go ]] || missing+=(golang-github-go-logfmt-logfmt-dev)
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v check-jsonschema >/dev/null; then
    say "installing check-jsonschema"
    python3 -m pip install --quiet --disable-pip-version-check check-jsonschema
    hash -r
fi
command -v check-jsonschema >/dev/null || die "check-jsonschema is not on PATH after installing it"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[[ -s $jsonl ]] || die "$jsonl is empty"
[[ -s $logfmt ]] || die "$logfmt is empty"

# --- the schemas themselves --------------------------------------------------------------
check-jsonschema --check-metaschema "$heartbeat_schema" "$logfmt_schema" >/dev/null \
    || die "a schema is not a valid draft 2020-12 schema"

# --- JSON Lines ----------------------------------------------------------------------------
check_lines() { # FILE: every line ends with \n and fits the limit
    local file=$1
    [[ $(tail -c 1 "$file" | od -An -c | tr -d ' ') == '\n' ]] || die "$file does not end with a newline"
    local long
    long=$(LC_ALL=C awk -v max="$max_line_bytes" 'length($0) > max { print NR ": " length($0) " bytes"; exit }' "$file")
    [[ -z $long ]] || die "$file line $long exceeds $max_line_bytes bytes"
}
check_lines "$jsonl"
records=$(wc -l <"$jsonl")

# jq reads each line as a raw string and parses it on its own, so a record spread over two
# lines, or two records on one line, fails here.
jq -n -e -R '[inputs | fromjson | type == "object"] | all' "$jsonl" >/dev/null \
    || die "jq: a line of $jsonl is not one JSON object"
python3 - "$jsonl" <<'PY' || die "a line of $1 is not strict JSON"
import json, sys
def reject(constant):
    raise ValueError(f"non-standard JSON constant {constant}")
with open(sys.argv[1], encoding="utf-8") as lines:
    for number, line in enumerate(lines, 1):
        try:
            if not isinstance(json.loads(line, parse_constant=reject), dict):
                raise ValueError("not an object")
        except ValueError as error:
            sys.exit(f"line {number}: {error}")
PY

mkdir -p "$work/jsonl"
split -l 1 -a 6 -d --additional-suffix=.json "$jsonl" "$work/jsonl/record-"
check-jsonschema --schemafile "$heartbeat_schema" "$work"/jsonl/record-*.json >"$work/jsonl.log" 2>&1 \
    || { cat "$work/jsonl.log" >&2; die "JSON Lines records do not match $heartbeat_schema"; }
say "$records JSON Lines records parse with jq and validate against $(basename "$heartbeat_schema")"

# Broken records built from the first real one: each must be rejected.
mkdir -p "$work/broken"
first="$work/jsonl/record-000000.json"
declare -A breakage=(
    [missing-field]='del(.rss_bytes)'
    [misspelled-field]='.rss_byts = .rss_bytes | del(.rss_bytes)'
    [mistyped-field]='.seq = (.seq | tostring)'
    [mistyped-nested]='.stalls = [{"thread": "ThreadId(1)", "label": "x", "stuck_s": "300.000"}] | .level = "warn"'
    [extra-nested-field]='.stalls = [{"thread": "ThreadId(1)", "label": "x", "stuck_s": 1, "stuk_s": 1}] | .level = "warn"'
    [bad-enum]='.trigger = "sometimes"'
    [negative-count]='.dropped_records = -1'
    [bad-timestamp-digits]='.timestamp = "2024-05-01T12:00:00.123456Z"'
    [bad-timestamp-date]='.timestamp = "2024-02-30T12:00:00.000Z"'
    [bad-lane]='.stalls = [{"thread": "thread one", "label": "x", "stuck_s": 1}] | .level = "warn"'
    [stalls-but-info]='.stalls = [{"thread": "ThreadId(1)", "label": "x", "stuck_s": 1}] | .level = "info"'
)
if [[ ${SCHEMA_VERSION:-2} != 1 ]]; then
    breakage+=(
        [warn-without-cause]='.level = "warn" | .stalls = [] | .stalls_omitted = 0 | .warnings = []'
        [warning-but-info]='.warnings = [{"resource": "memory", "used": 950, "limit": 1000}] | .level = "info" | .stalls = []'
        [bad-stall-end]='.stall_ends = [{"thread": "ThreadId(1)", "label": "x"}]'
        [zero-quota]='.cpu_quota_cores = 0'
        [lane-leading-zero]='.stalls = [{"thread": "ThreadId(01)", "label": "x", "stuck_s": 1}] | .level = "warn"'
    )
fi
for name in "${!breakage[@]}"; do
    jq -c "${breakage[$name]}" "$first" >"$work/broken/$name.json"
    if check-jsonschema --schemafile "$heartbeat_schema" "$work/broken/$name.json" >/dev/null 2>&1; then
        die "broken record '$name' (${breakage[$name]}) was ACCEPTED by $(basename "$heartbeat_schema")"
    fi
done
say "${#breakage[@]} broken JSON records rejected by $(basename "$heartbeat_schema")"

# --- logfmt --------------------------------------------------------------------------------
check_lines "$logfmt"
lines=$(wc -l <"$logfmt")
export GOPATH=$gopath GO111MODULE=off GOFLAGS= GOCACHE=${GOCACHE:-$work/go-cache}
(cd "$here/logfmt-check" && go build -o "$work/logfmt-check" .) || die "cannot build .ci/logfmt-check"
"$work/logfmt-check" "$logfmt" >"$work/flat.jsonl" || die "go-logfmt cannot decode $logfmt"
[[ $(wc -l <"$work/flat.jsonl") -eq $lines ]] || die "go-logfmt decoded a different number of records than $lines lines"

mkdir -p "$work/logfmt"
split -l 1 -a 6 -d --additional-suffix=.json "$work/flat.jsonl" "$work/logfmt/line-"
check-jsonschema --schemafile "$logfmt_schema" "$work"/logfmt/line-*.json >"$work/logfmt.log" 2>&1 \
    || { cat "$work/logfmt.log" >&2; die "decoded logfmt lines do not match $logfmt_schema"; }
say "$lines logfmt lines decode with go-logfmt and validate against $(basename "$logfmt_schema")"

mkdir -p "$work/broken-logfmt"
head -n 1 "$work/flat.jsonl" >"$work/headline.json"
declare -A logfmt_breakage=(
    [missing-seq]='del(.seq)'
    [misspelled-key]='.rss_byts = .rss_bytes | del(.rss_bytes)'
    [mistyped-number]='.rss_bytes = "512MiB"'
    [bad-seconds]='.elapsed_s = "5.5"'
    [unknown-kind]='.msg = "heartbeats"'
    [stall-key-on-headline]='.stuck_s = "1.000"'
)
for name in "${!logfmt_breakage[@]}"; do
    jq -c "${logfmt_breakage[$name]}" "$work/headline.json" >"$work/broken-logfmt/$name.json"
    if check-jsonschema --schemafile "$logfmt_schema" "$work/broken-logfmt/$name.json" >/dev/null 2>&1; then
        die "broken logfmt line '$name' (${logfmt_breakage[$name]}) was ACCEPTED by $(basename "$logfmt_schema")"
    fi
done
printf 'timestamp=2024-05-01T12:00:00.000Z level=info seq=1 msg="unterminated\n' >"$work/broken.logfmt"
if "$work/logfmt-check" "$work/broken.logfmt" >/dev/null 2>&1; then
    die "go-logfmt accepted an unterminated quoted value; the checker is not checking"
fi
say "${#logfmt_breakage[@]} broken logfmt lines rejected by $(basename "$logfmt_schema"), 1 by go-logfmt"

# --- the two formats agree -------------------------------------------------------------------
# When both files render the same heartbeats (same seq and timestamp, in order), every value
# go-logfmt decoded must equal, as text, the value Python's JSON parser read from the record:
# labels byte for byte, numbers digit for digit.
python3 - "$jsonl" "$work/flat.jsonl" <<'PY' || die "the JSON Lines and logfmt files disagree"
import json, sys

def text(value):
    return "null" if value is None else value

def load(path):
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line, parse_int=str, parse_float=str) for line in lines]

records, flat = load(sys.argv[1]), load(sys.argv[2])
groups = []
for line in flat:
    if line["msg"] == "heartbeat":
        groups.append([line])
    elif groups:
        groups[-1].append(line)
if len(groups) != len(records) or any(
    g[0]["seq"] != r["seq"] or g[0]["timestamp"] != r["timestamp"] for g, r in zip(groups, records)
):
    print("check-machine-output: files render different heartbeats; cross-check skipped")
    sys.exit(0)

def expect(where, key, logfmt_value, json_value):
    if logfmt_value != json_value:
        sys.exit(f"seq {where}: {key}: logfmt {logfmt_value!r} != JSON {json_value!r}")

def progress(where, line, value):
    if value is None:
        if any(k.startswith("progress_") for k in line):
            sys.exit(f"seq {where}: progress keys without progress")
        return
    for key in ("current", "total", "elapsed_s", "rate_per_s", "eta_s"):
        expect(where, "progress_" + key, line.get("progress_" + key), text(value[key]))

checked = 0
for group, record in zip(groups, records):
    seq, head = record["seq"], group[0]
    for key in ("timestamp", "seq", "pid", "trigger", "elapsed_s", "rss_bytes", "peak_rss_bytes",
                "process_threads", "read_bytes", "write_bytes", "memory_limit_bytes", "memory_usage_bytes",
                "memory_headroom_bytes", "oom_kills", "open_fds", "fd_limit", "cpu_cores", "cpu_available_cores",
                "cpu_affinity_cores", "cpu_quota_cores", "cpu_window_s", "cpu_time_s", "instrumented_threads",
                "stall_threshold_s", "dropped_records"):
        if key in record:
            expect(seq, key, head.get(key), text(record[key]))
    for key, value in record["attributes"].items():
        expect(seq, "attr." + key, head.get("attr." + key), value)
    active = record["active"]
    if active is None:
        expect(seq, "active_lane", head.get("active_lane"), None)
    else:
        expect(seq, "active_lane", head.get("active_lane"), active["lane"])
        expect(seq, "active_label", head.get("active_label"), active["label"])
        expect(seq, "active_age_s", head.get("active_age_s"), active["age_s"])
        progress(seq, head, active["progress"])
    if record["stalls_omitted"] != "0" or int(record["phases_omitted"]) > int(head["phases_omitted"]):
        continue  # the JSON record was trimmed to the line limit; logfmt never trims
    stalls = [l for l in group if l["msg"] == "stall"]
    ends = [l for l in group if l["msg"] == "stall_end"]
    phases = [l for l in group if l["msg"] == "phase"]
    expect(seq, "stalls", head["stalls"], str(len(record["stalls"])))
    expect(seq, "stall lines", len(stalls), len(record["stalls"]))
    expect(seq, "phase lines", len(phases), len(record["phases"]))
    if "stall_ends" in record:
        expect(seq, "stall_ends", head["stall_ends"], str(len(record["stall_ends"])))
        for line, end in zip(ends, record["stall_ends"]):
            for key in ("thread", "label", "after_s"):
                expect(seq, "stall end " + key, line[key], end[key])
    for line, stall in zip(stalls, record["stalls"]):
        for key in ("thread", "label", "stuck_s"):
            expect(seq, "stall " + key, line[key], stall[key])
    for line, phase in zip(phases, record["phases"]):
        for key in ("thread", "depth", "label", "in_frame_s", "updated_ago_s", "parent", "waiting_on"):
            if key in phase:
                expect(seq, "phase " + key, line[key], text(phase[key]))
        progress(seq, line, phase["progress"])
    checked += 1
print(f"check-machine-output: {checked} heartbeats carry identical values in both formats")
PY
say "OK"

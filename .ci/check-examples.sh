#!/usr/bin/env bash
# Builds, tests and runs the nested Examples package (ProcessMonitor beside swift-log,
# swift-metrics, swift-distributed-tracing and swift-service-lifecycle; the main package keeps no
# dependencies), and checks what each example prints:
#   - build: zero warnings from our code. Warnings that dependency packages print about
#     themselves (swift-distributed-tracing 1.7.3's manifest leaves its CMakeLists.txt files
#     unhandled) are listed and ignored; any other warning fails.
#   - swift test: the integrations' tests (swift-metrics' TestMetrics, swift-log's
#     InMemoryLogHandler, InMemoryTracer, a ServiceGroup, LastWarningsSink), at least 27 of them.
#   - SwiftLogBridge: one structured swift-log event per heartbeat; a warning whose `stalls=`
#     metadata names the stalled scope, info events with `rss_bytes=`, the final one last.
#   - MetricsExample: every gauge recorded with its dimensions, with plausible values.
#   - TracingExample: every open span shows as a phase of the heartbeat, with the spans' parents.
#   - CustomSinkExample: a sink kind of its own (`last-warnings`, public API only) behind
#     PROCESS_MONITOR_EXPORT: its summary lists the last stall lines; beside a jsonl export it
#     counts exactly the heartbeats the JSON Lines file holds; a misspelt kind is refused with a
#     list that names it, a bad keep= or an unopenable path with a message, exit status 2.
#   - every example checks its command line first: --help prints its usage and exits 0 (and
#     writes nothing: ServiceLifecycleExample once took it for a file name and ran for ever),
#     an unknown flag or too many arguments print the usage on stderr and exit 2.
#   - ServiceLifecycleExample: runs in the background until it has written a few heartbeats;
#     SIGTERM must end it promptly with exit status 0 and the final heartbeat as the file's last
#     record (and SIGINT, the group's cancellation signal, the same way).
#
# Usage: .ci/check-examples.sh   (from anywhere; the first build of the dependencies takes a
# minute or two on 2 cores)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
work=$(mktemp -d)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n=== examples: %s (%ss)\n' "$*" "$SECONDS"; }
die() { echo "check-examples: FAIL: $*" >&2; exit 1; }

step "build with zero warnings from our code"
# Touch our sources so they are compiled (and their warnings printed) even when .build is warm.
find Examples/Sources Examples/Tests -name '*.swift' -exec touch {} +
swift build --package-path Examples --build-tests 2>&1 | tee "$work/build.log"
deps=$(ls Examples/.build/checkouts)
dependency_warning() {
    local line=$1 dep
    [[ $line == *"/.build/checkouts/"* ]] && return 0
    for dep in $deps; do [[ $line == "warning: '$dep':"* ]] && return 0; done
    return 1
}
ours=0
while IFS= read -r line; do
    if dependency_warning "$line"; then
        echo "check-examples: ignored, printed by a dependency about itself: $line"
    else
        echo "check-examples: ours: $line" >&2
        ours=$((ours + 1))
    fi
done < <(grep -E "(^|: )warning: " "$work/build.log" || true)  # not the compiler's `- warning: echo
((ours == 0)) || die "the Examples build printed $ours warning(s) of ours"
bin=$(swift build --package-path Examples --show-bin-path)

step "every example validates its arguments: --help exits 0, a bad flag or operand exits 2"
for example in ServiceLifecycleExample MetricsExample SwiftLogBridge TracingExample CustomSinkExample; do
    mkdir -p "$work/args-$example"
    extra=(surplus)
    [[ $example == ServiceLifecycleExample ]] && extra=(one.jsonl two.jsonl)
    for args in "--help" "-h" "--bogus" "${extra[*]}"; do
        set +e
        # shellcheck disable=SC2086
        (cd "$work/args-$example" && timeout 20 "$bin/$example" $args > out 2> err)
        status=$?
        set -e
        case $args in
            --help | -h) expected=0 stream=out ;;
            *) expected=2 stream=err ;;
        esac
        ((status == expected)) || die "$example $args exited $status, expected $expected (124: still running after 20 s)"
        grep -q "^usage: $example" "$work/args-$example/$stream" || die "$example $args printed no usage on std$stream"
        if [[ -n $(ls "$work/args-$example" | grep -vxE 'out|err') ]]; then
            die "$example $args created $(ls "$work/args-$example" | grep -vxE 'out|err' | head -1)"
        fi
    done
    echo "$example: --help, -h, --bogus and '${extra[*]}' handled"
done

step "swift test --package-path Examples"
timeout 600 swift test --package-path Examples 2>&1 | tee "$work/test.log"
tests=$(grep -oE 'Test run with [0-9]+ tests' "$work/test.log" | grep -oE '[0-9]+' | tail -1)
[[ -n $tests ]] && ((tests >= 27)) || die "expected at least 27 Swift Testing tests, got '${tests:-none}'"
grep -qE "Test run with $tests tests .*passed" "$work/test.log" || die "the Examples tests did not all pass"

step "SwiftLogBridge: structured swift-log events"
timeout 60 "$bin/SwiftLogBridge" > "$work/log.out" || die "SwiftLogBridge exited $?"
cat "$work/log.out"
# StreamLogHandler's shape: TIMESTAMP LEVEL LABEL: key=value … [SOURCE] MESSAGE
event='^[^ ]+ (info|warning) heartbeat: .* \[process-monitor\] heartbeat(: stall)?$'
if grep -vE "$event" "$work/log.out"; then die "the lines above are not heartbeat events"; fi
grep -E '^[^ ]+ warning heartbeat: ' "$work/log.out" > "$work/log.warn" || die "no warning event"
grep -E 'stalls=\[\[[^]]*"label": "slow step"' "$work/log.warn" | grep -E ' active_label=slow step ' \
    | grep -qE '\[process-monitor\] heartbeat: stall$' \
    || die "no warning event whose stalls= metadata names the stalled scope \"slow step\""
grep -E '^[^ ]+ info heartbeat: ' "$work/log.out" | grep -E ' rss_bytes=[1-9][0-9]* ' | grep -qE ' cpu_cores=[0-9.]+ ' \
    || die "no info event with rss_bytes= and cpu_cores= metadata"
if grep -E '^[^ ]+ info heartbeat: ' "$work/log.out" | grep -vE ' stalls=\[\] '; then
    die "an info event above has stalls"
fi
[[ $(grep -oE ' seq=[0-9]+ ' "$work/log.out" | tr -dc '0-9\n') == $(seq 1 "$(wc -l < "$work/log.out")") ]] \
    || die "seq= is not 1, 2, 3, … line by line"
tail -1 "$work/log.out" | grep -E '^[^ ]+ info heartbeat: ' | grep -E ' stalls=\[\] ' | grep -E ' phases=\[\] ' \
    | grep -qE ' trigger=final ' || die "the last event is not the idle final heartbeat"

step "MetricsExample: heartbeats as swift-metrics gauges"
timeout 60 "$bin/MetricsExample" > "$work/metrics.out" || die "MetricsExample exited $?"
sed -n '/^--- last value/,$p' "$work/metrics.out"
gauges=(processmonitor_cpu_cores_busy processmonitor_cpu_available_cores processmonitor_resident_memory_bytes
    processmonitor_resident_memory_peak_bytes processmonitor_threads processmonitor_read_bytes
    processmonitor_written_bytes processmonitor_stalled_lanes processmonitor_instrumented_lanes
    processmonitor_oldest_phase_age_seconds)
for gauge in "${gauges[@]}"; do
    grep -qE "^record value metric\.name=$gauge metric\.dimensions=\[job=metrics-example\] metric\.aggregate=false metric\.value=[0-9.e+-]+$" \
        "$work/metrics.out" || die "gauge $gauge was never recorded with the job dimension"
done
if grep -E '^record ' "$work/metrics.out" | grep -vE "metric\.name=($(IFS='|'; echo "${gauges[*]}")) "; then
    die "metrics above are not ours"
fi
summary() { grep -E "^$1 last=" "$work/metrics.out" | grep -oE "$2=[0-9.e+-]+" | cut -d= -f2; }
check() { awk -v v="$2" "BEGIN { exit !(v $3) }" || die "$1: $2 is not $3"; }
check "resident memory" "$(summary processmonitor_resident_memory_bytes last)" "> 1000000"
check "peak resident memory" "$(summary processmonitor_resident_memory_peak_bytes last)" ">= $(summary processmonitor_resident_memory_bytes last)"
check "threads" "$(summary processmonitor_threads max)" ">= 2"
check "available cores" "$(summary processmonitor_cpu_available_cores last)" "> 0"
check "busiest cores" "$(summary processmonitor_cpu_cores_busy max)" "> 0"
check "stalled lanes (the slow step)" "$(summary processmonitor_stalled_lanes max)" ">= 1"
check "instrumented lanes" "$(summary processmonitor_instrumented_lanes max)" ">= 1"
check "instrumented lanes at the end" "$(summary processmonitor_instrumented_lanes last)" "== 0"
check "oldest phase age (the slow step)" "$(summary processmonitor_oldest_phase_age_seconds max)" ">= 0.5"

step "TracingExample: spans show in heartbeats"
timeout 60 "$bin/TracingExample" > "$work/tracing.out" || die "TracingExample exited $?"
cat "$work/tracing.out"
grep -qE '^  phase lane=TaskId\([0-9]+\) depth=3 label="take heartbeat"$' "$work/tracing.out" \
    || die "the span taking the heartbeat is not its task's phase, three spans deep"
for shard in 0 1; do
    grep -qE "^  phase lane=TaskId\([0-9]+\) depth=1 label=\"query shard $shard\"$" "$work/tracing.out" \
        || die "the concurrent span \"query shard $shard\" is not a phase of its own task"
    grep -qE "^  span name=\"query shard $shard\" trace=[^ ]+ parent=\"fan out\"$" "$work/tracing.out" \
        || die "the span \"query shard $shard\" is not a child of \"fan out\""
done
grep -qE '^  span name="fan out" trace=[^ ]+ parent="handle request"$' "$work/tracing.out" \
    || die "the span \"fan out\" is not a child of \"handle request\""
[[ $(grep -oE 'trace=[^ ]+' "$work/tracing.out" | sort -u | wc -l) == 1 ]] || die "the spans are not one trace"

step "CustomSinkExample: a sink kind of its own behind PROCESS_MONITOR_EXPORT"
timeout 60 "$bin/CustomSinkExample" > "$work/custom.out" || die "CustomSinkExample exited $?"
cat "$work/custom.out"
stall_line='^[0-9-]+T[0-9:.]+Z WARN \[process-monitor\]\[STALL(-STACK)?\] thread=ThreadId\([0-9]+\)/main '
head -1 "$work/custom.out" | grep -qE '^last-warnings: [0-9]+ heartbeats, [0-9]+ lines, ([4-9]|[1-9][0-9]+) warnings; the last 3:$' \
    || die "the default summary does not open with more than 3 warnings and the last 3"
(($(wc -l < "$work/custom.out") == 4)) || die "the default summary (keep=3) should list exactly 3 lines"
if tail -n +2 "$work/custom.out" | grep -vE "$stall_line"; then die "the lines above are not the slow step's STALL lines"; fi
tail -n +2 "$work/custom.out" | grep -qE 'phase="slow step" stuck=' || die "the summary lists no STALL line of the slow step"
# Beside a built-in export: both get every heartbeat, so the counts agree.
PROCESS_MONITOR_EXPORT="last-warnings:$work/custom.txt;keep=2,jsonl:$work/custom.jsonl" timeout 60 "$bin/CustomSinkExample" \
    > "$work/custom-both.out" || die "CustomSinkExample with two exports exited $?"
[[ ! -s $work/custom-both.out ]] || die "with a file destination, CustomSinkExample printed: $(head -3 "$work/custom-both.out")"
records=$(wc -l < "$work/custom.jsonl")
warned=$(jq -s 'map(select(.level == "warn")) | length' "$work/custom.jsonl")
head -1 "$work/custom.txt" | grep -qE "^last-warnings: $records heartbeats, [0-9]+ lines, [0-9]+ warnings; the last 2:\$" \
    || die "the summary's first line '$(head -1 "$work/custom.txt")' does not count the $records heartbeats of the JSON Lines file"
((warned >= 1)) || die "no JSON Lines record of the stalled step is a warning"
# Each warning record is at least one warning line (its STALL line) in the text the sink reads.
summarised=$(head -1 "$work/custom.txt" | grep -oE '[0-9]+ warnings' | grep -oE '[0-9]+')
((summarised >= warned)) || die "the summary counts $summarised warning lines, fewer than the $warned warning records"
(($(wc -l < "$work/custom.txt") == 3)) || die "keep=2 should list exactly 2 lines"
for bad in "last-warning:$work/never.txt|unknown format \"last-warning\" (use text, jsonl, logfmt, prometheus, otlp-json, last-warnings)" \
    "last-warnings:$work/never.txt;keep=0|keep must be a whole number from 1 to 1000 (got \"0\")" \
    "last-warnings:/nonexistent/dir/summary.txt|cannot open \"/nonexistent/dir/summary.txt\" for writing"; do
    set +e
    PROCESS_MONITOR_EXPORT="${bad%%|*}" timeout 20 "$bin/CustomSinkExample" > /dev/null 2> "$work/custom.err"
    status=$?
    set -e
    ((status == 2)) || die "PROCESS_MONITOR_EXPORT='${bad%%|*}' exited $status, expected 2"
    grep -qF -- "${bad#*|}" "$work/custom.err" || die "PROCESS_MONITOR_EXPORT='${bad%%|*}' said: $(cat "$work/custom.err")"
done
[[ ! -e $work/never.txt ]] || die "a refused specification created its file"
echo "CustomSinkExample: the summary lists the last stall lines; $records heartbeats counted beside JSON Lines; bad kinds refused"

# Starts ServiceLifecycleExample, waits for heartbeats, sends $1, checks the exit and the file,
# named by the argument or (with $2 = env) by HEARTBEAT_FILE.
run_service() {
    local signal=$1 file="$work/service-$1.jsonl" out="$work/service-$1.out" err="$work/service-$1.err"
    if [[ ${2:-} == env ]]; then
        HEARTBEAT_FILE="$file" "$bin/ServiceLifecycleExample" > "$out" 2> "$err" &
    else
        "$bin/ServiceLifecycleExample" "$file" > "$out" 2> "$err" &
    fi
    local pid=$!
    pids+=("$pid")
    local deadline=$((SECONDS + 60)) records=0
    while ((SECONDS < deadline)); do
        kill -0 "$pid" 2>/dev/null || { cat "$err"; die "ServiceLifecycleExample ended before $signal"; }
        records=$( (wc -l < "$file") 2>/dev/null || echo 0)
        ((records >= 4)) && break
        sleep 0.2
    done
    ((records >= 4)) || die "ServiceLifecycleExample wrote $records heartbeats in 60 s, expected 4"
    [[ $(head -1 "$out") == "pid $pid" ]] || die "ServiceLifecycleExample printed '$(head -1 "$out")', not 'pid $pid'"
    local sent=$SECONDS start end
    start=$(date +%s%N)
    kill -"$signal" "$pid"
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < sent + 15)); do sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        cat "$err"
        die "ServiceLifecycleExample was still running 15 s after SIG$signal"
    fi
    end=$(date +%s%N)
    local status=0
    wait "$pid" || status=$?
    cat "$err"
    ((status == 0)) || die "ServiceLifecycleExample exited $status after SIG$signal, expected 0"
    local ms=$(((end - start) / 1000000))
    ((ms < 5000)) || die "ServiceLifecycleExample took ${ms} ms to exit after SIG$signal"
    python3 - "$file" "$signal" <<'EOF' || die "the heartbeat file after SIG$signal is wrong (above)"
import json, sys
path, signal = sys.argv[1], sys.argv[2]
records = [json.loads(line) for line in open(path)]
seqs = [r["seq"] for r in records]
assert seqs == list(range(1, len(records) + 1)), f"seq is not 1..{len(records)}: {seqs}"
triggers = [r["trigger"] for r in records]
assert triggers[-1] == "final", f"the last record's trigger is {triggers[-1]!r}, not 'final'"
assert "final" not in triggers[:-1], "a final heartbeat before the last record"
worked = any(p["label"].startswith("batch ") for r in records for p in r["phases"])
assert worked, "no heartbeat showed the worker's 'batch N' scope"
final = records[-1]
if signal == "TERM":
    # Graceful shutdown goes through the services last first, and the monitor is the group's
    # first: it stops only once the worker has returned. (Cancellation, SIGINT, ends them together.)
    assert final["active"] is None and final["phases"] == [], f"the worker was still running at the final heartbeat: {final['phases']}"
assert len({r["pid"] for r in records}) == 1
print(f"service ({signal}): {len(records)} heartbeats, the last one final" + (" and idle" if signal == "TERM" else ""))
EOF
    grep -q "worker: shutting down after batch" "$err" || die "the worker did not finish its batch on SIG$signal"
    echo "service ($signal): exited 0, ${ms} ms after the signal"
}

step "ServiceLifecycleExample: SIGTERM (graceful shutdown) writes the final heartbeat and exits 0"
run_service TERM
step "ServiceLifecycleExample: SIGINT (cancellation) does the same; the file named by HEARTBEAT_FILE"
run_service INT env

step "done"
echo "check-examples: all checks passed in ${SECONDS}s ($tests tests)"

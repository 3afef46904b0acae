#!/usr/bin/env bash
# Benchmarks, paired: this version, the previous release and the Rust seed, built and run side
# by side on the same machine, in interleaved rounds, so that a busy or slow day moves every
# column alike. The previous release runs *this* benchmark code (Benchmarks/ copied over its
# sources), so the two builds differ only in the library.
#
#   Benchmarks/compare.sh                      scope pairs, snapshot, render: 5 rounds
#   Benchmarks/compare.sh --rounds 3 --only A,B
#   Benchmarks/compare.sh --monitor-cpu        adds the monitor thread's CPU at the default
#                                              60 s interval (two minutes per build, once)
#
# Settings (environment): PREVIOUS_REF (default 1b69345, the previous release), SEED_RS (the
# seed's process_monitor.rs, default /work/shared/seed/process_monitor.rs; skipped when absent
# or when rustc is not installed), COMPARE_DIR (build folder, default .build-compare at the
# repository root, kept between runs so only changed code is rebuilt).
#
# Output: every measurement as `build name value unit` (build: current, previous, seed), then a
# table of medians per benchmark and the ratios current/previous and current/seed. Nothing
# here fails on a timing. Not part of CI (it takes minutes); run it by hand.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
previous_ref=${PREVIOUS_REF:-1b69345}
seed_rs=${SEED_RS:-/work/shared/seed/process_monitor.rs}
work=${COMPARE_DIR:-$root/.build-compare}
rounds=5
only=reference_coarse_clock_read,scope_pair_static_depth1,scope_pair_static_depth16,scope_pair_static_2threads_per_thread,scope_pair_progress_increment,scope_pair_static_depth1_monitored,scope_pair_static_depth16_monitored,scope_pair_static_2threads_per_thread_monitored,scope_pair_progress_increment_monitored,heartbeat_snapshot_build_1000_lanes,render_text_8_phases_2_stalls,render_jsonl_8_phases_2_stalls,render_logfmt_8_phases_2_stalls
monitor_cpu=false
while (($#)); do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --monitor-cpu) monitor_cpu=true; shift ;;
        *) echo "usage: compare.sh [--rounds N] [--only NAME,...] [--monitor-cpu]" >&2; exit 2 ;;
    esac
done
mkdir -p "$work"
results=$work/results.txt
: > "$results"

echo "compare: building this version" >&2
swift build -c release --package-path "$here" --product bench-short >&2
current=$here/.build/release/bench-short

echo "compare: building the previous release ($previous_ref) with this benchmark code" >&2
previous_src=$work/previous
if [[ ! -f $previous_src/.ref || $(cat "$previous_src/.ref") != "$previous_ref" ]]; then
    rm -rf "$previous_src"
    mkdir -p "$previous_src"
    git -C "$root" archive "$previous_ref" | tar -x -C "$previous_src"
    echo "$previous_ref" > "$previous_src/.ref"
fi
# This benchmark code, over the previous release's library (its own build folder kept).
find "$previous_src/Benchmarks" -mindepth 1 -maxdepth 1 ! -name '.build*' -exec rm -rf {} +
tar -C "$here" --exclude='./.build*' -cf - . | tar -C "$previous_src/Benchmarks" -xf -
# This benchmark code names the heartbeat's parts as this version nests them
# (`Heartbeat.Phase`); a release from before the nesting gets the nested names as aliases of
# its top-level types, so the same code builds over both.
if ! grep -rqs "extension Heartbeat" "$previous_src/Sources/ProcessMonitor/Heartbeat/Phase.swift"; then
    cat > "$previous_src/Benchmarks/Sources/BenchSupport/NestedHeartbeatNames.swift" <<'SWIFT'
import ProcessMonitor

// Named at the top level first: inside the module, `ProcessMonitor.Phase` would look in the
// class `ProcessMonitor`, not the module.
typealias PreviousPhase = Phase
typealias PreviousStall = Stall
typealias PreviousStallEnd = StallEnd
typealias PreviousActivePhase = ActivePhase

extension Heartbeat {
    typealias Phase = PreviousPhase
    typealias Stall = PreviousStall
    typealias StallEnd = PreviousStallEnd
    typealias ActivePhase = PreviousActivePhase
}
SWIFT
fi
swift build -c release --package-path "$previous_src/Benchmarks" --product bench-short >&2
previous=$previous_src/Benchmarks/.build/release/bench-short

seed=""
if [[ -f $seed_rs ]] && command -v rustc > /dev/null; then
    echo "compare: building the Rust seed ($seed_rs)" >&2
    mkdir -p "$work/seed"
    cp "$seed_rs" "$work/seed/process_monitor.rs"
    cp "$here/Seed/seed_bench.rs" "$here/Seed/log.rs" "$work/seed/"
    rustc -O --edition 2021 --crate-type rlib --crate-name log "$work/seed/log.rs" -o "$work/seed/liblog.rlib"
    rustc -O --edition 2021 --extern log="$work/seed/liblog.rlib" "$work/seed/seed_bench.rs" -o "$work/seed/seed_bench"
    seed=$work/seed/seed_bench
else
    echo "compare: no seed run (need $seed_rs and rustc)" >&2
fi

run() {  # build binary args...
    local build=$1
    shift
    "$@" | while read -r name value unit; do echo "$build $name $value $unit"; done | tee -a "$results"
}
for ((round = 1; round <= rounds; round++)); do
    echo "compare: round $round of $rounds" >&2
    run current "$current" --only "$only"
    run previous "$previous" --only "$only"
    [[ -n $seed ]] && run seed "$seed"
done
if $monitor_cpu; then
    run current "$current" --only monitor_thread_cpu_60s_1000_lanes
    run previous "$previous" --only monitor_thread_cpu_60s_1000_lanes
fi

python3 - "$results" <<'PY'
import collections, statistics, sys
values = collections.defaultdict(list)
units = {}
for line in open(sys.argv[1]):
    build, name, value, unit = line.split()
    values[(build, name)].append(float(value))
    units[name] = unit
def median(build, name):
    v = values.get((build, name))
    return statistics.median(v) if v else None
# The seed's scope pair is one: it has no monitor-dependent path.
seed_of = {
    "scope_pair_static_depth1": "seed_scope_pair_depth1", "scope_pair_static_depth1_monitored": "seed_scope_pair_depth1",
    "scope_pair_static_depth16": "seed_scope_pair_depth16", "scope_pair_static_depth16_monitored": "seed_scope_pair_depth16",
    "scope_pair_static_2threads_per_thread": "seed_scope_pair_2threads_per_thread",
    "scope_pair_static_2threads_per_thread_monitored": "seed_scope_pair_2threads_per_thread",
    "scope_pair_progress_increment": "seed_scope_pair_progress_increment",
    "scope_pair_progress_increment_monitored": "seed_scope_pair_progress_increment",
}
names = [n for n in dict.fromkeys(n for (b, n) in values) if not n.startswith("seed_")]
print("\nmedians over rounds (range in brackets)")
print(f"{'benchmark':52} {'current':>20} {'previous':>20} {'cur/prev':>8} {'seed':>12} {'cur/seed':>9}")
def cell(build, name):
    v = values.get((build, name))
    return f"{statistics.median(v):.2f} [{min(v):.2f}-{max(v):.2f}]" if v else "-"
for name in names:
    cur, prev = median("current", name), median("previous", name)
    seed = median("seed", seed_of.get(name, ""))
    ratio = f"{cur / prev:.3f}" if cur and prev else "-"
    seed_ratio = f"{cur / seed:.4f}" if cur and seed else "-"
    seed_cell = f"{seed:.1f}" if seed else "-"
    print(f"{name + ' (' + units[name] + ')':52} {cell('current', name):>20} {cell('previous', name):>20} {ratio:>8} {seed_cell:>12} {seed_ratio:>9}")
PY

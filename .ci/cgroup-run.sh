#!/usr/bin/env bash
# Runs the demo inside fresh cgroup v1 children limited to 0.5 cores and 256 MiB, and checks that
# it really ran there and that the quota held its CPU use down.
#
# usage: .ci/cgroup-run.sh DEMO_BINARY OUTDIR
#
# Needs root and cgroup v1 cpu and memory hierarchies (this project's CI machines). Elsewhere it
# fails, unless PM_CGROUP_OPTIONAL=1, when it prints SKIP and exits 0. The children are created
# under this script's own cgroups, not at the hierarchy roots, so whatever limits and accounting
# the caller's cgroups carry still apply to the demo; they are removed on every exit path.
set -euo pipefail

if (($# != 2)); then
    echo "usage: $0 DEMO_BINARY OUTDIR" >&2
    exit 2
fi
demo=$1
out=$2
name=processmonitor-ci-$$
quota_us=50000
period_us=100000
limit_bytes=268435456

die() { echo "cgroup-run: FAIL: $*" >&2; exit 1; }
skip() {
    if [[ ${PM_CGROUP_OPTIONAL:-} == 1 ]]; then
        echo "cgroup-run: SKIP: $* (PM_CGROUP_OPTIONAL=1)"
        exit 0
    fi
    die "$* (set PM_CGROUP_OPTIONAL=1 to skip on machines without writable cgroup v1)"
}

[[ -x $demo ]] || die "no demo binary at $demo"
mkdir -p "$out"
command -v jq >/dev/null || die "jq is needed"

# The directory of this process's cgroup for a v1 controller: the mount point of the hierarchy
# carrying it, plus our path in /proc/self/cgroup less the mount's root (mountinfo fields 4, 5;
# the file system type and super options come after the lone "-"). Mount points with spaces
# (written \040) are not expected on CI machines and are refused rather than mangled.
own_dir() {
    local controller=$1 mount path
    mount=$(awk -v c="$controller" '{
        for (i = 7; i <= NF && $i != "-"; i++) {}
        if ($(i + 1) != "cgroup") next
        n = split($(i + 3), options, ",")
        for (j = 1; j <= n; j++) if (options[j] == c) { print $4 " " $5; exit }
    }' /proc/self/mountinfo)
    path=$(awk -v c="$controller" '{
        line = $0
        split(line, fields, ":")
        if (fields[1] == 0) next
        n = split(fields[2], controllers, ",")
        for (j = 1; j <= n; j++) if (controllers[j] == c) { sub(/^[^:]*:[^:]*:/, "", line); print line; exit }
    }' /proc/self/cgroup)
    [[ -n $mount && -n $path && $mount != *\\* ]] || return 1
    local root=${mount%% *} point=${mount#* }
    local relative=$path
    if [[ $root != / ]]; then
        [[ $path == "$root" || $path == "$root"/* ]] || return 1
        relative=${path#"$root"}
    fi
    relative=${relative%/}
    echo "${point%/}$relative"
}

cpu_parent=$(own_dir cpu) || skip "no cgroup v1 cpu hierarchy for this process"
memory_parent=$(own_dir memory) || skip "no cgroup v1 memory hierarchy for this process"
cpu_dir=$cpu_parent/$name
memory_dir=$memory_parent/$name

pid=
cleanup() {
    local status=$?
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    # rmdir, not rm -r: a cgroup directory goes away only empty, and only without tasks.
    for dir in "$cpu_dir" "$memory_dir"; do
        if [[ -d $dir ]] && ! rmdir "$dir" 2>/dev/null; then
            echo "cgroup-run: warning: could not remove $dir" >&2
            status=1
        fi
    done
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$cpu_dir" 2>/dev/null || skip "cannot create $cpu_dir (not root, or cgroups read-only)"
mkdir "$memory_dir" 2>/dev/null || skip "cannot create $memory_dir (not root, or cgroups read-only)"
echo "$period_us" > "$cpu_dir/cpu.cfs_period_us"
echo "$quota_us" > "$cpu_dir/cpu.cfs_quota_us"
echo "$limit_bytes" > "$memory_dir/memory.limit_in_bytes"
echo "cgroup-run: $cpu_dir quota=$(cat "$cpu_dir/cpu.cfs_quota_us")/$(cat "$cpu_dir/cpu.cfs_period_us")"
echo "cgroup-run: $memory_dir limit=$(cat "$memory_dir/memory.limit_in_bytes")"

# The subshell joins both cgroups, notes its membership (cat inherits it), then becomes the
# demo, so every thread the demo starts is born inside.
(
    echo "$BASHPID" > "$cpu_dir/cgroup.procs"
    echo "$BASHPID" > "$memory_dir/cgroup.procs"
    cat /proc/self/cgroup > "$out/cgroup.membership"
    exec "$demo" --duration 8s --interval 1s --stall-threshold 2s \
        --export jsonl:"$out/cgroup.jsonl" --export text:"$out/cgroup.txt"
) &
pid=$!
status=0
wait "$pid" || status=$?
pid=
((status == 0)) || die "the demo exited with status $status inside the cgroups"

# It ran inside: membership as the demo started, and the cgroups' own accounting afterwards.
grep -Eq "^[0-9]+:([^:]*,)?cpu(,[^:]*)?:.*/$name\$" "$out/cgroup.membership" \
    || die "the demo was not in the cpu cgroup: $(tr '\n' ' ' < "$out/cgroup.membership")"
grep -Eq "^[0-9]+:([^:]*,)?memory(,[^:]*)?:.*/$name\$" "$out/cgroup.membership" \
    || die "the demo was not in the memory cgroup: $(tr '\n' ' ' < "$out/cgroup.membership")"
periods=$(awk '$1 == "nr_periods" { print $2 }' "$cpu_dir/cpu.stat")
throttled=$(awk '$1 == "nr_throttled" { print $2 }' "$cpu_dir/cpu.stat")
charged=$(cat "$memory_dir/memory.max_usage_in_bytes")
((${periods:-0} > 0)) || die "$cpu_dir/cpu.stat counts no quota periods: nothing ran there"
((${charged:-0} > 0)) || die "$memory_dir charged no memory: nothing ran there"
echo "cgroup-run: ran inside: nr_periods=$periods nr_throttled=$throttled, memory max_usage=$charged bytes"

# The quota held: no heartbeat measured over most of a second saw more than 0.5 cores plus the
# slack of one period. Windows jitter around the 1 s interval (0.988 s is common), so 0.9 s.
jsonl=$out/cgroup.jsonl
[[ $(jq -r .trigger "$jsonl" | tail -1) == final ]] || die "the demo's last record is not the final heartbeat"
windows=$(jq -s '[.[] | select(.cpu_window_s != null and .cpu_window_s >= 0.9)] | length' "$jsonl")
((windows >= 3)) || die "only $windows heartbeats with a CPU window of 0.9 s or more"
if jq -e 'select(.cpu_window_s != null and .cpu_window_s >= 0.9 and (.cpu_cores == null or .cpu_cores > 0.6))' "$jsonl"; then
    die "a heartbeat above used more than 0.6 cores under a 0.5-core quota"
fi
highest=$(jq -s '[.[] | select(.cpu_window_s != null and .cpu_window_s >= 0.9) | .cpu_cores] | max' "$jsonl")
echo "cgroup-run: $windows heartbeats over >= 0.9 s, highest cpu_cores=$highest (quota 0.5)"

# The figures the monitor read from the cgroup files are the ones set above. (The CPU figure is
# capped at the cores available, so "<= 0.6" alone proves nothing; nr_throttled > 0 shows the
# quota really bound the fan-out that asked for two cores.)
((${throttled:-0} > 0)) || die "the fan-out was never throttled: the quota did not bind"
jq -e 'select(.cpu_available_cores != 0.5 or .cpu_quota_cores != 0.5)' "$jsonl" \
    && die "cpu_available_cores and cpu_quota_cores should be the 0.5-core quota"
jq -e 'select(.memory_limit_bytes != 268435456)' "$jsonl" && die "memory_limit_bytes should be the 256 MiB limit"
jq -e 'select(.memory_usage_bytes == null or .memory_usage_bytes > 268435456
              or .memory_headroom_bytes != (268435456 - .memory_usage_bytes))' "$jsonl" \
    && die "memory usage and headroom should be read from the cgroup and add up to the limit"
jq -e 'select(.open_fds == null or .fd_limit == null)' "$jsonl" && die "open_fds and fd_limit should be known"
grep -Eq '^\[process-monitor\] elapsed=.* cpu=[0-9.]+/0\.5 cores .* cgroup_memory=[0-9.]+[KMG]iB/256\.0MiB \([0-9]+%\)' "$out/cgroup.txt" \
    || die "the text headline should show the 0.5-core quota and the 256 MiB limit"
echo "cgroup-run: headline: $(grep -m1 -oE 'cpu=[^ ]+ cores.*' "$out/cgroup.txt" | cut -c1-160)"

echo "cgroup-run: PASS"

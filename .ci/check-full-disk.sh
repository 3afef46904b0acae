#!/usr/bin/env bash
# A full disk tears no record. The demo writes JSON Lines every 10 ms into a 64 KiB tmpfs until
# the disk is full (and on, against the full disk); the tmpfs is then enlarged and a second run
# appends. jq then reads the file line by line: every line must be one whole JSON object,
# because a record the disk takes only in part is rolled back (ftruncate) instead of being
# left as a fragment that would stop jq and DuckDB. The second run's first record must say
# dropped_records=0: it found no fragment to count when it opened the file.
#
# Usage: .ci/check-full-disk.sh DEMO   (as root: it mounts a tmpfs; it unmounts it on exit)
set -euo pipefail
demo=${1:?usage: check-full-disk.sh DEMO}
work=$(mktemp -d)
mnt="$work/tmpfs"
cleanup() {
    if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
die() { echo "check-full-disk: FAIL: $*" >&2; exit 1; }

# Every line of $1 is one JSON object; prints the first bad lines with their numbers.
every_line_parses() {
    local bad
    bad=$(jq -R -r '. as $line | try (fromjson | if type == "object" then empty else "line \(input_line_number): not an object" end)
        catch "line \(input_line_number): does not parse: \($line[0:60])"' "$1")
    [[ -z $bad ]] || { echo "$bad" | head -5 >&2; return 1; }
    [[ $(tail -c 1 "$1" | od -An -c | tr -d ' ') == '\n' ]] || { echo "the file does not end with a newline" >&2; return 1; }
}

mkdir -p "$mnt"
mount -t tmpfs -o size=64k tmpfs "$mnt"
file="$mnt/hb.jsonl"

# 3 s at 10 ms is ~300 records of ~1 KiB: the 64 KiB fill within the first second.
"$demo" --duration 3s --interval 10ms --stall-threshold 1s --export "jsonl:$file" 2> "$work/full.err" || true
grep -q 'No space left on device' "$work/full.err" || die "the disk never filled: $(head -3 "$work/full.err")"
full_records=$(wc -l < "$file")
every_line_parses "$file" || die "the file on the full disk holds a torn record"
rolled=$(grep -c 'were rolled back' "$work/full.err" || true)

mount -o remount,size=4m "$mnt"
"$demo" --duration 1s --interval 100ms --stall-threshold 1s --export "jsonl:$file" 2> /dev/null
every_line_parses "$file" || die "after enlarging the disk and appending, a line does not parse"
total=$(wc -l < "$file")
((total > full_records)) || die "the second run appended nothing"
firsts=$(jq -c 'select(.seq == 1) | .dropped_records' "$file" | tr '\n' ' ')
[[ $firsts == "0 0 " ]] || die "each run's first record should say dropped_records=0 (no fragment found), got: $firsts"
echo "full disk: $full_records whole records on the full 64 KiB disk ($rolled warning(s) about a rolled-back partial record), $total after appending; every line parses"

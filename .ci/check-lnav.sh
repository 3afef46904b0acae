#!/usr/bin/env bash
# Checks the lnav formats in lnav/ against real heartbeat files with Debian's lnav, headless:
#   - each format installs with `lnav -i` into a throw-away HOME (the real ~/.lnav and
#     ~/.config/lnav are never touched), and lnav picks it for the file;
#   - every line is one record of that format: lnav's table has one row per line, in order,
#     with the line's own timestamp, level, seq and pid (expected rows come from jq for JSON
#     Lines and from awk for logfmt and text, never from lnav);
#   - min/max(log_time) are the first and last record's timestamps;
#   - warning rows = level warn records = stall records (in text: [STALL], [STALL-STACK],
#     [STALL-BACKTRACE] and [WARN] lines), info rows = level info records, and
#     no other level appears;
#   - the same holds for a widened copy of each file, every record carrying unknown extra keys
#     (as schema_version 2 will) with a ~14 KiB value (lines near 16 KiB) of spaces, escaped quotes, non-ASCII text
#     and a quoted "pid=1", which must not be taken for the pid.
# The formats rely on timestamp, level, message/msg, seq and pid only.
#
# Usage: .ci/check-lnav.sh FILE.jsonl FILE.logfmt [FILE.txt]
#   FILE.txt is optional: lines of TextFormat(prefix: .timestampAndLevel).
# Installs lnav and jq (apt) when they are missing. Exits 1 with a message on the first failure.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
    echo "usage: $0 FILE.jsonl FILE.logfmt [FILE.txt]" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
formats=$(dirname "$here")/lnav

say() { echo "check-lnav: $*"; }
die() { echo "check-lnav: FAIL: $*" >&2; exit 1; }

for f in "$@"; do
    [[ -f $f ]] || die "$f does not exist"
    [[ -s $f ]] || die "$f is empty"
done
jsonl=$(realpath "$1")
logfmt=$(realpath "$2")
text=
[[ $# -eq 3 ]] && text=$(realpath "$3")

# --- tools -------------------------------------------------------------------------------
missing=()
command -v lnav >/dev/null || missing+=(lnav)
command -v jq >/dev/null || missing+=(jq)
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
    hash -r
fi

# --- an isolated lnav configuration (before the first lnav call: even `lnav -V` creates one)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# lnav uses $HOME/.lnav when it exists, else $XDG_CONFIG_HOME/lnav: both point into $work.
export HOME=$work/home XDG_CONFIG_HOME=$work/config
mkdir -p "$HOME/.lnav" "$XDG_CONFIG_HOME"
# lnav shows times as written; UTC keeps that so whatever the machine's zone.
export TZ=UTC
say "$(lnav -V </dev/null)"

for name in processmonitor_jsonl processmonitor_logfmt processmonitor_text; do
    lnav -i "$formats/$name.json" </dev/null >"$work/install.out" 2>&1 \
        || die "lnav -i $formats/$name.json failed: $(cat "$work/install.out")"
    [[ -f $HOME/.lnav/formats/installed/$name.json ]] \
        || die "lnav -i did not install $name into the temporary HOME: $(cat "$work/install.out")"
done

# query FILE SQL: runs SQL over FILE headless, stdin from /dev/null (CI has none), and prints
# the result as JSON Lines. lnav exits 0 even when the SQL fails, so its stderr is checked too;
# it exits 1 when a regex format's own samples do not match (checked at every start).
query() {
    local file=$1 sql=$2
    lnav -n -c ";$sql" -c ':write-jsonlines-to -' "$file" </dev/null >"$work/q.out" 2>"$work/q.err" \
        || die "lnav failed on '$sql' for $file: $(cat "$work/q.err")"
    if grep -q 'error' "$work/q.err"; then
        die "lnav reported an error on '$sql' for $file: $(cat "$work/q.err")"
    fi
    cat "$work/q.out"
}

# --- expected rows, one per line: "YYYY-MM-DD HH:MM:SS.mmm LEVEL SEQ PID" as lnav prints them
# (LEVEL info or warning, else the raw value; "-" where the line has no seq or pid). A line that
# cannot be read gets a row no lnav row can equal, so the diff names it.
expect_jsonl() {
    jq -R -r '
        (try fromjson catch null) as $r
        | if ($r | type) != "object" then "unparsable JSON: \(.[0:60])"
          else "\($r.timestamp // "<no timestamp>" | tostring | sub("T"; " ") | sub("Z$"; "")) \(
                if $r.level == "warn" then "warning" else ($r.level // "<no level>" | tostring) end) \(
                $r.seq // "-") \($r.pid // "-")"
          end' "$1"
}
# logfmt lines start with timestamp, level, seq and msg, all unquoted: awk's fields 1-4. pid is
# the first pid=N field outside a quoted value (go-logfmt escapes every quote inside one).
expect_logfmt() {
    awk '{
        ts = $1; sub(/^timestamp=/, "", ts); sub(/T/, " ", ts); sub(/Z$/, "", ts)
        lv = $2; sub(/^level=/, "", lv); if (lv == "warn") lv = "warning"
        sq = $3; sub(/^seq=/, "", sq)
        pid = "-"; quoted = 0
        for (i = 4; i <= NF; i++) {
            if (!quoted && $i ~ /^pid=[0-9]+$/) { pid = substr($i, 5); break }
            t = $i; gsub(/\\\\/, "", t); gsub(/\\"/, "", t)
            if (gsub(/"/, "", t) % 2) quoted = !quoted
        }
        print ts " " lv " " sq " " pid
    }' "$1"
}
expect_text() {
    awk '{
        ts = $1; sub(/T/, " ", ts); sub(/Z$/, "", ts)
        lv = $2; if (lv == "WARN") lv = "warning"; else if (lv == "INFO") lv = "info"
        print ts " " lv " - -"
    }' "$1"
}

# check LABEL FILE TABLE WARN INFO STALLS: expected rows are in $work/expected.
check() {
    local label=$1 file=$2 table=$3 warn_expected=$4 info_expected=$5 stalls=$6
    local expected=$work/expected records chosen cols rows

    records=$(wc -l <"$expected")
    (($(wc -l <"$file") == records)) || die "$label: line count of $file differs from its records (a bug in this script)"

    chosen=$(query "$file" "SELECT ifnull(format, '<none: plain text>') AS f FROM lnav_file" | jq -r .f)
    [[ $chosen == "$table" ]] || die "$label: lnav did not pick $table for $file, it picked: $chosen"

    cols="ifnull(seq, '-') || ' ' || ifnull(pid, '-')"
    [[ $table == processmonitor_text ]] && cols="'- -'"
    query "$file" "SELECT log_time || ' ' || log_level || ' ' || $cols AS r FROM $table ORDER BY log_line" \
        | jq -r .r >"$work/actual"
    rows=$(wc -l <"$work/actual")
    if ! diff "$expected" "$work/actual" >"$work/diff"; then
        head -20 "$work/diff" >&2
        ((rows == records)) \
            || die "$label: lnav recognised $rows records of $table in $file, which has $records lines (diff expected/lnav above)"
        die "$label: lnav's timestamp/level/seq/pid differ from the records' own in $file (diff expected/lnav above)"
    fi

    local first last bounds
    first=$(head -1 "$expected" | cut -d' ' -f1,2)
    last=$(tail -1 "$expected" | cut -d' ' -f1,2)
    bounds=$(query "$file" "SELECT min(log_time) || ' .. ' || max(log_time) AS b FROM $table" | jq -r .b)
    [[ $bounds == "$first .. $last" ]] \
        || die "$label: min .. max(log_time) is '$bounds', the records span '$first .. $last'"

    local levels warn info other
    levels=$(query "$file" "SELECT log_level AS l, count(*) AS n FROM $table GROUP BY 1")
    warn=$(jq -r 'select(.l == "warning") | .n' <<<"$levels")
    info=$(jq -r 'select(.l == "info") | .n' <<<"$levels")
    other=$(jq -r 'select(.l != "warning" and .l != "info") | "\(.l)=\(.n)"' <<<"$levels" | paste -sd' ')
    warn=${warn:-0} info=${info:-0}
    [[ -z $other ]] || die "$label: lnav saw levels other than info and warning: $other"
    ((warn == warn_expected)) || die "$label: lnav counts $warn warning records, the file has $warn_expected level=warn records"
    ((info == info_expected)) || die "$label: lnav counts $info info records, the file has $info_expected level=info records"
    ((warn == stalls)) || die "$label: lnav counts $warn warning records, the file has $stalls stall records"
    ((warn > 0)) || die "$label: the file has no stall, so the warning mapping went untested"
    say "$label: $records/$records records recognised as $table, $bounds, info=$info warning=$warn (= $stalls stall records)"
}

check_jsonl() {
    local label=$1 file=$2
    count() { jq -c -R "try fromjson catch null | objects | $1" "$file" | wc -l; }
    expect_jsonl "$file" >"$work/expected"
    check "$label" "$file" processmonitor_jsonl \
        "$(count 'select(.level == "warn")')" "$(count 'select(.level == "info")')" \
        "$(count 'select(((.stalls // []) | length) + (.stalls_omitted // 0) > 0)')"
}
check_logfmt() {
    local label=$1 file=$2
    expect_logfmt "$file" >"$work/expected"
    check "$label" "$file" processmonitor_logfmt \
        "$(awk '$2 == "level=warn"' "$file" | wc -l)" "$(awk '$2 == "level=info"' "$file" | wc -l)" \
        "$(awk '$4 == "msg=stall"' "$file" | wc -l)"
}
check_text() {
    local label=$1 file=$2
    expect_text "$file" >"$work/expected"
    check "$label" "$file" processmonitor_text \
        "$(awk '$2 == "WARN"' "$file" | wc -l)" "$(awk '$2 == "INFO"' "$file" | wc -l)" \
        "$(awk '$3 ~ /^\[process-monitor\]\[(STALL|STALL-STACK|STALL-BACKTRACE|WARN)\]/' "$file" | wc -l)"
}

# --- the files as given --------------------------------------------------------------------
check_jsonl "JSON Lines" "$jsonl"
check_logfmt "logfmt" "$logfmt"
if [[ -n $text ]]; then
    check_text "text" "$text"
else
    say "text: no file given, skipped"
fi

# --- widened copies: unknown keys and ~14 KiB lines ----------------------------------------
raw=$(for ((i = 0; i < 750; i++)); do printf '%s' 'x  y "q" é pid=1 '; done)
quoted=$(jq -n -r --arg s "$raw" '$s | gsub("\""; "\\\"")' | sed 's/.*/"&"/')
jq -R -c --arg s "$raw" '(try fromjson catch null) as $r
    | if ($r | type) == "object" then {zz_first: [1, 2.5e300, -0.0, null]} + $r + {zz_future: {text: $s, "a b": true}} else . end' \
    "$jsonl" >"$work/wide.jsonl"
# after the msg token, so pid (later on the line) has to be found past the long quoted value
Q=$quoted awk '{
    i = index($0, " msg="); j = index(substr($0, i + 1), " ")
    if (j == 0) print $0 " zz_future=" ENVIRON["Q"]
    else print substr($0, 1, i + j - 1) " zz_future=" ENVIRON["Q"] substr($0, i + j)
}' "$logfmt" >"$work/wide.logfmt"
check_jsonl "JSON Lines, widened" "$work/wide.jsonl"
check_logfmt "logfmt, widened" "$work/wide.logfmt"
if [[ -n $text ]]; then
    R=$raw awk '{ print $0 " zz_future=" ENVIRON["R"] }' "$text" >"$work/wide.txt"
    check_text "text, widened" "$work/wide.txt"
fi
say "all checks passed in ${SECONDS}s"

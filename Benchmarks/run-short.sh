#!/usr/bin/env bash
# ProcessMonitor benchmarks, short mode: builds the suite (release) and prints one line per
# benchmark, `name value unit`, on stdout. Build output goes to stderr.
#
#   Benchmarks/run-short.sh                       all benchmarks (~20 s after the build)
#   Benchmarks/run-short.sh --check-allocations   CI check: exits 1 if a synchronous
#                                                 StaticString scope pair allocates
#
# No timing ever fails this script; only the allocation check (an exact count) can.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
swift build -c release --package-path "$here" --product bench-short >&2
exec "$here/.build/release/bench-short" "$@"

#!/usr/bin/env bash
# Every ```swift block of the README compiles, as a newcomer would paste it.
#
# Usage: .ci/check-readme-swift.sh [--scratch DIR] [--max-lines N] [README]
#   README defaults to README.md at the root of this checkout.
#   --scratch DIR keeps the scratch package in DIR for fast re-runs (e.g. .build-readme, which
#   .gitignore's `.build*/` covers); by default it lives in a temporary directory removed at exit.
#
# Each block whose fence info string is exactly `swift` becomes the main.swift of its own
# executable target, block_L<line of its opening fence>, in ONE scratch package that depends on
# this checkout by path (tools-version 6.1, Swift 6 language mode) and on its library products
# (MonitorExportHTTP only for blocks that import it). Blocks are compiled as written: no imports,
# wrappers or stubs are added. One `swift build` builds them all; every target must build with
# zero warnings and zero errors. Failures are listed with README line numbers.
#
# Markers, an HTML comment alone on the line right before the opening fence:
#   <!-- fragment -->            not compilable on its own (refers to the reader's own types,
#                                an excerpt): skipped, counted and listed.
#   <!-- fragment: package -->   Package.swift lines. Its .package(...) and .product(...) entries
#                                (commented-out ones too) are wrapped into a complete manifest with
#                                one executable target. A `path:` dependency is pointed at this
#                                checkout and must resolve with every product; a `url:` dependency
#                                (branch:/from:) cannot be fetched offline, so it must parse
#                                (dump-package) and, with its url swapped for this checkout's path,
#                                every product must exist. Product lines without a .package line
#                                are checked against this checkout. A block that starts with
#                                `// swift-tools-version` is a whole manifest, checked as it stands.
# Any other `<!-- fragment...` comment, or a marker not right before a ```swift fence, fails.
#
# Exits 0 when everything passes, 1 otherwise. Needs swift and python3; no network.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "check-readme-swift: swift is not on PATH" >&2; exit 1; }
command -v python3 >/dev/null || { echo "check-readme-swift: python3 is not on PATH" >&2; exit 1; }
exec python3 "$here/readme_swift_blocks.py" --checkout "$root" "$@"

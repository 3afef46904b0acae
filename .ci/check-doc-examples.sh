#!/usr/bin/env bash
# The doc-comment examples of the public entry points compile, with zero warnings.
#
# Usage: .ci/check-doc-examples.sh [--scratch DIR]
#   --scratch DIR keeps the scratch package in DIR for fast re-runs (e.g. .build-doc-examples,
#   which .gitignore's `.build*/` covers); by default it lives in a temporary directory.
#
# Every ```swift block in the `///` comments of the files listed in .ci/doc-example-files
# becomes the body of a function in one scratch package that depends on this checkout by path
# (.ci/doc_swift_blocks.py says how); the reader's own names the examples call are declared once
# in .ci/doc-examples-context.swift. One `swift build` builds them all; a failure names the
# source file and line of the example's opening fence. Also prints how many doc examples
# Sources holds and how many of them are compiled.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scratch=""
if [[ ${1:-} == --scratch ]]; then scratch=$2; fi
if [[ -z $scratch ]]; then
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
fi
python3 .ci/doc_swift_blocks.py --checkout . --scratch "$scratch"

#!/usr/bin/env bash
# Every doc example under Sources/ compiles, with zero warnings.
#
# Usage: .ci/check-doc-examples.sh [--scratch DIR]
#   --scratch DIR keeps the scratch package in DIR for fast re-runs (e.g. .build-doc-examples,
#   which .gitignore's `.build*/` covers); by default it lives in a temporary directory.
#
# Every ```swift block of the documentation under Sources/ (the `///` comments of every .swift
# file, and the articles of every DocC catalog, Sources/**/*.docc/**/*.md) is compiled: nothing
# is listed by hand, so no example can be left out, and a bare ``` opening fence fails (say
# ```swift, or ```text for output). Doc-comment examples become function bodies (or file-scope
# code) in one scratch package that depends on this checkout by path; each article is a target of
# its own, so a later block may use a type an earlier one declared (.ci/doc_swift_blocks.py says
# how). The reader's own names the examples call are declared once in
# .ci/doc-examples-context.swift. One `swift build` builds them all, with zero warnings; a failure
# names the source file and line of the example's opening fence. Prints how many examples there
# are in doc comments and in articles.
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

#!/usr/bin/env bash
# Tests mirror the source tree (issue 16.7): a test file under Tests/<Target>Tests/ sits in a
# folder that exists under Sources/<Target>/, so a reader finds the tests of
# Sources/MonitorExport/Formats/LogfmtFormat.swift in Tests/MonitorExportTests/Formats/.
# Three folders are allowed in every test target although no source folder matches them:
# Support/ (shared helpers), Fixtures/ (resources) and Integration/ (suites that cross folders;
# each says why in its first line). A test file at a target's top level is allowed only when the
# module has source files at its top level too (MonitorExportHTTP and MonitorReport are flat;
# ProcessMonitor and MonitorExport are all folders). Tests/Support is the TestSupport target,
# not a test target, and is not checked. Only .swift files count: fixtures may be anything.
#
# Usage: .ci/check-test-layout.sh [PACKAGE_ROOT]   (default: the current directory)
set -euo pipefail
cd "${1:-.}"
allowed_extra='^(Support|Fixtures|Integration)(/|$)'
bad=0
checked=0
fail() { echo "check-test-layout: FAIL: $*" >&2; bad=1; }

for tests in Tests/*Tests; do
    [[ -d $tests ]] || continue
    target=$(basename "$tests")
    target=${target%Tests}
    sources="Sources/$target"
    if [[ ! -d $sources ]]; then
        fail "$tests has no matching source module $sources/"
        continue
    fi
    while IFS= read -r -d '' file; do
        checked=$((checked + 1))
        relative=${file#"$tests"/}
        folder=$(dirname "$relative")
        if [[ $folder == . ]]; then
            # The top level mirrors the module's top level: allowed only if the module has files there.
            if ! compgen -G "$sources/*.swift" > /dev/null; then
                fail "$file is at the top of $tests/, but $sources/ keeps its sources in folders;" \
                    "move it to the folder of what it tests ($(cd "$sources" && find . -mindepth 1 -maxdepth 1 -type d \
                    | sed 's|^\./||' | sort | paste -sd, -)), or to Integration/ if it crosses folders"
            fi
        elif [[ $folder =~ $allowed_extra ]]; then
            :
        elif [[ ! -d $sources/$folder ]]; then
            fail "$file is in $folder/, which does not exist under $sources/ (allowed extras: Support/, Fixtures/, Integration/)"
        fi
    done < <(find "$tests" -name '*.swift' -print0)
done

[[ $checked -gt 0 ]] || fail "no test files found under Tests/*Tests (run from the package root)"
[[ $bad -eq 0 ]] || exit 1
echo "check-test-layout: $checked test files mirror their Sources/ folders"

#!/usr/bin/env python3
"""Compiles every ```swift block of a README against this checkout; see check-readme-swift.sh.

Blocks (a fence whose info string is exactly `swift`):
  - unmarked: compiled as written, as the `main.swift` of its own executable target
    `block_L<line of the opening fence>` in one scratch package that depends on the checkout by
    path, in Swift 6 language mode. Nothing is added: no imports, no wrapper, no stubs. A block
    holding an `@main` type is written to `block.swift` instead, so `@main` works.
  - `<!-- fragment -->` on the line right before the fence: skipped, counted and listed.
  - `<!-- fragment: package -->` on the line right before the fence: Package.swift lines. The
    `.package(...)` and `.product(...)` entries (commented-out ones too, since readers are told to
    uncomment them) are wrapped into a complete manifest (tools-version 6.1, one executable
    target) and checked with SwiftPM: `path:` dependencies point at the checkout and must resolve
    with every product (`swift package show-dependencies`); `url:` dependencies cannot be fetched
    offline, so they must parse (`swift package dump-package`) and, with the url swapped for the
    checkout's path, their products must exist. A block starting `// swift-tools-version` is a
    whole manifest and is checked as it stands (paths pointed at the checkout).
Every target must build with zero warnings and zero errors.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# Products every block target depends on: all library products of the checkout except these,
# which a block gets only when it imports them (MonitorExportHTTP links FoundationNetworking).
OPT_IN_PRODUCTS = {"MonitorExportHTTP"}

FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
MARKER_RE = re.compile(r"^\s*<!--\s*fragment\b\s*(?::\s*(.*?))?\s*-->\s*$")
LOOSE_MARKER_RE = re.compile(r"<!--\s*fragment\b", re.IGNORECASE)
IMPORT_RE = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)", re.M)
DIAG_RE = re.compile(r"^(/[^:\n]+):(\d+):(\d+): (error|warning): (.*)$")
BARE_DIAG_RE = re.compile(r"^(error|warning): (.*)$")


def log(msg=""):
    print(msg, flush=True)


class Block:
    def __init__(self, line, kind, text):
        self.line = line  # 1-based README line of the opening fence
        self.kind = kind  # "compile", "fragment", "package"
        self.text = text
        self.name = f"block_L{line}"


def parse_readme(path):
    """Returns (blocks, problems, notes). Problems fail the check; notes are informational."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks, problems, notes = [], [], []
    used_markers = set()
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m or (m.group(2)[0] == "`" and "`" in m.group(3)):
            i += 1
            continue
        indent, fence, info = len(m.group(1).expandtabs(4)), m.group(2), m.group(3).strip()
        start = i
        body = []
        i += 1
        closed = False
        while i < len(lines):
            c = re.match(r"^\s*(`{3,}|~{3,})\s*$", lines[i])
            if c and c.group(1)[0] == fence[0] and len(c.group(1)) >= len(fence):
                closed = True
                break
            line = lines[i]
            strip = 0
            while strip < indent and strip < len(line) and line[strip] == " ":
                strip += 1
            body.append(line[strip:])
            i += 1
        i += 1  # past the closing fence
        fence_line = start + 1
        if not closed:
            problems.append(f"L{fence_line}: code fence is never closed")
        word = info.split()[0].lower() if info else ""
        if info != "swift":
            if word.startswith("swift") or word in ("{.swift}",):
                notes.append(f"L{fence_line}: fence info string {info!r} is not exactly 'swift': not checked")
            prev = lines[start - 1] if start > 0 else ""
            if MARKER_RE.match(prev):
                problems.append(f"L{start}: fragment marker before a {info or 'plain'!r} fence (only ```swift blocks take markers)")
                used_markers.add(start - 1)
            continue
        kind = "compile"
        if start > 0:
            prev = lines[start - 1]
            mm = MARKER_RE.match(prev)
            if mm:
                used_markers.add(start - 1)
                arg = (mm.group(1) or "").strip()
                if arg == "":
                    kind = "fragment"
                elif arg == "package":
                    kind = "package"
                else:
                    problems.append(f"L{start}: unknown marker {prev.strip()!r} (use <!-- fragment --> or <!-- fragment: package -->)")
                    kind = "fragment"
            elif LOOSE_MARKER_RE.search(prev):
                problems.append(f"L{start}: malformed marker {prev.strip()!r} (use <!-- fragment --> or <!-- fragment: package -->)")
                used_markers.add(start - 1)
        blocks.append(Block(fence_line, kind, "\n".join(body) + "\n"))
    for n, line in enumerate(lines):
        if n not in used_markers and LOOSE_MARKER_RE.search(line):
            problems.append(f"L{n + 1}: fragment marker is not on the line right before a ```swift fence")
    return blocks, problems, notes


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# SwiftPM leaves lock files named after the scratch path in $TMPDIR: keep them in the scratch dir.
ENV = dict(os.environ)


def run(cmd, cwd=None, log_path=None):
    """Runs cmd, returns (exit status, combined output)."""
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    if log_path:
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(f"$ {' '.join(cmd)}\n{p.stdout}\n")
    return p.returncode, p.stdout


# ---------------------------------------------------------------------------------------------
# Compiled blocks


def write_scratch_package(scratch, blocks, checkout, checkout_manifest):
    pkg_name = checkout_manifest["name"]
    libraries = {}  # product name -> module names
    for product in checkout_manifest["products"]:
        if "library" in product["type"]:
            libraries[product["name"]] = product["targets"]
    base = [p for p in libraries if p not in OPT_IN_PRODUCTS]
    pkg = os.path.join(scratch, "blocks")
    sources = os.path.join(pkg, "Sources")
    if os.path.isdir(sources):
        shutil.rmtree(sources)  # blocks that left the README must not linger in a kept scratch dir
    targets = []
    for b in blocks:
        imports = set(IMPORT_RE.findall(b.text))
        products = base + [p for p, mods in libraries.items() if p not in base and imports & set(mods)]
        b.products = products
        d = os.path.join(sources, b.name)
        os.makedirs(d)
        b.file = os.path.join(d, "block.swift" if re.search(r"^\s*@main\b", b.text, re.M) else "main.swift")
        with open(b.file, "w", encoding="utf-8") as f:
            f.write(b.text)
        deps = ", ".join(f".product(name: {swift_string(p)}, package: {swift_string(pkg_name)})" for p in products)
        targets.append(f"        .executableTarget(name: {swift_string(b.name)}, dependencies: [{deps}]),")
    manifest = f"""// swift-tools-version:6.1
// Generated by .ci/readme_swift_blocks.py: one executable target per ```swift block of the README.
import PackageDescription

let package = Package(
    name: "ReadmeBlocks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: {swift_string(pkg_name)}, path: {swift_string(checkout)}),
    ],
    targets: [
{chr(10).join(targets)}
    ],
    swiftLanguageModes: [.v6]
)
"""
    with open(os.path.join(pkg, "Package.swift"), "w", encoding="utf-8") as f:
        f.write(manifest)
    return pkg


def parse_diagnostics(output):
    located, bare = [], []
    for line in output.splitlines():
        m = DIAG_RE.match(line)
        if m:
            located.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4), m.group(5)))
            continue
        m = BARE_DIAG_RE.match(line)
        if m:
            bare.append((m.group(1), m.group(2)))
    return located, bare


def build_blocks(pkg, blocks, checkout, scratch, max_lines):
    """Builds all block targets; returns (failures, other_problems)."""
    build_log = os.path.join(scratch, "build.log")
    t0 = time.monotonic()
    log(f"building {len(blocks)} block target(s) in one scratch package (the checkout's modules are compiled too)...")
    status, out = run(["swift", "build", "--package-path", pkg], log_path=build_log)
    outputs = [out]
    log(f"  swift build: exit {status} in {time.monotonic() - t0:.0f}s")
    _, bin_out = run(["swift", "build", "--package-path", pkg, "--show-bin-path"])
    bin_dir = bin_out.strip().splitlines()[-1] if bin_out.strip() else os.path.join(pkg, ".build", "debug")

    def located_errors(texts):
        diags, _ = parse_diagnostics("\n".join(texts))
        return diags

    if status != 0:
        # SwiftPM stops at the first failing command, so some targets may not have been compiled
        # or linked: build each of those on its own to learn what they say.
        diags = located_errors(outputs)
        with_errors = {os.path.realpath(d[0]) for d in diags if d[3] == "error"}
        for b in blocks:
            if os.path.exists(os.path.join(bin_dir, b.name)) or os.path.realpath(b.file) in with_errors:
                continue
            t1 = time.monotonic()
            s, o = run(["swift", "build", "--package-path", pkg, "--product", b.name], log_path=build_log)
            outputs.append(o)
            log(f"  swift build --product {b.name}: exit {s} in {time.monotonic() - t1:.0f}s")

    diags, bare = parse_diagnostics("\n".join(outputs))
    by_file = {os.path.realpath(b.file): b for b in blocks}
    real_checkout = os.path.realpath(checkout)
    per_block = {b.name: [] for b in blocks}
    outside, seen = [], set()
    for path, line, col, sev, msg in diags:
        key = (os.path.realpath(path), line, col, sev, msg)
        if key in seen:
            continue
        seen.add(key)
        b = by_file.get(key[0])
        if b is not None:
            per_block[b.name].append((b.line + line, col, sev, msg))
        elif key[0].startswith(real_checkout + os.sep):
            outside.append(f"{os.path.relpath(key[0], real_checkout)}:{line}:{col}: {sev}: {msg}")
        else:
            outside.append(f"{path}:{line}:{col}: {sev}: {msg}")
    noise = re.compile(r"command failed with exit code|fatalError|^build stopped|compilation failed")
    for sev, msg in dict.fromkeys(bare):
        if not noise.search(msg):
            outside.append(f"{sev}: {msg}")

    failures = []
    for b in blocks:
        ds = per_block[b.name]
        built = os.path.exists(os.path.join(bin_dir, b.name))
        if ds or not built:
            ds.sort(key=lambda d: (d[0], d[1]))
            shown = [f"README:{line}:{col}: {sev}: {msg}" for line, col, sev, msg in ds[:max_lines]]
            if len(ds) > max_lines:
                shown.append(f"... and {len(ds) - max_lines} more diagnostic(s)")
            if not ds:
                shown.append("not built, and the compiler said nothing about this block (see the other problems below)")
            failures.append((b, shown))
    return failures, outside


# ---------------------------------------------------------------------------------------------
# Package.swift excerpts


def scan_entries(text):
    """Finds `.package(...)` and `.product(...)` calls, including commented-out ones.
    Returns a list of (kind, call text, commented)."""
    entries = []
    # Uncomment `// .package(` and `// .product(` lines so optional entries get checked too.
    lines = []
    commented_lines = set()
    for n, line in enumerate(text.split("\n")):
        m = re.match(r"^(\s*)//\s*(\.(?:package|product)\(.*)$", line)
        if m:
            commented_lines.add(n)
            line = m.group(1) + m.group(2)
        lines.append(line)
    src = "\n".join(lines)
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line) + 1)

    def line_of(pos):
        n = 0
        while n + 1 < len(line_starts) and line_starts[n + 1] <= pos:
            n += 1
        return n

    for m in re.finditer(r"\.(package|product)\(", src):
        # Skip matches inside a // comment that is not a whole commented-out entry.
        n = line_of(m.start())
        before = src[line_starts[n]:m.start()]
        if "//" in before:
            continue
        depth, pos, in_str = 0, m.end() - 1, False
        while pos < len(src):
            ch = src[pos]
            if in_str:
                if ch == "\\":
                    pos += 1
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            pos += 1
        call = src[m.start():pos + 1]
        entries.append((m.group(1), call, n in commented_lines))
    return entries


def string_arg(call, label):
    m = re.search(label + r'\s*:\s*"((?:[^"\\]|\\.)*)"', call)
    return m.group(1) if m else None


def identity_of(call):
    name = string_arg(call, "name")
    if name:
        return name
    loc = string_arg(call, "url") or string_arg(call, "path") or ""
    base = loc.rstrip("/").split("/")[-1]
    return base[:-4] if base.endswith(".git") else base


def point_path_at(call, checkout):
    """A path dependency pointed at the checkout, keeping the identity the reader's path gives."""
    if string_arg(call, "name") is None:
        call = call.replace(".package(", f".package(name: {swift_string(identity_of(call))}, ", 1)
    return re.sub(r'path\s*:\s*"(?:[^"\\]|\\.)*"', "path: " + swift_string(checkout), call, count=1)


def url_as_path(call, checkout):
    return f".package(name: {swift_string(identity_of(call))}, path: {swift_string(checkout)})"


def fragment_manifest(dependencies, products):
    deps = "\n".join(f"        {d}," for d in dependencies)
    prods = "\n".join(f"            {p}," for p in products)
    return f"""// swift-tools-version:6.1
// Generated by .ci/readme_swift_blocks.py from a <!-- fragment: package --> block of the README.
import PackageDescription

let package = Package(
    name: "ReadmePackageFragment",
    dependencies: [
{deps}
    ],
    targets: [
        .executableTarget(name: "App", dependencies: [
{prods}
        ]),
    ]
)
"""


def swiftpm_check(directory, manifest, command, scratch):
    os.makedirs(os.path.join(directory, "Sources", "App"), exist_ok=True)
    with open(os.path.join(directory, "Package.swift"), "w", encoding="utf-8") as f:
        f.write(manifest)
    with open(os.path.join(directory, "Sources", "App", "main.swift"), "w", encoding="utf-8") as f:
        f.write("print(\"fragment\")\n")
    status, out = run(["swift", "package", "--package-path", directory, command],
                      log_path=os.path.join(scratch, "package-fragments.log"))
    problems = [l for l in out.splitlines() if re.match(r"^(error|warning): ", l) or re.search(r": (error|warning): ", l)]
    if status != 0 and not problems:
        problems = out.strip().splitlines()[-3:] or [f"swift package {command} exited {status}"]
    return status == 0 and not problems, problems


def check_whole_manifest(b, checkout, scratch):
    """A complete Package.swift: dump-package as written (paths pointed at the checkout); when it
    has path dependencies, resolve them and their products with stub sources for its targets."""
    text = re.sub(r"\.package\([^()]*path\s*:[^()]*\)", lambda m: point_path_at(m.group(0), checkout), b.text)
    d = os.path.join(scratch, "fragments", b.name)
    ok, problems = swiftpm_check(d, text, "dump-package", scratch)
    results = [("whole Package.swift", "parses (dump-package)", ok, problems)]
    if ok and text != b.text:
        _, out = run(["swift", "package", "--package-path", d, "dump-package"])
        for t in json.loads(out)["targets"]:
            if t.get("type") in ("regular", "executable"):
                sd = os.path.join(d, t.get("path") or os.path.join("Sources", t["name"]))
                os.makedirs(sd, exist_ok=True)
                name = "main.swift" if t["type"] == "executable" else "Stub.swift"
                with open(os.path.join(sd, name), "w") as f:
                    f.write("// stub\n")
        status, out = run(["swift", "package", "--package-path", d, "show-dependencies"],
                          log_path=os.path.join(scratch, "package-fragments.log"))
        problems = [l for l in out.splitlines() if re.match(r"^(error|warning): ", l)]
        results.append(("path dependencies at the checkout", "resolve with their products (show-dependencies)",
                        status == 0 and not problems, problems or ([] if status == 0 else out.strip().splitlines()[-3:])))
    return results


def check_package_fragment(b, checkout, checkout_name, scratch):
    """Returns a list of (subject, what was checked, ok, problems)."""
    if re.match(r"^\s*//\s*swift-tools-version", b.text):
        return check_whole_manifest(b, checkout, scratch)
    entries = scan_entries(b.text)
    packages = [(call, commented) for kind, call, commented in entries if kind == "package"]
    products = [call for kind, call, _ in entries if kind == "product"]
    if not packages and not products:
        return [("package fragment", "has .package(...) or .product(...) lines", False,
                 ["no .package(...) or .product(...) entry found: mark it <!-- fragment --> instead"])]
    results = []
    if not packages:
        # Only product lines: they belong with the package the README already showed.
        packages = [(f".package(name: {swift_string(checkout_name)}, path: {swift_string(checkout)})", False)]
        implicit = True
    else:
        implicit = False
    # Alternatives for the same package (a path form, a url form) are checked one at a time.
    first_of = {}
    for call, _ in packages:
        first_of.setdefault(identity_of(call).lower(), call)
    for n, (call, commented) in enumerate(packages):
        others = [c for ident, c in first_of.items() if ident != identity_of(call).lower()]
        subject = ("(implicit) " if implicit else "") + ("commented-out " if commented else "") + " ".join(call.split())
        d = os.path.join(scratch, "fragments", f"{b.name}_{n + 1}")
        fix = lambda c: point_path_at(c, checkout) if string_arg(c, "path") is not None else c
        if string_arg(call, "path") is not None:
            ok, problems = swiftpm_check(d, fragment_manifest([fix(call)] + [fix(c) for c in others], products),
                                         "show-dependencies", scratch)
            results.append((subject, "path pointed at the checkout: resolves, and every .product exists (show-dependencies)",
                            ok, problems))
        else:
            ok, problems = swiftpm_check(d, fragment_manifest([call] + [fix(c) for c in others], products),
                                         "dump-package", scratch)
            results.append((subject, "parses as written (dump-package); NOT resolved: a url needs the network",
                            ok, problems))
            if string_arg(call, "url") is not None:
                ok2, problems2 = swiftpm_check(d + "_local", fragment_manifest(
                    [url_as_path(call, checkout)] + [fix(c) for c in others], products), "show-dependencies", scratch)
                results.append((subject, "with the url swapped for the checkout's path, every .product exists",
                                ok2, problems2))
                url = string_arg(call, "url")
                if re.search(r"<[^>]*>", url):
                    results.append((subject, "url is usable as pasted", None,
                                    [f"note: the url holds a placeholder ({url}): a reader cannot paste it unchanged"]))
    return results


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(prog="check-readme-swift.sh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("readme", nargs="?", help="the README to check (default: README.md at the checkout root)")
    ap.add_argument("--checkout", required=True, help="the package the blocks are compiled against")
    ap.add_argument("--scratch", help="keep the scratch package in this directory (faster re-runs); "
                                      "default: a temporary directory, removed at exit")
    ap.add_argument("--max-lines", type=int, default=3, help="diagnostics shown per failing block (default 3)")
    args = ap.parse_args()

    t0 = time.monotonic()
    checkout = os.path.realpath(args.checkout)
    readme = os.path.realpath(args.readme or os.path.join(checkout, "README.md"))
    rel = os.path.relpath(readme, os.getcwd())
    if not os.path.isfile(readme):
        log(f"check-readme-swift: FAIL: no such file: {rel}")
        return 2
    blocks, problems, notes = parse_readme(readme)
    compiled = [b for b in blocks if b.kind == "compile"]
    fragments = [b for b in blocks if b.kind == "fragment"]
    package_blocks = [b for b in blocks if b.kind == "package"]
    log(f"{rel}: {len(blocks)} ```swift block(s): {len(compiled)} to compile, "
        f"{len(package_blocks)} package excerpt(s), {len(fragments)} fragment(s)")

    if args.scratch:
        scratch = os.path.realpath(args.scratch)
        os.makedirs(scratch, exist_ok=True)
        shutil.rmtree(os.path.join(scratch, "fragments"), ignore_errors=True)
        for f in ("build.log", "package-fragments.log"):
            if os.path.exists(os.path.join(scratch, f)):
                os.remove(os.path.join(scratch, f))
        cleanup = False
    else:
        scratch = tempfile.mkdtemp(prefix="readme-swift.")
        cleanup = True
    ENV["TMPDIR"] = os.path.join(scratch, "tmp")
    os.makedirs(ENV["TMPDIR"], exist_ok=True)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        status, out = run(["swift", "package", "--package-path", checkout, "dump-package"])
        if status != 0:
            log(out)
            log("check-readme-swift: FAIL: cannot read the checkout's Package.swift")
            return 1
        checkout_manifest = json.loads(out[out.index("{"):])

        failed = False
        # Package.swift excerpts first: they take a second each.
        package_results = []
        for b in package_blocks:
            package_results.append((b, check_package_fragment(b, checkout, checkout_manifest["name"], scratch)))

        failures, outside = [], []
        if compiled:
            pkg = write_scratch_package(scratch, compiled, checkout, checkout_manifest)
            failures, outside = build_blocks(pkg, compiled, checkout, scratch, args.max_lines)

        log("")
        log("=== README swift blocks")
        for note in notes:
            log(f"note: {note}")
        for p in problems:
            log(f"FAIL marker: {p}")
            failed = True
        # In README order: package excerpts and compiled blocks.
        shown_failures = dict((b.name, shown) for b, shown in failures)
        results_of = dict((b.name, results) for b, results in package_results)
        for b in sorted(compiled + package_blocks, key=lambda b: b.line):
            if b.kind == "package":
                for subject, what, ok, probs in results_of[b.name]:
                    if ok is None:
                        for p in probs:
                            log(f"note L{b.line} package excerpt {subject}: {p[len('note: '):] if p.startswith('note: ') else p}")
                        continue
                    log(f"{'ok  ' if ok else 'FAIL'} L{b.line} package excerpt {subject}: {what}")
                    for p in probs:
                        log(f"       {p}")
                    failed |= not ok
            elif b.name in shown_failures:
                extra = [p for p in b.products if p in OPT_IN_PRODUCTS]
                log(f"FAIL L{b.line} {b.name}" + (f" (with {', '.join(extra)})" if extra else ""))
                for s in shown_failures[b.name]:
                    log(f"       {s}")
                failed = True
            else:
                log(f"ok   L{b.line} {b.name}")
        if outside:
            failed = True
            log("FAIL diagnostics outside the README blocks (zero warnings everywhere):")
            for s in outside[:20]:
                log(f"       {s}")
            if len(outside) > 20:
                log(f"       ... and {len(outside) - 20} more")
        log("")
        built = len(compiled) - len(failures)
        log(f"summary: {built} of {len(compiled)} block(s) built with zero warnings"
            + (f", {len(failures)} failed at L{', L'.join(str(b.line) for b, _ in failures)}" if failures else ""))
        ok_pkg = sum(1 for _, rs in package_results if all(r[2] is not False for r in rs))
        log(f"         {ok_pkg} of {len(package_blocks)} package excerpt(s) check out"
            + (f" (L{', L'.join(str(b.line) for b in package_blocks)})" if package_blocks else ""))
        log(f"         {len(fragments)} fragment(s) skipped"
            + (f" (L{', L'.join(str(b.line) for b in fragments)})" if fragments else ""))
        log(f"         {time.monotonic() - t0:.0f}s" + ("" if cleanup else f"; scratch kept in {scratch}"))
        if failed:
            log("check-readme-swift: FAIL")
            return 1
        log("check-readme-swift: all blocks pass")
        return 0
    finally:
        if cleanup:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

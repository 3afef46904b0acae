#!/usr/bin/env python3
"""Compiles the ```swift examples of the doc comments (`///`) of the files listed in
.ci/doc-example-files against this checkout; see check-doc-examples.sh.

Each example becomes the body of its own function in one scratch package that depends on the
checkout by path: `func example() async throws { … }`, with every library product imported and
a few names a member's example may refer to given as parameters (`heartbeat`, `monitor`,
`stall`, `sink`, `exporter`). An example holding a declaration that cannot be local (an
extension, a protocol, an `@main` type) is compiled at file scope instead. Every example must
build with zero warnings and zero errors; failures are listed as FILE:LINE of the opening fence.
`--count` only counts the doc examples of every source file, checked or not.
"""
import argparse, os, re, subprocess, sys, tempfile

FENCE = re.compile(r"^\s*///\s?(\s*)```(\w*)\s*$")
PARAMS = ("heartbeat: Heartbeat, monitor: ProcessMonitor, stall: Heartbeat.Stall, "
          "sink: InMemorySink, exporter: HeartbeatExporter, observer: any HeartbeatObserver, "
          "clock: ManualMonitorClock, sampler: FixedSampler, progress: ScopeProgress")
IMPORTS = ["Foundation", "ProcessMonitor", "MonitorExport", "MonitorExportHTTP", "MonitorReport",
           "ProcessMonitorTesting"]
FILE_SCOPE = re.compile(r"^(extension|protocol|@main|public |import )", re.M)


def examples(path):
    """Yields (line of the opening fence, text) of every ```swift block of `///` comments."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m and m.group(2) == "swift":
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not FENCE.match(lines[i]):
                text = re.sub(r"^\s*///\s?", "", lines[i])
                body.append(text)
                i += 1
            yield start, "\n".join(body)
        i += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--scratch")
    ap.add_argument("--count", action="store_true")
    a = ap.parse_args()
    root = os.path.abspath(a.checkout)
    listed = [l.strip() for l in open(os.path.join(root, ".ci/doc-example-files"))
              if l.strip() and not l.startswith("#")]
    total = 0
    for dirpath, _, files in os.walk(os.path.join(root, "Sources")):
        for f in files:
            if f.endswith(".swift"):
                total += sum(1 for _ in examples(os.path.join(dirpath, f)))
    checked = [(p, line, text) for p in listed for line, text in examples(os.path.join(root, p))]
    print(f"doc examples: {total} in Sources, {len(checked)} compiled (the files in .ci/doc-example-files)")
    if a.count:
        return 0
    scratch = a.scratch or tempfile.mkdtemp(prefix="doc-examples-")
    src = os.path.join(scratch, "Sources", "DocExamples")
    os.makedirs(src, exist_ok=True)
    # The reader's own names that examples call (`runJob()`, `shards`): declared once, so an
    # example shows only the library's part.
    context = open(os.path.join(root, ".ci/doc-examples-context.swift")).read()
    for old in os.listdir(src):
        os.remove(os.path.join(src, old))
    where = {}
    for n, (p, line, text) in enumerate(checked):
        name = f"Example{n}"
        where[name + ".swift"] = f"{p}:{line}"
        head = "\n".join(f"import {m}" for m in IMPORTS) + f"\n// {p}:{line}\n"
        if FILE_SCOPE.search(text):
            body = text
        else:
            # Values an example names only to show them (`let monitor = try …`) are used once
            # here, so an example need not print what it builds; a sync example stays sync so
            # it may call the blocking (`noasync`) API.
            names = re.findall(r"^(?:let|var) (\w+)\b", text, re.M)
            uses = "".join(f"\n    _ = {v}" for v in names)
            effects = "async throws" if "await " in text else "throws"
            body = f"func example{n}({PARAMS}) {effects} {{\n" + "\n".join(
                "    " + l if l else l for l in text.split("\n")) + uses + "\n}"
        if "#expect" in text:
            head = "import Testing\n" + head
        open(os.path.join(src, name + ".swift"), "w").write(head + body + "\n")
    open(os.path.join(src, "Context.swift"), "w").write(context)
    open(os.path.join(scratch, "Package.swift"), "w").write(f"""// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "DocExamples",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "ProcessMonitor", path: {root!r})],
    targets: [.target(name: "DocExamples", dependencies: [
        {", ".join(f'.product(name: "{m}", package: "ProcessMonitor")' for m in IMPORTS[1:])}
    ])],
    swiftLanguageModes: [.v6]
)
""".replace("'", '"'))
    r = subprocess.run(["swift", "build", "--package-path", scratch], capture_output=True, text=True)
    out = r.stdout + r.stderr
    bad = {}
    for m in re.finditer(r"^(/[^:\n]+/(Example\d+\.swift)):(\d+):\d+: (error|warning): (.*)$", out, re.M):
        bad.setdefault(where[m.group(2)], []).append(f"{m.group(4)}: {m.group(5)}")
    other = [l for l in out.split("\n") if re.search(r"(error|warning): ", l) and "Example" not in l]
    for k, v in sorted(bad.items()):
        print(f"FAIL {k}: " + " | ".join(sorted(set(v))[:3]))
    for l in other[:20]:
        print("FAIL " + l)
    if r.returncode != 0 or bad or other:
        print(f"doc examples: {len(bad)} of {len(checked)} failed")
        return 1
    print(f"doc examples: all {len(checked)} compiled with zero warnings")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Compiles every ```swift example of the documentation under Sources/ against this checkout;
see check-doc-examples.sh.

Two kinds of documentation are read:
  - the doc comments (`///`) of every `Sources/**/*.swift` file;
  - the articles of every DocC catalog, `Sources/**/*.docc/**/*.md`.
Nothing is listed by hand, so an example cannot be left out: every ```swift block is compiled.
A fence must say its language: ```text, ```json, ```sh and the like are left alone, and a bare
``` opening fence fails the check (DocC would show it as Swift that nothing compiles).

Doc-comment examples: each becomes the body of its own function in the scratch target
`DocExamples`: `func exampleN(heartbeat: Heartbeat, monitor: ProcessMonitor, …) throws { … }`
(`async` when it awaits), with every library product imported and a few names a member's
example may refer to given as parameters (PARAMS). An example holding a declaration that cannot
be local (an extension, a protocol, an `@main` type, a `public` or `import` line) is compiled at
file scope instead.

Articles: each article is a target of its own (`Article1`, …), so its blocks share one module
and a later block may use a type an earlier block declared, the way a reader follows a guide. A
block that starts with a declaration (`struct`, `final class`, `extension`, `func`, `import`, …)
is compiled at file scope; any other block is the body of a function as above.

The reader's own names examples call (`runJob()`, `shards`) are declared once in
.ci/doc-examples-context.swift, which every target gets. Every example must build with zero
warnings and zero errors; failures are listed as FILE:LINE of the opening fence. `--count` only
counts.
"""
import argparse, os, re, subprocess, sys, tempfile

# An opening or closing fence, in a doc comment's text or an article; group 1 is the info string
# (`swift`, `text`, or empty for a closing fence).
FENCE = re.compile(r"^\s*```\s*(\S*).*$")
PARAMS = ("heartbeat: Heartbeat, monitor: ProcessMonitor, stall: Heartbeat.Stall, "
          "sink: InMemorySink, exporter: HeartbeatExporter, observer: any HeartbeatObserver, "
          "clock: ManualMonitorClock, sampler: FixedSampler, progress: ScopeProgress")
PRODUCTS = ["ProcessMonitor", "MonitorExport", "MonitorExportHTTP", "MonitorReport", "ProcessMonitorTesting"]
IMPORTS = ["Foundation", "Synchronization"] + PRODUCTS
FILE_SCOPE = re.compile(r"^(extension|protocol|@main|public |import )", re.M)
ARTICLE_FILE_SCOPE = re.compile(
    r"^(extension|protocol|@|public |import |struct |final class |class |enum |actor |func |typealias )")


def is_swift(info):
    return info.lower().startswith("swift")


def code_blocks(lines, where):
    """Yields (line of the opening fence, text or None, problem or None) of every ```swift
    block of `lines`, the text of doc comments or of an article; `None` stands for a source line
    outside the doc comments, which ends a block left open. A bare opening fence, or a block its
    comment or article does not close, is a problem."""
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i]) if lines[i] is not None else None
        if not m:
            i += 1
            continue
        start, info, body, closed = i + 1, m.group(1), [], False
        indent = len(lines[i]) - len(lines[i].lstrip())
        i += 1
        while i < len(lines) and lines[i] is not None:
            end = FENCE.match(lines[i])
            if end and not end.group(1):
                closed = True
                break
            body.append(lines[i][indent:] if not lines[i][:indent].strip() else lines[i])
            i += 1
        i += 1
        if not closed:
            yield start, None, f"the {where} ends inside this code block"
        elif not info:
            yield start, None, "a code block without a language: say ```swift (compiled) or ```text"
        elif is_swift(info):
            yield start, "\n".join(body), None


def comment_examples(path):
    """The ```swift blocks of a Swift file's `///` comments."""
    lines = [re.sub(r"^\s*///\s?", "", l) if l.lstrip().startswith("///") else None
             for l in open(path, encoding="utf-8").read().split("\n")]
    return code_blocks(lines, "doc comment")


def article_examples(path):
    """The ```swift blocks of a Markdown article."""
    return code_blocks(open(path, encoding="utf-8").read().split("\n"), "article")


def collect(root):
    """(doc-comment examples, {article: examples}, problems); paths relative to root."""
    comments, articles, problems = [], {}, []
    for dirpath, dirs, files in os.walk(os.path.join(root, "Sources")):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, root)
            if f.endswith(".swift"):
                found = comment_examples(path)
            elif f.endswith(".md") and ".docc" in rel:
                found = article_examples(path)
                articles.setdefault(rel, [])
            else:
                continue
            for line, text, problem in found:
                if problem:
                    problems.append(f"{rel}:{line}: {problem}")
                elif f.endswith(".swift"):
                    comments.append((rel, line, text))
                else:
                    articles[rel].append((rel, line, text))
    return comments, articles, problems


def function(n, text):
    """`text` as the body of a function; values it names only to show them (`let monitor =
    try …`) are used once here, so an example need not print what it builds; a sync example
    stays sync so it may call the blocking (`noasync`) API."""
    names = re.findall(r"^(?:let|var) (\w+)\b", text, re.M)
    # Only the names the example never uses again (a consumed `ScopeGuard` must not be touched).
    code = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', text)
    uses = "".join(f"\n    _ = {v}" for v in names if len(re.findall(rf"(?<![.\w]){v}\b", code)) == 1)
    effects = "async throws" if "await " in text else "throws"
    return f"func example{n}({PARAMS}) {effects} {{\n" + "\n".join(
        "    " + l if l else l for l in text.split("\n")) + uses + "\n}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--scratch")
    ap.add_argument("--count", action="store_true")
    a = ap.parse_args()
    root = os.path.abspath(a.checkout)
    comments, articles, problems = collect(root)
    in_articles = sum(len(v) for v in articles.values())
    print(f"doc examples: {len(comments)} in the doc comments of Sources, {in_articles} in "
          f"{len(articles)} DocC article(s); every one is compiled")
    for p in problems:
        print("FAIL " + p)
    if a.count:
        return 1 if problems else 0
    scratch = a.scratch or tempfile.mkdtemp(prefix="doc-examples-")
    # The reader's own names that examples call (`runJob()`, `shards`): declared once, so an
    # example shows only the library's part.
    context = open(os.path.join(root, ".ci/doc-examples-context.swift")).read()
    targets = {"DocExamples": comments}
    for n, (article, blocks) in enumerate(sorted(articles.items()), 1):
        targets[f"Article{n}"] = blocks
    where, n = {}, 0
    for target, blocks in targets.items():
        src = os.path.join(scratch, "Sources", target)
        os.makedirs(src, exist_ok=True)
        for old in os.listdir(src):
            os.remove(os.path.join(src, old))
        for p, line, text in blocks:
            n += 1
            name = f"Example{n}.swift"
            where[name] = f"{p}:{line}"
            head = "\n".join(f"import {m}" for m in IMPORTS) + f"\n// {p}:{line}\n"
            if "#expect" in text or "@Test" in text:
                head = "import Testing\n" + head
            first = next((l for l in text.split("\n") if l.strip() and not l.startswith("//")), "")
            at_file_scope = (ARTICLE_FILE_SCOPE.match(first) if target != "DocExamples"
                             else FILE_SCOPE.search(text))
            body = text if at_file_scope else function(n, text)
            open(os.path.join(src, name), "w").write(head + body + "\n")
        open(os.path.join(src, "Context.swift"), "w").write(context)
    for old in os.listdir(os.path.join(scratch, "Sources")):
        if old not in targets:
            subprocess.run(["rm", "-rf", os.path.join(scratch, "Sources", old)])
    products = ", ".join(f'.product(name: "{m}", package: "ProcessMonitor")' for m in PRODUCTS)
    target_list = ",\n        ".join(f'.target(name: "{t}", dependencies: [{products}])' for t in targets)
    open(os.path.join(scratch, "Package.swift"), "w").write(f"""// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "DocExamples",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "ProcessMonitor", path: "{root}")],
    targets: [
        {target_list}
    ],
    swiftLanguageModes: [.v6]
)
""")
    r = subprocess.run(["swift", "build", "--package-path", scratch], capture_output=True, text=True)
    out = r.stdout + r.stderr
    bad = {}
    for m in re.finditer(r"^(/[^:\n]+/(Example\d+\.swift)):(\d+):\d+: (error|warning): (.*)$", out, re.M):
        bad.setdefault(where[m.group(2)], []).append(f"{m.group(4)}: {m.group(5)}")
    # Diagnostics outside the examples (the context file, the manifest); the compiler's indented
    # excerpts under a diagnostic are not diagnostics of their own.
    other = [l for l in out.split("\n") if re.search(r"(error|warning): ", l)
             and not l.startswith((" ", "\t", "|")) and not re.search(r"/Example\d+\.swift:", l)]
    for k, v in sorted(bad.items()):
        print(f"FAIL {k}: " + " | ".join(sorted(set(v))[:3]))
    for l in other[:20]:
        print("FAIL " + l)
    total = len(comments) + in_articles
    if r.returncode != 0 or bad or other or problems:
        print(f"doc examples: {len(bad)} of {total} failed" + (f", {len(problems)} malformed" if problems else ""))
        return 1
    print(f"doc examples: all {total} compiled with zero warnings")
    return 0


if __name__ == "__main__":
    sys.exit(main())

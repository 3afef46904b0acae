#!/usr/bin/env python3
"""Loads a page in headless Chromium and fails on anything a self-contained report must not do.

    browser-check.py PAGE.html SCREENSHOT.png [--min-text N] [--chromium PATH]

Talks to Chromium over its DevTools protocol on a pipe (--remote-debugging-pipe), so no port is
opened, and the browser can run in a network namespace with no network at all. The check
fails (exit 1, reasons on stderr) when:
  - the page throws (Runtime.exceptionThrown), logs a console error or assertion, or the browser
    logs an error for it (Log.entryAdded: a CSP violation, a failed load);
  - the page requests anything but its own file (Network.requestWillBeSent), whether or not the
    request could succeed;
  - the page opens a dialog (alert, confirm);
  - the page looks blank: its text is shorter than --min-text characters, it has no <svg>, or
    the screenshot is nearly one colour.
Exit 2 means the check itself could not run (no browser, a protocol error, a timeout).
"""
import base64
import json
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class CheckError(Exception):
    """The check could not run: not a verdict on the page."""


class DevTools:
    """A DevTools client over the pipe pair Chromium reads commands from (fd 3) and writes to (fd 4)."""

    def __init__(self, command_fd, event_fd, deadline):
        self.command_fd = command_fd
        self.event_fd = event_fd
        self.deadline = deadline
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            written = os.write(self.command_fd, data)
            data = data[written:]
        return self.next_id

    def call(self, method, params=None, session=None):
        wanted = self.send(method, params, session)
        while True:
            message = self.receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise CheckError(f"{method}: {message['error']}")
                return message.get("result", {})

    def receive(self, until=None):
        """The next message; events are also kept in self.events. None when `until` passes."""
        while b"\0" not in self.buffer:
            limit = min(self.deadline, until) if until else self.deadline
            remaining = limit - time.monotonic()
            if remaining <= 0:
                if until and until < self.deadline:
                    return None
                raise CheckError("timed out waiting for the browser")
            ready, _, _ = select.select([self.event_fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.event_fd, 1 << 20)
            if not chunk:
                raise CheckError("the browser closed its DevTools pipe (did it crash?)")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self.events.append(message)
        return message


def distinct_colours(png_path):
    from PIL import Image  # pillow, installed by check-html-report.sh

    with Image.open(png_path) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 16) or []
        if not colours:
            return 1 << 16, 1.0  # more colours than counted: certainly not blank
        commonest = max(count for count, _ in colours)
        return len(colours), 1 - commonest / (rgb.width * rgb.height)


def main():
    arguments = sys.argv[1:]
    min_text = 200
    chromium = shutil.which("chromium") or "chromium"
    if "--min-text" in arguments:
        index = arguments.index("--min-text")
        min_text = int(arguments[index + 1])
        del arguments[index:index + 2]
    if "--chromium" in arguments:
        index = arguments.index("--chromium")
        chromium = arguments[index + 1]
        del arguments[index:index + 2]
    if len(arguments) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    page = pathlib.Path(arguments[0]).resolve()
    screenshot = pathlib.Path(arguments[1])
    url = page.as_uri()

    # A TERM from the caller's trap still runs the `finally` below, which ends the browser.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    profile = tempfile.mkdtemp(prefix="browser-check-")
    to_browser_read, to_browser_write = os.pipe()
    from_browser_read, from_browser_write = os.pipe()

    def attach_pipes():
        # In the child: move both ends out of the way first (either may already be 3 or 4),
        # then onto 3 and 4, inheritable, where Chromium looks for them.
        import fcntl
        commands = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
        replies = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
        os.dup2(commands, 3, inheritable=True)
        os.dup2(replies, 4, inheritable=True)

    command = [
        chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
        f"--user-data-dir={profile}", "--window-size=1400,2000", "--hide-scrollbars",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
        "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
        "--metrics-recording-only", "--no-pings", "--mute-audio",
        # Belt and braces for when the caller could not take the network away: every name
        # resolves to nothing and every connection goes to a closed port.
        "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        "about:blank",
    ]
    log = open(screenshot.with_suffix(".chromium.log"), "wb")
    try:
        browser = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   preexec_fn=attach_pipes, close_fds=False, start_new_session=True)
    except OSError as error:
        print(f"browser-check: cannot start {chromium}: {error}", file=sys.stderr)
        return 2
    os.close(to_browser_read)
    os.close(from_browser_write)
    problems = []
    try:
        tools = DevTools(to_browser_write, from_browser_read, time.monotonic() + 90)
        target = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.call(f"{domain}.enable", session=session)
        tools.events.clear()  # about:blank's own events are not the page's
        tools.call("Page.navigate", {"url": url}, session=session)
        # Wait for the load event, then for anything the page does after it (a late request,
        # a timer that throws) for a moment more.
        loaded = None
        while loaded is None:
            message = tools.receive()
            if message.get("method") == "Page.loadEventFired" and message.get("sessionId") == session:
                loaded = time.monotonic()
        settle = loaded + 1.5
        while tools.receive(until=settle) is not None:
            pass

        text_length = tools.call("Runtime.evaluate", {
            "expression": "document.body ? document.body.innerText.length : 0", "returnByValue": True,
        }, session=session)["result"].get("value", 0)
        svgs = tools.call("Runtime.evaluate", {
            "expression": "document.querySelectorAll('svg').length", "returnByValue": True,
        }, session=session)["result"].get("value", 0)
        shot = tools.call("Page.captureScreenshot", {"format": "png"}, session=session)
        screenshot.write_bytes(base64.b64decode(shot["data"]))

        for event in tools.events:
            method = event.get("method")
            params = event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                description = details.get("exception", {}).get("description") or details.get("text")
                problems.append(f"uncaught exception: {description}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                values = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                problems.append(f"console.{params['type']}: {values}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                problems.append(f"browser error ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip())
            elif method == "Network.requestWillBeSent":
                requested = params.get("request", {}).get("url", "")
                if requested != url:
                    problems.append(f"the page requested {requested}")
            elif method == "Network.loadingFailed" and params.get("type") == "Document":
                problems.append(f"the page itself failed to load: {params.get('errorText')}")
            elif method == "Page.javascriptDialogOpening":
                problems.append(f"the page opened a {params.get('type')} dialog: {params.get('message')}")
                tools.send("Page.handleJavaScriptDialog", {"accept": False}, session=session)

        colours, not_background = distinct_colours(screenshot)
        if text_length < min_text:
            problems.append(f"blank page: {text_length} characters of text (at least {min_text} expected)")
        if svgs == 0 and min_text > 0:
            problems.append("blank page: no <svg> drawing")
        if colours < 3 or not_background < 0.01:
            problems.append(f"blank screenshot: {colours} colours, {not_background:.2%} not background")
        print(f"browser-check: {url}: {text_length} characters, {svgs} SVG drawings, screenshot "
              f"{colours} colours ({not_background:.1%} not background), {len(tools.events)} DevTools events")
    except CheckError as error:
        print(f"browser-check: cannot check {url}: {error}", file=sys.stderr)
        return 2
    finally:
        # Only the browser this script started: its own process group.
        try:
            os.killpg(browser.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        browser.wait()
        log.close()
        shutil.rmtree(profile, ignore_errors=True)

    for problem in problems:
        print(f"browser-check: FAIL: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"browser-check: ok: no error, no request, not blank; screenshot {screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

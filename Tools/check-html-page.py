#!/usr/bin/python3
"""Opens an HTML file in headless Chromium and reports what happened.

    Tools/check-html-page.py PAGE.html --screenshot OUT.png [--dom OUT.html] [--width 1280] [--slices 1400]

Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages separated by NUL bytes on file
descriptors 3 and 4), so nothing but the standard library is needed. The
script loads the page, waits for it to finish loading, and prints one JSON
object on standard output:

    {"loaded": true,
     "consoleErrors": ["…"],          console messages and log entries of level error or warning, uncaught exceptions
     "requests": ["http://…"],        every request the page made other than the page itself (file:// included)
     "title": "…", "dom": "…"         document.title and the rendered document (outerHTML)
     "screenshot": "OUT.png"}         a full-page PNG

The test of `report html` (Tests/CLITests/ReportHtmlBrowserTests.swift)
runs it on the page of the sample history. Exit status 0 when the page
loaded, 1 otherwise; what the page did is for the caller to judge.
"""
import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--dom")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--slices", type=int, default=0,
                        help="also write the page in pieces this many pixels tall, OUT-1.png, OUT-2.png, … (a long page is easier to look at so)")
    parser.add_argument("--print", action="store_true",
                        help="lay the page out as for printing (print media, the width of A4 at 96 dpi less margins) and also write OUT.pdf")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()

    page_url = "file://" + os.path.abspath(args.page)
    profile = tempfile.mkdtemp(prefix="check-html-page-")
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    flags = [
        "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-sync",
        "--disable-component-update", "--disable-default-apps", "--disable-features=Translate,MediaRouter,OptimizationHints",
        "--hide-scrollbars", "--mute-audio", f"--user-data-dir={profile}", f"--window-size={args.width},900", "about:blank",
    ]

    def child_fds():
        # The protocol's pipe: the child reads commands on 3 and writes on 4.
        # Copied above 10 first, so that neither end is closed by the other's dup2.
        reading = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        writing = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.dup2(reading, 3)
        os.dup2(writing, 4)

    # close_fds=False keeps 3 and 4 (made by dup2, so inherited); every
    # other descriptor of this process is close-on-exec.
    process = subprocess.Popen([args.chromium] + flags, close_fds=False, preexec_fn=child_fds,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_child_r)
    os.close(from_child_w)

    deadline = time.monotonic() + args.timeout
    buffer = b""
    pending = []
    next_id = [0]

    def send(method, params=None, session=None):
        next_id[0] += 1
        message = {"id": next_id[0], "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(to_child_w, json.dumps(message).encode() + b"\0")
        return next_id[0]

    def receive():
        nonlocal buffer
        while b"\0" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([from_child_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(from_child_r, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the protocol pipe")
            buffer += chunk
        message, buffer = buffer.split(b"\0", 1)
        return json.loads(message)

    def call(method, params=None, session=None):
        wanted = send(method, params, session)
        while True:
            message = receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            pending.append(message)

    console, requests = [], []
    loaded = False

    def note(message):
        nonlocal loaded
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            console.append("exception: " + str(details.get("exception", {}).get("description", details.get("text"))))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
            entry = params["entry"]
            console.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            if url != page_url:
                requests.append(url)
        elif method == "Page.loadEventFired":
            loaded = True

    try:
        target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            call(domain + ".enable", session=session)
        call("Page.navigate", {"url": page_url}, session=session)
        while not loaded:
            for message in pending:
                note(message)
            pending.clear()
            if not loaded:
                note(receive())
        # Let anything the load started (a late request, a console message) arrive.
        settle = time.monotonic() + 1.0
        while time.monotonic() < settle:
            ready, _, _ = select.select([from_child_r], [], [], 0.1)
            if ready or b"\0" in buffer:
                note(receive())
        for message in pending:
            note(message)
        pending.clear()

        def evaluate(expression):
            result = call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
            return result.get("result", {}).get("value")

        if args.print:
            call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
            pdf = call("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True,
                                           "printBackground": True}, session=session)
            stem = args.screenshot[:-4] if args.screenshot.endswith(".png") else args.screenshot
            with open(stem + ".pdf", "wb") as out:
                out.write(base64.b64decode(pdf["data"]))
        dom = evaluate("document.documentElement.outerHTML")
        title = evaluate("document.title")
        height = evaluate("Math.ceil(document.documentElement.scrollHeight)") or 900
        call("Emulation.setDeviceMetricsOverride",
             {"width": args.width, "height": int(height), "deviceScaleFactor": 1, "mobile": False}, session=session)
        shot = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
        with open(args.screenshot, "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        if args.slices > 0:
            stem = args.screenshot[:-4] if args.screenshot.endswith(".png") else args.screenshot
            for index, top in enumerate(range(0, int(height), args.slices)):
                clip = {"x": 0, "y": top, "width": args.width, "height": min(args.slices, int(height) - top), "scale": 1}
                piece = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}, session=session)
                with open(f"{stem}-{index + 1}.png", "wb") as out:
                    out.write(base64.b64decode(piece["data"]))
        if args.dom:
            with open(args.dom, "w", encoding="utf-8") as out:
                out.write(dom or "")
        for message in pending:
            note(message)
        print(json.dumps({"loaded": loaded, "consoleErrors": console, "requests": requests, "title": title,
                          "dom": dom, "screenshot": args.screenshot}, ensure_ascii=False))
        return 0 if loaded else 1
    finally:
        try:
            send("Browser.close")
            process.wait(timeout=10)
        except Exception:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Open a Synthio report page in headless Chromium and check it: no console errors, every <audio> source decodes, the filter controls work; optionally save a screenshot.

Talks to Chromium over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages separated by NUL bytes on file descriptors 3 and 4), so it needs nothing but the
standard library and Debian's ``chromium`` package (``apt-get install chromium``).

    python scripts/browser_check.py runs/example/synthetic/synthio-x2-n24-s0/report/index.html --screenshot docs/report.png
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL = "apt-get update && apt-get install -y chromium"

CHECKS = r"""
(async () => {
  const audio = [...document.querySelectorAll('audio')].map(a => a.src);
  const decode = src => new Promise(resolve => {
    const request = new XMLHttpRequest();
    request.open('GET', src);
    request.responseType = 'arraybuffer';
    request.onload = () => new (window.OfflineAudioContext)(1, 1, 16000).decodeAudioData(request.response)
      .then(buffer => resolve({src, ok: buffer.duration > 0, seconds: buffer.duration}), error => resolve({src, ok: false, error: String(error)}));
    request.onerror = () => resolve({src, ok: false, error: 'not readable'});
    request.send();
  });
  const decoded = [];
  for (const src of audio) decoded.push(await decode(src));
  const filters = [];
  for (const box of document.querySelectorAll('input.filter')) {
    const rows = [...document.querySelectorAll('#' + box.dataset.table + ' tbody tr')];
    if (rows.length === 0) continue;
    const needle = rows[rows.length - 1].cells[0].textContent.trim();
    box.value = needle;
    box.dispatchEvent(new Event('input'));
    const shown = rows.filter(row => row.style.display !== 'none');
    filters.push({table: box.dataset.table, needle, rows: rows.length, shown: shown.length,
                  ok: shown.length >= 1 && shown.every(row => row.textContent.toLowerCase().includes(needle.toLowerCase()))});
    box.value = '';
    box.dispatchEvent(new Event('input'));
    filters[filters.length - 1].restored = rows.every(row => row.style.display !== 'none');
  }
  const images = [...document.images].map(img => ({src: img.src, ok: img.complete && img.naturalWidth > 0}));
  return {title: document.title, audio: decoded, filters, images};
})()
"""


class BrowserMissing(RuntimeError):
    pass


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise BrowserMissing(f"no Chromium found (looked for {', '.join(BROWSERS)}); install it with: {INSTALL}")


class DevTools:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, browser: str, profile: Path, width: int, height: int):
        self.to_browser_read, self.to_browser = os.pipe()
        self.from_browser, self.from_browser_write = os.pipe()
        arguments = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--allow-file-access-from-files", "--autoplay-policy=no-user-gesture-required",
            "--no-first-run", "--mute-audio", f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank",
        ]

        def wire() -> None:
            os.dup2(self.to_browser_read, 3)
            os.dup2(self.from_browser_write, 4)

        self.process = subprocess.Popen(arguments, pass_fds=(3, 4), preexec_fn=wire, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(self.to_browser_read)
        os.close(self.from_browser_write)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout_seconds: float = 60.0) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            reply = self.receive(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(f"{method}: no reply within {timeout_seconds:g} s")

    def receive(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("the browser stopped answering")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            os.write(self.to_browser, json.dumps({"id": self.next_id + 1, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
        os.close(self.to_browser)
        os.close(self.from_browser)


def console_errors(events: list[dict]) -> list[str]:
    """Uncaught exceptions, console.error calls and error-level log entries among DevTools events."""
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(f"{params['entry'].get('source')}: {params['entry'].get('text')} {params['entry'].get('url', '')}".strip())
    return errors


def check_page(page: Path, screenshot: Path | None = None, width: int = 1280, height: int = 900, full_page: bool = True) -> dict:
    """Load ``page`` from disk, run the checks in it, collect console errors; write a PNG to ``screenshot`` if given (the whole page, or the first ``height`` pixels)."""
    page = Path(page).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"{page}: no such page")
    with tempfile.TemporaryDirectory() as profile:
        tools = DevTools(find_browser(), Path(profile), width, height)
        try:
            target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                tools.send(f"{domain}.enable", session=session)
            tools.send("Page.navigate", {"url": page.as_uri()}, session=session)
            state = tools.send("Runtime.evaluate", {"expression": "new Promise(r => document.readyState === 'complete' ? r(true) : addEventListener('load', () => r(true)))", "awaitPromise": True}, session=session)
            if not state.get("result", {}).get("value"):
                raise RuntimeError(f"{page}: the page did not finish loading")
            result = tools.send("Runtime.evaluate", {"expression": CHECKS, "awaitPromise": True, "returnByValue": True}, session=session, timeout_seconds=300)
            if "exceptionDetails" in result:
                raise RuntimeError(f"the checks failed to run: {result['exceptionDetails']}")
            checks = result["result"]["value"]
            if screenshot is not None:
                tools.send("Runtime.evaluate", {"expression": "document.querySelectorAll('input.filter').forEach(box => { box.value = ''; box.dispatchEvent(new Event('input')); }); window.scrollTo(0, 0)"}, session=session)
                shot = tools.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": full_page}, session=session)
                Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
                Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
            tools.send("Runtime.evaluate", {"expression": "0"}, session=session)
        finally:
            tools.close()
    checks["console_errors"] = console_errors(tools.events)
    checks["ok"] = not checks["console_errors"] and all(a["ok"] for a in checks["audio"]) and all(f["ok"] and f["restored"] for f in checks["filters"]) and all(i["ok"] for i in checks["images"])
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="a report's index.html")
    parser.add_argument("--screenshot", type=Path, help="write a full-page PNG here")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--viewport-only", action="store_true", help="screenshot the first --height pixels, not the whole page")
    args = parser.parse_args()
    try:
        checks = check_page(args.page, args.screenshot, args.width, args.height, full_page=not args.viewport_only)
    except BrowserMissing as error:
        print(error, file=sys.stderr)
        return 2
    print(f"{args.page}: {len(checks['audio'])} audio sources ({sum(a['ok'] for a in checks['audio'])} decoded), {len(checks['filters'])} filter controls, "
          f"{len(checks['images'])} images, {len(checks['console_errors'])} console errors -> {'ok' if checks['ok'] else 'FAILED'}")
    for error in checks["console_errors"]:
        print("  console:", error)
    for bad in [a for a in checks["audio"] if not a["ok"]] + [f for f in checks["filters"] if not (f["ok"] and f["restored"])] + [i for i in checks["images"] if not i["ok"]]:
        print("  failed:", bad)
    return 0 if checks["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

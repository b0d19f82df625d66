"""The report in a real browser: headless Chromium, network off, no console errors.

Chromium is driven over the Chrome DevTools Protocol on a pipe (`--remote-debugging-pipe`:
fds 3 and 4, NUL-separated JSON), so no port, no websocket library and no driver download
is needed. The network is off three ways: DevTools' offline emulation, a proxy that
goes nowhere and a host resolver that resolves nothing; on top of that every request
the page makes is recorded, and any that is not the report's own file:// URL fails
the test. The screenshot goes to the test's temp dir (kept by pytest for inspection).

Outside CI (CI unset) the test skips when no Chromium is installed; in CI a missing
browser is a failure (`.ci/run` installs Debian's `chromium`).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mitprof.report import render_report

FIXTURE = Path(__file__).parent / "fixtures" / "report_store"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 60.0


def find_browser() -> str | None:
    env = os.environ.get("MITPROF_CHROMIUM")
    if env:
        return env
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture
def browser() -> str:
    path = find_browser()
    if path is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI: no Chromium found (looked for " + ", ".join(BROWSERS) +
                        "); .ci/run installs Debian's chromium with apt-get")
        pytest.skip("no Chromium browser installed (apt-get install chromium, or set "
                    "MITPROF_CHROMIUM); the browser test runs in CI")
    return path


class DevTools:
    """A minimal CDP client over Chromium's debugging pipe."""

    def __init__(self, binary: str, profile_dir: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:  # in the child: the pipe ends at fds 3 (read) and 4 (write)
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        args = [binary, "--headless", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", f"--user-data-dir={profile_dir}",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--no-default-browser-check", "--disable-sync",
                "--disable-extensions", "--disable-default-apps", "--mute-audio",
                "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
                "about:blank"]
        profile_dir.mkdir(parents=True, exist_ok=True)
        self.stderr = (profile_dir.parent / "chromium.log").open("wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.stderr,
                                     stderr=self.stderr, preexec_fn=wire, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self.events: list[dict[str, Any]] = []
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._inbox.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self._inbox.put(json.loads(msg))

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._get(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        deadline = time.monotonic() + timeout
        while True:
            ev = self._get(deadline)
            self.events.append(ev)
            if ev.get("method") == method:
                return ev

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            try:
                ev = self._inbox.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                return
            if ev is None:
                return
            self.events.append(ev)

    def _get(self, deadline: float) -> dict[str, Any]:
        try:
            msg = self._inbox.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError("Chromium did not answer in time") from None
        if msg is None:
            raise RuntimeError("Chromium closed the debugging pipe (see chromium.log)")
        return msg

    def close(self) -> None:
        try:
            os.write(self._to_child, json.dumps({"id": 0, "method": "Browser.close"}).encode()
                     + b"\0")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self.stderr.close()


def open_offline(binary: str, html_path: Path, tmp: Path) -> dict[str, Any]:
    """Load the page with the network off; returns what the browser saw."""
    cdp = DevTools(binary, tmp / "profile")
    try:
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target,
                                                     "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            cdp.send(f"{domain}.enable", session=session)
        cdp.send("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": -1,
            "uploadThroughput": -1}, session=session)
        cdp.send("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session)
        url = html_path.resolve().as_uri()
        cdp.send("Page.navigate", {"url": url}, session=session)
        cdp.wait_for("Page.loadEventFired")
        cdp.drain(1.0)  # late console messages and requests
        info = cdp.send("Runtime.evaluate", {"expression": """JSON.stringify({
            title: document.title,
            svgs: document.querySelectorAll('figure svg').length,
            sections: Array.from(document.querySelectorAll('section > h2')).map(h => h.textContent),
            scripts: document.scripts.length,
            height: document.documentElement.scrollHeight,
            width: document.documentElement.scrollWidth,
            wideSvgs: Array.from(document.querySelectorAll('svg')).filter(
                s => s.getBoundingClientRect().width < 50).length
        })""", "returnByValue": True}, session=session)
        page = json.loads(info["result"]["value"])
        shot = cdp.send("Page.captureScreenshot", {"format": "png"}, session=session)
        (tmp / "report-top.png").write_bytes(base64.b64decode(shot["data"]))
        full = cdp.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": min(page["height"], 16000),
                     "scale": 1}}, session=session)
        (tmp / "report-full.png").write_bytes(base64.b64decode(full["data"]))
        cdp.drain(0.3)
        return {"page": page, "url": url, "events": list(cdp.events)}
    finally:
        cdp.close()


def problems(seen: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(console errors, failed requests, requests to anything but the page itself)."""
    errors, failed, foreign = [], [], []
    for ev in seen["events"]:
        method, p = ev.get("method"), ev.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(json.dumps(p.get("exceptionDetails", {}))[:300])
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append(json.dumps(p.get("args", []))[:300])
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')}"
                          f" {p['entry'].get('url', '')}")
        elif method == "Network.loadingFailed":
            failed.append(f"{p.get('errorText')} {p.get('blockedReason', '')}")
        elif method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if url != seen["url"]:
                foreign.append(url)
    return errors, failed, foreign


def test_report_opens_offline_without_errors(browser: str, tmp_path: Path) -> None:
    html = render_report(FIXTURE)
    page_path = tmp_path / "report.html"
    page_path.write_text(html, encoding="utf-8")
    seen = open_offline(browser, page_path, tmp_path)

    errors, failed, foreign = problems(seen)
    assert errors == [], f"console errors: {errors}"
    assert failed == [], f"failed requests: {failed}"
    assert foreign == [], f"requests other than the page itself: {foreign}"
    requested = [ev for ev in seen["events"] if ev.get("method") == "Network.requestWillBeSent"]
    assert len(requested) == 1  # the page itself, and nothing else

    page = seen["page"]
    assert page["title"].startswith("report-fixture")
    assert page["scripts"] == 0
    assert page["svgs"] >= 8
    assert page["wideSvgs"] == 0  # every figure is laid out at a readable size
    assert page["width"] <= 1280  # nothing overflows the page sideways
    assert len(page["sections"]) == 10
    top = tmp_path / "report-top.png"
    assert top.stat().st_size > 20_000 and (tmp_path / "report-full.png").stat().st_size > 50_000


def test_an_external_reference_would_be_caught(browser: str, tmp_path: Path) -> None:
    """The harness itself: a page that loads a remote image is reported, not passed."""
    page_path = tmp_path / "bad.html"
    page_path.write_text('<!DOCTYPE html><html><head><title>bad</title></head><body>'
                         '<img src="https://example.invalid/x.png"></body></html>')
    seen = open_offline(browser, page_path, tmp_path)
    errors, failed, foreign = problems(seen)
    assert foreign == ["https://example.invalid/x.png"]
    assert failed and errors

"""Open an HTML file in headless Chromium and report what the browser saw.

No DevTools protocol: a copy of the page gets two small scripts (one first
in <head> records every error event, including resources that fail to load;
one last waits for the load event and writes, on <body>, how many images
there are, how many failed to decode, and the errors), and Chromium's
``--dump-dom`` prints the page as it is after loading. The page itself is
also opened as it is, with Chromium logging its console to stderr.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HEAD_PROBE = ("<script>window.__errors=[];window.addEventListener('error',function(e){"
              "window.__errors.push(String(e.message||('failed to load '+((e.target&&"
              "(e.target.src||e.target.href))||'a resource'))))},true);</script>")
TAIL_PROBE = ("<script>window.addEventListener('load',function(){var imgs=[].slice.call("
              "document.images);var bad=imgs.filter(function(i){return !(i.complete&&"
              "i.naturalWidth>0)}).length;var b=document.body;b.setAttribute('data-images',"
              "imgs.length);b.setAttribute('data-broken',bad);b.setAttribute('data-errors',"
              "window.__errors.join('|'));b.setAttribute('data-loaded','yes');});</script>")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000"]


@dataclass
class PageCheck:
    """What Chromium saw: load event fired, images, undecodable images, errors, console."""

    loaded: bool
    images: int
    broken: int
    errors: str
    console: list[str]


def chromium() -> str:
    """The Chromium executable; the test fails (never skips) when it is missing."""
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(n)), None)
    assert exe, ("headless Chromium is required to check the report: apt-get install chromium "
                 "(.ci/run installs it)")
    return exe


def open_page(page: Path, scratch: Path) -> PageCheck:
    """Load ``page`` in headless Chromium; return what happened."""
    exe = chromium()
    text = Path(page).read_text(encoding="utf-8")
    probe = Path(scratch) / f"probe-{Path(page).name}"
    probe.write_text(text.replace("<head>", "<head>" + HEAD_PROBE, 1)
                     .replace("</body>", TAIL_PROBE + "</body>", 1), encoding="utf-8")
    dom = subprocess.run([exe, *FLAGS, "--dump-dom", probe.resolve().as_uri()],
                         capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", dom.stdout)
    attrs = dict(re.findall(r'data-(\w+)="([^"]*)"', body.group(1) if body else ""))
    logged = subprocess.run([exe, *FLAGS, "--enable-logging=stderr", "--v=0", "--dump-dom",
                             Path(page).resolve().as_uri()],
                            capture_output=True, text=True, timeout=180)
    console = [line for line in logged.stderr.splitlines() if ":CONSOLE" in line]
    return PageCheck(loaded=attrs.get("loaded") == "yes", images=int(attrs.get("images", -1)),
                     broken=int(attrs.get("broken", -1)), errors=attrs.get("errors", "?"),
                     console=console)

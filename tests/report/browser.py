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


GLYPH_PROBE = ("<script>window.addEventListener('load',function(){var w=document.createTreeWalker("
               "document.body,NodeFilter.SHOW_TEXT),n,el=null;while((n=w.nextNode()))if(n.data"
               ".indexOf(WORD)>=0){el=n.parentElement;break}var b=document.body;if(!el){b."
               "setAttribute('data-glyphs','absent');return}var f=getComputedStyle(el).fontFamily;"
               "document.fonts.load('48px '+f,WORD).then(function(){function px(ch){var c="
               "document.createElement('canvas');c.width=64;c.height=64;var x=c.getContext('2d');"
               "x.font='48px '+f;x.fillText(ch,4,52);return c.toDataURL()}var seen={};for(var i=0;"
               "i<WORD.length;i++)seen[px(WORD[i])]=1;b.setAttribute('data-glyphs',Object.keys("
               "seen).length==WORD.length?'drawn':'tofu')})});</script>")


def cjk_glyphs(page: Path, scratch: Path, word: str) -> str:
    """Draw ``word`` in the font the page gives it, in a Chromium that has no CJK font.

    Chromium gets a fontconfig that knows only matplotlib's bundled fonts
    (DejaVu: no Chinese), as on a fresh machine, whatever this one has
    installed. Each character of ``word`` is drawn on a canvas in the
    computed font of the first element whose text contains ``word``; glyphs
    a font lacks all come out as the same empty box.

    Returns
    -------
    str
        ``drawn`` (every character a distinct glyph), ``tofu`` (some drawn
        alike: boxes) or ``absent`` (no element has ``word``).
    """
    import json
    import os

    import matplotlib

    scratch = Path(scratch)
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    config = scratch / "fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                      f"<fontconfig><dir>{fonts}</dir><cachedir>{scratch / 'fc-cache'}"
                      "</cachedir></fontconfig>\n", encoding="utf-8")
    probe = scratch / f"glyphs-{Path(page).name}"
    script = GLYPH_PROBE.replace("WORD", json.dumps(word))
    probe.write_text(Path(page).read_text(encoding="utf-8").replace("</body>", script + "</body>",
                                                                    1), encoding="utf-8")
    dom = subprocess.run([chromium(), *FLAGS, "--dump-dom", probe.resolve().as_uri()],
                         capture_output=True, text=True, timeout=180,
                         env={**os.environ, "FONTCONFIG_FILE": str(config)})
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<body[^>]*data-glyphs="(\w+)"', dom.stdout)
    return found.group(1) if found else "no answer"


WIDTH_PROBE = ("<script>window.addEventListener('load',function(){var d=document.documentElement,"
               "w=0;[].forEach.call(document.querySelectorAll('table'),function(t){var box=t."
               "parentElement;w=Math.max(w,t.scrollWidth-box.clientWidth)});var b=document.body;"
               "b.setAttribute('data-page',d.scrollWidth-d.clientWidth);b.setAttribute("
               "'data-tables',w)});</script>")


def overflow_px(page: Path, scratch: Path, width_px: int) -> tuple[int, int]:
    """How far the page, and its widest table, stick out sideways in a ``width_px`` window.

    Returns
    -------
    tuple of int
        The page's horizontal overflow (px; 0: no sideways scrolling) and the
        largest amount by which a table is wider than the box it sits in.
    """
    probe = Path(scratch) / f"width-{Path(page).name}"
    probe.write_text(Path(page).read_text(encoding="utf-8").replace(
        "</body>", WIDTH_PROBE + "</body>", 1), encoding="utf-8")
    dom = subprocess.run([chromium(), *FLAGS, f"--window-size={width_px},900", "--dump-dom",
                          probe.resolve().as_uri()], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<body[^>]*data-page="(-?\d+)"[^>]*data-tables="(-?\d+)"', dom.stdout)
    assert found, "the width probe did not answer"
    return int(found.group(1)), int(found.group(2))

"""A printable PDF of a self-contained HTML report, by headless Chromium (``--print-to-pdf``).

The page is printed as the browser lays it out (A4, no header or footer
lines), with a few print rules added to a copy beside the target: figures
and table rows are not split across pages, the navigation bar is left out.
Chromium is the one the report tests use (``chromium``, ``chromium-browser``
or ``google-chrome`` on the PATH; ``scripts/test`` installs it); without it
the PDF is refused with a message saying so.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

from citysim.errors import Problem, ScenarioError

__all__ = ["BROWSERS", "PRINT_CSS", "chromium", "write_pdf"]

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
"""Executables tried, in order."""
PRINT_CSS = ("<style>@page{size:A4;margin:14mm}@media print{nav{display:none}"
             "figure,tr,li{break-inside:avoid}h2{break-after:avoid}"
             "img{max-width:100%;height:auto}}</style>")
"""Print rules added to the page's copy."""
TIMEOUT_S = 180.0
"""How long the browser may take to print (s)."""


def chromium() -> str | None:
    """The headless Chromium executable, or ``None`` when there is none."""
    return next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)


def write_pdf(page: Path, out: Path | None = None) -> Path:
    """Print the HTML ``page`` to a PDF (default: beside it, ``.pdf``) and return its path.

    Raises
    ------
    ScenarioError
        At ``--pdf``: no Chromium on the PATH, or the browser failed to print.
    """
    page = Path(page)
    target = Path(out) if out is not None else page.with_suffix(".pdf")
    exe = chromium()
    if exe is None:
        raise ScenarioError([Problem("--pdf", "printing needs headless Chromium on the PATH "
                                              f"({', '.join(BROWSERS)}); e.g. apt-get install "
                                              "chromium")])
    text = page.read_text(encoding="utf-8").replace("</head>", PRINT_CSS + "</head>", 1)
    tag = uuid.uuid4().hex
    copy = target.with_name(f".{target.stem}.{tag}.html")
    tmp = target.with_name(f".{target.name}.{tag}.tmp")
    copy.write_text(text, encoding="utf-8")
    try:
        done = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                               "--no-pdf-header-footer", f"--print-to-pdf={tmp}",
                               copy.resolve().as_uri()], capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)
        if done.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            raise ScenarioError([Problem("--pdf", f"{exe} could not print {page.name} (exit "
                                                  f"{done.returncode}): "
                                                  f"{done.stderr.strip()[-300:]}")])
        tmp.replace(target)
    finally:
        copy.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return target

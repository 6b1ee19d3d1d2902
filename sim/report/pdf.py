"""A printable PDF of a self-contained HTML report, by headless Chromium (``--print-to-pdf``).

The page itself is printed as the browser lays it out, with no header or
footer lines; its own print rules (the ``@page`` and ``@media print`` rules
of :data:`citysim.report.html.CSS`) set A4, keep figures and table rows
whole across pages and leave the navigation bar out.
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

__all__ = ["BROWSERS", "chromium", "write_pdf"]

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
"""Executables tried, in order."""
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
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        done = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                               "--no-pdf-header-footer", f"--print-to-pdf={tmp}",
                               page.resolve().as_uri()], capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)
        if done.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            raise ScenarioError([Problem("--pdf", f"{exe} could not print {page.name} (exit "
                                                  f"{done.returncode}): "
                                                  f"{done.stderr.strip()[-300:]}")])
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target

"""Provenance reads the git commit without touching the checkout (issue #21 item 8).

``git status`` refreshes and rewrites ``.git/index`` (taking ``.git/index.lock``)
when files' times changed; a run must not write into the user's checkout.
"""

import os
import shutil
import subprocess

import pytest

from citysim.io.provenance import git_commit

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_the_commit_is_read_without_writing_the_index(tmp_path):
    repo = tmp_path / "checkout"
    (repo / "sim").mkdir(parents=True)
    (repo / "sim" / "model.py").write_text("x = 1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    index = repo / ".git" / "index"
    old = os.stat(repo / "sim" / "model.py")
    os.utime(repo / "sim" / "model.py", ns=(old.st_atime_ns, old.st_mtime_ns + 5_000_000_000))
    before = os.stat(index)
    got = git_commit(repo)
    assert got == {"commit": _git(repo, "rev-parse", "HEAD"), "dirty": False}
    after = os.stat(index)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not (repo / ".git" / "index.lock").exists()
    (repo / "sim" / "model.py").write_text("x = 2\n")
    assert git_commit(repo)["dirty"] is True

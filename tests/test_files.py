"""`atomic_open`: what the user set on a file stays, and a kill leaves the old file whole."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from docgen_plugin.errors import PathError
from docgen_plugin.files import atomic_open, atomic_write, write_user_file

REPO = Path(__file__).resolve().parents[1]


def test_a_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "report"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    atomic_write(fifo, "DG103 ...\n")
    reader.join(10)
    assert received == [b"DG103 ...\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_dangling_symlink_gets_its_target_made(tmp_path: Path) -> None:
    link = tmp_path / "page.md"
    link.symlink_to("real/page.md")
    atomic_write(link, "text")
    assert link.is_symlink() and (tmp_path / "real" / "page.md").read_text() == "text"


def test_mode_is_kept_and_new_files_follow_the_umask(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("old")
    page.chmod(0o640)
    atomic_write(page, "new")
    assert stat.S_IMODE(page.stat().st_mode) == 0o640 and page.read_text() == "new"
    fresh = tmp_path / "fresh.json"
    atomic_write(fresh, "{}")
    mask = os.umask(0o022)  # read it back: the one portable way
    os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600


def test_os_errors_become_one_line_path_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(PathError, match=r"cannot write .*file/below: a part of the path is a file"):
        write_user_file(tmp_path / "file" / "below", "x")
    with pytest.raises(PathError, match=r"it is a folder; give the path of a file"):
        write_user_file(tmp_path, "x")


CHILD = """
import sys, time
from pathlib import Path
from docgen_plugin.files import atomic_open
with atomic_open(Path(sys.argv[1])) as out:
    out.write("new " * 1000)
    out.flush()
    print("writing", flush=True)
    time.sleep(60)
"""


def test_kill_9_during_a_write_leaves_the_old_page(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("old page\n")
    page.chmod(0o664)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(page)], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.stdout is not None and child.stdout.readline() == "writing\n"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    assert page.read_text() == "old page\n" and stat.S_IMODE(page.stat().st_mode) == 0o664
    # what a kill leaves is a hidden temporary file beside the page, never a half page
    assert [p.name.startswith(".page.md.") for p in tmp_path.iterdir() if p != page] == [True]


def test_an_exception_inside_the_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(page) as out:
        out.write("half")
        raise RuntimeError
    assert page.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["page.md"]

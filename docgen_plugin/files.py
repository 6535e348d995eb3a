"""Files of the user's: atomic writes that keep what the user set, and one-line messages for
what the operating system refused.

A reader, a concurrent run or a crash (kill -9 included) sees the old file or the new one.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from docgen_plugin.errors import PathError

_REASONS = {
    errno.EACCES: "permission denied; check the permissions of it and of its folder",
    errno.EPERM: "operation not permitted; check the permissions of it and of its folder",
    errno.ENOENT: "no such file or folder",
    errno.EISDIR: "it is a folder; give the path of a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "it exists and is not a folder",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENAMETOOLONG: "the name is too long",
}


def os_error_reason(error: OSError) -> str:
    """What the system refused, and the fix, without the path."""
    return _REASONS.get(error.errno or 0) or error.strerror or str(error)


def os_error_message(error: OSError, path: Path | str | None = None) -> str:
    """`PATH: reason; fix` for an OSError, in one line."""
    where = error.filename if error.filename is not None else path
    reason = os_error_reason(error)
    return f"{where}: {reason}" if where is not None else reason


def path_error(error: OSError, doing: str, path: Path | str | None = None) -> PathError:
    """The user-facing error for an OSError met while `doing` (`read`, `write`) a path."""
    where = error.filename if error.filename is not None else path
    return PathError(f"cannot {doing} {os_error_message(error, path)}",
                     str(where) if where is not None else None)


@functools.cache
def _umask() -> int:
    # the only portable way to read the umask sets it; once per process, at the first write
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def is_read_only(path: Path) -> bool:
    """True for an existing file that the user (or, as root, its mode) says not to write."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and (not mode & 0o222 or not os.access(path, os.W_OK))


@contextmanager
def atomic_open(path: Path) -> Iterator[TextIO]:
    """A text handle on a temporary file beside `path`, renamed over it on success.

    What the user set stays: a symlink is written through (its target gets the new text, the
    link stays a link), the mode and, where permitted, the owner of the file replaced carry
    over, and a new file gets the umask's mode (mkstemp's 0600 hid shared caches from a team).
    A device or FIFO (`-o /dev/stdout`) is written to, not replaced.
    """
    try:
        old: os.stat_result | None = path.stat()  # through a symlink
    except FileNotFoundError:
        old = None  # new, or a dangling symlink: its target is made
    if old is not None and stat.S_ISDIR(old.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if old is not None and not stat.S_ISREG(old.st_mode):  # /dev/stdout, a FIFO: never replaced
        with path.open("w", encoding="utf-8", newline="") as handle:
            yield handle
        return
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        _carry_over(fd, old)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _carry_over(fd: int, old: os.stat_result | None) -> None:
    if old is None:
        os.fchmod(fd, 0o666 & ~_umask())
        return
    if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
        try:  # root can give the file back to its owner; anyone may keep a group they are in
            os.fchown(fd, old.st_uid, old.st_gid)
        except PermissionError:  # else the file becomes the writer's, as an editor's save does
            with contextlib.suppress(PermissionError):
                os.fchown(fd, -1, old.st_gid)
    os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after chown, which may clear setuid/setgid bits


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` atomically."""
    with atomic_open(path) as handle:
        handle.write(text)


def write_user_file(path: Path, text: str) -> None:
    """`atomic_write` to a path the user named; an OSError becomes a one-line PathError."""
    try:
        atomic_write(path, text)
    except OSError as error:
        raise path_error(error, "write", path) from error

"""The media folder on disk: presence checks, atomic writes and copies from a local tree.

A file is written as ``<name>.part`` next to its final place and renamed over it with
:func:`os.replace` only once complete, so a killed run never leaves a truncated file under
the final name. A file that is present with a nonzero size counts as done (sizes are not
compared with the server's: a rerun resumes without a request per file); ``.part`` files
left by a killed run are removed or overwritten by the next run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from types import TracebackType

PART_SUFFIX = ".part"


def part_path(target: Path) -> Path:
    """The temporary name a file is written under before it is renamed into place."""
    return target.with_name(target.name + PART_SUFFIX)


def present_size(target: Path) -> int:
    """The size of ``target`` when it is a regular file, else 0."""
    try:
        return target.stat().st_size if target.is_file() else 0
    except OSError:
        return 0


def discard(path: Path) -> None:
    """Remove ``path`` if it exists (a leftover ``.part`` file)."""
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
        path.unlink()


class PartFile:
    """A file being written as ``<target>.part``; :meth:`commit` renames it into place.

    Used as a context manager: leaving the block without :meth:`commit` (an error, an
    abort) removes the ``.part`` file.
    """

    def __init__(self, target: Path, *, fsync: bool = False) -> None:
        """Create ``target``'s folders and open ``<target>.part`` for writing (truncated)."""
        self.target = target
        self.part = part_path(target)
        self.fsync = fsync
        self.size = 0
        self._committed = False
        target.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.part, "wb")  # noqa: SIM115 - closed in commit/__exit__

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``."""
        self._fh.write(chunk)
        self.size += len(chunk)

    def commit(self) -> None:
        """Close the file and rename it to its final name atomically."""
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.part, self.target)
        self._committed = True

    def __enter__(self) -> PartFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self._fh.close()
            discard(self.part)


def copy_into(source: Path, target: Path, *, hardlink: bool = False, fsync: bool = False) -> int:
    """Put a copy (or a hard link) of ``source`` at ``target`` atomically; return its size.

    A hard link that the file system refuses (another device, no support) falls back to a
    copy.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(target)
    discard(part)
    try:
        if hardlink:
            try:
                os.link(source, part)
            except OSError:
                shutil.copyfile(source, part)
        else:
            shutil.copyfile(source, part)
            if fsync:
                with open(part, "rb") as fh:
                    os.fsync(fh.fileno())
        os.replace(part, target)
    except BaseException:
        discard(part)
        raise
    return present_size(target)


def find_local(media_from: Path, relative: str | None) -> Path | None:
    """The file ``relative`` (an uploads-relative path) in the local uploads copy, or None.

    Only regular files with a nonzero size inside ``media_from`` count.
    """
    if not relative:
        return None
    candidate = media_from / relative
    try:
        resolved = candidate.resolve()
        root = media_from.resolve()
    except (OSError, RuntimeError, ValueError):  # unreadable, a symlink loop, a bad name
        return None
    if root != resolved and root not in resolved.parents:
        return None  # a symlink pointing out of the uploads copy
    return candidate if present_size(candidate) > 0 else None

"""The output folder: safe, atomic, collision-free writes, and a manifest of what we wrote.

Every file a writer produces goes through :class:`OutputTree`. It refuses a path that
would land outside the folder, never hands out one path twice (judged case-insensitively,
as macOS and Windows do), writes each file to a temporary name and renames it into place,
and keeps a manifest so that a rerun may replace our own files but nothing else: a
non-empty folder we did not write is refused unless ``force`` is set.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from .errors import OutputError
from .paths import PathAllocator, atomic_write, posix_parts, posix_str, safe_join
from .tempdb import TempDatabase

MANIFEST = ".wpconvert-manifest.json"


class OutputTree:
    """A folder being written by one run."""

    def __init__(self, root: Path, *, force: bool = False) -> None:
        self.root = root
        self._root = str(root)
        self.allocator = PathAllocator()
        self.written = _Written()
        self.files_written = 0  # set by finish()
        self._checked_dirs: set[str] = set()
        previous = self._previous_manifest()
        # Top-level names this run claims; saved in the manifest *before* anything is
        # written under them, so that a run killed half-way leaves a folder we still
        # recognise as ours, and the rerun completes it.
        self._claimed: set[str] = set(previous)
        # An earlier run's leftovers can only be in a folder that held something.
        self._leftovers_possible = False
        if root.exists():
            if not root.is_dir():
                raise OutputError(f"{root}: exists and is not a folder")
            names = [p.name for p in root.iterdir()]
            self._leftovers_possible = bool(names)
            foreign = [n for n in names if n != MANIFEST and n not in previous and not _is_leftover(n)]
            if foreign and not force:
                raise OutputError(
                    f"{root}: folder is not empty and was not written by wpconvert "
                    f"(found {sorted(foreign)[0]!r}); choose an empty folder or pass --force"
                )
        root.mkdir(parents=True, exist_ok=True)

    def _previous_manifest(self) -> set[str]:
        """Top-level names a previous run of ours wrote here."""
        try:
            data = json.loads((self.root / MANIFEST).read_text("utf-8"))
            names = {PurePosixPath(p).parts[0] for p in data.get("files", []) if p}
            return names | {n for n in data.get("claimed", []) if isinstance(n, str)}
        except (OSError, ValueError, AttributeError, IndexError, TypeError):
            return set()

    def _claim(self, rel: str) -> None:
        top = posix_parts(rel)[0]
        if top not in self._claimed:
            self._claimed.add(top)
            self._save_manifest()

    def _save_manifest(self) -> None:
        """Write the manifest (the claimed names and every file written, sorted), piece by
        piece: at 200,000 pages it is too big to build as one string."""
        def pieces() -> Iterator[str]:
            yield "{\n"
            for key, names in (("claimed", iter(sorted(self._claimed))), ("files", self.written.sorted())):
                yield f' "{key}": ['
                sep = "\n  "
                for name in names:
                    yield sep + json.dumps(name, ensure_ascii=False)
                    sep = ",\n  "
                yield "]" if sep == "\n  " else "\n ]"
                yield ",\n" if key == "claimed" else "\n"
            yield "}\n"
        atomic_write(self.root / MANIFEST, pieces(), durable=True)

    def allocate(self, desired: PurePosixPath) -> PurePosixPath:
        """A unique relative path for a file, as close to ``desired`` as collisions allow."""
        return self.allocator.allocate(desired)

    def path(self, rel: PurePosixPath | str) -> Path:
        """The absolute path of ``rel`` inside the folder, a file or a folder (refusing
        anything outside it: a symlink at any level, its own name too, must lead inside)."""
        return Path(self._inside(rel, whole=True))

    def _file(self, rel: PurePosixPath | str) -> str:
        """:meth:`path` for a file written by rename, which replaces a symlink at the file's
        own name and never follows it: only the folders are checked."""
        return self._inside(rel, whole=False)

    def _inside(self, rel: PurePosixPath | str, whole: bool) -> str:
        # Paths are plain "a/b/c" strings in the hot loops (a file per page): split and
        # joined as strings, which costs a fraction of making PurePosixPaths.
        text = str(rel)
        parts = text.split("/")
        if "" in parts or "." in parts or ".." in parts or "\0" in text:
            # Absolute, "..", the folder itself, a NUL: refused by safe_join, or joined
            # by it (a redundant "/" or "." segment).
            try:
                return str(safe_join(self.root, PurePosixPath(text)))
            except ValueError as exc:
                raise OutputError(f"{text}: {exc}") from None
        try:
            self._check_folder(text if whole else text.rpartition("/")[0])
        except ValueError as exc:
            raise OutputError(f"{text}: {exc}") from None
        return os.path.join(self._root, text)

    def _check_folder(self, folder: str) -> None:
        """Refuse (ValueError) a folder (a plain "a/b" path, "" for the root) that leads
        outside the root. Checked level by level, remembered: a level that is missing or a
        real folder costs one ``lstat`` (a Hugo page bundle is a new folder per page); a
        symlink must resolve inside the root."""
        todo: list[str] = []
        while folder and folder not in self._checked_dirs:
            todo.append(folder)
            folder = folder.rpartition("/")[0]
        for folder in reversed(todo):  # from the top down
            try:
                real = stat.S_ISDIR(os.lstat(os.path.join(self._root, folder)).st_mode)
            except FileNotFoundError:
                real = True  # made a real folder when written to
            except OSError:
                real = False
            if not real:
                safe_join(self.root, folder)
            if len(self._checked_dirs) < 100_000:
                self._checked_dirs.add(folder)

    def write(self, rel: PurePosixPath | str, data: str | bytes | Iterable[str]) -> Path:
        """Write one file atomically and record it in the manifest."""
        target = self._file(rel)
        posix = posix_str(rel)
        self._claim(posix)
        atomic_write(target, data)
        self.written.add(posix)
        return Path(target)

    def record(self, rel: PurePosixPath | str) -> None:
        """Record a file written by other means (media downloads) in the manifest."""
        posix = posix_str(rel)
        self._claim(posix)
        self.written.add(posix)

    def claim(self, rel: str) -> None:
        """Claim ``rel``'s top-level folder before something else writes into it."""
        self._claim(posix_str(rel))

    def claim_all(self, rels: Iterable[str]) -> None:
        """Claim the top-level names of many paths, saving the manifest once."""
        new = {posix_parts(r)[0] for r in rels if r} - self._claimed
        if new:
            self._claimed |= new
            self._save_manifest()

    def write_unrecorded(self, rel: str, data: str | bytes) -> bool:
        r"""Write one file under a claimed top-level name without recording it (a worker
        process does this; the main process :meth:`record`\ s it). False, and nothing
        written, when the name is not claimed yet: only the main process may claim."""
        if posix_parts(rel)[0] not in self._claimed:
            return False
        atomic_write(self._file(rel), data)
        return True

    def finish(self) -> None:
        """Write the manifest (sorted, so identical runs give identical folders)."""
        # Only this run's names: a rerun with other options does not keep stale claims.
        self._claimed = self.written.tops()
        self._save_manifest()
        self.files_written = len(self.written)
        self.written.close()
        self.allocator.close()
        # Remove leftovers of an interrupted earlier run (a walk over every folder written).
        if not self._leftovers_possible:
            return
        for dirpath, _dirs, names in os.walk(self.root):
            for name in names:
                if _is_leftover(name):
                    try:
                        os.unlink(os.path.join(dirpath, name))
                    except OSError:
                        pass


def _is_leftover(name: str) -> bool:
    """A temporary file of ours that a killed run can leave (atomic writes, downloads)."""
    return name.endswith(".part") or (name.startswith(".wpconvert-") and name.endswith(".tmp")) \
        or name.startswith(".wpconvert-tmp-")


class _Written:
    """The relative paths a run wrote (each once), kept in a temporary SQLite file rather
    than in memory: the manifest lists them all, sorted, and there may be millions."""

    FLUSH = 2000

    def __init__(self) -> None:
        self._db: TempDatabase | None = None
        self._pending: list[tuple[str]] = []

    def add(self, name: str) -> None:
        """Record ``name`` (again is harmless)."""
        self._pending.append((name,))
        if len(self._pending) >= self.FLUSH:
            self._flush()

    def _flush(self) -> None:
        if self._db is None:
            self._db = TempDatabase("written", "CREATE TABLE written (name TEXT PRIMARY KEY)")
        self._db.db.executemany("INSERT OR IGNORE INTO written VALUES (?)", self._pending)
        self._pending.clear()

    def sorted(self) -> Iterator[str]:
        """Every name, sorted by code point (as Python sorts str)."""
        if self._db is None:
            yield from sorted({n for (n,) in self._pending})
            return
        self._flush()
        # SQLite's default (BINARY) order of UTF-8 text is the code point order.
        for (name,) in self._db.db.execute("SELECT name FROM written ORDER BY name"):
            yield name

    def tops(self) -> set[str]:
        """The top-level names of every path."""
        return {posix_parts(n)[0] for n in self.sorted()}

    def __len__(self) -> int:
        if self._db is None:
            return len({n for (n,) in self._pending})
        self._flush()
        count: int = self._db.db.execute("SELECT COUNT(*) FROM written").fetchone()[0]
        return count

    def close(self) -> None:
        """Remove the temporary file."""
        if self._db is not None:
            self._db.close()
            self._db = None

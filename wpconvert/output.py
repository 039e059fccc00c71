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
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .errors import OutputError
from .paths import PathAllocator, atomic_write, safe_join

MANIFEST = ".wpconvert-manifest.json"


class OutputTree:
    """A folder being written by one run."""

    def __init__(self, root: Path, *, force: bool = False) -> None:
        self.root = root
        self.allocator = PathAllocator()
        self.written: list[str] = []
        self._checked_dirs: set[PurePosixPath] = set()
        previous = self._previous_manifest()
        # Top-level names this run claims; saved in the manifest *before* anything is
        # written under them, so that a run killed half-way leaves a folder we still
        # recognise as ours, and the rerun completes it.
        self._claimed: set[str] = set(previous)
        if root.exists():
            if not root.is_dir():
                raise OutputError(f"{root}: exists and is not a folder")
            foreign = [
                p.name for p in root.iterdir()
                if p.name != MANIFEST and p.name not in previous and not _is_leftover(p.name)
            ]
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
        top = PurePosixPath(rel).parts[0]
        if top not in self._claimed:
            self._claimed.add(top)
            self._save_manifest(sorted(set(self.written)))

    def _save_manifest(self, files: list[str]) -> None:
        data = {"claimed": sorted(self._claimed), "files": files}
        atomic_write(self.root / MANIFEST, json.dumps(data, ensure_ascii=False, indent=1) + "\n", durable=True)

    def allocate(self, desired: PurePosixPath) -> PurePosixPath:
        """A unique relative path for a file, as close to ``desired`` as collisions allow."""
        return self.allocator.allocate(desired)

    def path(self, rel: PurePosixPath | str) -> Path:
        """The absolute path of ``rel`` inside the folder (refusing anything outside it)."""
        rel = PurePosixPath(rel)
        parent = rel.parent
        try:
            if parent in self._checked_dirs and rel.name not in ("", ".", ".."):
                # The folder was checked (no "..", no symlink out); a file written there is
                # replaced by rename, which never follows a symlink at the file's own name.
                return self.root.joinpath(*rel.parts)
            joined = safe_join(self.root, rel)
        except ValueError as exc:
            raise OutputError(f"{rel}: {exc}") from None
        if len(self._checked_dirs) < 100_000:
            self._checked_dirs.add(parent)
        return joined

    def write(self, rel: PurePosixPath | str, data: str | bytes) -> Path:
        """Write one file atomically and record it in the manifest."""
        target = self.path(rel)
        posix = PurePosixPath(rel).as_posix()
        self._claim(posix)
        atomic_write(target, data)
        self.written.append(posix)
        return target

    def record(self, rel: PurePosixPath | str) -> None:
        """Record a file written by other means (media downloads) in the manifest."""
        posix = PurePosixPath(rel).as_posix()
        self._claim(posix)
        self.written.append(posix)

    def claim(self, rel: str) -> None:
        """Claim ``rel``'s top-level folder before something else writes into it."""
        self._claim(PurePosixPath(rel).as_posix())

    def claim_all(self, rels: Iterable[str]) -> None:
        """Claim the top-level names of many paths, saving the manifest once."""
        new = {PurePosixPath(r).parts[0] for r in rels if r} - self._claimed
        if new:
            self._claimed |= new
            self._save_manifest(sorted(set(self.written)))

    def write_unrecorded(self, rel: str, data: str | bytes) -> bool:
        r"""Write one file under a claimed top-level name without recording it (a worker
        process does this; the main process :meth:`record`\ s it). False, and nothing
        written, when the name is not claimed yet: only the main process may claim."""
        if PurePosixPath(rel).parts[0] not in self._claimed:
            return False
        atomic_write(self.path(rel), data)
        return True

    def finish(self) -> None:
        """Write the manifest (sorted, so identical runs give identical folders)."""
        # Only this run's names: a rerun with other options does not keep stale claims.
        self._claimed = {PurePosixPath(p).parts[0] for p in self.written}
        self._save_manifest(sorted(set(self.written)))
        # Remove leftovers of an interrupted earlier run.
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

"""Temporary SQLite files: tables a run keeps on disk so that its memory stays flat.

Used by the site index, the media plan, the output folder's list of written files and the
path allocator.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile

from .errors import OutputError

__all__ = ["TempDatabase", "temp_error", "temp_folder"]


def temp_error(exc: OSError | sqlite3.Error, what: str) -> OutputError:
    """The one-line error for a temporary file that cannot be made or written (a missing
    or full temporary folder): it names the folder, which TMPDIR can change."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return OutputError(f"{tempfile.gettempdir()}: cannot keep {what} in a temporary file: {reason}")


def temp_folder(name: str) -> str:
    """A new folder in the temporary folder, private to this process (mode 0700), for the
    caller to remove. Named like :class:`TempDatabase`'s files, it is removed by the next
    run should this one be killed first."""
    folder = tempfile.gettempdir()
    TempDatabase.remove_stale_files(folder)
    try:
        return tempfile.mkdtemp(prefix=f"wpconvert-{name}-{os.getpid()}-", dir=folder)
    except OSError as exc:
        raise temp_error(exc, name) from None


class TempDatabase:
    """A SQLite file in the temporary folder, for one run's tables; gone at :meth:`close`.

    Worker processes (``--jobs``) open the same file: :meth:`reopen` after a fork. The file
    name holds the id of the process that made it: a run killed before :meth:`close`
    (SIGKILL) leaves its file behind, and the next TempDatabase made in the same folder
    deletes it (:meth:`remove_stale_files`).
    """

    # wpconvert-NAME-PID-RANDOM.sqlite, and SQLite's side files should any appear; and
    # wpconvert-items-PID-RANDOM, the folder of pipeline.BatchSpool (temp_folder).
    _FILE_NAME = re.compile(
        r"wpconvert-(?:[a-z]+-(?P<pid>\d+)-[a-z0-9_]+\.sqlite(?:-journal|-wal|-shm)?|items-(?P<folder_pid>\d+)-[a-z0-9_]+)",
        re.I,
    )

    def __init__(self, name: str, schema: str) -> None:
        folder = tempfile.gettempdir()
        self.remove_stale_files(folder)
        try:
            fd, self._file = tempfile.mkstemp(prefix=f"wpconvert-{name}-{os.getpid()}-", suffix=".sqlite",
                                              dir=folder)
        except OSError as exc:
            raise temp_error(exc, f"the {name} table") from None
        os.close(fd)
        self.db = sqlite3.connect(self._file)
        # A scratch file: no journal, no fsync.
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + schema)

    def reopen(self) -> None:
        """A fresh connection to the same file (in a forked worker process), reading in one
        transaction (:meth:`snapshot`): workers only read."""
        self.db = sqlite3.connect(self._file)
        self.snapshot()

    def snapshot(self) -> None:
        """Run what follows on this connection in one transaction, for a phase that reads.

        Outside a transaction SQLite takes and drops its lock on the file, and checks the
        file for changes, at every statement: an indexed lookup cost 8.3 µs that way against
        2.0 µs in a transaction (measured), and a conversion makes several per page. Another
        connection cannot write until the transaction ends (with the connection): call it
        only where none does, as in the conversion pass, whose workers only read.
        """
        if not self.db.in_transaction:
            self.db.execute("BEGIN")

    def close(self) -> None:
        """Drop the temporary file."""
        self.db.close()
        try:
            os.unlink(self._file)
        except OSError:
            pass

    @classmethod
    def remove_stale_files(cls, folder: str) -> None:
        """Delete the temporary databases and folders in ``folder`` whose process no
        longer exists."""
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            m = cls._FILE_NAME.fullmatch(name)
            if m and not cls._process_exists(int(m.group("pid") or m.group("folder_pid"))):
                path = os.path.join(folder, name)
                try:
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path)
                    else:
                        os.unlink(path)
                except OSError:  # gone already (another run cleaned it), or not ours to delete
                    pass

    @staticmethod
    def _process_exists(pid: int) -> bool:
        """Whether process ``pid`` exists; when in doubt, yes."""
        if pid == os.getpid() or pid <= 0 or os.name != "posix":  # on Windows os.kill terminates
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except (OSError, OverflowError):  # PermissionError: it exists, under another user
            return True
        return True

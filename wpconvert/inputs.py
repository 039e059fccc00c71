"""Where exports come from: files, folders of them, ``.zip`` archives, ``.gz``/``.bz2``/``.xz``.

Large sites are exported in parts (``site.wordpress.2024-01-01.000.xml``, ``.001.xml`` …)
and WordPress.com delivers them zipped; every part is one :class:`Source`, read as a stream.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from .errors import InputError

# Readers of compressed exports, by suffix. They are binary streams, though typeshed does
# not call GzipFile an IO[bytes].
_DECOMPRESSORS: dict[str, Callable[[Path], IO[bytes]]] = {
    ".gz": lambda path: cast(IO[bytes], gzip.open(path, "rb")),
    ".bz2": lambda path: bz2.open(path, "rb"),
    ".xz": lambda path: lzma.open(path, "rb"),
}
_EXPORT_SUFFIXES = (".xml", ".wxr", ".xml.gz", ".xml.bz2", ".xml.xz", ".gz", ".bz2", ".xz", ".zip")

# What reading a damaged input can raise: besides OSError, a corrupt gzip stream raises
# zlib.error, a corrupt .xz LZMAError, a zip member with a bad checksum BadZipFile, and a
# cut-off compressed file EOFError.
READ_ERRORS: tuple[type[Exception], ...] = (
    OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, zipfile.BadZipFile,
)


def _hidden(name: str) -> bool:
    # macOS leaves "._site.xml" resource forks (not XML) beside exports and in zips.
    return name.startswith(".")


@dataclass(frozen=True, slots=True)
class Source:
    """One export file, possibly inside an archive. ``name`` is what messages show."""

    name: str
    path: Path
    member: str = ""  # the file's name inside a .zip

    def is_plain_file(self) -> bool:
        """Whether the export's bytes are those of a regular file (not compressed, not in
        an archive, not a pipe): then a part of it can be read again by its offset."""
        return not self.member and self.path.suffix.lower() not in _DECOMPRESSORS and self.path.is_file()

    def open(self) -> IO[bytes]:
        """Open the export's bytes for streaming (decompressed)."""
        try:
            if self.member:
                archive = zipfile.ZipFile(self.path)
                return archive.open(self.member)
            decompress = _DECOMPRESSORS.get(self.path.suffix.lower())
            return decompress(self.path) if decompress is not None else open(self.path, "rb")
        except OSError as exc:
            raise InputError(self.name, f"cannot open: {exc.strerror or exc}") from None
        except (zipfile.BadZipFile, KeyError) as exc:
            raise InputError(self.name, f"not a readable zip archive: {exc}") from None


def expand(inputs: Iterable[str | Path]) -> list[Source]:
    """Turn the paths a user named into the export files to read, in a stable order.

    A folder stands for the export files in it (sorted by name); a ``.zip`` for the ``.xml``
    files inside it (sorted). Raises :class:`InputError` for a path that does not exist.
    """
    sources: list[Source] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir()
                if p.is_file() and p.name.lower().endswith(_EXPORT_SUFFIXES) and not _hidden(p.name)
            )
            if not found:
                raise InputError(str(path), "folder holds no export files (.xml, .zip, .gz, .bz2)")
            for p in found:
                sources.extend(_for_file(p))
        elif path.is_file():
            sources.extend(_for_file(path))
        else:
            raise InputError(str(path), "no such file or folder")
    return sources


def _for_file(path: Path) -> list[Source]:
    if path.suffix.lower() != ".zip":
        return [Source(str(path), path)]
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(
                n for n in archive.namelist()
                if n.lower().endswith((".xml", ".wxr")) and not n.startswith("__MACOSX/")
                and not _hidden(n.rsplit("/", 1)[-1])
            )
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(str(path), f"not a readable zip archive: {exc}") from None
    if not names:
        raise InputError(str(path), "zip archive holds no .xml export")
    return [Source(f"{path}!{n}", path, n) for n in names]

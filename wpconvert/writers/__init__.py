"""Writers: one per output format, found through the ``wpconvert.writers`` entry points.

A writer is a small class (like a pygments formatter): it is built with a
:class:`WriteContext` and fed the items, one at a time, through :meth:`Writer.write`.
The built-in writers register through the same entry-point group as third-party ones::

    [project.entry-points."wpconvert.writers"]
    myformat = "mypackage.writer:MyWriter"

A writer only ever sees items that the publishing policy lets through (see
:mod:`wpconvert.policy`) and writes files only through ``ctx.out`` (:class:`OutputTree`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import UsageError
from ..model import Item, Site
from ..options import Options
from ..output import OutputTree
from ..report import Report

if TYPE_CHECKING:
    from ..mediaplan import MediaPlan
    from ..pipeline import Outcome

GROUP = "wpconvert.writers"


@dataclass
class WriteContext:
    """What a writer is given: the site header, the options, the report, the output.

    ``output`` is the path the user named. Folder formats write through ``out``; a
    single-file format (:attr:`Writer.single_file`) gets ``out`` None and writes ``output``.
    """

    site: Site
    options: Options
    report: Report
    output: Path
    out: OutputTree | None = None
    # The position in the export (0-based, every item counted) of the item being written.
    seq: int = -1

    @property
    def tree(self) -> OutputTree:
        """The output folder (for folder formats)."""
        if self.out is None:
            raise RuntimeError("this writer was set up as a single-file writer")
        return self.out


class Writer(ABC):
    """Base class of every output format.

    Subclasses set :attr:`name` and :attr:`description` and implement :meth:`write`.
    ``wants_all_items`` True means the writer is also fed attachments, nav menu items and
    other non-post types (JSON does, Markdown does not need to).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    single_file: ClassVar[bool] = False
    wants_all_items: ClassVar[bool] = False
    # Site writers plan every item's location in a first pass (see writers.site).
    needs_index: ClassVar[bool] = False

    def __init__(self, ctx: WriteContext) -> None:
        self.ctx = ctx
        # Set by convert() when media are downloaded: URL → local file lookups.
        self.media: MediaPlan | None = None

    # True when the writer implements prepare() and write_prepared(): then conversion
    # builds and prepares items in worker processes (-j), and write() is not called.
    parallel: ClassVar[bool] = False

    @abstractmethod
    def write(self, items: Iterable[Item]) -> None:
        """Write every item of ``items`` (already filtered by the publishing policy)."""

    def prepare(self, item: Item) -> Any:
        """For :attr:`parallel` writers: turn one item into what :meth:`write_prepared`
        writes (file contents, say). Runs in a worker process with ``-j``, so it must
        only read the writer's state, and return something picklable; ``ctx.seq`` is set."""
        raise NotImplementedError

    def write_prepared(self, outcomes: Iterable[Outcome]) -> None:
        """For :attr:`parallel` writers: write what :meth:`prepare` returned for each item
        (``outcome.payload``), in export order, in the main process."""
        raise NotImplementedError

    def forked(self) -> None:
        """Called in a worker process before its first :meth:`prepare`: reopen what must not
        be shared with the parent (database connections)."""
        if self.media is not None:
            self.media.reopen()

    def close(self) -> None:  # noqa: B027 - optional hook, deliberately empty
        """Called once after :meth:`write`: finish files, indexes, site skeletons."""


# Plugins that failed to load, by format name, with the reason (``wpconvert formats`` shows them).
broken: dict[str, str] = {}


def available() -> dict[str, type[Writer]]:
    """Every registered writer class by format name (sorted by name).

    A plugin that fails to load is left out (and listed in :data:`broken`): a broken
    third-party writer must not take the built-in formats down with it.
    """
    found: dict[str, type[Writer]] = {}
    for ep in entry_points(group=GROUP):
        if ep.name not in found:
            cls = _load(ep)
            if cls is not None:
                found[ep.name] = cls
    # Running from a source tree that was never installed, the group lacks the built-ins.
    for name in _BUILTINS:
        if name not in found:
            found[name] = _builtin(name)
    return dict(sorted(found.items()))


def _load(ep: Any) -> type[Writer] | None:
    """The writer class of entry point ``ep``; None (and the reason in :data:`broken`) when
    it fails to load or is not a writer."""
    try:
        cls = ep.load()
    except Exception as exc:  # noqa: BLE001 - any error in a plugin's import
        broken[ep.name] = f"{ep.value}: {type(exc).__name__}: {exc}"
        return None
    if isinstance(cls, type) and issubclass(cls, Writer):
        return cls
    broken[ep.name] = f"{ep.value}: not a wpconvert Writer subclass"
    return None


# The built-in writers by format name: module (in this package) and class.
_BUILTINS = {
    "json": ("jsonout", "JSONWriter"), "jsonl": ("jsonout", "JSONLinesWriter"),
    "markdown": ("site", "MarkdownWriter"), "hugo": ("hugo", "HugoWriter"),
    "jekyll": ("jekyll", "JekyllWriter"),
}


def _builtin(name: str) -> type[Writer]:
    module, cls = _BUILTINS[name]
    found: type[Writer] = getattr(import_module(f"{__name__}.{module}"), cls)
    return found


def get(name: str) -> type[Writer]:
    """The writer class for format ``name``; :class:`UsageError` if none is registered.

    Only that writer's module is imported (JSON needs neither YAML nor the Markdown
    transforms: a tenth of a second less to start)."""
    for ep in entry_points(group=GROUP, name=name):
        cls = _load(ep)
        if cls is not None:
            return cls
    if name in _BUILTINS:
        return _builtin(name)
    if name in broken:
        raise UsageError(f"format {name!r}: its plugin failed to load ({broken[name]})")
    raise UsageError(f"unknown format {name!r} (available: {', '.join(available())})")

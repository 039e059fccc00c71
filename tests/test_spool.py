"""One job, two passes, one parse: site formats keep the items the planning pass built in a
spool and convert from there (wpconvert.pipeline.Spool). Output and report are those of
the ordinary ways (-j 2 cuts and parses in workers); test_split.py compares them on every
fixture and corpus export too.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from test_reader import comment_xml, item_xml, line_of, write, wxr
from test_split import _run

import wpconvert
import wpconvert.api
from wpconvert import build, pipeline
from wpconvert.model import Comment, Item, ItemTerm, Meta, Source, changed
from wpconvert.output import OutputTree
from wpconvert.reader import read
from wpconvert.report import Entry, Problem, Repair
from wpconvert.xmlstream import FileReader

# An orphan comment (a problem found while building), a threaded reply, a repair (raw "&").
EXPORT = wxr(
    item_xml(1, "one RAW two", comments=comment_xml(5, 4) + comment_xml(6, 0) + comment_xml(7, 6))
    + item_xml(2, "second", comments=comment_xml(8, 0))
    + item_xml(3, "third")
).replace("RAW", "&")


def _item_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the passes over items that parse the export (the header read is not one)."""
    passes: list[int] = []
    events = FileReader.events

    def counted(self: FileReader, header_only: bool = False) -> Any:
        if not header_only:
            passes.append(1)
        return events(self, header_only)

    monkeypatch.setattr(FileReader, "events", counted)
    return passes


@pytest.mark.parametrize("fmt", ["markdown", "hugo"])
def test_one_job_parses_the_export_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    path = write(tmp_path, EXPORT)
    passes = _item_passes(monkeypatch)
    one = _run(path, fmt, tmp_path / "j1", 1)
    assert len(passes) == 1  # the ordinary way reads it twice
    two = _run(path, fmt, tmp_path / "j2", 2)
    assert one == two
    # The comment problem is reported once, the repair once, every item written.
    assert one[1]["problems"] == [("WPC101", line_of(EXPORT, "<item>"))]
    assert [kind for kind, _ in one[1]["repairs"]] == ["raw-ampersand"]
    assert [e[1] for e in one[1]["entries"]] == ["written"] * 3


def test_the_spool_gives_the_items_whole(tmp_path: Path) -> None:
    # Comments, replies, meta, terms and where each item was come back from the spool.
    path = write(tmp_path, EXPORT)
    out = tmp_path / "out"
    wpconvert.convert(path, "markdown", out, jobs=1, comments="sidecar")
    sidecar = (out / "posts").rglob("*.comments.yaml")
    texts = sorted(p.read_text() for p in sidecar)
    assert len(texts) == 2
    assert "replies:" in texts[0] + texts[1]  # comment 7 under comment 6


def test_model_objects_pickle_whole() -> None:
    source = Source("export.xml", 12)
    reply = Comment(id=2, author="b", content="re", parent=1)
    item = Item(
        id=7, post_type="post", title="t", content="c", source=source,
        terms=(ItemTerm("category", "news", "News"),), meta=(Meta("k", "v"),),
        comments=(Comment(id=1, author="a", content="x", replies=(reply,), meta=(Meta("m", "n"),)),),
    )
    back = pickle.loads(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
    assert back == item
    assert back.source == source  # not compared by Item's ==
    assert back.comments[0].replies[0] == reply
    report_objects = (Problem("WPC101", "warning", "m", "f", 3), Repair("raw-ampersand", "f", 2, "d"),
                      Entry(7, "post", "publish", "t", "written", "posts/t.md", "", 4))
    for obj in (source, reply, item.terms[0], item.meta[0], *report_objects):
        assert pickle.loads(pickle.dumps(obj)) == obj
    # Every item of a real export, too.
    for it in read(Path(__file__).parent.parent / "fixtures" / "german-comments.xml").items():
        again = pickle.loads(pickle.dumps(it))
        assert again == it and again.source == it.source


def test_a_missing_temporary_folder_is_a_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, EXPORT)
    missing = tmp_path / "no-such-folder"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    for fmt, jobs in (("markdown", 1), ("markdown", 2), ("hugo", 1)):
        with pytest.raises(wpconvert.OutputError) as err:
            wpconvert.convert(path, fmt, tmp_path / f"out-{fmt}-{jobs}", jobs=jobs)
        assert str(err.value).startswith(f"{missing}: cannot keep ")
        assert "No such file or directory" in str(err.value)
    wpconvert.convert(path, "json", tmp_path / "out.json", jobs=1)  # needs no temporary file


class _FullDisk(io.BytesIO):
    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_under_the_spool_is_a_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, EXPORT)
    monkeypatch.setattr(tempfile, "TemporaryFile", lambda *a, **k: _FullDisk())
    with pytest.raises(wpconvert.OutputError) as err:
        wpconvert.convert(path, "markdown", tmp_path / "out", jobs=1)
    assert str(err.value) == f"{tempfile.gettempdir()}: cannot keep items in a temporary file: No space left on device"


def test_the_spool_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, EXPORT)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    wpconvert.convert(path, "hugo", tmp_path / "out", jobs=1)
    assert list(temp.iterdir()) == []


# -- several jobs: the workers plan too, and keep what they built (BatchSpool) -------------

CLEAN = EXPORT.replace("one & two", "one and two")  # no repair: the export is cut


def test_several_jobs_parse_each_item_once_in_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write(tmp_path, CLEAN)
    passes = _item_passes(monkeypatch)
    # Count the items parsed in the workers (forked: they append to a file).
    log = tmp_path / "parsed.log"
    parse = build.parse_exact

    def counted(data: bytes) -> Any:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, f"{os.getpid()}\n".encode())
        finally:
            os.close(fd)
        return parse(data)

    monkeypatch.setattr(build, "parse_exact", counted)
    for fmt in ("markdown", "hugo"):
        log.unlink(missing_ok=True)
        two = _run(path, fmt, tmp_path / f"{fmt}-j2", 2)
        assert passes == []  # the main process reads the header only: the items are cut
        parsed = log.read_text().split()
        assert len(parsed) == 3  # once each, planning and conversion together
        assert str(os.getpid()) not in parsed
        one = _run(path, fmt, tmp_path / f"{fmt}-j1", 1)
        assert one == two
        assert two[1]["problems"] == [("WPC101", line_of(CLEAN, "<item>"))]
        assert [e[1] for e in two[1]["entries"]] == ["written"] * 3
        passes.clear()


def test_several_jobs_leave_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    path = write(tmp_path, CLEAN)
    wpconvert.convert(path, "hugo", tmp_path / "out", jobs=2)
    assert list(temp.iterdir()) == []
    # An item past the first that does not parse: the workers' planning pass gives up, and
    # the run starts again the ordinary way. Nothing of the first attempt is left either.
    broken = write(tmp_path, CLEAN.replace("<title>third", "<title>third&nbsp;"), "broken.xml")
    report = wpconvert.convert(broken, "markdown", tmp_path / "out2", jobs=2)
    assert [e.action for e in report.entries] == ["written"] * 3
    assert list(temp.iterdir()) == []


def test_a_killed_run_s_items_are_removed_by_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(gone.stdout)
    stale = temp / f"wpconvert-items-{dead}-abc123"
    stale.mkdir()
    (stale / "0.pickle").write_bytes(b"x" * 1000)
    mine = temp / f"wpconvert-items-{os.getpid()}-abc123"  # a live process's: kept
    mine.mkdir()
    other = temp / f"wpconvert-other-{dead}-abc123"  # not a folder of ours: kept
    other.mkdir()
    wpconvert.convert(write(tmp_path, CLEAN), "markdown", tmp_path / "out", jobs=2)
    assert sorted(p.name for p in temp.iterdir()) == sorted([mine.name, other.name])


def test_a_full_disk_under_the_workers_items_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write(tmp_path, CLEAN)

    def full(*args: Any, **kw: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline.pickle, "dump", full)  # in the (forked) workers
    with pytest.raises(wpconvert.OutputError) as err:
        wpconvert.convert(path, "markdown", tmp_path / "out", jobs=2)
    assert str(err.value) == f"{tempfile.gettempdir()}: cannot keep items in a temporary file: No space left on device"


@pytest.mark.parametrize("fmt", ["hugo", "jekyll", "markdown"])
def test_several_jobs_write_pages_and_comment_files_in_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str,
) -> None:
    # The workers write every page and comment data file; the main process only the files
    # made at the end (redirect tables, menus, configuration), and the manifest.
    path = write(tmp_path, CLEAN)
    in_main: list[str] = []
    write_file = OutputTree.write

    def counted(self: OutputTree, rel: Any, data: Any) -> Any:
        in_main.append(str(rel))
        return write_file(self, rel, data)

    monkeypatch.setattr(OutputTree, "write", counted)
    two = _run(path, fmt, tmp_path / "j2", 2)
    comments = [rel for rel in two[0] if "comments" in rel]
    assert len(comments) == 2  # items 1 and 2 have comments (a sidecar or a data file)
    pages = {e[2] for e in two[1]["entries"]}
    assert not pages & set(in_main)
    assert not set(comments) & set(in_main)
    monkeypatch.undo()
    assert _run(path, fmt, tmp_path / "j1", 1) == two


def test_planning_items_come_back_without_their_bodies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Planning reads no body unless media are collected (which looks for their files).
    path = write(tmp_path, wxr(*(item_xml(n, f"t{n}", f"body {n}") for n in (1, 2, 3))))
    seen: dict[str, list[str]] = {}
    batches = pipeline.planning_batches

    def recorded(*args: Any, **kw: Any) -> Any:
        key = "download" if kw.get("content") else "link"
        for item in batches(*args, **kw):
            seen.setdefault(key, []).append(item.content)
            yield item

    monkeypatch.setattr(wpconvert.api, "planning_batches", recorded)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    link = _run(path, "hugo", tmp_path / "link", 2)
    wpconvert.convert(path, "hugo", tmp_path / "download", jobs=2, media="download",
                      media_from=str(uploads), offline=True)
    assert seen["link"] == ["", "", ""]
    assert seen["download"] == ["body 1", "body 2", "body 3"]
    # The pages have their bodies all the same.
    pages = sorted(v.decode() for k, v in link[0].items() if k.endswith("index.md"))
    assert [p.rstrip().rsplit("\n", 1)[-1] for p in pages] == ["body 1", "body 2", "body 3"]


def test_workers_open_the_export_once_per_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A batch's items are read from the export with one open file, not one per item.
    path = write(tmp_path, wxr(*(item_xml(n, f"t{n}", f"body {n}") for n in range(1, 11))))
    log = tmp_path / "opened.log"
    real_open = os.open

    def counted(file: Any, flags: int, *args: Any, **kw: Any) -> int:
        if str(file) == str(path):
            fd = real_open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            try:
                os.write(fd, b"x")
            finally:
                os.close(fd)
        return real_open(file, flags, *args, **kw)

    monkeypatch.setattr(build.os, "open", counted)
    two = _run(path, "json", tmp_path / "j2" / "out.json", 2)
    assert log.read_text() == "x"  # ten items, one batch
    monkeypatch.undo()
    assert _run(path, "json", tmp_path / "j1" / "out.json", 1) == two


_MODEL_SAMPLES = [
    Meta("k", "v"), ItemTerm("category", "s", "n"), Source("f.xml", 3),
    Comment(1, "a", meta=(Meta("k", "v"),), replies=(Comment(2),)),
    Item(5, title="t", comments=(Comment(1),), meta=(Meta("k", "v"),), source=Source("f.xml", 1)),
]


@pytest.mark.parametrize("obj", _MODEL_SAMPLES, ids=lambda o: type(o).__name__)
def test_changed_is_dataclasses_replace(obj: Any) -> None:
    # changed() passes the fields by position: each field, changed alone or with the
    # first one, lands where replace() puts it, and the rest stay.
    names = [f.name for f in dataclasses.fields(obj)]
    for name in names:
        for changes in ({name: "new"}, {name: "new", names[0]: "first"}):
            assert changed(obj, **changes) == dataclasses.replace(obj, **changes)
    assert changed(obj) == obj and changed(obj) is not obj
    assert pickle.loads(pickle.dumps(obj)) == obj

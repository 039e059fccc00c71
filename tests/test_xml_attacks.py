"""Hostile XML: entity expansion, external entities and DTDs, deep nesting, huge text.

wpconvert refuses any DOCTYPE or ENTITY declaration (no WXR has one), never resolves an
entity, never fetches anything, and reads huge and deep documents in bounded time and memory.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wpconvert
import wpconvert.build as build_module
import wpconvert.reader as reader_module
from wpconvert.errors import InputError
from wpconvert.reader import read

DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
RSS = (
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:wp="http://wordpress.org/export/1.2/">\n'
)


def body(title: str = "hello", content: str = "<![CDATA[text]]>", extra: str = "") -> str:
    """The ``<rss>`` element of a one-item export; ``title`` and ``content`` are raw XML."""
    return (
        RSS + "<channel>\n<title>Attack</title>\n<wp:wxr_version>1.2</wp:wxr_version>\n"
        f"<item>\n<title>{title}</title>\n<content:encoded>{content}</content:encoded>\n"
        f"<wp:post_id>1</wp:post_id>\n{extra}</item>\n</channel>\n</rss>\n"
    )


def write(tmp_path: Path, text: str, name: str = "attack.xml", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def refused(path: Path, limit: float = 2.0) -> InputError:
    """Read ``path`` to the end; assert it is refused with one line, in bounded time."""
    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        list(read(path).items())
    assert time.perf_counter() - start < limit
    err = info.value
    assert "\n" not in str(err)
    assert str(err).startswith(str(path))
    return err


LOL = "".join(
    f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' if i else '<!ENTITY lol0 "lol">'
    for i in range(10)
)
ATTACKS = {
    "billion-laughs": (f"<!DOCTYPE rss [{LOL}]>", "&lol9;"),
    "quadratic-blowup": ('<!DOCTYPE rss [<!ENTITY a "' + "x" * 50_000 + '">]>', "&a;" * 50_000),
    "external-file": ('<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
    "external-dtd": ('<!DOCTYPE rss SYSTEM "file:///etc/passwd">', "x"),
    "parameter-entity": ('<!DOCTYPE rss [<!ENTITY % pe SYSTEM "file:///etc/passwd"> %pe;]>', "x"),
    "public-id": ('<!DOCTYPE rss PUBLIC "-//W3C//DTD XHTML 1.0//EN" "file:///etc/passwd">', "&nbsp;"),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_declarations_refused(tmp_path: Path, name: str) -> None:
    doctype, title = ATTACKS[name]
    path = write(tmp_path, DECL + doctype + "\n" + body(title))
    err = refused(path)
    assert "DOCTYPE or ENTITY declaration is not allowed" in err.message
    assert (err.line, err.column) == (2, 1)
    # The same with --strict, and through the library's convert().
    with pytest.raises(InputError):
        read(path, strict=True)
    out = tmp_path / "out.json"
    with pytest.raises(InputError):
        wpconvert.convert(path, "json", out)
    assert not out.exists()


@pytest.mark.parametrize("chunk", [1, 3, 8])
def test_declaration_split_over_reads_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 chunk: int) -> None:
    monkeypatch.setattr(reader_module, "CHUNK", chunk)
    doctype, title = ATTACKS["billion-laughs"]
    refused(write(tmp_path, DECL + doctype + "\n" + body(title)), limit=10)


def test_declaration_in_utf16_is_refused(tmp_path: Path) -> None:
    doctype, title = ATTACKS["external-file"]
    text = DECL.replace("UTF-8", "UTF-16") + doctype + "\n" + body(title)
    assert "DOCTYPE" in refused(write(tmp_path, text, encoding="utf-16")).message


def test_declaration_later_in_the_document_is_refused(tmp_path: Path) -> None:
    text = DECL + body().replace("<channel>", '<channel>\n<!DOCTYPE x [<!ENTITY e "boom">]>')
    err = refused(write(tmp_path, text))
    assert err.line == 4


def test_doctype_before_the_declaration_is_dropped_unexpanded(tmp_path: Path) -> None:
    # Junk before <?xml is dropped whole; an entity it declared is never defined.
    doctype, _ = ATTACKS["billion-laughs"]
    path = write(tmp_path, doctype + "\n" + DECL + body("&lol9;"))
    report = wpconvert.Report()
    (item,) = list(read(path, report=report).items())
    assert item.title == "&lol9;"  # the reference is text, not 10^9 "lol"s
    assert [r.kind for r in report.repairs] == ["leading-junk", "raw-ampersand"]


def _passwd_marker() -> str:
    try:
        first = Path("/etc/passwd").read_text().splitlines()[0]
    except (OSError, IndexError):
        return "root:x:0:0"
    return first.split(":")[0] + ":" + first.split(":")[1] + ":"


def test_local_file_never_read(tmp_path: Path) -> None:
    marker = _passwd_marker()
    # Undeclared references and XInclude, without any DOCTYPE: both stay inert.
    xinclude = ('<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" '
                'parse="text"/>\n')
    path = write(tmp_path, DECL + body("&xxe; &passwd;", "&xxe;<![CDATA[ok]]>", extra=xinclude))
    (item,) = list(read(path).items())
    assert item.title == "&xxe; &passwd;"
    assert item.content == "&xxe;ok"
    out = tmp_path / "out.json"
    wpconvert.convert(path, "json", out, keep_personal_data=True, include="all")
    assert marker not in out.read_text("utf-8")
    assert marker not in repr(item)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP server on 127.0.0.1 that should never be contacted."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def test_listener_sees_a_connection(listener: socket.socket) -> None:
    # The check below is only worth something if a connection would show.
    with socket.create_connection(listener.getsockname(), timeout=2):
        readable, _, _ = select.select([listener], [], [], 2)
    assert readable == [listener]


def test_no_network_access(tmp_path: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    cases = {
        "dtd": (f'<!DOCTYPE rss SYSTEM "{url}/evil.dtd">\n', body()),
        "entity": (f'<!DOCTYPE rss [<!ENTITY e SYSTEM "{url}/e">]>\n', body("&e;")),
        "parameter": (f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{url}/p"> %p;]>\n', body()),
        "stylesheet": (f'<?xml-stylesheet type="text/xsl" href="{url}/s.xsl"?>\n', body()),
        "xinclude": ("", body(extra=f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{url}/x"/>\n')),
        "schema": ("", body().replace(
            "<rss ", f'<rss xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                     f'xsi:schemaLocation="http://x {url}/schema.xsd" ')),
    }
    for name, (prolog, rss) in cases.items():
        path = write(tmp_path, DECL + prolog + rss, f"{name}.xml")
        try:
            list(read(path).items())
            wpconvert.convert(path, "json", tmp_path / f"{name}.json")
        except InputError:
            pass
    readable, _, _ = select.select([listener], [], [], 0.3)
    assert readable == [], "something connected to the listener"


def _run_isolated(code: str, path: Path, timeout: float) -> dict[str, Any]:
    """Run ``code`` (which reads ``sys.argv[1]`` and prints one JSON line) in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), str(path)],
        capture_output=True, text=True, timeout=timeout, cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]  # no crash, no traceback
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


READ_ONE = """
    import json, resource, sys, time
    from wpconvert.errors import InputError
    from wpconvert.reader import read
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        items = list(read(sys.argv[1]).items())
        result = {"items": len(items), "content": len(items[0].content) if items else -1,
                  "same": bool(items) and set(items[0].content) <= set("xyz")}
    except InputError as exc:
        result = {"error": str(exc)}
    result["seconds"] = time.perf_counter() - start
    result["grew_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps(result))
"""


def test_deep_nesting_outside_cdata(tmp_path: Path) -> None:
    depth = 10_000
    content = "<div>" * depth + "deep" + "</div>" * depth
    path = write(tmp_path, DECL + body(content=content))
    result = _run_isolated(READ_ONE, path, timeout=60)
    assert result["seconds"] < 10
    if "error" in result:
        assert result["error"].startswith(f"{path}:")
        assert "nested deeper than" in result["error"]
    else:
        assert result["items"] == 1


def test_huge_text_node(tmp_path: Path) -> None:
    size = 60 * 1024 * 1024
    path = tmp_path / "huge.xml"
    head, tail = (DECL + body(content="<![CDATA[@@]]>")).split("@@")
    with path.open("w", encoding="ascii") as fh:
        fh.write(head)
        block = "xyz" * (1 << 18)
        written = 0
        while written < size:
            fh.write(block)
            written += len(block)
        fh.write(tail)
    result = _run_isolated(READ_ONE, path, timeout=120)
    assert "error" not in result, result
    assert (result["items"], result["content"], result["same"]) == (1, written, True)
    assert result["seconds"] < 60
    # The text is held a few times over (lxml's buffer, the Python string), never more.
    grew_bytes = result["grew_kib"] * (1024 if sys.platform != "darwin" else 1)
    assert grew_bytes < 5 * size


def test_many_distinct_element_names_bounded(tmp_path: Path) -> None:
    names = "".join(f"<x{i}/>" for i in range(20_000))
    path = write(tmp_path, DECL + body(extra=names + "\n"))
    start = time.perf_counter()
    (item,) = list(read(path).items())
    assert item.id == 1
    assert time.perf_counter() - start < 10
    assert len(build_module._tag_cache) <= build_module._TAG_CACHE_MAX


def test_unclosed_tag_does_not_take_quadratic_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A tag that never ends must not be held back and rescanned read after read: with
    # 64 KiB reads, 16 MiB of it took seconds that way, and time grew with the square.
    monkeypatch.setattr(reader_module, "CHUNK", 1 << 16)
    path = tmp_path / "unclosed.xml"
    with path.open("w", encoding="ascii") as fh:
        fh.write(DECL + RSS + "<channel><wp:wxr_version>1.2</wp:wxr_version><item><title a")
        for _ in range(16):
            fh.write("b" * (1 << 20))
    start = time.perf_counter()
    with pytest.raises(InputError):
        list(read(path).items())
    assert time.perf_counter() - start < 3

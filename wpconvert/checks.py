"""Checking an export without converting it: ``wpconvert check`` and :func:`check`.

One streaming pass reads the export(s) exactly as ``convert`` would, and everything that
would go wrong, or silently differ, in a conversion is reported as a *finding*
(a :class:`~wpconvert.report.Problem`): a stable code, a severity (``error``, ``warning`` or
``info``), a message, and the file and line (an item's findings carry the line its
``<item>`` starts on). Nothing is written.

Memory stays flat however large the export is: what must be cross-checked once every item
was seen (parents, featured images, links, media) goes to the on-disk SQLite table of a
:class:`~wpconvert.index.SiteIndex`, and is resolved there at the end.

Codes (see :data:`CODES`; the same table is printed by ``wpconvert check --list-codes``):

* ``WPC0xx`` the input: unreadable (``WPC001``; the CLI exits 2), not a WXR export
  (``WPC002``), repairs the reader had to make to parse it (``WPC010``–``WPC019``);
* ``WPC1xx`` comments and the header, as the reader reports them;
* ``WPC2xx`` references inside the export: parents, featured images, terms, authors,
  attachment ids in content, duplicate ids and slugs;
* ``WPC3xx`` links to the site's own pages and media that nothing in the export answers;
* ``WPC4xx`` content the converter does not know: unknown shortcodes and blocks.
"""


from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from pathlib import Path

from . import inputs as _inputs
from .errors import InputError, UsageError
from .findings import CODES, KNOWN_VERSIONS, REPAIR_CODES, SEVERITIES, CheckResult
from .reader import Export
from .report import Problem, Report

__all__ = ["CODES", "SEVERITIES", "CheckResult", "Finding", "check"]

Finding = Problem
"""A finding is a :class:`~wpconvert.report.Problem`: code, severity, message, file, line."""

def _input_finding(exc: InputError) -> Problem:
    if "WXR version" in exc.message:
        return Problem("WPC002", "error", exc.message, exc.file, exc.line)
    where = f" (column {exc.column})" if exc.column else ""
    return Problem("WPC001", "error", exc.message + where, exc.file, exc.line)


def _crash(exc: Exception, file: str, tail: str = "") -> Problem:
    return Problem("WPC499", "error", f"cannot be read: {type(exc).__name__}: {exc} (a wpconvert bug){tail}", file)


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(code, p) for p in patterns)


def _ignore_patterns(ignore: Iterable[str]) -> list[str]:
    patterns: list[str] = []
    for value in ignore:
        patterns.extend(p.strip().upper() for p in str(value).split(",") if p.strip())
    for p in patterns:
        if not any(fnmatch.fnmatchcase(code, p) for code in CODES):
            raise UsageError(f"--ignore: {p} matches no finding code (see wpconvert check --list-codes)")
    return patterns


def check(
    inputs: str | Path | Iterable[str | Path],
    *,
    ignore: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
) -> CheckResult:
    """Check WXR export(s) without converting them; return the findings.

    ``inputs`` are read as :func:`~wpconvert.reader.read` reads them (files, folders,
    archives; several inputs are one export). An input that cannot be read becomes a
    ``WPC001`` (``WPC002`` when it is XML but no WXR) finding and the others are still checked:
    :func:`check` raises only :class:`~wpconvert.errors.UsageError`, for an empty ``inputs`` or
    an ``ignore`` pattern that matches no code. ``ignore`` holds codes or shell patterns
    (``WPC4*``) to leave out. ``progress(n)`` is called with the number of items read.
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    names = list(inputs)
    if not names:
        raise UsageError("no export given")
    patterns = _ignore_patterns(ignore)
    result = CheckResult()
    found: list[Problem] = []
    sources: list[_inputs.Source] = []
    for name in names:
        try:
            sources.extend(_inputs.expand([name]))
        except InputError as exc:
            found.append(_input_finding(exc))
    good: list[_inputs.Source] = []
    for src in sources:
        result.files.append(src.name)
        try:
            Export([src], Report(), strict=False)  # the header alone: is this a WXR at all?
        except InputError as exc:
            found.append(_input_finding(exc))
        except Exception as exc:  # noqa: BLE001 - a reader bug must not end the check
            found.append(_crash(exc, src.name))
            result.unreadable = True
        else:
            good.append(src)
    if good:
        _check_export(good, result, found, progress)
    result.unreadable = result.unreadable or any(f.code == "WPC001" for f in found)
    order = {name: i for i, name in enumerate(result.files)}
    found = [f for f in found if not _matches(f.code, patterns)]
    found.sort(key=lambda f: (order.get(f.file, -1), f.line, f.code, f.message))
    result.findings = found
    return result


def _check_export(
    sources: list[_inputs.Source], result: CheckResult, found: list[Problem],
    progress: Callable[[int], None] | None,
) -> None:
    report = result.report
    try:
        export = Export(sources, report, strict=False)
    except InputError as exc:  # each header was read alone before; this is a file that changed
        found.append(_input_finding(exc))
        return
    except Exception as exc:  # noqa: BLE001 - a reader bug must not end the check
        found.append(_crash(exc, sources[0].name))
        result.unreadable = True
        return
    version = export.site.wxr_version
    if version not in KNOWN_VERSIONS:
        found.append(Problem("WPC003", CODES["WPC003"][0], f"WXR version {version}: wpconvert knows 1.0, 1.1 and 1.2",
                             sources[0].name, 0))
    # Imported here: the checks read content (shortcodes, blocks, media), which conversions
    # to JSON and info runs never load.
    from .checker import _Checker

    checker = _Checker(export.site)
    try:
        complete = True
        where = sources[0].name
        try:
            for item in export.items():
                result.items += 1
                if progress is not None:
                    progress(result.items)
                where = item.source.file if item.source else where
                checker.add(item)
        except InputError as exc:
            complete = False
            finding = _input_finding(exc)
            found.append(Problem(finding.code, finding.severity,
                                 finding.message + f"; {exc.items_read} items read, references not checked",
                                 finding.file, finding.line))
        except Exception as exc:  # noqa: BLE001 - a reader bug must not end the check
            complete = False
            found.append(_crash(exc, where, f"; {result.items} items read, references not checked"))
            result.unreadable = True
        if complete:
            checker.finish()
            found.extend(checker.findings)
    finally:
        checker.close()
    for r in report.repairs:
        code = REPAIR_CODES.get(r.kind, "WPC019")
        message = f"{r.detail} ({r.kind})" if r.detail else r.kind
        found.append(Problem(code, CODES[code][0], message, r.file, r.line))
    for kind, n in sorted(report.repairs_not_listed.items()):
        code = REPAIR_CODES.get(kind, "WPC019")
        found.append(Problem(code, CODES[code][0], f"{n} more {kind} repairs (not listed)"))
    found.extend(report.problems)


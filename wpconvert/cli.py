"""The ``wpconvert`` command line: a thin layer over the library.

Each command parses its arguments, calls the library and turns its errors into a one-line
message. Exit codes: 0 done, 1 done with problems, 2 usage error or unreadable input.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from . import writers as _writers
from .api import convert as _convert
from .api import info as _info
from .errors import UsageError, WPConvertError
from .options import INCLUDE_CHOICES, Options, from_mapping
from .report import Report

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class _Progress:
    """A one-line item counter on stderr, only when stderr is a terminal."""

    def __init__(self, quiet: bool, label: str) -> None:
        self.on = not quiet and sys.stderr.isatty()
        self.label = label

    def __call__(self, n: int) -> None:
        if self.on and n % 50 == 0:
            click.echo(f"\r{self.label}: {n:,} items", nl=False, err=True)

    def done(self) -> None:
        if self.on:
            click.echo("\r\033[K", nl=False, err=True)


def _fail(exc: BaseException) -> None:
    """Print one line for ``exc`` and exit 2 (130 for Ctrl-C). A bug is no excuse for a
    traceback: set WPCONVERT_DEBUG=1 to see it."""
    if isinstance(exc, KeyboardInterrupt):
        click.echo("wpconvert: interrupted", err=True)
        sys.exit(130)
    if isinstance(exc, WPConvertError):
        message = " ".join(str(exc).split())
        click.echo(f"wpconvert: error: {message}", err=True)
    else:
        if os.environ.get("WPCONVERT_DEBUG"):
            raise exc
        detail = " ".join(str(exc).split())[:300]
        click.echo(
            f"wpconvert: internal error: {type(exc).__name__}: {detail} "
            "(a bug in wpconvert; rerun with WPCONVERT_DEBUG=1 for details)",
            err=True,
        )
    sys.exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="wpconvert")
def main() -> None:
    """Convert WordPress exports (WXR) to Markdown, JSON, Hugo and Jekyll sites."""


def _config_values(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise UsageError(f"--config {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"--config {path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"--config {path}: must be a mapping of option names to values")
    return data


def _config_str(values: dict[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise UsageError(f"--config: {key!r} takes a text value, not {value!r}")
    return value


def _config_list(values: dict[str, Any], key: str) -> list[str]:
    value = values.get(key)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise UsageError(f"--config: {key!r} takes a path or a list of paths, not {value!r}")
    return list(items)


def _config_flag(values: dict[str, Any], key: str) -> bool:
    value = values.get(key, False)
    if not isinstance(value, bool):
        raise UsageError(f"--config: {key!r} takes true or false, not {value!r}")
    return value


@main.command()
@click.argument("exports", nargs=-1, type=click.Path(), required=False)
@click.option("-f", "--format", "fmt", default=None, help="Output format (see `wpconvert formats`). Default: json.")
@click.option("-o", "--output", default=None, type=click.Path(), help="Output folder (a file for json/jsonl).")
@click.option("--config", "config", type=click.Path(), help="Read options from a YAML file; options given here override it.")
@click.option("--strict/--no-strict", default=None, help="Fail on broken XML instead of repairing it.")
@click.option("--include", default=None, help=f"Also publish: {', '.join(INCLUDE_CHOICES)} or all (comma-separated).")
@click.option("--keep-personal-data/--no-keep-personal-data", default=None, help="Keep commenter and author e-mail addresses and IPs.")
@click.option("--shortcodes", type=click.Choice(["keep", "strip"]), default=None, help="Unknown shortcodes: keep verbatim or strip.")
@click.option("--layout", type=click.Choice(["file", "folder"]), default=None, help="Markdown: a file per post or a folder per post.")
@click.option("--date-folders", type=click.Choice(["none", "year", "year/month"]), default=None, help="Markdown: date folders.")
@click.option("--date-prefix/--no-date-prefix", default=None, help="Markdown: YYYY-MM-DD- file name prefix.")
@click.option("--group-by-type/--no-group-by-type", default=None, help="Markdown: a folder per post type.")
@click.option("--comments", type=click.Choice(["front-matter", "sidecar"]), default=None, help="Markdown: where comment threads go.")
@click.option("--site-skeleton/--no-site-skeleton", default=None, help="Hugo/Jekyll: also write config and minimal layouts.")
@click.option("--keep-permalinks/--no-keep-permalinks", default=None, help="Hugo/Jekyll: serve every item at its old path.")
@click.option("--media", type=click.Choice(["none", "link", "download"]), default=None, help="Media: leave, link remote, or download.")
@click.option("--media-jobs", type=int, default=None, help="Parallel media downloads (default 8).")
@click.option("--media-from", type=click.Path(), default=None, help="A local copy of wp-content/uploads to take files from.")
@click.option("--media-host", "media_hosts", multiple=True, help="Another host media may be fetched from.")
@click.option("--max-media-size", type=int, default=None, help="Largest media file in bytes.")
@click.option("--offline/--no-offline", default=None, help="Download nothing (use --media-from only).")
@click.option("--allow-media-errors/--no-allow-media-errors", default=None, help="Exit 0 even when media downloads failed.")
@click.option("-j", "--jobs", type=int, default=None, help="Worker processes for conversion.")
@click.option("--force/--no-force", default=None, help="Write into a non-empty folder wpconvert did not write.")
@click.option("--report", "report_path", type=click.Path(), default=None, help="Write the run report as JSON here.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def convert(exports: tuple[str, ...], fmt: str | None, output: str | None, config: str | None,
            report_path: str | None, quiet: bool, **given: Any) -> None:
    """Convert EXPORTS (files, folders, .zip/.gz/.bz2) to another format."""
    try:
        values = _config_values(config)
        inputs = list(exports) or _config_list(values, "inputs") or _config_list(values, "exports")
        fmt = fmt or _config_str(values, "format") or "json"
        output = output or _config_str(values, "output")
        report_path = report_path or _config_str(values, "report")
        quiet = quiet or _config_flag(values, "quiet")
        for k in ("inputs", "exports", "format", "output", "report", "quiet"):
            values.pop(k, None)
        opts = from_mapping(values)
        cli_values = {k: v for k, v in given.items() if v is not None and v != ()}
        opts = from_mapping(cli_values, opts)
        if not inputs:
            raise UsageError("no export given (name one or more WXR files, or `inputs:` in --config)")
        if output is None:
            output = "export.json" if fmt == "json" else "export.jsonl" if fmt == "jsonl" else "wpconvert-out"
        if report_path and not Path(report_path).resolve().parent.is_dir():
            raise UsageError(f"--report {report_path}: its folder does not exist")
        progress = _Progress(quiet, "converting")
        report = _convert(inputs, str(fmt), output, options=opts, progress=progress)
        progress.done()
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - one line, never a traceback
        _fail(exc)
        return
    if report_path:
        try:
            Path(report_path).write_text(report.to_json(), "utf-8")
        except OSError as exc:
            _fail(UsageError(f"--report {report_path}: cannot write: {exc.strerror}"))
    if not quiet:
        _print_summary(report, str(output))
    sys.exit(_exit_code(report, opts))


def _exit_code(report: Report, opts: Options) -> int:
    errors = [p for p in report.problems if p.severity == "error"]
    if opts.allow_media_errors:
        errors = [p for p in errors if not p.code.startswith("WPC5")]
    return EXIT_PROBLEMS if errors else EXIT_OK


def _print_summary(report: Report, output: str) -> None:
    written = sum(1 for e in report.entries if e.action == "written")
    skipped: dict[str, int] = {}
    for e in report.entries:
        if e.action == "skipped":
            skipped[e.reason] = skipped.get(e.reason, 0) + 1
    click.echo(f"wrote {written} items to {output} ({report.files_written} files)", err=True)
    for reason, n in sorted(skipped.items()):
        click.echo(f"  skipped {n}: {reason}", err=True)
    if report.repair_count:
        click.echo(f"  repaired {report.repair_count} problems in the input (see --report)", err=True)
        for r in report.repairs[:5]:
            click.echo(f"    {r.file}:{r.line}: {r.kind}: {r.detail}", err=True)
    for p in report.problems[:20]:
        click.echo(f"  {p.severity} {p.code}: {p.message}", err=True)
    if len(report.problems) > 20:
        click.echo(f"  … and {len(report.problems) - 20} more problems (see --report)", err=True)


@main.command()
@click.argument("exports", nargs=-1, type=click.Path(), required=True)
@click.option("--strict", is_flag=True, help="Fail on broken XML instead of repairing it.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def info(exports: tuple[str, ...], strict: bool, as_json: bool, quiet: bool) -> None:
    """Count what EXPORTS hold: items per type and status, comments, authors, terms, repairs."""
    try:
        progress = _Progress(quiet, "reading")
        result = _info(list(exports), strict=strict, progress=progress)
        progress.done()
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - one line, never a traceback
        _fail(exc)
        return
    data = result.to_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    s = data["site"]
    click.echo(f"{s['title']} ({s['link']}) WXR {s['wxr_version']}, {s['generator']}")
    click.echo(f"items: {data['items']}")
    for k, v in data["by_status"].items():
        click.echo(f"  {k}: {v}")
    click.echo(f"comments: {sum(data['comments'].values())}")
    for k, v in data["comments"].items():
        click.echo(f"  {k}: {v}")
    click.echo(f"authors: {data['authors']}")
    click.echo(f"terms: {', '.join(f'{k} {v}' for k, v in data['taxonomies'].items()) or 'none'}")
    click.echo(f"attachments: {data['attachments']}")
    click.echo(f"repairs needed: {len(data['repairs'])}")
    for r in data["repairs"][:20]:
        click.echo(f"  {r['file']}:{r['line']}: {r['kind']}: {r['detail']}")


@main.command()
def formats() -> None:
    """List the output formats (writers), built-in and plugins."""
    try:
        found = _writers.available()
    except UsageError as exc:
        _fail(exc)
        return
    for name, cls in found.items():
        click.echo(f"{name:10} {cls.description}")
    for name, why in sorted(_writers.broken.items()):
        click.echo(f"{name:10} (plugin failed to load: {why})")


from .cli_check import check as _check_command  # noqa: E402

main.add_command(_check_command)

if __name__ == "__main__":  # pragma: no cover
    main()

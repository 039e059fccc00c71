"""The ``wpconvert`` command line: a thin layer over the library.

Each command parses its arguments, calls the library and turns its errors into a one-line
message. Exit codes: 0 done, 1 done with problems, 2 usage error or unreadable input.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from . import writers as _writers
from .api import convert as _convert
from .api import info as _info
from .checks import check as _check
from .errors import UsageError, WPConvertError
from .findings import CODES, SEVERITIES, CheckResult
from .options import INCLUDE_CHOICES, Options, from_mapping
from .report import Problem, Report

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


# Click 8.2+: a bare ``wpconvert`` raises this to show the help text (8.1 shows it and exits).
_NO_ARGS_IS_HELP: tuple[type[Exception], ...] = tuple(
    t for t in [getattr(click.exceptions, "NoArgsIsHelpError", None)] if t is not None)


def _param_names(exc: click.BadParameter) -> str:
    """``--layout``, ``-j/--jobs`` or ``EXPORTS``: the parameter a bad value was given to."""
    if exc.param_hint is not None:
        hint = exc.param_hint
        return hint if isinstance(hint, str) else "/".join(hint)
    if exc.param is not None:
        return "/".join(exc.param.opts) if exc.param.opts else exc.param.human_readable_name
    return ""


def _usage_message(exc: click.UsageError) -> str:
    """One line for a usage error Click found: ``CMD: --opt: what is wrong (see CMD --help)``."""
    ctx = exc.ctx
    names = _param_names(exc) if isinstance(exc, click.BadParameter) else ""
    if names and not isinstance(exc, click.MissingParameter):
        message = f"{names}: {exc.message}"
    else:
        message = exc.format_message()
    message = " ".join(message.split()).rstrip(".")
    message = message.replace(". Did you mean", "; did you mean").replace(". (Did you mean", " (did you mean")
    if message[:2].istitle():  # "No such option" -> "no such option"; "URL" stays
        message = message[0].lower() + message[1:]
    if ctx is None:
        return f"wpconvert: error: {message}"
    where = f"{ctx.info_name}: " if ctx.parent is not None else ""
    return f"wpconvert: error: {where}{message} (see {ctx.command_path} --help)"


class _Command(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:  # the parser's own ("--layout requires an argument")
            exc.ctx = exc.ctx or ctx  # name the command they concern
            raise


class _Main(click.Group):
    """The ``wpconvert`` group: Click's own usage errors (an unknown option, a value a
    parameter does not take, a missing argument) are one line on stderr and exit 2, like
    every other error; ``--help`` is unchanged."""

    command_class = _Command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = exc.ctx or ctx
            raise

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            if isinstance(exc, _NO_ARGS_IS_HELP):  # a bare `wpconvert`: the help text
                exc.show()
                sys.exit(exc.exit_code)
            click.echo(_usage_message(exc), err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            click.echo(f"wpconvert: error: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:  # Ctrl-C (or end of input) while Click was parsing
            click.echo("wpconvert: interrupted", err=True)
            sys.exit(130)
        # What standalone mode does: a command that returns has succeeded; --help and
        # --version return their exit code.
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="wpconvert")
def main() -> None:
    """Convert WordPress exports (WXR) to Markdown, JSON, Hugo and Jekyll sites."""


def _config_values(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    # Imported here: JSON and info runs need no YAML (a few hundredths of a second to load).
    from .frontmatter import YAMLError
    from .frontmatter import load as load_yaml

    try:
        data = load_yaml(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise UsageError(f"--config {path}: {exc.strerror}") from None
    except YAMLError as exc:
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
        if report_path:
            try:
                Path(report_path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"--report {report_path}: cannot create its folder: {exc.strerror}") from None
        progress = _Progress(quiet, "converting")
        report = _convert(inputs, str(fmt), output, options=opts, progress=progress)
        progress.done()
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - one line, never a traceback
        _fail(exc)
        return
    if report_path:
        try:
            with open(report_path, "w", encoding="utf-8") as fh:
                report.write_json(fh)
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


# -- wpconvert check ------------------------------------------------------------------------

_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(f: Problem) -> str:
    """A GitHub Actions workflow command for one finding (``::error file=F,line=L,title=CODE::msg``)."""
    props = []
    if f.file:
        props.append(f"file={_gh_property(f.file)}")
        if f.line:
            props.append(f"line={f.line}")
    props.append(f"title={_gh_property(f.code)}")
    return f"::{_GITHUB_LEVEL.get(f.severity, 'notice')} {','.join(props)}::{_gh_data(f.message)}"


def text_line(f: Problem) -> str:
    """``FILE:LINE: severity CODE: message`` (the location left out where unknown)."""
    where = f.file + (f":{f.line}" if f.line else "") if f.file else ""
    return f"{where + ': ' if where else ''}{f.severity} {f.code}: {f.message}"


def _print(result: CheckResult, fmt: str, fail_on: str) -> None:
    if fmt == "json":
        data = result.to_dict()
        data["exit_code"] = result.exit_code(fail_on)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    line = github_annotation if fmt == "github" else text_line
    for f in result.findings:
        click.echo(line(f))


def _list_codes() -> None:
    for code, (severity, title) in CODES.items():
        click.echo(f"{code}  {severity:7}  {title}")


@main.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("exports", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="text: FILE:LINE: severity CODE: message; json: one document; github: Actions annotations.")
@click.option("--fail-on", type=click.Choice(list(SEVERITIES)), default="error", show_default=True,
              help="Exit 1 when a finding is this severe or more.")
@click.option("--ignore", multiple=True, metavar="CODE",
              help="Leave out findings with this code (or pattern: WPC4*); repeatable, comma-separated.")
@click.option("--list-codes", is_flag=True, help="List the finding codes and exit.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line and no progress display.")
def check(exports: tuple[str, ...], fmt: str, fail_on: str, ignore: tuple[str, ...], list_codes: bool,
          quiet: bool) -> None:
    """Check EXPORTS without converting them: broken XML, missing references, links and media
    nothing in the export answers, unknown shortcodes and blocks.

    Exit 0 when nothing fails, 1 when a finding is at least as severe as --fail-on, 2 for a
    usage error or an input that cannot be read.
    """
    if list_codes:
        _list_codes()
        return
    if not exports:
        click.echo("wpconvert: error: no export given (name one or more WXR files)", err=True)
        sys.exit(EXIT_USAGE)
    progress = _Progress(quiet or fmt != "text", "checking")
    try:
        result = _check(list(exports), ignore=ignore, progress=progress)
    except UsageError as exc:
        progress.done()
        click.echo(f"wpconvert: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    progress.done()
    _print(result, fmt, fail_on)
    if not quiet and fmt != "json":
        click.echo(result.summary(), err=True)
    sys.exit(result.exit_code(fail_on))


if __name__ == "__main__":  # pragma: no cover
    main()

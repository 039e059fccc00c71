"""``wpconvert check``: validate exports without writing anything.

Registered on the main group in :mod:`wpconvert.cli` (``main.add_command(check)``). This
module does not import :mod:`wpconvert.cli`, so that either can be imported first.

Exit codes follow the CLI's convention: 0 nothing failing found, 1 findings at or above
``--fail-on`` (errors by default), 2 a usage error or an input that cannot be read.
"""

from __future__ import annotations

import json
import sys

import click

from .checks import check as _check
from .errors import UsageError
from .findings import CODES, SEVERITIES, CheckResult
from .report import Problem

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
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


class _Progress:
    def __init__(self, quiet: bool) -> None:
        self.on = not quiet and sys.stderr.isatty()

    def __call__(self, n: int) -> None:
        if self.on and n % 50 == 0:
            click.echo(f"\rchecking: {n:,} items", nl=False, err=True)

    def done(self) -> None:
        if self.on:
            click.echo("\r\033[K", nl=False, err=True)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    progress = _Progress(quiet or fmt != "text")
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

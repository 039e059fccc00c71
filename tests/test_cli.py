"""The command line as a user meets it: exit codes, one-line errors, --quiet, --report,
--help, and progress only on a terminal.

Exit codes: 0 done, 1 done with problems (errors in the report), 2 a usage error or an input
or output that cannot be used. Every error the tool means to report is one line on stderr,
``wpconvert: error: …``, never a traceback. Commands run in a subprocess (``python -m
wpconvert.cli``) so that what reaches the terminal is exactly what a user sees.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from wpconvert.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
STATUSES = FIXTURES / "statuses.xml"
CLASSIC = FIXTURES / "classic.xml"
BROKEN = FIXTURES / "broken.xml"
TIMEOUT = 120


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("COLUMNS", None)
    return env


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``wpconvert ARGS`` with stdin closed and stdout/stderr captured (not a TTY)."""
    return subprocess.run(
        [sys.executable, "-m", "wpconvert.cli", *map(str, args)], cwd=cwd, env=_env(),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT,
    )


def cli_on_tty(*args: str | Path, cwd: Path) -> tuple[int, str]:
    """Run ``wpconvert ARGS`` with stderr on a pseudo-terminal; return (exit code, what it showed)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wpconvert.cli", *map(str, args)], cwd=cwd, env=_env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
        )
        os.close(slave)
        chunks: list[bytes] = []
        while True:
            ready, _, _ = select.select([master], [], [], TIMEOUT)
            if not ready:
                proc.kill()
                raise AssertionError("no output from the command on the terminal")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the other side closed
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(TIMEOUT)
    finally:
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, nothing on stdout, exactly one ``wpconvert: error:`` line on stderr."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("wpconvert: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert result.stdout == ""
    return lines[0]


# -- exit code 0 -------------------------------------------------------------------------
def test_success_exits_0_with_a_summary(tmp_path: Path) -> None:
    result = cli("convert", STATUSES, "-o", "site.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    json.loads((tmp_path / "site.json").read_text("utf-8"))
    assert "wrote 5 items to site.json" in result.stderr  # json keeps drafts and auto-drafts
    assert "skipped" in result.stderr
    assert result.stdout == ""


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    result = cli("convert", BROKEN, "-f", "markdown", "-o", "out", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""
    assert (tmp_path / "out" / ".wpconvert-manifest.json").is_file()


def test_report_json(tmp_path: Path) -> None:
    result = cli("convert", BROKEN, "-o", "b.json", "-q", "--report", "report.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert set(report) >= {"totals", "repairs", "problems", "items", "media"}
    kinds = {r["kind"] for r in report["repairs"]}
    assert {"leading-junk", "control-char", "raw-ampersand", "cdata-terminator"} <= kinds, kinds
    assert all(r["file"].endswith("broken.xml") and r["line"] > 0 for r in report["repairs"])
    assert [i["action"] for i in report["items"]] == ["written"]
    assert report["totals"]["written"] == 1


def test_report_lists_skipped_items_in_export_order(tmp_path: Path) -> None:
    result = cli("convert", STATUSES, "-f", "markdown", "-o", "out", "-q", "--report", "r.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    items = json.loads((tmp_path / "r.json").read_text("utf-8"))["items"]
    assert [i["id"] for i in items] == [1, 2, 3, 4, 5, 6, 7, 8]
    skipped = {i["id"]: i["reason"] for i in items if i["action"] == "skipped"}
    assert set(skipped) == {5, 6, 7, 8}
    assert "--include private" in skipped[5] and "--include protected" in skipped[6]


# -- exit code 1 -------------------------------------------------------------------------
def test_problems_exit_1_and_allow_media_errors_exit_0(tmp_path: Path) -> None:
    # Media downloads that fail (here: --offline with no local copy) are errors in the report.
    result = cli("convert", CLASSIC, "-f", "markdown", "-o", "out", "--media", "download", "--offline",
                 "--report", "r.json", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    assert "error WPC501" in result.stderr
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert any(p["code"] == "WPC501" and p["severity"] == "error" for p in report["problems"])
    # Still a complete result: pages written, manifest in place.
    assert (tmp_path / "out" / ".wpconvert-manifest.json").is_file()

    again = cli("convert", CLASSIC, "-f", "markdown", "-o", "out", "--media", "download", "--offline",
                "--allow-media-errors", "-q", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""


# -- exit code 2: one line each ----------------------------------------------------------
def test_missing_input(tmp_path: Path) -> None:
    assert_one_line_error(cli("convert", "nothere.xml", cwd=tmp_path), "nothere.xml", "no such file")


def test_not_a_wxr_file(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text('<?xml version="1.0"?>\n<rss version="2.0"><channel>\n'
                                       "<title>x</title></channel></rss>\n", "utf-8")
    line = assert_one_line_error(cli("convert", "feed.xml", cwd=tmp_path), "feed.xml", "WXR")
    assert "feed.xml:2:1" in line  # the <channel> that has no version


def test_broken_xml_names_file_line_and_column(tmp_path: Path) -> None:
    text = STATUSES.read_text("utf-8").replace("</wp:post_id>", "</wp:post_idx>", 1)
    (tmp_path / "bad.xml").write_text(text, "utf-8")
    line_no = next(n for n, line in enumerate(text.splitlines(), 1) if "</wp:post_idx>" in line)
    line = assert_one_line_error(cli("convert", "bad.xml", "-o", "x.json", cwd=tmp_path))
    assert f"bad.xml:{line_no}:" in line, line
    assert not (tmp_path / "x.json").exists()


def test_doctype_refused(tmp_path: Path) -> None:
    text = STATUSES.read_text("utf-8").replace("<rss", '<!DOCTYPE rss [<!ENTITY a "b">]>\n<rss', 1)
    (tmp_path / "dtd.xml").write_text(text, "utf-8")
    assert_one_line_error(cli("convert", "dtd.xml", cwd=tmp_path), "dtd.xml:3:", "DOCTYPE")


def test_strict_refuses_repairs(tmp_path: Path) -> None:
    line = assert_one_line_error(cli("convert", BROKEN, "--strict", cwd=tmp_path), "broken.xml:")
    assert "--strict" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("-f", "nope"), "unknown format 'nope'"),
        (("--include", "everything"), "--include: unknown everything"),
        (("-j", "-3"), "jobs"),
    ],
    ids=["format", "include", "jobs"],
)
def test_bad_options(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    assert_one_line_error(cli("convert", STATUSES, *args, cwd=tmp_path), needle)


def test_bad_config(tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text("- a\n", "utf-8")
    (tmp_path / "broken.yaml").write_text("a: [\n", "utf-8")
    (tmp_path / "typo.yaml").write_text("inclde: private\n", "utf-8")
    assert_one_line_error(cli("convert", STATUSES, "--config", "list.yaml", cwd=tmp_path), "list.yaml")
    assert_one_line_error(cli("convert", STATUSES, "--config", "broken.yaml", cwd=tmp_path), "not valid YAML")
    assert_one_line_error(cli("convert", STATUSES, "--config", "typo.yaml", cwd=tmp_path), "inclde")
    assert_one_line_error(cli("convert", STATUSES, "--config", "nothere.yaml", cwd=tmp_path), "nothere.yaml")


def test_no_export_given(tmp_path: Path) -> None:
    assert_one_line_error(cli("convert", cwd=tmp_path), "no export given")


def test_foreign_output_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine", "utf-8")
    assert_one_line_error(cli("convert", STATUSES, "-f", "markdown", "-o", "out", cwd=tmp_path),
                          "out", "notes.txt", "--force")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["notes.txt"]


def test_output_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x", "utf-8")
    assert_one_line_error(cli("convert", STATUSES, "-f", "markdown", "-o", "taken", cwd=tmp_path), "taken")


@pytest.mark.parametrize(
    ("fmt", "output"),
    [("json", "folder"), ("json", "file/x.json"), ("markdown", "file/x")],
    ids=["json-onto-folder", "json-under-file", "markdown-under-file"],
)
def test_unusable_output_path(tmp_path: Path, fmt: str, output: str) -> None:
    """An output path that cannot be created is a one-line error, not a traceback."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x", "utf-8")
    result = cli("convert", STATUSES, "-f", fmt, "-o", output, "-q", cwd=tmp_path)
    assert_one_line_error(result, output.split("/")[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"]
    assert list((tmp_path / "folder").iterdir()) == []


def test_unwritable_report_path(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder", "utf-8")
    result = cli("convert", STATUSES, "-o", "a.json", "-q", "--report", "afile/r.json", cwd=tmp_path)
    assert_one_line_error(result, "afile/r.json")


def test_report_folder_is_created(tmp_path: Path) -> None:
    # Like -o, --report creates the folders it names (the README's first command relies on it).
    result = cli("convert", STATUSES, "-o", "a.json", "-q", "--report", "new/dir/r.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "new/dir/r.json").read_text("utf-8"))["totals"]["written"] >= 1


def test_info_errors_are_one_line(tmp_path: Path) -> None:
    assert_one_line_error(cli("info", "nothere.xml", cwd=tmp_path), "nothere.xml")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("convert", CLASSIC, "--layout", "bogus"),
         ("convert: --layout: 'bogus' is not one of 'file', 'folder'", "convert --help)")),
        (("convert", CLASSIC, "--no-such-option"), ("convert: ", "no such option", "'--no-such-option'")),
        (("convert", CLASSIC, "--formt", "json"), ("'--formt'", "'--format'")),
        (("convert", CLASSIC, "-j", "abc"), ("convert: -j/--jobs: 'abc' is not a valid integer",)),
        (("convert", CLASSIC, "--media-jobs", "1.5"), ("--media-jobs: '1.5'",)),
        (("convert", CLASSIC, "--layout"), ("convert: ", "'--layout' requires an argument")),
        (("info",), ("info: missing argument", "EXPORTS", "info --help)")),
        (("info", CLASSIC, "--strikt"), ("info: ", "'--strikt'")),
        (("check", CLASSIC, "--format", "xml"), ("check: --format: 'xml' is not one of", "check --help)")),
        (("check", CLASSIC, "--fail-on", "never"), ("check: --fail-on: 'never'",)),
        (("formats", "extra"), ("formats: ", "unexpected extra argument", "extra")),
        (("nosuch",), ("no such command 'nosuch'", "--help)")),
        (("--bogus",), ("no such option", "'--bogus'")),
    ],
    ids=["choice", "unknown-option", "option-typo", "not-an-int", "media-jobs-float", "missing-value",
         "missing-argument", "info-unknown-option", "check-choice", "check-fail-on", "formats-extra",
         "unknown-command", "top-level-option"],
)
def test_click_usage_errors_are_one_line(tmp_path: Path, args: tuple[str | Path, ...],
                                         needles: tuple[str, ...]) -> None:
    """Click's own checks (bad values, unknown options, missing arguments) give one line and
    exit 2 too, never Click's usage block."""
    line = assert_one_line_error(cli(*args, cwd=tmp_path), *needles)
    assert "Usage:" not in line and "Try " not in line
    assert not list(tmp_path.iterdir())  # nothing was converted


def test_click_usage_errors_in_process() -> None:
    # The same through main() called in-process (as the entry point script does).
    result = CliRunner().invoke(main, ["convert", str(CLASSIC), "--layout", "bogus"], prog_name="wpconvert")
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        "wpconvert: error: convert: --layout: 'bogus' is not one of 'file', 'folder' "
        "(see wpconvert convert --help)"
    ]


def test_bare_command_still_shows_help(tmp_path: Path) -> None:
    result = cli(cwd=tmp_path)
    assert "Traceback" not in result.stderr
    shown = result.stdout + result.stderr
    assert shown.startswith("Usage: ") and "convert" in shown and "check" in shown


# -- --help on every command ---------------------------------------------------------------
def test_help_on_every_command() -> None:
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0, top.output
    assert len(main.commands) >= 3
    for name, command in main.commands.items():
        assert name in top.output, f"{name} is not listed in wpconvert --help"
        for flag in ("--help", "-h"):
            result = runner.invoke(main, [name, flag])
            assert result.exit_code == 0, (name, result.output)
            assert result.output.startswith("Usage: "), (name, result.output)
            assert (command.help or "").split("\n")[0].strip()[:30] in " ".join(result.output.split()), name
            assert "Traceback" not in result.output


def test_help_in_a_subprocess(tmp_path: Path) -> None:
    result = cli("convert", "--help", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    for option in ("--format", "--output", "--include", "--keep-personal-data", "--force", "--report", "--quiet"):
        assert option in result.stdout, option


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "version" in result.output


# -- progress only on a terminal -------------------------------------------------------------
@pytest.fixture(scope="module")
def export_120(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bench.generate import generate

    path = tmp_path_factory.mktemp("cli") / "export.xml"
    generate(path, 120, seed=3)
    return path


def test_progress_on_a_terminal(tmp_path: Path, export_120: Path) -> None:
    code, shown = cli_on_tty("convert", export_120, "-o", "e.json", cwd=tmp_path)
    assert code == 0, shown
    assert "converting: 50 items" in shown and "converting: 100 items" in shown, shown
    assert "\r\x1b[K" in shown  # the counter is wiped before the summary
    assert "wrote " in shown


def test_no_progress_with_quiet_on_a_terminal(tmp_path: Path, export_120: Path) -> None:
    code, shown = cli_on_tty("convert", export_120, "-o", "e.json", "--quiet", cwd=tmp_path)
    assert code == 0, shown
    assert shown == ""


def test_no_progress_when_not_a_terminal(tmp_path: Path, export_120: Path) -> None:
    result = cli("convert", export_120, "-o", "e.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "converting:" not in result.stderr and "\r" not in result.stderr
    assert "\x1b" not in result.stderr
    assert result.stderr.startswith("wrote ")

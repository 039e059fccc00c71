"""Repeatable runs: ``wpconvert convert --config wpconvert.yaml``.

Every option can live in the YAML file (under its name, with ``_`` or ``-``), next to
``inputs``, ``format``, ``output`` and ``report``; options given on the command line override
the file; an unknown key or a value of the wrong type is a one-line usage error (exit 2).
The options a run ends up with are captured where the CLI hands them to the library.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

import wpconvert.cli as cli_module
from wpconvert.cli import main
from wpconvert.options import Options
from wpconvert.report import Report

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
CLASSIC = FIXTURES / "classic.xml"

# A value other than the default for every option, as YAML writes it, and as Options holds it.
YAML_VALUES: dict[str, tuple[Any, Any]] = {
    "strict": (True, True),
    "keep_personal_data": (True, True),
    "include": ("private,trash", frozenset({"private", "trash"})),
    "shortcodes": ("strip", "strip"),
    "layout": ("folder", "folder"),
    "date_folders": ("year/month", "year/month"),
    "date_prefix": (True, True),
    "group_by_type": (False, False),
    "comments": ("front-matter", "front-matter"),
    "site_skeleton": (True, True),
    "keep_permalinks": (True, True),
    "media": ("download", "download"),
    "media_jobs": (3, 3),
    "media_from": ("uploads-copy", "uploads-copy"),
    "media_hosts": (["cdn.example.com", "*.files.wordpress.com"], ("cdn.example.com", "*.files.wordpress.com")),
    "max_media_size": (1000, 1000),
    "offline": (True, True),
    "allow_media_errors": (True, True),
    "jobs": (2, 2),
    "force": (True, True),
}


class Captured:
    """What the CLI passed to the library's convert()."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    @property
    def options(self) -> Options:
        opts = self.calls[-1]["options"]
        assert isinstance(opts, Options)
        return opts


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    cap = Captured()

    def fake_convert(inputs: Any, fmt: str, output: Any, *, options: Options, progress: Any = None) -> Report:
        cap.calls.append({"inputs": inputs, "format": fmt, "output": output, "options": options})
        return Report()

    monkeypatch.setattr(cli_module, "_convert", fake_convert)
    return cap


def run(tmp_path: Path, config: Any, *args: str, raw: str | None = None) -> Result:
    path = tmp_path / "wpconvert.yaml"
    path.write_text(raw if raw is not None else yaml.safe_dump(config, sort_keys=False), "utf-8")
    return CliRunner().invoke(main, ["convert", "--config", str(path), "-q", *args])


def assert_usage_error(res: Result, *needles: str) -> None:
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    assert isinstance(res.exception, SystemExit), res.exception
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wpconvert: error: "), res.stderr
    for needle in needles:
        assert needle in lines[0]


def test_every_option_is_covered() -> None:
    fields = {f.name for f in dataclasses.fields(Options)} - {"extra"}
    assert fields == set(YAML_VALUES), "add the new option to YAML_VALUES (and its CLI flag to the overrides)"


def test_every_option_can_live_in_yaml(tmp_path: Path, captured: Captured) -> None:
    config: dict[str, Any] = {"inputs": [str(CLASSIC)], "format": "markdown", "output": str(tmp_path / "site")}
    config.update({k: v for k, (v, _) in YAML_VALUES.items()})
    res = run(tmp_path, config)
    assert res.exit_code == 0, res.output
    call = captured.calls[-1]
    assert call["inputs"] == [str(CLASSIC)] and call["format"] == "markdown"
    assert str(call["output"]) == str(tmp_path / "site")
    expected = dataclasses.replace(Options(), **{k: v for k, (_, v) in YAML_VALUES.items()})
    assert captured.options == expected


@pytest.mark.parametrize("name", sorted(YAML_VALUES))
def test_each_option_alone_with_dashes(tmp_path: Path, captured: Captured, name: str) -> None:
    yaml_value, expected = YAML_VALUES[name]
    res = run(tmp_path, {name.replace("_", "-"): yaml_value}, str(CLASSIC))
    assert res.exit_code == 0, res.output
    assert getattr(captured.options, name) == expected
    others = {f.name for f in dataclasses.fields(Options)} - {name}
    assert all(getattr(captured.options, o) == getattr(Options(), o) for o in others)


def test_inputs_and_exports_keys(tmp_path: Path, captured: Captured) -> None:
    assert run(tmp_path, {"exports": [str(CLASSIC)]}).exit_code == 0
    assert captured.calls[-1]["inputs"] == [str(CLASSIC)]
    # Named on the command line, the exports replace the file's.
    assert run(tmp_path, {"inputs": ["elsewhere.xml"]}, str(CLASSIC)).exit_code == 0
    assert captured.calls[-1]["inputs"] == [str(CLASSIC)]
    assert_usage_error(run(tmp_path, {"format": "json"}), "no export given")


# YAML value, command-line arguments, option, value the run gets.
OVERRIDES = [
    ({"layout": "folder"}, ["--layout", "file"], "layout", "file"),
    ({"date_prefix": True}, ["--no-date-prefix"], "date_prefix", False),
    ({"group_by_type": False}, ["--group-by-type"], "group_by_type", True),
    ({"include": "private"}, ["--include", "trash"], "include", frozenset({"trash"})),
    ({"shortcodes": "strip"}, ["--shortcodes", "keep"], "shortcodes", "keep"),
    ({"date_folders": "year"}, ["--date-folders", "none"], "date_folders", "none"),
    ({"comments": "front-matter"}, ["--comments", "sidecar"], "comments", "sidecar"),
    ({"media": "download"}, ["--media", "none"], "media", "none"),
    ({"media_jobs": 2}, ["--media-jobs", "5"], "media_jobs", 5),
    ({"media_from": "a"}, ["--media-from", "b"], "media_from", "b"),
    ({"media_hosts": ["a.example"]}, ["--media-host", "b.example", "--media-host", "c.example"], "media_hosts",
     ("b.example", "c.example")),
    ({"max_media_size": 10}, ["--max-media-size", "20"], "max_media_size", 20),
    ({"jobs": 2}, ["-j", "3"], "jobs", 3),
    ({"strict": False}, ["--strict"], "strict", True),
    ({"keep_personal_data": False}, ["--keep-personal-data"], "keep_personal_data", True),
    ({"site_skeleton": False}, ["--site-skeleton"], "site_skeleton", True),
    ({"keep_permalinks": False}, ["--keep-permalinks"], "keep_permalinks", True),
    ({"offline": False}, ["--offline"], "offline", True),
    ({"allow_media_errors": False}, ["--allow-media-errors"], "allow_media_errors", True),
    ({"force": False}, ["--force"], "force", True),
]


def test_every_option_has_an_override_case() -> None:
    assert {case[2] for case in OVERRIDES} == set(YAML_VALUES)


@pytest.mark.parametrize(("config", "args", "name", "expected"), OVERRIDES, ids=[c[2] for c in OVERRIDES])
def test_the_command_line_overrides_the_file(tmp_path: Path, captured: Captured, config: dict[str, Any],
                                             args: list[str], name: str, expected: Any) -> None:
    res = run(tmp_path, config, str(CLASSIC), *args)
    assert res.exit_code == 0, res.output
    assert getattr(captured.options, name) == expected


def test_options_not_given_keep_the_file_values(tmp_path: Path, captured: Captured) -> None:
    res = run(tmp_path, {"strict": True, "layout": "folder", "media_hosts": ["a.example"]}, str(CLASSIC),
              "--date-prefix")
    assert res.exit_code == 0, res.output
    opts = captured.options
    assert (opts.strict, opts.layout, opts.media_hosts, opts.date_prefix) == (True, "folder", ("a.example",), True)


def test_format_output_and_report_override(tmp_path: Path, captured: Captured) -> None:
    config = {"format": "markdown", "output": "from-file", "report": str(tmp_path / "file-report.json")}
    res = run(tmp_path, config, str(CLASSIC), "-f", "jsonl", "-o", "from-cli.jsonl",
              "--report", str(tmp_path / "cli-report.json"))
    assert res.exit_code == 0, res.output
    assert (captured.calls[-1]["format"], str(captured.calls[-1]["output"])) == ("jsonl", "from-cli.jsonl")
    assert (tmp_path / "cli-report.json").is_file() and not (tmp_path / "file-report.json").exists()


@pytest.mark.parametrize("key", ["inclde", "extra", "config", "Layout"])
def test_unknown_keys_are_errors(tmp_path: Path, captured: Captured, key: str) -> None:
    assert_usage_error(run(tmp_path, {key: True}, str(CLASSIC)), repr(key))
    assert not captured.calls


WRONG_TYPES = [
    ("strict", "yes"), ("force", 1), ("date_prefix", "true"),
    ("jobs", "x"), ("media_jobs", 1.5), ("max_media_size", -1), ("jobs", True),
    ("layout", 5), ("shortcodes", None), ("media", "fetch"), ("comments", ["sidecar"]), ("date_folders", "month"),
    ("include", "everything"), ("include", ["private", 5]),
]


@pytest.mark.parametrize(("key", "value"), WRONG_TYPES, ids=[f"{k}={v!r}" for k, v in WRONG_TYPES])
def test_wrong_types_are_errors(tmp_path: Path, captured: Captured, key: str, value: Any) -> None:
    assert_usage_error(run(tmp_path, {key: value}, str(CLASSIC)), key if key != "include" else "include")
    assert not captured.calls


# Values of the wrong type that once got past the checks (as tracebacks or silently).
MORE_WRONG_TYPES = [
    ("include", 5, "parse_include() calls list(5): TypeError traceback"),
    ("media_hosts", 5, "from_mapping() calls tuple(5): TypeError traceback"),
    ("media_hosts", [1, 2], "hosts that are not strings are accepted"),
    ("media_from", 5, "str | None options are not type-checked"),
    ("media_from", ["a"], "str | None options are not type-checked"),
    ("output", 5, "cli.convert() passes output to Path(): TypeError traceback"),
    ("report", 5, "cli.convert() passes report to Path(): TypeError traceback"),
    ("format", ["json"], "cli.convert() passes str(['json']) on: reported as an unknown format, not a type error"),
]


@pytest.mark.parametrize(("key", "value", "why"), MORE_WRONG_TYPES,
                         ids=[f"{k}={v!r}" for k, v, _ in MORE_WRONG_TYPES])
def test_more_wrong_types_are_errors(tmp_path: Path, captured: Captured, key: str, value: Any, why: str) -> None:
    res = run(tmp_path, {key: value}, str(CLASSIC))
    assert_usage_error(res, key)


def test_inputs_of_the_wrong_type(tmp_path: Path) -> None:
    res = run(tmp_path, {"inputs": 5})
    assert_usage_error(res, "inputs")


@pytest.mark.parametrize(("raw", "needle"), [
    ("- layout: folder\n", "must be a mapping"),
    ("layout: [folder\n", "not valid YAML"),
    ("42\n", "must be a mapping"),
])
def test_malformed_files(tmp_path: Path, captured: Captured, raw: str, needle: str) -> None:
    assert_usage_error(run(tmp_path, None, str(CLASSIC), raw=raw), needle)


def test_empty_file_is_no_options(tmp_path: Path, captured: Captured) -> None:
    assert run(tmp_path, None, str(CLASSIC), raw="# nothing yet\n").exit_code == 0
    assert captured.options == Options()


def test_missing_file(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["convert", str(CLASSIC), "--config", str(tmp_path / "nope.yaml")])
    assert_usage_error(res, "nope.yaml")


def test_a_config_file_describes_a_whole_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real conversion, twice from the same file: same result, output replaced in place."""
    monkeypatch.chdir(tmp_path)
    config = {"inputs": [str(FIXTURES / "statuses.xml")], "format": "markdown", "output": "site",
              "report": "report.json", "include": ["private"], "layout": "folder", "date-folders": "year",
              "media": "none"}
    (tmp_path / "wpconvert.yaml").write_text(yaml.safe_dump(config), "utf-8")
    trees = []
    for _ in range(2):
        res = CliRunner().invoke(main, ["convert", "--config", "wpconvert.yaml", "-q"])
        assert res.exit_code == 0, res.output
        trees.append({p.relative_to(tmp_path / "site").as_posix(): p.read_bytes()
                      for p in sorted((tmp_path / "site").rglob("*")) if p.is_file()})
    assert trees[0] == trees[1] and trees[0]
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    written = [i for i in report["items"] if i["action"] == "written"]
    assert any(i["status"] == "private" for i in written)
    assert all("/index.md" in i["path"] for i in written)


def test_a_flag_from_the_file_can_be_turned_off(tmp_path: Path, captured: Captured) -> None:
    res = run(tmp_path, {"strict": True, "force": True}, str(CLASSIC), "--no-strict", "--no-force")
    assert res.exit_code == 0, res.output
    assert (captured.options.strict, captured.options.force) == (False, False)

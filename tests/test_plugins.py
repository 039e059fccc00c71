"""Writers as plugins: a third-party package registers an output format through the
``wpconvert.writers`` entry-point group, and the CLI and the library find it.

``tests/plugin_pkg`` is such a package (``wpconvert-csvlist``). It is installed with pip,
offline, into a temporary ``--target`` folder rather than into the shared environment, and
put on the path only where a test asks for it: other tests (and other test runs using the
same virtualenv at the same time) never see it, and nothing needs uninstalling, even when
a run is killed half-way.

pip builds the package with the environment's setuptools (``--no-build-isolation``) where
setuptools can build wheels (70.1+, or with the ``wheel`` package); elsewhere the test
builds the same wheel itself from the package's ``pyproject.toml``, so that it runs
without network access in any environment.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

import pytest
from click.testing import CliRunner

import wpconvert
from wpconvert import writers
from wpconvert.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
PKG = Path(__file__).resolve().parent / "plugin_pkg"


def _setuptools_builds_wheels() -> bool:
    try:
        st = tuple(int(p) for p in version("setuptools").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return st >= (70, 1) or find_spec("wheel") is not None


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(project: Mapping[str, object], modules: dict[str, str], dest: Path) -> Path:
    """A pure-Python wheel: the modules plus the dist-info of ``project`` (pyproject's table)."""
    name = str(project["name"])
    dist = name.replace("-", "_")
    ver = str(project["version"])
    info = f"{dist}-{ver}.dist-info"
    files: dict[str, bytes] = {f"{mod}.py": src.encode() for mod, src in modules.items()}
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n".encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: wpconvert-tests\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n")
    groups = project.get("entry-points", {})
    assert isinstance(groups, dict)
    files[f"{info}/entry_points.txt"] = "".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n" for group, eps in groups.items()
    ).encode()
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    wheel = dest / f"{dist}-{ver}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel


def pip_install(what: Path, target: Path, *extra: str) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target),
           "--disable-pip-version-check", "--no-warn-script-location", *extra, str(what)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the installed ``wpconvert-csvlist`` (not on sys.path by itself)."""
    return install_csvlist(tmp_path_factory.mktemp("plugin"))


def install_csvlist(work: Path) -> Path:
    """Install tests/plugin_pkg with pip into ``work/site``; return that folder."""
    target = work / "site"
    # Build from a copy: pip builds in the source tree and would leave build/ and
    # *.egg-info behind in tests/plugin_pkg.
    src = work / "src"
    src.mkdir(parents=True)
    for f in PKG.iterdir():
        if f.is_file():
            (src / f.name).write_bytes(f.read_bytes())
    if _setuptools_builds_wheels():
        pip_install(src, target, "--no-build-isolation")
    else:
        project = tomllib.loads((src / "pyproject.toml").read_text("utf-8"))["project"]
        modules = {m.removesuffix(".py"): (src / f"{m}.py").read_text("utf-8") for m in ["wpconvert_csvlist"]}
        pip_install(build_wheel(project, modules, work), target)
    assert (target / "wpconvert_csvlist.py").is_file()
    assert list(target.glob("wpconvert_csvlist-*.dist-info/entry_points.txt"))
    return target


@contextmanager
def on_path(folder: Path) -> Iterator[None]:
    """``folder`` importable (and its entry points visible) in this process, for a while."""
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for mod in [m for m in sys.modules if m.startswith("wpconvert_csvlist") or m.startswith("wpconvert_broken")]:
            del sys.modules[mod]
        importlib.invalidate_caches()


def cli(*args: str, site: Path | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, "-m", "wpconvert.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_formats_lists_the_plugin(plugin_site: Path, tmp_path: Path) -> None:
    res = cli("formats", site=plugin_site, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    names = [line.split()[0] for line in res.stdout.splitlines()]
    assert "csvlist" in names and {"json", "jsonl", "markdown"} <= set(names)
    assert "one CSV line per item (plugin example)" in res.stdout
    # Without the plugin on the path it is not there: the shared environment is untouched.
    res = cli("formats", site=None, cwd=tmp_path)
    assert "csvlist" not in res.stdout


def test_cli_converts_with_the_plugin(plugin_site: Path, tmp_path: Path) -> None:
    res = cli("convert", str(FIXTURES / "statuses.xml"), "-f", "csvlist", "-o", "out", "-q", site=plugin_site,
              cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = read_csv(tmp_path / "out" / "items.csv")
    # The publishing policy applies to plugins too: no private, trashed or protected post.
    assert {r["status"] for r in rows} <= {"publish", "draft", "pending", "future"}
    assert "private-post" not in {r["slug"] for r in rows}
    assert (tmp_path / "out" / ".wpconvert-manifest.json").is_file()
    # A second run replaces its own output (the manifest says the folder is ours).
    again = cli("convert", str(FIXTURES / "statuses.xml"), "-f", "csvlist", "-o", "out", "-q", site=plugin_site,
                cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert read_csv(tmp_path / "out" / "items.csv") == rows


def test_library_converts_with_the_plugin(plugin_site: Path, tmp_path: Path) -> None:
    with on_path(plugin_site):
        assert "csvlist" in writers.available()
        report = wpconvert.convert(FIXTURES / "classic.xml", format="csvlist", output=tmp_path / "lib")
        rows = read_csv(tmp_path / "lib" / "items.csv")
        assert [r["id"] for r in rows] == [str(e.id) for e in report.entries if e.action == "written"]
        assert {r["post_type"] for r in rows} == {"post", "page"}
        moving = next(r for r in rows if r["slug"] == "moving-a-blog")
        assert int(moving["comments"]) > 0
        res = CliRunner().invoke(main, ["formats"])
        assert res.exit_code == 0 and "csvlist" in res.output
    assert "csvlist" not in writers.available()


def test_unknown_format_names_the_plugins(plugin_site: Path, tmp_path: Path) -> None:
    res = cli("convert", str(FIXTURES / "classic.xml"), "-f", "csvlst", "-o", "out", site=plugin_site, cwd=tmp_path)
    assert res.returncode == 2
    assert "csvlist" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installed plugin whose entry point names a module that does not exist."""
    work = tmp_path_factory.mktemp("broken")
    project = {"name": "wpconvert-broken", "version": "0.1",
               "entry-points": {"wpconvert.writers": {"broken": "wpconvert_broken_missing:Writer"}}}
    pip_install(build_wheel(project, {}, work), work / "site")
    return work / "site"


def test_broken_plugin_is_named_in_the_error(broken_site: Path, tmp_path: Path) -> None:
    res = cli("formats", site=broken_site, cwd=tmp_path)
    assert "Traceback" not in res.stderr
    assert "broken" in res.stderr or "broken" in res.stdout


def test_broken_plugin_does_not_break_the_builtins(broken_site: Path, tmp_path: Path) -> None:
    res = cli("convert", str(FIXTURES / "classic.xml"), "-f", "json", "-o", "out.json", "-q", site=broken_site,
              cwd=tmp_path)
    assert res.returncode == 0, res.stderr


def test_a_json_run_imports_only_the_json_writer(tmp_path: Path) -> None:
    # get() loads the one writer asked for: JSON needs neither YAML nor the other writers,
    # nor the content transforms, the media modules or the checks (imported where used).
    code = (
        "import sys\n"
        "from wpconvert.cli import main\n"
        "try:\n"
        "    main(['convert', sys.argv[1], '-f', 'json', '-o', sys.argv[2], '-q', '-j', '1'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0\n"
        "print(sorted(m for m in sys.modules if m in ('yaml', 'html2text', 'wpconvert.checker', 'wpconvert.mediaplan')\n"
        "             or m.startswith(('wpconvert.writers.', 'wpconvert.media.', 'wpconvert.transform.'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "fixtures" / "classic.xml"), str(tmp_path / "out.json")],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )
    # (The index's small record types come from transform.context.)
    assert out.stdout.split("\n")[-2] == "['wpconvert.transform.context', 'wpconvert.writers.jsonout']"
    assert json.loads((tmp_path / "out.json").read_text())["items"]

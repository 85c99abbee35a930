"""The package as an operator installs it: the wheel, outside the checkout, migrates, sets up the
demo, serves and runs the worker. And the locks in requirements/ cover what pyproject.toml asks for.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# what the source distribution is made of; the wheel is built from that, as `pip install` would
SOURCES = (
    "pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "alembic.ini",
    "bot", "responders", "alembic", "guidelines", "faq", "demo", "requirements",
)  # fmt: skip
LOCKS = {
    "requirements/base.txt": (),
    "requirements/embeddings.txt": ("embeddings",),
    "requirements/dev.txt": ("dev", "embeddings"),
}


@dataclass(frozen=True)
class Installed:
    """A venv with only the wheel's webcare in it, and an empty folder outside the checkout to run in."""

    bin: Path
    cwd: Path

    def env(self, **settings: str) -> dict[str, str]:
        """The environment less any WEBCARE_ setting of the test run, plus these settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("WEBCARE_")}
        return env | {f"WEBCARE_{k.upper()}": v for k, v in settings.items()}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a program of the venv in its folder; fail the test when it fails."""
        done = subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=self.cwd, env=self.env(), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sdist and from it the wheel, offline; install the wheel into a new venv."""
    tmp = tmp_path_factory.mktemp("package")
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    # --no-isolation: the build backend comes from this venv (the lock), not from the network
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp / "dist"), str(source)]
    done = subprocess.run(build, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = (tmp / "dist").glob("webcare-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The wheel's dependencies are this venv's, installed from the lock: a .pth line adds its
    # site-packages to the path, and only that, so the editable webcare of the checkout stays out.
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (site / "locked_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install"]
    subprocess.run([*pip, "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    return venv


@pytest.fixture
def installed(wheel_venv: Path, tmp_path: Path) -> Installed:
    """The wheel's webcare, to be run in an empty folder of its own."""
    return Installed(wheel_venv / "bin", tmp_path)


@dataclass(frozen=True)
class DemoSite:
    """An empty folder after `webcare migrate` and `webcare demo`, with what they printed."""

    installed: Installed
    migrate: str
    demo: str


@pytest.fixture(scope="module")
def site(wheel_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    """The demo set up once, with the default settings, in a folder outside the checkout."""
    installed = Installed(wheel_venv / "bin", tmp_path_factory.mktemp("site"))
    migrate = installed.run("webcare", "migrate").stdout
    return DemoSite(installed, migrate, installed.run("webcare", "demo").stdout)


def test_webcare_runs_from_the_wheel_not_from_the_checkout(installed: Installed) -> None:
    where = installed.run("python", "-c", "import bot, responders; print(bot.__file__, responders.__file__)")
    for module in where.stdout.split():
        assert Path(module).is_relative_to(installed.bin.parent), module


def test_migrate_and_demo_in_an_empty_folder_give_a_database_with_the_demo(site: DemoSite) -> None:
    installed, demo = site.installed, site.demo
    assert "Database is up to date" in site.migrate
    # the demo content comes out of the package into the folders the settings name (./guidelines, ./faq)
    assert "Demo content written to guidelines" in demo
    assert sorted(p.name for p in (installed.cwd / "guidelines").glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "guidelines").glob("*.yaml")
    )
    assert (installed.cwd / "faq").is_dir()
    assert "Demo admin created" in demo
    database = sqlite3.connect(installed.cwd / "var" / "webcare.db")
    mentions, drafts = database.execute(
        "SELECT (SELECT count(*) FROM mention), (SELECT count(*) FROM draft WHERE status = 'pending')"
    ).fetchone()
    database.close()
    assert mentions >= 10 and drafts >= 5
    again = installed.run("webcare", "demo").stdout
    assert "Demo content written" not in again  # the folders are someone's content now


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310  (a 127.0.0.1 URL of ours)
        return int(answer.status), answer.read().decode()


def _wait_for(url: str, server: subprocess.Popen[str], seconds: float = 30) -> tuple[int, str]:
    deadline = time.monotonic() + seconds
    while True:
        assert server.poll() is None, f"the server exited {server.returncode}"
        try:
            return _get(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_answers_health_and_pages_with_the_packaged_templates(site: DemoSite) -> None:
    installed, port = site.installed, _free_port()
    command = [str(installed.bin / "webcare"), "serve"]
    env = installed.env(port=str(port))
    with subprocess.Popen(
        command, cwd=installed.cwd, env=env, stdout=subprocess.DEVNULL, text=True
    ) as server:
        try:
            status, _ = _wait_for(f"http://127.0.0.1:{port}/healthz", server)
            assert status == 200
            status, login = _get(f"http://127.0.0.1:{port}/login")
            assert status == 200 and "<form" in login
            assert _get(f"http://127.0.0.1:{port}/static/webcare.css")[0] == 200
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


def test_worker_runs_until_told_to_stop(site: DemoSite) -> None:
    installed = site.installed
    command = [str(installed.bin / "webcare"), "worker"]
    with subprocess.Popen(
        command, cwd=installed.cwd, env=installed.env(), stderr=subprocess.PIPE, text=True
    ) as worker:
        assert worker.stderr is not None
        log = []
        for line in worker.stderr:  # ends early only when the worker exits
            log.append(line)
            if "jobs started" in line:
                break
        assert worker.poll() is None, "".join(log)
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=30)
        assert worker.returncode == 0


def _pins(lock: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith(("#", "-")):
            name, _, version = line.split(" ")[0].partition("==")
            pins[canonicalize_name(name)] = version
    return pins


@pytest.mark.parametrize(("lock", "extras"), LOCKS.items())
def test_each_lock_pins_every_requirement_of_pyproject_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *(r for x in extras for r in project["optional-dependencies"][x])]
    pins = _pins(ROOT / lock)
    outside = [
        f"{req} (locked: {pins.get(canonicalize_name(req.name), 'missing')})"
        for req in map(Requirement, wanted)
        if canonicalize_name(req.name) not in pins
        or not req.specifier.contains(pins[canonicalize_name(req.name)], prereleases=True)
    ]
    assert outside == [], f"pyproject.toml changed after {lock} was made: run `make lock`"


def _make_plan(target: str, venv: Path) -> str:
    """The commands `make <target>` would run for a fresh clone's venv at that path (make -n)."""
    done = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout


def test_make_run_on_a_fresh_clone_installs_the_default_lock_without_pytorch(tmp_path: Path) -> None:
    plan = _make_plan("run", tmp_path / "venv")
    assert "-r requirements/base.txt" in plan
    assert "requirements/dev.txt" not in plan and "requirements/embeddings.txt" not in plan
    heavy = {"torch", "transformers", "onnx"} & set(_pins(ROOT / "requirements/base.txt"))
    assert heavy == set(), f"the default install would bring {sorted(heavy)}"


def test_make_test_installs_the_dev_lock_with_the_extras_the_tests_need(tmp_path: Path) -> None:
    plan = _make_plan("test", tmp_path / "venv")
    assert "-r requirements/dev.txt" in plan
    assert {"torch", "onnxruntime", "pytest"} <= set(_pins(ROOT / "requirements/dev.txt"))

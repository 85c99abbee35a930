"""The sub-commands of `webcare`, one module per group; `bot/cli.py` puts them together."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


@contextmanager
def content_loads() -> Iterator[None]:
    """Turn guideline or FAQ files that do not load into their errors on stderr and exit code 1."""
    from responders.content import ContentInvalid

    try:
        yield
    except ContentInvalid as exc:
        # soft wrap: a path broken over two lines cannot be copied
        err.print(
            f"error: the content does not load (see `webcare guidelines check`):\n{exc}",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from exc

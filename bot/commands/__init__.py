"""The sub-commands of `webcare`, one module per group; `bot/cli.py` puts them together."""

from rich.console import Console

console = Console()
err = Console(stderr=True)

"""The folders webcare ships besides its code: the migrations and the demo content.

In an installed wheel they sit in bot/_shipped/ (setup.py copies them there when it builds); in a
checkout (`make run`, an editable install) they are the repository's own alembic/, guidelines/,
faq/ and demo/.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

Shipped = Literal["alembic", "guidelines", "faq", "demo"]

_PACKAGE = Path(__file__).resolve().parent


def folder(name: Shipped) -> Path:
    """A shipped folder: the installed package's copy, else the checkout's own."""
    packaged = _PACKAGE / "_shipped" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


def copy_demo_content(guidelines_dir: Path, faq_dir: Path) -> bool:
    """Copy the demo guidelines and FAQ into the two folders if neither exists; whether it did.

    An existing folder, however empty, is someone's content: then nothing is written.
    """
    if guidelines_dir.exists() or faq_dir.exists():
        return False
    shutil.copytree(folder("guidelines"), guidelines_dir)
    shutil.copytree(folder("faq"), faq_dir)
    return True

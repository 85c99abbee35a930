"""Build step: the wheel carries the migrations and the demo content, which live at the repository root.

Everything else is declared in pyproject.toml. bot/shipped.py finds these folders in the installed
package, or at the repository root when webcare runs from a checkout (an editable install).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("alembic", "guidelines", "faq", "demo")  # copied to bot/_shipped/ in the wheel


class BuildPyWithShippedFolders(build_py):
    """setuptools' build_py, plus a copy of the SHIPPED folders into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout itself
            return
        target = Path(self.build_lib, "bot", "_shipped")
        shutil.rmtree(target, ignore_errors=True)  # nothing left over from an earlier build
        for name in SHIPPED:
            shutil.copytree(name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithShippedFolders})

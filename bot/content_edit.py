"""Editing guideline and FAQ files from the browser: validate like the CLI, save, keep revisions."""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from bot import store
from bot.encoder_tuning import TunedMiniLM
from bot.models import GuidelineRevision
from bot.registry import ContentRegistry
from responders.content import ContentError, ContentInvalid, load_content, load_yaml
from responders.domain import Author, Context, Mention, Response
from responders.engine import respond


@dataclass(frozen=True)
class ContentFile:
    """One editable file, named by its place under the guidelines or FAQ directory."""

    name: str
    path: Path


def files(registry: ContentRegistry) -> list[ContentFile]:
    """Every guideline and FAQ file; only these can be opened, so no path ever leaves the two folders."""
    found: list[ContentFile] = []
    for label, root in (("guidelines", registry.guidelines_dir), ("faq", registry.faq_dir)):
        for path in sorted(root.rglob("*.y*ml")):
            found.append(ContentFile(f"{label}/{path.relative_to(root).as_posix()}", path))
    return found


def find(registry: ContentRegistry, name: str) -> ContentFile | None:
    """The editable file with this name, if there is one."""
    return next((f for f in files(registry) if f.name == name), None)


def community_of(file: ContentFile) -> str:
    """The community id a guideline file declares ('' for FAQ files or unreadable YAML)."""
    try:
        data, _ = load_yaml(file.path)
    except ContentInvalid:
        return ""
    return str(data.get("id", "")) if isinstance(data, dict) else ""


@contextmanager
def _trial(registry: ContentRegistry, file: ContentFile, text: str) -> Iterator[tuple[Path, Path, Path]]:
    """A scratch copy of all content with one file replaced; yields (guidelines, faq, scratch root)."""
    with tempfile.TemporaryDirectory(prefix="webcare-edit-") as tmp:
        root = Path(tmp)
        guidelines, faq = root / "guidelines", root / "faq"
        shutil.copytree(registry.guidelines_dir, guidelines)
        shutil.copytree(registry.faq_dir, faq)
        (root / file.name).write_text(text, encoding="utf-8")
        yield guidelines, faq, root


def _real_paths(errors: list[ContentError], registry: ContentRegistry, root: Path) -> list[ContentError]:
    """Name the files in errors as the CLI would, not by their scratch copy."""
    out = []
    for error in errors:
        name = error.file
        for label, real in (("guidelines", registry.guidelines_dir), ("faq", registry.faq_dir)):
            name = name.replace(str(root / label), str(real))
        out.append(replace(error, file=name))
    return out


def validate(registry: ContentRegistry, file: ContentFile, text: str) -> list[ContentError]:
    """The errors `webcare guidelines check` would report if the file had this text."""
    with _trial(registry, file, text) as (guidelines, faq, root):
        try:
            load_content(guidelines, faq)
        except ContentInvalid as exc:
            return _real_paths(exc.errors, registry, root)
    return []


def preview(
    registry: ContentRegistry, file: ContentFile, text: str, *, community: str, message: str, now: datetime
) -> Response:
    """What the bot would answer to a message with the edited content (which must be valid)."""
    encoder = registry.encoder
    if isinstance(encoder, TunedMiniLM):
        encoder = encoder.ready_only()  # an unsaved edit is not worth minutes of tuning
    with _trial(registry, file, text) as (guidelines, faq, _):
        trial = ContentRegistry(guidelines, faq, encoder)
    found = trial.snapshot.communities.get(community) or next(iter(trial.snapshot.communities.values()))
    mention = Mention("console", "preview", "preview-1", Author("preview", "klant", ""), message, now)
    return respond(mention, Context(now=now), found)


def fingerprint(text: str) -> str:
    """A short hash of a file's text, so a save can tell the file changed since it was opened."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def diff(old: str, new: str, name: str) -> str:
    """A unified diff of two versions of a file."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(lines)


def _write(path: Path, text: str) -> None:
    """Replace the file atomically so the content watcher never reads half a file."""
    tmp = path.with_name(f".{path.name}.saving")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save(
    session: Session,
    registry: ContentRegistry,
    file: ContentFile,
    text: str,
    *,
    actor: str,
    now: datetime,
    note: str = "",
) -> GuidelineRevision | None:
    """Write a valid new version, keep the revision and reload; None when nothing changed."""
    text = text.replace("\r\n", "\n")
    old = file.path.read_text(encoding="utf-8")
    if text == old:
        return None
    if not session.exec(select(GuidelineRevision).where(GuidelineRevision.file == file.name)).first():
        # the version on disk before the first browser edit, so roll-back can reach it
        session.add(
            GuidelineRevision(file=file.name, at=now, actor="disk", content=old, note="as found on disk")
        )
    revision = GuidelineRevision(
        file=file.name, at=now, actor=actor, diff=diff(old, text, file.name), content=text, note=note
    )
    session.add(revision)
    _write(file.path, text)
    store.audit(
        session, actor=actor, action="guideline.edit", object_type="file", object_id=file.name, now=now,
        after={"note": note, "lines_changed": revision.diff.count("\n")},
    )  # fmt: skip
    session.commit()
    registry.reload_if_changed()
    return revision


def revisions(session: Session, name: str) -> list[GuidelineRevision]:
    """Every saved version of a file, newest first."""
    stmt = select(GuidelineRevision).where(GuidelineRevision.file == name)
    return list(session.exec(stmt.order_by(col(GuidelineRevision.id).desc())).all())

"""The content in force: guidelines and FAQ, reloaded on change, last good version kept."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from responders.content import ContentError, ContentInvalid, load_content, runtime_problem
from responders.domain import FaqEntry, Guideline
from responders.engine import Community
from responders.faq import FaqIndex
from responders.meaning import Encoder, MeaningStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One consistent version of all content."""

    communities: dict[str, Community]
    faq: FaqIndex  # the one index all communities answer from
    channels: dict[tuple[str, str], str]
    revisions: dict[str, str]
    fingerprint: str


def _fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        for file in sorted(path.rglob("*.y*ml")) if path.is_dir() else [path]:
            digest.update(str(file).encode())
            try:
                digest.update(file.read_bytes())
            except OSError:
                # gone or unreadable (a folder moved, a file mid-save): the load that follows says why
                digest.update(b"\0unreadable")
    return digest.hexdigest()


class ContentRegistry:
    """Holds the last good content and swaps in a new version only when it is valid."""

    def __init__(
        self,
        guidelines_dir: Path,
        faq_dir: Path,
        encoder: Encoder | None = None,
        *,
        warm_in_background: bool = False,
        meaning_store: MeaningStore | None = None,
    ) -> None:
        """warm_in_background: the encoder reads the FAQ in a thread of its own on load and reload,
        and messages are matched by words alone until it is done (the service); otherwise the first
        message of each scope waits for it (commands and tests, which want the same answer every run).
        meaning_store: where the encoder's models of the FAQ are kept between processes."""
        self.guidelines_dir = guidelines_dir
        self.faq_dir = faq_dir
        self.encoder = encoder
        self.warm_in_background = warm_in_background and encoder is not None
        self.meaning_store = meaning_store
        self.errors: list[ContentError] = []
        self.broken: list[ContentError] = []  # communities in the files the service cannot run with
        self._rejected = ""  # fingerprint of the files that last failed to load: reported once
        self._lock = threading.Lock()
        self._snapshot = self._load()
        self.errors = list(self.broken)

    def _load(self) -> Snapshot:
        fingerprint = _fingerprint([self.guidelines_dir, self.faq_dir])
        content = load_content(self.guidelines_dir, self.faq_dir)
        guidelines, self.broken = self._usable(content.guidelines, content.files)
        content = replace(content, guidelines=guidelines)
        index = self._index(content.faq, guidelines.values())
        communities = {gid: Community(g, index) for gid, g in content.guidelines.items()}
        channels: dict[tuple[str, str], str] = {
            (source.platform, channel.lower()): gid
            for gid, g in content.guidelines.items()
            for source in g.sources
            for channel in source.channels
        }
        revisions = {gid: hashlib.sha256(f.read_bytes()).hexdigest() for gid, f in content.files.items()}
        return Snapshot(communities, index, channels, revisions, fingerprint)

    def _usable(
        self, guidelines: dict[str, Guideline], files: dict[str, Path]
    ) -> tuple[dict[str, Guideline], list[ContentError]]:
        """Guidelines the service can run with; one that cannot keeps its last good version, or is left out.

        One community's broken time zone or hours must not fail the queue, intake and jobs of
        every other community.
        """
        previous = getattr(self, "_snapshot", None)
        usable: dict[str, Guideline] = {}
        broken: list[ContentError] = []
        for gid, guideline in guidelines.items():
            problem = runtime_problem(guideline)
            if problem is None:
                usable[gid] = guideline
                continue
            kept = previous.communities.get(gid) if previous else None
            outcome = "keeping its last good version" if kept else "left out until it is fixed"
            broken.append(
                ContentError(str(files.get(gid, gid)), 0, "", f"community {gid!r} {problem}: {outcome}")
            )
            log.error("community content not used: %s", broken[-1])
            if kept is not None:
                usable[gid] = kept.guideline
        return usable, broken

    @property
    def snapshot(self) -> Snapshot:
        """The content in force now."""
        return self._snapshot

    def community_for(self, platform: str, channel: str) -> Community | None:
        """The community that listens to a platform channel, if any."""
        snapshot = self._snapshot
        gid = snapshot.channels.get((platform, channel.lower()))
        return snapshot.communities[gid] if gid else None

    def reload_if_changed(self) -> bool:
        """Load changed files; on errors keep the last good content and remember the errors."""
        with self._lock:
            fingerprint = _fingerprint([self.guidelines_dir, self.faq_dir])
            if fingerprint == self._snapshot.fingerprint:
                # the files are back to the version in force
                self.errors, self._rejected = list(self.broken), ""
                return False
            if fingerprint == self._rejected:
                return False
            try:
                self._snapshot = self._load()
            except ContentInvalid as exc:
                self.errors, self._rejected = exc.errors, fingerprint
                for error in exc.errors:
                    log.error("content not loaded, keeping last good version: %s", error)
                return False
            self.errors, self._rejected = list(self.broken), ""
            log.info("content reloaded", extra={"communities": sorted(self._snapshot.communities)})
            return True

    def refresh_matchers(self) -> None:
        """Rebuild the FAQ matchers of the content in force (a tuned encoder became ready)."""
        with self._lock:
            snapshot = self._snapshot
            guidelines = [c.guideline for c in snapshot.communities.values()]
            index = self._index(snapshot.faq.entries.values(), guidelines)
            communities = {gid: Community(c.guideline, index) for gid, c in snapshot.communities.items()}
            self._snapshot = replace(snapshot, communities=communities)

    def _index(self, entries: Iterable[FaqEntry], guidelines: Iterable[Guideline]) -> FaqIndex:
        """A FAQ index for the content being loaded; warmed in a thread of its own when asked."""
        index = FaqIndex(
            entries, self.encoder, meaning_warmed=self.warm_in_background, meaning_store=self.meaning_store
        )
        if self.warm_in_background:
            scopes = sorted({(language, tuple(g.faq.tags)) for g in guidelines for language in g.languages})
            threading.Thread(target=_warm, args=(index, scopes), name="faq-warm", daemon=True).start()
        return index


def _warm(index: FaqIndex, scopes: list[tuple[str, tuple[str, ...]]]) -> None:
    """Build every scope's matcher with the encoder; the index answers by words alone meanwhile."""
    began = time.perf_counter()
    try:
        for language, tags in scopes:
            index.warm(language, tags)
    except Exception:  # the words-only matcher keeps answering; a restart tries again
        log.exception("FAQ matchers not built with the encoder; matching by words alone")
        return
    log.info(
        "FAQ matchers ready", extra={"scopes": len(scopes), "seconds": round(time.perf_counter() - began, 2)}
    )

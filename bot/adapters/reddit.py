"""Reddit (praw 8): new posts and comments in subreddits, inbox username mentions, replies as comments."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import praw
import prawcore
from praw.exceptions import PRAWException, RedditAPIException
from prawcore.exceptions import (
    Forbidden,
    NotFound,
    OAuthException,
    PrawcoreException,
    RequestException,
    ResponseException,
    ServerError,
    TooManyRequests,
)

from bot.adapters.base import (
    AdapterError,
    Batch,
    Capabilities,
    Cursor,
    Item,
    OutgoingMessage,
    Receipt,
    Unread,
    interrupted,
    never_sent,
)
from bot.adapters.sources import matches_keywords, source_of
from bot.registry import ContentRegistry
from bot.settings import Settings
from responders.domain import Author, Mention

log = logging.getLogger(__name__)
INBOX = "inbox"  # the channel a guideline lists for username mentions outside its subreddits
# Reddit errors that go away by waiting; the rest (locked thread, deleted comment...) do not
_RETRYABLE_API = {"RATELIMIT", "SERVER_ERROR"}


class TimeoutRequestor(prawcore.Requestor):
    """A prawcore Requestor that always applies its own timeout.

    praw 8.0 ignores its `timeout` setting and prawcore's sessions pass their module default (16 s)
    on every call, so the only dependable place for a network timeout is the requestor itself.
    """

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Issue the request with this requestor's timeout; a post that may have arrived is not retried."""
        method = str(args[0] if args else kwargs.get("method", ""))
        url = str(args[1] if len(args) > 1 else kwargs.get("url", ""))
        # prawcore repeats a request after a read timeout, a dropped connection or a 5xx, posts too:
        # for a comment that means a second comment. Such a failure leaves prawcore as PossiblySent,
        # which it does not retry. Token requests change nothing on Reddit and may be repeated.
        posting = method.upper() != "GET" and not url.endswith("access_token")
        try:
            response = super().request(*args, timeout=self.timeout, **kwargs)
        except RequestException as exc:
            if url.endswith("access_token"):
                # no token, so nothing was posted; delivery tries again after its backoff
                raise RequestException(NotSent(str(exc.original_exception)), args, kwargs) from exc
            if posting and not never_sent(exc.original_exception):
                raise RequestException(PossiblySent(str(exc.original_exception)), args, kwargs) from exc
            raise
        if posting and response.status_code in _MAYBE_DONE_STATUSES:
            raise RequestException(PossiblySent(f"Reddit answered HTTP {response.status_code}"), args, kwargs)
        return response


class NotSent(Exception):
    """A request failed before anything could be posted (the sign-in for the token failed)."""


class PossiblySent(Exception):
    """A post failed after it may have reached Reddit."""


# gateway and server errors after a post was sent: Reddit may have acted on it (503 says it did not)
_MAYBE_DONE_STATUSES = frozenset({500, 502, 504, 520, 522})


def _classify(exc: Exception) -> AdapterError:
    """Wrap a library error: retryable only when Reddit surely did not act on the request."""
    if isinstance(exc, TooManyRequests):
        return AdapterError(f"Reddit is busy: {exc}", retryable=True)
    if isinstance(exc, RequestException):
        # prawcore wraps the requests error: a failed connect never sent the comment, a read
        # timeout or dropped connection may have posted it
        if isinstance(exc.original_exception, NotSent) or never_sent(exc.original_exception):
            return AdapterError(f"Reddit is unreachable: {exc}", retryable=True)
        return interrupted(f"Reddit may have received the comment, the answer did not arrive: {exc}")
    if isinstance(exc, ServerError):
        if exc.response.status_code == 503:  # Reddit's "try again later": the request was not taken
            return AdapterError(f"Reddit is busy: {exc}", retryable=True)
        return interrupted(f"Reddit answered HTTP {exc.response.status_code}; it may have posted the comment")
    if isinstance(exc, Forbidden | NotFound | OAuthException):
        return AdapterError(f"Reddit refused: {exc}", retryable=False)
    if isinstance(exc, ResponseException):
        status = exc.response.status_code
        return AdapterError(f"Reddit answered HTTP {status}", retryable=status == 429 or status >= 500)
    if isinstance(exc, RedditAPIException):
        codes = {item.error_type for item in exc.items}
        return AdapterError(f"Reddit refused the comment: {exc}", retryable=codes <= _RETRYABLE_API)
    return AdapterError(f"Reddit call failed: {exc}", retryable=True)


class RedditAdapter:
    """A script-app account: reads listings and the inbox, replies with comments."""

    platform = "reddit"
    capabilities = Capabilities(max_length=10_000, can_start_conversation=False, threading=True, editing=True)

    def __init__(self, reddit: praw.Reddit, *, username: str = "") -> None:
        self.reddit = reddit
        self.username = username

    @classmethod
    def from_settings(cls, settings: Settings) -> RedditAdapter:
        """Connect with the WEBCARE_REDDIT_* settings (no network until the first call)."""
        assert settings.reddit_client_secret is not None and settings.reddit_password is not None
        return cls(
            praw.Reddit(
                client_id=settings.reddit_client_id,
                client_secret=settings.reddit_client_secret.get_secret_value(),
                username=settings.reddit_username,
                password=settings.reddit_password.get_secret_value(),
                user_agent=settings.reddit_user_agent,
                oauth_url=settings.reddit_oauth_url,
                reddit_url=settings.reddit_url,
                requestor_class=TimeoutRequestor,
                requestor_kwargs={"timeout": settings.http_timeout_seconds},
                # we run in worker threads, never on an event loop
                check_for_async=False,
            ),
            username=settings.reddit_username,
        )

    def send(self, message: OutgoingMessage) -> Receipt:
        """Reply with a comment under the customer's post or comment."""
        kind, _, thing_id = message.reply_to.partition("_")
        if kind not in ("t1", "t3") or not thing_id:
            raise AdapterError(f"not a Reddit post or comment: {message.reply_to!r}", retryable=False)
        parent = self.reddit.comment(id=thing_id) if kind == "t1" else self.reddit.submission(id=thing_id)
        try:
            comment = parent.reply(body=message.text)
        except (PrawcoreException, PRAWException) as exc:
            raise _classify(exc) from exc
        if comment is None:
            raise AdapterError("Reddit accepted the comment but returned no id", retryable=False)
        return Receipt(platform_message_id=str(comment.fullname))

    def listing(self, source: str, *, limit: int = 1000) -> Iterable[Any]:
        """Newest first: 'r/NAME/new' posts, 'r/NAME/comments' comments, or 'inbox' mentions."""
        if source == INBOX:
            return self.reddit.inbox.mentions(limit=limit)
        name, kind = source.removeprefix("r/").split("/")
        subreddit = self.reddit.subreddit(name)
        return subreddit.new(limit=limit) if kind == "new" else subreddit.comments(limit=limit)


# What Reddit shows in place of the words of a deleted or removed post or comment
GONE = frozenset({"[deleted]", "[removed]"})


def is_gone(item: Any) -> bool:
    """Whether a post or comment was deleted or removed: there is nothing left to read or answer."""
    data = vars(item)
    return str(data.get("body") or data.get("selftext") or "").strip() in GONE


def _author(item: Any) -> Author:
    # praw gives None for "[deleted]": a deleted account is its own nameless writer per item,
    # never one customer "[deleted]" in whose one thread every deleted account would meet
    if item.author is None:
        return Author(id=f"deleted:{item.fullname}")
    return Author(id=item.author.name, handle=item.author.name)


def _post_of(item: Any) -> str:
    """The post (t3_...) a comment is under; an inbox mention names it only in its context link."""
    data = vars(item)
    if data.get("link_id"):
        return str(data["link_id"])
    # "/r/NAME/comments/POST/slug/COMMENT/?context=3", as praw's Comment.submission reads it
    parts = str(data.get("context") or "").split("/")
    if len(parts) > 4 and parts[3] == "comments" and parts[4]:
        return f"t3_{parts[4]}"
    return str(data.get("parent_id") or "")


def to_mention(item: Any, channel: str) -> Mention:
    """The neutral mention for a praw Submission or Comment (inbox mentions included)."""
    # read the fetched fields only: a missing attribute on a praw object would cost a request
    data = vars(item)
    author = _author(item)
    is_post = item.fullname.startswith("t3_")
    text = f"{item.title}\n\n{item.selftext}".strip() if is_post else item.body
    post = item.fullname if is_post else _post_of(item)
    link = data.get("permalink") or data.get("context") or ""
    return Mention(
        platform="reddit",
        channel=channel,
        external_id=item.fullname,
        author=author,
        text=text,
        created_at=datetime.fromtimestamp(float(item.created_utc), UTC),
        url=f"https://www.reddit.com{link}" if link else "",
        thread_ref=f"{post}/{author.id}",
        # an inbox item is a username mention: the customer calls the brand in
        reply_to="brand" if channel == INBOX else "",
    )


def _new_items(adapter: RedditAdapter, source: str, since: float) -> list[Any]:
    """Items at or after the cursor time, oldest first (equal times are deduplicated on receive)."""
    items = []
    for item in adapter.listing(source):
        if float(item.created_utc) < since:
            break
        items.append(item)
    return items[::-1]


class RedditPoller:
    """Every subreddit the guidelines list (new posts and new comments) and the inbox mentions:
    a batch per source, each read on its own."""

    platform = "reddit"

    def __init__(self, adapter: RedditAdapter, registry: ContentRegistry) -> None:
        self.adapter, self.registry = adapter, registry

    def poll(self, cursors: Mapping[str, Cursor], *, now: datetime) -> Iterator[Batch]:
        """A batch per source with the items since its cursor (a creation time)."""
        subs = _subreddits(self.registry).items()
        sources = [(f"{sub}/{kind}", kw) for sub, kw in subs for kind in ("new", "comments")]
        for source, keywords in [*sources, (INBOX, None)]:
            since = float(cursors.get(source, Cursor()).position or 0)
            try:
                batch = self._batch(source, keywords, since)
            except Exception:  # one source's trouble must not keep the others from being read
                log.warning("reddit source not read this round", exc_info=True, extra={"source": source})
                continue
            if batch is not None:
                yield batch

    def _batch(self, source: str, keywords: tuple[str, ...] | None, since: float) -> Batch | None:
        items = _listed(self.adapter, source, since)
        if not items:
            return None
        wanted: list[Item] = []
        for item in items:
            if is_gone(item):
                log.info(
                    "deleted or removed reddit item skipped", extra={"source": source, "item": item.fullname}
                )
            elif not _is_own(self.adapter, item):
                try:
                    mention = to_mention(item, _channel_of(self.registry, item, source))
                except Exception as exc:  # kept for an admin; the items after it flow
                    wanted.append(Unread(f"{source} {item.fullname}", _raw(item), exc))
                    continue
                if not keywords or matches_keywords(mention.text, keywords):
                    wanted.append(mention)
        # past every item read: taken in, filtered out or set aside, all in the batch's transaction
        return Batch("reddit", tuple(wanted), {source: Cursor(str(items[-1].created_utc))})


def _subreddits(registry: ContentRegistry) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for community in registry.snapshot.communities.values():
        for source in community.guideline.sources:
            if source.platform == "reddit":
                found |= {c: source.keywords for c in source.channels if c.startswith("r/")}
    return found


def _listed(adapter: RedditAdapter, source: str, since: float) -> list[Any]:
    """The source's new items; none (and a warning) when Reddit cannot be read right now."""
    try:
        return _new_items(adapter, source, since)
    except (PrawcoreException, PRAWException) as exc:
        log.warning("reddit listing not read, trying again next round: %s", exc, extra={"source": source})
    except KeyError as exc:
        # prawcore 4 looks up a 401 without a WWW-Authenticate header in its table of OAuth
        # errors and raises KeyError(401): Reddit refused the account's token
        if exc.args != (401,):
            raise
        log.warning(
            "Reddit refused the login (HTTP 401) for %s: check WEBCARE_REDDIT_CLIENT_ID, _CLIENT_SECRET, "
            "_USERNAME and _PASSWORD; trying again next round",
            source,
            extra={"source": source},
        )
    return []


def _raw(item: Any) -> str:
    """The fields praw fetched for an item, as JSON, for an admin to read."""
    fields = {k: v for k, v in vars(item).items() if not k.startswith("_")}
    return json.dumps(fields, default=str, ensure_ascii=False)


def _is_own(adapter: RedditAdapter, item: Any) -> bool:
    return item.author is not None and item.author.name.casefold() == adapter.username.casefold()


def _channel_of(registry: ContentRegistry, item: Any, source: str) -> str:
    if source != INBOX:
        return source.rsplit("/", 1)[0]
    # an inbox mention: routed by its subreddit when a guideline lists it
    sub = f"r/{item.subreddit.display_name.lower()}"
    return sub if source_of(registry, "reddit", sub) else INBOX

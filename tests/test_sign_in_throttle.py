"""Sign-in throttling under parallel guesses: at most the limit of passwords is ever checked."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot import accounts
from bot.clock import FixedClock
from bot.main import create_app
from bot.services import Services
from tests.conftest import add_user
from tests.live_server import serve
from tests.test_web import PASSWORD

GUESSES = 30


@pytest.fixture
def clock() -> FixedClock:
    """A clock the test moves past the lockout window."""
    return FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


class VerifySpy:
    """The app's argon2 hasher, counting how many passwords it checked."""

    def __init__(self, hasher: Any) -> None:
        self._hasher = hasher
        self._lock = threading.Lock()
        self.checked = 0

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.checked += 1
        return bool(self._hasher.verify(password_hash, password))


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> VerifySpy:
    spy = VerifySpy(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", spy)
    return spy


@pytest.fixture
def base_url(services: Services) -> Iterator[str]:
    with serve(create_app(services, run_jobs=False)) as url:
        yield url


def _form_client(base_url: str) -> tuple[httpx.Client, str]:
    """A browser of its own that opened the sign-in form: its cookies and the form's token."""
    client = httpx.Client(base_url=base_url, timeout=60)
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert match
    return client, match.group(1)


def _sign_in(base_url: str, password: str) -> int:
    client, token = _form_client(base_url)
    form = {"username": "agent1", "password": password, "csrf_token": token}
    try:
        return client.post("/login", data=form).status_code
    finally:
        client.close()


def _guess_in_parallel(base_url: str, count: int) -> list[int]:
    """`count` wrong passwords for one name, sent at the same moment from as many browsers."""
    forms = [_form_client(base_url) for _ in range(count)]
    start = threading.Barrier(count)
    codes: list[int] = []

    def guess(client: httpx.Client, token: str) -> None:
        start.wait()
        form = {"username": "agent1", "password": "not the password", "csrf_token": token}
        codes.append(client.post("/login", data=form).status_code)

    threads = [threading.Thread(target=guess, args=form) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client, _ in forms:
        client.close()
    return codes


def test_parallel_guesses_get_at_most_the_limit_checked(
    base_url: str, services: Services, clock: FixedClock, spy: VerifySpy
) -> None:
    add_user(services)
    codes = _guess_in_parallel(base_url, GUESSES)
    assert spy.checked <= accounts.MAX_FAILURES
    assert set(codes) <= {401, 429} and codes.count(401) == spy.checked
    # the ones refused in the rush did not count: the name has guesses left until the limit
    left = accounts.MAX_FAILURES - spy.checked
    after_the_rush = [_sign_in(base_url, "still not the password") for _ in range(left + 2)]
    assert after_the_rush == [401] * left + [429, 429]
    assert spy.checked == accounts.MAX_FAILURES
    assert _sign_in(base_url, PASSWORD) == 429  # the right password waits out the window too
    assert spy.checked == accounts.MAX_FAILURES
    clock.advance(accounts.FAILURE_WINDOW - timedelta(seconds=1))
    assert _sign_in(base_url, PASSWORD) == 429
    clock.advance(timedelta(seconds=2))
    assert _sign_in(base_url, PASSWORD) == 303
    assert spy.checked == accounts.MAX_FAILURES + 1

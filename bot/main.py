"""create_app(): the composition root."""

from __future__ import annotations

import gc
import logging
import os
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import pipeline
from bot.adapters.base import Sender
from bot.adapters.console import ConsoleSender
from bot.adapters.wiring import build_poll_loops, build_senders, close_senders
from bot.clock import Clock, SystemClock
from bot.db import make_engine
from bot.encoder_cache import load_encoder
from bot.jobs import Jobs
from bot.meaning_files import MeaningFiles
from bot.registry import ContentRegistry
from bot.services import Services
from bot.settings import Settings, get_settings
from bot.web import (
    account,
    actions,
    answered,
    api,
    audit,
    auth,
    erase,
    guard,
    guidelines,
    health,
    insights,
    openapi,
    orders,
    queue,
    set_aside,
    users,
    viewing,
    watch,
    webhooks,
)
from bot.web.deps import LoginRequired

log = logging.getLogger(__name__)


def build_services(
    settings: Settings,
    clock: Clock,
    senders: Mapping[str, Sender] | None = None,
    *,
    warm_in_background: bool = False,
) -> Services:
    """Connect the database, load content and pick the adapters; `clock` tells the time to all.

    warm_in_background: a long-running process (serve, worker) has the FAQ encoder read the
    phrasings in a thread, matching by words alone meanwhile, so no message waits for it.
    """
    engine = make_engine(settings.database_url)
    encoder = load_encoder(settings.faq_encoder, settings.model_cache_dir)
    # a long-running process keeps the encoder's FAQ models on disk: its next start reads them
    store = MeaningFiles(settings.model_cache_dir / "faq") if warm_in_background else None
    registry = ContentRegistry(
        settings.guidelines_dir,
        settings.faq_dir,
        encoder,
        warm_in_background=warm_in_background,
        meaning_store=store,
    )
    with Session(engine) as session:
        pipeline.sync_communities(session, registry, now=clock.now())
    if senders is None:
        senders = {"console": ConsoleSender(), **build_senders(settings)}
    return Services(settings, engine, registry, senders, clock)


def create_app(
    services: Services | None = None, *, run_jobs: bool = True, watch_content: bool = False
) -> FastAPI:
    """Build the web app; the lifespan starts background jobs unless run_jobs is False. Without
    jobs, `watch_content` still reloads edited content and picks up tuned encoder copies."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = services or build_services(get_settings(), SystemClock(), warm_in_background=True)
        app.state.services = svc
        worker = svc.settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"
        jobs = Jobs(
            svc.engine,
            svc.senders,
            svc.registry,
            worker=worker,
            interval=svc.settings.delivery_interval_seconds,
            settings=svc.settings,
            clock=svc.clock,
        )
        pollers = build_poll_loops(svc) if run_jobs else []
        if run_jobs or watch_content:
            jobs.start(web_only=not run_jobs)
        if run_jobs:
            svc.drafter.start()
        for poller in pollers:
            poller.start()
        # What startup built lives as long as the process: take it out of the collector's full
        # passes, which otherwise walk it all and stall a request for 100 ms now and then.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for poller in pollers:
                poller.stop()
            jobs.stop()
            svc.stop_intake()
            if services is None:
                close_senders(svc.senders)

    # /docs and /redoc would load scripts from a CDN; /openapi.json stays for tools.
    app = FastAPI(title="webcare", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    if services is not None:
        app.state.services = services
    # sign-in is another module's: its pages are described here, as the other pages are where they live
    app.include_router(auth.router, responses=openapi.FORM)
    for router in (health.router, queue.router, api.router, webhooks.router, answered.router):
        app.include_router(router)
    for router in (orders.router, watch.router, watch.pages):
        app.include_router(router)
    for router in (actions.router, audit.router, guidelines.router, insights.router, users.router):
        app.include_router(router)
    app.include_router(set_aside.router)
    app.include_router(erase.router)
    app.include_router(account.router)
    app.include_router(viewing.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> Response:
        # people get a page that says what happened and the way back; programs keep the JSON
        if guard.for_machines(request.url.path):
            return await http_exception_handler(request, exc)
        title = _REFUSAL_TITLES.get(exc.status_code, "This cannot be done")
        page = guard.error_page(request, exc.status_code, title, _sentence(str(exc.detail)))
        page.headers.update(exc.headers or {})
        return page

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's default echoes every bad value: a 40 MB text came back twice, a password as it was
        detail = [{k: error[k] for k in ("type", "loc", "msg") if k in error} for error in exc.errors()]
        if not guard.for_machines(request.url.path):
            message = "; ".join(_in_words(error) for error in detail)
            return guard.error_page(
                request, status.HTTP_422_UNPROCESSABLE_CONTENT, "This cannot be done", message
            )
        return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    # inside BodyLimit: the guard reads whole bodies, and only those BodyLimit let through
    app.add_middleware(guard.InputGuard)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    return app


_PLACES = {"path": "in the address", "query": "in the address", "body": "in the form"}
_REFUSAL_TITLES = {
    400: "This cannot be done",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Someone was first",
    413: "Too large",
    429: "Too many attempts",
}


def _sentence(detail: str) -> str:
    """'this needs the senior role or higher' -> 'This needs the senior role or higher.'"""
    detail = detail.strip() or "The request was refused."
    detail = detail[:1].upper() + detail[1:]
    return detail if detail.endswith((".", "!", "?")) else f"{detail}."


def _in_words(error: dict[str, Any]) -> str:
    """'draft_id (in the address): input should be less than or equal to 2147483647.' for a page."""
    place, *field = [str(part) for part in error.get("loc", ())] or [""]
    msg = str(error.get("msg", "invalid"))
    msg = msg[:1].lower() + msg[1:]
    where = f"{'.'.join(field)} ({_PLACES.get(place, place)})" if field else _PLACES.get(place, place)
    return f"{where}: {msg}." if where else f"{msg}."


SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'",
    ),
]


# The largest request body: the guideline editor's 500,000 characters, form-encoded, fit in it;
# the API's largest mention (40,000 characters) is a tenth of it. Routes may set lower limits.
MAX_REQUEST_BYTES = 5_000_000
_TOO_LARGE = f"the request body is larger than {MAX_REQUEST_BYTES // 1_000_000} MB"


class _HttpMiddleware:
    """Plain ASGI middleware (no per-request overhead) that acts on HTTP and passes the rest through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request."""
        raise NotImplementedError


class BodyLimit(_HttpMiddleware):
    """Refuses a request body over MAX_REQUEST_BYTES with 413, before it is read into memory whole."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 413 for a declared length over the limit; count a body that declares none."""
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
            response = JSONResponse({"detail": _TOO_LARGE}, status_code=status.HTTP_413_CONTENT_TOO_LARGE)
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            # a chunked body declares no length: count what arrives
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_REQUEST_BYTES:
                raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, _TOO_LARGE)
            return message

        await self.app(scope, counted, send)


# Pages, API answers and metrics hold personal data or session secrets (CSRF tokens): no browser,
# proxy or back button may keep a copy. Only the static files are the same for everyone.
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders(_HttpMiddleware):
    """Adds the browser security headers to every response, and no-store to all but static files."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers the response does not set itself."""
        wanted = SECURITY_HEADERS if scope["path"].startswith("/static/") else [*SECURITY_HEADERS, NO_STORE]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in wanted if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

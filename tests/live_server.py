"""Serve the app with uvicorn in a background thread, for tests that drive a real browser."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol


class QuietHttp(H11Protocol):
    """uvicorn's HTTP/1.1 without access log lines: a fake platform's request paths carry its
    secrets (the Bot API token is in every URL), and the logs the tests read are webcare's own.

    uvicorn's own switch (access_log=False) turns off the process-wide "uvicorn.access" logger,
    which webcare's log set-up turns on again; this one holds per server.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_log = False


@contextmanager
def serve(app: FastAPI, *, timeout: float = 10.0) -> Iterator[str]:
    """Run app on 127.0.0.1 at a free port and yield its base URL; stop it on exit."""
    # Bind the socket here and hand it to uvicorn, so no other process can take the port meanwhile.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, http=QuietHttp)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        give_up = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > give_up:
                raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()

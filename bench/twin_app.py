"""The FastAPI twin of POST /api/v1/mentions: the same request model and answer, and no work.

What the web framework alone serves on this machine; bench/intake_vs_twin.py measures webcare
against it. Not part of the product.
"""

from __future__ import annotations

import itertools

from fastapi import FastAPI, status

from bot.schemas import MentionAccepted, MentionIn


def create_twin() -> FastAPI:
    """An app that validates a posted mention as webcare does and answers 202 without storing it."""
    app = FastAPI()
    ids = itertools.count(1)

    @app.post("/api/v1/mentions", status_code=status.HTTP_202_ACCEPTED)
    def post_mention(body: MentionIn) -> MentionAccepted:
        """Validate and answer as if stored."""
        number = next(ids)
        return MentionAccepted(mention_id=number, draft_id=number, duplicate=False, action="reply")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Ready."""
        return {"status": "ok"}

    return app

"""/openapi.json for the routes that read their body by hand (to check a signature over its bytes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.adapters import webhook


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its $defs put in place: in /openapi.json a '#/...' reference
    would be resolved from the document's root, where the $defs are not."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An operation's `requestBody`: required JSON of this schema."""
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "description": description, "content": content}}


def signature_headers(*, required: bool) -> dict[str, Any]:
    """The two headers of an HMAC-signed body (README, "Connecting platforms")."""
    return {
        "parameters": [
            {
                "name": webhook.TIMESTAMP_HEADER,
                "in": "header",
                "required": required,
                "description": "Unix time of signing; too far off (five minutes by default) is a replay",
                "schema": {"type": "string"},
            },
            {
                "name": webhook.SIGNATURE_HEADER,
                "in": "header",
                "required": required,
                "description": "sha256=<hex HMAC-SHA256 of '<timestamp>.<body>' with the shared secret>",
                "schema": {"type": "string"},
            },
        ]
    }


class ErrorOut(BaseModel):
    """Why a request was refused: a sentence, or for invalid input each field and what is wrong."""

    detail: str | list[dict[str, Any]]


# What each refusal means, said once for every route that can answer it.
_REFUSALS = {
    400: "the request holds a character no field can store (U+0000), or a form field over 1 MB",
    401: "no valid bearer token (or, where a route takes one, no valid signature)",
    403: "the signed-in user's role may not do this, or the form's CSRF token is missing or stale",
    404: "there is no such item, or nothing is configured here",
    409: "someone else handled the draft first, or changed it (or the file) since the version given",
    413: "the request body is larger than this route takes",
    422: "invalid input: which field and why (U+0000, half a surrogate pair, a number beyond the "
    "database's range, JSON nested too deeply)",
    503: "not stored in time (the database is busy or down); send it again, a repeat is stored once",
}


_HTML = {"text/html": {"schema": {"type": "string"}}}
# pages answer every refusal with a page of their own (bot/main.py, bot/web/guard.py), besides the
# JSON the form parser and the body limit answer with (a form field over 1 MB, a body too large)


def refusals(*codes: int, page: bool = False) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: the refusals it can answer with, described in one place."""
    # content spelled out: on a route whose response_class is HTML, a `model` would be filed as HTML
    json = {"application/json": {"schema": inline_schema(ErrorOut)}}
    return {
        code: {"description": _REFUSALS[code], "content": json | (_HTML if page else {})} for code in codes
    }


# An HTML page or form: a missing session is a redirect to /login, not a 401; a form done (or
# refused in words) goes on to the page that says so.
_SEE_OTHER: dict[int | str, dict[str, Any]] = {303: {"description": "on to the next page, or to /login"}}
PAGE = _SEE_OTHER | refusals(400, 422, page=True)
FORM = _SEE_OTHER | refusals(400, 403, 404, 413, 422, page=True)

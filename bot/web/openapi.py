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

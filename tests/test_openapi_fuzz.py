"""Schemathesis against /openapi.json: every operation, signed in and with a bearer token, its
default checks, a fixed and repeatable budget; no input gets a server error."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

from bot.main import create_app
from bot.services import Services
from bot.web.deps import SESSION_COOKIE
from tests.conftest import API_TOKEN, add_user
from tests.test_web import sign_in

EXAMPLES = 12  # per operation: the whole schema in well under a minute on two cores


@pytest.fixture
def app_schema(services: Services) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(services, run_jobs=False))


@pytest.fixture
def credentials(client: TestClient, services: Services) -> dict[str, str]:
    """The headers of a signed-in admin who also holds the API token: every operation is reachable."""
    add_user(services, "admin1", role="admin")
    csrf = sign_in(client, "admin1")
    return {
        "Authorization": f"Bearer {API_TOKEN}",
        "Cookie": f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}",
        "X-CSRF-Token": csrf,
    }


schema = schemathesis.pytest.from_fixture("app_schema")
# Rules no schema can say, left out: a valid-looking mention is refused for a channel no guideline
# lists (positive data), pages take what browsers send as forms do (negative data, missing headers),
# and Starlette's 405 names only the methods of the one route it matched (Allow).
BEYOND_THE_SCHEMA = [
    checks.positive_data_acceptance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.allow_header_conformance,
]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_input_gets_a_server_error(case: Any, credentials: dict[str, str]) -> None:
    case.call_and_validate(headers=credentials, excluded_checks=BEYOND_THE_SCHEMA)

"""Schemathesis against /openapi.json: every operation, signed in and with a bearer token, its
default checks, a fixed and repeatable budget; no input gets a server error."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks
from sqlmodel import Session, select

from bot import accounts
from bot.main import create_app
from bot.models import User
from bot.services import Services
from bot.web.deps import SESSION_COOKIE
from tests.conftest import API_TOKEN, add_user
from tests.test_web import sign_in

EXAMPLES = 10  # per operation: the whole schema in under 30 s per database on two cores


@pytest.fixture
def app_schema(services: Services) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(services, run_jobs=False))


class Admin:
    """A signed-in admin who also holds the API token: every operation is reachable. The fuzzer
    signs out, changes roles and disables users too: the admin is restored before each request."""

    def __init__(self, client: TestClient, services: Services) -> None:
        self.client, self.services = client, services
        add_user(services, "admin1", role="admin")
        self.csrf = sign_in(client, "admin1")

    def headers(self) -> dict[str, str]:
        """The request's credentials; signed in again when an earlier request ended the session."""
        if self.client.get("/alerts/count").status_code == 401:
            with Session(self.services.engine) as session:
                user = session.exec(select(User).where(User.username == "admin1")).one()
                accounts.enable_user(session, user=user)
                if user.role != "admin":
                    accounts.set_role(session, user=user, role="admin", now=self.services.clock.now())
                session.commit()
            self.csrf = sign_in(self.client, "admin1")
        return {
            "Authorization": f"Bearer {API_TOKEN}",
            "Cookie": f"{SESSION_COOKIE}={self.client.cookies[SESSION_COOKIE]}",
            "X-CSRF-Token": self.csrf,
        }


@pytest.fixture
def admin(client: TestClient, services: Services) -> Admin:
    return Admin(client, services)


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
def test_no_input_gets_a_server_error(case: Any, admin: Admin) -> None:
    case.call_and_validate(headers=admin.headers(), excluded_checks=BEYOND_THE_SCHEMA)

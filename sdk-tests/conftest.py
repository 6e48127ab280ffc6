"""Fixtures: the grantd under test (GRANTD_URL and tokens, set by sdk-tests/run), one event loop
for the whole session, and official SDK clients for both API versions and both callers."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Awaitable, Callable

import pytest

import graph

DEMO_USER_COUNT = 12
ADMIN_UPN = "megan@contoso.example"
END_USER_UPN = "lidia@contoso.example"
# Demo users that the assignment-request tests assign package 2 to (AdminAdd) and then call
# filterByCurrentUser(on='target') as; sdk-tests/run mints a token for each (GRANTD_TOKEN_<NAME>).
BETA_TARGET = "lynne"
V1_TARGET = "isaiah"


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.exit(f"{name} is not set: run the suite with sdk-tests/run", returncode=2)
    return value


@pytest.fixture(scope="session")
def grantd_url() -> str:
    return _env("GRANTD_URL").rstrip("/")


@pytest.fixture(scope="session")
def admin_token() -> str:
    return _env("GRANTD_ADMIN_TOKEN")


@pytest.fixture(scope="session")
def user_token() -> str:
    return _env("GRANTD_USER_TOKEN")


@pytest.fixture(scope="session")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def run(loop) -> Callable[[Awaitable[Any]], Any]:
    """Runs one SDK coroutine to completion on the session's event loop."""
    return loop.run_until_complete


def _closing(loop, client):
    return lambda: loop.run_until_complete(client.request_adapter._http_client.aclose())


@pytest.fixture(scope="session")
def beta(request, loop, grantd_url, admin_token):
    """msgraph-beta-sdk as Megan Bowen, Identity Governance Administrator."""
    c = graph.client(grantd_url, admin_token, "beta")
    request.addfinalizer(_closing(loop, c))
    return c


@pytest.fixture(scope="session")
def v1(request, loop, grantd_url, admin_token):
    """msgraph-sdk (v1.0) as Megan Bowen, Identity Governance Administrator."""
    c = graph.client(grantd_url, admin_token, "v1.0")
    request.addfinalizer(_closing(loop, c))
    return c


@pytest.fixture(scope="session")
def client_as(request, loop, grantd_url):
    """A factory: `client_as("lynne", "beta")` is the SDK client of that API version signed in as
    the demo user lynne@contoso.example, with the token sdk-tests/run put in GRANTD_TOKEN_LYNNE."""
    made = {}

    def make(given: str, version: str):
        key = (given.lower(), version)
        if key not in made:
            made[key] = graph.client(grantd_url, _env(f"GRANTD_TOKEN_{given.upper()}"), version)
        return made[key]

    def close():
        for c in made.values():
            loop.run_until_complete(c.request_adapter._http_client.aclose())

    request.addfinalizer(close)
    return make


@pytest.fixture(scope="session")
def beta_user(request, loop, grantd_url, user_token):
    """msgraph-beta-sdk as Lidia Holloway, an end user without roles."""
    c = graph.client(grantd_url, user_token, "beta")
    request.addfinalizer(_closing(loop, c))
    return c


@pytest.fixture(scope="session")
def v1_user(request, loop, grantd_url, user_token):
    """msgraph-sdk (v1.0) as Lidia Holloway, an end user without roles."""
    c = graph.client(grantd_url, user_token, "v1.0")
    request.addfinalizer(_closing(loop, c))
    return c

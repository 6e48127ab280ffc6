"""How a client authenticates to grantd: an azure-core TokenCredential (the usual
`credentials=` style of application code) works as well as a static Kiota token provider; the
token goes only to allowed hosts; a bad token is a Graph 401 that the SDK surfaces as ODataError."""

from __future__ import annotations

import pytest
from msgraph.generated.models.o_data_errors.o_data_error import ODataError as V1ODataError
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError

import graph
from conftest import ADMIN_UPN, END_USER_UPN


def test_token_credential_client_reads_users_beta(grantd_url, admin_token, loop):
    client = graph.client_from_credential(grantd_url, graph.StaticTokenCredential(admin_token), "beta")
    try:
        page = loop.run_until_complete(client.users.get())
        assert ADMIN_UPN in {u.user_principal_name for u in page.value}
    finally:
        loop.run_until_complete(client.request_adapter._http_client.aclose())


def test_token_credential_client_reads_me_v1(grantd_url, user_token, loop):
    client = graph.client_from_credential(grantd_url, graph.StaticTokenCredential(user_token), "v1.0")
    try:
        me = loop.run_until_complete(client.me.get())
        assert me.user_principal_name == END_USER_UPN
    finally:
        loop.run_until_complete(client.request_adapter._http_client.aclose())


def test_token_is_only_given_to_allowed_hosts(admin_token, run):
    provider = graph.StaticTokenProvider(admin_token, graph.allowed_hosts("http://127.0.0.1:1/beta"))
    assert run(provider.get_authorization_token("http://127.0.0.1:5050/beta/users")) == admin_token
    assert run(provider.get_authorization_token("http://localhost:5050/v1.0/users")) == admin_token
    assert run(provider.get_authorization_token("https://graph.microsoft.com/beta/users")) == ""


def test_invalid_token_raises_odata_error_401(grantd_url, loop):
    for version, error in (("beta", ODataError), ("v1.0", V1ODataError)):
        client = graph.client(grantd_url, "not-a-jwt", version)
        try:
            with pytest.raises(error) as caught:
                loop.run_until_complete(client.users.get())
            assert caught.value.response_status_code == 401
            assert caught.value.error is not None and caught.value.error.code
        finally:
            loop.run_until_complete(client.request_adapter._http_client.aclose())

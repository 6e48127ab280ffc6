"""Users through the SDKs' typed API: list, get by id and by UPN, /me, PageIterator over
@odata.nextLink pages, $filter/$select/$orderby, and Graph errors surfacing as ODataError."""

from __future__ import annotations

import datetime
import uuid
from urllib.parse import urlparse

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.o_data_errors.o_data_error import ODataError as V1ODataError
from msgraph.generated.models.user import User as V1User
from msgraph.generated.users.users_request_builder import UsersRequestBuilder as V1UsersRequestBuilder
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.user import User
from msgraph_beta.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import PageIterator

from conftest import ADMIN_UPN, DEMO_USER_COUNT, END_USER_UPN

USER_PROPERTIES = ["id", "displayName", "userPrincipalName", "accountEnabled", "createdDateTime"]


def beta_query(**params):
    return RequestConfiguration(query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(**params))


def assert_typed_user(u, cls=User):
    assert isinstance(u, cls)
    assert u.id and uuid.UUID(u.id)
    assert u.display_name
    assert u.user_principal_name and u.user_principal_name.endswith("@contoso.example")
    assert u.account_enabled is True
    assert isinstance(u.created_date_time, datetime.datetime)
    assert u.created_date_time.utcoffset() == datetime.timedelta(0)
    leaked = set(USER_PROPERTIES) & set(u.additional_data)
    assert not leaked, f"typed properties parsed as additional_data: {leaked}"


def test_list_users_returns_typed_users_beta(beta, run):
    page = run(beta.users.get())
    assert page is not None
    assert page.value, "the demo tenant has users"
    for u in page.value:
        assert_typed_user(u)
    megan = next(u for u in page.value if u.user_principal_name == ADMIN_UPN)
    assert megan.display_name == "Megan Bowen"
    assert megan.given_name == "Megan"
    assert megan.surname == "Bowen"
    assert megan.job_title == "Identity Governance Administrator"
    assert megan.department == "IT"
    assert megan.mail == ADMIN_UPN
    assert megan.user_type == "Member"


def test_get_user_by_id_beta(beta, run):
    listed = run(beta.users.get(request_configuration=beta_query(filter=f"userPrincipalName eq '{ADMIN_UPN}'")))
    assert [u.user_principal_name for u in listed.value] == [ADMIN_UPN]
    user_id = listed.value[0].id
    u = run(beta.users.by_user_id(user_id).get())
    assert_typed_user(u)
    assert u.id == user_id
    assert u.display_name == "Megan Bowen"
    assert u.job_title == "Identity Governance Administrator"


def test_get_user_by_user_principal_name_beta(beta, run):
    u = run(beta.users.by_user_id(END_USER_UPN).get())
    assert_typed_user(u)
    assert u.display_name == "Lidia Holloway"


def test_page_iterator_follows_next_links_through_all_demo_users_beta(beta, run, grantd_url):
    first = run(beta.users.get(request_configuration=beta_query(top=5)))
    assert len(first.value) == 5
    assert first.odata_next_link, "a $top=5 page of 12 users has an @odata.nextLink"
    link = urlparse(first.odata_next_link)
    assert (link.scheme, link.netloc) == (urlparse(grantd_url).scheme, urlparse(grantd_url).netloc)
    assert "top=5" in link.query

    pages = PageIterator(first, beta.request_adapter)
    users = []

    def collect(u):
        users.append(u)
        return True

    run(pages.iterate(collect))
    assert len(users) == DEMO_USER_COUNT
    for u in users:
        assert_typed_user(u)
    assert len({u.id for u in users}) == DEMO_USER_COUNT, "no user twice across pages"


def test_filter_select_and_orderby_reach_the_server_beta(beta, run):
    page = run(
        beta.users.get(
            request_configuration=beta_query(
                filter="startswith(displayName,'L')",
                select=["id", "displayName", "userPrincipalName"],
                orderby=["displayName"],
            )
        )
    )
    assert [u.display_name for u in page.value] == ["Lee Gu", "Lidia Holloway", "Lynne Robbins"]
    for u in page.value:
        assert isinstance(u, User)
        assert u.id and u.user_principal_name
        assert u.job_title is None, "$select leaves out unselected properties"
        assert u.account_enabled is None


def test_unknown_user_raises_odata_error_404_beta(beta, run):
    missing = str(uuid.uuid4())
    with pytest.raises(ODataError) as caught:
        run(beta.users.by_user_id(missing).get())
    err = caught.value
    assert err.response_status_code == 404
    assert err.error is not None
    assert err.error.code == "Request_ResourceNotFound"
    assert missing in (err.error.message or "")
    assert err.error.inner_error is not None
    assert err.error.inner_error.request_id
    assert isinstance(err.error.inner_error.date, datetime.datetime)


def test_invalid_filter_raises_odata_error_400_beta(beta, run):
    with pytest.raises(ODataError) as caught:
        run(beta.users.get(request_configuration=beta_query(filter="noSuchProperty eq 'x'")))
    assert caught.value.response_status_code == 400
    assert caught.value.error is not None and caught.value.error.code
    assert caught.value.error.message


def test_me_is_the_signed_in_end_user_beta(beta_user, run):
    me = run(beta_user.me().get())
    assert_typed_user(me)
    assert me.user_principal_name == END_USER_UPN
    assert me.display_name == "Lidia Holloway"


def test_list_users_returns_typed_users_v1(v1, run):
    page = run(v1.users.get())
    assert page is not None and page.value
    for u in page.value:
        assert_typed_user(u, V1User)
    assert ADMIN_UPN in {u.user_principal_name for u in page.value}


def test_page_iterator_follows_next_links_through_all_demo_users_v1(v1, run):
    query = V1UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=5, select=["id", "displayName"])
    first = run(v1.users.get(request_configuration=RequestConfiguration(query_parameters=query)))
    assert len(first.value) == 5
    users = []
    run(PageIterator(first, v1.request_adapter).iterate(lambda u: users.append(u) or True))
    assert len({u.id for u in users}) == DEMO_USER_COUNT
    assert all(isinstance(u, V1User) and u.display_name for u in users)


def test_get_user_by_id_and_unknown_user_v1(v1, v1_user, run):
    me = run(v1_user.me.get())
    assert me.user_principal_name == END_USER_UPN
    u = run(v1.users.by_user_id(me.id).get())
    assert_typed_user(u, V1User)
    assert (u.display_name, u.job_title, u.department) == ("Lidia Holloway", "Software Engineer", "Engineering")
    with pytest.raises(V1ODataError) as caught:
        run(v1.users.by_user_id(str(uuid.uuid4())).get())
    assert caught.value.response_status_code == 404
    assert caught.value.error.code == "Request_ResourceNotFound"

"""Assignment requests through msgraph-beta-sdk's typed API, end to end: Megan (Identity
Governance Administrator) creates AdminAdd requests on the direct policy of demo package 2
("Engineering Onboarding"), which grantd delivers; she reads one back with
$expand=accessPackage,requestor and pages a filtered list with $top=1; the target calls
filterByCurrentUser(on='target'); Lidia asks for package 1 as UserAdd (manager approval, so the
request waits in PendingApproval), cancels it, and Megan deletes it; the deprecated
accessPackageAssignmentRequests set reads the same requests. Beta names throughout
(requestState, requestStatus, accessPackageAssignment, completedDate), as plain strings."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph_beta.generated.identity_governance.entitlement_management.access_package_assignment_requests.access_package_assignment_requests_request_builder import (
    AccessPackageAssignmentRequestsRequestBuilder as DeprecatedRequestsBuilder,
)
from msgraph_beta.generated.identity_governance.entitlement_management.assignment_requests.assignment_requests_request_builder import (
    AssignmentRequestsRequestBuilder as RequestsBuilder,
)
from msgraph_beta.generated.identity_governance.entitlement_management.assignment_requests.item.access_package_assignment_request_item_request_builder import (
    AccessPackageAssignmentRequestItemRequestBuilder as RequestBuilder,
)
from msgraph_beta.generated.models.access_package import AccessPackage
from msgraph_beta.generated.models.access_package_assignment import AccessPackageAssignment
from msgraph_beta.generated.models.access_package_assignment_request import AccessPackageAssignmentRequest
from msgraph_beta.generated.models.access_package_subject import AccessPackageSubject
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_core import PageIterator

from conftest import ADMIN_UPN, BETA_TARGET, END_USER_UPN
from typed import assert_fully_typed

# Demo tenant (crates/server/src/demo.rs): package 1 "Sales Tools" with its self-service policy
# policy_id(12) "Employees, manager approval" (justification required); package 2 "Engineering
# Onboarding" with its administrator-only direct policy policy_id(21).
PACKAGE_1 = "5e3ba5e5-0000-4000-8000-000000040001"
POLICY_12 = "5e3ba5e5-0000-4000-8000-00000005000c"
PACKAGE_2 = "5e3ba5e5-0000-4000-8000-000000040002"
POLICY_21 = "5e3ba5e5-0000-4000-8000-000000050015"
# A second AdminAdd target, so that the filtered list has more than one page of one.
OTHER_TARGET_UPN = "patti@contoso.example"

OPEN_STATES = {"Submitted", "PendingApproval", "Delivering", "Scheduled"}


def em(client):
    return client.identity_governance.entitlement_management


def user_id(client, run, upn: str) -> str:
    return run(client.users.by_user_id(upn).get()).id


def get_request(client, run, request_id: str, expand: list[str] | None = None) -> AccessPackageAssignmentRequest:
    config = RequestConfiguration(
        query_parameters=RequestBuilder.AccessPackageAssignmentRequestItemRequestBuilderGetQueryParameters(expand=expand)
    )
    return run(em(client).assignment_requests.by_access_package_assignment_request_id(request_id).get(request_configuration=config))


def wait_for_state(client, run, request_id: str, want: str, seconds: float = 30.0) -> AccessPackageAssignmentRequest:
    deadline = time.monotonic() + seconds
    while True:
        r = get_request(client, run, request_id)
        if r.request_state == want:
            return r
        assert r.request_state in OPEN_STATES, f"request {request_id} ended {r.request_state!r}, not {want!r}"
        assert time.monotonic() < deadline, f"request {request_id} still {r.request_state!r} after {seconds} s"
        time.sleep(0.2)


def assert_request_basics(r, what: str) -> None:
    assert isinstance(r, AccessPackageAssignmentRequest), f"{what}: parsed as {type(r).__name__}"
    assert r.id and uuid.UUID(r.id), f"{what}: id {r.id!r}"
    assert isinstance(r.created_date_time, datetime.datetime), f"{what}: createdDateTime {r.created_date_time!r}"
    assert r.created_date_time.utcoffset() == datetime.timedelta(0), f"{what}: createdDateTime not UTC"
    assert r.request_type, f"{what}: requestType"
    assert r.request_state, f"{what}: requestState (beta name; v1.0's state would land in additional_data)"
    assert r.request_status, f"{what}: requestStatus"
    for v1_name in ("state", "status", "completedDateTime", "assignment"):
        assert v1_name not in r.additional_data, f"{what}: v1.0 name {v1_name!r} on beta"
    assert_fully_typed(r, what)


def admin_add(beta, run, target_id: str) -> AccessPackageAssignmentRequest:
    body = AccessPackageAssignmentRequest(
        request_type="AdminAdd",
        access_package_assignment=AccessPackageAssignment(
            access_package_id=PACKAGE_2, assignment_policy_id=POLICY_21, target_id=target_id
        ),
    )
    return run(em(beta).assignment_requests.post(body))


@pytest.fixture(scope="module")
def created(beta, run):
    """The two AdminAdd requests (target: the BETA_TARGET user, then Patti), as created."""
    target = user_id(beta, run, f"{BETA_TARGET}@contoso.example")
    other = user_id(beta, run, OTHER_TARGET_UPN)
    return [(admin_add(beta, run, target), target), (admin_add(beta, run, other), other)]


def test_create_admin_add_request_beta(created):
    for r, _ in created:
        assert_request_basics(r, "created request")
        assert r.request_type == "AdminAdd", f"beta requestType is PascalCase, got {r.request_type!r}"
        assert r.request_state in OPEN_STATES | {"Delivered"}, f"requestState {r.request_state!r}"
        assert isinstance(r.custom_extension_handler_instances, list), "customExtensionHandlerInstances is []"
        assert isinstance(r.answers, list), "answers is []"


def test_admin_add_is_delivered_and_reads_back_expanded_beta(beta, run, created):
    request, _ = created[0]
    wait_for_state(beta, run, request.id, "Delivered")
    got = get_request(beta, run, request.id, expand=["accessPackage", "requestor"])
    assert_request_basics(got, "request")
    assert (got.id, got.request_type, got.request_state) == (request.id, "AdminAdd", "Delivered")
    assert got.request_status, "requestStatus"
    assert isinstance(got.completed_date, datetime.datetime), f"beta completedDate {got.completed_date!r}"
    assert got.completed_date.utcoffset() == datetime.timedelta(0)
    assert isinstance(got.access_package, AccessPackage), "$expand=accessPackage gives an AccessPackage"
    assert got.access_package.id == PACKAGE_2
    assert got.access_package.display_name == "Engineering Onboarding"
    assert_fully_typed(got.access_package, "expanded accessPackage")
    assert isinstance(got.requestor, AccessPackageSubject), "$expand=requestor gives an AccessPackageSubject"
    assert got.requestor.object_id == user_id(beta, run, ADMIN_UPN), "Megan made the request"
    assert got.requestor.display_name == "Megan Bowen"
    assert_fully_typed(got.requestor, "expanded requestor")


def test_filtered_list_pages_with_top_1_beta(beta, run, created):
    config = RequestConfiguration(
        query_parameters=RequestsBuilder.AssignmentRequestsRequestBuilderGetQueryParameters(
            filter=f"accessPackage/id eq '{PACKAGE_2}'", top=1
        )
    )
    first = run(em(beta).assignment_requests.get(request_configuration=config))
    assert first is not None and len(first.value) == 1, "$top=1 is a page of one"
    assert first.odata_next_link, "more than one request on package 2: a nextLink"
    seen = []

    def collect(r):
        assert_request_basics(r, "listed request")
        seen.append(r.id)
        return True

    run(PageIterator(first, beta.request_adapter).iterate(collect))
    assert len(seen) == len(set(seen)), f"no request twice across pages: {seen}"
    assert {r.id for r, _ in created} <= set(seen), "both AdminAdd requests are in the filtered list"


def test_filter_by_current_user_target_beta(client_as, run, created):
    target = client_as(BETA_TARGET, "beta")
    page = run(em(target).assignment_requests.filter_by_current_user_with_on("target").get())
    assert page is not None
    ids = [r.id for r in page.value]
    assert created[0][0].id in ids, f"the request that targets {BETA_TARGET} is listed"
    assert created[1][0].id not in ids, "a request for someone else is not"
    for r in page.value:
        assert_request_basics(r, "filterByCurrentUser item")


def test_user_add_pending_approval_is_canceled_then_deleted_beta(beta, beta_user, run):
    lidia = user_id(beta_user, run, END_USER_UPN)
    body = AccessPackageAssignmentRequest(
        request_type="UserAdd",
        access_package_assignment=AccessPackageAssignment(
            access_package_id=PACKAGE_1, assignment_policy_id=POLICY_12, target_id=lidia
        ),
        justification="Need the sales tools for a customer demo",
    )
    created = run(em(beta_user).assignment_requests.post(body))
    assert_request_basics(created, "UserAdd request")
    assert created.request_type == "UserAdd"
    assert created.justification == "Need the sales tools for a customer demo"
    pending = wait_for_state(beta_user, run, created.id, "PendingApproval")
    assert pending.request_status, "requestStatus"

    item = em(beta_user).assignment_requests.by_access_package_assignment_request_id(created.id)
    run(item.cancel.post())
    canceled = get_request(beta_user, run, created.id)
    assert canceled.request_state == "Canceled", f"after cancel: {canceled.request_state!r}"
    assert_request_basics(canceled, "canceled request")

    run(em(beta).assignment_requests.by_access_package_assignment_request_id(created.id).delete())
    with pytest.raises(ODataError) as caught:
        get_request(beta, run, created.id)
    assert (caught.value.response_status_code, caught.value.error.code) == (404, "ResourceNotFound")


def test_deprecated_access_package_assignment_requests_beta(beta, run, created):
    request, target = created[0]
    got = run(em(beta).access_package_assignment_requests.by_access_package_assignment_request_id(request.id).get())
    assert_request_basics(got, "request on the deprecated path")
    assert (got.id, got.request_type) == (request.id, "AdminAdd")
    config = RequestConfiguration(
        query_parameters=DeprecatedRequestsBuilder.AccessPackageAssignmentRequestsRequestBuilderGetQueryParameters(
            filter=f"accessPackage/id eq '{PACKAGE_2}'", expand=["accessPackageAssignment"], top=50
        )
    )
    page = run(em(beta).access_package_assignment_requests.get(request_configuration=config))
    listed = {r.id: r for r in page.value}
    assert request.id in listed, "the deprecated list has the request"
    a = listed[request.id].access_package_assignment
    assert isinstance(a, AccessPackageAssignment), "$expand=accessPackageAssignment"
    assert a.target_id == target and a.access_package_id == PACKAGE_2, "beta assignment ids"
    assert_fully_typed(a, "expanded accessPackageAssignment")

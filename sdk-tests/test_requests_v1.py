"""Assignment requests through msgraph-sdk's (v1.0) typed API, end to end: Megan (Identity
Governance Administrator) creates AdminAdd requests on the direct policy of demo package 2 with
the typed `assignment` (accessPackage / assignmentPolicy / target navigations), which grantd
delivers; she reads one back with $expand=accessPackage,requestor and pages a filtered list with
$top=1; the target calls filterByCurrentUser(on='target') and reads the assignment it got;
Lidia asks for package 1 as userAdd (manager approval: pendingApproval), cancels it, and Megan
deletes it. v1.0 names (state, status, completedDateTime, assignment) and real enums. v1.0 has
no deprecated accessPackageAssignmentRequests set (test_requests_beta.py reads it)."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.identity_governance.entitlement_management.assignment_requests.assignment_requests_request_builder import (
    AssignmentRequestsRequestBuilder as RequestsBuilder,
)
from msgraph.generated.identity_governance.entitlement_management.assignment_requests.item.access_package_assignment_request_item_request_builder import (
    AccessPackageAssignmentRequestItemRequestBuilder as RequestBuilder,
)
from msgraph.generated.identity_governance.entitlement_management.assignments.assignments_request_builder import (
    AssignmentsRequestBuilder,
)
from msgraph.generated.models.access_package import AccessPackage
from msgraph.generated.models.access_package_assignment import AccessPackageAssignment
from msgraph.generated.models.access_package_assignment_policy import AccessPackageAssignmentPolicy
from msgraph.generated.models.access_package_assignment_request import AccessPackageAssignmentRequest
from msgraph.generated.models.access_package_assignment_state import AccessPackageAssignmentState
from msgraph.generated.models.access_package_request_state import AccessPackageRequestState as State
from msgraph.generated.models.access_package_request_type import AccessPackageRequestType as Type
from msgraph.generated.models.access_package_subject import AccessPackageSubject
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_core import PageIterator

from conftest import ADMIN_UPN, END_USER_UPN, V1_TARGET
from typed import assert_fully_typed

# Demo tenant (crates/server/src/demo.rs), as in test_requests_beta.py.
PACKAGE_1 = "5e3ba5e5-0000-4000-8000-000000040001"
POLICY_12 = "5e3ba5e5-0000-4000-8000-00000005000c"
PACKAGE_2 = "5e3ba5e5-0000-4000-8000-000000040002"
POLICY_21 = "5e3ba5e5-0000-4000-8000-000000050015"
OTHER_TARGET_UPN = "diego@contoso.example"

OPEN_STATES = {State.Submitted, State.PendingApproval, State.Delivering, State.Scheduled}


def em(client):
    return client.identity_governance.entitlement_management


def user_id(client, run, upn: str) -> str:
    return run(client.users.by_user_id(upn).get()).id


def get_request(client, run, request_id: str, expand: list[str] | None = None) -> AccessPackageAssignmentRequest:
    config = RequestConfiguration(
        query_parameters=RequestBuilder.AccessPackageAssignmentRequestItemRequestBuilderGetQueryParameters(expand=expand)
    )
    return run(em(client).assignment_requests.by_access_package_assignment_request_id(request_id).get(request_configuration=config))


def wait_for_state(client, run, request_id: str, want: State, seconds: float = 30.0) -> AccessPackageAssignmentRequest:
    deadline = time.monotonic() + seconds
    while True:
        r = get_request(client, run, request_id)
        if r.state == want:
            return r
        assert r.state in OPEN_STATES, f"request {request_id} ended {r.state!r}, not {want!r}"
        assert time.monotonic() < deadline, f"request {request_id} still {r.state!r} after {seconds} s"
        time.sleep(0.2)


def assert_request_basics(r, what: str) -> None:
    assert isinstance(r, AccessPackageAssignmentRequest), f"{what}: parsed as {type(r).__name__}"
    assert r.id and uuid.UUID(r.id), f"{what}: id {r.id!r}"
    assert isinstance(r.created_date_time, datetime.datetime), f"{what}: createdDateTime {r.created_date_time!r}"
    assert r.created_date_time.utcoffset() == datetime.timedelta(0), f"{what}: createdDateTime not UTC"
    assert isinstance(r.request_type, Type), f"{what}: requestType must be the camelCase enum value, got {r.request_type!r}"
    assert isinstance(r.state, State), f"{what}: state must be the camelCase enum value, got {r.state!r}"
    assert r.status, f"{what}: status"
    for beta_name in ("requestState", "requestStatus", "completedDate", "accessPackageAssignment"):
        assert beta_name not in r.additional_data, f"{what}: beta name {beta_name!r} on v1.0"
    assert_fully_typed(r, what)


def admin_add(v1, run, target_id: str) -> AccessPackageAssignmentRequest:
    body = AccessPackageAssignmentRequest(
        request_type=Type.AdminAdd,
        assignment=AccessPackageAssignment(
            access_package=AccessPackage(id=PACKAGE_2),
            assignment_policy=AccessPackageAssignmentPolicy(id=POLICY_21),
            target=AccessPackageSubject(object_id=target_id),
        ),
    )
    return run(em(v1).assignment_requests.post(body))


@pytest.fixture(scope="module")
def created(v1, run):
    """The two adminAdd requests (target: the V1_TARGET user, then Diego), as created."""
    target = user_id(v1, run, f"{V1_TARGET}@contoso.example")
    other = user_id(v1, run, OTHER_TARGET_UPN)
    return [(admin_add(v1, run, target), target), (admin_add(v1, run, other), other)]


def test_create_admin_add_request_v1(created):
    for r, _ in created:
        assert_request_basics(r, "created request")
        assert r.request_type == Type.AdminAdd
        assert r.state in OPEN_STATES | {State.Delivered}, f"state {r.state!r}"
        assert isinstance(r.answers, list), "answers is []"
        assert isinstance(r.custom_extension_callout_instances, list), "customExtensionCalloutInstances is []"


def test_admin_add_is_delivered_and_reads_back_expanded_v1(v1, run, created):
    request, _ = created[0]
    wait_for_state(v1, run, request.id, State.Delivered)
    got = get_request(v1, run, request.id, expand=["accessPackage", "requestor"])
    assert_request_basics(got, "request")
    assert (got.id, got.request_type, got.state) == (request.id, Type.AdminAdd, State.Delivered)
    assert isinstance(got.completed_date_time, datetime.datetime), f"completedDateTime {got.completed_date_time!r}"
    assert got.completed_date_time.utcoffset() == datetime.timedelta(0)
    assert isinstance(got.access_package, AccessPackage), "$expand=accessPackage gives an AccessPackage"
    assert got.access_package.id == PACKAGE_2
    assert got.access_package.display_name == "Engineering Onboarding"
    assert_fully_typed(got.access_package, "expanded accessPackage")
    assert isinstance(got.requestor, AccessPackageSubject), "$expand=requestor gives an AccessPackageSubject"
    assert got.requestor.object_id == user_id(v1, run, ADMIN_UPN), "Megan made the request"
    assert got.requestor.display_name == "Megan Bowen"
    assert_fully_typed(got.requestor, "expanded requestor")


def test_filtered_list_pages_with_top_1_v1(v1, run, created):
    config = RequestConfiguration(
        query_parameters=RequestsBuilder.AssignmentRequestsRequestBuilderGetQueryParameters(
            filter=f"accessPackage/id eq '{PACKAGE_2}'", top=1
        )
    )
    first = run(em(v1).assignment_requests.get(request_configuration=config))
    assert first is not None and len(first.value) == 1, "$top=1 is a page of one"
    assert first.odata_next_link, "more than one request on package 2: a nextLink"
    seen = []

    def collect(r):
        assert_request_basics(r, "listed request")
        seen.append(r.id)
        return True

    run(PageIterator(first, v1.request_adapter).iterate(collect))
    assert len(seen) == len(set(seen)), f"no request twice across pages: {seen}"
    assert {r.id for r, _ in created} <= set(seen), "both adminAdd requests are in the filtered list"


def test_filter_by_current_user_target_and_the_assignment_v1(v1, client_as, run, created):
    request, target_id = created[0]
    wait_for_state(v1, run, request.id, State.Delivered)
    target = client_as(V1_TARGET, "v1.0")
    page = run(em(target).assignment_requests.filter_by_current_user_with_on("target").get())
    assert page is not None
    ids = [r.id for r in page.value]
    assert request.id in ids, f"the request that targets {V1_TARGET} is listed"
    assert created[1][0].id not in ids, "a request for someone else is not"
    for r in page.value:
        assert_request_basics(r, "filterByCurrentUser item")

    # The assignment the request produced: one, delivered, for the target on package 2.
    config = RequestConfiguration(
        query_parameters=AssignmentsRequestBuilder.AssignmentsRequestBuilderGetQueryParameters(
            filter=f"target/objectId eq '{target_id}' and accessPackage/id eq '{PACKAGE_2}'",
            expand=["target", "accessPackage"],
        )
    )
    assignments = run(em(v1).assignments.get(request_configuration=config)).value
    assert len(assignments) == 1, f"one assignment for the target: {assignments}"
    a = assignments[0]
    assert isinstance(a, AccessPackageAssignment)
    assert a.state == AccessPackageAssignmentState.Delivered, f"assignment state {a.state!r}"
    assert a.target.object_id == target_id and a.access_package.id == PACKAGE_2
    assert_fully_typed(a, "assignment")


def test_user_add_pending_approval_is_canceled_then_deleted_v1(v1, v1_user, run):
    lidia = user_id(v1_user, run, END_USER_UPN)
    body = AccessPackageAssignmentRequest(
        request_type=Type.UserAdd,
        assignment=AccessPackageAssignment(
            access_package=AccessPackage(id=PACKAGE_1),
            assignment_policy=AccessPackageAssignmentPolicy(id=POLICY_12),
            target=AccessPackageSubject(object_id=lidia),
        ),
        justification="Need the sales tools for a customer demo",
    )
    created = run(em(v1_user).assignment_requests.post(body))
    assert_request_basics(created, "userAdd request")
    assert created.request_type == Type.UserAdd
    assert created.justification == "Need the sales tools for a customer demo"
    wait_for_state(v1_user, run, created.id, State.PendingApproval)

    run(em(v1_user).assignment_requests.by_access_package_assignment_request_id(created.id).cancel.post())
    canceled = get_request(v1_user, run, created.id)
    assert canceled.state == State.Canceled, f"after cancel: {canceled.state!r}"
    assert_request_basics(canceled, "canceled request")

    run(em(v1).assignment_requests.by_access_package_assignment_request_id(created.id).delete())
    with pytest.raises(ODataError) as caught:
        get_request(v1, run, created.id)
    assert (caught.value.response_status_code, caught.value.error.code) == (404, "ResourceNotFound")

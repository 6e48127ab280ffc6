"""Entitlement management through msgraph-sdk's (v1.0) typed API: catalogs, accessPackages with
$expand=assignmentPolicies / catalog, and assignmentPolicies, with v1.0 names and real enums
(catalog state `published`, not beta's catalogStatus)."""

from __future__ import annotations

import uuid

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.identity_governance.entitlement_management.access_packages.access_packages_request_builder import (
    AccessPackagesRequestBuilder as PackagesBuilder,
)
from msgraph.generated.identity_governance.entitlement_management.access_packages.item.access_package_item_request_builder import (
    AccessPackageItemRequestBuilder as PackageBuilder,
)
from msgraph.generated.models.access_package import AccessPackage
from msgraph.generated.models.access_package_assignment_policy import AccessPackageAssignmentPolicy
from msgraph.generated.models.access_package_catalog import AccessPackageCatalog
from msgraph.generated.models.access_package_catalog_state import AccessPackageCatalogState
from msgraph.generated.models.access_package_catalog_type import AccessPackageCatalogType
from msgraph.generated.models.allowed_target_scope import AllowedTargetScope
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from typed import assert_entity_basics, first_with


def em(client):
    return client.identity_governance.entitlement_management


def list_packages_with_policies(v1, run):
    config = RequestConfiguration(
        query_parameters=PackagesBuilder.AccessPackagesRequestBuilderGetQueryParameters(expand=["assignmentPolicies"])
    )
    page = run(em(v1).access_packages.get(request_configuration=config))
    assert page is not None and page.value, "the demo tenant has access packages"
    return page.value


def test_list_catalogs_v1(v1, run):
    page = run(em(v1).catalogs.get())
    assert page is not None and page.value, "the demo tenant has catalogs"
    for c in page.value:
        assert_entity_basics(c, AccessPackageCatalog, f"catalog {c.display_name!r}")
        assert isinstance(c.state, AccessPackageCatalogState), f"v1.0 state must be the camelCase enum value, got {c.state!r}"
        assert isinstance(c.catalog_type, AccessPackageCatalogType), f"catalogType {c.catalog_type!r}"
        assert c.is_externally_visible is not None
        assert "state" not in c.additional_data
        assert "catalogStatus" not in c.additional_data, "catalogStatus is the beta name"
    assert any(c.state == AccessPackageCatalogState.Published for c in page.value)


def test_get_catalog_by_id_v1(v1, run):
    want = run(em(v1).catalogs.get()).value[0]
    got = run(em(v1).catalogs.by_access_package_catalog_id(want.id).get())
    assert_entity_basics(got, AccessPackageCatalog, "catalog")
    assert (got.id, got.display_name, got.state) == (want.id, want.display_name, want.state)


def test_list_access_packages_with_expanded_assignment_policies_v1(v1, run):
    packages = list_packages_with_policies(v1, run)
    for p in packages:
        assert_entity_basics(p, AccessPackage, f"package {p.display_name!r}")
        assert p.is_hidden is not None
        assert "catalogId" not in p.additional_data, "v1.0 accessPackage has no catalogId"
        assert isinstance(p.assignment_policies, list), "$expand=assignmentPolicies gives typed assignment_policies"
        assert "accessPackageAssignmentPolicies" not in p.additional_data
        for pol in p.assignment_policies:
            assert_entity_basics(pol, AccessPackageAssignmentPolicy, f"policy {pol.display_name!r}")
            assert isinstance(pol.allowed_target_scope, AllowedTargetScope), f"allowedTargetScope {pol.allowed_target_scope!r}"
            assert "accessPackageId" not in pol.additional_data, "v1.0 policy has no accessPackageId"
    first_with(packages, lambda p: p.assignment_policies, "some demo package has a policy")


def test_get_access_package_with_expanded_catalog_v1(v1, run):
    package = list_packages_with_policies(v1, run)[0]
    config = RequestConfiguration(
        query_parameters=PackageBuilder.AccessPackageItemRequestBuilderGetQueryParameters(expand=["catalog"])
    )
    got = run(em(v1).access_packages.by_access_package_id(package.id).get(request_configuration=config))
    assert_entity_basics(got, AccessPackage, "package")
    assert got.id == package.id
    assert isinstance(got.catalog, AccessPackageCatalog), "expanded v1.0 catalog"
    assert got.catalog.display_name and isinstance(got.catalog.state, AccessPackageCatalogState)
    assert "accessPackageCatalog" not in got.additional_data


def test_list_assignment_policies_v1(v1, run):
    page = run(em(v1).assignment_policies.get())
    assert page is not None and page.value, "the demo tenant has policies"
    expanded = {pol.id for p in list_packages_with_policies(v1, run) for pol in p.assignment_policies}
    for pol in page.value:
        assert_entity_basics(pol, AccessPackageAssignmentPolicy, f"policy {pol.display_name!r}")
    assert {pol.id for pol in page.value} >= expanded


def test_unknown_catalog_raises_odata_error_v1(v1, run):
    with pytest.raises(ODataError) as caught:
        run(em(v1).catalogs.by_access_package_catalog_id(str(uuid.uuid4())).get())
    err = caught.value
    # Graph answers an unknown catalog id with 403 UnAuthorized (errors.md A1); 404 is the plain choice.
    assert (err.response_status_code, err.error.code) in ((404, "ResourceNotFound"), (403, "UnAuthorized"))
    assert err.error.message

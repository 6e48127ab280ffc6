"""Entitlement management through msgraph-beta-sdk's typed API: accessPackageCatalogs,
accessPackages with $expand=accessPackageAssignmentPolicies / accessPackageCatalog, and
accessPackageAssignmentPolicies, all with beta property names (catalogStatus, catalogId,
accessPackageId). The demo tenant seeds catalogs and access packages with policies."""

from __future__ import annotations

import uuid

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph_beta.generated.identity_governance.entitlement_management.access_package_assignment_policies.access_package_assignment_policies_request_builder import (
    AccessPackageAssignmentPoliciesRequestBuilder as PoliciesBuilder,
)
from msgraph_beta.generated.identity_governance.entitlement_management.access_packages.access_packages_request_builder import (
    AccessPackagesRequestBuilder as PackagesBuilder,
)
from msgraph_beta.generated.identity_governance.entitlement_management.access_packages.item.access_package_item_request_builder import (
    AccessPackageItemRequestBuilder as PackageBuilder,
)
from msgraph_beta.generated.models.access_package import AccessPackage
from msgraph_beta.generated.models.access_package_assignment_policy import AccessPackageAssignmentPolicy
from msgraph_beta.generated.models.access_package_catalog import AccessPackageCatalog
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_core import PageIterator

from typed import assert_entity_basics, first_with


def em(client):
    return client.identity_governance.entitlement_management


def packages_query(**params):
    return RequestConfiguration(query_parameters=PackagesBuilder.AccessPackagesRequestBuilderGetQueryParameters(**params))


def list_packages_with_policies(beta, run):
    page = run(em(beta).access_packages.get(request_configuration=packages_query(expand=["accessPackageAssignmentPolicies"])))
    assert page is not None and page.value, "the demo tenant has access packages"
    return page.value


def test_list_access_package_catalogs_beta(beta, run):
    page = run(em(beta).access_package_catalogs.get())
    assert page is not None and page.value, "the demo tenant has catalogs"
    for c in page.value:
        assert_entity_basics(c, AccessPackageCatalog, f"catalog {c.display_name!r}")
        assert c.catalog_status in ("Published", "Unpublished"), f"beta catalogStatus {c.catalog_status!r}"
        assert c.catalog_type, "catalogType"
        assert c.is_externally_visible is not None, "isExternallyVisible"
        assert "state" not in c.additional_data, "beta says catalogStatus, not state"
    assert any(c.catalog_status == "Published" for c in page.value)


def test_get_access_package_catalog_by_id_beta(beta, run):
    listed = run(em(beta).access_package_catalogs.get())
    want = listed.value[0]
    got = run(em(beta).access_package_catalogs.by_access_package_catalog_id(want.id).get())
    assert_entity_basics(got, AccessPackageCatalog, "catalog")
    assert (got.id, got.display_name, got.catalog_status) == (want.id, want.display_name, want.catalog_status)


def test_list_access_packages_with_expanded_policies_beta(beta, run):
    packages = list_packages_with_policies(beta, run)
    catalog_ids = {c.id for c in run(em(beta).access_package_catalogs.get()).value}
    for p in packages:
        assert_entity_basics(p, AccessPackage, f"package {p.display_name!r}")
        assert p.catalog_id in catalog_ids, f"package {p.display_name!r}: beta catalogId {p.catalog_id!r}"
        assert p.is_hidden is not None, "isHidden"
        assert isinstance(p.access_package_assignment_policies, list), (
            "$expand=accessPackageAssignmentPolicies gives a list (not assignmentPolicies in additional_data)"
        )
        assert "assignmentPolicies" not in p.additional_data
        for pol in p.access_package_assignment_policies:
            assert_entity_basics(pol, AccessPackageAssignmentPolicy, f"policy {pol.display_name!r}")
            assert pol.access_package_id == p.id, "beta accessPackageId names the owning package"
    first_with(packages, lambda p: p.access_package_assignment_policies, "some demo package has a policy")


def test_get_access_package_with_expanded_catalog_beta(beta, run):
    package = list_packages_with_policies(beta, run)[0]
    config = RequestConfiguration(
        query_parameters=PackageBuilder.AccessPackageItemRequestBuilderGetQueryParameters(expand=["accessPackageCatalog"])
    )
    got = run(em(beta).access_packages.by_access_package_id(package.id).get(request_configuration=config))
    assert_entity_basics(got, AccessPackage, "package")
    assert (got.id, got.display_name, got.catalog_id) == (package.id, package.display_name, package.catalog_id)
    assert isinstance(got.access_package_catalog, AccessPackageCatalog), "expanded beta accessPackageCatalog"
    assert got.access_package_catalog.id == package.catalog_id
    assert got.access_package_catalog.display_name
    assert "catalog" not in got.additional_data, "beta says accessPackageCatalog, not catalog"


def test_access_packages_page_with_top_and_filter_beta(beta, run):
    everything = list_packages_with_policies(beta, run)
    first = run(em(beta).access_packages.get(request_configuration=packages_query(top=1)))
    assert len(first.value) == 1
    seen = []
    run(PageIterator(first, beta.request_adapter).iterate(lambda p: seen.append(p) or True))
    assert sorted(p.id for p in seen) == sorted(p.id for p in everything)

    name = everything[0].display_name.replace("'", "''")
    filtered = run(em(beta).access_packages.get(request_configuration=packages_query(filter=f"displayName eq '{name}'")))
    assert everything[0].id in [p.id for p in filtered.value]


def test_list_access_package_assignment_policies_beta(beta, run):
    config = RequestConfiguration(
        query_parameters=PoliciesBuilder.AccessPackageAssignmentPoliciesRequestBuilderGetQueryParameters(top=50)
    )
    page = run(em(beta).access_package_assignment_policies.get(request_configuration=config))
    assert page is not None and page.value, "the demo tenant has policies"
    package_ids = {p.id for p in list_packages_with_policies(beta, run)}
    for pol in page.value:
        assert_entity_basics(pol, AccessPackageAssignmentPolicy, f"policy {pol.display_name!r}")
        assert pol.access_package_id in package_ids


def test_unknown_access_package_raises_odata_error_beta(beta, run):
    with pytest.raises(ODataError) as caught:
        run(em(beta).access_packages.by_access_package_id(str(uuid.uuid4())).get())
    err = caught.value
    # Graph itself answers some unknown EM ids with 403 UnAuthorized (errors.md A1/A2).
    assert (err.response_status_code, err.error.code) in ((404, "ResourceNotFound"), (403, "UnAuthorized"))
    assert err.error.message
    assert err.error.inner_error is not None and err.error.inner_error.request_id

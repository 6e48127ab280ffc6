//! The fuzzing harness of the query pipeline: a raw query string through the parser, then bound
//! (`$filter`, `$orderby`, `$search`, `$skiptoken`, `$expand`, `$select`) against every entity's
//! field catalog on both API versions, then compiled to SQL for both backends. Used by the
//! `cargo fuzz` target (fuzz/) and by the bounded stable run (tests/query_fuzz.rs). It must
//! never panic, whatever the input; errors are the expected outcome for most inputs.
use super::{Kind, OData};
use crate::json::ApiVersion;
use grantd_domain::fields::FieldCatalog;
use grantd_domain::{catalog, directory, policy, resource, roles, TenantId};
use grantd_store::{page_sql, Backend};

/// Every list's field catalog with its entity kind and table, per version.
fn targets(v: ApiVersion) -> Vec<(&'static FieldCatalog, Kind, &'static str)> {
    let v1 = v == ApiVersion::V1;
    let pick = |a: &'static FieldCatalog, b: &'static FieldCatalog| if v1 { a } else { b };
    vec![
        (&directory::USER_CATALOG, Kind::User, "users"),
        (&directory::GROUP_CATALOG, Kind::Group, "groups"),
        (&roles::ROLE_ASSIGNMENT_CATALOG, Kind::RoleAssignment, "role_assignments"),
        (pick(&catalog::CATALOG_V1, &catalog::CATALOG_BETA), Kind::Catalog, "catalogs"),
        (pick(&catalog::PACKAGE_V1, &catalog::PACKAGE_BETA), Kind::Package, "access_packages"),
        (pick(&policy::POLICY_V1, &policy::POLICY_BETA), Kind::Policy, "assignment_policies"),
        (pick(&resource::RESOURCE_V1, &resource::RESOURCE_BETA), Kind::Resource, "resources"),
        (pick(&resource::ROLE_V1, &resource::ROLE_BETA), Kind::Role, "resource_roles"),
        (pick(&resource::SCOPE_V1, &resource::SCOPE_BETA), Kind::Scope, "resource_scopes"),
        (pick(&resource::ROLE_SCOPE_V1, &resource::ROLE_SCOPE_BETA), Kind::RoleScope, "resource_role_scopes"),
        (pick(&resource::REQUEST_V1, &resource::REQUEST_BETA), Kind::ResourceRequest, "resource_requests"),
    ]
}

/// Runs one raw query string through everything; returns how many (entity, version) bindings
/// succeeded, so callers can report coverage.
pub fn exercise(raw_query: &str) -> usize {
    let Ok(opts) = grantd_odata::parse_query(raw_query) else { return 0 };
    let mut bound = 0;
    for v in [ApiVersion::V1, ApiVersion::Beta] {
        let Ok(q) = OData::from_options(opts.clone(), v) else { continue };
        for (fields, kind, table) in targets(v) {
            let navs: Vec<&str> = kind.navs(v).iter().map(|(n, _)| *n).collect();
            let _ = q.expand_tree(kind.entity(), &navs);
            let mut items = [serde_json::json!({"id": "x", "displayName": "y"})];
            let _ = q.select(kind.entity(), &mut items, &navs);
            let Ok(lq) = q.list_query_with_search(fields, catalog::SEARCHABLE) else { continue };
            bound += 1;
            for backend in [Backend::Sqlite, Backend::Postgres] {
                let _ = page_sql(backend, table, TenantId(uuid::Uuid::nil()), &lq);
            }
        }
    }
    bound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_declared_path_is_deeper_than_the_lookup_bound() {
        for v in [ApiVersion::V1, ApiVersion::Beta] {
            for (catalog, _, _) in targets(v) {
                let depth = |p: &str| p.split('/').count();
                for f in catalog.fields {
                    for p in f.paths {
                        assert!(depth(p) <= grantd_domain::fields::MAX_PATH_DEPTH, "{}: {p}", catalog.entity);
                    }
                }
                for r in catalog.relations {
                    assert!(depth(r.path) <= grantd_domain::fields::MAX_PATH_DEPTH, "{}: {}", catalog.entity, r.path);
                }
            }
        }
    }
}

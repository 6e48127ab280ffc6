//! Store conformance for policies and assignments, on SQLite (a temporary file) and, when
//! GRANTD_TEST_DATABASE_URL names a PostgreSQL server, on a fresh PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::Utc;
use grantd_domain::assignment::{Assignment, AssignmentState};
use grantd_domain::catalog::{AccessPackage, Catalog};
use grantd_domain::policy::{Policy, Schedule};
use grantd_domain::{AccessPackageId, AssignmentId, CatalogId, ObjectId, PolicyId, TenantId};
use grantd_store::{PolicyDeletion, Store};

mod common;
use common::{finish, fresh};

async fn package(store: &Store, tenant: TenantId) -> (CatalogId, AccessPackageId) {
    let now = Utc::now();
    let c = Catalog {
        id: CatalogId::new(),
        display_name: "C".into(),
        description: None,
        catalog_type: "userManaged".into(),
        state: "published".into(),
        is_externally_visible: false,
        created_by: None,
        modified_by: None,
        created_date_time: now,
        modified_date_time: now,
    };
    store.create_catalog(tenant, &c, None).await.unwrap();
    let p = AccessPackage {
        id: AccessPackageId::new(),
        catalog_id: c.id,
        display_name: "P".into(),
        description: None,
        is_hidden: false,
        is_role_scopes_visible: false,
        created_by: None,
        modified_by: None,
        created_date_time: now,
        modified_date_time: now,
    };
    store.create_access_package(tenant, &p).await.unwrap();
    (c.id, p.id)
}

fn policy(catalog: CatalogId, pkg: AccessPackageId, name: &str) -> Policy {
    let mut p = Policy::new(PolicyId::new(), pkg, catalog, Utc::now(), None);
    p.display_name = name.into();
    p
}

fn assignment(p: &Policy, state: AssignmentState) -> Assignment {
    let now = Utc::now();
    Assignment {
        id: AssignmentId::new(),
        access_package_id: p.access_package_id,
        assignment_policy_id: p.id,
        catalog_id: p.catalog_id,
        target_id: ObjectId::new(),
        state,
        status: None,
        schedule: Schedule::default(),
        expired_date_time: None,
        created_date_time: now,
        modified_date_time: now,
    }
}

#[tokio::test]
async fn policies_are_stored_replaced_and_grouped_by_package() {
    let (store, _dir, pg) = fresh().await;
    let tenant = TenantId::new();
    store.ensure_tenant(tenant, "T").await.unwrap();
    let (cat, a) = package(&store, tenant).await;
    let (cat_b, b) = package(&store, tenant).await;
    let mut p1 = policy(cat, a, "one");
    let p2 = policy(cat, a, "two");
    let p3 = policy(cat_b, b, "three");
    for p in [&p1, &p2, &p3] {
        store.create_policy(tenant, p).await.unwrap();
    }
    assert_eq!(store.get_policy(tenant, p1.id).await.unwrap().as_ref(), Some(&p1));
    // Another tenant sees nothing.
    assert_eq!(store.get_policy(TenantId::new(), p1.id).await.unwrap(), None);
    p1.display_name = "renamed".into();
    store.update_policy(tenant, &p1).await.unwrap();
    assert_eq!(store.get_policy(tenant, p1.id).await.unwrap().unwrap().display_name, "renamed");

    let grouped = store.policies_of_packages(tenant, &[a, b]).await.unwrap();
    assert_eq!(grouped.len(), 3);
    assert_eq!(grouped.iter().filter(|p| p.access_package_id == a).count(), 2);
    assert!(store.policies_of_packages(tenant, &[]).await.unwrap().is_empty());
    assert_eq!(store.policies_of_packages(tenant, &[b]).await.unwrap(), vec![p3]);
    finish(store, pg).await;
}

#[tokio::test]
async fn a_policy_with_active_assignments_is_not_deleted() {
    let (store, _dir, pg) = fresh().await;
    let tenant = TenantId::new();
    store.ensure_tenant(tenant, "T").await.unwrap();
    let (cat, pkg) = package(&store, tenant).await;
    let used = policy(cat, pkg, "used");
    let stale = policy(cat, pkg, "stale");
    store.create_policy(tenant, &used).await.unwrap();
    store.create_policy(tenant, &stale).await.unwrap();
    let a = assignment(&used, AssignmentState::Delivered);
    store.create_assignment(tenant, &a).await.unwrap();
    assert_eq!(store.get_assignment(tenant, a.id).await.unwrap(), Some(a));
    store.create_assignment(tenant, &assignment(&used, AssignmentState::Expired)).await.unwrap();
    store.create_assignment(tenant, &assignment(&stale, AssignmentState::Expired)).await.unwrap();

    assert_eq!(store.count_active_assignments_for_policy(tenant, used.id).await.unwrap(), 1);
    assert_eq!(store.count_active_assignments_for_policy(tenant, stale.id).await.unwrap(), 0);
    assert_eq!(store.delete_policy(tenant, used.id).await.unwrap(), PolicyDeletion::HasAssignments(1));
    assert!(store.get_policy(tenant, used.id).await.unwrap().is_some());
    assert_eq!(store.delete_policy(tenant, stale.id).await.unwrap(), PolicyDeletion::Deleted);
    assert_eq!(store.delete_policy(tenant, stale.id).await.unwrap(), PolicyDeletion::NotFound);
    finish(store, pg).await;
}

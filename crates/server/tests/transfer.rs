//! Export a seeded tenant from SQLite and import it into another database (PostgreSQL when
//! GRANTD_TEST_DATABASE_URL is set, else a second SQLite file): the API answers the same,
//! including requests, assignments, a pending approval (its approver still finds it) and the
//! audit trail, and the imported tenant goes on working (the approval is decided there and the
//! request delivered).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod approval_support;
mod common;
mod request_support;

use approval_support::{decide_current, ADELE, DIEGO};
use common::{TestServer, BETA, V1};
use grantd::demo::{self, DEMO_TENANT};
use grantd_store::Store;
use request_support::{add_body, create, wait_state, wait_terminal};
use serde_json::{json, Value};

fn strip(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.remove("@odata.context");
        m.remove("@odata.nextLink");
    }
    v
}

async fn snapshot(s: &TestServer) -> Vec<Value> {
    let t = s.admin();
    let mut out = Vec::new();
    for path in [
        "/v1.0/users?$top=999&$expand=manager".to_string(),
        "/v1.0/groups?$top=999".to_string(),
        format!("/v1.0/groups/{}/members", demo::group_id(1)),
        format!("{V1}/catalogs?$expand=accessPackages"),
        format!("{V1}/accessPackages?$expand=assignmentPolicies,catalog"),
        format!("{BETA}/accessPackageAssignmentPolicies"),
        format!("{V1}/resourceRequests"),
        format!("{V1}/catalogs/{}/resourceRoles", demo::catalog_id(1)),
        format!("{V1}/accessPackages/{}/resourceRoleScopes", demo::access_package_id(2)),
        "/v1.0/roleManagement/entitlementManagement/roleAssignments".to_string(),
        format!("{V1}/assignmentRequests?$top=999&$orderby=createdDateTime"),
        format!("{BETA}/accessPackageAssignmentRequests?$top=999&$orderby=createdDateTime"),
        format!("{V1}/assignments?$top=999&$expand=target"),
    ] {
        let r = s.get(&path, &t).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        out.push(strip(r.body));
    }
    // The pending approval, as its approver sees it.
    let adele = s.end_user(ADELE);
    for path in [
        format!("{V1}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')"),
        format!("{V1}/assignmentRequests/filterByCurrentUser(on='approver')"),
    ] {
        let r = s.get(&path, &adele).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        out.push(strip(r.body));
    }
    out
}

#[tokio::test]
async fn a_tenant_exported_from_sqlite_imports_into_another_database_unchanged() {
    let a = TestServer::start_with(|cfg| cfg.database_url = String::new()).await;
    let t = a.admin();
    let r = a.post(&format!("{V1}/catalogs"), &t, &json!({"displayName": "Exported", "description": "moves"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let owner = json!({
        "principalId": demo::user_id(7).to_string(),
        "roleDefinitionId": "ae79f266-94d4-4dab-b730-feca7e132178",
        "appScopeId": format!("/AccessPackageCatalog/{}", r.body["id"].as_str().unwrap()),
    });
    let r = a.post("/v1.0/roleManagement/entitlementManagement/roleAssignments", &t, &owner).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // A delivered request with its assignment, and one waiting for Adele's approval.
    let body = add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), demo::user_id(9));
    let delivered = create(&a, true, &t, &body).await["id"].as_str().unwrap().to_string();
    assert_eq!(wait_terminal(&a, true, &delivered).await["state"], "delivered");
    let mut body = add_body("userAdd", demo::access_package_id(1), Some(demo::policy_id(12)), demo::user_id(DIEGO));
    body["justification"] = json!("Quarterly pipeline review");
    let pending = create(&a, true, &a.end_user(DIEGO), &body).await["id"].as_str().unwrap().to_string();
    wait_state(&a, true, &pending, "pendingApproval").await;
    let before = snapshot(&a).await;
    assert_eq!(before[before.len() - 2]["value"].as_array().unwrap().len(), 1, "Adele has the approval: {:?}", before);
    let audit_before = a.store.audit_of(DEMO_TENANT, pending.parse().unwrap()).await.unwrap();
    assert!(!audit_before.is_empty());

    let mut buf = Vec::new();
    let lines = a.store.export_tenant(DEMO_TENANT, &mut buf).await.unwrap();
    assert!(lines > 40, "{lines} lines");

    let dir = tempfile::tempdir().unwrap();
    let (target_url, pg_name) = match std::env::var("GRANTD_TEST_DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            let (url, name) = common::fresh_pg(&admin).await;
            (url, Some((admin, name)))
        }
        _ => (format!("sqlite:{}", dir.path().join("b.db").display()), None),
    };
    let target = Store::connect(&target_url).await.unwrap();
    let (tenant, n) = target.import_tenant(&mut buf.as_slice()).await.unwrap();
    assert_eq!((tenant, n), (DEMO_TENANT, lines));
    // Importing the same tenant twice is refused.
    assert!(target.import_tenant(&mut buf.as_slice()).await.is_err());
    target.close().await;

    let b = TestServer::start_with(|cfg| cfg.database_url = target_url.clone()).await;
    let after = snapshot(&b).await;
    assert_eq!(before.len(), after.len());
    for (x, y) in before.iter().zip(after.iter()) {
        assert_eq!(x, y);
    }
    assert_eq!(b.store.audit_of(DEMO_TENANT, pending.parse().unwrap()).await.unwrap(), audit_before);
    // The imported tenant goes on: Adele approves there and the request is delivered.
    decide_current(&b, true, &pending, ADELE, "Approve").await;
    assert_eq!(wait_terminal(&b, true, &pending).await["state"], "delivered");
    a.stop().await;
    b.stop().await;
    if let Some((admin, name)) = pg_name {
        common::drop_database(&admin, &name).await;
    }
}

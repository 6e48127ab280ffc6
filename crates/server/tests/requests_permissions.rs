//! Who may create which request type, and who may see and act on whose requests: a table of
//! request types x callers (administrator, end user for themselves, end user for someone else,
//! catalog-scoped assignment manager, manager for a direct report) validated with
//! `isValidationOnly` so that the rows do not interfere; user A cannot read, cancel or list user
//! B's requests; an administrator without a grant on a catalog cannot act on its packages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod request_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use grantd_domain::roles::EmRole;
use grantd_domain::{AccessPackageId, ObjectId, PolicyId};
use request_support::*;
use serde_json::{json, Value};

async fn grant(s: &TestServer, user: u16, role: EmRole, catalog: u16) {
    let body = json!({
        "principalId": demo::user_id(user).to_string(),
        "roleDefinitionId": role.definition_id().to_string(),
        "appScopeId": format!("/AccessPackageCatalog/{}", demo::catalog_id(catalog)),
    });
    let r = s.post("/v1.0/roleManagement/entitlementManagement/roleAssignments", &s.admin(), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

fn add(kind: &str, package: u16, policy: Option<PolicyId>, target: ObjectId) -> Value {
    let mut b = add_body(kind, demo::access_package_id(package), policy, target);
    b["isValidationOnly"] = json!(true);
    b["justification"] = json!("needed for work");
    b
}

fn by_id(kind: &str, assignment: &str) -> Value {
    json!({"requestType": kind, "assignment": {"id": assignment}, "isValidationOnly": true})
}

/// A self-service policy on Engineering Onboarding that also lets a target's manager request
/// on the target's behalf.
async fn on_behalf_policy(s: &TestServer) -> PolicyId {
    let mut b = policy_body(demo::access_package_id(2), "Managers for their reports", true);
    b["requestorSettings"]["enableTargetsToSelfAddAccess"] = json!(false);
    b["requestorSettings"]["enableOnBehalfRequestorsToAddAccess"] = json!(true);
    b["requestorSettings"]["onBehalfRequestors"] =
        json!([{"@odata.type": "#microsoft.graph.targetManager", "managerLevel": 1}]);
    make_policy(s, &b).await
}

async fn table(v1: bool) {
    let s = TestServer::start().await;
    // Johanna (7) manages Engineering catalog "General" assignments; Lidia (8) reports to her.
    grant(&s, 7, EmRole::AccessPackageAssignmentManager, 1).await;
    let on_behalf = on_behalf_policy(&s).await;
    let own =
        create(&s, true, &s.end_user(6), &add_body("userAdd", demo::access_package_id(2), None, demo::user_id(6)))
            .await;
    let own = wait_terminal(&s, true, own["id"].as_str().unwrap()).await;
    assert_eq!(own["state"], "delivered", "{own}");
    let held =
        assignments_of(&s, demo::access_package_id(2), demo::user_id(6)).await[0]["id"].as_str().unwrap().to_string();
    let direct = admin_grant(&s, 1, demo::user_id(6)).await;
    let admin = s.admin();
    let user6 = s.end_user(6);
    let manager7 = s.end_user(7);
    let user9 = s.end_user(9);
    let u = demo::user_id;
    #[rustfmt::skip]
    let rows: Vec<(&str, &str, Value, u16, Option<&str>)> = vec![
        ("admin adds", &admin, add("adminAdd", 2, Some(demo::policy_id(21)), u(3)), 201, None),
        ("admin adds without naming the policy", &admin, add("adminAdd", 2, None, u(3)), 201, None),
        ("end user adds as admin", &user6, add("adminAdd", 2, Some(demo::policy_id(21)), u(6)), 403, Some("UnAuthorized")),
        ("assignment manager adds in their catalog", &manager7, add("adminAdd", 2, Some(demo::policy_id(21)), u(3)), 201, None),
        ("assignment manager adds in another catalog", &manager7, add("adminAdd", 1, Some(demo::policy_id(11)), u(3)), 403, Some("UnAuthorized")),
        ("end user asks for themselves", &user9, add("userAdd", 2, None, u(9)), 201, None),
        ("end user asks for someone else", &user9, add("userAdd", 2, None, u(3)), 403, Some("UnAuthorized")),
        ("admin uses userAdd for someone else", &admin, add("userAdd", 2, Some(demo::policy_id(22)), u(3)), 403, Some("UnAuthorized")),
        ("manager asks for a direct report", &manager7, add("userAdd", 2, Some(on_behalf), u(8)), 201, None),
        ("manager asks for a direct report where the policy does not allow it", &manager7, add("userAdd", 2, Some(demo::policy_id(22)), u(8)), 400, Some("NoValidPolicy")),
        ("manager asks for someone who is not a report", &manager7, add("userAdd", 2, Some(on_behalf), u(5)), 403, Some("UnAuthorized")),
        ("end user asks through a direct policy", &user9, add("userAdd", 2, Some(demo::policy_id(21)), u(9)), 400, Some("NoValidPolicy")),
        ("end user removes their own assignment", &user6, by_id("userRemove", &held), 201, None),
        ("end user updates their own assignment", &user6, by_id("userUpdate", &held), 201, None),
        ("end user extends their own assignment", &user6, by_id("UserExtend", &held), 201, None),
        ("end user removes an assignment whose policy does not let them", &user6, by_id("userRemove", &direct), 400, Some("NoValidPolicy")),
        ("end user removes someone else's assignment", &user9, by_id("userRemove", &held), 403, Some("UnAuthorized")),
        ("admin removes", &admin, by_id("adminRemove", &held), 201, None),
        ("admin updates", &admin, by_id("adminUpdate", &held), 201, None),
        ("assignment manager removes in their catalog", &manager7, by_id("adminRemove", &held), 201, None),
        ("end user removes as admin", &user9, by_id("adminRemove", &held), 403, Some("UnAuthorized")),
        ("nobody sends systemRemove", &admin, by_id("systemRemove", &held), 400, Some("InvalidRequestType")),
        ("nobody sends onBehalfAdd", &admin, add("onBehalfAdd", 2, None, u(3)), 400, Some("InvalidRequestType")),
    ];
    for (what, token, body, want, code) in rows {
        let r = s.post(&requests(v1), token, &body).await;
        assert_eq!(r.status.as_u16(), want, "{what}: {}", r.text);
        match code {
            Some(c) => assert_eq!(r.error_code(), c, "{what}"),
            None => {
                let flag = &r.body["isValidationOnly"];
                assert!(v1 || flag == &json!(true), "{what}: {}", r.text);
                // Validation only: nothing was stored.
                let got = s.get(&format!("{}/{}", requests(v1), r.body["id"].as_str().unwrap()), &admin).await;
                assert_eq!(got.status, 404, "{what}");
            }
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn request_types_by_caller_on_v1() {
    table(true).await;
}

#[tokio::test]
async fn request_types_by_caller_on_beta() {
    table(false).await;
}

#[tokio::test]
async fn users_see_and_cancel_only_their_own_requests() {
    let s = TestServer::start().await;
    let a = s.end_user(5);
    let b = s.end_user(6);
    let mut body = add_body("userAdd", demo::access_package_id(1), None, demo::user_id(5));
    body["justification"] = json!("A needs it");
    let mine = create(&s, true, &a, &body).await;
    let id = mine["id"].as_str().unwrap();
    wait_state(&s, true, id, "pendingApproval").await;
    for v1 in [true, false] {
        // The owner reads it; another user gets 404 for reads and actions alike.
        assert_eq!(s.get(&format!("{}/{id}", requests(v1)), &a).await.status, 200);
        let other = s.get(&format!("{}/{id}", requests(v1)), &b).await;
        assert_eq!(other.status, 404, "{}", other.text);
        assert_eq!(other.error_code(), "ResourceNotFound");
        assert_eq!(action(&s, v1, id, "cancel", &b).await.status, 404);
        // End users have no list of all requests (Graph answers role-less users 403).
        let list = s.get(&requests(v1), &b).await;
        assert_eq!(list.status, 403, "{}", list.text);
        // Their own view lists theirs and not the other's.
        let own = s.get(&format!("{}/filterByCurrentUser(on='target')", requests(v1)), &b).await;
        assert_eq!(own.status, 200, "{}", own.text);
        assert!(own.body["value"].as_array().unwrap().is_empty(), "{}", own.text);
        for on in ["target", "createdBy"] {
            let own = s.get(&format!("{}/filterByCurrentUser(on='{on}')", requests(v1)), &a).await;
            assert_eq!(own.status, 200, "{}", own.text);
            let ids: Vec<&str> =
                own.body["value"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
            assert_eq!(ids, vec![id], "{on}");
        }
    }
    // The approver (Diego's manager, Adele) finds it; others do not.
    let approver = s.get(&format!("{V1}/assignmentRequests/filterByCurrentUser(on='approver')"), &s.end_user(4)).await;
    assert_eq!(approver.status, 200, "{}", approver.text);
    assert_eq!(approver.body["value"].as_array().unwrap().len(), 1, "{}", approver.text);
    assert_eq!(s.get(&format!("{V1}/assignmentRequests/{id}"), &s.end_user(4)).await.status, 200);
    let nobody = s.get(&format!("{BETA}/assignmentRequests/filterByCurrentUser(on='approver')"), &b).await;
    assert!(nobody.body["value"].as_array().unwrap().is_empty());
    // The owner cancels.
    let r = action(&s, true, id, "cancel", &a).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = s.get(&format!("{V1}/assignmentRequests/filterByCurrentUser(on='approver')"), &s.end_user(4)).await;
    assert!(after.body["value"].as_array().unwrap().is_empty(), "a canceled request has no approvers");
    s.stop().await;
}

#[tokio::test]
async fn an_admin_without_a_grant_on_a_catalog_cannot_act_on_its_packages() {
    let s = TestServer::start().await;
    // Lee (3) owns catalog 1 only.
    grant(&s, 3, EmRole::CatalogOwner, 1).await;
    let lee = s.end_user(3);
    let other: AccessPackageId = demo::access_package_id(1); // in catalog 2
    let r =
        s.post(&requests(true), &lee, &add_body("adminAdd", other, Some(demo::policy_id(11)), demo::user_id(9))).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.error_code(), "UnAuthorized");
    // A request in catalog 2 made by the tenant admin: Lee neither sees nor cancels it.
    let held =
        create(&s, true, &s.admin(), &add_body("adminAdd", other, Some(demo::policy_id(11)), demo::user_id(9))).await;
    let id = held["id"].as_str().unwrap();
    assert_eq!(s.get(&format!("{}/{id}", requests(true)), &lee).await.status, 404);
    assert_eq!(action(&s, true, id, "cancel", &lee).await.status, 404);
    let list = s.get(&requests(true), &lee).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.body["value"].as_array().unwrap().iter().all(|x| x["id"] != id));
    let done = wait_terminal(&s, true, id).await;
    let assignment = s.get(&format!("{}/{id}?$expand=assignment", requests(true)), &s.admin()).await;
    let aid = assignment.body["assignment"]["id"].as_str().unwrap();
    assert_eq!(done["state"], "delivered");
    assert_eq!(s.get(&format!("{}/{aid}", assignments(true)), &lee).await.status, 404);
    let r = s.post(&format!("{}/{aid}/reprocess", assignments(true)), &lee, &json!({})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let list = s.get(&assignments(true), &lee).await;
    assert!(list.body["value"].as_array().unwrap().iter().all(|x| x["id"] != aid));
    // In the catalog Lee owns, Lee adds and removes.
    let mine = create(
        &s,
        true,
        &lee,
        &add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), demo::user_id(9)),
    )
    .await;
    assert_eq!(wait_terminal(&s, true, mine["id"].as_str().unwrap()).await["state"], "delivered");
    s.stop().await;
}

#[tokio::test]
async fn another_tenant_sees_and_touches_none_of_the_requests() {
    use grantd_domain::directory::User;
    use grantd_domain::roles::{DirectoryRole, SCOPE_READ_WRITE_ALL};
    use grantd_domain::TenantId;
    let s = TestServer::start().await;
    let held = create(
        &s,
        true,
        &s.admin(),
        &add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), demo::user_id(3)),
    )
    .await;
    let id = held["id"].as_str().unwrap().to_string();
    wait_terminal(&s, true, &id).await;
    let aid =
        assignments_of(&s, demo::access_package_id(2), demo::user_id(3)).await[0]["id"].as_str().unwrap().to_string();
    let tenant = TenantId::new();
    let admin = ObjectId::new();
    s.store.ensure_tenant(tenant, "Fabrikam").await.unwrap();
    let u = User {
        id: admin,
        display_name: "Fabrikam Admin".into(),
        user_principal_name: "admin@fabrikam.example".into(),
        mail: None,
        given_name: None,
        surname: None,
        job_title: None,
        department: None,
        account_enabled: true,
        user_type: "Member".into(),
        manager_id: None,
        sponsor_ids: vec![],
        created_date_time: chrono::Utc::now(),
    };
    s.store.create_user(tenant, &u).await.unwrap();
    let t = s.user_token_in(tenant, admin, &[SCOPE_READ_WRITE_ALL], &[DirectoryRole::GlobalAdministrator]);
    for v1 in [true, false] {
        let r = s.get(&requests(v1), &t).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.body["value"].as_array().unwrap().is_empty());
        assert!(s.get(&assignments(v1), &t).await.body["value"].as_array().unwrap().is_empty());
        assert_eq!(s.get(&format!("{}/{id}", requests(v1)), &t).await.status, 404);
        assert_eq!(s.get(&format!("{}/{aid}", assignments(v1)), &t).await.status, 404);
        for act in ["cancel", "reprocess"] {
            assert_eq!(action(&s, v1, &id, act, &t).await.status, 404, "{act}");
        }
        assert_eq!(s.delete(&format!("{}/{id}", requests(v1)), &t).await.status, 404);
        let r = s
            .post(
                &requests(v1),
                &t,
                &add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), admin),
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.text);
        let r = s.post(&requests(v1), &t, &remove_body("adminRemove", &aid)).await;
        assert_eq!(r.status, 404, "{}", r.text);
    }
    // Contoso's request is untouched.
    assert_eq!(state_of(&s.get(&format!("{}/{id}", requests(true)), &s.admin()).await.body), "delivered");
    s.stop().await;
}

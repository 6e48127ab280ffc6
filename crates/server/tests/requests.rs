//! Assignment requests end to end through the HTTP API: create -> delivered with group
//! membership and one assignment, get, list, on v1.0 and beta (both collection names).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod request_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use request_support::*;
use serde_json::json;

#[tokio::test]
async fn admin_add_on_v1_is_delivered_with_group_membership_and_one_assignment() {
    let s = TestServer::start().await;
    let t = s.admin();
    let target = demo::user_id(8);
    assert!(!is_member(&s, demo::group_id(1), target).await);
    let body = add_body("adminAdd", demo::access_package_id(1), Some(demo::policy_id(11)), target);
    let r = create(&s, true, &t, &body).await;
    assert_eq!(r["requestType"], "adminAdd");
    assert_eq!(r["state"], "submitted");
    assert_eq!(r["status"], "Accepted");
    assert_eq!(r["answers"], json!([]));
    assert_eq!(r["customExtensionCalloutInstances"], json!([]));
    assert!(r["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/v1.0/$metadata#identityGovernance/entitlementManagement/assignmentRequests/$entity"));
    let id = r["id"].as_str().unwrap();
    let done = wait_terminal(&s, true, id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(done["status"], "Delivered");
    assert!(done["completedDateTime"].is_string());
    assert!(is_member(&s, demo::group_id(1), target).await);
    let list = assignments_of(&s, demo::access_package_id(1), target).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["state"], "delivered");
    let a = s.get(&format!("{V1}/assignments/{}", list[0]["id"].as_str().unwrap()), &t).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let all = s.get(&format!("{V1}/assignmentRequests"), &t).await;
    assert_eq!(all.status, 200);
    assert!(all.body["value"].as_array().unwrap().iter().any(|x| x["id"] == id));
    s.stop().await;
}

#[tokio::test]
async fn admin_add_on_beta_is_delivered_and_reads_with_beta_names_on_both_collections() {
    let s = TestServer::start().await;
    let t = s.admin();
    let target = demo::user_id(5);
    let body = json!({"requestType": "AdminAdd", "accessPackageAssignment": {
        "targetId": target.to_string(), "assignmentPolicyId": demo::policy_id(21).to_string(),
        "accessPackageId": demo::access_package_id(2).to_string()}});
    let r = s.post(&format!("{BETA}/accessPackageAssignmentRequests"), &t, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["requestType"], "AdminAdd");
    assert_eq!(r.body["requestState"], "Submitted");
    assert_eq!(r.body["requestStatus"], "Accepted");
    assert_eq!(r.body["isValidationOnly"], false);
    for empty in
        ["answers", "customExtensionHandlerInstances", "customExtensionCalloutInstances", "verifiedCredentialsData"]
    {
        assert_eq!(r.body[empty], json!([]), "{empty}");
    }
    let id = r.body["id"].as_str().unwrap();
    let done = wait_terminal(&s, false, id).await;
    assert_eq!(done["requestState"], "Delivered", "{done}");
    assert!(done["completedDate"].is_string());
    assert!(is_member(&s, demo::group_id(2), target).await);
    let old = s.get(&format!("{BETA}/accessPackageAssignmentRequests/{id}?$expand=accessPackageAssignment"), &t).await;
    assert_eq!(old.status, 200, "{}", old.text);
    assert_eq!(old.body["accessPackageAssignment"]["assignmentState"], "Delivered");
    assert_eq!(old.body["accessPackageAssignment"]["targetId"], target.to_string());
    let list = s.get(&format!("{BETA}/accessPackageAssignments?$filter=targetId%20eq%20%27{target}%27"), &t).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    let v1 = s.get(&format!("{V1}/assignmentRequests/{id}"), &t).await;
    assert_eq!(v1.body["state"], "delivered");
    s.stop().await;
}

/// A request acknowledged with 201 is recoverable from the database alone: with no job runner
/// in the server, nothing happens; a runner started later (as after a crash and restart) over
/// the same database delivers it exactly once.
#[tokio::test]
async fn an_acknowledged_request_is_delivered_from_the_database_alone() {
    use grantd_service::delivery::Delivery;
    use grantd_service::requests::Ctx;
    use std::sync::Arc;
    let s = TestServer::start_with(|c| c.job_workers = 0).await;
    let target = demo::user_id(9);
    let body = add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), target);
    let r = create(&s, true, &s.admin(), &body).await;
    let id = r["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let still = s.get(&format!("{V1}/assignmentRequests/{id}"), &s.admin()).await;
    assert_eq!(still.body["state"], "submitted");
    let jobs = s.store.jobs_of(demo::DEMO_TENANT, id.parse().unwrap()).await.unwrap();
    assert_eq!(jobs.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(), vec!["request.process"]);
    // "Restart": a runner over the same store, with only what the database holds.
    let clock: Arc<dyn grantd_domain::Clock> = Arc::new(s.clock.clone());
    let wake = Arc::new(tokio::sync::Notify::new());
    let ctx = Ctx {
        store: s.store.clone(),
        clock: clock.clone(),
        wake: wake.clone(),
        verified_id: Arc::new(grantd_service::verified_id::Verifier::disabled()),
    };
    let runner = grantd_service::Runner::new(s.store.clone(), clock, grantd_service::RunnerConfig::default(), wake);
    let runner = grantd::register_handlers(runner, &ctx, &Delivery::builtin(ctx.clone()));
    while runner.run_once().await.unwrap() {}
    let done = s.get(&format!("{V1}/assignmentRequests/{id}"), &s.admin()).await;
    assert_eq!(done.body["state"], "delivered", "{}", done.text);
    assert!(is_member(&s, demo::group_id(2), target).await);
    assert_eq!(assignments_of(&s, demo::access_package_id(2), target).await.len(), 1);
    // Nothing of the request's own work is left (the delivered-mail notice is not this
    // runner's: it has no mailer and parks it).
    let left = s.store.jobs_of(demo::DEMO_TENANT, id.parse().unwrap()).await.unwrap();
    assert!(left.iter().all(|j| j.kind == "notify.send"), "{:?}", left.iter().map(|j| &j.kind).collect::<Vec<_>>());
    // Running the delivery again (a job replayed after a lost lease) changes nothing.
    let tenant = demo::DEMO_TENANT;
    let clock: Arc<dyn grantd_domain::Clock> = Arc::new(s.clock.clone());
    let ctx = Ctx {
        store: s.store.clone(),
        clock,
        wake: Arc::new(tokio::sync::Notify::new()),
        verified_id: Arc::new(grantd_service::verified_id::Verifier::disabled()),
    };
    grantd_service::delivery::deliver(&Delivery::builtin(ctx), tenant, id.parse().unwrap()).await.unwrap();
    assert_eq!(assignments_of(&s, demo::access_package_id(2), target).await.len(), 1);
    let history = s.get(&format!("{BETA}/assignmentRequests/{id}"), &s.admin()).await;
    assert_eq!(history.body["history"].as_array().unwrap().len(), 3, "{}", history.text);
    s.stop().await;
}

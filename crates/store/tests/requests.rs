//! Store conformance for assignment requests, on SQLite and (with GRANTD_TEST_DATABASE_URL) on
//! PostgreSQL: the partial unique index allows one open request per target and package (also
//! under concurrent submissions), updates check the version, a delivery commits memberships,
//! the assignment and the request together, and the delete rules hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::Utc;
use grantd_domain::assignment::{Assignment, AssignmentState};
use grantd_domain::policy::Schedule;
use grantd_domain::request::{AssignmentRequest, RequestState, RequestStatus, RequestType};
use grantd_domain::{AccessPackageId, AssignmentId, AssignmentRequestId, CatalogId, ObjectId, PolicyId, TenantId};
use grantd_store::{AuditEntry, Delivery, Followups, NewJob, RequestDeletion, StoreError};

mod common;
use common::{finish, fresh};

fn request(pkg: AccessPackageId, target: ObjectId) -> AssignmentRequest {
    AssignmentRequest {
        id: AssignmentRequestId::new(),
        request_type: RequestType::AdminAdd,
        state: RequestState::Submitted,
        status: RequestStatus::Accepted,
        access_package_id: pkg,
        assignment_policy_id: PolicyId::new(),
        catalog_id: CatalogId::new(),
        target_id: target,
        requestor_id: None,
        requestor_app_id: Some("app".into()),
        assignment_id: Some(AssignmentId::new()),
        justification: None,
        schedule: Schedule::default(),
        answers: vec![],
        verified_credentials: Vec::new(),
        is_validation_only: false,
        needs_approval: false,
        callout_on_created: false,
        callout_on_approved: false,
        created_date_time: Utc::now(),
        completed_date_time: None,
        history: vec![],
        approval: None,
        callout_instances: vec![],
        version: 1,
    }
}

fn followups(r: &AssignmentRequest, kind: &str) -> Followups {
    Followups {
        jobs: vec![NewJob { kind: kind.into(), subject: r.id.0, payload: serde_json::json!({}), run_at: Utc::now() }],
        approvers: None,
        audit: vec![AuditEntry {
            at: Utc::now(),
            actor: "t".into(),
            action: kind.into(),
            object_type: "accessPackageAssignmentRequest",
            object_id: r.id.0,
            detail: String::new(),
        }],
        asked: Vec::new(),
    }
}

#[tokio::test]
async fn one_open_request_per_target_and_package_even_when_submitted_at_once() {
    let (store, _dir, pg) = fresh().await;
    let tenant = TenantId::new();
    let pkg = AccessPackageId::new();
    let target = ObjectId::new();
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let r = request(pkg, target);
                store.submit_request(tenant, &r, None, &followups(&r, "request.process"), Utc::now()).await
            })
        })
        .collect();
    let mut ok = 0;
    for a in attempts {
        match a.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Duplicate) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(ok, 1);
    let open = store.open_request_for(tenant, pkg, target).await.unwrap().unwrap();
    assert_eq!(store.jobs_of(tenant, open.id.0).await.unwrap().len(), 1, "the job came with the request");
    assert_eq!(store.audit_of(tenant, open.id.0).await.unwrap(), vec!["request.process"]);
    // Another tenant, the same ids: independent.
    let other = request(pkg, target);
    store.submit_request(TenantId::new(), &other, None, &Followups::default(), Utc::now()).await.unwrap();
    // Once it is closed, a new one may open.
    let mut closed = open.clone();
    closed.state = RequestState::Canceled;
    closed.status = RequestStatus::Canceled;
    closed.version += 1;
    store.update_request(tenant, &closed, &Followups::default(), Utc::now()).await.unwrap();
    let again = request(pkg, target);
    store.submit_request(tenant, &again, None, &Followups::default(), Utc::now()).await.unwrap();
    finish(store, pg).await;
}

#[tokio::test]
async fn updates_check_the_version_and_deliveries_commit_everything_at_once() {
    let (store, _dir, pg) = fresh().await;
    let tenant = TenantId::new();
    let group = ObjectId::new();
    let target = ObjectId::new();
    let mut r = request(AccessPackageId::new(), target);
    store.submit_request(tenant, &r, None, &Followups::default(), Utc::now()).await.unwrap();
    // A stale writer loses.
    let mut stale = r.clone();
    r.state = RequestState::Delivering;
    r.status = RequestStatus::Delivering;
    r.version = 2;
    store.update_request(tenant, &r, &followups(&r, "request.deliver"), Utc::now()).await.unwrap();
    stale.state = RequestState::Canceled;
    stale.version = 2;
    let e = store.update_request(tenant, &stale, &Followups::default(), Utc::now()).await.unwrap_err();
    assert!(matches!(e, StoreError::Concurrent), "{e}");
    // Delivery: membership, assignment and request in one go.
    let now = Utc::now();
    let a = Assignment {
        id: r.assignment_id.unwrap(),
        access_package_id: r.access_package_id,
        assignment_policy_id: r.assignment_policy_id,
        catalog_id: r.catalog_id,
        target_id: target,
        state: AssignmentState::Delivered,
        status: Some("Delivered".into()),
        schedule: Schedule::default(),
        expired_date_time: None,
        created_date_time: now,
        modified_date_time: now,
    };
    r.state = RequestState::Delivered;
    r.status = RequestStatus::Delivered;
    r.completed_date_time = Some(now);
    r.version = 3;
    let d = Delivery { assignment: Some(a.clone()), add_members: vec![(group, target)], remove_members: vec![] };
    store.commit_delivery(tenant, &r, &d, &Followups::default(), now).await.unwrap();
    assert!(store.is_member(tenant, group, target).await.unwrap());
    assert_eq!(store.get_assignment(tenant, a.id).await.unwrap().unwrap().state, AssignmentState::Delivered);
    // A replayed delivery (same version) changes nothing.
    let e = store.commit_delivery(tenant, &r, &d, &Followups::default(), now).await.unwrap_err();
    assert!(matches!(e, StoreError::Concurrent));
    // Delete: refused while the assignment holds access, allowed once it has ended.
    let audit = AuditEntry {
        at: now,
        actor: "t".into(),
        action: "deleted".into(),
        object_type: "accessPackageAssignmentRequest",
        object_id: r.id.0,
        detail: String::new(),
    };
    assert_eq!(store.delete_request(tenant, r.id, &audit).await.unwrap(), RequestDeletion::HasAssignment);
    let mut ended = a.clone();
    ended.state = AssignmentState::Expired;
    let mut removal = r.clone();
    removal.version = 4;
    let d = Delivery { assignment: Some(ended), add_members: vec![], remove_members: vec![(group, target)] };
    store.commit_delivery(tenant, &removal, &d, &Followups::default(), now).await.unwrap();
    assert!(!store.is_member(tenant, group, target).await.unwrap());
    assert_eq!(store.delete_request(tenant, r.id, &audit).await.unwrap(), RequestDeletion::Deleted);
    assert_eq!(store.delete_request(tenant, r.id, &audit).await.unwrap(), RequestDeletion::NotFound);
    let open = request(AccessPackageId::new(), target);
    store.submit_request(tenant, &open, None, &Followups::default(), now).await.unwrap();
    assert_eq!(store.delete_request(tenant, open.id, &audit).await.unwrap(), RequestDeletion::NotTerminal);
    finish(store, pg).await;
}

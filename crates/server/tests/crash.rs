//! Crash safety of assignment-request delivery, on the real `grantd` binary: the process is
//! SIGKILLed after requests are acknowledged (201) and before (or while) they are delivered;
//! after a restart on the same database every acknowledged request reaches `delivered` exactly
//! once, with exactly one assignment and one group membership per target. Runs on a temporary
//! SQLite data directory, or on a fresh PostgreSQL database when GRANTD_TEST_DATABASE_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod process_support;

use common::V1;
use grantd::demo;
use process_support::{admin_add_for_new_user, admin_token, call, Db, Server};
use reqwest::Method;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TARGETS: usize = 20;

/// Creates `TARGETS` users and one AdminAdd request for each on the direct policy of demo
/// package 2; every create must be acknowledged with 201. Returns (request id, target id).
async fn acknowledged_requests(http: &reqwest::Client, s: &Server, token: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..TARGETS {
        out.push(admin_add_for_new_user(http, s, token, &format!("Crash Target {i}"), &format!("crash{i}")).await);
    }
    out
}

/// All members of demo group 2 (the group package 2 grants), following nextLinks.
async fn group_members(http: &reqwest::Client, s: &Server, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut url = format!("{}/v1.0/groups/{}/members?$top=100", s.base, demo::group_id(2));
    loop {
        let (status, page) = call(http, Method::GET, &url, token, None).await;
        assert_eq!(status, 200, "{url}: {page}");
        for m in page["value"].as_array().unwrap() {
            ids.push(m["id"].as_str().unwrap().to_string());
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => return ids,
        }
    }
}

/// Waits (at most `limit`) until every request is `delivered`; a request that ends in any
/// other terminal state fails the test at once.
async fn wait_until_delivered(
    http: &reqwest::Client,
    s: &Server,
    token: &str,
    requests: &[(String, String)],
    limit: Duration,
) {
    let deadline = Instant::now() + limit;
    let mut pending: Vec<&str> = requests.iter().map(|(id, _)| id.as_str()).collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for id in pending {
            let (status, r) =
                call(http, Method::GET, &format!("{}{V1}/assignmentRequests/{id}", s.base), token, None).await;
            assert_eq!(status, 200, "request {id} after the restart: {r}");
            match r["state"].as_str() {
                Some("delivered") => {
                    assert!(r["completedDateTime"].is_string(), "a delivered request has completedDateTime: {r}");
                }
                Some("deliveryFailed" | "partiallyDelivered" | "denied" | "canceled") => {
                    panic!("request {id} ended {} instead of delivered: {r}\n{}", r["state"], s.log())
                }
                _ => still.push(id),
            }
        }
        pending = still;
        if !pending.is_empty() {
            assert!(
                Instant::now() < deadline,
                "{} of {} requests not delivered after {limit:?}: {pending:?}\ngrantd's log:\n{}",
                pending.len(),
                requests.len(),
                s.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// Exactly one assignment (delivered, on package 2) and one membership of group 2 per target.
async fn assert_exactly_once(http: &reqwest::Client, s: &Server, token: &str, requests: &[(String, String)]) {
    for (_, target) in requests {
        let url = format!("{}{V1}/assignments?$filter=target/objectId%20eq%20'{target}'&$expand=accessPackage", s.base);
        let (status, page) = call(http, Method::GET, &url, token, None).await;
        assert_eq!(status, 200, "{url}: {page}");
        let items = page["value"].as_array().unwrap();
        assert_eq!(items.len(), 1, "exactly one assignment for target {target}: {page}");
        assert_eq!(items[0]["state"], "delivered", "{page}");
        assert_eq!(items[0]["accessPackage"]["id"], demo::access_package_id(2).to_string(), "{page}");
    }
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for m in group_members(http, s, token).await {
        *count.entry(m).or_default() += 1;
    }
    for (_, target) in requests {
        assert_eq!(count.get(target).copied().unwrap_or(0), 1, "exactly one membership of group 2 for {target}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_requests_are_delivered_exactly_once_after_a_kill_before_delivery() {
    let db = Db::new().await;
    let http = reqwest::Client::new();

    // First life: no job runners, so nothing acknowledged can be delivered before the kill.
    let s = Server::spawn(&db, 0, true, "first");
    let token = admin_token(db.dir.path());
    let requests = acknowledged_requests(&http, &s, &token).await;
    for (id, _) in &requests {
        let (status, r) =
            call(&http, Method::GET, &format!("{}{V1}/assignmentRequests/{id}", s.base), &token, None).await;
        assert_eq!(status, 200, "{r}");
        assert_ne!(r["state"], "delivered", "no runner, no delivery: {r}");
    }
    let members = group_members(&http, &s, &token).await;
    for (_, target) in &requests {
        assert!(!members.contains(target), "{target} is not a member before delivery");
    }
    s.kill();

    // Second life on the same database, with runners: the durable jobs deliver everything.
    let s = Server::spawn(&db, 2, false, "second");
    wait_until_delivered(&http, &s, &token, &requests, Duration::from_secs(90)).await;
    assert_exactly_once(&http, &s, &token, &requests).await;
    // Settled: nothing is delivered twice later either.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_exactly_once(&http, &s, &token, &requests).await;
    drop(s);
    db.drop_pg().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_killed_while_delivering_are_delivered_exactly_once_after_restart() {
    let db = Db::new().await;
    let http = reqwest::Client::new();

    // Runners on: the kill lands while some deliveries may be claimed and half done. A claimed
    // job runs again when its lease (60 s) ends, so the handler must be idempotent.
    let s = Server::spawn(&db, 2, true, "first");
    let token = admin_token(db.dir.path());
    let requests = acknowledged_requests(&http, &s, &token).await;
    s.kill();

    let s = Server::spawn(&db, 2, false, "second");
    wait_until_delivered(&http, &s, &token, &requests, Duration::from_secs(150)).await;
    assert_exactly_once(&http, &s, &token, &requests).await;
    drop(s);
    db.drop_pg().await;
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Crash safety of per-resource delivery to a slow external target, on the real `grantd`
//! binary: deliveries to a SCIM service provider (a real server in this process that takes a
//! while per call) are in flight when the process is SIGKILLed, again and again; after the last
//! restart every request is delivered, each target is a member of the SCIM group exactly once,
//! each SCIM user was created once, and no request is left in Delivering. The process helpers
//! are shared with tests/crash.rs (tests/process_support). Runs on SQLite, or on a fresh PostgreSQL database when
//! GRANTD_TEST_DATABASE_URL is set.
mod common;
mod delivery_support;
mod process_support;

use common::V1;
use delivery_support::{add_external_resource, Scim, SCIM_TOKEN};
use grantd::demo;
use process_support::{admin_add_for_new_user, admin_token, call, Db, Server};
use reqwest::Method;
use std::time::{Duration, Instant};

const TARGETS: usize = 12;
const KILLS: usize = 4;

/// The binary with the SCIM connector's config file and a 3-second job lease.
fn start(db: &Db, seed_demo: bool, run: &str) -> Server {
    let config = db.dir.path().join("grantd.toml");
    Server::spawn_with(db, 2, seed_demo, run, |cmd| {
        cmd.arg("--config").arg(&config).env("GRANTD_JOB_LEASE_SECS", "3");
    })
}

fn write_config(db: &Db, scim: &Scim) {
    let toml = format!(
        "[delivery]\nmax_attempts = 20\nwatchdog_secs = 5\n\n[[connectors]]\norigin_system = \"TestScim\"\nkind = \"scim\"\nbase_url = \"{}\"\nbearer_token = \"{SCIM_TOKEN}\"\ntimeout_secs = 5\n",
        scim.base
    );
    std::fs::write(db.dir.path().join("grantd.toml"), toml).unwrap();
}

async fn submit_all(http: &reqwest::Client, s: &Server, token: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for i in 0..TARGETS {
        let (id, target) =
            admin_add_for_new_user(http, s, token, &format!("Slow Target {i}"), &format!("slow{i}")).await;
        out.push((id, target, format!("slow{i}@contoso.example")));
    }
    out
}

async fn states(http: &reqwest::Client, s: &Server, token: &str, reqs: &[(String, String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (id, _, _) in reqs {
        let (status, r) =
            call(http, Method::GET, &format!("{}{V1}/assignmentRequests/{id}", s.base), token, None).await;
        assert_eq!(status, 200, "{r}");
        out.push(r["state"].as_str().unwrap_or_default().to_string());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_to_a_slow_target_survive_repeated_kills_without_duplicates() {
    let db = Db::new().await;
    let http = reqwest::Client::new();
    let scim = Scim::start(&["grp-slow"]).await;
    scim.state.lock().unwrap().delay = Duration::from_millis(120);
    write_config(&db, &scim);

    let s = start(&db, true, "life-0");
    let token = admin_token(db.dir.path());
    {
        let store = grantd_store::Store::connect(&db.store_url()).await.unwrap();
        add_external_resource(&store, demo::access_package_id(2), "TestScim", "grp-slow", "Slow app").await;
        store.close().await;
    }
    let requests = submit_all(&http, &s, &token).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.kill();
    let mut in_flight_seen = false;
    for life in 1..=KILLS {
        let s = start(&db, false, &format!("life-{life}"));
        tokio::time::sleep(Duration::from_millis(300 + 150 * life as u64)).await;
        let st = states(&http, &s, &token, &requests).await;
        in_flight_seen |= st.iter().any(|x| x == "delivering");
        s.kill();
    }
    assert!(in_flight_seen, "some deliveries were in flight at a kill");

    let s = start(&db, false, "last");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let st = states(&http, &s, &token, &requests).await;
        if st.iter().all(|x| x == "delivered") {
            break;
        }
        assert!(
            !st.iter().any(|x| ["deliveryFailed", "partiallyDelivered", "denied", "canceled"].contains(&x.as_str())),
            "a request ended badly: {st:?}\n{}",
            s.log()
        );
        assert!(Instant::now() < deadline, "not all delivered: {st:?}\n{}", s.log());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // None left in Delivering (the whole tenant), each target once in the group, one user each.
    let (status, page) = call(
        &http,
        Method::GET,
        &format!("{}{V1}/assignmentRequests?$filter=state%20eq%20%27delivering%27", s.base),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["value"].as_array().unwrap().len(), 0, "{page}");
    let members = scim.members("grp-slow");
    assert_eq!(members.len(), TARGETS, "{members:?}");
    for (_, _, upn) in &requests {
        assert_eq!(members.iter().filter(|m| *m == upn).count(), 1, "{upn} is a member exactly once");
    }
    {
        let st = scim.state.lock().unwrap();
        assert_eq!(st.user_creates, TARGETS, "each SCIM user created once");
        assert!(st.violations.is_empty(), "{:?}", st.violations);
    }
    drop(s);
    db.drop_pg().await;
}

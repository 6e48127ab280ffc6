//! Crash safety of assignment-request delivery, on the real `grantd` binary: the process is
//! SIGKILLed after requests are acknowledged (201) and before (or while) they are delivered;
//! after a restart on the same database every acknowledged request reaches `delivered` exactly
//! once, with exactly one assignment and one group membership per target. Runs on a temporary
//! SQLite data directory, or on a fresh PostgreSQL database when GRANTD_TEST_DATABASE_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use grantd::demo;
use grantd_domain::roles::{DirectoryRole, SCOPE_READ_WRITE_ALL, SCOPE_SUBJECT_ACCESS};
use grantd_web::auth::{issue_dev_token, Claims, DEV_ISSUER, GRAPH_AUDIENCES};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const V1: &str = "/v1.0/identityGovernance/entitlementManagement";
const TARGETS: usize = 20;

/// Where the server keeps its data: a temporary directory (the SQLite file and the dev signing
/// key) and, on PostgreSQL, a database created for this test and dropped after it.
struct Db {
    dir: tempfile::TempDir,
    pg: Option<(String, String, String)>,
}

impl Db {
    async fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let mut pg = None;
        if let Ok(admin) = std::env::var("GRANTD_TEST_DATABASE_URL") {
            if admin.starts_with("postgres") {
                pg = Some(fresh_pg(&admin).await);
            }
        }
        Db { dir, pg }
    }

    fn url(&self) -> Option<&str> {
        self.pg.as_ref().map(|(_, _, url)| url.as_str())
    }

    async fn drop_pg(mut self) {
        use sqlx::Connection;
        if let Some((admin, name, _)) = self.pg.take() {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
            }
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin, name, _)) = self.pg.take() {
            // Best effort when the test panicked before `drop_pg`.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Creates a database for this test on the server named by `admin_url`: (admin url, name, url).
async fn fresh_pg(admin_url: &str) -> (String, String, String) {
    use sqlx::Connection;
    let name = format!("grantd_crash_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url).await.expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
    let scheme_end = admin_url.find("://").unwrap() + 3;
    let url = match admin_url[scheme_end..].find('/') {
        Some(i) => {
            let (base, rest) = admin_url.split_at(scheme_end + i);
            let query = rest.find('?').map(|q| &rest[q..]).unwrap_or("");
            format!("{base}/{name}{query}")
        }
        None => format!("{admin_url}/{name}"),
    };
    (admin_url.to_string(), name, url)
}

/// A running `grantd serve` child process; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    /// Starts the binary on a free loopback port with `workers` job runners and waits until it
    /// announces its address (at most 60 s).
    fn spawn(db: &Db, workers: usize, seed_demo: bool, run: &str) -> Server {
        let log = db.dir.path().join(format!("grantd-{run}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_grantd"));
        cmd.arg("serve").arg("--listen").arg("127.0.0.1:0").arg("--data-dir").arg(db.dir.path());
        if seed_demo {
            cmd.arg("--demo");
        }
        // The child gets none of our GRANTD_* variables (grantd reads them as configuration).
        for (k, _) in std::env::vars() {
            if k.starts_with("GRANTD_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("GRANTD_JOB_WORKERS", workers.to_string()).env("NO_COLOR", "1");
        if let Some(url) = db.url() {
            cmd.env("GRANTD_DATABASE_URL", url);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::from(std::fs::File::create(&log).unwrap()));
        let mut child = cmd.spawn().expect("spawn grantd");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Reads the address, then keeps draining stdout so that the child never blocks on it.
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("grantd listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => Server { child, base, log },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("grantd did not start; its log:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
            }
        }
    }

    /// SIGKILL: no shutdown hook, no flush, nothing runs after this.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL grantd");
        let status = self.child.wait().unwrap();
        assert!(!status.success(), "grantd was killed, not ended normally: {status}");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Megan Bowen (Identity Governance Administrator and User Administrator), signed with the
/// dev key the server created in the data directory.
fn admin_token(dir: &Path) -> String {
    let key = grantd::keys::dev_key(dir).unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: DEV_ISSUER.into(),
        aud: Value::String(GRAPH_AUDIENCES[0].into()),
        exp: now + 3600,
        nbf: Some(now - 5),
        iat: Some(now),
        tid: demo::DEMO_TENANT.to_string(),
        oid: Some(demo::user_id(2).to_string()),
        sub: Some(demo::user_id(2).to_string()),
        idtyp: Some("user".into()),
        scp: Some(format!("{SCOPE_READ_WRITE_ALL} {SCOPE_SUBJECT_ACCESS} User.ReadWrite.All Group.ReadWrite.All")),
        wids: [DirectoryRole::IdentityGovernanceAdministrator, DirectoryRole::UserAdministrator]
            .iter()
            .map(|r| r.template_id().to_string())
            .collect(),
        ..Claims::default()
    };
    issue_dev_token(&key, &claims).unwrap()
}

async fn call(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut rb = http.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b.to_string());
    }
    let r = rb.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates `TARGETS` users and one AdminAdd request for each on the direct policy of demo
/// package 2; every create must be acknowledged with 201. Returns (request id, target id).
async fn acknowledged_requests(http: &reqwest::Client, s: &Server, token: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..TARGETS {
        let user = json!({
            "displayName": format!("Crash Target {i}"),
            "userPrincipalName": format!("crash{i}@contoso.example"),
            "mailNickname": format!("crash{i}"),
            "accountEnabled": true,
        });
        let (status, u) = call(http, Method::POST, &format!("{}/v1.0/users", s.base), token, Some(&user)).await;
        assert_eq!(status, 201, "create user: {u}");
        let target = u["id"].as_str().unwrap().to_string();
        let body = json!({
            "requestType": "adminAdd",
            "assignment": {
                "targetId": target,
                "assignmentPolicyId": demo::policy_id(21).to_string(),
                "accessPackageId": demo::access_package_id(2).to_string(),
            }
        });
        let (status, r) =
            call(http, Method::POST, &format!("{}{V1}/assignmentRequests", s.base), token, Some(&body)).await;
        assert_eq!(status, 201, "create request for {target}: {r}");
        let id = r["id"].as_str().unwrap_or_else(|| panic!("no id in {r}")).to_string();
        out.push((id, target));
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

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Crash safety of per-resource delivery to a slow external target, on the real `grantd`
//! binary: deliveries to a SCIM service provider (a real server in this process that takes a
//! while per call) are in flight when the process is SIGKILLed, again and again; after the last
//! restart every request is delivered, each target is a member of the SCIM group exactly once,
//! each SCIM user was created once, and no request is left in Delivering. The process helpers
//! follow tests/crash.rs. Runs on SQLite, or on a fresh PostgreSQL database when
//! GRANTD_TEST_DATABASE_URL is set.
mod delivery_support;

use delivery_support::{add_external_resource, Scim, SCIM_TOKEN};
use grantd::demo;
use grantd_domain::roles::{DirectoryRole, SCOPE_READ_WRITE_ALL, SCOPE_SUBJECT_ACCESS};
use grantd_web::auth::{issue_dev_token, Claims, DEV_ISSUER, GRAPH_AUDIENCES};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const V1: &str = "/v1.0/identityGovernance/entitlementManagement";
const TARGETS: usize = 12;
const KILLS: usize = 4;

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
    let name = format!("grantd_dcrash_{}", uuid::Uuid::new_v4().simple());
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
        let config = db.dir.path().join("grantd.toml");
        let log = db.dir.path().join(format!("grantd-{run}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_grantd"));
        cmd.arg("serve")
            .arg("--config")
            .arg(&config)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(db.dir.path());
        if seed_demo {
            cmd.arg("--demo");
        }
        // The child gets none of our GRANTD_* variables (grantd reads them as configuration).
        for (k, _) in std::env::vars() {
            if k.starts_with("GRANTD_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("GRANTD_JOB_WORKERS", workers.to_string()).env("GRANTD_JOB_LEASE_SECS", "3").env("NO_COLOR", "1");
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

impl Db {
    fn store_url(&self) -> String {
        match self.url() {
            Some(u) => u.to_string(),
            None => format!("sqlite:{}", self.dir.path().join("grantd.db").display()),
        }
    }
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
        let upn = format!("slow{i}@contoso.example");
        let user = json!({
            "displayName": format!("Slow Target {i}"),
            "userPrincipalName": upn,
            "mailNickname": format!("slow{i}"),
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
        out.push((r["id"].as_str().unwrap().to_string(), target, upn));
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

    let s = Server::spawn(&db, 2, true, "life-0");
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
        let s = Server::spawn(&db, 2, false, &format!("life-{life}"));
        tokio::time::sleep(Duration::from_millis(300 + 150 * life as u64)).await;
        let st = states(&http, &s, &token, &requests).await;
        in_flight_seen |= st.iter().any(|x| x == "delivering");
        s.kill();
    }
    assert!(in_flight_seen, "some deliveries were in flight at a kill");

    let s = Server::spawn(&db, 2, false, "last");
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

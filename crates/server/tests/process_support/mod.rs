//! The real `grantd` binary as a child process for crash tests (tests/crash.rs,
//! tests/delivery_crash.rs): its data directory and, on PostgreSQL, a database created for the
//! test and dropped after it (with `common`'s helpers); starting it and killing it (SIGKILL);
//! an administrator token signed with the dev key it created; one HTTP call. The test file
//! declares `mod common;` next to this module.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use grantd::demo;
use grantd_domain::roles::{DirectoryRole, SCOPE_READ_WRITE_ALL, SCOPE_SUBJECT_ACCESS};
use grantd_web::auth::{issue_dev_token, Claims, DEV_ISSUER, GRAPH_AUDIENCES};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where the server keeps its data: a temporary directory (the SQLite file and the dev signing
/// key) and, on PostgreSQL, a database created for this test and dropped after it.
pub struct Db {
    pub dir: tempfile::TempDir,
    pg: Option<(String, String, String)>,
}

impl Db {
    pub async fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let mut pg = None;
        if let Ok(admin) = std::env::var("GRANTD_TEST_DATABASE_URL") {
            if admin.starts_with("postgres") {
                let (url, name) = crate::common::fresh_pg(&admin).await;
                pg = Some((admin, name, url));
            }
        }
        Db { dir, pg }
    }

    /// The URL `grantd_store::Store::connect` opens for this database.
    pub fn store_url(&self) -> String {
        match self.url() {
            Some(u) => u.to_string(),
            None => format!("sqlite:{}", self.dir.path().join("grantd.db").display()),
        }
    }

    pub fn url(&self) -> Option<&str> {
        self.pg.as_ref().map(|(_, _, url)| url.as_str())
    }

    pub async fn drop_pg(mut self) {
        if let Some((admin, name, _)) = self.pg.take() {
            crate::common::drop_database(&admin, &name).await;
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin, name, _)) = self.pg.take() {
            // Best effort when the test panicked before `drop_pg`.
            crate::common::drop_database_blocking(admin, name);
        }
    }
}

/// A running `grantd serve` child process; killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    /// Starts the binary on a free loopback port with `workers` job runners and waits until it
    /// announces its address (at most 60 s).
    pub fn spawn(db: &Db, workers: usize, seed_demo: bool, run: &str) -> Server {
        Server::spawn_with(db, workers, seed_demo, run, |_| {})
    }

    /// As `spawn`, with `more` adding arguments or environment (a config file, a short lease).
    pub fn spawn_with(db: &Db, workers: usize, seed_demo: bool, run: &str, more: impl FnOnce(&mut Command)) -> Server {
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
        more(&mut cmd);
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
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL grantd");
        let status = self.child.wait().unwrap();
        assert!(!status.success(), "grantd was killed, not ended normally: {status}");
    }

    pub fn log(&self) -> String {
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
pub fn admin_token(dir: &Path) -> String {
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

pub async fn call(
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

/// Creates a user `{nick}@contoso.example` and an AdminAdd request for them on the direct
/// policy of demo package 2, both acknowledged with 201. Returns (request id, target id).
pub async fn admin_add_for_new_user(
    http: &reqwest::Client,
    s: &Server,
    token: &str,
    display_name: &str,
    nick: &str,
) -> (String, String) {
    let user = serde_json::json!({
        "displayName": display_name,
        "userPrincipalName": format!("{nick}@contoso.example"),
        "mailNickname": nick,
        "accountEnabled": true,
    });
    let (status, u) = call(http, Method::POST, &format!("{}/v1.0/users", s.base), token, Some(&user)).await;
    assert_eq!(status, 201, "create user: {u}");
    let target = u["id"].as_str().unwrap().to_string();
    let body = serde_json::json!({
        "requestType": "adminAdd",
        "assignment": {
            "targetId": target,
            "assignmentPolicyId": demo::policy_id(21).to_string(),
            "accessPackageId": demo::access_package_id(2).to_string(),
        }
    });
    let url = format!("{}{}/assignmentRequests", s.base, crate::common::V1);
    let (status, r) = call(http, Method::POST, &url, token, Some(&body)).await;
    assert_eq!(status, 201, "create request for {target}: {r}");
    let id = r["id"].as_str().unwrap_or_else(|| panic!("no id in {r}")).to_string();
    (id, target)
}

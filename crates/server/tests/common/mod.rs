//! Black-box test harness: starts the real grantd server on port 0 against a fresh database
//! (a temporary SQLite file, or, when GRANTD_TEST_DATABASE_URL names a PostgreSQL server, a
//! new database created for the test and dropped after it), and speaks HTTP to it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use grantd::config::Config;
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::roles::{DirectoryRole, SCOPE_READ_ALL, SCOPE_READ_WRITE_ALL, SCOPE_SUBJECT_ACCESS};
use grantd_domain::{ObjectId, TenantId};
use grantd_store::Store;
use grantd_web::auth::{issue_dev_token, Claims, DEV_ISSUER, GRAPH_AUDIENCES};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::Arc;

pub const V1: &str = "/v1.0/identityGovernance/entitlementManagement";
pub const BETA: &str = "/beta/identityGovernance/entitlementManagement";

pub struct TestServer {
    pub base: String,
    pub store: Store,
    pub key: Vec<u8>,
    pub clock: grantd_domain::clock::OffsetClock,
    running: Option<grantd::Running>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    pub http: reqwest::Client,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The Graph error code, asserting the full envelope is present.
    pub fn error_code(&self) -> String {
        let e = &self.body["error"];
        assert!(e["code"].is_string(), "no error.code in {}", self.text);
        assert!(e["message"].is_string(), "no error.message in {}", self.text);
        let inner = &e["innerError"];
        assert!(inner["date"].is_string(), "no innerError.date in {}", self.text);
        assert!(inner["request-id"].is_string(), "no innerError.request-id in {}", self.text);
        assert!(inner["client-request-id"].is_string(), "no innerError.client-request-id in {}", self.text);
        let ct = self.headers.get("content-type").unwrap().to_str().unwrap();
        assert!(ct.starts_with("application/json"), "content-type {ct}");
        assert_eq!(self.headers.get("request-id").unwrap().to_str().unwrap(), inner["request-id"].as_str().unwrap());
        e["code"].as_str().unwrap().to_string()
    }
}

pub async fn fresh_pg(admin_url: &str) -> (String, String) {
    use sqlx::Connection;
    let name = format!("grantd_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url).await.expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
    let url = match admin_url.rfind('/') {
        Some(i) if admin_url[..i].contains("://") && i > admin_url.find("://").unwrap() + 2 => {
            let (base, rest) = admin_url.split_at(i);
            let query = rest.find('?').map(|q| &rest[q..]).unwrap_or("");
            format!("{base}/{name}{query}")
        }
        _ => format!("{admin_url}/{name}"),
    };
    (url, name)
}

/// Drops a database made by `fresh_pg`, forcing out its connections (best effort).
pub async fn drop_database(admin_url: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
    }
}

/// `drop_database` from a synchronous `Drop` (a test that panicked): on a thread of its own
/// with its own runtime.
pub fn drop_database_blocking(admin_url: String, name: String) {
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(drop_database(&admin_url, &name));
    })
    .join();
}

impl TestServer {
    /// A server with the demo tenant seeded.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config { listen: "127.0.0.1:0".into(), data_dir: dir.path().to_path_buf(), ..Config::default() };
        let mut pg = None;
        if let Ok(admin) = std::env::var("GRANTD_TEST_DATABASE_URL") {
            if admin.starts_with("postgres") {
                let (url, name) = fresh_pg(&admin).await;
                cfg.database_url = url;
                pg = Some((admin, name));
            }
        }
        tweak(&mut cfg);
        let clock = grantd_domain::clock::OffsetClock::default();
        let running = grantd::start_with_clock(&cfg, Arc::new(clock.clone())).await.expect("server starts");
        let store = running.store.clone();
        demo::seed(&store, &clock).await.unwrap();
        let key = grantd::keys::dev_key(dir.path()).unwrap_or_default();
        TestServer {
            base: format!("http://{}", running.addr),
            store,
            key,
            clock,
            running: Some(running),
            _dir: dir,
            pg,
            http: reqwest::Client::new(),
        }
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
        self.drop_pg().await;
    }

    async fn drop_pg(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            drop_database(&admin, &name).await;
        }
    }

    pub fn claims(&self, tenant: TenantId) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            iss: DEV_ISSUER.into(),
            aud: Value::String(GRAPH_AUDIENCES[0].into()),
            exp: now + 3600,
            nbf: Some(now - 5),
            iat: Some(now),
            tid: tenant.to_string(),
            ..Claims::default()
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        issue_dev_token(&self.key, claims).unwrap()
    }

    /// A delegated token for `user` in `tenant` with `scopes` and directory roles.
    pub fn user_token_in(&self, tenant: TenantId, user: ObjectId, scopes: &[&str], roles: &[DirectoryRole]) -> String {
        let mut c = self.claims(tenant);
        c.oid = Some(user.to_string());
        c.sub = c.oid.clone();
        c.idtyp = Some("user".into());
        c.scp = Some(scopes.join(" "));
        c.wids = roles.iter().map(|r| r.template_id().to_string()).collect();
        self.sign(&c)
    }

    pub fn user_token(&self, user: ObjectId, scopes: &[&str], roles: &[DirectoryRole]) -> String {
        self.user_token_in(DEMO_TENANT, user, scopes, roles)
    }

    /// Megan Bowen: Identity Governance Administrator with EntitlementManagement.ReadWrite.All.
    pub fn admin(&self) -> String {
        self.user_token(
            demo::user_id(2),
            &[SCOPE_READ_WRITE_ALL, "User.ReadWrite.All", "Group.ReadWrite.All"],
            &[DirectoryRole::IdentityGovernanceAdministrator, DirectoryRole::UserAdministrator],
        )
    }

    /// A global reader with EntitlementManagement.Read.All.
    pub fn reader(&self) -> String {
        self.user_token(demo::user_id(3), &[SCOPE_READ_ALL], &[DirectoryRole::GlobalReader])
    }

    /// An end user with no administrative role.
    pub fn end_user(&self, n: u16) -> String {
        self.user_token(demo::user_id(n), &[SCOPE_SUBJECT_ACCESS, SCOPE_READ_WRITE_ALL], &[])
    }

    /// An app-only token with the given application permissions.
    pub fn app_token_in(&self, tenant: TenantId, roles: &[&str]) -> String {
        let mut c = self.claims(tenant);
        c.idtyp = Some("app".into());
        c.appid = Some("00000000-0000-0000-0000-00000000a11d".into());
        c.sub = c.appid.clone();
        c.roles = roles.iter().map(|s| s.to_string()).collect();
        self.sign(&c)
    }

    pub fn app(&self) -> String {
        self.app_token_in(DEMO_TENANT, &[SCOPE_READ_WRITE_ALL, "User.ReadWrite.All", "Group.ReadWrite.All"])
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{}", self.base, path) };
        let mut rb = self.http.request(method, &url);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.header("content-type", "application/json").body(b.to_string());
        }
        let r = rb.send().await.expect("request sent");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }
    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Best effort when a test panicked before `stop`.
            drop_database_blocking(admin, name);
        }
    }
}

//! Two real `grantd` processes on one PostgreSQL database (a 3-second job lease): a mixed load
//! of admin adds, self-service adds, cancels and racing cancels, approvals and denials (an
//! approval racing a cancel, an approval racing a denial, on the two instances at once) sent to
//! both ends with every request in a valid terminal state, each transition and delivery applied
//! exactly once; and killing one instance (SIGKILL) mid-load loses nothing. Runs only when
//! GRANTD_TEST_DATABASE_URL names PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use common::{drop_database_blocking, fresh_pg, BETA, V1};
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::roles::{DirectoryRole, SCOPE_READ_WRITE_ALL, SCOPE_SUBJECT_ACCESS};
use grantd_domain::ObjectId;
use grantd_web::auth::{issue_dev_token, Claims, DEV_ISSUER, GRAPH_AUDIENCES};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Two grantd processes over one fresh database; kills them and drops the database on drop.
struct Cluster {
    children: Vec<Option<Child>>,
    bases: Vec<String>,
    key: Vec<u8>,
    http: reqwest::Client,
    pg: Option<(String, String)>,
    url: String,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Cluster {
    /// None (after saying why) unless GRANTD_TEST_DATABASE_URL names PostgreSQL.
    async fn start() -> Option<Cluster> {
        let admin = match std::env::var("GRANTD_TEST_DATABASE_URL") {
            Ok(a) if a.starts_with("postgres") => a,
            _ => {
                eprintln!("skipped: two instances need GRANTD_TEST_DATABASE_URL=postgres://...");
                return None;
            }
        };
        let (url, name) = fresh_pg(&admin).await;
        let dir = tempfile::tempdir().unwrap();
        let mut c = Cluster {
            children: Vec::new(),
            bases: Vec::new(),
            key: Vec::new(),
            http: reqwest::Client::new(),
            pg: Some((admin, name)),
            url: url.clone(),
            dir,
        };
        // The key first, so both processes read the same one instead of racing to create it.
        c.key = grantd::keys::dev_key(c.dir.path()).unwrap();
        let cfg = grantd::config::Config {
            data_dir: c.dir.path().to_path_buf(),
            database_url: url.clone(),
            ..grantd::config::Config::default()
        };
        let store = grantd::open_store(&cfg).await.unwrap();
        demo::seed(&store, &grantd_domain::SystemClock).await.unwrap();
        store.close().await;
        for n in 0..2 {
            let port = free_port();
            let log = std::fs::File::create(c.dir.path().join(format!("grantd-{n}.log"))).unwrap();
            let child = Command::new(env!("CARGO_BIN_EXE_grantd"))
                .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &url, "--data-dir"])
                .arg(c.dir.path())
                .env_remove("GRANTD_TEST_DATABASE_URL")
                .env("GRANTD_JOB_LEASE_SECS", "3")
                .env("GRANTD_JOB_WORKERS", "2")
                .env("GRANTD_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            c.children.push(Some(child));
            c.bases.push(format!("http://127.0.0.1:{port}"));
        }
        for n in 0..2 {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(r) = c.http.get(format!("{}/health", c.bases[n])).send().await {
                    if r.status() == 200 {
                        break;
                    }
                }
                assert!(Instant::now() < deadline, "instance {n} did not start: {}", c.log(n));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Some(c)
    }

    /// Jobs in the queue, and how many of them are leased right now (straight from the database).
    async fn jobs(&self) -> (i64, i64) {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE locked_until > now()) FROM jobs")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    fn log(&self, n: usize) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("grantd-{n}.log"))).unwrap_or_default()
    }

    fn kill(&mut self, n: usize) {
        if let Some(mut child) = self.children[n].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn token(&self, user: u16, scopes: &[&str], roles: &[DirectoryRole]) -> String {
        self.token_for(demo::user_id(user), scopes, roles)
    }

    fn token_for(&self, user: ObjectId, scopes: &[&str], roles: &[DirectoryRole]) -> String {
        let now = chrono::Utc::now().timestamp();
        let c = Claims {
            iss: DEV_ISSUER.into(),
            aud: Value::String(GRAPH_AUDIENCES[0].into()),
            exp: now + 3600,
            nbf: Some(now - 5),
            iat: Some(now),
            tid: DEMO_TENANT.to_string(),
            oid: Some(user.to_string()),
            sub: Some(user.to_string()),
            idtyp: Some("user".into()),
            scp: Some(scopes.join(" ")),
            wids: roles.iter().map(|r| r.template_id().to_string()).collect(),
            ..Claims::default()
        };
        issue_dev_token(&self.key, &c).unwrap()
    }

    fn admin(&self) -> String {
        self.token(
            2,
            &[SCOPE_READ_WRITE_ALL, "User.ReadWrite.All", "Group.ReadWrite.All"],
            &[DirectoryRole::IdentityGovernanceAdministrator, DirectoryRole::UserAdministrator],
        )
    }

    fn end_user(&self, n: u16) -> String {
        self.token(n, &[SCOPE_SUBJECT_ACCESS, SCOPE_READ_WRITE_ALL], &[])
    }

    /// (status, body); status 0 when the instance did not answer.
    async fn call(
        &self,
        n: usize,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut rb = self.http.request(method, format!("{}{path}", self.bases[n])).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.header("content-type", "application/json").body(b.to_string());
        }
        match rb.timeout(Duration::from_secs(20)).send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
            }
            Err(_) => (0, Value::Null),
        }
    }

    async fn get(&self, n: usize, path: &str) -> Value {
        let (status, body) = self.call(n, reqwest::Method::GET, path, &self.admin(), None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    async fn new_user(&self, n: usize, tag: &str) -> ObjectId {
        let nick = format!("{tag}{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let body = json!({"accountEnabled": true, "displayName": nick, "mailNickname": nick,
            "userPrincipalName": format!("{nick}@{}", demo::DEMO_DOMAIN), "passwordProfile": {"password": "x"}});
        let (status, r) = self.call(n, reqwest::Method::POST, "/v1.0/users", &self.admin(), Some(&body)).await;
        assert_eq!(status, 201, "{r}");
        r["id"].as_str().unwrap().parse().unwrap()
    }

    /// An AdminAdd on package 2's direct policy; the request id when acknowledged.
    async fn admin_add(&self, n: usize, target: ObjectId) -> Option<String> {
        let body = json!({"requestType": "adminAdd", "assignment": {
            "accessPackageId": demo::access_package_id(2).to_string(),
            "assignmentPolicyId": demo::policy_id(21).to_string(), "targetId": target.to_string()}});
        let (status, r) =
            self.call(n, reqwest::Method::POST, &format!("{V1}/assignmentRequests"), &self.admin(), Some(&body)).await;
        match status {
            201 => Some(r["id"].as_str().unwrap().to_string()),
            0 => None,
            _ => panic!("adminAdd answered {status}: {r}"),
        }
    }

    /// A user's own UserAdd on package 1 (manager approval); the request id.
    async fn user_add(&self, n: usize, user: u16) -> String {
        let body = json!({"requestType": "userAdd", "justification": "load test", "assignment": {
            "accessPackageId": demo::access_package_id(1).to_string(),
            "assignmentPolicyId": demo::policy_id(12).to_string(), "targetId": demo::user_id(user).to_string()}});
        let (status, r) = self
            .call(n, reqwest::Method::POST, &format!("{V1}/assignmentRequests"), &self.end_user(user), Some(&body))
            .await;
        assert_eq!(status, 201, "userAdd by {user}: {r}");
        r["id"].as_str().unwrap().to_string()
    }

    async fn cancel(&self, n: usize, user: u16, id: &str) -> (u16, Value) {
        self.call(n, reqwest::Method::POST, &format!("{V1}/assignmentRequests/{id}/cancel"), &self.end_user(user), None)
            .await
    }

    /// A self-service policy on package 2 for every member, approved in one stage by
    /// `APPROVER`; its id.
    async fn approval_policy(&self) -> String {
        let body = json!({
            "displayName": "Approved by Pradeep", "description": "load test",
            "allowedTargetScope": "allMemberUsers", "specificAllowedTargets": [],
            "expiration": {"type": "noExpiration"},
            "requestorSettings": {"enableTargetsToSelfAddAccess": true, "enableTargetsToSelfUpdateAccess": false,
                "enableTargetsToSelfRemoveAccess": false, "allowCustomAssignmentSchedule": false,
                "enableOnBehalfRequestorsToAddAccess": false, "enableOnBehalfRequestorsToUpdateAccess": false,
                "enableOnBehalfRequestorsToRemoveAccess": false, "onBehalfRequestors": []},
            "requestApprovalSettings": {"isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": false,
                "stages": [{"durationBeforeAutomaticDenial": "P14D", "isApproverJustificationRequired": false,
                    "isEscalationEnabled": false, "durationBeforeEscalation": "PT0S",
                    "primaryApprovers": [{"@odata.type": "#microsoft.graph.singleUser",
                        "userId": demo::user_id(APPROVER).to_string()}],
                    "fallbackPrimaryApprovers": [], "escalationApprovers": [], "fallbackEscalationApprovers": []}]},
            "accessPackage": {"id": demo::access_package_id(2).to_string()}
        });
        let (status, r) =
            self.call(0, reqwest::Method::POST, &format!("{V1}/assignmentPolicies"), &self.admin(), Some(&body)).await;
        assert_eq!(status, 201, "{r}");
        r["id"].as_str().unwrap().to_string()
    }

    /// `user`'s own UserAdd on package 2 under `policy`, once its approval is open; the id.
    async fn ask_approval(&self, n: usize, user: ObjectId, policy: &str) -> String {
        let body = json!({"requestType": "userAdd", "justification": "load test", "assignment": {
            "accessPackageId": demo::access_package_id(2).to_string(),
            "assignmentPolicyId": policy, "targetId": user.to_string()}});
        let token = self.token_for(user, &[SCOPE_SUBJECT_ACCESS], &[]);
        let (status, r) =
            self.call(n, reqwest::Method::POST, &format!("{V1}/assignmentRequests"), &token, Some(&body)).await;
        assert_eq!(status, 201, "userAdd by {user}: {r}");
        let id = r["id"].as_str().unwrap().to_string();
        self.wait_all(n, std::slice::from_ref(&id), "pendingApproval", Duration::from_secs(10)).await;
        id
    }

    /// The approver's decision on the request's one stage, on instance `n`: (status, body).
    async fn decide(&self, n: usize, id: &str, verdict: &str) -> (u16, Value) {
        let token = self.token(APPROVER, &[SCOPE_READ_WRITE_ALL], &[]);
        let path = format!("{V1}/accessPackageAssignmentApprovals/{id}/stages");
        let (status, stages) = self.call(n, reqwest::Method::GET, &path, &token, None).await;
        assert_eq!(status, 200, "stages of {id}: {stages}");
        let stage = stages["value"][0]["id"].as_str().unwrap().to_string();
        let body = json!({"reviewResult": verdict, "justification": "load test"});
        self.call(n, reqwest::Method::PATCH, &format!("{path}/{stage}"), &token, Some(&body)).await
    }

    async fn cancel_own(&self, n: usize, user: ObjectId, id: &str) -> (u16, Value) {
        let token = self.token_for(user, &[SCOPE_SUBJECT_ACCESS], &[]);
        self.call(n, reqwest::Method::POST, &format!("{V1}/assignmentRequests/{id}/cancel"), &token, None).await
    }

    async fn state(&self, n: usize, id: &str) -> String {
        self.get(n, &format!("{V1}/assignmentRequests/{id}")).await["state"].as_str().unwrap().to_string()
    }

    /// Polls until every request in `ids` is in `want` (bounded); returns how long it took.
    async fn wait_all(&self, n: usize, ids: &[String], want: &str, within: Duration) -> Duration {
        let start = Instant::now();
        for id in ids {
            loop {
                let st = self.state(n, id).await;
                if st == want {
                    break;
                }
                assert!(start.elapsed() < within, "request {id} is {st}, not {want}, after {:?}", start.elapsed());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        start.elapsed()
    }

    /// Exactly one assignment of package 2 and one membership of its group for each target.
    async fn check_delivered_once(&self, n: usize, targets: &[ObjectId]) {
        let members = self.get(n, &format!("/v1.0/groups/{}/members?$top=999", demo::group_id(2))).await;
        let mut counts: HashMap<String, usize> = HashMap::new();
        for m in members["value"].as_array().unwrap() {
            *counts.entry(m["id"].as_str().unwrap().to_string()).or_default() += 1;
        }
        for t in targets {
            assert_eq!(counts.get(&t.to_string()), Some(&1), "membership of {t}");
            let url = format!(
                "{V1}/assignments?$filter=accessPackage/id%20eq%20%27{}%27%20and%20target/objectId%20eq%20%27{t}%27",
                demo::access_package_id(2)
            );
            let a = self.get(n, &url).await;
            let list = a["value"].as_array().unwrap();
            assert_eq!(list.len(), 1, "assignments of {t}: {a}");
            assert_eq!(list[0]["state"], "delivered");
        }
    }

    /// How many history entries of the request end in `to` (e.g. "Delivered/Delivered").
    async fn transitions_to(&self, n: usize, id: &str, to: &str) -> usize {
        let r = self.get(n, &format!("{BETA}/assignmentRequests/{id}")).await;
        r["history"].as_array().unwrap().iter().filter(|h| h["detail"].as_str().unwrap().ends_with(to)).count()
    }

    /// Every request's (id, v1 state), following nextLinks.
    async fn all_requests(&self, n: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut path = format!("{V1}/assignmentRequests?$top=100");
        loop {
            let page = self.get(n, &path).await;
            for r in page["value"].as_array().unwrap() {
                out.push((r["id"].as_str().unwrap().to_string(), r["state"].as_str().unwrap().to_string()));
            }
            match page["@odata.nextLink"].as_str() {
                Some(next) => {
                    path =
                        next.split_once("127.0.0.1").unwrap().1.split_once('/').map(|(_, p)| format!("/{p}")).unwrap()
                }
                None => return out,
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in 0..self.children.len() {
            self.kill(n);
        }
        if let Some((admin, name)) = self.pg.take() {
            drop_database_blocking(admin, name);
        }
    }
}

/// Pradeep decides the approvals of the load.
const APPROVER: u16 = 12;

#[derive(Default)]
struct Load {
    admin_adds: Vec<(String, ObjectId)>,
    canceled: Vec<String>,
    raced: usize,
    /// Requests approved (to be delivered) and their targets.
    approved: Vec<(String, ObjectId)>,
    denied: Vec<String>,
    /// Approval and cancel, or approval and denial, sent to the two instances at once.
    decision_races: usize,
}

impl Load {
    fn extend(&mut self, l: Load) {
        self.admin_adds.extend(l.admin_adds);
        self.canceled.extend(l.canceled);
        self.raced += l.raced;
        self.approved.extend(l.approved);
        self.denied.extend(l.denied);
        self.decision_races += l.decision_races;
    }
}

/// One approval round on instances `a` and `b`: a new user asks under `policy`, then by `i % 4`
/// the approver approves, or denies, or approves on `a` while the user cancels on `b` at once
/// (exactly one wins), or approves on `a` while denying on `b` at once (exactly one wins).
async fn approval_round(c: &Cluster, load: &mut Load, k: usize, i: usize, a: usize, policy: &str) {
    let b = 1 - a;
    let user = c.new_user(b, &format!("p{k}r{i}")).await;
    let id = c.ask_approval(a, user, policy).await;
    match i % 4 {
        0 => {
            let (status, body) = c.decide(b, &id, "Approve").await;
            assert_eq!(status, 204, "approve {id}: {body}");
            load.approved.push((id, user));
        }
        1 => {
            let (status, body) = c.decide(b, &id, "Deny").await;
            assert_eq!(status, 204, "deny {id}: {body}");
            load.denied.push(id);
        }
        2 => {
            let ((approve, ab), (cancel, cb)) = tokio::join!(c.decide(a, &id, "Approve"), c.cancel_own(b, user, &id));
            load.decision_races += 1;
            match (approve, cancel) {
                (204, 409) => load.approved.push((id, user)),
                (409, 200) => load.canceled.push(id),
                other => panic!("approve and cancel of {id} at once answered {other:?}: {ab} / {cb}"),
            }
        }
        _ => {
            let ((approve, ab), (deny, db)) = tokio::join!(c.decide(a, &id, "Approve"), c.decide(b, &id, "Deny"));
            load.decision_races += 1;
            match (approve, deny) {
                (204, 409) => load.approved.push((id, user)),
                (409, 204) => load.denied.push(id),
                other => panic!("approve and deny of {id} at once answered {other:?}: {ab} / {db}"),
            }
        }
    }
}

/// One load worker: alternates instances; each round an AdminAdd for a new user, and a UserAdd
/// by one of its own end users canceled on the other instance (every third round by both
/// instances at once: exactly one wins).
async fn worker(c: Arc<Cluster>, k: usize, users: [u16; 2], deadline: Instant, rounds: usize, policy: String) -> Load {
    let mut load = Load::default();
    for i in 0..rounds {
        if Instant::now() > deadline {
            break;
        }
        let a = (i + k) % 2;
        let b = 1 - a;
        let target = c.new_user(a, &format!("w{k}r{i}")).await;
        let id = c.admin_add(a, target).await.expect("instance up");
        load.admin_adds.push((id, target));
        let user = users[i % 2];
        let id = c.user_add(a, user).await;
        if i % 3 == 2 {
            let (x, y) = tokio::join!(c.cancel(a, user, &id), c.cancel(b, user, &id));
            let mut got = [x.0, y.0];
            got.sort_unstable();
            assert_eq!(got, [200, 409], "racing cancels of {id}: {x:?} {y:?}");
            let lost = if x.0 == 409 { x.1 } else { y.1 };
            assert_eq!(lost["error"]["code"], "RequestNotCancelable", "{lost}");
            load.raced += 1;
        } else {
            let (status, body) = c.cancel(b, user, &id).await;
            assert_eq!(status, 200, "cancel of {id}: {body}");
        }
        load.canceled.push(id);
        approval_round(&c, &mut load, k, i, a, &policy).await;
    }
    load
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_a_mixed_load_and_apply_every_transition_once() {
    let Some(c) = Cluster::start().await else { return };
    let c = Arc::new(c);
    let policy = c.approval_policy().await;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(10);
    let mut tasks = Vec::new();
    for k in 0..4usize {
        let users = [3 + 2 * k as u16, 4 + 2 * k as u16];
        tasks.push(tokio::spawn(worker(c.clone(), k, users, deadline, 25, policy.clone())));
    }
    let mut load = Load::default();
    for t in tasks {
        load.extend(t.await.unwrap());
    }
    let sent = started.elapsed();
    // Left pending on purpose: two users' requests wait for their manager's approval.
    let pending = [c.user_add(0, 11).await, c.user_add(1, 12).await];
    let ids: Vec<String> = load.admin_adds.iter().map(|(id, _)| id.clone()).collect();
    let approved: Vec<String> = load.approved.iter().map(|(id, _)| id.clone()).collect();
    let settle = c.wait_all(1, &ids, "delivered", Duration::from_secs(30)).await;
    c.wait_all(0, &approved, "delivered", Duration::from_secs(30)).await;
    c.wait_all(0, &load.canceled, "canceled", Duration::from_secs(10)).await;
    c.wait_all(1, &load.denied, "denied", Duration::from_secs(10)).await;
    c.wait_all(0, &pending, "pendingApproval", Duration::from_secs(10)).await;
    let targets: Vec<ObjectId> = load.admin_adds.iter().chain(&load.approved).map(|(_, t)| *t).collect();
    c.check_delivered_once(0, &targets).await;
    for (n, id) in ids.iter().chain(&approved).enumerate() {
        assert_eq!(c.transitions_to(n % 2, id, "-> Delivered/Delivered").await, 1, "deliveries of {id}");
        assert_eq!(c.transitions_to(n % 2, id, "-> Delivering/Delivering").await, 1, "routings of {id}");
    }
    for id in &load.canceled {
        assert_eq!(c.transitions_to(0, id, "-> Canceled/Cancelled").await, 1, "cancels of {id}");
        assert_eq!(c.transitions_to(0, id, "-> Delivering/Delivering").await, 0, "{id} was canceled, never routed");
    }
    for id in &load.denied {
        assert_eq!(c.transitions_to(1, id, "-> Denied/Denied").await, 1, "denials of {id}");
        assert_eq!(c.transitions_to(1, id, "-> Delivering/Delivering").await, 0, "{id} was denied, never routed");
    }
    let pending: HashSet<String> = pending.into_iter().collect();
    let all = c.all_requests(1).await;
    let denied: HashSet<&String> = load.denied.iter().collect();
    assert_eq!(all.len(), ids.len() + approved.len() + load.canceled.len() + load.denied.len() + pending.len());
    for (id, state) in &all {
        if pending.contains(id) {
            assert_eq!(state, "pendingApproval");
        } else if denied.contains(id) {
            assert_eq!(state, "denied");
        } else {
            assert!(state == "delivered" || state == "canceled", "{id} is {state}");
        }
    }
    assert!(
        !load.approved.is_empty() && !load.denied.is_empty() && load.decision_races > 0,
        "every kind of decision ran"
    );
    eprintln!(
        "mixed load: {} adminAdds delivered, {} approved and delivered, {} denied, {} canceled ({} by racing cancels), {} decisions raced across instances, {} pending; sent in {:?}, settled {:?} later",
        ids.len(),
        approved.len(),
        load.denied.len(),
        load.canceled.len(),
        load.raced,
        load.decision_races,
        pending.len(),
        sent,
        settle
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_one_instance_mid_load_loses_no_acknowledged_request() {
    let Some(mut c) = Cluster::start().await else { return };
    let mut targets = Vec::new();
    for i in 0..24 {
        targets.push(c.new_user(i % 2, &format!("k{i}")).await);
    }
    let started = Instant::now();
    // A burst at A, then A dies with its jobs queued or leased.
    let burst = futures_burst(&c, 0, &targets[..12]).await;
    c.kill(0);
    let killed_at = started.elapsed();
    let (queued, leased) = c.jobs().await;
    let mut acked: Vec<(String, ObjectId)> = burst;
    for t in &targets[12..] {
        let id = c.admin_add(1, *t).await.expect("B answers");
        acked.push((id, *t));
    }
    let ids: Vec<String> = acked.iter().map(|(id, _)| id.clone()).collect();
    let settle = c.wait_all(1, &ids, "delivered", Duration::from_secs(30)).await;
    let delivered: Vec<ObjectId> = acked.iter().map(|(_, t)| *t).collect();
    c.check_delivered_once(1, &delivered).await;
    for id in &ids {
        assert_eq!(c.transitions_to(1, id, "-> Delivered/Delivered").await, 1, "deliveries of {id}");
    }
    eprintln!(
        "kill: {} acknowledged ({} by A before SIGKILL at {:?}; then {queued} jobs queued, {leased} leased), all delivered {:?} after the last was sent",
        ids.len(),
        ids.len() - (targets.len() - 12),
        killed_at,
        settle
    );
}

/// AdminAdds for `targets` sent to instance `n` at once; the acknowledged ones.
async fn futures_burst(c: &Cluster, n: usize, targets: &[ObjectId]) -> Vec<(String, ObjectId)> {
    let mut set = tokio::task::JoinSet::new();
    for t in targets {
        let t = *t;
        let http = c.http.clone();
        let base = c.bases[n].clone();
        let token = c.admin();
        set.spawn(async move {
            let body = json!({"requestType": "adminAdd", "assignment": {
                "accessPackageId": demo::access_package_id(2).to_string(),
                "assignmentPolicyId": demo::policy_id(21).to_string(), "targetId": t.to_string()}});
            let r = http
                .post(format!("{base}{V1}/assignmentRequests"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            let v: Value = r.json().await.unwrap();
            (v["id"].as_str().unwrap().to_string(), t)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

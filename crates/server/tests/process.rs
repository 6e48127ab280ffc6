//! The real `grantd` binary: `serve --demo` seeds and serves, `grantd token` mints a token that
//! the server accepts, and SIGTERM shuts the server down cleanly (exit status 0).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn serve_demo_token_and_graceful_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_grantd");
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(bin)
        .args(["serve", "--demo", "--listen", &addr, "--data-dir"])
        .arg(dir.path())
        .env_remove("GRANTD_TEST_DATABASE_URL")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).collect::<Vec<_>>());

    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("http://{addr}/health")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(30), "server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let out = Command::new(bin)
        .args(["token", "--user", "megan@contoso.example", "--role", "IdentityGovernanceAdministrator", "--data-dir"])
        .arg(dir.path())
        .env_remove("GRANTD_TEST_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let r = http
        .get(format!("http://{addr}/v1.0/identityGovernance/entitlementManagement/accessPackages"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["value"].as_array().unwrap().len(), 3, "the demo's three packages");

    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "grantd did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");
    let printed = lines.join().unwrap().join("\n");
    assert!(printed.contains("grantd token"), "serve --demo says how to get a token: {printed}");
}

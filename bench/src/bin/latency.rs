//! Request-to-Delivered latency at a steady load: sends one AdminAdd request per target at a
//! fixed rate (`--rate` per second, open loop: a slow answer does not slow the sender), waits
//! until every request has finished, then reads each request back and measures, from grantd's
//! own timestamps, `completedDateTime - createdDateTime` (acknowledgement, routing job,
//! delivery job and the commit that makes it Delivered). Prints p50/p90/p99/max and each
//! against its target as a ratio (below 1.00 meets it).
use anyhow::{bail, Context};
use clap::Parser;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "latency", about = "request-to-Delivered latency (p50/p99) at a steady rate")]
struct Args {
    /// grantd's base URL (loopback).
    #[arg(long)]
    url: String,
    /// File with one target user id per line; one request per line.
    #[arg(long)]
    ids: std::path::PathBuf,
    #[arg(long)]
    package: String,
    #[arg(long)]
    policy: String,
    /// Requests per second.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Requests before measuring (not counted).
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    #[arg(long, default_value_t = 50.0)]
    target_p50_ms: f64,
    #[arg(long, default_value_t = 250.0)]
    target_p99_ms: f64,
    #[arg(long, env = "LOAD_TOKEN", hide_env_values = true)]
    token: String,
}

const EM: &str = "/v1.0/identityGovernance/entitlementManagement";

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn time(v: &serde_json::Value, key: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let s = v[key].as_str().with_context(|| format!("no {key} in {v}"))?;
    Ok(chrono::DateTime::parse_from_rfc3339(s)?.with_timezone(&chrono::Utc))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    if !(a.url.contains("127.0.0.1") || a.url.contains("localhost")) {
        bail!("--url must be a loopback address");
    }
    let targets: Vec<String> =
        std::fs::read_to_string(&a.ids)?.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    if targets.len() <= a.warmup {
        bail!("need more targets than --warmup");
    }
    let http = reqwest::Client::new();
    let token = Arc::new(a.token.clone());
    let interval = Duration::from_secs_f64(1.0 / a.rate.max(0.1));
    let start = Instant::now();
    let mut sends = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
        let body = serde_json::json!({"requestType": "adminAdd", "assignment": {
            "targetId": t, "assignmentPolicyId": a.policy, "accessPackageId": a.package}});
        let (http, token, url) = (http.clone(), token.clone(), format!("{}{EM}/assignmentRequests", a.url));
        sends.push(tokio::spawn(async move {
            let r = http.post(url).bearer_auth(token.as_str()).json(&body).send().await?;
            let status = r.status();
            let v: serde_json::Value = r.json().await?;
            if status.as_u16() != 201 {
                bail!("create answered {status}: {v}");
            }
            Ok::<String, anyhow::Error>(v["id"].as_str().context("no id")?.to_string())
        }));
    }
    let mut ids = Vec::new();
    for s in sends {
        ids.push(s.await??);
    }
    let sent_secs = start.elapsed().as_secs_f64();
    // Read back; a request still delivering is read again (bounded).
    let mut lat_ms = Vec::new();
    let mut not_delivered = 0usize;
    for id in ids.iter().skip(a.warmup) {
        let url = format!("{}{EM}/assignmentRequests/{id}", a.url);
        let mut done = None;
        for _ in 0..600 {
            let v: serde_json::Value = http.get(&url).bearer_auth(token.as_str()).send().await?.json().await?;
            match v["state"].as_str() {
                Some("delivered") => {
                    done = Some(v);
                    break;
                }
                Some("deliveryFailed" | "partiallyDelivered" | "denied" | "canceled") => break,
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        match done {
            Some(v) => {
                let d = time(&v, "completedDateTime")? - time(&v, "createdDateTime")?;
                lat_ms.push(d.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0);
            }
            None => not_delivered += 1,
        }
    }
    lat_ms.sort_by(|x, y| x.total_cmp(y));
    let n = lat_ms.len();
    let (p50, p90, p99) = (pct(&lat_ms, 50.0), pct(&lat_ms, 90.0), pct(&lat_ms, 99.0));
    let max = lat_ms.last().copied().unwrap_or(0.0);
    println!(
        "request-to-Delivered: {n} requests at {:.1}/s ({} sent in {sent_secs:.1} s, {} warm-up), {not_delivered} not delivered",
        a.rate,
        targets.len(),
        a.warmup
    );
    println!("  p50 {p50:.1} ms  p90 {p90:.1} ms  p99 {p99:.1} ms  max {max:.1} ms");
    let verdict = |v: f64, t: f64| if v < t { "" } else { "  MISSED" };
    println!(
        "  p50 {p50:.1} ms vs target {:.0} ms = {:.2} x{}",
        a.target_p50_ms,
        p50 / a.target_p50_ms,
        verdict(p50, a.target_p50_ms)
    );
    println!(
        "  p99 {p99:.1} ms vs target {:.0} ms = {:.2} x{}",
        a.target_p99_ms,
        p99 / a.target_p99_ms,
        verdict(p99, a.target_p99_ms)
    );
    if not_delivered > 0 {
        bail!("{not_delivered} requests were not delivered");
    }
    Ok(())
}

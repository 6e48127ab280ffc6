//! The list benchmark at scale (`bench/list-run`): `seed` turns one exported tenant that holds a
//! delivered assignment request into a tenant with N requests (JSON lines for `grantd import`,
//! so rows go in through the store with their typed columns rebuilt from the document), and
//! `measure` times lists against a running grantd, one request at a time (latency, not
//! throughput): a `requestor/objectId` filter with `$top=100`, and the first and the last page
//! of the whole set reached by following every `@odata.nextLink` (which also checks that keyset
//! paging returns every row exactly once).
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use serde_json::Value;
use std::collections::HashSet;
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "listbench", about = "Seed N assignment requests, and time filtered and paged lists")]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Writes the template tenant with its requests replaced by `--rows` generated ones.
    Seed {
        /// `grantd export` output with at least one assignment request.
        #[arg(long)]
        template: PathBuf,
        #[arg(long)]
        rows: u64,
        /// Requests per requestor (the filtered list's requestor has this many).
        #[arg(long, default_value_t = 200)]
        per_requestor: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Times the lists; prints one line per measurement and `key=value` lines for the script.
    Measure {
        /// grantd's base URL (loopback).
        #[arg(long)]
        url: String,
        #[arg(long, env = "LOAD_TOKEN", hide_env_values = true)]
        token: String,
        /// Rows expected in the whole set.
        #[arg(long)]
        rows: u64,
        /// Timed repetitions of each measured URL.
        #[arg(long, default_value_t = 200)]
        samples: usize,
        #[arg(long, default_value_t = 100)]
        top: usize,
    },
}

/// The requestor of generated request `i`: a fixed id per block of `per` requests, the same
/// ids whatever the row count, so the 10k and the 1M databases share the queried requestor.
fn requestor(i: u64, per: u64) -> uuid::Uuid {
    uuid::Uuid::from_u128(0x5e3b_a5e5_0000_4000_8000_0000_0000_0000 | u128::from(i / per.max(1)))
}

/// The requestor whose requests `measure` lists (block 0, present in every seeded database).
const QUERIED: u64 = 0;

fn seed(template: &PathBuf, rows: u64, per: u64, out: &PathBuf) -> anyhow::Result<()> {
    let input = std::io::BufReader::new(
        std::fs::File::open(template).with_context(|| format!("opening {}", template.display()))?,
    );
    let mut w = BufWriter::new(std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?);
    let mut sample: Option<Value> = None;
    for line in input.lines() {
        let line = line?;
        let v: Value = serde_json::from_str(&line).context("template line")?;
        if v["kind"] == "record" && v["table"] == "assignment_requests" {
            sample.get_or_insert(v);
            continue;
        }
        // Jobs of the template's requests would point at requests that are not imported.
        if v["kind"] == "job" {
            continue;
        }
        writeln!(w, "{line}")?;
    }
    let Some(sample) = sample else { bail!("the template has no assignment request") };
    let base = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")?.with_timezone(&chrono::Utc);
    let mut doc = sample["doc"].clone();
    for i in 0..rows {
        let created = base + chrono::Duration::seconds(i as i64);
        let at = created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        doc["id"] = Value::String(uuid::Uuid::new_v4().to_string());
        doc["targetId"] = Value::String(uuid::Uuid::new_v4().to_string());
        doc["assignmentId"] = Value::String(uuid::Uuid::new_v4().to_string());
        doc["requestorId"] = Value::String(requestor(i, per).to_string());
        doc["createdDateTime"] = Value::String(at.clone());
        doc["completedDateTime"] = Value::String(at.clone());
        if let Some(h) = doc["history"].as_array_mut() {
            for e in h {
                e["at"] = Value::String(at.clone());
            }
        }
        let line = serde_json::json!({"kind": "record", "table": "assignment_requests", "doc": doc});
        serde_json::to_writer(&mut w, &line)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    eprintln!("seeded {rows} requests ({} requestors) into {}", rows.div_ceil(per.max(1)), out.display());
    println!("requestor={}", requestor(QUERIED, per));
    Ok(())
}

struct Client {
    http: reqwest::Client,
    token: String,
}

impl Client {
    /// GETs `url`, checks 200, returns the body and the milliseconds it took.
    async fn get(&self, url: &str) -> anyhow::Result<(Value, f64)> {
        let t = Instant::now();
        let resp = self.http.get(url).bearer_auth(&self.token).send().await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if status != reqwest::StatusCode::OK {
            bail!("GET {url}: {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok((serde_json::from_slice(&body)?, ms))
    }

    /// The median of `n` timed GETs of `url` (after two untimed ones).
    async fn median(&self, url: &str, n: usize) -> anyhow::Result<f64> {
        for _ in 0..2 {
            self.get(url).await?;
        }
        let mut ms = Vec::with_capacity(n);
        for _ in 0..n.max(1) {
            ms.push(self.get(url).await?.1);
        }
        ms.sort_by(f64::total_cmp);
        Ok(ms[ms.len() / 2])
    }
}

fn median_of(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

async fn measure(url: &str, token: String, rows: u64, samples: usize, top: usize) -> anyhow::Result<()> {
    let host = reqwest::Url::parse(url)?.host_str().unwrap_or_default().to_string();
    if host != "127.0.0.1" && host != "localhost" {
        bail!("measure only talks to loopback addresses, not {url}");
    }
    let c = Client { http: reqwest::Client::builder().pool_max_idle_per_host(1).build()?, token };
    let set = format!("{url}/v1.0/identityGovernance/entitlementManagement/assignmentRequests");

    // 1. The filtered list (the requestor's rows, 100 of them).
    let filtered = format!("{set}?$filter=requestor/objectId%20eq%20'{}'&$top={top}", seeded_requestor());
    let (page, _) = c.get(&filtered).await?;
    let got = page["value"].as_array().map_or(0, Vec::len);
    if got != top {
        bail!("the filtered list returned {got} rows, expected {top}");
    }
    let filter_ms = c.median(&filtered, samples).await?;
    println!("filtered list ($filter=requestor/objectId eq ..., $top={top}): median {filter_ms:.2} ms");

    // 2. The whole set, page by page, following nextLink.
    let first = format!("{set}?$top={top}");
    let started = Instant::now();
    let mut seen: HashSet<u128> = HashSet::with_capacity(rows as usize);
    let mut next = Some(first.clone());
    let mut last_url = first.clone();
    let mut page_ms = Vec::new();
    while let Some(u) = next {
        let (page, ms) = c.get(&u).await?;
        page_ms.push(ms);
        for r in page["value"].as_array().into_iter().flatten() {
            let id = r["id"].as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()).context("row without an id")?;
            if !seen.insert(id.as_u128()) {
                bail!("row {id} was returned twice while paging");
            }
        }
        last_url = u;
        next = page["@odata.nextLink"].as_str().map(str::to_string);
    }
    if seen.len() as u64 != rows {
        bail!("paging returned {} rows, expected {rows}", seen.len());
    }
    let pages = page_ms.len();
    let k = (pages / 10).clamp(1, 100);
    println!(
        "walked {} rows in {pages} pages in {:.1} s: median page {:.2} ms (first {k} pages {:.2} ms, last {k} pages {:.2} ms)",
        seen.len(),
        started.elapsed().as_secs_f64(),
        median_of(&page_ms),
        median_of(&page_ms[..k]),
        median_of(&page_ms[pages - k..]),
    );
    let first_ms = c.median(&first, samples).await?;
    let last_ms = c.median(&last_url, samples).await?;
    println!("first page ($top={top}): median {first_ms:.2} ms; last page ($skiptoken): median {last_ms:.2} ms");
    println!("result filter_ms={filter_ms:.3} first_ms={first_ms:.3} last_ms={last_ms:.3} pages={pages}");
    Ok(())
}

/// The queried requestor as `seed` wrote it (block 0 of any `per_requestor`).
fn seeded_requestor() -> uuid::Uuid {
    requestor(QUERIED, 1)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse().cmd {
        Cmd::Seed { template, rows, per_requestor, out } => seed(&template, rows, per_requestor, &out),
        Cmd::Measure { url, token, rows, samples, top } => measure(&url, token, rows, samples, top).await,
    }
}

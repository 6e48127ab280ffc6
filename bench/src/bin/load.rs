//! An HTTP load generator for loopback benchmarks: `--concurrency` workers share one keep-alive
//! client and send `--count` requests (bounded by `--duration`), request `i` built from the
//! URL and body templates with `{id}` = line `i` (cyclically) of `--ids` and `{n}` = `i`. It
//! prints requests/s and latency percentiles, and can write the `id` of every successful
//! response body to `--ids-out` (to GET what a create phase made).
use anyhow::{bail, Context};
use clap::Parser;
use reqwest::{Method, StatusCode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser, Clone)]
#[command(name = "load", about = "Loopback HTTP load generator (requests/s, p50/p99)")]
struct Args {
    /// Name printed in front of the result line.
    #[arg(long, default_value = "load")]
    label: String,
    #[arg(long, default_value = "GET")]
    method: String,
    /// URL template (`{id}`, `{n}`); must point at a loopback address.
    #[arg(long)]
    url: String,
    /// JSON body template (`{id}`, `{n}`), sent with Content-Type: application/json.
    #[arg(long)]
    body: Option<String>,
    /// File with one id per line, substituted for `{id}`.
    #[arg(long)]
    ids: Option<std::path::PathBuf>,
    /// Number of requests to send (default: the number of ids).
    #[arg(long)]
    count: Option<usize>,
    /// Upper bound on the run, in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Bearer token.
    #[arg(long, env = "LOAD_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The status every response must have.
    #[arg(long, default_value_t = 200)]
    expect: u16,
    /// Writes the `id` of each successful JSON response here, one a line.
    #[arg(long)]
    ids_out: Option<std::path::PathBuf>,
    /// Requests sent (and not counted) before measuring, to open connections and warm caches.
    #[arg(long, default_value_t = 0)]
    warmup: usize,
}

#[derive(Default)]
struct Outcome {
    latencies_us: Vec<u64>,
    errors: usize,
    first_errors: Vec<String>,
    ids: Vec<String>,
}

fn is_loopback(url: &str) -> anyhow::Result<()> {
    let u = reqwest::Url::parse(&url.replace("{id}", "x").replace("{n}", "0")).context("--url")?;
    let host = u.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
    if !loopback {
        bail!("load only talks to loopback addresses, not {url}");
    }
    Ok(())
}

fn fill(template: &str, ids: &[String], n: usize) -> String {
    let mut s = template.replace("{n}", &n.to_string());
    if !ids.is_empty() {
        s = s.replace("{id}", &ids[n % ids.len()]);
    }
    s
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

/// What every worker shares.
struct Shared {
    args: Args,
    client: reqwest::Client,
    method: Method,
    ids: Vec<String>,
}

/// One phase (warm-up or measured): indices `next..total` until `deadline`; results of
/// indices below `first` are not recorded.
#[derive(Clone)]
struct Phase {
    next: Arc<AtomicUsize>,
    first: usize,
    total: usize,
    deadline: Instant,
    out: Arc<Mutex<Outcome>>,
}

async fn worker(shared: Arc<Shared>, phase: Phase) {
    let Shared { args, client, method, ids } = &*shared;
    let Phase { next, first, total, deadline, out } = phase;
    let mut local = Outcome::default();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total || Instant::now() >= deadline {
            break;
        }
        let mut rb = client.request(method.clone(), fill(&args.url, ids, i));
        if let Some(t) = &args.token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = &args.body {
            rb = rb.header("content-type", "application/json").body(fill(b, ids, i));
        }
        let started = Instant::now();
        let result = match rb.send().await {
            Ok(r) => {
                let status = r.status();
                r.bytes().await.map(|b| (status, b)).map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        let took = started.elapsed().as_micros() as u64;
        if i < first {
            continue;
        }
        match result {
            Ok((status, body)) if status == StatusCode::from_u16(args.expect).unwrap_or(StatusCode::OK) => {
                local.latencies_us.push(took);
                if args.ids_out.is_some() {
                    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                        if let Some(id) = v.get("id").and_then(|x| x.as_str()) {
                            local.ids.push(id.to_string());
                        }
                    }
                }
            }
            Ok((status, body)) => {
                local.errors += 1;
                if local.first_errors.len() < 3 {
                    local.first_errors.push(format!("{status}: {}", String::from_utf8_lossy(&body)));
                }
            }
            Err(e) => {
                local.errors += 1;
                if local.first_errors.len() < 3 {
                    local.first_errors.push(e);
                }
            }
        }
    }
    let merged = out.lock().map(|mut o| {
        o.latencies_us.extend(local.latencies_us);
        o.errors += local.errors;
        o.first_errors.extend(local.first_errors);
        o.ids.extend(local.ids);
    });
    if merged.is_err() {
        eprintln!("load: a worker panicked; its results are lost");
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let result = runtime.map_err(anyhow::Error::from).and_then(|rt| rt.block_on(run()));
    if let Err(e) = result {
        eprintln!("load: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    is_loopback(&args.url)?;
    let method = Method::from_bytes(args.method.to_uppercase().as_bytes()).context("--method")?;
    let ids: Vec<String> = match &args.ids {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("reading {}", p.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        None => Vec::new(),
    };
    if args.ids.is_some() && ids.is_empty() {
        bail!("--ids names an empty file");
    }
    let measured = match (args.count, ids.len()) {
        (Some(c), _) => c,
        (None, n) if n > 0 => n,
        _ => bail!("give --count or --ids"),
    };
    let total = measured + args.warmup;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .tcp_nodelay(true)
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()?;
    let warmup = args.warmup;
    let concurrency = args.concurrency;
    let shared = Arc::new(Shared { args: (*args).clone(), client, method, ids });
    let out = Arc::new(Mutex::new(Outcome::default()));
    let next = Arc::new(AtomicUsize::new(0));
    // Warm-up: the first `warmup` indices are sent but not measured; the clock starts after.
    if warmup > 0 {
        let phase = Phase {
            next: Arc::new(AtomicUsize::new(0)),
            first: usize::MAX,
            total: warmup,
            deadline: Instant::now() + Duration::from_secs(10),
            out: Arc::new(Mutex::new(Outcome::default())),
        };
        let tasks: Vec<_> = (0..concurrency).map(|_| tokio::spawn(worker(shared.clone(), phase.clone()))).collect();
        for t in tasks {
            t.await?;
        }
        next.store(warmup, Ordering::Relaxed);
    }
    let started = Instant::now();
    let phase = Phase {
        next,
        first: warmup,
        total,
        deadline: started + Duration::from_secs_f64(args.duration),
        out: out.clone(),
    };
    let tasks: Vec<_> = (0..concurrency).map(|_| tokio::spawn(worker(shared.clone(), phase.clone()))).collect();
    drop(phase);
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut o = match Arc::try_unwrap(out) {
        Ok(m) => m.into_inner().map_err(|_| anyhow::anyhow!("a worker panicked"))?,
        Err(_) => bail!("workers still hold the results"),
    };
    o.latencies_us.sort_unstable();
    let ok = o.latencies_us.len();
    let rps = ok as f64 / elapsed;
    println!(
        "{}: {} ok, {} errors in {:.2} s = {:.1} req/s, p50 {:.2} ms, p99 {:.2} ms (concurrency {})",
        args.label,
        ok,
        o.errors,
        elapsed,
        rps,
        percentile(&o.latencies_us, 50.0),
        percentile(&o.latencies_us, 99.0),
        args.concurrency
    );
    for e in o.first_errors.iter().take(3) {
        eprintln!("{}: error: {}", args.label, e.chars().take(400).collect::<String>());
    }
    if let Some(p) = &args.ids_out {
        let mut text = o.ids.join("\n");
        text.push('\n');
        std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
    }
    if ok == 0 {
        bail!("{}: no successful request", args.label);
    }
    Ok(())
}

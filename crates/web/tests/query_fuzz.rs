//! A bounded, stable-toolchain fuzz run of the query pipeline (`grantd_web::query::harness`):
//! random bytes, grammar-aware token soup and mutations of real queries, each parsed, bound
//! against every entity's field catalog on both versions and compiled to SQL for both backends.
//! Any panic, hang or stack overflow fails the test. `GRANTD_FUZZ_SECS` sets the duration
//! (default: 3 s; CI runs 30 s); `GRANTD_FUZZ_SEED` replays a run. The libFuzzer target in
//! fuzz/ drives the same harness with coverage feedback on nightly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use grantd_web::query::harness::exercise;
use std::time::{Duration, Instant};

/// xorshift64*: enough randomness for input generation, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const SEEDS: &[&str] = &[
    "$filter=displayName eq 'x' and (state eq 'published' or isHidden)&$orderby=displayName desc,id&$top=5",
    "$filter=accessPackage/catalog/displayName eq 'General'&$expand=accessPackage($select=id;$expand=catalog)",
    "$filter=accessPackages/any(p: p/assignmentPolicies/all(q: q/expiration/duration gt duration'P1D'))",
    "$filter=tolower(givenName) in ('a','b') and not (manager/id eq null)&$count=true&$skip=3",
    "$search=\"sales team\"&$select=displayName,catalog&$expand=*",
    "$filter=members/any(m: m/id eq 5e3ba5e5-0000-4000-8000-000000010001)",
    "$filter=createdDateTime ge 2024-01-01T00:00:00Z and state has microsoft.graph.accessPackageCatalogState'published'",
    "$orderby=description,createdDateTime desc&$skiptoken=W3sidCI6Ik51bGwifSx7InQiOiJVdWlkIiwidiI6IjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJ9XQ",
];

const TOKENS: &[&str] = &[
    "$filter=",
    "$orderby=",
    "$select=",
    "$expand=",
    "$top=",
    "$skip=",
    "$count=",
    "$search=",
    "$skiptoken=",
    "&",
    "=",
    " ",
    "(",
    ")",
    ",",
    "/",
    ":",
    ";",
    "'",
    "''",
    "\"",
    "*",
    "-",
    "%27",
    "%20",
    "%00",
    "%",
    "+",
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "and",
    "or",
    "not",
    "in",
    "has",
    "add",
    "any",
    "all",
    "true",
    "false",
    "null",
    "asc",
    "desc",
    "contains(",
    "startswith(",
    "endswith(",
    "tolower(",
    "toupper(",
    "year(",
    "duration'P1D'",
    "duration'PT0.5S'",
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "5e3ba5e5-0000-4000-8000-000000010001",
    "0",
    "1",
    "-1",
    "999999999999999999999",
    "1.5e300",
    "id",
    "displayName",
    "description",
    "state",
    "catalog",
    "catalog/id",
    "accessPackage",
    "accessPackages",
    "assignmentPolicies",
    "members",
    "manager",
    "questions",
    "expiration/duration",
    "requestorSettings/scopeType",
    "microsoft.graph.accessPackageCatalogState'published'",
    "p",
    "p/displayName",
    "x",
    "\u{ff07}",
    "--",
    "/*",
    "\u{0}",
];

fn generate(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => {
            let len = rng.below(64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        1 => (0..rng.below(40)).map(|_| rng.pick(TOKENS)).collect(),
        _ => {
            let mut s: Vec<char> = rng.pick(SEEDS).chars().collect();
            for _ in 0..=rng.below(4) {
                let at = rng.below(s.len() + 1);
                match rng.below(4) {
                    0 if at < s.len() => {
                        s.remove(at);
                    }
                    1 => s.splice(at..at, rng.pick(TOKENS).chars()).for_each(drop),
                    2 => {
                        // Repeat a slice: deep nesting and long literals.
                        let end = (at + 1 + rng.below(6)).min(s.len());
                        let piece: Vec<char> = s[at.min(end)..end].to_vec();
                        for _ in 0..rng.below(200) {
                            s.splice(at..at, piece.iter().copied()).for_each(drop);
                        }
                    }
                    _ => s.insert(at.min(s.len()), char::from(rng.next() as u8 & 0x7f)),
                }
            }
            s.into_iter().collect()
        }
    }
}

#[test]
fn query_pipeline_survives_random_input() {
    let secs: u64 = std::env::var("GRANTD_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let seed: u64 =
        std::env::var("GRANTD_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed | 1);
    let seeded: usize = SEEDS.iter().map(|s| exercise(s)).sum();
    assert!(seeded >= SEEDS.len(), "the seed queries bind: {seeded}");
    let started = Instant::now();
    let (mut runs, mut bound) = (0u64, 0u64);
    while started.elapsed() < Duration::from_secs(secs) {
        let input = generate(&mut rng);
        let one = Instant::now();
        bound += exercise(&input) as u64;
        assert!(one.elapsed() < Duration::from_secs(2), "slow input ({:?}): {input:?}", one.elapsed());
        runs += 1;
    }
    let rate = runs as f64 / started.elapsed().as_secs_f64();
    println!("query fuzz: {runs} inputs in {secs} s ({rate:.0}/s), {bound} successful bindings, seed {seed}, no panic");
}

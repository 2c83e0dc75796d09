//! Usage events ingested per second, through `POST /api/usage` on
//! loopback, in batches of 1,000 (what an integrator's forwarder sends).
//!
//! A fresh store holds 10,000 assets of the project's own format (grants
//! over countries and regions, channels, terms; a download limit on every
//! third). Each event names a random asset, user, action, territory,
//! channel and campaign, so every one is decided by the clearance engine
//! and some are outside the terms; downloads of limited assets are tallied.
//! The figure is events / wall time over all batches, with the first and
//! last tenth reported apart so that growth of the usage graph shows.
//!
//! `cargo bench --bench usage` (`ASSETGRAPH_BENCH_BATCHES=300` for more;
//! `ASSETGRAPH_BENCH_CLIENTS=4` for four clients sending at once;
//! `ASSETGRAPH_BENCH_LIMITED_EVERY=0` for no download limits, 100 for one
//! asset in a hundred; `ASSETGRAPH_BENCH_BATCH=4000` for bigger batches;
//! `ASSETGRAPH_BENCH_OUTCOMES=exceptions` for answers that list only the
//! events not recorded within the terms)

mod common;

use assetgraph::index::SearchIndex;
use assetgraph::store::Store;
use common::Rng;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

const ASSETS: usize = 10_000;

fn main() {
    let batches = common::setting("ASSETGRAPH_BENCH_BATCHES", 100);
    let batch = common::setting("ASSETGRAPH_BENCH_BATCH", 1_000);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let mut rng = Rng(0x05a6e);
    let limited_every = common::setting("ASSETGRAPH_BENCH_LIMITED_EVERY", 3);
    let records: Vec<Value> = (0..ASSETS).map(|i| asset(i, limited_every, &mut rng)).collect();
    for chunk in records.chunks(5_000) {
        common::ingest_own_records(&store, chunk);
    }
    let index = Arc::new(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    store.subscribe(index.clone());
    let bodies: Vec<Vec<u8>> = (0..batches)
        .map(|b| serde_json::to_vec(&(0..batch).map(|i| event(b * batch + i, &mut rng)).collect::<Vec<_>>()).unwrap())
        .collect();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let base = common::serve_on_loopback(store.clone(), index.clone(), Default::default()).await;
        let client = reqwest::Client::new();
        let clients = common::setting("ASSETGRAPH_BENCH_CLIENTS", 1);
        let outcomes = std::env::var("ASSETGRAPH_BENCH_OUTCOMES").unwrap_or_else(|_| "all".into());
        let started = Instant::now();
        // Each client sends every `clients`th batch, one after the other.
        let mut lanes: Vec<Vec<Vec<u8>>> = (0..clients.max(1)).map(|_| Vec::new()).collect();
        for (i, body) in bodies.into_iter().enumerate() {
            lanes[i % clients.max(1)].push(body);
        }
        let tasks: Vec<_> = lanes
            .into_iter()
            .map(|lane| {
                let (client, base, outcomes) = (client.clone(), base.clone(), outcomes.clone());
                tokio::spawn(async move {
                    let mut results = Vec::new();
                    for body in lane {
                        let sent = Instant::now();
                        let response = client
                            .post(format!("{base}/api/usage?outcomes={outcomes}"))
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await
                            .unwrap();
                        assert!(response.status().is_success(), "{}", response.text().await.unwrap());
                        let report: Value = response.json().await.unwrap();
                        results.push((
                            sent.elapsed().as_secs_f64(),
                            started.elapsed().as_secs_f64(),
                            report["within_terms"].as_u64().unwrap(),
                            report["outside_terms"].as_u64().unwrap(),
                        ));
                    }
                    results
                })
            })
            .collect();
        let (mut took, mut done) = (Vec::with_capacity(batches), Vec::with_capacity(batches));
        let (mut within, mut outside) = (0u64, 0u64);
        for task in tasks {
            for (seconds, finished, w, o) in task.await.unwrap() {
                took.push(seconds);
                done.push(finished);
                within += w;
                outside += o;
            }
        }
        let total = started.elapsed().as_secs_f64();
        let events = (batches * batch) as f64;
        // The first and last tenth of the batches by the time they were
        // answered, over the wall time they span (whatever the clients).
        done.sort_by(f64::total_cmp);
        let tenth = (batches / 10).max(1);
        let first = (tenth * batch) as f64 / done[tenth - 1];
        let last = (tenth * batch) as f64 / (done[batches - 1] - batches.checked_sub(tenth + 1).map_or(0.0, |i| done[i]));
        let mut sorted = took.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "assets: {ASSETS}, batches: {batches} x {batch} events from {clients} client(s) ({within} within the terms, {outside} outside)"
        );
        println!("usage events: {:.0} events/s over {:.1} s", events / total, total);
        println!(
            "  first tenth {:.0}/s, last tenth {:.0}/s; per batch p50 {:.1} ms, p95 {:.1} ms",
            first,
            last,
            sorted[batches / 2] * 1e3,
            sorted[batches * 95 / 100] * 1e3
        );
    });
}

/// Asset `i`; every `limited_every`th has a download limit (0: none has).
fn asset(i: usize, limited_every: usize, rng: &mut Rng) -> Value {
    let territories = rng.some(&["DE", "FR", "US", "GB", "JP", "europe_any", "worldwide"], 2);
    let channels = rng.some(&["web", "print", "social", "broadcast"], 2);
    let mut rights = json!({
        "grants": [{"territory": territories, "channel": channels, "from": "2024-01-01", "until": "2027-06-30"}]
    });
    if limited_every > 0 && i % limited_every == 0 {
        rights["max_downloads"] = json!(50);
        rights["downloads"] = json!(rng.below(40));
    }
    json!({"id": format!("bench:{i}"), "title": format!("Asset {i}"), "rights": rights})
}

fn event(i: usize, rng: &mut Rng) -> Value {
    json!({
        "id": format!("evt-{i}"),
        "asset": format!("bench:{}", rng.below(ASSETS)),
        "user": format!("user{}", rng.below(200)),
        "action": rng.pick(&["view", "download", "publish", "distribute"]),
        "at": format!("2026-{:02}-{:02}T{:02}:00:00Z", 1 + rng.below(10), 1 + rng.below(28), rng.below(24)),
        "territory": rng.pick(&["DE", "FR", "US", "GB", "JP", "IT"]),
        "channel": rng.pick(&["web", "print", "social", "broadcast"]),
        "campaign": rng.pick(&["spring-launch", "summer-sale", "brand-refresh", "holiday"]),
    })
}

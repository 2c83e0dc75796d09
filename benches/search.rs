//! Search speed on assets tagged with a real vocabulary.
//!
//! Loads STW (../shared/data/skos/stw, 6,000+ concepts in English and
//! German) as a taxonomy, generates assets whose titles and keywords are
//! drawn from its labels, each tagged with 1–3 of its concepts and holding
//! 1–2 grants over territories and channels, ingests them through the write
//! path in batches of 10,000, builds the index from the store, then times
//! in-process: concept-expanded searches with a rights context and all
//! facets (a random concept label as the query), and suggestions (the first
//! 3–6 letters of a label). Prints p50/p95/p99. Then the same searches go
//! over HTTP on loopback from 8 concurrent clients for 10 s (queries per
//! second), the resident memory is read, and 10,000 new concepts are pushed
//! as a taxonomy with the index following the store (time until the push
//! is acknowledged, when search sees it).
//!
//! `cargo bench --bench search` (`ASSETGRAPH_BENCH_ASSETS=1000000` for the
//! search issue's scale; default 100,000). `ASSETGRAPH_BENCH_DATA=DIR`
//! keeps the store and index in DIR: a later run with the same number of
//! assets skips the ingest (delete DIR/index to time the build again).
//! `ASSETGRAPH_BENCH_TENANT=default` searches as a key limited to that
//! tenant (the tenant filter in the index on top). Skipped when ../shared
//! is absent.

mod common;

use assetgraph::config::Config;
use assetgraph::index::{SearchIndex, SearchRequest};
use assetgraph::rights::{Context, Dimension, Territories};
use assetgraph::store::Store;
use common::Rng;
use oxigraph::io::RdfFormat;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

const QUERIES: usize = 1_000;
const HTTP_CLIENTS: usize = 8;
const HTTP_DURATION: std::time::Duration = std::time::Duration::from_secs(10);
const PUSHED_CONCEPTS: usize = 10_000;
/// The IRIs of pushed concepts start so; the queries never ask for them.
const PUSHED: &str = "urn:bench:pushed:";

fn main() {
    let assets = common::setting("ASSETGRAPH_BENCH_ASSETS", 100_000);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/skos/stw/stw-skos.ttl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("search: skipped, {} is absent", path.display());
        return;
    };
    // ASSETGRAPH_BENCH_DATA keeps the store and index in that directory, so
    // that later runs with the same number of assets skip the ingest.
    let temporary = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("ASSETGRAPH_BENCH_DATA").map_or(temporary.path().to_owned(), Into::into);
    let (store, labels) = common::stw_assets(&dir, &text, assets);

    let started = Instant::now();
    // Without an index (a fresh run, or one deleted to time the build
    // again) opening builds it from the store.
    let built = !dir.join("index").exists();
    let index = Arc::new(SearchIndex::open(&dir.join("index"), &store).unwrap());
    println!(
        "index {} from the store: {:.1} s ({} assets)",
        if built { "built" } else { "opened" },
        started.elapsed().as_secs_f64(),
        index.len()
    );
    println!("  the assets' rights fall into {} classes", index.rights_classes());

    // The queries draw from their own generator: the same whether the
    // assets were generated in this run or reused.
    let mut rng = Rng(0x00dd_ba11);
    // ASSETGRAPH_BENCH_TENANT=default: every search and suggestion as a
    // key limited to that tenant (the index filter on top of the rest).
    let tenants = std::env::var("ASSETGRAPH_BENCH_TENANT")
        .ok()
        .map(|tenant| vec![tenant, "shared".to_owned()]);
    if let Some(tenants) = &tenants {
        println!("as a key limited to {tenants:?}");
    }
    let territories = Territories::global();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut times = Vec::with_capacity(QUERIES);
    let mut hits = 0;
    let mut breadth = Vec::with_capacity(QUERIES);
    let mut asked = Vec::with_capacity(QUERIES);
    for _ in 0..QUERIES {
        let (_, label) = &labels[rng.below(labels.len())];
        let (territory, channel) = (
            rng.pick(&["DE", "FR", "US", "JP"]),
            rng.pick(&["web", "print", "social"]),
        );
        // The label as people type it: `q` is text.
        asked.push(format!(
            "/api/search?q={}&lang=en&limit=20&territory={territory}&channel={channel}",
            percent_encoded(label)
        ));
        let context = Context::at(now)
            .with_value(Dimension::Territory, territory, territories)
            .with_value(Dimension::Channel, channel, territories);
        // What a search box sends: the same as over HTTP.
        let request = SearchRequest {
            q: label.clone(),
            lang: Some("en".into()),
            limit: 20,
            context: Some(context),
            tenants: tenants.clone(),
            ..Default::default()
        };
        let started = Instant::now();
        let answer = index.search(&request).unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        hits += answer.total;
        breadth.push((answer.total, *times.last().unwrap(), request));
    }
    broadest_against_median(&mut breadth, &times);
    repeat_broadest(&index, &breadth);
    report("search (concept-expanded, rights context, all facets)", &mut times);
    println!("  mean matches per query after the rights filter: {}", hits / QUERIES);

    let mut times = Vec::with_capacity(QUERIES);
    for _ in 0..QUERIES {
        let (_, label) = &labels[rng.below(labels.len())];
        let prefix: String = label.chars().take(3 + rng.below(4)).collect();
        let started = Instant::now();
        index.suggest(&prefix, Some("en"), 10, tenants.as_deref()).unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    report("suggest", &mut times);

    http_throughput(store.clone(), index.clone(), asked);
    println!("resident memory while serving: {} MiB", resident_mib());
    push_visible(&store, &index, &labels);
}

/// Concurrent clients send the same searches over HTTP on loopback for a
/// while; prints the queries answered per second.
fn http_throughput(store: Arc<Store>, index: Arc<SearchIndex>, asked: Vec<String>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let base = common::serve_on_loopback(store, index, Config::default()).await;
        let (asked, answered) = (Arc::new(asked), Arc::new(AtomicUsize::new(0)));
        let started = Instant::now();
        let clients: Vec<_> = (0..HTTP_CLIENTS)
            .map(|first| {
                let (asked, answered, base) = (asked.clone(), answered.clone(), base.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    let mut next = first;
                    while started.elapsed() < HTTP_DURATION {
                        let response = client.get(format!("{base}{}", asked[next % asked.len()])).send().await.unwrap();
                        assert!(response.status().is_success(), "{}", response.status());
                        response.bytes().await.unwrap();
                        answered.fetch_add(1, Ordering::Relaxed);
                        next += HTTP_CLIENTS;
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        let seconds = started.elapsed().as_secs_f64();
        let answered = answered.load(Ordering::Relaxed);
        println!(
            "search over HTTP: {:.0} queries/s ({answered} in {seconds:.1} s, {HTTP_CLIENTS} concurrent clients on loopback)",
            answered as f64 / seconds
        );
    });
}

/// Pushes 10,000 new concepts under STW concepts with the index following
/// the store; prints how long until the push is acknowledged, which is
/// when search sees it (the index is updated before the write returns).
fn push_visible(store: &Arc<Store>, index: &Arc<SearchIndex>, labels: &[(String, String)]) {
    store.subscribe(index.clone());
    // A new project each run, so that a run on kept data pushes new
    // concepts too.
    let run = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut turtle = String::from("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n");
    for i in 0..PUSHED_CONCEPTS {
        let (broader, _) = &labels[i % labels.len()];
        turtle.push_str(&format!(
            "<{PUSHED}{run}/{i}> a skos:Concept ; skos:prefLabel \"bench topic {run} {i}\"@en ; skos:broader <{broader}> .\n"
        ));
    }
    let started = Instant::now();
    common::push_taxonomy(store, &format!("bench-push-{run}"), RdfFormat::Turtle, &turtle);
    let seconds = started.elapsed().as_secs_f64();
    let request = SearchRequest {
        q: format!("bench topic {run} {}", PUSHED_CONCEPTS - 1),
        limit: 1,
        ..Default::default()
    };
    let answer = index.search(&request).unwrap();
    let expected = format!("{PUSHED}{run}/{}", PUSHED_CONCEPTS - 1);
    assert_eq!(answer.concepts.first().map(|c| c.iri.as_str()), Some(expected.as_str()));
    println!("a push of {PUSHED_CONCEPTS} new concepts: acknowledged, and visible to search, after {seconds:.2} s");
}

/// Every byte but letters and digits as %XX, for a query string.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The mean time of the ten queries that matched the most assets, against
/// the median of all: a broad query must not be much slower than most.
fn broadest_against_median(breadth: &mut [(usize, f64, SearchRequest)], times: &[f64]) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    breadth.sort_by_key(|b| std::cmp::Reverse(b.0));
    let broadest = &breadth[..breadth.len().min(10)];
    let mean = broadest.iter().map(|(_, ms, _)| ms).sum::<f64>() / broadest.len() as f64;
    println!(
        "  the 10 broadest queries ({} to {} matches): mean {mean:.2} ms, {:.1} × the median ({median:.2} ms)",
        broadest.last().map_or(0, |b| b.0),
        broadest.first().map_or(0, |b| b.0),
        mean / median
    );
}

/// With `ASSETGRAPH_BENCH_PROFILE=SECONDS`, runs the ten broadest queries
/// (sorted first by [`broadest_against_median`]) over and over for that
/// long, for a profiler to attach to, and prints their mean time.
fn repeat_broadest(index: &SearchIndex, breadth: &[(usize, f64, SearchRequest)]) {
    let seconds = common::setting("ASSETGRAPH_BENCH_PROFILE", 0);
    if seconds == 0 {
        return;
    }
    let broadest = &breadth[..breadth.len().min(10)];
    let started = Instant::now();
    let mut runs = 0;
    while started.elapsed().as_secs() < seconds as u64 {
        for (_, _, request) in broadest {
            index.search(request).unwrap();
            runs += 1;
        }
    }
    println!(
        "  the 10 broadest queries repeated {runs} times: mean {:.2} ms",
        started.elapsed().as_secs_f64() * 1000.0 / runs as f64
    );
}

fn report(what: &str, times: &mut [f64]) {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{what}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} queries",
        at(0.5),
        at(0.95),
        at(0.99),
        times[times.len() - 1],
        times.len()
    );
}

fn resident_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

//! Search speed on assets tagged with a real vocabulary.
//!
//! Loads STW (../shared/data/skos/stw, 6,000+ concepts in English and
//! German) as a taxonomy, generates assets whose titles and keywords are
//! drawn from its labels, each tagged with 1–3 of its concepts and holding
//! 1–2 grants over territories and channels, ingests them through the write
//! path in batches of 10,000, builds the index from the store, then times
//! in-process: concept-expanded searches with a rights context and all
//! facets (a random concept label as the query), and suggestions (the first
//! 3–6 letters of a label). Prints p50/p95/p99 and the resident memory.
//!
//! `cargo bench --bench search` (`ASSETGRAPH_BENCH_ASSETS=1000000` for the
//! search issue's scale; default 100,000). Skipped when ../shared is absent.

mod common;

use assetgraph::index::{SearchIndex, SearchRequest};
use assetgraph::rights::{Context, Dimension, Key, Territories};
use assetgraph::store::Store;
use assetgraph::vocab::skos;
use common::Rng;
use oxigraph::io::RdfFormat;
use oxigraph::model::{NamedOrBlankNode, Term};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Instant;

const BATCH: usize = 10_000;
const QUERIES: usize = 1_000;

fn main() {
    let assets: usize = std::env::var("ASSETGRAPH_BENCH_ASSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/skos/stw/stw-skos.ttl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("search: skipped, {} is absent", path.display());
        return;
    };
    // ASSETGRAPH_BENCH_DATA keeps the store and index in that directory, so
    // that later runs with the same number of assets skip the ingest.
    let temporary = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("ASSETGRAPH_BENCH_DATA").map_or(temporary.path().to_owned(), Into::into);
    let marker = dir.join("bench-assets");
    let reused = std::fs::read_to_string(&marker).ok() == Some(assets.to_string());
    let store = Store::open(&dir).unwrap();
    if !reused {
        common::push_taxonomy(&store, "stw", RdfFormat::Turtle, &text);
    }
    let labels = labels(&store);
    println!(
        "search: STW loaded, {} labelled concepts; {assets} assets{}",
        labels.len(),
        if reused {
            " (reused from ASSETGRAPH_BENCH_DATA)"
        } else {
            ""
        }
    );

    let mut rng = Rng(0x5eed_cafe);
    let started = Instant::now();
    for batch in 0..if reused { 0 } else { assets.div_ceil(BATCH) } {
        let records: Vec<Value> = (batch * BATCH..((batch + 1) * BATCH).min(assets))
            .map(|i| asset(i, &labels, &mut rng))
            .collect();
        common::ingest_own_records(&store, &records);
    }
    let ingest_seconds = started.elapsed().as_secs_f64();
    if !reused {
        println!(
            "ingest: {ingest_seconds:.1} s ({:.0} assets/s), store holds {} quads",
            assets as f64 / ingest_seconds,
            store.db().len().unwrap()
        );
    }

    let started = Instant::now();
    // Without an index (a fresh run, or one deleted to time the build
    // again) opening builds it from the store.
    let built = !dir.join("index").exists();
    let index = SearchIndex::open(&dir.join("index"), &store).unwrap();
    std::fs::write(&marker, assets.to_string()).unwrap();
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
    let territories = Territories::global();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut times = Vec::with_capacity(QUERIES);
    let mut hits = 0;
    for _ in 0..QUERIES {
        let (_, label) = &labels[rng.below(labels.len())];
        let context = Context::at(now)
            .with(
                Dimension::Territory,
                Key::resolve(Dimension::Territory, rng.pick(&["DE", "FR", "US", "JP"]), territories),
            )
            .with(
                Dimension::Channel,
                Key::resolve(Dimension::Channel, rng.pick(&["web", "print", "social"]), territories),
            );
        let request = SearchRequest {
            q: label.clone(),
            lang: Some("en".into()),
            limit: 20,
            context: Some(context),
            free_text: true,
            ..Default::default()
        };
        let started = Instant::now();
        let answer = index.search(&request).unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        hits += answer.total;
    }
    report("search (concept-expanded, rights context, all facets)", &mut times);
    println!("  mean matches per query after the rights filter: {}", hits / QUERIES);

    let mut times = Vec::with_capacity(QUERIES);
    for _ in 0..QUERIES {
        let (_, label) = &labels[rng.below(labels.len())];
        let prefix: String = label.chars().take(3 + rng.below(4)).collect();
        let started = Instant::now();
        index.suggest(&prefix, Some("en"), 10).unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    report("suggest", &mut times);
    println!("resident memory: {} MiB", resident_mib());
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

/// (concept IRI, English prefLabel) of every concept with one.
fn labels(store: &Store) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for quad in store.db().quads_for_pattern(None, Some(skos::PREF_LABEL), None, None) {
        let quad = quad.unwrap();
        if let (NamedOrBlankNode::NamedNode(s), Term::Literal(l)) = (&quad.subject, &quad.object) {
            if l.language() == Some("en") {
                out.push((s.as_str().to_owned(), l.value().to_owned()));
            }
        }
    }
    out.sort();
    out
}

fn asset(i: usize, labels: &[(String, String)], rng: &mut Rng) -> Value {
    let tags: Vec<&str> = (0..1 + rng.below(3))
        .map(|_| labels[rng.below(labels.len())].0.as_str())
        .collect();
    let words = |rng: &mut Rng, n: usize| -> Vec<String> {
        (0..n).map(|_| labels[rng.below(labels.len())].1.clone()).collect()
    };
    let grants: Vec<Value> = (0..1 + rng.below(2))
        .map(|_| {
            json!({
                "territory": rng.pick(&["europe_any", "DE", "FR", "US", "north_america_any", "JP"]),
                "channel": rng.pick(&["web", "print", "social"]),
                "until": format!("{}-12-31", 2025 + rng.below(4)),
            })
        })
        .collect();
    json!({
        "id": format!("bench:{i}"),
        "title": words(rng, 2).join(" and "),
        "description": words(rng, 3).join(", "),
        "keywords": words(rng, 3),
        "language": "en",
        "concepts": tags,
        "rights": {"grants": grants},
    })
}

fn resident_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

//! The audit timeline of one asset, on a large store: what
//! `GET /api/audit?asset=…` costs, against the `audit-trail-of-asset`
//! report's SPARQL (BENCHMARKS.md, SPARQL section).
//!
//! Opens the store the SPARQL benchmark leaves in `ASSETGRAPH_BENCH_DATA`
//! (assets `bench:0…`, with usage events and purchases), reads the
//! timelines of 50 assets picked at random, and reports the median and
//! p95 latency and the entries per timeline; then the whole trail cut at
//! 1,000 entries.
//!
//! `ASSETGRAPH_BENCH_DATA=/var/tmp/bench1m ASSETGRAPH_BENCH_ASSETS=1000000 cargo bench --bench audit`

mod common;

use assetgraph::audit::{timeline, Window};
use assetgraph::store::Store;
use common::Rng;
use std::time::Instant;

fn main() {
    let Some(dir) = std::env::var_os("ASSETGRAPH_BENCH_DATA") else {
        println!("set ASSETGRAPH_BENCH_DATA to a data directory of the SPARQL benchmark (see its doc); skipped");
        return;
    };
    let assets = common::setting("ASSETGRAPH_BENCH_ASSETS", 100_000);
    let store = Store::open(std::path::Path::new(&dir)).unwrap();
    println!("store generation {}", store.generation());
    let mut rng = Rng(0xa0d17);
    let mut took = Vec::new();
    let mut entries = 0;
    for _ in 0..50 {
        let window = Window {
            asset: Some(format!("bench:{}", rng.below(assets))),
            from: None,
            to: None,
            limit: 100_000,
            tenants: None,
        };
        let started = Instant::now();
        entries += timeline(&store, &window).unwrap().len();
        took.push(started.elapsed().as_secs_f64() * 1e3);
    }
    took.sort_by(f64::total_cmp);
    println!(
        "timeline of one asset ({assets} assets): median {:.1} ms, p95 {:.1} ms, max {:.1} ms; {:.1} entries on average",
        took[25],
        took[47],
        took[49],
        entries as f64 / 50.0
    );
    let started = Instant::now();
    let all = timeline(
        &store,
        &Window {
            limit: 1_000,
            ..Default::default()
        },
    )
    .unwrap();
    println!(
        "whole trail, first 1,000 entries: {:.0} ms ({} entries)",
        started.elapsed().as_secs_f64() * 1e3,
        all.len()
    );
}

//! The floor under usage ingest: what storing usage events costs when
//! nothing else is done, to tell the cost of the service from the cost of
//! its storage.
//!
//! Events of the shape `usage::record` writes (twelve triples each: type,
//! asset, action, time, user, verdict, rule, detail, grant, territory,
//! channel, campaign; a new IRI per event, shared values elsewhere) are
//! committed in batches of 1,000, in three ways:
//!
//! - `oxigraph`: oxigraph's bulk loader on a store of its own, one loader
//!   per batch, one thread (what the write path does for a commit of this
//!   size) unless told otherwise;
//! - `write-path`: `Store::write` with a merge into the usage graph, each
//!   event's name asked of the store's filter of event types, as a usage
//!   batch commits, but without HTTP, parsing or decisions;
//! - `oxigraph-default-graph`: the bulk loader again, with the triples in
//!   the default graph, which oxigraph keeps in three indexes instead of
//!   six (shown for the layout's share; the service keeps usage in a
//!   named graph of its own).
//!
//! `cargo bench --bench usage_floor` (`ASSETGRAPH_BENCH_BATCHES=300` for
//! more batches; `ASSETGRAPH_BENCH_THREADS=2` for the bulk loader on two
//! threads in the `oxigraph` variants)

mod common;

use assetgraph::store::{Change, GraphWrite, Store};
use assetgraph::vocab::graphs;
use common::Rng;
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Triple};
use std::time::Instant;

const BATCH: usize = 1_000;

fn main() {
    let batches = common::setting("ASSETGRAPH_BENCH_BATCHES", 100);
    let usage = NamedNode::new_unchecked(graphs::USAGE);
    let mut rng = Rng(0x0f100e);
    let data: Vec<Vec<Triple>> = (0..batches)
        .map(|b| (0..BATCH).flat_map(|i| event(b * BATCH + i, &mut rng)).collect())
        .collect();
    let quads_per_event = data[0].len() / BATCH;
    println!("{batches} batches x {BATCH} events, {quads_per_event} quads per event");

    report("oxigraph", batches, || {
        let dir = tempfile::tempdir().unwrap();
        let db = oxigraph::store::Store::open(dir.path()).unwrap();
        timed(&data, |triples| {
            bulk_load(&db, triples, GraphName::NamedNode(usage.clone()))
        })
    });
    report("write-path", batches, || {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        timed(&data, |triples| {
            store
                .write(|view| {
                    // As `usage::record` does: each event's name is asked of
                    // the filter of event types, which the merge then reuses.
                    for event in triples.chunks(triples.len() / BATCH) {
                        view.mentions_by_marker(usage.as_ref().into(), &event[0])?;
                    }
                    let change = Change {
                        actor: "bench".into(),
                        operation: "usage.record".into(),
                        tenant: "default".into(),
                        note: None,
                        writes: vec![GraphWrite::Merge {
                            graph: usage.clone(),
                            kind: "usage",
                            triples: triples.to_vec(),
                        }],
                    };
                    Ok((change, ()))
                })
                .unwrap();
        })
    });
    report("oxigraph-default-graph", batches, || {
        let dir = tempfile::tempdir().unwrap();
        let db = oxigraph::store::Store::open(dir.path()).unwrap();
        timed(&data, |triples| bulk_load(&db, triples, GraphName::DefaultGraph))
    });
}

/// Seconds to commit every batch, one after the other.
fn timed(data: &[Vec<Triple>], mut commit: impl FnMut(&[Triple])) -> f64 {
    let started = Instant::now();
    for triples in data {
        commit(triples);
    }
    started.elapsed().as_secs_f64()
}

fn report(name: &str, batches: usize, run: impl FnOnce() -> f64) {
    let seconds = run();
    println!(
        "{name}: {:.0} events/s ({:.1} s, {:.1} ms per batch)",
        (batches * BATCH) as f64 / seconds,
        seconds,
        seconds * 1e3 / batches as f64
    );
}

/// One batch through oxigraph's bulk loader, set up as the write path
/// sets it up for a commit of this size.
fn bulk_load(db: &oxigraph::store::Store, triples: &[Triple], graph: GraphName) {
    let mut loader = db
        .bulk_loader()
        .with_num_threads(loader_threads())
        .with_max_memory_size_in_megabytes(triples.len().div_ceil(1000).max(10));
    loader
        .load_quads(
            triples
                .iter()
                .map(|t| Quad::new(t.subject.clone(), t.predicate.clone(), t.object.clone(), graph.clone())),
        )
        .unwrap();
    loader.commit().unwrap();
}

/// The loader's threads in the `oxigraph` variants: 1 as the write path
/// uses for a commit of this size, or `ASSETGRAPH_BENCH_THREADS`.
fn loader_threads() -> usize {
    common::setting("ASSETGRAPH_BENCH_THREADS", 1)
}

/// The triples of one usage event, shaped as `usage::record` writes them.
fn event(i: usize, rng: &mut Rng) -> Vec<Triple> {
    let ag = |local: &str| NamedNode::new_unchecked(format!("https://w3id.org/assetgraph/ns#{local}"));
    let prov = |local: &str| NamedNode::new_unchecked(format!("http://www.w3.org/ns/prov#{local}"));
    let text = Literal::new_simple_literal;
    let name = NamedNode::new_unchecked(format!("urn:assetgraph:usage:evt-{i}"));
    let asset = rng.below(10_000);
    let within = rng.below(3) == 0;
    let territory = rng.pick(&["DE", "FR", "US", "GB", "JP", "IT"]);
    let at = format!(
        "2026-{:02}-{:02}T{:02}:00:00Z",
        1 + rng.below(10),
        1 + rng.below(28),
        rng.below(24)
    );
    let (rule, detail) = if within {
        ("admitted", "every constraint of this grant holds".to_owned())
    } else {
        (
            "grant-does-not-admit",
            format!("territory {territory} is not among [DE, FR]"),
        )
    };
    let triples = [
        (oxigraph::model::vocab::rdf::TYPE.into_owned(), ag("UsageEvent").into()),
        (
            prov("used"),
            NamedNode::new_unchecked(format!("urn:assetgraph:asset:bench:{asset}")).into(),
        ),
        (
            ag("action"),
            text(rng.pick(&["view", "download", "publish", "distribute"])).into(),
        ),
        (
            prov("startedAtTime"),
            Literal::new_typed_literal(at, oxigraph::model::vocab::xsd::DATE_TIME).into(),
        ),
        (
            prov("wasAssociatedWith"),
            NamedNode::new_unchecked(format!("urn:assetgraph:user:user{}", rng.below(200))).into(),
        ),
        (ag("withinTerms"), Literal::from(within).into()),
        (ag("decidingRule"), text(rule).into()),
        (ag("decision"), text(&detail).into()),
        (
            ag("decidingSource"),
            text(&format!("urn:assetgraph:asset:bench:{asset}#grant-1")).into(),
        ),
        (ag("usageTerritory"), text(territory).into()),
        (
            ag("usageChannel"),
            text(rng.pick(&["web", "print", "social", "broadcast"])).into(),
        ),
        (
            ag("campaign"),
            text(rng.pick(&["spring-launch", "summer-sale", "brand-refresh", "holiday"])).into(),
        ),
    ];
    triples
        .into_iter()
        .map(|(predicate, object): (NamedNode, oxigraph::model::Term)| Triple::new(name.clone(), predicate, object))
        .collect()
}

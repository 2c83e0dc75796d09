//! Replacing a large graph to change one triple: a Graph Store `PUT` of a
//! 200,000-triple graph, and a push of a 200,000-triple taxonomy (20,000
//! concepts, ten statements each), each sent again and again with one
//! triple changed back and forth, through the real router on loopback
//! (parsing the body, the write path's delta and commit, the search
//! index following). Per kind: the first replacement (it reads the graph
//! back from the store, as the first one after a start does), then the
//! median and slowest of the rounds after it.
//!
//! `cargo bench --bench replace` (`ASSETGRAPH_BENCH_TRIPLES`, default
//! 200,000; `ASSETGRAPH_BENCH_ROUNDS`, default 11).

mod common;

use assetgraph::config::Config;
use assetgraph::index::SearchIndex;
use assetgraph::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

fn main() {
    let triples = common::setting("ASSETGRAPH_BENCH_TRIPLES", 200_000);
    let rounds = common::setting("ASSETGRAPH_BENCH_ROUNDS", 11);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let index = Arc::new(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    store.subscribe(index.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = runtime.block_on(common::serve_on_loopback(store, index, Config::default()));
    let client = reqwest::Client::new();

    let graph = format!("{base}/store?graph=urn:bench:large");
    let plain = |changed: bool| plain_graph(triples, changed);
    runtime.block_on(measure(&client, "Graph Store PUT", &graph, plain, rounds));
    let taxonomy = format!("{base}/api/taxonomies/large");
    let skos = |changed: bool| skos_taxonomy(triples / 10, changed);
    runtime.block_on(measure(&client, "taxonomy push", &taxonomy, skos, rounds));
}

/// Sends the first version (creating the graph), the changed one once
/// untimed by the rounds (the first replacement), then alternates.
async fn measure(client: &reqwest::Client, what: &str, url: &str, body: impl Fn(bool) -> String, rounds: usize) {
    let versions = [body(false), body(true)];
    let megabytes = versions[0].len() as f64 / 1e6;
    put(client, url, &versions[0]).await;
    let first = put(client, url, &versions[1]).await;
    let mut times: Vec<Duration> = Vec::new();
    for round in 0..rounds {
        times.push(put(client, url, &versions[round % 2]).await);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{what}, {megabytes:.1} MB of N-Triples, one triple changed: first {:.0} ms, then median {:.0} ms, slowest {:.0} ms ({rounds} rounds)",
        ms(first),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
}

async fn put(client: &reqwest::Client, url: &str, body: &str) -> Duration {
    let started = Instant::now();
    let response = client
        .put(url)
        .header("Content-Type", "application/n-triples")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    started.elapsed()
}

/// Ten statements about each of `triples / 10` subjects; `changed` alters one.
fn plain_graph(triples: usize, changed: bool) -> String {
    let mut text = String::with_capacity(triples * 72);
    for i in 0..triples {
        let value = if changed && i == triples / 2 {
            "changed".to_owned()
        } else {
            format!("value {i}")
        };
        text.push_str(&format!(
            "<urn:bench:s:{}> <urn:bench:p:{}> \"{value}\" .\n",
            i / 10,
            i % 10
        ));
    }
    text
}

/// A ten-ary tree of concepts with two labels in English and German, two
/// synonyms, a definition and a notation; `changed` relabels one concept.
fn skos_taxonomy(concepts: usize, changed: bool) -> String {
    let base = "http://example.com/bench/tax/";
    let mut text = format!("<{base}scheme> <{TYPE}> <{SKOS}ConceptScheme> .\n");
    for i in 0..concepts {
        let c = format!("<{base}c{i}>");
        let label = if changed && i == concepts / 2 {
            "Concept renamed".to_owned()
        } else {
            format!("Concept {i}")
        };
        for (predicate, object) in [
            ("type", format!("<{SKOS}Concept>")),
            ("inScheme", format!("<{base}scheme>")),
            ("prefLabel", format!("\"{label}\"@en")),
            ("prefLabel", format!("\"Begriff {i}\"@de")),
            ("altLabel", format!("\"Synonym {i}\"@en")),
            ("altLabel", format!("\"Other name {i}\"@en")),
            ("definition", format!("\"Definition of concept number {i}\"@en")),
            ("notation", format!("\"N{i}\"")),
        ] {
            let predicate = if predicate == "type" {
                TYPE.to_owned()
            } else {
                format!("{SKOS}{predicate}")
            };
            text.push_str(&format!("{c} <{predicate}> {object} .\n"));
        }
        let link = if i == 0 {
            format!("<{SKOS}topConceptOf> <{base}scheme>")
        } else {
            format!("<{SKOS}broader> <{base}c{}>", (i - 1) / 10)
        };
        text.push_str(&format!(
            "{c} {link} .\n{c} <http://purl.org/dc/terms/modified> \"2026-01-01\" .\n"
        ));
    }
    text
}

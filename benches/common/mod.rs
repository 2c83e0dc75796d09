//! What the benchmarks share: a small seeded generator, so that every run
//! draws the same data.

use assetgraph::store::Store;
use assetgraph::vocab::skos;
use oxigraph::model::{NamedOrBlankNode, Term};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// xorshift64: deterministic, no dependency, good enough to vary test data.
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// Up to `max` picks (possibly none).
    #[allow(dead_code)] // not every benchmark draws lists
    pub fn some<'a>(&mut self, from: &[&'a str], max: usize) -> Vec<&'a str> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.pick(from)).collect()
    }
}

/// A number the run is told through the environment
/// (`ASSETGRAPH_BENCH_BATCHES=300`), or `default`.
#[allow(dead_code)] // not every benchmark takes settings
pub fn setting(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a whole number; unset it or give one")),
        Err(_) => default,
    }
}

/// Ingests records of the project's own format through the write path.
#[allow(dead_code)] // not every benchmark ingests assets
pub fn ingest_own_records(store: &assetgraph::store::Store, records: &[serde_json::Value]) {
    use assetgraph::assets::{self, Ingest, OnError};
    use assetgraph::ingest::{self, Mapping, RightslineMapping, Source};
    let rightsline = RightslineMapping::default();
    let mapping = Mapping {
        territories: assetgraph::rights::Territories::global(),
        rightsline: &rightsline,
        record_type: None,
    };
    let body = serde_json::to_vec(records).unwrap();
    let mapped = ingest::map_batch(Source::AssetGraph, &body, &mapping).unwrap();
    let how = Ingest {
        source: Source::AssetGraph,
        actor: "bench",
        tenant: "default",
        on_error: OnError::Reject,
    };
    assets::upsert(store, mapped, &how).unwrap();
}

/// Pushes the YSO labels of ../shared/data/skos/yso-labels in the given
/// languages (`en,fi,sv`) as one SKOS taxonomy; the number of concepts.
#[allow(dead_code)]
pub fn push_yso(store: &assetgraph::store::Store, shared: &std::path::Path, languages: &str) -> usize {
    let mut ntriples = String::new();
    for language in languages.split(',') {
        let path = shared.join(format!("skos/yso-labels/yso-{language}.tsv"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        ntriples.push_str(&concepts_as_ntriples(&text, language));
    }
    push_taxonomy(store, "yso", oxigraph::io::RdfFormat::NTriples, &ntriples)
}

/// Pushes an RDF text as a taxonomy project; the number of concepts.
#[allow(dead_code)]
pub fn push_taxonomy(
    store: &assetgraph::store::Store,
    project: &str,
    format: oxigraph::io::RdfFormat,
    text: &str,
) -> usize {
    let quads = assetgraph::rdf::parse(project, format, text.as_bytes(), &|_| {}).unwrap();
    push_quads(store, project, quads).counts.concepts
}

/// Replaces a taxonomy project with these quads through the write path.
#[allow(dead_code)]
pub fn push_quads(
    store: &assetgraph::store::Store,
    project: &str,
    quads: Vec<oxigraph::model::Quad>,
) -> assetgraph::taxonomy::PushReport {
    use assetgraph::taxonomy::{self, Push, PushMode};
    let push = Push {
        project: project.into(),
        mode: PushMode::Replace,
        quads,
        default_graph: None,
        actor: "bench".into(),
        tenant: "default".into(),
    };
    taxonomy::push(store, push).unwrap()
}

/// One concept per line of an Annif vocabulary (`<iri>\tlabel`) as SKOS.
fn concepts_as_ntriples(tsv: &str, language: &str) -> String {
    const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
    let mut out = String::new();
    for line in tsv.lines() {
        let Some((iri, label)) = line.split_once('\t') else {
            continue;
        };
        let label = label.replace('\\', "\\\\").replace('"', "\\\"");
        out.push_str(&format!(
            "{iri} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{SKOS}Concept> .\n\
             {iri} <{SKOS}inScheme> <http://www.yso.fi/onto/yso/> .\n\
             {iri} <{SKOS}prefLabel> \"{label}\"@{language} .\n"
        ));
    }
    out
}

/// (title, gold concept IRIs) of one split of the gzipped yso-finna corpus.
#[allow(dead_code)]
pub fn yso_titles(path: &std::path::Path, split: &str) -> Vec<(String, std::collections::HashSet<String>)> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).unwrap();
    let lines = std::io::BufReader::new(flate2::read::GzDecoder::new(file)).lines();
    lines
        .map(|line| serde_json::from_str::<serde_json::Value>(&line.unwrap()).unwrap())
        .filter(|record| record["split"] == split)
        .map(|record| {
            let gold = record["gold"].as_array().unwrap();
            let gold = gold.iter().map(|g| g.as_str().unwrap().to_owned()).collect();
            (record["text"].as_str().unwrap().to_owned(), gold)
        })
        .collect()
}

/// Serves the store and index on an ephemeral loopback port as
/// `assetgraph serve` does; the base URL.
#[allow(dead_code)]
pub async fn serve_on_loopback(
    store: Arc<Store>,
    index: Arc<assetgraph::index::SearchIndex>,
    config: assetgraph::config::Config,
) -> String {
    let state = assetgraph::http::AppState::new(store, index, config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { assetgraph::http::serve(listener, state).await.unwrap() });
    base
}

/// A store in `dir` holding STW as a taxonomy and `assets` generated
/// assets (STW-tagged, with grants), ingested through the write path in
/// batches of 10,000; and (concept IRI, English label) of STW's concepts.
/// A later run on the same `dir` with the same number of assets reuses
/// them (the file `bench-assets` records the number).
#[allow(dead_code)]
pub fn stw_assets(dir: &Path, stw_turtle: &str, assets: usize) -> (Arc<Store>, Vec<(String, String)>) {
    const BATCH: usize = 10_000;
    let marker = dir.join("bench-assets");
    let reused = std::fs::read_to_string(&marker).ok() == Some(assets.to_string());
    let store = Arc::new(Store::open(dir).unwrap());
    if !reused {
        push_taxonomy(&store, "stw", oxigraph::io::RdfFormat::Turtle, stw_turtle);
    }
    let labels = stw_labels(&store);
    println!(
        "STW loaded, {} labelled concepts; {assets} assets{}",
        labels.len(),
        if reused {
            " (reused from ASSETGRAPH_BENCH_DATA)"
        } else {
            ""
        }
    );
    if reused {
        return (store, labels);
    }
    let mut rng = Rng(0x5eed_cafe);
    let started = Instant::now();
    for batch in 0..assets.div_ceil(BATCH) {
        let records: Vec<Value> = (batch * BATCH..((batch + 1) * BATCH).min(assets))
            .map(|i| stw_asset(i, &labels, &mut rng))
            .collect();
        ingest_own_records(&store, &records);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "ingest: {seconds:.1} s ({:.0} assets/s), store holds {} quads",
        assets as f64 / seconds,
        store.db().len().unwrap()
    );
    std::fs::write(&marker, assets.to_string()).unwrap();
    (store, labels)
}

/// (concept IRI, English prefLabel) of every STW concept with one.
#[allow(dead_code)]
pub fn stw_labels(store: &Store) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for quad in store.db().quads_for_pattern(None, Some(skos::PREF_LABEL), None, None) {
        let quad = quad.unwrap();
        if let (NamedOrBlankNode::NamedNode(s), Term::Literal(l)) = (&quad.subject, &quad.object) {
            // STW's own concepts, not those a run pushed.
            if l.language() == Some("en") && !s.as_str().starts_with("urn:bench:") {
                out.push((s.as_str().to_owned(), l.value().to_owned()));
            }
        }
    }
    out.sort();
    out
}

#[allow(dead_code)]
pub fn stw_asset(i: usize, labels: &[(String, String)], rng: &mut Rng) -> Value {
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

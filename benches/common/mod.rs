//! What the benchmarks share: a small seeded generator, so that every run
//! draws the same data.

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
    let quads = assetgraph::ingest::rdf::parse(project, format, text.as_bytes(), &|_| {}).unwrap();
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

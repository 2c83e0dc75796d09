//! Every label of every shared vocabulary asked as a search, in its own
//! language: how many are refused (the target is none), and how long the
//! resolution and search take.
//!
//! Each vocabulary of ../shared/data/skos is pushed as a taxonomy into a
//! store of its own, with a few assets, and every prefLabel, altLabel and
//! hiddenLabel is sent as `q` with `lang` set to the label's language tag —
//! as a user of that language would type it. A refusal is any error, or a
//! label longer than the 500 characters `/api/search` accepts.
//!
//! `cargo bench --bench labels_as_queries`. Skipped when ../shared is absent.

mod common;

use assetgraph::index::{SearchIndex, SearchRequest};
use assetgraph::store::Store;
use assetgraph::vocab::skos;
use oxigraph::io::RdfFormat;
use oxigraph::model::Term;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const VOCABULARIES: [(&str, RdfFormat); 8] = [
    ("skos/stw/stw-skos.ttl", RdfFormat::Turtle),
    ("skos/unesco/unesco-thesaurus.ttl", RdfFormat::Turtle),
    ("skos/uat/UAT.rdf", RdfFormat::RdfXml),
    (
        "skos/iptc-mediatopic/mediatopic-2025-03-31-multilingual.derived.ttl",
        RdfFormat::Turtle,
    ),
    ("skos/iptc-mediatopic/cptall-en-GB.ttl", RdfFormat::Turtle),
    (
        "skos/iptc-digitalsourcetype/digitalsourcetype.derived.ttl",
        RdfFormat::Turtle,
    ),
    ("skos/yso-archaeology/yso-archaeology.ttl", RdfFormat::Turtle),
    (
        "skos/poolparty-export-shape-sample/cht-one-concept.ttl",
        RdfFormat::Turtle,
    ),
];

/// The longest query `/api/search` takes, in characters.
const MAX_QUERY_CHARS: usize = 500;

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !shared.join("skos").exists() {
        println!("labels_as_queries: skipped, {} is absent", shared.display());
        return;
    }
    let mut all = Totals::default();
    for (path, format) in VOCABULARIES {
        let text = std::fs::read_to_string(shared.join(path)).unwrap();
        all.add(run(path, |store| {
            common::push_taxonomy(store, "vocabulary", format, &text);
        }));
    }
    all.add(run("skos/yso-labels (en, fi, sv)", |store| {
        common::push_yso(store, &shared, "en,fi,sv");
    }));
    println!(
        "labels_as_queries: all vocabularies: {} labels asked, {} refused, {} resolved to no concept",
        all.asked, all.refused, all.unresolved
    );
}

#[derive(Default)]
struct Totals {
    asked: usize,
    refused: usize,
    unresolved: usize,
}

impl Totals {
    fn add(&mut self, other: Totals) {
        self.asked += other.asked;
        self.refused += other.refused;
        self.unresolved += other.unresolved;
    }
}

fn run(name: &str, push: impl FnOnce(&Store)) -> Totals {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    push(&store);
    let index = Arc::new(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    store.subscribe(index.clone());
    let records: Vec<serde_json::Value> = (0..100)
        .map(|i| serde_json::json!({"id": format!("a:{i}"), "title": format!("Asset {i} and the sea"), "language": "en"}))
        .collect();
    common::ingest_own_records(&store, &records);

    let mut labels: Vec<(String, Option<String>)> = Vec::new();
    for predicate in [skos::PREF_LABEL, skos::ALT_LABEL, skos::HIDDEN_LABEL] {
        for quad in store.db().quads_for_pattern(None, Some(predicate), None, None) {
            if let Term::Literal(label) = quad.unwrap().object {
                labels.push((label.value().to_owned(), label.language().map(str::to_owned)));
            }
        }
    }
    let mut totals = Totals::default();
    let mut took = Vec::with_capacity(labels.len());
    for (label, language) in &labels {
        totals.asked += 1;
        let q = label.trim();
        if q.is_empty() {
            continue;
        }
        if q.chars().count() > MAX_QUERY_CHARS {
            totals.refused += 1;
            continue;
        }
        let request = SearchRequest {
            q: q.to_owned(),
            lang: language.clone(),
            limit: 10,
            ..Default::default()
        };
        let start = Instant::now();
        match index.search(&request) {
            Ok(answer) => totals.unresolved += usize::from(answer.concepts.is_empty()),
            Err(e) => {
                totals.refused += 1;
                if totals.refused <= 5 {
                    println!("  refused {q:?} ({language:?}): {e}");
                }
            }
        }
        took.push(start.elapsed().as_secs_f64() * 1e3);
    }
    took.sort_by(f64::total_cmp);
    let worst = worst_case(&index, &labels);

    let at = |p: f64| {
        took.get(((took.len() as f64 * p) as usize).min(took.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "  {name}: {} labels, {} refused, {} resolved to no concept; ms p50 {:.2}, p95 {:.2}, max {:.2}; \
         the longest typo-ridden query {worst:.2} ms",
        totals.asked,
        totals.refused,
        totals.unresolved,
        at(0.5),
        at(0.95),
        took.last().copied().unwrap_or(0.0)
    );
    totals
}

/// The slowest a search box query can be: 500 characters of label words,
/// each long one with two letters swapped (so each is corrected), asked
/// ten times; the slowest time in milliseconds.
fn worst_case(index: &SearchIndex, labels: &[(String, Option<String>)]) -> f64 {
    let mut q = String::new();
    for word in labels.iter().flat_map(|(label, _)| label.split_whitespace()) {
        let mut letters: Vec<char> = word.chars().collect();
        if letters.len() < 5 || !letters.iter().all(|c| c.is_alphabetic()) {
            continue;
        }
        letters.swap(1, 2);
        let typo: String = letters.into_iter().collect();
        if q.chars().count() + typo.chars().count() + 1 > MAX_QUERY_CHARS {
            break;
        }
        q.push_str(&typo);
        q.push(' ');
    }
    let request = SearchRequest {
        q,
        lang: labels.first().and_then(|(_, language)| language.clone()),
        limit: 10,
        ..Default::default()
    };
    (0..10)
        .map(|_| {
            let start = Instant::now();
            index.search(&request).unwrap();
            start.elapsed().as_secs_f64() * 1e3
        })
        .fold(0.0, f64::max)
}

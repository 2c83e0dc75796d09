//! Tagging quality on a gold standard: precision, recall and F1@5 of the
//! automatic tagger (`POST /api/tag`, the same code) on library titles
//! that librarians indexed with YSO concepts.
//!
//! The vocabulary is ../shared/data/skos/yso-labels (27,754 YSO concepts,
//! English prefLabels only: no altLabels, no hierarchy), pushed as a SKOS
//! taxonomy through the write path. Each title of the corpus
//! ../shared/data/corpora/yso-finna-en-titles (split `validate`, 2,000
//! titles) is tagged with `language: en`, `limit: 5`; the five best
//! concepts are compared with the gold set. Precision, recall and F1 are
//! averaged per document (a document with no suggestion scores 0), as
//! Annif's F1@5 is; micro-averaged figures are printed as well.
//!
//! `cargo bench --bench tagging`. `ASSETGRAPH_TAGGING_SPLIT=train` runs the
//! train split (16,000 titles) instead, for tuning without touching the
//! figures reported; `ASSETGRAPH_TAGGING_LANGS=en,fi,sv` adds the Finnish
//! and Swedish labels (many titles are bilingual). Skipped when ../shared
//! is absent.

mod common;

use assetgraph::index::{SearchIndex, TagRequest};
use assetgraph::store::Store;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const AT: usize = 5;

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let corpus = shared.join("corpora/yso-finna-en-titles/titles-train-validate.jsonl.gz");
    if !corpus.exists() {
        println!("tagging: skipped, {} is absent", corpus.display());
        return;
    }
    let split = std::env::var("ASSETGRAPH_TAGGING_SPLIT").unwrap_or_else(|_| "validate".into());
    let languages = std::env::var("ASSETGRAPH_TAGGING_LANGS").unwrap_or_else(|_| "en".into());
    let threshold: f32 = std::env::var("ASSETGRAPH_TAGGING_THRESHOLD")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0.0);

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let concepts = common::push_yso(&store, &shared, &languages);
    let index = Arc::new(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    store.subscribe(index.clone());
    // The collection the tagger weighs words against: the train titles as
    // assets (their text only; their gold tags are not used).
    let collection = common::yso_titles(&corpus, "train");
    ingest_titles(&store, &collection);
    println!(
        "tagging: YSO labels ({languages}) loaded, {} concepts; {} train titles indexed as assets; split {split}",
        concepts,
        index.len()
    );

    let documents = if split == "train" {
        collection
    } else {
        common::yso_titles(&corpus, &split)
    };
    let started = Instant::now();
    let mut scores = Scores::default();
    let mut wrong: std::collections::HashMap<String, usize> = Default::default();
    for (text, gold) in &documents {
        let request = TagRequest {
            text: text.clone(),
            language: Some("en".into()),
            scheme: None,
            limit: AT,
            threshold,
            tenants: None,
        };
        let tags = index.tag(&request).unwrap();
        let suggested: Vec<&str> = tags.iter().map(|t| t.iri.as_str()).collect();
        scores.add(&suggested, gold);
        for tag in tags.iter().filter(|t| !gold.contains(&t.iri)) {
            *wrong.entry(tag.label.clone()).or_default() += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    scores.print(documents.len());
    let mut wrong: Vec<(usize, String)> = wrong.into_iter().map(|(label, n)| (n, label)).collect();
    wrong.sort_by(|a, b| b.cmp(a));
    let listed: Vec<String> = wrong
        .iter()
        .take(15)
        .map(|(n, label)| format!("{label} ({n})"))
        .collect();
    println!("  most frequent wrong suggestions: {}", listed.join(", "));
    println!(
        "  {:.0} titles/s ({:.3} ms per title)",
        documents.len() as f64 / seconds,
        seconds * 1000.0 / documents.len() as f64
    );
}

fn ingest_titles(store: &Store, titles: &[(String, HashSet<String>)]) {
    for (batch, chunk) in titles.chunks(4_000).enumerate() {
        let records: Vec<serde_json::Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, (text, _))| serde_json::json!({"id": format!("title:{batch}:{i}"), "title": text}))
            .collect();
        common::ingest_own_records(store, &records);
    }
}

#[derive(Default)]
struct Scores {
    precision: f64,
    recall: f64,
    f1: f64,
    correct: usize,
    suggested: usize,
    gold: usize,
    untagged: usize,
}

impl Scores {
    fn add(&mut self, suggested: &[&str], gold: &HashSet<String>) {
        let correct = suggested.iter().filter(|s| gold.contains(**s)).count();
        let p = if suggested.is_empty() {
            0.0
        } else {
            correct as f64 / suggested.len() as f64
        };
        let r = correct as f64 / gold.len() as f64;
        self.precision += p;
        self.recall += r;
        self.f1 += if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
        self.correct += correct;
        self.suggested += suggested.len();
        self.gold += gold.len();
        self.untagged += usize::from(suggested.is_empty());
    }

    fn print(&self, documents: usize) {
        let n = documents as f64;
        println!(
            "  @{AT}, averaged per document: precision {:.3}, recall {:.3}, F1 {:.3} ({documents} titles, {} with no tag)",
            self.precision / n,
            self.recall / n,
            self.f1 / n,
            self.untagged
        );
        let (p, r) = (
            self.correct as f64 / self.suggested.max(1) as f64,
            self.correct as f64 / self.gold as f64,
        );
        println!(
            "  @{AT}, micro-averaged: precision {p:.3}, recall {r:.3}, F1 {:.3} ({} of {} suggestions correct, {} gold tags)",
            2.0 * p * r / (p + r).max(f64::MIN_POSITIVE),
            self.correct,
            self.suggested,
            self.gold
        );
    }
}

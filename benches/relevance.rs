//! Relevance of concept-aware search against plain BM25 on the same index,
//! judged by librarians.
//!
//! The collection: the 18,000 library titles of
//! ../shared/data/corpora/yso-finna-en-titles (train and validate), ingested
//! as assets with their text only: no curated tag. Many are bilingual
//! ("Valutuotteen kehittäminen = Product development of castings"), some
//! only Finnish or Swedish. The vocabulary: YSO's English, Finnish and
//! Swedish labels (../shared/data/skos/yso-labels), pushed as one taxonomy,
//! so indexing gives every title its automatic tags.
//!
//! The queries: 300 YSO concepts drawn (seeded) among those that
//! librarians assigned to at least 5 of the titles, each asked by its
//! English prefLabel, without a qualifier in parentheses, as a user would
//! type it. A title is relevant to a query when librarians indexed it with
//! that concept (binary gain); the judgments come from the corpus, not
//! from anything the search uses.
//!
//! The runs differ only in `text_only`: BM25 over the folded and
//! English-stemmed text (any word matching), or the same plus the query
//! resolved to concepts (any language's labels) matched against the
//! titles' automatic tags. The concept-aware run is made twice: as the
//! search box asks (every word of the text, or any when no asset has them
//! all) and as a brief to `/api/recommend` (any word). Printed: nDCG@10,
//! precision@10 and recall@10, averaged over queries.
//!
//! A second run measures what the vocabulary's structure adds where it has
//! one. YSO's label files have no altLabels and no hierarchy; STW
//! (../shared/data/skos/stw: English and German pref- and altLabels,
//! broader/narrower) has both, but no judged corpus. So 20,000 assets are
//! generated, each about one STW concept (its topic): the title names the
//! topic by one of its labels — pref or alt, English or German, drawn at
//! random — next to the prefLabel of an unrelated concept; half of the
//! assets also carry the topic as a curated tag. Queries are 300 English
//! prefLabels of concepts that have an altLabel or a narrower concept; an
//! asset about the concept gains 2, one about a narrower concept gains 1.
//! These judgments come from the vocabulary itself, so this run measures
//! the reach of synonyms, languages and hierarchy, not real-world
//! relevance: the first run is the one judged by people.
//!
//! Each set is asked a last time as people type: every query noisy (lower
//! case, one transposition, the number of its last word flipped, a
//! leading "the" in one of three; see [`noisy`]), judged as the clean one.
//!
//! `cargo bench --bench relevance`. Skipped when ../shared is absent.

mod common;

use assetgraph::index::{SearchIndex, SearchRequest};
use assetgraph::store::Store;
use assetgraph::vocab::skos;
use common::Rng;
use oxigraph::io::RdfFormat;
use oxigraph::model::{NamedOrBlankNode, Term};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

const QUERIES: usize = 300;
const MIN_RELEVANT: usize = 5;
const K: usize = 10;

fn main() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let corpus = shared.join("corpora/yso-finna-en-titles/titles-train-validate.jsonl.gz");
    if !corpus.exists() {
        println!("relevance: skipped, {} is absent", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let concepts = common::push_yso(&store, &shared, "en,fi,sv");
    let index = Arc::new(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    store.subscribe(index.clone());

    let mut titles = common::yso_titles(&corpus, "train");
    titles.extend(common::yso_titles(&corpus, "validate"));
    let mut relevant: HashMap<&str, HashSet<String>> = HashMap::new();
    for (batch, chunk) in titles.chunks(4_000).enumerate() {
        let records: Vec<serde_json::Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, (text, gold))| {
                let id = format!("title:{batch}:{i}");
                for concept in gold {
                    relevant.entry(concept.as_str()).or_default().insert(id.clone());
                }
                serde_json::json!({"id": id, "title": text})
            })
            .collect();
        common::ingest_own_records(&store, &records);
    }
    let labels = english_labels(&shared);
    let mut candidates: Vec<&str> = relevant
        .iter()
        .filter(|(concept, ids)| ids.len() >= MIN_RELEVANT && labels.contains_key(**concept))
        .map(|(concept, _)| *concept)
        .collect();
    candidates.sort_unstable();
    let mut rng = Rng(0x0dc6_2026);
    let queries: Vec<&str> = (0..QUERIES.min(candidates.len()))
        .map(|_| candidates.swap_remove(rng.below(candidates.len())))
        .collect();
    println!(
        "relevance: {} titles indexed, YSO {concepts} concepts (en, fi, sv); {} queries (concepts with ≥ {MIN_RELEVANT} judged titles)",
        index.len(),
        queries.len()
    );

    let queries: Vec<(String, HashMap<String, f64>)> = queries
        .iter()
        .map(|concept| {
            let judged = relevant[*concept].iter().map(|id| (id.clone(), 1.0)).collect();
            (labels[*concept].clone(), judged)
        })
        .collect();
    compare(&index, &queries);
    drop(index);
    structure_run(&shared);
}

/// Runs every query text-only and concept-aware, the latter both as a
/// search box asks (every word, else any) and as a brief (any word), then
/// the search box again with every query typed noisily (see [`noisy`]);
/// prints nDCG@10, precision@10 and recall@10 of each. A query: its text
/// and the graded judgments (asset id → gain).
fn compare(index: &SearchIndex, queries: &[(String, HashMap<String, f64>)]) {
    let runs = [
        ("plain BM25 (text only, any word)", true, true, false),
        ("concept-aware, search box (every word, else any)", false, false, false),
        ("concept-aware, brief (any word)", false, true, false),
        ("concept-aware, search box, typed noisily", false, false, true),
    ];
    let mut rng = Rng(0x7e57_2026);
    let mut precision = Vec::new();
    for (name, text_only, free_text, noise) in runs {
        let mut totals = [0.0; 3];
        let mut resolved = 0;
        for (q, judged) in queries {
            let request = SearchRequest {
                q: if noise { noisy(q, &mut rng) } else { q.clone() },
                lang: Some("en".into()),
                limit: K,
                free_text,
                text_only,
                ..Default::default()
            };
            let answer = index.search(&request).unwrap();
            resolved += usize::from(!answer.concepts.is_empty());
            let gains: Vec<f64> = answer
                .hits
                .iter()
                .map(|h| judged.get(&h.id).copied().unwrap_or(0.0))
                .collect();
            let hits = gains.iter().filter(|g| **g > 0.0).count() as f64;
            totals[0] += ndcg(&gains, judged);
            totals[1] += hits / K as f64;
            totals[2] += hits / judged.len().min(K) as f64;
        }
        let n = queries.len() as f64;
        precision.push(totals[1] / n);
        let resolved = if text_only {
            String::new()
        } else {
            format!("; {resolved} of {} resolved to a concept", queries.len())
        };
        println!(
            "  {name}: nDCG@{K} {:.3}, precision@{K} {:.3}, recall@{K} {:.3}{resolved}",
            totals[0] / n,
            totals[1] / n,
            totals[2] / n
        );
    }
    println!(
        "  noisy / clean precision@{K} (search box): {:.2}",
        precision[3] / precision[1]
    );
}

/// A query as people type it: lower case, `&` written `and`, the last
/// word's number flipped (a trailing `s` dropped or added), two neighbouring
/// letters swapped in the longest word of 5 letters or more (never its
/// first letter), and one query in three starting with "the".
fn noisy(label: &str, rng: &mut Rng) -> String {
    let lower = label.to_lowercase().replace('&', " and ");
    let mut words: Vec<Vec<char>> = lower.split_whitespace().map(|w| w.chars().collect()).collect();
    if let Some(last) = words.last_mut() {
        if last.len() > 3 && last.ends_with(&['s']) {
            last.pop();
        } else if last.iter().all(|c| c.is_alphabetic()) {
            last.push('s');
        }
    }
    let longest = (0..words.len())
        .filter(|&i| words[i].iter().filter(|c| c.is_alphabetic()).count() >= 5)
        .max_by_key(|&i| words[i].len());
    if let Some(word) = longest.map(|i| &mut words[i]) {
        let at = 1 + rng.below(word.len() - 3);
        let at = (at..word.len() - 1).find(|&i| word[i] != word[i + 1]).unwrap_or(at);
        word.swap(at, at + 1);
    }
    let mut typed: Vec<String> = words.into_iter().map(|w| w.into_iter().collect()).collect();
    if rng.below(3) == 0 {
        typed.insert(0, "the".into());
    }
    typed.join(" ")
}

/// nDCG of the gains of a ranked list against the ideal ordering of the
/// judged gains.
fn ndcg(gains: &[f64], judged: &HashMap<String, f64>) -> f64 {
    let discount = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
    let dcg: f64 = gains.iter().enumerate().map(|(i, g)| g * discount(i)).sum();
    let mut ideal: Vec<f64> = judged.values().copied().collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal.iter().take(K).enumerate().map(|(i, g)| g * discount(i)).sum();
    dcg / idcg
}

/// The STW run: generated assets, judged by the vocabulary (see the top).
fn structure_run(shared: &Path) {
    let path = shared.join("skos/stw/stw-skos.ttl");
    let text = std::fs::read_to_string(&path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    common::push_taxonomy(&store, "stw", RdfFormat::Turtle, &text);
    let index = Arc::new(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    store.subscribe(index.clone());

    let vocabulary = Stw::read(&store);
    let topics: Vec<&String> = vocabulary.labels.keys().collect();
    let mut rng = Rng(0x57a7_2026);
    let mut about: HashMap<&str, Vec<String>> = HashMap::new();
    for batch in 0..STRUCTURE_ASSETS / 4_000 {
        let records: Vec<serde_json::Value> = (0..4_000)
            .map(|i| {
                let id = format!("stw:{batch}:{i}");
                let topic = topics[rng.below(topics.len())];
                let named = &vocabulary.labels[topic];
                let (_, _, label) = &named[rng.below(named.len())];
                let other = vocabulary.pref_en(topics[rng.below(topics.len())]);
                about.entry(topic).or_default().push(id.clone());
                let concepts: Vec<&str> = if rng.below(2) == 0 {
                    vec![topic.as_str()]
                } else {
                    vec![]
                };
                serde_json::json!({"id": id, "title": format!("{label}; {other}"), "concepts": concepts})
            })
            .collect();
        common::ingest_own_records(&store, &records);
    }
    let mut candidates: Vec<&String> = topics
        .iter()
        .copied()
        .filter(|c| {
            vocabulary.labels[*c].iter().any(|(kind, ..)| *kind == "alt") || vocabulary.narrower.contains_key(*c)
        })
        .filter(|c| about.contains_key(c.as_str()))
        .collect();
    candidates.sort_unstable();
    let queries: Vec<(String, HashMap<String, f64>)> = (0..QUERIES.min(candidates.len()))
        .map(|_| {
            let concept = candidates.swap_remove(rng.below(candidates.len()));
            let mut judged: HashMap<String, f64> = HashMap::new();
            for narrower in vocabulary.below(concept) {
                for id in about.get(narrower.as_str()).into_iter().flatten() {
                    judged.insert(id.clone(), 1.0);
                }
            }
            for id in &about[concept.as_str()] {
                judged.insert(id.clone(), 2.0);
            }
            (vocabulary.pref_en(concept).to_owned(), judged)
        })
        .collect();
    println!(
        "relevance (vocabulary structure): {} generated assets about STW concepts; {} queries",
        index.len(),
        queries.len()
    );
    compare(&index, &queries);
}

const STRUCTURE_ASSETS: usize = 20_000;

/// STW as the generator needs it: labels (kind, language, text) and
/// narrower links.
struct Stw {
    labels: BTreeMap<String, Vec<(&'static str, String, String)>>,
    narrower: HashMap<String, Vec<String>>,
}

impl Stw {
    fn read(store: &Store) -> Stw {
        let mut labels: BTreeMap<String, Vec<(&'static str, String, String)>> = BTreeMap::new();
        for (predicate, kind) in [(skos::PREF_LABEL, "pref"), (skos::ALT_LABEL, "alt")] {
            for quad in store.db().quads_for_pattern(None, Some(predicate), None, None) {
                let quad = quad.unwrap();
                if let (NamedOrBlankNode::NamedNode(s), Term::Literal(l)) = (&quad.subject, &quad.object) {
                    let language = l.language().unwrap_or("").to_owned();
                    if language == "en" || language == "de" {
                        let entry = labels.entry(s.as_str().to_owned()).or_default();
                        entry.push((kind, language, l.value().to_owned()));
                    }
                }
            }
        }
        labels.retain(|_, named| {
            named
                .iter()
                .any(|(kind, language, _)| *kind == "pref" && language == "en")
        });
        let mut narrower: HashMap<String, Vec<String>> = HashMap::new();
        for quad in store.db().quads_for_pattern(None, Some(skos::BROADER), None, None) {
            let quad = quad.unwrap();
            if let (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) = (&quad.subject, &quad.object) {
                let entry = narrower.entry(o.as_str().to_owned()).or_default();
                if !entry.iter().any(|n| n == s.as_str()) {
                    entry.push(s.as_str().to_owned());
                }
            }
        }
        Stw { labels, narrower }
    }

    fn pref_en(&self, concept: &str) -> &str {
        let named = &self.labels[concept];
        let pref = named
            .iter()
            .find(|(kind, language, _)| *kind == "pref" && language == "en");
        pref.map_or("", |(_, _, text)| text.as_str())
    }

    /// Every concept narrower than this one, transitively.
    fn below(&self, concept: &str) -> HashSet<String> {
        let mut out = HashSet::new();
        let mut queue = vec![concept.to_owned()];
        while let Some(next) = queue.pop() {
            for narrower in self.narrower.get(&next).into_iter().flatten() {
                if out.insert(narrower.clone()) {
                    queue.push(narrower.clone());
                }
            }
        }
        out
    }
}

/// Concept IRI → English prefLabel without a qualifier in parentheses.
fn english_labels(shared: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(shared.join("skos/yso-labels/yso-en.tsv")).unwrap();
    text.lines()
        .filter_map(|line| {
            let (iri, label) = line.split_once('\t')?;
            let label = match label.strip_suffix(')').and_then(|l| l.rsplit_once(" (")) {
                Some((base, _)) => base,
                None => label,
            };
            Some((iri.trim_matches(['<', '>']).to_owned(), label.to_owned()))
        })
        .collect()
}

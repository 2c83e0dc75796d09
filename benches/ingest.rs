//! Ingest speed of Smint.io-shaped records, including the store commit.
//!
//! Generates 100k licence purchase transactions from the reference shape
//! with varied values (1–3 localized names, 3–12 keywords in one or two
//! languages, 1–2 licence terms over regions and countries, usage and
//! distribution lists, restricted lists on half of them, download limits,
//! binaries), sends them as sync results of 1,000 records — JSON bytes, as
//! they arrive over HTTP — through the mapping and `assets::upsert` into a
//! fresh RocksDB store, and reports records/s and triples/s. A second pass
//! re-ingests everything unchanged (the no-op path). A pass before them loads
//! the very same quads (each record's triples in its graph) into another fresh
//! store with oxigraph's bulk loader alone, in the same batches: the storage
//! ceiling the first figure is to be read against.
//!
//! `cargo bench --bench ingest` (`ASSETGRAPH_BENCH_RECORDS=20000` for a shorter run)

mod common;

use assetgraph::assets::{self, Ingest, OnError};
use assetgraph::ingest::{self, Action, Mapped, Mapping, RightslineMapping, Source};
use assetgraph::rights::Territories;
use assetgraph::store::Store;
use common::Rng;
use oxigraph::model::Quad;
use serde_json::{json, Value};
use std::time::Instant;

const BATCH: usize = 1_000;

fn main() {
    let records = common::setting("ASSETGRAPH_BENCH_RECORDS", 100_000);
    let mut rng = Rng(0x5eed);
    let bodies: Vec<Vec<u8>> = (0..records.div_ceil(BATCH))
        .map(|b| {
            let lpts: Vec<Value> = (b * BATCH..((b + 1) * BATCH).min(records))
                .map(|i| lpt(i, &mut rng))
                .collect();
            serde_json::to_vec(&json!({"count": lpts.len(), "continuation_uuid": format!("c-{b}"), "license_purchase_transactions": lpts})).unwrap()
        })
        .collect();
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let rightsline = RightslineMapping::default();
    let mapping = Mapping {
        territories: Territories::global(),
        rightsline: &rightsline,
        record_type: None,
    };
    println!(
        "ingest: {records} Smint.io records in {} batches of {BATCH}, {:.1} MB of JSON",
        bodies.len(),
        bytes as f64 / 1e6
    );
    // First, and in a store of its own that is closed before the others
    // start, so that no background compaction of one competes with another.
    storage_ceiling(&bodies, &mapping);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for pass in ["first ingest", "re-ingest (unchanged)"] {
        let generation = store.generation();
        let start = Instant::now();
        let mut created = 0;
        let mut unchanged = 0;
        let mut mapping_time = 0.0;
        for body in &bodies {
            let mapping_start = Instant::now();
            let mapped = ingest::map_batch(Source::SmintIo, body, &mapping).unwrap();
            mapping_time += mapping_start.elapsed().as_secs_f64();
            let report = assets::upsert(
                &store,
                mapped,
                &Ingest {
                    source: Source::SmintIo,
                    actor: "bench",
                    tenant: "default",
                    on_error: OnError::Reject,
                },
            )
            .unwrap();
            created += report.created;
            unchanged += report.unchanged;
        }
        let seconds = start.elapsed().as_secs_f64();
        let triples = store.db().len().unwrap();
        println!(
            "{pass}: {seconds:.2} s ({mapping_time:.2} s parsing and mapping), {:.0} records/s ({created} created, {unchanged} unchanged, {} commits), store holds {triples} quads",
            records as f64 / seconds,
            store.generation() - generation
        );
    }
}

/// The same records' quads through oxigraph's bulk loader alone, mapped
/// outside the clock: what the storage itself does with this data.
fn storage_ceiling(bodies: &[Vec<u8>], mapping: &Mapping<'_>) {
    let dir = tempfile::tempdir().unwrap();
    let db = oxigraph::store::Store::open(dir.path()).unwrap();
    let (mut seconds, mut quads, mut records) = (0.0, 0, 0);
    for body in bodies {
        let mapped = ingest::map_batch(Source::SmintIo, body, mapping).unwrap();
        records += mapped.len();
        let batch: Vec<Quad> = mapped
            .into_iter()
            .filter_map(|r| match r.unwrap() {
                Mapped {
                    id,
                    action: Action::Upsert(triples),
                    ..
                } => {
                    let graph = assetgraph::rdf::asset_iri(&id);
                    Some(triples.into_iter().map(move |t| t.in_graph(graph.clone())))
                }
                _ => None,
            })
            .flatten()
            .collect();
        quads += batch.len();
        let start = Instant::now();
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut loader = db
            .bulk_loader()
            .with_num_threads(threads)
            .with_max_memory_size_in_megabytes(batch.len().div_ceil(1000).max(10));
        loader.load_quads(batch).unwrap();
        loader.commit().unwrap();
        seconds += start.elapsed().as_secs_f64();
    }
    println!(
        "storage ceiling (oxigraph bulk loader alone, same quads and batches): {seconds:.2} s, {:.0} records/s, {:.0} quads/s ({:.0} quads per record)",
        records as f64 / seconds,
        quads as f64 / seconds,
        quads as f64 / records as f64
    );
}

const WORDS: [&str; 24] = [
    "mountain", "lake", "city", "night", "coffee", "team", "office", "beach", "forest", "winter", "summer", "family",
    "laptop", "bicycle", "harbour", "market", "festival", "portrait", "sunrise", "bridge", "garden", "kitchen",
    "train", "snow",
];
const GEOGRAPHIES: [&str; 8] = [
    "europe_any",
    "europe_germany",
    "europe_france",
    "north_america_united_states",
    "asia_japan",
    "any",
    "north_america_any",
    "europe_united_kingdom",
];
const USAGES: [&str; 6] = [
    "advertising_any",
    "digital_media_social_media",
    "publishing_editorial_magazine",
    "internal_use_any",
    "marketing_promotional_press_release",
    "advertising_display_billboard",
];
const DISTRIBUTIONS: [&str; 5] = [
    "channel_web",
    "channel_print",
    "channel_tv",
    "social_media_any",
    "media_digital",
];
const PROVIDERS: [&str; 4] = ["adobestock", "getty", "shutterstock", "istock"];

fn localized(rng: &mut Rng, words: usize, cultures: &[&str]) -> Value {
    Value::Array(
        cultures
            .iter()
            .map(|c| {
                let text: Vec<&str> = (0..words).map(|_| rng.pick(&WORDS)).collect();
                json!({"culture": c, "value": text.join(" ")})
            })
            .collect(),
    )
}

fn lpt(i: usize, rng: &mut Rng) -> Value {
    let cultures: &[&str] = if rng.below(3) == 0 { &["en", "de"] } else { &["en"] };
    let keywords: Vec<Value> = cultures
        .iter()
        .flat_map(|c| {
            let n = 3 + rng.below(10);
            (0..n)
                .map(|_| json!({"culture": c, "metadata_element": {"name": rng.pick(&WORDS)}}))
                .collect::<Vec<_>>()
        })
        .collect();
    let terms: Vec<Value> = (0..1 + rng.below(2))
        .map(|t| {
            let restricted = rng.below(2) == 0;
            json!({
                "sequence_number": t + 1,
                "name": [{"culture": "en", "value": "Default"}],
                "exclusivities": [],
                "allowed_usages": rng.some(&USAGES, 2),
                "restricted_usages": if restricted { rng.some(&USAGES, 1) } else { vec![] },
                "allowed_distributions": rng.some(&DISTRIBUTIONS, 2),
                "restricted_distributions": [],
                "allowed_geographies": [rng.pick(&GEOGRAPHIES)],
                "restricted_geographies": if restricted { vec!["north_america_united_states"] } else { vec![] },
                "allowed_industries": [], "restricted_industries": if restricted { vec!["industry_tobacco"] } else { vec![] },
                "allowed_languages": ["any"], "restricted_languages": [],
                "usage_limits": [],
                "valid_from": "2024-01-01T00:00:00Z",
                "valid_until": format!("{}-12-31T23:59:59Z", 2025 + rng.below(4)),
                "to_be_used_until": null,
                "is_editorial_use": rng.below(10) == 0
            })
        })
        .collect();
    let name_words = 3 + rng.below(3);
    json!({
        "uuid": format!("{}", 100_000 + i),
        "cart_purchase_transaction_uuid": format!("{}", i / 3),
        "state": if rng.below(50) == 0 { "cancelled" } else { "completed" },
        "project_uuid": format!("{}", rng.below(40)),
        "project_name": localized(rng, 2, &["en"]),
        "collection_uuid": format!("{}", rng.below(200)),
        "licensee_uuid": "11", "licensee_name": "ACME GmbH",
        "content_element": {
            "uuid": format!("2:0:{}", 61_000_000 + i),
            "provider": rng.pick(&PROVIDERS),
            "content_type": "image",
            "content_category": "creative",
            "name": localized(rng, name_words, cultures),
            "description": localized(rng, 8, &cultures[..1]),
            "keywords": keywords,
            "copyright_notices": [{"culture": "en", "value": "Photographer / www.example.com"}],
            "is_editorial_use": false, "is_ai": rng.below(5) == 0
        },
        "offering": {"license_type": "royalty_free"},
        "license_text": {"effective_text": [{"culture": "en", "value": "Standard license"}]},
        "license_terms": terms,
        "license_download_constraints": {"effective_max_downloads": if rng.below(2) == 0 { 10 } else { 0 }},
        "current_downloads": rng.below(12),
        "can_be_synced": true,
        "version": 1 + rng.below(5),
        "purchased_at": "2024-03-01T10:00:00Z", "created_at": "2024-03-01T10:00:00Z", "last_updated_at": "2024-03-02T08:00:00Z",
        "binaries": [{"uuid": format!("b-{i}"), "content_type": "image", "binary_type": "standard", "recommended_file_name": format!("asset_{i}.jpg"), "version": 1}]
    })
}

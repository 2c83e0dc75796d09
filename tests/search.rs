//! The search index follows the store: what a write acknowledged is
//! searchable at once (created, replaced, deleted), an index left behind is
//! rebuilt on open, and text is folded and stemmed per language.

mod common;

use assetgraph::config::Config;
use assetgraph::index::SearchIndex;
use assetgraph::ingest::{self, Mapping, RightslineMapping, Source};
use assetgraph::rights::Territories;
use assetgraph::{assets, store::Store};
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn record(id: &str, title: &str) -> Value {
    json!({"id": id, "title": title, "language": "en",
           "keywords": ["cup"],
           "variants": {"de": {"title": "Recycelbare Kaffeebecher aus Papier"}}})
}

async fn search(client: &Client, base: &str, query: &str) -> (StatusCode, Value) {
    let response = client.get(format!("{base}/api/search?{query}")).send().await.unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

fn ids(answer: &Value) -> Vec<String> {
    answer["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn what_a_write_acknowledged_is_searchable_at_once() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let ingest = |body: Value| {
        let client = client.clone();
        let url = format!("{base}/api/ingest/assetgraph");
        async move { client.post(url).json(&body).send().await.unwrap().status() }
    };

    assert_eq!(
        ingest(json!([record("brand:cup-1", "Paper coffee cup")])).await,
        StatusCode::CREATED
    );
    let (status, answer) = search(&client, base, "q=coffee").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["brand:cup-1"]);
    assert_eq!(answer["generation"].as_u64(), Some(server.store.generation()));

    // a replacement: the new title is found, the old one no longer
    assert_eq!(
        ingest(json!([record("brand:cup-1", "Ceramic mug")])).await,
        StatusCode::OK
    );
    assert!(ids(&search(&client, base, "q=coffee").await.1).is_empty());
    assert_eq!(ids(&search(&client, base, "q=mug").await.1), ["brand:cup-1"]);
    assert_eq!(server.index.len(), 1, "replaced, not duplicated");

    // a deletion
    let status = client
        .delete(format!("{base}/api/assets/brand:cup-1"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(ids(&search(&client, base, "q=mug").await.1).is_empty());
    assert_eq!(server.index.len(), 0);
}

#[tokio::test]
async fn text_is_folded_and_stemmed_per_language() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let body = json!([
        record("brand:cup-1", "Café terrace at noon"),
        {"id": "brand:bike-1", "title": "Bicycles by the canal", "language": "en"}
    ]);
    let status = client
        .post(format!("{base}/api/ingest/assetgraph"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::CREATED);
    // accents and case folded
    assert_eq!(ids(&search(&client, base, "q=CAFE").await.1), ["brand:cup-1"]);
    // English stemming: "bicycle" finds "Bicycles"
    assert_eq!(
        ids(&search(&client, base, "q=bicycle&lang=en").await.1),
        ["brand:bike-1"]
    );
    // German stemming on the German variant: "Kaffeebecher" finds "Kaffeebecher", "recycelbar" finds "Recycelbare"
    assert_eq!(
        ids(&search(&client, base, "q=recycelbar&lang=de").await.1),
        ["brand:cup-1"]
    );
    assert!(
        ids(&search(&client, base, "q=recycelbar").await.1).is_empty(),
        "unstemmed without lang"
    );
}

#[tokio::test]
async fn bad_queries_are_refused_with_a_problem() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let long = "a".repeat(501);
    for query in [
        "q=",
        "q=%20%20",
        &format!("q={long}"),
        "q=cup&limit=0",
        "q=cup&limit=1000",
        "q=cup&color=red",
        "lang=en",
    ] {
        let response = client
            .get(format!("{}/api/search?{query}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/problem+json",
            "{query}"
        );
    }
}

#[test]
fn an_index_behind_the_store_is_rebuilt_on_open() {
    let (dir, store) = open_store();
    let index_dir = dir.path().join("index");
    {
        let index = SearchIndex::open(&index_dir, &store).unwrap();
        assert!(index.is_empty());
    }
    // Writes while no index follows the store (the process died between
    // the two commits, say).
    let body = serde_json::to_vec(&json!([
        record("brand:cup-1", "Paper coffee cup"),
        record("brand:cup-2", "Glass")
    ]))
    .unwrap();
    ingest_without_index(&store, &body);
    let index = SearchIndex::open(&index_dir, &store).unwrap();
    assert_eq!(index.generation().unwrap(), Some(store.generation()));
    assert_eq!(index.len(), 2);
    let hits = index.search_text("coffee", None, 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, "brand:cup-1");
    assert_eq!(hits[0].title.as_deref(), Some("Paper coffee cup"));
}

fn ingest_without_index(store: &Store, body: &[u8]) {
    let rightsline = RightslineMapping::default();
    let mapping = Mapping {
        territories: Territories::global(),
        rightsline: &rightsline,
        record_type: None,
    };
    let records = ingest::map_batch(Source::AssetGraph, body, &mapping).unwrap();
    let how = assets::Ingest {
        source: Source::AssetGraph,
        actor: "tester",
        tenant: "default",
        on_error: assets::OnError::Reject,
    };
    assets::upsert(store, records, &how).unwrap();
}

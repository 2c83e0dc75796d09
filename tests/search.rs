//! The search index follows the store: what a write acknowledged is
//! searchable at once (created, replaced, deleted), an index left behind is
//! rebuilt on open, and text is folded and stemmed per language.

mod common;

use assetgraph::config::Config;
use assetgraph::index::{ConceptView, SearchAnswer, SearchIndex, SearchRequest};
use assetgraph::ingest::{self, Mapping, RightslineMapping, Source};
use assetgraph::rights::{Dimension, Territories};
use assetgraph::{assets, store::Store};
use common::TestServer;
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn record(id: &str, title: &str) -> Value {
    json!({"id": id, "title": title, "language": "en",
           "keywords": ["cup"],
           "variants": {"de": {"title": "Recycelbare Kaffeebecher aus Papier"}}})
}

/// Posts records of the project's own format; the answer's status.
async fn ingest(client: &Client, base: &str, body: Value) -> StatusCode {
    let url = format!("{base}/api/ingest/assetgraph");
    client.post(url).json(&body).send().await.unwrap().status()
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
    assert_eq!(
        ingest(&client, base, json!([record("brand:cup-1", "Paper coffee cup")])).await,
        StatusCode::CREATED
    );
    let (status, answer) = search(&client, base, "q=coffee").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["brand:cup-1"]);
    assert_eq!(answer["generation"].as_u64(), Some(server.store.generation()));

    // a replacement: the new title is found, the old one no longer
    assert_eq!(
        ingest(&client, base, json!([record("brand:cup-1", "Ceramic mug")])).await,
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
    assert_eq!(ingest(&client, base, body).await, StatusCode::CREATED);
    // accents and case folded
    let (_, answer) = search(&client, base, "q=CAFE").await;
    assert_eq!(ids(&answer), ["brand:cup-1"]);
    // the highlight marks the word as written, in characters
    let highlight = &answer["hits"][0]["highlight"];
    let fragment = highlight["fragment"].as_str().unwrap();
    assert!(fragment.contains("Café terrace at noon"), "{highlight}");
    let [start, end] = [0, 1].map(|i| highlight["ranges"][0][i].as_u64().unwrap() as usize);
    assert_eq!(
        fragment.chars().skip(start).take(end - start).collect::<String>(),
        "Café"
    );
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
async fn a_search_wants_every_word_unless_too_few_assets_have_them_all() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let mut body: Vec<Value> = (0..10)
        .map(|i| json!({"id": format!("a:bike-{i}"), "title": format!("Bicycles by the canal {i}"), "language": "en"}))
        .collect();
    body.push(json!({"id": "a:cafe", "title": "Café by the canal", "language": "en"}));
    assert_eq!(ingest(&client, base, json!(body)).await, StatusCode::CREATED);
    // ten assets have both words: the café, with one, is not found
    let (_, answer) = search(&client, base, "q=bicycles%20canal&limit=50").await;
    assert_eq!(answer["words"], "every", "{answer}");
    assert_eq!(answer["total"], 10);
    assert!(!ids(&answer).contains(&"a:cafe".to_owned()));
    // none has both: any word will do, and the answer says so
    let (_, answer) = search(&client, base, "q=cafe%20bicycles&limit=50").await;
    assert_eq!(answer["words"], "any", "{answer}");
    assert_eq!(answer["total"], 11);
    assert_eq!(ids(&answer)[0], "a:cafe", "the rarer word ranks first");
}

#[tokio::test]
async fn asset_titles_that_start_with_the_input_are_suggested_first_in_order() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let body = json!([
        {"id": "a:line", "title": "packaging line"},
        {"id": "a:design", "title": "Packaging design"},
        {"id": "a:sustainable", "title": "Sustainable packaging"},
        {"id": "a:cards", "title": "Pack of cards"}
    ]);
    assert_eq!(ingest(&client, base, body).await, StatusCode::CREATED);
    let titles = |answer: Value| -> Vec<String> {
        answer["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let suggest = |query: &'static str| {
        let url = format!("{base}/api/suggest?{query}");
        let client = client.clone();
        async move { client.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // titles starting with the input in folded order, then a later word
    assert_eq!(
        titles(suggest("q=PACKAG").await),
        ["a:design", "a:line", "a:sustainable"]
    );
    assert_eq!(titles(suggest("q=packag&limit=1").await), ["a:design"]);
    // a deleted asset is no longer suggested (its segment keeps others)
    let many: Vec<Value> = (10..40)
        .map(|i| json!({"id": format!("a:box-{i}"), "title": format!("Box {i}")}))
        .collect();
    assert_eq!(ingest(&client, base, json!(many)).await, StatusCode::CREATED);
    let url = format!("{base}/api/assets/a:box-10");
    assert_eq!(
        client.delete(url).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(titles(suggest("q=box&limit=2").await), ["a:box-11", "a:box-12"]);
}

#[tokio::test]
async fn bad_queries_are_refused_with_a_problem() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let long = "a".repeat(501);
    for (query, field) in [
        ("q=", "q"),
        ("q=%20%20", "q"),
        (&format!("q={long}"), "q"),
        ("q=cup&limit=0", "limit"),
        ("q=cup&limit=1000", "limit"),
        ("q=cup&color=red", "color"),
        ("lang=en", "q"),
    ] {
        let response = client
            .get(format!("{}/api/search?{query}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/problem+json",
            "{query}"
        );
        let status = response.status();
        assert_refused(
            status,
            &response.json().await.unwrap(),
            (400, "invalid-request", Some(field)),
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
    assert_eq!(index.generation(), Some(store.generation()));
    assert_eq!(index.len(), 2);
    let hits = index
        .search(&SearchRequest {
            q: "coffee".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, "brand:cup-1");
    assert_eq!(hits[0].title.as_deref(), Some("Paper coffee cup"));
}

#[test]
fn a_reopened_index_that_is_current_keeps_its_rights_filter() {
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("index");
    {
        let store = Store::open(dir.path()).unwrap();
        let index = std::sync::Arc::new(SearchIndex::open(&index_dir, &store).unwrap());
        store.subscribe(index.clone());
        // Replaced: its first class stays in the index only on a deleted
        // document (next to a live one), which must not make the next
        // start rebuild.
        let mut first = vec![json!({"id": "a:cleared", "title": "Lighthouse",
            "rights": {"grants": [{"territory": "FR"}]}})];
        // Enough of them that the segment is not merged away for its deletes.
        first.extend((0..20).map(|i| {
            json!({"id": format!("a:other-{i}"), "title": "Harbour",
            "rights": {"grants": [{"territory": "DE"}]}})
        }));
        let replaced = json!([{"id": "a:cleared", "title": "Lighthouse",
            "rights": {"grants": [{"territory": "DE"}]}}]);
        for body in [json!(first), replaced] {
            ingest_without_index(&store, &serde_json::to_vec(&body).unwrap());
        }
        assert_eq!(index.generation(), Some(store.generation()));
    }
    let store = Store::open(dir.path()).unwrap();
    let index = SearchIndex::open(&index_dir, &store).unwrap();
    assert_eq!(index.documents_written(), 0, "current: not rebuilt");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let answer = search_in_territory(&index, "lighthouse", "DE", now);
    assert_eq!(answer.total, 1, "the rights of a current index are loaded on open");
}

#[test]
fn an_index_rebuilt_from_the_store_applies_rights_records_to_the_titles_they_target() {
    let (dir, store) = open_store();
    // A title and the Rights In and (exclusive) Rights Out that target it,
    // each record in its own graph, written while no index follows.
    let text = std::fs::read_to_string(fixture("sources/rightsline-entities.json")).unwrap();
    ingest_from_without_index(&store, Source::Rightsline, text.as_bytes());
    let index = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    assert!(index.documents_written() > 0, "rebuilt");
    let at = time::macros::datetime!(2026-07-01 0:00 UTC).unix_timestamp();
    let found = |territory: &str| -> Vec<String> {
        let answer = search_in_territory(&index, "northern lights", territory, at);
        answer.hits.into_iter().map(|hit| hit.id).collect()
    };
    // The Rights In covers Europe; nothing outside it.
    assert_eq!(found("AT"), ["rightsline:catalog-item:26"]);
    assert!(found("US").is_empty());
}

#[test]
fn a_restart_loads_the_saved_rights_and_catches_up_with_what_changed_after_the_save() {
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("index");
    let saved = index_dir.join("rights.saved");
    let rightsline = std::fs::read_to_string(fixture("sources/rightsline-entities.json")).unwrap();
    let lighthouse = |id: &str, territory: &str| json!({"id": id, "title": "Lighthouse", "rights": {"grants": [{"territory": territory}]}});
    // The first run: saved when it ends.
    {
        let store = Store::open(dir.path()).unwrap();
        let _index = follow_in(&index_dir, &store);
        let body = json!([lighthouse("a:one", "FR"), lighthouse("a:two", "DE")]);
        ingest_without_index(&store, &serde_json::to_vec(&body).unwrap());
        ingest_from_without_index(&store, Source::Rightsline, rightsline.as_bytes());
    }
    let first_save = std::fs::read(&saved).expect("the rights table is saved when the index goes");
    // The second run changes rights, then ends without a save (it died):
    // its index is current, the saved table is the first run's.
    {
        let store = Store::open(dir.path()).unwrap();
        let index = follow_in(&index_dir, &store);
        assert!(index.rights_loaded().is_some());
        let body = json!([lighthouse("a:one", "DE"), lighthouse("a:three", "DE")]);
        ingest_without_index(&store, &serde_json::to_vec(&body).unwrap());
        assets::delete(&store, "a:two", "tester", "default").unwrap();
        // The Rights In that cleared the title in Europe goes.
        let rights_in = assetgraph::records::graphs(&store).unwrap();
        let rights_in = rights_in.iter().find(|g| g.as_str().ends_with(":2199")).unwrap();
        let id = rights_in
            .as_str()
            .trim_start_matches("urn:assetgraph:asset:")
            .to_owned();
        assets::delete(&store, &id, "tester", "default").unwrap();
    }
    std::fs::write(&saved, &first_save).unwrap();

    let at = time::macros::datetime!(2026-07-01 0:00 UTC).unix_timestamp();
    let found = |index: &SearchIndex, q: &str, territory: &str| -> Vec<String> {
        let answer = search_in_territory(index, q, territory, at);
        let mut ids: Vec<String> = answer.hits.into_iter().map(|hit| hit.id).collect();
        ids.sort();
        ids
    };
    let store = Store::open(dir.path()).unwrap();
    let index = SearchIndex::open(&index_dir, &store).unwrap();
    let (saved_at, replayed) = index.rights_loaded().expect("the saved table is loaded");
    assert!(saved_at < store.generation());
    assert_eq!(
        replayed, 4,
        "a:one, a:two, a:three and the Rights In are compiled again"
    );
    assert_eq!(index.documents_written(), 0, "current: not rebuilt");
    assert_eq!(found(&index, "lighthouse", "DE"), ["a:one", "a:three"]);
    assert!(found(&index, "lighthouse", "FR").is_empty());
    assert!(
        found(&index, "northern lights", "AT").is_empty(),
        "the title lost the Rights In it had in the save"
    );
    drop(index);

    // The same answers from rights compiled afresh, without a saved table.
    std::fs::remove_file(&saved).unwrap();
    let compiled = SearchIndex::open(&index_dir, &store).unwrap();
    assert!(compiled.rights_loaded().is_none());
    assert_eq!(found(&compiled, "lighthouse", "DE"), ["a:one", "a:three"]);
    assert!(found(&compiled, "northern lights", "AT").is_empty());
    drop(compiled);
    assert!(saved.exists(), "compiled afresh, the table is saved again");

    // A table saved for a later generation than the store's (another
    // store's) is not used.
    let mut later = Vec::new();
    {
        let other = tempfile::tempdir().unwrap();
        let other_store = Store::open(other.path()).unwrap();
        let other_index = follow_in(&other.path().join("index"), &other_store);
        for i in 0..store.generation() + 3 {
            let body = json!([lighthouse(&format!("b:{i}"), "US")]);
            ingest_without_index(&other_store, &serde_json::to_vec(&body).unwrap());
        }
        drop(other_index);
        drop(other_store);
        later.extend(std::fs::read(other.path().join("index/rights.saved")).unwrap());
    }
    std::fs::write(&saved, later).unwrap();
    let index = SearchIndex::open(&index_dir, &store).unwrap();
    assert!(index.rights_loaded().is_none(), "saved past the store's generation");
    assert_eq!(found(&index, "lighthouse", "DE"), ["a:one", "a:three"]);
}

/// An index opened in `index_dir` and following the store's commits.
fn follow_in(index_dir: &std::path::Path, store: &Store) -> std::sync::Arc<SearchIndex> {
    let index = std::sync::Arc::new(SearchIndex::open(index_dir, store).unwrap());
    store.subscribe(index.clone());
    index
}

/// Searches in-process for what is cleared in a territory at a moment.
fn search_in_territory(index: &SearchIndex, q: &str, territory: &str, at: i64) -> assetgraph::index::SearchAnswer {
    use assetgraph::rights::{Context, Dimension, Key};
    let territory = Key::resolve(Dimension::Territory, territory, Territories::global());
    let request = SearchRequest {
        q: q.into(),
        limit: 10,
        context: Some(Context::at(at).with(Dimension::Territory, territory)),
        ..Default::default()
    };
    index.search(&request).unwrap()
}

/// Ingests through the write path; only an index subscribed to the store follows.
fn ingest_without_index(store: &Store, body: &[u8]) {
    ingest_from_without_index(store, Source::AssetGraph, body);
}

fn ingest_from_without_index(store: &Store, source: Source, body: &[u8]) {
    let rightsline = RightslineMapping::default();
    let mapping = Mapping {
        territories: Territories::global(),
        rightsline: &rightsline,
        record_type: None,
    };
    let records = ingest::map_batch(source, body, &mapping).unwrap();
    let how = assets::Ingest {
        source,
        actor: "tester",
        tenant: "default",
        on_error: assets::OnError::Reject,
    };
    assets::upsert(store, records, &how).unwrap();
}

/// A small taxonomy in PoolParty's shape (no inScheme, narrower only as
/// broader), in English and German.
const TAXONOMY: &str = r#"
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix t: <https://example.com/taxonomy/> .
t:scheme a skos:ConceptScheme ; skos:hasTopConcept t:packaging, t:reuse .
t:packaging a skos:Concept ; skos:prefLabel "Packaging"@en, "Verpackung"@de .
t:sustainable-packaging a skos:Concept ; skos:broader t:packaging ;
  skos:prefLabel "Sustainable packaging"@en, "Nachhaltige Verpackung"@de ;
  skos:altLabel "eco-friendly packaging"@en ; skos:related t:reuse .
t:recyclable a skos:Concept ; skos:broader t:sustainable-packaging ;
  skos:prefLabel "Recyclable"@en, "Recycelbar"@de ; skos:altLabel "wiederverwertbar"@de .
t:reuse a skos:Concept ; skos:prefLabel "Reuse"@en, "Wiederverwendung"@de .
"#;

const T: &str = "https://example.com/taxonomy/";

async fn tagged_server() -> (TestServer, Client) {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let status = client
        .put(format!("{base}/api/taxonomies/packaging"))
        .header("content-type", "text/turtle")
        .body(TAXONOMY)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::CREATED);
    let body = json!([
        {"id": "a:cup", "title": "Paper cup", "language": "en", "concepts": [format!("{T}recyclable")]},
        {"id": "a:box", "title": "Cardboard box", "language": "en", "concepts": [format!("{T}sustainable-packaging")]},
        {"id": "a:jar", "title": "Glass jar", "language": "en", "concepts": [format!("{T}reuse")]},
        {"id": "a:pen", "title": "Fountain pen", "language": "en"}
    ]);
    assert_eq!(ingest(&client, base, body).await, StatusCode::CREATED);
    (server, client)
}

fn matched(answer: &Value, id: &str) -> Vec<String> {
    let hit = answer["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .unwrap();
    hit["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_german_synonym_finds_an_english_tagged_asset() {
    let (server, client) = tagged_server().await;
    let (status, answer) = search(&client, &server.base, "q=wiederverwertbar&lang=de").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["a:cup"]);
    assert_eq!(matched(&answer, "a:cup"), ["altLabel 'wiederverwertbar' of Recycelbar"]);
    // the chip: the concept the query resolved to, labelled in the asked language
    assert_eq!(answer["concepts"][0]["iri"], format!("{T}recyclable"));
    assert_eq!(answer["concepts"][0]["label"], "Recycelbar");
    assert_eq!(answer["concepts"][0]["kind"], "altLabel");
}

#[tokio::test]
async fn narrower_concepts_match_and_related_ones_rank_below_exact() {
    let (server, client) = tagged_server().await;
    let (_, answer) = search(&client, &server.base, "q=Eco-Friendly%20Packaging").await;
    assert_eq!(ids(&answer), ["a:box", "a:cup", "a:jar"], "{answer}");
    assert_eq!(
        matched(&answer, "a:box"),
        ["altLabel 'eco-friendly packaging' of Sustainable packaging"]
    );
    assert_eq!(
        matched(&answer, "a:cup"),
        ["Recyclable, narrower of Sustainable packaging"]
    );
    assert_eq!(matched(&answer, "a:jar"), ["Reuse, related to Sustainable packaging"]);
    // facets count every match
    assert_eq!(answer["facets"]["source"], json!([{"value": "assetgraph", "count": 3}]));
    let mut concepts: Vec<(String, u64)> = answer["facets"]["concept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["label"].as_str().unwrap().to_owned(), b["count"].as_u64().unwrap()))
        .collect();
    concepts.sort();
    assert_eq!(
        concepts,
        [
            ("Recyclable".into(), 1),
            ("Reuse".into(), 1),
            ("Sustainable packaging".into(), 1)
        ]
    );
    // per scheme, rolled up the hierarchy
    let rolled = |answer: &Value| -> Vec<(String, u64)> {
        let schemes = answer["facets"]["schemes"].as_array().unwrap();
        assert_eq!(schemes.len(), 1, "{answer}");
        assert_eq!(schemes[0]["scheme"], format!("{T}scheme"));
        schemes[0]["concepts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["label"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(
        rolled(&answer),
        [
            ("Packaging".into(), 2),
            ("Sustainable packaging".into(), 2),
            ("Recyclable".into(), 1),
            ("Reuse".into(), 1)
        ]
    );

    // facet_limit keeps the buckets with the most assets
    let (status, answer) = search(&client, &server.base, "q=sustainable%20packaging&facet_limit=2").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        rolled(&answer),
        [("Packaging".into(), 2), ("Sustainable packaging".into(), 2)]
    );
    assert_eq!(answer["facets"]["concept"].as_array().unwrap().len(), 2);
    for bad in ["facet_limit=0", "facet_limit=many"] {
        let query = format!("q=sustainable%20packaging&{bad}");
        let (status, problem) = search(&client, &server.base, &query).await;
        assert_refused(status, &problem, (400, "invalid-request", Some("facet_limit")));
    }

    // expansion is a parameter: no narrower, no related
    let (_, answer) = search(
        &client,
        &server.base,
        "q=sustainable%20packaging&narrower_depth=0&related_weight=0",
    )
    .await;
    assert_eq!(ids(&answer), ["a:box"]);

    // two levels down from "Packaging", and a concept filter
    let (_, answer) = search(&client, &server.base, &format!("q=cup&concept={T}packaging")).await;
    assert_eq!(ids(&answer), ["a:cup"]);
    let (status, answer) = search(&client, &server.base, "q=cup&concept=https://example.com/nothing").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["field"], "concept");

    // an asset with two tags under one concept counts once for it
    let body = json!([{"id": "a:twin", "title": "Twin tags",
        "concepts": [format!("{T}recyclable"), format!("{T}sustainable-packaging")]}]);
    assert_eq!(ingest(&client, &server.base, body).await, StatusCode::CREATED);
    let (_, answer) = search(&client, &server.base, "q=twin").await;
    assert_eq!(
        rolled(&answer),
        [
            ("Packaging".into(), 1),
            ("Recyclable".into(), 1),
            ("Sustainable packaging".into(), 1)
        ]
    );
    let concepts = &answer["facets"]["schemes"][0]["concepts"];
    assert_eq!(concepts[0]["broader"], json!([]));
    assert_eq!(concepts[1]["broader"], json!([format!("{T}sustainable-packaging")]));
    // assets with one tag and with two, under the same concepts: each once
    let (_, answer) = search(&client, &server.base, "q=sustainable%20packaging&related_weight=0").await;
    assert_eq!(ids(&answer).len(), 3, "{answer}");
    assert_eq!(
        rolled(&answer),
        [
            ("Packaging".into(), 3),
            ("Sustainable packaging".into(), 3),
            ("Recyclable".into(), 2)
        ]
    );
}

#[tokio::test]
async fn a_new_alt_label_matches_at_once_without_reindexing_assets() {
    let (server, client) = tagged_server().await;
    assert!(ids(&search(&client, &server.base, "q=kraft").await.1).is_empty());
    let written = server.index.documents_written();
    let status = client
        .post(format!("{}/api/taxonomies/packaging", server.base))
        .header("content-type", "text/turtle")
        .body(format!(
            r#"<{T}recyclable> <http://www.w3.org/2004/02/skos/core#altLabel> "kraft"@en ."#
        ))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    let (_, answer) = search(&client, &server.base, "q=kraft").await;
    assert_eq!(ids(&answer), ["a:cup"]);
    assert_eq!(matched(&answer, "a:cup"), ["altLabel 'kraft' of Recyclable"]);
    assert_eq!(server.index.documents_written(), written, "no asset document rewritten");
}

#[tokio::test]
async fn segments_collected_on_several_threads_give_the_same_answer() {
    let (server, client) = tagged_server().await;
    let tags = ["recyclable", "reuse", "sustainable-packaging"];
    // One commit each: several segments.
    for batch in 0..4 {
        let body: Vec<Value> = (0..25)
            .map(|i| {
                let territory = ["DE", "FR", "US"][(i + batch) % 3];
                json!({"id": format!("b:{batch}-{i}"), "title": format!("Paper box {i}"), "language": "en",
                    "concepts": [format!("{T}{}", tags[i % 3])],
                    "rights": {"grants": [{"territory": territory, "channel": "print"}]}})
            })
            .collect();
        assert_eq!(ingest(&client, &server.base, json!(body)).await, StatusCode::CREATED);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let context = assetgraph::rights::Context::at(now)
        .with_value(Dimension::Territory, "DE", Territories::global())
        .with_value(Dimension::Channel, "print", Territories::global());
    let request = SearchRequest {
        q: "packaging".into(),
        lang: Some("en".into()),
        limit: 50,
        context: Some(context),
        ..Default::default()
    };
    let one = server.index.search(&request).unwrap();
    server.index.collect_in_parallel_from(0);
    let several = server.index.search(&request).unwrap();
    assert!(one.total > 20 && one.total < 100, "cleared ones only: {}", one.total);
    assert_eq!(several.total, one.total);
    let hits = |answer: &SearchAnswer| serde_json::to_value(&answer.hits).unwrap();
    let facets = |answer: &SearchAnswer| serde_json::to_value(&answer.facets).unwrap();
    assert_eq!(hits(&several), hits(&one));
    assert_eq!(facets(&several), facets(&one));
}

#[tokio::test]
async fn only_assets_cleared_for_the_context_are_found() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let today = time::OffsetDateTime::now_utc().date();
    let body = json!([
        {"id": "a:two-grants", "title": "Harbour at dawn", "rights": {"grants": [
            {"territory": "DE", "channel": "print"}, {"territory": "FR", "channel": "social"}]}},
        {"id": "a:ended", "title": "Harbour at night", "rights": {"grants": [
            {"territory": "europe_any", "from": "2020-01-01", "until": today.to_string()}]}},
        {"id": "a:no-rights", "title": "Harbour cranes"}
    ]);
    assert_eq!(ingest(&client, base, body).await, StatusCode::CREATED);
    let found = |query: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let (status, answer) = search(&client, &base, query).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            let mut ids = ids(&answer);
            ids.sort();
            ids
        }
    };
    // without a context every asset is found
    assert_eq!(found("q=harbour").await, ["a:ended", "a:no-rights", "a:two-grants"]);
    // grants are evaluated one at a time: DE/print and FR/social do not clear DE/social
    assert_eq!(found("q=harbour&territory=DE&channel=print").await, ["a:two-grants"]);
    // every hit carries its licence summary
    let (_, answer) = search(&client, base, "q=dawn").await;
    assert_eq!(answer["hits"][0]["licence"]["grants"], 2, "{answer}");
    assert_eq!(answer["hits"][0]["licence"]["cancelled"], false, "{answer}");
    let (_, answer) = search(&client, base, "q=harbour&territory=DE&channel=print").await;
    assert_eq!(
        answer["facets"]["source"],
        json!([{"value": "assetgraph", "count": 1}]),
        "facets count cleared assets only"
    );
    assert!(found("q=harbour&territory=DE&channel=social").await.is_empty());
    assert_eq!(found("q=harbour&territory=FR&channel=social").await, ["a:two-grants"]);
    // the term ended at midnight: found yesterday, not today, with no reindex
    let written = server.index.documents_written();
    let yesterday = (today - time::Duration::days(1)).to_string();
    let (_, answer) = search(&client, base, &format!("q=night&territory=AT&at={yesterday}")).await;
    assert_eq!(ids(&answer), ["a:ended"]);
    assert!(found("q=night&territory=AT").await.is_empty());
    assert_eq!(server.index.documents_written(), written);

    // include_blocked finds them all and says why
    let (_, answer) = search(
        &client,
        base,
        "q=harbour&territory=DE&channel=social&include_blocked=true",
    )
    .await;
    assert_eq!(answer["total"], 3);
    for hit in answer["hits"].as_array().unwrap() {
        assert_eq!(hit["clearance"]["cleared"], false, "{hit}");
        assert!(!hit["clearance"]["reasons"].as_array().unwrap().is_empty(), "{hit}");
    }
    // malformed context values are refused
    for (query, field) in [
        ("q=harbour&territory=Atlantis", "territory"),
        ("q=harbour&at=soon", "at"),
        ("q=harbour&include_blocked=yes", "include_blocked"),
    ] {
        let (status, problem) = search(&client, base, query).await;
        assert_refused(status, &problem, (400, "invalid-request", Some(field)));
    }
}

#[tokio::test]
async fn suggestions_complete_labels_and_titles_with_one_typo() {
    let (server, client) = tagged_server().await;
    let suggest = |query: &'static str| {
        let client = client.clone();
        let base = server.base.clone();
        async move {
            let response = client.get(format!("{base}/api/suggest?{query}")).send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let labels = |answer: &Value| -> Vec<String> {
        answer["concepts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{} ({})", s["label"].as_str().unwrap(), s["matched"].as_str().unwrap()))
            .collect()
    };
    // prefix, prefLabel before altLabel, then a later word ("infix")
    let (status, answer) = suggest("q=sus").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(labels(&answer), ["Sustainable packaging (prefix)"]);
    // one entry per concept, its prefLabel shown; the altLabel it matched by
    let (_, answer) = suggest("q=pack&lang=en").await;
    assert_eq!(labels(&answer), ["Packaging (prefix)", "Sustainable packaging (infix)"]);
    let (_, answer) = suggest("q=eco&lang=en").await;
    assert_eq!(labels(&answer), ["Sustainable packaging (prefix)"]);
    assert_eq!(answer["concepts"][0]["matched_label"], "eco-friendly packaging");
    // the asked language's prefLabel, other languages merged
    let (_, answer) = suggest("q=wieder&lang=de").await;
    assert_eq!(labels(&answer), ["Wiederverwendung (prefix)", "Recycelbar (prefix)"]);
    assert_eq!(answer["concepts"][1]["matched_label"], "wiederverwertbar");
    let (_, answer) = suggest("q=recyc&lang=de").await;
    assert_eq!(
        labels(&answer),
        ["Recycelbar (prefix)"],
        "Recyclable@en is the same concept"
    );
    // one typo, after what matched as typed
    let (_, answer) = suggest("q=recyk&lang=en").await;
    assert_eq!(labels(&answer), ["Recyclable (fuzzy)"]);
    // asset titles, the last word a prefix
    let (_, answer) = suggest("q=cardboard%20bo").await;
    assert_eq!(answer["assets"], json!([{"id": "a:box", "title": "Cardboard box"}]));
    for (query, field) in [
        ("q=", "q"),
        ("q=pack&limit=0", "limit"),
        ("q=pack&colour=red", "colour"),
    ] {
        let (status, problem) = suggest(query).await;
        assert_refused(status, &problem, (400, "invalid-request", Some(field)));
    }
}

#[tokio::test]
async fn tagging_finds_the_concepts_a_text_mentions() {
    let (server, client) = tagged_server().await;
    let tag = |body: Value| {
        let client = client.clone();
        let url = format!("{}/api/tag", server.base);
        async move {
            let response = client.post(url).json(&body).send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let text = "Our new eco-friendly packaging is recyclable: recyclable cups, weniger Verpackung.";
    let (status, answer) = tag(json!({"text": text, "language": "en"})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let concepts = answer["concepts"].as_array().unwrap();
    let summary: Vec<(String, f64, u64)> = concepts
        .iter()
        .map(|c| {
            (
                c["label"].as_str().unwrap().to_owned(),
                c["score"].as_f64().unwrap(),
                c["frequency"].as_u64().unwrap(),
            )
        })
        .collect();
    // recyclable twice (prefLabel in the text's language: 2 × 1.1), the
    // altLabel of three words once (0.9 × 1.1 × 1.5 for its length),
    // Verpackung once (prefLabel, German); "packaging" inside the longer
    // label is not counted again
    assert_eq!(
        summary,
        [
            ("Recyclable".to_owned(), 1.0, 2),
            ("Sustainable packaging".to_owned(), 0.675, 1),
            ("Packaging".to_owned(), 0.455, 1)
        ]
    );
    assert_eq!(concepts[1]["matched"], json!(["eco-friendly packaging"]));
    assert_eq!(concepts[1]["positions"], json!([[8, 30]]));
    assert_eq!(&text[8..30], "eco-friendly packaging");
    assert_eq!(concepts[0]["positions"], json!([[34, 44], [46, 56]]));

    let (_, answer) = tag(json!({"text": text, "limit": 1})).await;
    assert_eq!(answer["concepts"].as_array().unwrap().len(), 1);
    let (_, answer) = tag(json!({"text": text, "language": "en", "threshold": 0.6})).await;
    assert_eq!(answer["concepts"].as_array().unwrap().len(), 2, "{answer}");
    for (body, field) in [
        (json!({"text": " "}), "text"),
        (
            json!({"text": text, "scheme": "https://example.com/no-scheme"}),
            "scheme",
        ),
        (json!({"text": text, "limit": 0}), "limit"),
        (json!({"text": text, "threshold": 1.5}), "threshold"),
        (json!({"text": text, "lang": "en"}), "body"),
        (json!({"words": text}), "body"),
    ] {
        let (status, answer) = tag(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["field"], field, "{answer}");
    }
}

#[tokio::test]
async fn a_brief_recommends_cleared_assets_with_the_concepts_that_linked_them() {
    let (server, client) = tagged_server().await;
    let base = &server.base;
    // the same assets, now with rights
    let body = json!([
        {"id": "a:cup", "title": "Paper cup", "concepts": [format!("{T}recyclable")],
         "rights": {"grants": [{"territory": "DE", "channel": "web"}]}},
        {"id": "a:box", "title": "Cardboard box", "concepts": [format!("{T}sustainable-packaging")],
         "rights": {"grants": [{"territory": "FR"}]}},
        {"id": "a:jar", "title": "Glass jar", "concepts": [format!("{T}reuse")],
         "rights": {"grants": [{"territory": "europe_any"}]}}
    ]);
    assert_eq!(ingest(&client, base, body).await, StatusCode::OK);
    let brief =
        r#"Spring campaign: "show our recyclable cups & eco-friendly packaging" to German web shoppers (+ more?)"#;
    let recommend = |body: Value| {
        let client = client.clone();
        let url = format!("{base}/api/recommend");
        async move {
            let response = client.post(url).json(&body).send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, answer) =
        recommend(json!({"brief": brief, "language": "en", "territory": "DE", "channel": "web"})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let found = ids(&answer);
    assert_eq!(found.first().map(String::as_str), Some("a:cup"), "{answer}");
    assert!(found.contains(&"a:jar".to_owned()), "{answer}");
    assert!(
        !found.contains(&"a:box".to_owned()),
        "cleared for France only: {answer}"
    );
    assert_eq!(matched(&answer, "a:cup"), ["prefLabel 'Recyclable'"]);
    assert_eq!(matched(&answer, "a:jar"), ["Reuse, related to Sustainable packaging"]);
    let concepts: Vec<&str> = answer["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(concepts, ["Recyclable", "Sustainable packaging"]);
    for (body, field) in [
        (json!({"brief": ""}), "brief"),
        (json!({"brief": brief, "territory": "Atlantis"}), "territory"),
        (json!({"brief": brief, "colour": "red"}), "body"),
    ] {
        let (status, answer) = recommend(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["field"], field, "{answer}");
    }
}

#[tokio::test]
async fn automatic_tags_follow_the_text_and_only_affected_assets_are_rewritten() {
    let (server, client) = tagged_server().await;
    let base = &server.base;
    let body = json!([
        {"id": "a:bottle", "title": "A bottle made for reuse", "language": "en"},
        {"id": "a:station", "title": "Refill station in the shop", "language": "en"}
    ]);
    assert_eq!(ingest(&client, base, body).await, StatusCode::CREATED);
    // "reuse" in the title tags the bottle with Reuse: the German prefLabel finds it
    let (_, answer) = search(&client, base, "q=Wiederverwendung&lang=de&related_weight=0").await;
    assert_eq!(ids(&answer), ["a:jar", "a:bottle"], "{answer}");
    assert_eq!(
        matched(&answer, "a:bottle"),
        ["prefLabel 'Wiederverwendung' (automatic tag)"]
    );
    // a new altLabel "refill" tags the station, and rewrites it alone
    let written = server.index.documents_written();
    let status = client
        .post(format!("{base}/api/taxonomies/packaging"))
        .header("content-type", "text/turtle")
        .body(format!(
            r#"<{T}reuse> <http://www.w3.org/2004/02/skos/core#altLabel> "refill"@en ."#
        ))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        server.index.documents_written(),
        written + 1,
        "only the station is rewritten"
    );
    let (_, answer) = search(&client, base, "q=Wiederverwendung&lang=de&related_weight=0").await;
    let mut found = ids(&answer);
    found.sort();
    assert_eq!(found, ["a:bottle", "a:jar", "a:station"], "{answer}");
}

#[tokio::test]
async fn equal_scores_keep_their_order_when_documents_are_rewritten() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let record = |n: usize, concepts: Vec<String>| json!({"id": format!("a:same-{n}"), "title": "Same old harbour", "concepts": concepts});
    for batch in [0, 3] {
        let body = Value::Array((batch..batch + 3).map(|n| record(n, vec![])).collect());
        assert_eq!(ingest(&client, base, body).await, StatusCode::CREATED);
    }
    let before = ids(&search(&client, base, "q=harbour").await.1);
    assert_eq!(before.len(), 6);
    // rewriting documents (a tag added: the text and its score are unchanged)
    // moves them to a new segment; their place among equals must not change
    let body = json!([
        record(0, vec!["https://example.com/t/x".into()]),
        record(4, vec!["https://example.com/t/y".into()])
    ]);
    assert_eq!(ingest(&client, base, body).await, StatusCode::OK);
    assert_eq!(ids(&search(&client, base, "q=harbour").await.1), before);
    // and pages follow the same order
    let mut paged = Vec::new();
    for offset in [0, 2, 4] {
        paged.extend(ids(&search(
            &client,
            base,
            &format!("q=harbour&limit=2&offset={offset}"),
        )
        .await
        .1));
    }
    assert_eq!(paged, before);
}

#[tokio::test]
async fn hits_sort_by_date_or_title_with_undated_and_untitled_last() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let body = json!([
        {"id": "s:b", "title": "Harbour at dusk", "created": "2024-05-01", "modified": "2026-01-10"},
        {"id": "s:c", "title": "éclairs by the harbour", "created": "2025-02-01T09:30:00Z", "modified": "2025-02-01"},
        {"id": "s:a", "title": "Zebra crossing near the harbour", "created": "2023-01-15", "modified": "2023-02-01"},
        {"id": "s:d", "title": "Aerial harbour view"}
    ]);
    assert_eq!(ingest(&client, base, body).await, StatusCode::CREATED);
    for (sort, expected) in [
        ("newest", ["s:c", "s:b", "s:a", "s:d"]),
        ("oldest", ["s:a", "s:b", "s:c", "s:d"]),
        ("updated", ["s:b", "s:c", "s:a", "s:d"]),
        // folded: "éclairs" sorts as "eclairs"
        ("title", ["s:d", "s:c", "s:b", "s:a"]),
    ] {
        let (status, answer) = search(&client, base, &format!("q=harbour&sort={sort}")).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(ids(&answer), expected, "sort={sort}");
        assert!(
            answer["hits"][0]["score"].as_f64().unwrap() > 0.0,
            "hits keep their score"
        );
        // pages follow the same order
        let mut paged = Vec::new();
        for offset in [0, 2] {
            let query = format!("q=harbour&sort={sort}&limit=2&offset={offset}");
            paged.extend(ids(&search(&client, base, &query).await.1));
        }
        assert_eq!(paged, expected, "sort={sort}, paged");
    }
    let (status, answer) = search(&client, base, "q=harbour&sort=popularity").await;
    assert_refused(status, &answer, (400, "invalid-request", Some("sort")));
    assert!(answer["detail"].as_str().unwrap().contains("newest"), "{answer}");
    // a malformed date is refused with the record and field
    let body = json!([{"id": "s:e", "title": "Harbour", "created": "last May"}]);
    assert_eq!(ingest(&client, base, body).await, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn labels_match_stemmed_in_the_texts_language_and_without_their_qualifier() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let taxonomy = r#"
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix t: <https://example.com/t/> .
        t:cup a skos:Concept ; skos:prefLabel "Reusable cup"@en .
        t:casting a skos:Concept ; skos:prefLabel "casting (creation from materials)"@en .
        t:finlandisms a skos:Concept ; skos:prefLabel "Finlandisms"@en .
    "#;
    let url = format!("{base}/api/taxonomies/t");
    let response = client
        .put(url)
        .header("content-type", "text/turtle")
        .body(taxonomy)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let tags = |body: Value| {
        let (client, url) = (client.clone(), format!("{base}/api/tag"));
        async move {
            let answer: Value = client.post(url).json(&body).send().await.unwrap().json().await.unwrap();
            let concepts = answer["concepts"].as_array().unwrap().clone();
            concepts
                .iter()
                .map(|c| c["iri"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let text = "Reusable cups, bronze castings and the history of Finland";
    let mut found = tags(json!({"text": text, "language": "en"})).await;
    found.sort();
    // "Finland" is not "Finlandisms", though an English stemmer makes both "finland"
    assert_eq!(found, ["https://example.com/t/casting", "https://example.com/t/cup"]);
    // without a language nothing is stemmed; the qualifier-free form still matches
    let found = tags(json!({"text": "Reusable cups and a casting"})).await;
    assert_eq!(found, ["https://example.com/t/casting"]);

    // search resolves stemmed queries in the asked language too
    let (status, answer) = search(&client, base, "q=reusable%20cups&lang=en").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["concepts"][0]["iri"], "https://example.com/t/cup");
    // a query without a language is read as English, loosely
    let (_, answer) = search(&client, base, "q=reusable%20cups").await;
    assert_eq!(answer["concepts"][0]["iri"], "https://example.com/t/cup", "{answer}");
    let (_, answer) = search(&client, base, "q=finland").await;
    assert_eq!(answer["concepts"], json!([]), "{answer}");
}

#[tokio::test]
async fn a_rights_record_that_changes_changes_what_its_titles_are_found_for() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let text = std::fs::read_to_string(fixture("sources/rightsline-entities.json")).unwrap();
    let post = |body: String| {
        let client = client.clone();
        let url = format!("{base}/api/ingest/rightsline");
        async move { client.post(url).body(body).send().await.unwrap().status() }
    };
    assert_eq!(post(text.clone()).await, StatusCode::CREATED);
    // the title's Rights In covers Europe 2024–2027; an exclusive Rights Out
    // holds DE/Internet/English back from June to December 2026
    let query = "q=northern%20lights&territory=DE&channel=web&language=en&at=2026-07-01";
    let (status, answer) = search(&client, base, query).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(ids(&answer).is_empty(), "held back: {answer}");
    let (_, answer) = search(&client, base, "q=northern%20lights&territory=AT&at=2026-07-01").await;
    assert_eq!(ids(&answer), ["rightsline:catalog-item:26"]);

    // the Rights Out becomes non-exclusive: only that record changes, and
    // the title is found at once
    let mut entities: Value = serde_json::from_str(&text).unwrap();
    entities[2]["characteristics"]["exclusivity"] = "Non-Exclusive".into();
    entities[2]["lastUpdatedDate"] = "2030-07-01T00:00:00Z".into();
    assert_eq!(post(entities[2].to_string()).await, StatusCode::OK);
    let (_, answer) = search(&client, base, query).await;
    assert_eq!(ids(&answer), ["rightsline:catalog-item:26"]);

    // the Rights In is deleted: nothing grants the title any more
    let response = client
        .delete(format!("{base}/api/assets/rightsline:right:2199"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, answer) = search(&client, base, "q=northern%20lights&territory=AT&at=2026-07-01").await;
    assert!(ids(&answer).is_empty(), "{answer}");
}

#[test]
fn a_view_read_again_only_for_the_graphs_a_commit_changed_equals_one_read_whole() {
    view_followed_equals_view_read_whole(0);
}

/// The same with a taxonomy large enough for the store to keep it in
/// memory between writes: the index reads the pushed graph from there.
#[test]
fn a_view_read_again_from_a_kept_graph_equals_one_read_whole() {
    view_followed_equals_view_read_whole(2_100);
}

/// Pushes a taxonomy with `filler` more concepts (five statements each,
/// under a top concept of their own), then a changed version; the view
/// the index followed must equal one read whole from the store.
fn view_followed_equals_view_read_whole(filler: usize) {
    let (dir, store) = open_store();
    let index = std::sync::Arc::new(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    store.subscribe(index.clone());
    let push = |project: &str, turtle: &str| {
        let path = dir.path().join(format!("{project}.ttl"));
        std::fs::write(&path, turtle).unwrap();
        push_file(&store, project, &path, assetgraph::taxonomy::PushMode::Replace);
    };
    let fillers: String = (0..filler)
        .map(|i| {
            format!(
                "t:fill{i} a skos:Concept ; skos:prefLabel \"Filler {i}\"@en ; skos:altLabel \"Füller {i}\"@de ; \
                 skos:broader t:fillers ; skos:inScheme t:scheme .\n"
            )
        })
        .collect();
    let taxonomy = format!("{TAXONOMY}\nt:fillers a skos:Concept ; skos:prefLabel \"Fillers\"@en .\n{fillers}");
    push("packaging", &taxonomy);
    push(
        "other",
        r#"@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
           <https://example.com/o/glass> a skos:Concept ; skos:prefLabel "Glass"@en ;
             skos:exactMatch <https://example.com/taxonomy/reuse> ."#,
    );
    // a new altLabel, Recyclable moved under Packaging, Reuse deprecated
    let changed = taxonomy
        .replace(
            "skos:altLabel \"wiederverwertbar\"@de",
            "skos:altLabel \"wiederverwertbar\"@de, \"recyclebar\"@nl",
        )
        .replace(
            "t:recyclable a skos:Concept ; skos:broader t:sustainable-packaging",
            "t:recyclable a skos:Concept ; skos:broader t:packaging",
        )
        .replace(
            "t:reuse a skos:Concept ;",
            "t:reuse a skos:Concept ; <http://www.w3.org/2002/07/owl#deprecated> true ;",
        );
    assert_ne!(changed, taxonomy);
    push("packaging", &changed);

    let followed = index.concepts();
    let whole = ConceptView::load(&store).unwrap();
    assert_eq!(followed.changed_labels(&whole), Vec::<String>::new());
    assert_eq!(followed.len(), whole.len());
    let narrower = |view: &ConceptView, iri: &str| -> Vec<String> {
        let mut iris: Vec<String> = view
            .with_narrower(view.id(iri).unwrap())
            .into_iter()
            .map(|id| view.iri(id).to_owned())
            .collect();
        iris.sort();
        iris
    };
    for iri in [format!("{T}packaging"), format!("{T}sustainable-packaging")] {
        assert_eq!(narrower(&followed, &iri), narrower(&whole, &iri), "{iri}");
    }
    assert_eq!(narrower(&followed, &format!("{T}packaging")).len(), 3);
    assert!(followed.id(&format!("{T}reuse")).is_none(), "deprecated");
    let mapped = |view: &ConceptView| {
        view.expand(&[view.id("https://example.com/o/glass").unwrap()], &Default::default())
            .len()
    };
    assert_eq!(mapped(&followed), mapped(&whole));
}

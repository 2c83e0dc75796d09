//! Two tenants on one service: a key limited to tenant A never sees or
//! changes tenant B's assets, in search, suggest, recommend and the asset
//! reads; a key that names no tenant keeps the single-tenant behaviour and
//! sees both.
//!
//! (The tenant matrix over every route is still to come; this covers the
//! paths scoped so far.)

mod common;

use assetgraph::auth::Role;
use assetgraph::config::{Config, KeyConfig};
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const TAXONOMY: &str = "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://b.example/themes> a skos:ConceptScheme ; skos:prefLabel \"Themes\"@en .
<http://b.example/cups> a skos:Concept ; skos:inScheme <http://b.example/themes> ; skos:prefLabel \"Cups\"@en .
";

fn key(name: &str, role: Role, tenants: &[&str]) -> KeyConfig {
    KeyConfig {
        name: name.into(),
        role,
        secret: Some(format!("{name}-secret").into()),
        secret_sha256: None,
        tenants: tenants.iter().map(|t| (*t).to_owned()).collect(),
        records_usage: true,
    }
}

fn config() -> Config {
    Config {
        keys: vec![
            key("a-editor", Role::Editor, &["a"]),
            key("a-reader", Role::Reader, &["a"]),
            key("a-analyst", Role::Analyst, &["a"]),
            key("b-editor", Role::Editor, &["b"]),
            key("everyone", Role::Editor, &[]),
        ],
        ..Config::default()
    }
}

async fn ingest(client: &Client, base: &str, key: &str, id: &str, title: &str) {
    let body = json!([{"id": id, "title": title, "description": "a paper cup on a table",
                       "rights": {"grants": [{"territory": "any"}]}}]);
    let response = client
        .post(format!("{base}/api/ingest/assetgraph"))
        .bearer_auth(format!("{key}-secret"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
}

async fn get(client: &Client, url: String, key: &str) -> (StatusCode, Value) {
    let response = client
        .get(url)
        .bearer_auth(format!("{key}-secret"))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

fn ids(answer: &Value, list: &str) -> Vec<String> {
    let mut ids: Vec<String> = answer[list]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|hit| hit["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_key_of_tenant_a_sees_and_changes_only_tenant_a() {
    let server = start_server(config()).await;
    let client = Client::new();
    let base = &server.base;
    ingest(&client, base, "a-editor", "brand:a-cup", "Paper cup of A").await;
    ingest(&client, base, "b-editor", "brand:b-cup", "Paper cup of B").await;

    // Search, suggest and recommend: only A's asset, filtered in the index
    // (the total counts A's alone).
    let (_, answer) = get(&client, format!("{base}/api/search?q=paper%20cup"), "a-reader").await;
    assert_eq!(ids(&answer, "hits"), ["brand:a-cup"]);
    assert_eq!(answer["total"], 1, "{answer}");
    let (_, answer) = get(&client, format!("{base}/api/suggest?q=paper"), "a-reader").await;
    assert_eq!(ids(&answer, "assets"), ["brand:a-cup"]);
    let (_, answer) = get(&client, format!("{base}/api/suggest?q=cup"), "a-reader").await;
    assert_eq!(ids(&answer, "assets"), ["brand:a-cup"], "by a later word of the title");
    let recommended: Value = client
        .post(format!("{base}/api/recommend"))
        .bearer_auth("a-reader-secret")
        .json(&json!({"brief": "paper cups on a table", "territory": "DE"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&recommended, "hits"), ["brand:a-cup"]);

    // The asset reads answer B's asset as not found, as for an id never used.
    for path in ["brand:b-cup", "brand:b-cup/clearance?territory=DE", "brand:nothing"] {
        let (status, problem) = get(&client, format!("{base}/api/assets/{path}"), "a-reader").await;
        assert_refused(status, &problem, (404, "not-found", None));
    }
    let (status, _) = get(&client, format!("{base}/api/assets/brand:a-cup"), "a-reader").await;
    assert_eq!(status, StatusCode::OK);

    // A's editor cannot delete B's asset; B's asset is still there.
    let generation = server.store.generation();
    let response = client
        .delete(format!("{base}/api/assets/brand:b-cup"))
        .bearer_auth("a-editor-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        server.store.generation(),
        generation,
        "a refused delete changed the store"
    );
    let (status, _) = get(&client, format!("{base}/api/assets/brand:b-cup"), "b-editor").await;
    assert_eq!(status, StatusCode::OK);

    // Nor overwrite it by ingesting its id, nor drop it with SPARQL Update:
    // writes go to the writer's tenant only, and a change touching another
    // tenant's graph is refused whole.
    let overwrite = json!([{"id": "brand:b-cup", "title": "Taken over by A"}]);
    let response = client
        .post(format!("{base}/api/ingest/assetgraph"))
        .bearer_auth("a-editor-secret")
        .body(overwrite.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_refused(status, &response.json().await.unwrap(), (403, "forbidden", None));
    // B's own graph (through SPARQL) and B's taxonomy: A can neither drop
    // nor replace them.
    let update = |key: &'static str, text: &'static str| {
        let request = client
            .post(format!("{base}/sparql"))
            .bearer_auth(format!("{key}-secret"))
            .header("content-type", "application/sparql-update")
            .body(text);
        async move { request.send().await.unwrap() }
    };
    let created = update(
        "b-editor",
        "INSERT DATA { GRAPH <http://b.example/notes> { <http://b.example/n1> <http://b.example/says> \"B's note\" } }",
    )
    .await;
    assert!(created.status().is_success(), "{}", created.text().await.unwrap());
    let pushed = client
        .put(format!("{base}/api/taxonomies/b-themes"))
        .bearer_auth("b-editor-secret")
        .header("content-type", "text/turtle")
        .body(TAXONOMY)
        .send()
        .await
        .unwrap();
    assert!(pushed.status().is_success(), "{}", pushed.text().await.unwrap());
    // A does not see B's taxonomy project listed or read; B does.
    let project_ids = |answer: &Value| -> Vec<String> {
        answer["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, listed) = get(&client, format!("{base}/api/taxonomies"), "a-reader").await;
    assert!(!project_ids(&listed).contains(&"b-themes".to_owned()), "{listed}");
    let (status, problem) = get(&client, format!("{base}/api/taxonomies/b-themes"), "a-reader").await;
    assert_refused(status, &problem, (404, "not-found", None));
    let (_, listed) = get(&client, format!("{base}/api/taxonomies"), "b-editor").await;
    assert_eq!(project_ids(&listed), ["b-themes"]);
    let concept = format!("{base}/api/concepts?iri=http://b.example/cups");
    let (status, problem) = get(&client, concept.clone(), "a-reader").await;
    assert_refused(status, &problem, (404, "not-found", None));
    let (status, detail) = get(&client, concept, "b-editor").await;
    assert_eq!((status, &detail["projects"]), (StatusCode::OK, &json!(["b-themes"])));
    let generation = server.store.generation();
    for text in [
        "DROP GRAPH <http://b.example/notes>",
        "DROP ALL",
        "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
    ] {
        let response = update("a-editor", text).await;
        let status = response.status();
        assert_refused(status, &response.json().await.unwrap(), (403, "forbidden", None));
    }
    let replaced = client
        .put(format!("{base}/api/taxonomies/b-themes"))
        .bearer_auth("a-editor-secret")
        .header("content-type", "text/turtle")
        .body(TAXONOMY.replace("Themes", "Taken over"))
        .send()
        .await
        .unwrap();
    let status = replaced.status();
    assert_refused(status, &replaced.json().await.unwrap(), (403, "forbidden", None));
    assert_eq!(
        server.store.generation(),
        generation,
        "a refused write changed the store"
    );
    let (_, asset) = get(&client, format!("{base}/api/assets/brand:b-cup"), "b-editor").await;
    assert_eq!(asset["title"]["en"], "Paper cup of B", "{asset}");

    // The audit trail: A's analyst reads its own asset's, not B's; the
    // whole trail shows A's changes only, and every change to anyone.
    let (status, _) = get(&client, format!("{base}/api/audit?asset=brand:a-cup"), "a-analyst").await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = get(&client, format!("{base}/api/audit?asset=brand:b-cup"), "a-analyst").await;
    assert_refused(status, &problem, (404, "not-found", None));
    let changed = |trail: &Value| -> Vec<String> {
        trail["entries"]
            .as_array()
            .unwrap_or_else(|| panic!("{trail}"))
            .iter()
            .filter_map(|e| e["graph"].as_str().map(str::to_owned))
            .collect()
    };
    let (_, trail) = get(&client, format!("{base}/api/audit"), "a-analyst").await;
    let graphs = changed(&trail);
    assert!(
        graphs.contains(&"urn:assetgraph:asset:brand:a-cup".to_owned()),
        "{trail}"
    );
    assert!(
        graphs.iter().all(|g| !g.contains("b-cup") && !g.contains("b.example")),
        "{trail}"
    );
    let (_, trail) = get(&client, format!("{base}/api/audit"), "everyone").await;
    assert!(
        changed(&trail).contains(&"urn:assetgraph:asset:brand:b-cup".to_owned()),
        "{trail}"
    );

    // A key that names no tenant sees both, as a single-tenant install does.
    let (_, answer) = get(&client, format!("{base}/api/search?q=paper%20cup"), "everyone").await;
    assert_eq!(ids(&answer, "hits"), ["brand:a-cup", "brand:b-cup"]);
    let (_, answer) = get(&client, format!("{base}/api/suggest?q=paper"), "everyone").await;
    assert_eq!(ids(&answer, "assets"), ["brand:a-cup", "brand:b-cup"]);
}

/// The bindings of one variable in a SPARQL JSON answer, sorted.
fn column(answer: &Value, variable: &str) -> Vec<String> {
    let mut values: Vec<String> = answer["results"]["bindings"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .filter_map(|b| b[variable]["value"].as_str().map(str::to_owned))
        .collect();
    values.sort();
    values
}

async fn select(client: &Client, base: &str, key: &str, query: &str, extra: &[(&str, &str)]) -> Value {
    let mut params = vec![("query", query)];
    params.extend_from_slice(extra);
    let response = client
        .get(format!("{base}/sparql"))
        .query(&params)
        .bearer_auth(format!("{key}-secret"))
        .header("accept", "application/sparql-results+json")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{query}: {}", response.status());
    response.json().await.unwrap()
}

#[tokio::test]
async fn sparql_and_the_graph_store_see_only_the_callers_graphs() {
    let server = start_server(config()).await;
    let client = Client::new();
    let base = &server.base;
    ingest(&client, base, "a-editor", "brand:a-cup", "Paper cup of A").await;
    ingest(&client, base, "b-editor", "brand:b-cup", "Paper cup of B").await;
    let (a, b) = ("urn:assetgraph:asset:brand:a-cup", "urn:assetgraph:asset:brand:b-cup");

    // GRAPH ?g, the union default graph, FROM, FROM NAMED and the protocol's
    // dataset parameters all stop at A's graphs.
    let graphs = select(
        &client,
        base,
        "a-analyst",
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        &[],
    )
    .await;
    assert!(column(&graphs, "g").contains(&a.to_owned()), "{graphs}");
    assert!(!column(&graphs, "g").contains(&b.to_owned()), "{graphs}");
    let titles = "SELECT ?t WHERE { ?s <http://purl.org/dc/terms/title> ?t }";
    let answer = select(&client, base, "a-analyst", titles, &[]).await;
    assert_eq!(column(&answer, "t"), ["Paper cup of A"]);
    let from = format!("SELECT ?t FROM <{b}> WHERE {{ ?s <http://purl.org/dc/terms/title> ?t }}");
    assert_eq!(
        column(&select(&client, base, "a-analyst", &from, &[]).await, "t"),
        Vec::<String>::new()
    );
    let from_named =
        format!("SELECT ?t FROM NAMED <{b}> WHERE {{ GRAPH ?g {{ ?s <http://purl.org/dc/terms/title> ?t }} }}");
    assert_eq!(
        column(&select(&client, base, "a-analyst", &from_named, &[]).await, "t"),
        Vec::<String>::new()
    );
    let answer = select(&client, base, "a-analyst", titles, &[("default-graph-uri", b)]).await;
    assert_eq!(column(&answer, "t"), Vec::<String>::new());
    let named = "SELECT ?t WHERE { GRAPH ?g { ?s <http://purl.org/dc/terms/title> ?t } }";
    let answer = select(&client, base, "a-analyst", named, &[("named-graph-uri", b)]).await;
    assert_eq!(column(&answer, "t"), Vec::<String>::new());
    // Search inside SPARQL finds A's asset only.
    let search = "PREFIX ag: <https://w3id.org/assetgraph/ns#>
        SELECT ?asset WHERE { SERVICE ag:search { [] ag:query \"paper cup\" ; ag:asset ?asset } }";
    let answer = select(&client, base, "a-analyst", search, &[]).await;
    assert_eq!(column(&answer, "asset"), [a]);
    // A key naming no tenant reads both.
    let answer = select(&client, base, "everyone", titles, &[]).await;
    assert_eq!(column(&answer, "t"), ["Paper cup of A", "Paper cup of B"]);

    // The Graph Store answers B's graph as not found, A's as it is.
    for (graph, status) in [(b, StatusCode::NOT_FOUND), (a, StatusCode::OK)] {
        let response = client
            .get(format!("{base}/store"))
            .query(&[("graph", graph)])
            .bearer_auth("a-analyst-secret")
            .header("accept", "application/n-triples")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{graph}");
    }
}

#[tokio::test]
async fn a_key_holding_every_tenant_reads_the_union_and_stops_when_another_tenant_arrives() {
    let server = start_server(config()).await;
    let client = Client::new();
    let base = &server.base;
    ingest(&client, base, "a-editor", "brand:a-cup", "Paper cup of A").await;
    let titles = "SELECT ?t WHERE { ?s <http://purl.org/dc/terms/title> ?t }";
    // Only tenant A (and the shared vocabularies) hold anything: A's
    // analyst reads the union, as fast as an unscoped key.
    assert_eq!(
        column(&select(&client, base, "a-analyst", titles, &[]).await, "t"),
        ["Paper cup of A"]
    );
    // Another tenant writes: from that commit on, A's dataset is cut down.
    ingest(&client, base, "b-editor", "brand:b-cup", "Paper cup of B").await;
    assert_eq!(
        column(&select(&client, base, "a-analyst", titles, &[]).await, "t"),
        ["Paper cup of A"]
    );
    assert_eq!(
        column(&select(&client, base, "everyone", titles, &[]).await, "t"),
        ["Paper cup of A", "Paper cup of B"]
    );
}

//! `/sparql`, `/store` and `/api/reports` on loopback: writes through the
//! single write path (a taxonomy graph written by SPARQL Update or the
//! Graph Store Protocol is a push, search sees it at once), refusals that
//! change nothing, roles, the time limit, search and clearance inside
//! SPARQL, and the named reports.

mod common;

use assetgraph::auth::Role;
use assetgraph::config::{Config, KeyConfig};
use assetgraph::store::{Change, GraphWrite};
use common::*;
use oxigraph::model::{Literal, NamedNode, Triple};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const V1: &str = include_str!("fixtures/taxonomy-v1.ttl");
const V2: &str = include_str!("fixtures/taxonomy-v2.ttl");
const AG: &str = "https://w3id.org/assetgraph/ns#";

fn config() -> Config {
    let key = |name: &str, role, secret: &str| KeyConfig {
        name: name.into(),
        role,
        secret: Some(secret.into()),
        secret_sha256: None,
        tenants: vec![],
        records_usage: true,
    };
    Config {
        keys: vec![
            key("pp", Role::Editor, "editor-secret"),
            key("bi", Role::Analyst, "analyst-secret"),
            key("viewer", Role::Reader, "reader-secret"),
        ],
        ..Config::default()
    }
}

async fn update(client: &Client, base: &str, text: &str) -> (StatusCode, Value) {
    let response = client
        .post(format!("{base}/sparql"))
        .basic_auth("pp", Some("editor-secret"))
        .header("content-type", "application/sparql-update")
        .body(text.to_owned())
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

async fn select(client: &Client, base: &str, query: &str) -> (StatusCode, Value) {
    let response = client
        .post(format!("{base}/sparql"))
        .bearer_auth("analyst-secret")
        .header("accept", "application/sparql-results+json")
        .form(&[("query", query)])
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

async fn push_v1(client: &Client, base: &str) -> String {
    let response = client
        .put(format!("{base}/api/taxonomies/animals"))
        .bearer_auth("editor-secret")
        .header("content-type", "text/turtle")
        .body(V1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["version"].as_str().unwrap().to_owned()
}

async fn project(client: &Client, base: &str) -> Value {
    client
        .get(format!("{base}/api/taxonomies/animals"))
        .bearer_auth("reader-secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn suggests(client: &Client, base: &str, prefix: &str) -> String {
    client
        .get(format!("{base}/api/suggest?q={prefix}"))
        .bearer_auth("reader-secret")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_graph_store_put_to_a_taxonomy_graph_is_a_push_with_the_same_version() {
    // The version the REST push of v2 gives, on a server of its own.
    let reference = start_server(config()).await;
    let client = Client::new();
    push_v1(&client, &reference.base).await;
    let by_api: Value = client
        .put(format!("{}/api/taxonomies/animals", reference.base))
        .bearer_auth("editor-secret")
        .header("content-type", "text/turtle")
        .body(V2)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let server = start_server(config()).await;
    let v1 = push_v1(&client, &server.base).await;
    let response = client
        .put(format!("{}/store?graph=urn:assetgraph:taxonomy:animals", server.base))
        .basic_auth("pp", Some("editor-secret"))
        .header("content-type", "text/turtle")
        .body(V2)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let after = project(&client, &server.base).await;
    assert_ne!(after["version"].as_str(), Some(v1.as_str()));
    assert_eq!(
        after["version"], by_api["version"],
        "a GSP PUT gives the version a REST push gives"
    );
    // Search follows at once: v2 adds the German label "Haushunde".
    assert!(suggests(&client, &server.base, "Haush").await.contains("Haushunde"));
    // The push is in the taxonomy change history, with its diff.
    let history: Value = client
        .get(format!(
            "{}/api/reports/taxonomy-change-history?project=animals",
            server.base
        ))
        .bearer_auth("analyst-secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = history["results"]["bindings"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{history}");
    assert_eq!(rows[0]["operation"]["value"], "graph-store.put");
    assert!(rows[0]["summary"]["value"].as_str().unwrap().contains("relabelled"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sparql_update_of_a_taxonomy_is_a_push_and_search_sees_it() {
    let server = start_server(config()).await;
    let client = Client::new();
    let v1 = push_v1(&client, &server.base).await;
    let (status, report) = update(
        &client,
        &server.base,
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
         INSERT DATA { GRAPH <urn:assetgraph:taxonomy:animals> {
           <http://example.com/tax/cats> skos:altLabel \"Stubentiger\"@de } }",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["taxonomies"][0]["previous_version"], json!(v1));
    assert_ne!(report["taxonomies"][0]["version"], json!(v1));
    assert_eq!(
        project(&client, &server.base).await["version"],
        report["taxonomies"][0]["version"]
    );
    assert!(suggests(&client, &server.base, "Stubent").await.contains("Stubentiger"));
    // Other graphs are patched as asked, in the same request.
    let (status, _) = update(
        &client,
        &server.base,
        "INSERT DATA { GRAPH <http://example.com/notes> { <http://example.com/a> <http://example.com/says> \"hi\" } } ;
         DELETE WHERE { GRAPH <http://example.com/notes> { ?s <http://example.com/says> ?o } } ;
         INSERT DATA { GRAPH <http://example.com/notes> { <http://example.com/a> <http://example.com/says> \"bye\" } }",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, rows) = select(
        &client,
        &server.base,
        "SELECT ?o WHERE { GRAPH <http://example.com/notes> { ?s ?p ?o } }",
    )
    .await;
    let values: Vec<&str> = rows["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["o"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["bye"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_a_problem_and_change_nothing() {
    let server = start_server(config()).await;
    let client = Client::new();
    let v1 = push_v1(&client, &server.base).await;
    let generation = server.store.generation();

    // A syntax error names its line and column.
    let (status, problem) = select(&client, &server.base, "SELECT * WHERE {\n  ?s ?p }").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            problem["line"].as_u64(),
            problem["type"].as_str().map(|t| t.ends_with("/query-syntax"))
        ),
        (Some(2), Some(true))
    );

    // An update sent to the query operation, and an update by GET.
    let (status, _) = select(
        &client,
        &server.base,
        "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let response = client
        .get(format!("{}/sparql", server.base))
        .query(&[("update", "CLEAR ALL")])
        .bearer_auth("editor-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Malformed RDF to a taxonomy graph leaves the project as it was.
    let response = client
        .put(format!("{}/store?graph=urn:assetgraph:taxonomy:animals", server.base))
        .bearer_auth("editor-secret")
        .header("content-type", "text/turtle")
        .body("<http://example.com/tax/dogs> <http://www.w3.org/2004/02/skos/core#prefLabel> \"Dogs\"@en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["line"], 1, "{problem}");

    // The service's own graphs, and an update that would empty a project.
    let (status, problem) = update(&client, &server.base, "CLEAR GRAPH <urn:assetgraph:graph:audit>").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = update(&client, &server.base, "DROP GRAPH <urn:assetgraph:taxonomy:animals>").await;
    assert_refused(status, &problem, (422, "unacceptable", None));
    let (status, problem) = update(&client, &server.base, "LOAD <http://example.com/data.ttl>").await;
    assert_refused(status, &problem, (403, "forbidden", None));

    assert_eq!(server.store.generation(), generation, "nothing was written");
    assert_eq!(project(&client, &server.base).await["version"], json!(v1));
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_decide_who_queries_and_who_updates() {
    let server = start_server(config()).await;
    let client = Client::new();
    let query = [("query", "ASK {}")];
    let as_reader = client
        .post(format!("{}/sparql", server.base))
        .bearer_auth("reader-secret")
        .form(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(as_reader.status(), StatusCode::FORBIDDEN);
    let as_analyst = client
        .post(format!("{}/sparql", server.base))
        .basic_auth("bi", Some("analyst-secret"))
        .form(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(as_analyst.status(), StatusCode::OK);
    let analyst_update = client
        .post(format!("{}/sparql", server.base))
        .bearer_auth("analyst-secret")
        .form(&[("update", "INSERT DATA { <http://e/a> <http://e/b> 1 }")])
        .send()
        .await
        .unwrap();
    assert_eq!(analyst_update.status(), StatusCode::FORBIDDEN);
    let anonymous = client
        .post(format!("{}/sparql", server.base))
        .form(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_over_the_time_limit_gets_503_and_the_server_stays_responsive() {
    let mut config = config();
    config.sparql.timeout_secs = 1;
    let server = start_server(config).await;
    let client = Client::new();
    // 2,000 triples: their threefold cross-product runs far longer than a second.
    let triples = (0..2000)
        .map(|i| {
            Triple::new(
                NamedNode::new_unchecked(format!("http://example.com/s{i}")),
                NamedNode::new_unchecked("http://example.com/p"),
                Literal::from(i),
            )
        })
        .collect();
    server
        .store
        .apply(Change {
            actor: "tester".into(),
            operation: "test.load".into(),
            tenant: "default".into(),
            note: None,
            writes: vec![GraphWrite::Merge {
                graph: NamedNode::new_unchecked("http://example.com/big"),
                kind: "graph",
                triples,
            }],
        })
        .unwrap();
    let (status, problem) = select(
        &client,
        &server.base,
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert!(problem["type"].as_str().unwrap().ends_with("/query-timeout"));
    let (status, answer) = select(&client, &server.base, "ASK { ?s ?p ?o }").await;
    assert_eq!((status, answer["boolean"].as_bool()), (StatusCode::OK, Some(true)));
}

#[tokio::test(flavor = "multi_thread")]
async fn search_and_clearance_join_the_graph_inside_sparql() {
    let server = start_server(config()).await;
    let client = Client::new();
    push_v1(&client, &server.base).await;
    let records = json!([
        {"id": "dog-de", "title": "A dog in the park", "concepts": ["http://example.com/tax/dogs"],
         "rights": {"grants": [{"territory": "DE", "channel": "web"}]}},
        {"id": "dog-fr", "title": "A dog at the beach", "concepts": ["http://example.com/tax/dogs"],
         "rights": {"grants": [{"territory": "FR", "channel": "web"}]}},
        {"id": "cat", "title": "A cat", "concepts": ["http://example.com/tax/cats"],
         "rights": {"grants": [{"territory": "DE"}]}}
    ]);
    let response = client
        .post(format!("{}/api/ingest/assetgraph", server.base))
        .bearer_auth("editor-secret")
        .header("content-type", "application/json")
        .body(records.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    let (status, rows) = select(
        &client,
        &server.base,
        "PREFIX ag: <https://w3id.org/assetgraph/ns#>
         PREFIX dcterms: <http://purl.org/dc/terms/>
         SELECT ?asset ?title ?concept WHERE {
           SERVICE ag:search { [] ag:query \"dogs\" ; ag:asset ?asset ; ag:score ?score ; ag:matchedConcept ?concept }
           ?asset dcterms:title ?title .
           FILTER(ag:cleared(?asset, \"territory\", \"DE\", \"channel\", \"web\"))
         }",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let found: Vec<(&str, &str)> = rows["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["asset"]["value"].as_str().unwrap(),
                b["concept"]["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [("urn:assetgraph:asset:dog-de", "http://example.com/tax/dogs")]);

    // The content-gap report: in France no cleared asset shows cats.
    let gaps = client
        .get(format!(
            "{}/api/reports/concepts-without-cleared-asset?territory=FR&format=csv",
            server.base
        ))
        .bearer_auth("analyst-secret")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(gaps.contains("http://example.com/tax/cats"), "{gaps}");
    assert!(!gaps.contains("http://example.com/tax/dogs,"), "{gaps}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_run_with_their_parameters_as_json_and_csv() {
    let server = start_server(config()).await;
    let client = Client::new();
    // Usage events as the usage API will store them: one within the
    // terms, one outside.
    let usage = NamedNode::new_unchecked("urn:assetgraph:graph:usage");
    let event = |id: &str, within: bool, at: &str| {
        let e = NamedNode::new_unchecked(format!("urn:assetgraph:usage:{id}"));
        let ag = |name: &str| NamedNode::new_unchecked(format!("{AG}{name}"));
        let prov = |name: &str| NamedNode::new_unchecked(format!("http://www.w3.org/ns/prov#{name}"));
        vec![
            Triple::new(e.clone(), oxigraph::model::vocab::rdf::TYPE, ag("UsageEvent")),
            Triple::new(
                e.clone(),
                prov("used"),
                NamedNode::new_unchecked("urn:assetgraph:asset:x"),
            ),
            Triple::new(
                e.clone(),
                prov("startedAtTime"),
                Literal::new_typed_literal(at, oxigraph::model::vocab::xsd::DATE_TIME),
            ),
            Triple::new(e.clone(), ag("action"), Literal::new_simple_literal("publish")),
            Triple::new(e.clone(), ag("usageTerritory"), Literal::new_simple_literal("JP")),
            Triple::new(e, ag("withinTerms"), Literal::from(within)),
        ]
    };
    let mut triples = event("1", true, "2026-03-01T10:00:00Z");
    triples.extend(event("2", false, "2026-04-01T10:00:00Z"));
    server
        .store
        .apply(Change {
            actor: "tester".into(),
            operation: "usage.record".into(),
            tenant: "default".into(),
            note: None,
            writes: vec![GraphWrite::Merge {
                graph: usage,
                kind: "usage",
                triples,
            }],
        })
        .unwrap();
    let get = |path: String| {
        let client = client.clone();
        async move {
            let response = client.get(path).bearer_auth("analyst-secret").send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let (status, csv) = get(format!("{}/api/reports/out-of-contract-usage?format=csv", server.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        csv.lines().count(),
        2,
        "a header and the one event outside the terms: {csv}"
    );
    assert!(csv.contains("urn:assetgraph:usage:2"));
    let (_, csv) = get(format!(
        "{}/api/reports/out-of-contract-usage?from=2026-05-01T00:00:00Z&format=csv",
        server.base
    ))
    .await;
    assert_eq!(csv.lines().count(), 1, "{csv}");
    let (_, json) = get(format!(
        "{}/api/reports/audit-trail-of-asset?asset=urn:assetgraph:asset:x",
        server.base
    ))
    .await;
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["results"]["bindings"].as_array().unwrap().len(), 2, "{json}");
    let (status, problem) = get(format!("{}/api/reports/licences-expiring?days=soon", server.base)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(problem.contains("\"field\":\"days\""));
    let (status, _) = get(format!("{}/api/reports/no-such-report", server.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A report with a chart draws it: one column per month.
    let (status, csv) = get(format!("{}/api/reports/usage-per-month?format=csv", server.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        ["month,uses,assets", "2026-03,1,1", "2026-04,1,1"]
    );
    let response = client
        .get(format!(
            "{}/api/reports/usage-per-month?format=svg&action=publish",
            server.base
        ))
        .bearer_auth("analyst-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml; charset=utf-8");
    let svg = response.text().await.unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert!(
        svg.contains("<title>2026-03: 1</title>") && svg.contains("<title>2026-04: 1</title>"),
        "{svg}"
    );
    // its parameters are checked as for the table; a report without a
    // chart says so
    let (status, problem) = get(format!(
        "{}/api/reports/usage-per-month?format=svg&from=May",
        server.base
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, problem) = get(format!("{}/api/reports/out-of-contract-usage?format=svg", server.base)).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{problem}");
    assert!(problem.contains("has no chart"), "{problem}");
    // a reader may not draw what it may not read
    let response = client
        .get(format!("{}/api/reports/usage-per-month?format=svg", server.base))
        .bearer_auth("reader-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

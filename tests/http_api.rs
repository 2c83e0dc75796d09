//! The HTTP interface on loopback: pushes, reads, and every refusal
//! (400 with line and column, 401, 403, 404, 413, 415, 422), each leaving the
//! previous version intact.

mod common;

use assetgraph::auth::Role;
use assetgraph::config::{Config, KeyConfig};
use base64::Engine;
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::Value;

const V1: &str = include_str!("fixtures/taxonomy-v1.ttl");
const V2: &str = include_str!("fixtures/taxonomy-v2.ttl");

fn config_with_keys(max_body_bytes: usize) -> Config {
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
            key("viewer", Role::Reader, "reader-secret"),
        ],
        max_body_bytes,
        ..Config::default()
    }
}

async fn put(
    client: &Client,
    url: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, String, Value) {
    let response = client
        .put(url)
        .bearer_auth("editor-secret")
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let ct = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, response.json().await.unwrap_or(Value::Null))
}

/// GET with the reader key.
async fn get_as_reader(client: &Client, url: &str) -> reqwest::Response {
    client.get(url).bearer_auth("reader-secret").send().await.unwrap()
}

async fn get_json(client: &Client, url: &str) -> Value {
    get_as_reader(client, url).await.json().await.unwrap()
}

async fn version_of(client: &Client, base: &str, project: &str) -> String {
    get_json(client, &format!("{base}/api/taxonomies/{project}")).await["version"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn push_replace_then_read_back() {
    let server = start_server(config_with_keys(1 << 20)).await;
    let client = Client::new();
    let url = format!("{}/api/taxonomies/animals", server.base);
    let (status, _, first) = put(&client, &url, "text/turtle", V1).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["counts"]["concepts"], 6);
    assert_eq!(first["version"].as_str().unwrap().len(), 64);
    let (status, _, second) = put(&client, &url, "text/turtle", V2).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(second["previous_version"], first["version"]);
    assert_eq!(second["diff"]["added"].as_array().unwrap().len(), 2);
    assert_eq!(second["diff"]["moved"][0]["iri"], "http://example.com/tax/parrots");

    let list = get_json(&client, &format!("{}/api/taxonomies", server.base)).await;
    assert_eq!(list["projects"][0]["id"], "animals");
    assert_eq!(list["projects"][0]["concepts"], 6);
    assert_eq!(list["projects"][0]["schemes"][0]["title"]["en"], "Test scheme");

    let concept = get_json(
        &client,
        &format!("{}/api/concepts?iri=http://example.com/tax/dogs&lang=de", server.base),
    )
    .await;
    assert_eq!(concept["pref_label"]["de"], "Haushunde");
    assert_eq!(concept["broader"][0]["label"], "Tiere");
}

#[tokio::test(flavor = "multi_thread")]
async fn post_merges_and_basic_auth_works_as_poolparty_sends_it() {
    let server = start_server(config_with_keys(1 << 20)).await;
    let client = Client::new();
    let url = format!("{}/api/taxonomies/animals", server.base);
    put(&client, &url, "text/turtle", V1).await;
    let basic = base64::engine::general_purpose::STANDARD.encode("pp:editor-secret");
    let response = client
        .post(&url)
        .header("Authorization", format!("Basic {basic}"))
        .header("Content-Type", "application/n-triples")
        .body("<http://example.com/tax/snakes> <http://www.w3.org/2004/02/skos/core#broader> <http://example.com/tax/animals> .\n<http://example.com/tax/snakes> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2004/02/skos/core#Concept> .\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["counts"]["concepts"], 7);
    assert_eq!(report["mode"], "merge");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_a_problem_and_changes_nothing() {
    let server = start_server(config_with_keys(4096)).await;
    let client = Client::new();
    let url = format!("{}/api/taxonomies/animals", server.base);
    put(&client, &url, "text/turtle", V1).await;
    let before = version_of(&client, &server.base, "animals").await;
    let generation = server.store.generation();

    // malformed Turtle → 400 naming line and column
    let broken = V2.replace("\"Horses\"@en .", "\"Horses\"@en ;;; <oops");
    let (status, content_type, problem) = put(&client, &url, "text/turtle", broken).await;
    assert_refused(status, &problem, (400, "syntax", None));
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["status"], 400);
    assert!(problem["line"].as_u64().unwrap() > 5, "{problem}");
    assert!(problem["column"].as_u64().is_some(), "{problem}");

    // malformed RDF/XML → 400 with line too
    let (status, _, problem) =
        put(&client, &url, "application/rdf+xml", "<?xml version=\"1.0\"?>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n<rdf:Description>\n</rdf:RDF>").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problem["line"].as_u64().is_some(), "{problem}");

    // unsupported Content-Type → 415
    let (status, _, problem) = put(&client, &url, "application/trix", V2).await;
    assert_refused(status, &problem, (415, "unsupported-media-type", None));
    assert!(problem["detail"].as_str().unwrap().contains("TriG"));

    // over the body limit → 413
    let (status, _, problem) = put(&client, &url, "text/turtle", format!("{V2}\n#{}", "x".repeat(5000))).await;
    assert_refused(status, &problem, (413, "body-too-large", None));

    // no SKOS at all → 422
    let (status, _, problem) = put(
        &client,
        &url,
        "application/n-triples",
        "<http://e/a> <http://e/b> <http://e/c> .\n",
    )
    .await;
    assert_refused(status, &problem, (422, "unacceptable", None));

    // unknown project → 404
    let response = get_as_reader(&client, &format!("{}/api/taxonomies/nope", server.base)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["content-type"], "application/problem+json");

    // missing iri → 400 naming the field
    let response = get_as_reader(&client, &format!("{}/api/concepts", server.base)).await;
    let status = response.status();
    assert_refused(
        status,
        &response.json().await.unwrap(),
        (400, "invalid-request", Some("iri")),
    );

    assert_eq!(version_of(&client, &server.base, "animals").await, before);
    assert_eq!(server.store.generation(), generation);
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_and_roles_are_enforced() {
    let server = start_server(config_with_keys(1 << 20)).await;
    let client = Client::new();
    let url = format!("{}/api/taxonomies/animals", server.base);
    put(&client, &url, "text/turtle", V1).await;
    let before = version_of(&client, &server.base, "animals").await;

    // no key → 401 with a challenge
    let response = client
        .put(&url)
        .header("Content-Type", "text/turtle")
        .body(V2)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("Basic"));
    // a browser script's request is offered Bearer only, so that no login
    // dialog of the browser's opens over the page asking it
    let response = client.get(&url).header("Sec-Fetch-Dest", "empty").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"assetgraph\"");
    let response = client
        .get(&url)
        .header("Sec-Fetch-Dest", "document")
        .send()
        .await
        .unwrap();
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("Basic"));
    // wrong key → 401
    let response = client.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // right secret, wrong user name in Basic → 401
    let basic = base64::engine::general_purpose::STANDARD.encode("someone:editor-secret");
    let response = client
        .get(&url)
        .header("Authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // reader key on a write → 403
    let response = client
        .put(&url)
        .bearer_auth("reader-secret")
        .header("Content-Type", "text/turtle")
        .body(V2)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    // health needs no key
    let health: Value = client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");

    assert_eq!(version_of(&client, &server.base, "animals").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_keys_the_local_operator_may_write() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let response = client
        .put(format!("{}/api/taxonomies/animals", server.base))
        .header("Content-Type", "text/turtle")
        .body(V1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = client
        .get(format!("{}/no/such/path", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rdf_format_is_accepted_and_gives_the_same_version() {
    use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
    let quads: Vec<oxigraph::model::Quad> = RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(V1)
        .collect::<Result<_, _>>()
        .unwrap();
    let serialise = |format: RdfFormat| {
        let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
        for quad in &quads {
            if format.supports_datasets() {
                writer.serialize_quad(quad).unwrap();
            } else {
                writer
                    .serialize_triple(oxigraph::model::TripleRef::from(quad.as_ref()))
                    .unwrap();
            }
        }
        writer.finish().unwrap()
    };
    let server = start_server(config_with_keys(1 << 20)).await;
    let client = Client::new();
    let mut versions = std::collections::BTreeSet::new();
    for (i, (format, media_type)) in [
        (RdfFormat::Turtle, "text/turtle"),
        (RdfFormat::TriG, "application/trig"),
        (RdfFormat::NTriples, "application/n-triples"),
        (RdfFormat::NQuads, "application/n-quads"),
        (RdfFormat::N3, "text/n3"),
        (RdfFormat::RdfXml, "application/rdf+xml"),
        (
            RdfFormat::JsonLd {
                profile: Default::default(),
            },
            "application/ld+json",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let url = format!("{}/api/taxonomies/format-{i}", server.base);
        let (status, _, report) = put(&client, &url, media_type, serialise(format)).await;
        assert_eq!(status, StatusCode::CREATED, "{media_type}: {report}");
        assert_eq!(report["counts"]["concepts"], 6, "{media_type}");
        versions.insert(report["version"].as_str().unwrap().to_owned());
    }
    assert_eq!(versions.len(), 1, "{versions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_path_that_is_not_text_gets_a_problem_naming_the_path() {
    let server = start_server(config_with_keys(1 << 20)).await;
    let client = Client::new();
    // `%FF` decodes to a byte that is no UTF-8: every route taking an id
    // from its path refuses it the same way.
    for path in [
        "/api/assets/%FF",
        "/api/assets/%FF/clearance",
        "/api/taxonomies/%FF",
        "/api/reports/%FF",
    ] {
        let response = get_as_reader(&client, &format!("{}{path}", server.base)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{path}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["field"], "path", "{path}: {problem}");
    }
}

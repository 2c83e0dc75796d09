//! The API description: `/openapi.json` covers every route the router
//! declares, with every method; every problem type the code answers with
//! is listed; every `$ref` resolves; and the reference page at `/api/docs`
//! loads nothing from another host.

mod common;

use common::*;
use reqwest::Client;
use serde_json::Value;

async fn document() -> (TestServer, Value) {
    let server = start_server(assetgraph::config::Config::default()).await;
    let document: Value = Client::new()
        .get(format!("{}/openapi.json", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (server, document)
}

/// An axum route pattern as OpenAPI writes it (`{*id}` is `{id}`).
fn as_openapi(pattern: &str) -> String {
    pattern.replace("{*", "{")
}

#[tokio::test]
async fn every_route_and_method_is_in_the_document() {
    let (_server, document) = document().await;
    assert_eq!(document["openapi"], "3.1.0");
    let declared = declared_routes();
    assert!(declared.len() >= 30, "the routes were not read: {declared:?}");
    let mut missing = Vec::new();
    for (method, pattern) in &declared {
        let item = &document["paths"][as_openapi(pattern)];
        let methods: Vec<String> = if method == "*" {
            ["get", "head", "put", "post", "delete"].map(String::from).to_vec()
        } else {
            vec![method.to_lowercase()]
        };
        for method in methods {
            if item[&method].is_null() {
                missing.push(format!("{method} {pattern}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json (annotate the handler with #[utoipa::path] and list it in \
         src/http/openapi.rs): {missing:?}"
    );
}

#[tokio::test]
async fn every_operation_says_its_answers_and_refusals() {
    let (_server, document) = document().await;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if !["get", "head", "put", "post", "delete"].contains(&method.as_str()) {
                continue;
            }
            let responses = operation["responses"].as_object().unwrap();
            let success = responses.keys().any(|s| s.starts_with('2'));
            let problem = responses
                .values()
                .any(|r| !r["content"]["application/problem+json"].is_null());
            assert!(success && problem, "{method} {path}: {responses:?}");
            let keyed = operation["security"]
                .as_array()
                .is_none_or(|s| !s.iter().all(|r| r == &serde_json::json!({})));
            if keyed {
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{method} {path}"
                );
                let tenant = operation["parameters"]
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p["name"] == "tenant"));
                assert!(tenant, "{method} {path} does not take ?tenant=");
            }
        }
    }
}

#[tokio::test]
async fn every_reference_resolves() {
    let (_server, document) = document().await;
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(refs.len() > 20, "{refs:?}");
    for reference in refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{reference}"));
        assert!(
            !document["components"]["schemas"][name].is_null(),
            "{reference} does not resolve"
        );
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                refs.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

#[tokio::test]
async fn every_problem_type_the_code_answers_with_is_listed() {
    let (_server, document) = document().await;
    let listed = document["components"]["schemas"]["Problem"]["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut kinds = std::collections::BTreeSet::new();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap();
        kinds.extend(problem_kinds(text));
    }
    assert!(kinds.len() >= 15, "the problem types were not read: {kinds:?}");
    let missing: Vec<_> = kinds.iter().filter(|k| !listed.contains(&format!("`{k}`"))).collect();
    assert!(
        missing.is_empty(),
        "problem types answered but not listed in PROBLEM_TYPES: {missing:?}"
    );
}

#[tokio::test]
async fn the_reference_page_loads_nothing_from_another_host() {
    let (server, _) = document().await;
    let client = Client::new();
    let page = client.get(format!("{}/api/docs/", server.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let config = client
        .get(format!("{}/api/docs/swagger-initializer.js", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(config.contains("/openapi.json"), "{config}");
    for text in [&html, &config] {
        let remote = ["src=\"http", "href=\"http", "src='http", "href='http", "url(http"];
        assert!(
            !remote.iter().any(|r| text.contains(r)),
            "the page loads from elsewhere: {text}"
        );
    }
    let missing = client
        .get(format!("{}/api/docs/no-such-file.js", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let problem: Value = missing.json().await.unwrap();
    assert_refused(reqwest::StatusCode::NOT_FOUND, &problem, (404, "not-found", None));
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js"] {
        let status = client
            .get(format!("{}/api/docs/{asset}", server.base))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{asset} is not served by the binary");
    }
}

/// The problem kinds a source text answers with: the second argument of
/// `Problem::new` and `Problem::unavailable`, and `problems/KIND` literals.
fn problem_kinds(text: &str) -> Vec<String> {
    let slug = |rest: &str| -> Option<String> {
        let rest = rest.strip_prefix('"')?;
        let end = rest.find('"')?;
        let kind = &rest[..end];
        (!kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')).then(|| kind.to_owned())
    };
    let mut kinds = Vec::new();
    for call in ["Problem::new(", "Problem::unavailable("] {
        for (at, _) in text.match_indices(call) {
            let args = &text[at + call.len()..];
            if let Some(comma) = args.find(',') {
                kinds.extend(slug(args[comma + 1..].trim_start()));
            }
        }
    }
    for (at, found) in text.match_indices("problems/") {
        kinds.extend(slug(&format!("\"{}", &text[at + found.len()..])));
    }
    kinds
}

//! A page on another origin calling the API, as a browser does it: the
//! preflight it sends before a call with an `Authorization` header, the
//! call itself with its `Origin`, and what a page on an origin nobody
//! configured gets (nothing it could read).

mod common;

use assetgraph::auth::Role;
use assetgraph::config::{Config, KeyConfig};
use common::*;
use reqwest::{Client, Method, StatusCode};

const DAM: &str = "https://dam.example.com";

fn config(cors: &[&str]) -> Config {
    let mut config = Config {
        keys: vec![KeyConfig {
            name: "picker".into(),
            role: Role::Reader,
            secret: Some("reader-secret".into()),
            secret_sha256: None,
            tenants: vec![],
        }],
        ..Config::default()
    };
    config.http.cors_origins = cors.iter().map(|o| (*o).to_owned()).collect();
    config
}

/// The preflight a browser sends before `fetch(url, {headers: {Authorization}})`.
async fn preflight(client: &Client, url: &str, origin: &str, method: &str) -> reqwest::Response {
    client
        .request(Method::OPTIONS, url)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "authorization,content-type")
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn a_configured_origin_gets_its_preflight_and_can_read_answers_and_refusals() {
    let server = start_server(config(&[DAM, "http://localhost:3000"])).await;
    let client = Client::new();
    let search = format!("{}/api/search?q=cup", server.base);

    for method in ["GET", "POST", "PUT", "DELETE"] {
        let answer = preflight(&client, &search, DAM, method).await;
        assert!(answer.status().is_success(), "{method}: {}", answer.status());
        assert_eq!(header(&answer, "access-control-allow-origin"), Some(DAM));
        let methods = header(&answer, "access-control-allow-methods")
            .unwrap()
            .to_ascii_uppercase();
        assert!(methods.contains(method), "{methods}");
        let headers = header(&answer, "access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            headers.contains("authorization") && headers.contains("content-type"),
            "{headers}"
        );
        assert_eq!(
            header(&answer, "access-control-allow-credentials"),
            None,
            "credentials travel in a header, never as cookies"
        );
        assert!(header(&answer, "vary").unwrap().to_ascii_lowercase().contains("origin"));
    }

    // The call itself, with a key, and a refusal the page must be able to read.
    let answer = client
        .get(&search)
        .header("Origin", DAM)
        .bearer_auth("reader-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(header(&answer, "access-control-allow-origin"), Some(DAM));
    let refused = client.get(&search).header("Origin", DAM).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&refused, "access-control-allow-origin"), Some(DAM));
    let exposed = header(&refused, "access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("www-authenticate"), "{exposed}");

    // The second origin is answered with itself, never with the first.
    let answer = preflight(&client, &search, "http://localhost:3000", "GET").await;
    assert_eq!(
        header(&answer, "access-control-allow-origin"),
        Some("http://localhost:3000")
    );
}

#[tokio::test]
async fn an_origin_nobody_configured_gets_nothing_a_browser_would_let_it_read() {
    let server = start_server(config(&[DAM])).await;
    let client = Client::new();
    let search = format!("{}/api/search?q=cup", server.base);
    for origin in ["https://evil.example.com", "https://dam.example.com.evil.net", "null"] {
        let answer = preflight(&client, &search, origin, "GET").await;
        assert_eq!(header(&answer, "access-control-allow-origin"), None, "{origin}");
        let answer = client
            .get(&search)
            .header("Origin", origin)
            .bearer_auth("reader-secret")
            .send()
            .await
            .unwrap();
        assert_eq!(header(&answer, "access-control-allow-origin"), None, "{origin}");
    }
}

#[tokio::test]
async fn without_cors_origins_there_are_no_cors_headers() {
    let server = start_server(config(&[])).await;
    let client = Client::new();
    let answer = preflight(&client, &format!("{}/api/search?q=cup", server.base), DAM, "GET").await;
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
    assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn a_wildcard_origin_is_refused_when_the_config_is_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[http]\ncors_origins = [\"*\"]\n").unwrap();
    let error = Config::load(Some(&path)).unwrap_err().to_string();
    assert!(error.contains("wildcard"), "{error}");
}

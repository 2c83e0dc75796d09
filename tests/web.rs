//! The web face as served, without a browser: every page comes with its
//! security headers, everything a page loads is served (with the right
//! type) from the binary itself, and nothing is asked of another host.
//! What the pages do is `tests/browser.rs`'s part.

mod common;

use assetgraph::config::Config;
use common::*;
use reqwest::{Client, StatusCode};

const PAGES: [&str; 3] = ["/", "/reports", "/sparql"];

async fn page(client: &Client, base: &str, path: &str) -> (reqwest::header::HeaderMap, String) {
    let response = client
        .get(format!("{base}{path}"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

/// The values of `attribute="…"` in the page.
fn attributes<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let marker = format!("{attribute}=\"");
    html.match_indices(&marker)
        .filter_map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[tokio::test]
async fn pages_run_only_their_own_scripts_and_talk_only_to_the_service() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    for path in PAGES {
        let (headers, html) = page(&client, &server.base, path).await;
        assert_eq!(headers["content-type"], "text/html; charset=utf-8", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'"), "{path}: {policy}");
        assert!(policy.contains("connect-src 'self'"), "{path}: {policy}");
        assert!(
            !html.contains("<script>") && !html.contains("<script type=\"module\">"),
            "{path}: no inline script"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{path}: nothing from another host"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
}

#[tokio::test]
async fn everything_a_page_loads_is_served_by_the_binary() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let mut loaded = 0;
    for path in PAGES {
        let (_, html) = page(&client, &server.base, path).await;
        for src in attributes(&html, "src").into_iter().chain(attributes(&html, "href")) {
            if !src.starts_with("/web/") {
                continue;
            }
            let response = client.get(format!("{}{src}", server.base)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path} loads {src}");
            let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
            let expected = if src.ends_with(".css") {
                "text/css"
            } else {
                "text/javascript"
            };
            assert!(kind.starts_with(expected), "{src}: {kind}");
            loaded += 1;
            // The pages' own modules import each other: those are served too.
            let text = response.text().await.unwrap();
            for import in text.lines().filter_map(|l| l.split(" from \"./").nth(1)) {
                let file = import.trim_end_matches(['"', ';']);
                let sibling = format!("{}/{file}", src.rsplit_once('/').unwrap().0);
                let response = client.get(format!("{}{sibling}", server.base)).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{src} imports {sibling}");
            }
        }
    }
    assert!(
        loaded >= 8,
        "the pages load their scripts, styles and the editor ({loaded})"
    );
    let response = client
        .get(format!("{}/web/pages/../../Cargo.toml", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = client
        .get(format!("{}/web/no-such-file.js", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn the_element_is_served_as_a_module_and_as_a_classic_script() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let text = |path: &str| {
        let request = client.get(format!("{}{path}", server.base)).send();
        async move { request.await.unwrap().text().await.unwrap() }
    };
    let module = text("/web/assetgraph-search.js").await;
    assert!(module.contains("export class AssetgraphSearch"));
    let classic = text("/web/assetgraph-search.classic.js").await;
    assert!(!classic.contains("export "), "a classic script cannot export");
    assert!(classic.contains("customElements.define(\"assetgraph-search\""));
    assert!(classic.contains("window.AssetgraphSearch = AssetgraphSearch"));
}

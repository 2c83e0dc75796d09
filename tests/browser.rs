//! The web face in a real browser: `web/test/browser.mjs` (playwright-core
//! driving Chromium headless) against the binary on loopback. This test
//! starts what the scenarios need and runs them:
//!
//! - a service without keys on the demo data: the demo page, the console
//!   and the reports pages;
//! - a service with keys and browser tokens on the demo data, which lists
//!   the host page's origin for CORS;
//! - the host page, a plain page on another port (another origin) that
//!   embeds the element from the second service, and the host's own
//!   server side: `/token` mints a browser token with the host's admin
//!   key, `/expired-token` hands out one that has expired.
//!
//! Screenshots of each scenario are kept in `target/tmp/browser/`. Where
//! Chromium, Node or `web/node_modules/playwright-core` is missing (`.ci/
//! deps.sh` installs them), the test says so and skips.

mod common;

use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const HOST_PAGE: &str = include_str!("../web/test/host.html");
const ADMIN: &str = "admin-secret-0123456789";

/// Straight to the terminal, past the test harness's capture: whether the
/// scenarios ran, or why not, belongs in every CI log.
fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{}", text.trim_end());
}

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var("CHROMIUM").ok(),
        Some("/usr/bin/chromium".into()),
        Some("/usr/bin/chromium-browser".into()),
    ];
    candidates.into_iter().flatten().map(PathBuf::from).find(|p| p.exists())
}

fn node_ready(web: &Path) -> bool {
    let node = Command::new("node").arg("--version").output();
    node.is_ok_and(|o| o.status.success()) && web.join("node_modules/playwright-core/package.json").exists()
}

#[derive(Clone)]
struct Host {
    service: String,
    expired: String,
    client: reqwest::Client,
}

async fn host_page(State(host): State<Host>) -> impl IntoResponse {
    Html(HOST_PAGE.replace("SERVICE", &host.service))
}

/// The host's server side: a token for the person signed in, minted with
/// the host's key, which never reaches the page.
async fn token(State(host): State<Host>) -> impl IntoResponse {
    let minted: Value = mint(&host.client, &host.service, json!({"subject": "mia@brand.example"})).await;
    Json(json!({"token": minted["token"]}))
}

async fn expired_token(State(host): State<Host>) -> impl IntoResponse {
    Json(json!({"token": host.expired}))
}

async fn mint(client: &reqwest::Client, service: &str, body: Value) -> Value {
    let response = client
        .post(format!("{service}/api/tokens"))
        .bearer_auth(ADMIN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "minting a token: {}", response.status());
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_web_face_works_in_a_real_browser() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let Some(chromium) = chromium() else {
        say("notice: no Chromium (apt-get install chromium, or set CHROMIUM); the browser scenarios are skipped");
        return;
    };
    if !node_ready(&web) {
        say("notice: no Node with playwright-core (cd web && npm ci); the browser scenarios are skipped");
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host_url = format!("http://{}", listener.local_addr().unwrap());
    let open = Served::start("[alerts]\ninterval_secs = 0\n", &["--demo"]);
    // A record whose text is markup: the pages must show it as text.
    let hostile = json!([{"id": "hostile:markup", "language": "en", "content_type": "image",
        "title": "<img src=x onerror=\"window.__pwned = 1\"> Harbour <b>at</b> dawn",
        "description": "<script>window.__pwned = 2</script> a harbour"}]);
    let ingested = reqwest::Client::new()
        .post(open.url("/api/ingest/assetgraph"))
        .json(&hostile)
        .send()
        .await
        .unwrap();
    assert!(ingested.status().is_success(), "{}", ingested.text().await.unwrap());
    let keyed_config = config_with_keys(&format!(
        "[http]\ncors_origins = [\"{host_url}\"]\n\n[tokens]\nsigning_keys = [\"browser-test-signing-key-0123456789abcdef\"]\n"
    ));
    let keyed = Served::start(&keyed_config, &["--demo"]);
    let service = keyed.url("");
    let client = reqwest::Client::new();
    let minted_at = Instant::now();
    let expired = mint(
        &client,
        &service,
        json!({"subject": "mia@brand.example", "ttl_secs": 1}),
    )
    .await;
    let host = Host {
        service: service.clone(),
        expired: expired["token"].as_str().unwrap().to_owned(),
        client,
    };
    let app = Router::new()
        .route("/", get(host_page))
        .route("/token", get(token))
        .route("/expired-token", get(expired_token))
        .with_state(host);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // The short-lived token has expired by the time the scenarios start.
    let wait = Duration::from_millis(2100).saturating_sub(minted_at.elapsed());
    tokio::time::sleep(wait).await;

    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let mut scenarios = Command::new("node");
    scenarios
        .arg(web.join("test/browser.mjs"))
        .current_dir(&web)
        .env("OPEN", open.url(""))
        .env("HOST", &host_url)
        .env("KEYED", &service)
        .env("ANALYST_KEY", "analyst-secret-0123456789")
        .env("READER_KEY", "reader-secret-0123456789")
        .env("OUT", &out)
        .env("CHROMIUM", &chromium);
    let output = tokio::task::spawn_blocking(move || scenarios.output().unwrap())
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    say(&report);
    assert!(
        output.status.success(),
        "browser scenarios failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("all scenarios passed"), "{report}");
    drop((open, keyed));
}

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
            records_usage: true,
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

// ---- Browser tokens -------------------------------------------------------

const SIGNING_KEY: &str = "0123456789abcdef0123456789abcdef-new";
const OLD_SIGNING_KEY: &str = "0123456789abcdef0123456789abcdef-old";

fn with_tokens(keys: &[&str]) -> Config {
    let mut config = config(&[DAM]);
    config.keys.push(KeyConfig {
        name: "host".into(),
        role: Role::Admin,
        secret: Some("admin-secret".into()),
        secret_sha256: None,
        tenants: vec![],
        records_usage: true,
    });
    config.tokens.signing_keys = keys.iter().map(|k| (*k).into()).collect();
    config
}

async fn mint(client: &Client, base: &str, key: &str, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    let response = client
        .post(format!("{base}/api/tokens"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn get_with(client: &Client, url: &str, token: &str) -> (StatusCode, serde_json::Value) {
    let response = client.get(url).bearer_auth(token).send().await.unwrap();
    (response.status(), response.json().await.unwrap_or_default())
}

/// Two assets: one cleared for web use in the US, one for Germany only.
async fn two_assets(client: &Client, base: &str) {
    let body = serde_json::json!([
        {"id": "brand:us-cup", "title": "Paper cup for the US",
         "rights": {"grants": [{"territory": "US", "channel": "web"}]}},
        {"id": "brand:de-cup", "title": "Paper cup for Germany",
         "rights": {"grants": [{"territory": "DE", "channel": "web"}]}}
    ]);
    let response = client
        .post(format!("{base}/api/ingest/assetgraph"))
        .bearer_auth("admin-secret")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

/// A token signed outside the service, as a forger or a clock would make it.
fn forged(key: &str, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

fn hit_ids(answer: &serde_json::Value) -> Vec<&str> {
    answer["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn without_signing_keys_minting_says_what_to_configure() {
    let server = start_server(with_tokens(&[])).await;
    let (status, problem) = mint(
        &Client::new(),
        &server.base,
        "admin-secret",
        serde_json::json!({"subject": "mia"}),
    )
    .await;
    assert_refused(status, &problem, (501, "not-configured", None));
    assert!(
        problem["detail"].as_str().unwrap().contains("signing_keys"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_minted_token_searches_as_a_reader_within_its_bound_context() {
    let server = start_server(with_tokens(&[SIGNING_KEY])).await;
    let client = Client::new();
    let base = &server.base;
    two_assets(&client, base).await;

    // Only an admin key mints, and never above reader.
    let (status, problem) = mint(&client, base, "reader-secret", serde_json::json!({"subject": "mia"})).await;
    assert_refused(status, &problem, (403, "forbidden", None));
    let (status, problem) = mint(
        &client,
        base,
        "admin-secret",
        serde_json::json!({"subject": "mia", "role": "editor"}),
    )
    .await;
    assert_refused(status, &problem, (400, "invalid-request", Some("role")));
    let (status, problem) = mint(
        &client,
        base,
        "admin-secret",
        serde_json::json!({"subject": "mia", "ttl_secs": 90000}),
    )
    .await;
    assert_refused(status, &problem, (400, "invalid-request", Some("ttl_secs")));
    let (status, problem) = mint(
        &client,
        base,
        "admin-secret",
        serde_json::json!({"subject": "mia", "context": {"territory": "Atlantis"}}),
    )
    .await;
    assert_refused(status, &problem, (400, "invalid-request", Some("territory")));

    let (status, minted) = mint(
        &client,
        base,
        "admin-secret",
        serde_json::json!({"subject": "mia", "context": {"territory": "US", "channel": "web"}, "ttl_secs": 600}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{minted}");
    let token = minted["token"].as_str().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let expires = minted["expires_at"].as_i64().unwrap();
    assert!((now + 590..=now + 610).contains(&expires), "{minted}");

    // The bound context applies to every search: only the US asset.
    let (status, answer) = get_with(&client, &format!("{base}/api/search?q=paper%20cup"), token).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(hit_ids(&answer), ["brand:us-cup"]);
    // Asking for the same is fine; asking for more is refused.
    let (status, answer) = get_with(&client, &format!("{base}/api/search?q=paper%20cup&territory=US"), token).await;
    assert_eq!((status, hit_ids(&answer)), (StatusCode::OK, vec!["brand:us-cup"]));
    for widened in ["territory=DE", "channel=print", "include_blocked=true"] {
        let (status, problem) = get_with(&client, &format!("{base}/api/search?q=paper%20cup&{widened}"), token).await;
        assert_refused(status, &problem, (403, "forbidden", None));
    }
    let (status, problem) = get_with(
        &client,
        &format!("{base}/api/assets/brand:de-cup/clearance?territory=DE"),
        token,
    )
    .await;
    assert_refused(status, &problem, (403, "forbidden", None));
    // A reader: no SPARQL, no minting of its own.
    let (status, problem) = get_with(&client, &format!("{base}/sparql?query=ASK%7B%7D"), token).await;
    assert_refused(status, &problem, (403, "forbidden", None));
    let (status, problem) = mint(&client, base, token, serde_json::json!({"subject": "eve"})).await;
    assert_refused(status, &problem, (403, "forbidden", None));
}

#[tokio::test]
async fn expired_tampered_foreign_and_rotated_out_tokens_are_refused() {
    let client = Client::new();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = |exp: i64, aud: &str| serde_json::json!({"sub": "mia", "aud": aud, "iss": "host", "iat": now - 100, "exp": exp, "role": "reader"});
    // Signed with the old key, which the service still verifies after a rotation.
    let old = forged(OLD_SIGNING_KEY, claims(now + 600, "assetgraph"));
    let rotated = start_server(with_tokens(&[SIGNING_KEY, OLD_SIGNING_KEY])).await;
    let search = format!("{}/api/search?q=cup", rotated.base);
    let (status, _) = get_with(&client, &search, &old).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a token of the previous key still works during a rotation"
    );

    let (status, problem) = get_with(&client, &search, &forged(SIGNING_KEY, claims(now - 10, "assetgraph"))).await;
    assert_refused(status, &problem, (401, "token-expired", None));
    let (status, problem) = get_with(&client, &search, &forged(SIGNING_KEY, claims(now + 600, "elsewhere"))).await;
    assert_refused(status, &problem, (401, "unauthorized", None));
    let (status, problem) = get_with(
        &client,
        &search,
        &forged("not-our-key-not-our-key-not-our-key", claims(now + 600, "assetgraph")),
    )
    .await;
    assert_refused(status, &problem, (401, "unauthorized", None));
    // Tampered: the payload says editor, the signature was made for reader.
    let good = forged(SIGNING_KEY, claims(now + 600, "assetgraph"));
    let parts: Vec<&str> = good.split('.').collect();
    let editor = {
        use base64::Engine;
        let payload = claims(now + 600, "assetgraph").to_string().replace("reader", "editor");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload)
    };
    let tampered = format!("{}.{editor}.{}", parts[0], parts[2]);
    let (status, problem) = get_with(&client, &search, &tampered).await;
    assert_refused(status, &problem, (401, "unauthorized", None));

    // Once the old key is dropped, its tokens are refused.
    let after = start_server(with_tokens(&[SIGNING_KEY])).await;
    let (status, problem) = get_with(&client, &format!("{}/api/search?q=cup", after.base), &old).await;
    assert_refused(status, &problem, (401, "unauthorized", None));
}

#[tokio::test]
async fn a_token_records_usage_as_its_subject_and_no_one_else() {
    let server = start_server(with_tokens(&[SIGNING_KEY])).await;
    let client = Client::new();
    let base = &server.base;
    two_assets(&client, base).await;
    let (_, minted) = mint(
        &client,
        base,
        "admin-secret",
        serde_json::json!({"subject": "mia", "record_usage": true}),
    )
    .await;
    let token = minted["token"].as_str().unwrap();
    let event = |id: &str, user: &str| {
        serde_json::json!([{"id": id, "asset": "brand:us-cup", "user": user, "action": "download",
                            "territory": "US", "channel": "web"}])
    };
    let post = |body: serde_json::Value| {
        let request = client.post(format!("{base}/api/usage")).bearer_auth(token).json(&body);
        async move { request.send().await.unwrap() }
    };
    let generation = server.store.generation();
    let refused = post(event("u1", "bob")).await;
    let status = refused.status();
    assert_refused(status, &refused.json().await.unwrap(), (403, "forbidden", None));
    assert_eq!(server.store.generation(), generation, "a refused event was stored");
    let recorded = post(event("u2", "mia")).await;
    assert_eq!(
        recorded.status(),
        StatusCode::CREATED,
        "{}",
        recorded.text().await.unwrap()
    );
}

#[tokio::test]
async fn recording_usage_is_a_permission_of_its_own() {
    let mut config = with_tokens(&[SIGNING_KEY]);
    config.keys.push(KeyConfig {
        name: "front-end".into(),
        role: Role::Editor,
        secret: Some("front-end-secret".into()),
        secret_sha256: None,
        tenants: vec![],
        records_usage: false,
    });
    config.server.usage_events_per_minute = 3;
    let server = start_server(config).await;
    let client = Client::new();
    let base = &server.base;
    two_assets(&client, base).await;
    let events = |user: &str, n: usize| {
        let events: Vec<_> = (0..n)
            .map(|i| {
                serde_json::json!({"id": format!("{user}-{i}-{n}"), "asset": "brand:us-cup", "user": user,
                                        "action": "view", "territory": "US", "channel": "web"})
            })
            .collect();
        serde_json::Value::from(events)
    };
    let post = |credential: String, body: serde_json::Value| {
        let request = client
            .post(format!("{base}/api/usage"))
            .bearer_auth(credential)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let generation = server.store.generation();

    // A token minted without record_usage searches but records nothing.
    let (_, plain) = mint(&client, base, "admin-secret", serde_json::json!({"subject": "mia"})).await;
    let plain = plain["token"].as_str().unwrap().to_owned();
    let (status, problem) = post(plain.clone(), events("mia", 1)).await;
    assert_refused(status, &problem, (403, "forbidden", None));
    let (status, _) = get_with(&client, &format!("{base}/api/search?q=cup"), &plain).await;
    assert_eq!(status, StatusCode::OK);

    // A key with records_usage = false records nothing, and cannot grant
    // a token that would.
    let (status, problem) = post("front-end-secret".into(), events("ann", 1)).await;
    assert_refused(status, &problem, (403, "forbidden", None));
    let (status, problem) = mint(
        &client,
        base,
        "front-end-secret",
        serde_json::json!({"subject": "ann", "record_usage": true}),
    )
    .await;
    assert_refused(status, &problem, (403, "forbidden", None));
    assert_eq!(server.store.generation(), generation, "a refused event was stored");

    // A person records at most usage_events_per_minute events: the batch
    // that would pass the limit is refused whole with Retry-After, and
    // another person is not held back.
    let (_, minted) = mint(
        &client,
        base,
        "admin-secret",
        serde_json::json!({"subject": "mia", "record_usage": true}),
    )
    .await;
    let token = minted["token"].as_str().unwrap().to_owned();
    let (status, answer) = post(token.clone(), events("mia", 2)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let generation = server.store.generation();
    let (status, problem) = post(token.clone(), events("mia", 2)).await;
    assert_refused(status, &problem, (429, "too-many-requests", None));
    assert_eq!(
        server.store.generation(),
        generation,
        "a batch over the limit was stored"
    );
    let (status, problem) = post(token, events("mia", 4)).await;
    assert_refused(status, &problem, (413, "too-many-events", None));
    let (status, answer) = post("admin-secret".into(), events("host-user", 3)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

#[tokio::test]
async fn a_revoked_persons_tokens_are_refused_and_new_ones_work() {
    let server = start_server(with_tokens(&[SIGNING_KEY])).await;
    let client = Client::new();
    let base = &server.base;
    two_assets(&client, base).await;
    let token_of = |subject: &'static str| {
        let client = client.clone();
        async move {
            let (status, minted) = mint(&client, base, "admin-secret", serde_json::json!({"subject": subject})).await;
            assert_eq!(status, StatusCode::CREATED, "{minted}");
            minted["token"].as_str().unwrap().to_owned()
        }
    };
    let search = format!("{base}/api/search?q=cup");
    let (mia, ann) = (token_of("mia").await, token_of("ann").await);
    assert_eq!(get_with(&client, &search, &mia).await.0, StatusCode::OK);

    let revoke = |key: String, body: serde_json::Value| {
        let request = client
            .post(format!("{base}/api/tokens/revocations"))
            .bearer_auth(key)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<serde_json::Value>().await.unwrap())
        }
    };
    // A token cannot revoke, not even its own person's.
    let (status, problem) = revoke(mia.clone(), serde_json::json!({"subject": "mia"})).await;
    assert_refused(status, &problem, (403, "forbidden", None));
    let (status, problem) = revoke("admin-secret".into(), serde_json::json!({"subject": " "})).await;
    assert_refused(status, &problem, (400, "invalid-request", Some("subject")));

    let (status, revoked) = revoke("admin-secret".into(), serde_json::json!({"subject": "mia"})).await;
    assert_eq!(status, StatusCode::CREATED, "{revoked}");
    assert_eq!(revoked["subject"], "mia");
    let (status, problem) = get_with(&client, &search, &mia).await;
    assert_refused(status, &problem, (401, "unauthorized", None));
    assert!(problem["detail"].as_str().unwrap().contains("revoked"), "{problem}");
    // Another person's token, and mia's next one, work.
    assert_eq!(get_with(&client, &search, &ann).await.0, StatusCode::OK);
    let again = token_of("mia").await;
    assert_eq!(get_with(&client, &search, &again).await.0, StatusCode::OK);
}

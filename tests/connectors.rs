//! The connectors against mock servers on loopback (wiremock) that answer
//! as the real systems do (shapes from the reference docs): a sync run
//! twice imports nothing twice; a sync killed half-way resumes from the
//! last committed cursor; 429 and 5xx are retried; a 401 refreshes the
//! token once; a Dropbox cursor reset starts over; a tampered Dropbox
//! notification is refused with 401 and changes nothing; Smint.io's
//! Pusher doorbell (a WebSocket server on loopback) subscribes with the
//! signature Smint.io gives and starts a sync when it rings.

mod common;

use assetgraph::config::Config;
use assetgraph::connectors::{self, Context};
use common::*;
use serde_json::{json, Value};
use std::sync::Arc;
use wiremock::matchers::{body_string_contains, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const LPTS: &str = include_str!("fixtures/sources/smintio-sync.json");
const LIST_FOLDER: &str = include_str!("fixtures/sources/dropbox-list-folder.json");
const PROJECT: &str = include_str!("fixtures/project.trig");

fn config(extra: &str) -> Config {
    toml::from_str(&format!(
        r#"
        [outbound]
        allowed_hosts = ["127.0.0.1:*"]
        [connectors]
        retry_base_ms = 5
        max_attempts = 3
        {extra}
        "#
    ))
    .unwrap()
}

fn context(dir: &std::path::Path, config: Config) -> Context {
    let store = Arc::new(assetgraph::store::Store::open(dir).unwrap());
    Context::new(store, config.connector_settings()).unwrap()
}

/// A Smint.io sync page of one transaction, with `uuid`, then `next`.
fn lpt_page(uuid: &str, next: &str) -> Value {
    let mut page: Value = serde_json::from_str(LPTS).unwrap();
    page["license_purchase_transactions"][0]["uuid"] = json!(uuid);
    page["continuation_uuid"] = json!(next);
    page["count"] = json!(1);
    page
}

fn empty_page(at: &str) -> Value {
    json!({"count": 0, "continuation_uuid": at, "license_purchase_transactions": []})
}

async fn smintio(server: &MockServer) -> Config {
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok-1", "refresh_token": "r-2", "expires_in": 3600})),
        )
        .mount(server)
        .await;
    config(&format!(
        r#"
        [connectors.smintio]
        api_base = "{0}/consumer/v1"
        token_url = "{0}/connect/token"
        client_id = "assetgraph"
        client_secret = "client-secret"
        refresh_token = "r-1"
        "#,
        server.uri()
    ))
}

const SYNC: &str = "/consumer/v1/sync/license-purchase-transactions";

/// Answers a sync page with `body` when the token is `bearer` (any when
/// `None`) and the request asks from `at` (`None`: without a cursor).
async fn page(server: &MockServer, bearer: Option<&str>, at: Option<&str>, body: Value) {
    let mut mock = Mock::given(method("GET")).and(path(SYNC));
    if let Some(token) = bearer {
        mock = mock.and(header("authorization", format!("Bearer {token}").as_str()));
    }
    mock = match at {
        Some(at) => mock.and(query_param("continuation_uuid", at)),
        None => mock.and(query_param_is_missing("continuation_uuid")),
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn smintio_twice_imports_nothing_twice() {
    let server = MockServer::start().await;
    let config = smintio(&server).await;
    page(&server, Some("tok-1"), Some("c1"), empty_page("c1")).await;
    page(&server, Some("tok-1"), None, lpt_page("79468", "c1")).await;
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), config);
    let first = connectors::sync(&context, "smintio").await.unwrap();
    assert_eq!((first.created, first.cursor.as_deref()), (1, Some("c1")), "{first:?}");
    let second = connectors::sync(&context, "smintio").await.unwrap();
    assert_eq!(second.records, 0, "{second:?}");
    assert_eq!(second.generation, first.generation, "the second sync wrote nothing");
    assert!(context
        .store
        .db()
        .contains_named_graph(&assetgraph::rdf::asset_iri("smintio:79468"))
        .unwrap());
    // The token file is the owner's only and holds the rotated refresh token.
    let tokens = std::fs::read_to_string(dir.path().join("connectors/smintio-token.json")).unwrap();
    assert!(tokens.contains("r-2"));
    assert_owner_only(&dir.path().join("connectors/smintio-token.json"));
    // The tokens live outside the store; their refresh is in the audit
    // trail all the same, without them.
    let window = assetgraph::audit::Window {
        limit: 100,
        ..Default::default()
    };
    let trail = assetgraph::audit::timeline(&context.store, &window).unwrap();
    let refreshes: Vec<_> = trail.iter().filter(|e| e.what == "connector.tokens").collect();
    assert_eq!(refreshes.len(), 1, "{trail:?}");
    assert_eq!(refreshes[0].who.as_deref(), Some("connector:Smint.io"));
    let text = format!("{trail:?}");
    assert!(!text.contains("tok-1") && !text.contains("r-2"), "{text}");
}

#[tokio::test]
async fn smintio_killed_half_way_resumes_from_the_last_committed_cursor() {
    let server = MockServer::start().await;
    let config = smintio(&server).await;
    // The second page fails on every call: the sync gives up after its retries.
    let broken = Mock::given(method("GET"))
        .and(path(SYNC))
        .and(query_param("continuation_uuid", "c1"))
        .respond_with(ResponseTemplate::new(500))
        .mount_as_scoped(&server)
        .await;
    page(&server, None, Some("c2"), empty_page("c2")).await;
    Mock::given(method("GET"))
        .and(path(SYNC))
        .and(query_param_is_missing("continuation_uuid"))
        .respond_with(ResponseTemplate::new(200).set_body_json(lpt_page("79468", "c1")))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), config);
    let error = connectors::sync(&context, "smintio").await.unwrap_err();
    assert!(error.to_string().contains("500"), "{error}");
    assert_eq!(broken.received_requests().await.len(), 3, "retried up to max_attempts");
    assert_eq!(
        connectors::cursor(&context.store, "smintio").unwrap().as_deref(),
        Some("c1")
    );
    drop(broken);
    // The system is back: the next sync starts at c1, not at the beginning.
    page(&server, None, Some("c1"), lpt_page("79469", "c2")).await;
    let resumed = connectors::sync(&context, "smintio").await.unwrap();
    assert_eq!(
        (resumed.created, resumed.cursor.as_deref()),
        (1, Some("c2")),
        "{resumed:?}"
    );
}

#[tokio::test]
async fn smintio_429_and_503_are_retried_and_a_401_refreshes_the_token_once() {
    let server = MockServer::start().await;
    // The first token is refused; the refreshed one is accepted.
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "stale", "expires_in": 3600})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "fresh", "expires_in": 3600})))
        .expect(1)
        .mount(&server)
        .await;
    let config = config(&format!(
        r#"
        [connectors.smintio]
        api_base = "{0}/consumer/v1"
        token_url = "{0}/connect/token"
        client_id = "assetgraph"
        client_secret = "client-secret"
        refresh_token = "r-1"
        "#,
        server.uri()
    ));
    Mock::given(method("GET"))
        .and(path(SYNC))
        .and(header("authorization", "Bearer stale"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SYNC))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SYNC))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    page(&server, None, Some("c1"), empty_page("c1")).await;
    page(&server, Some("fresh"), None, lpt_page("79468", "c1")).await;
    let dir = tempfile::tempdir().unwrap();
    let report = connectors::sync(&context(dir.path(), config), "smintio").await.unwrap();
    assert_eq!(report.created, 1, "{report:?}");
}

/// A Pusher server on loopback for one connection: it establishes the
/// connection, hands over the client's subscription, pings, and then
/// rings once. Returns its URL, the request path and the subscription.
#[allow(clippy::result_large_err)] // the handshake callback's type is tungstenite's
async fn pusher_ringing_once() -> (String, tokio::sync::oneshot::Receiver<(String, Value)>) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{handshake::server, Message};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/app/test-key", listener.local_addr().unwrap());
    let (told, heard) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut asked = String::new();
        let mut socket = tokio_tungstenite::accept_hdr_async(stream, |request: &server::Request, response| {
            asked = request.uri().to_string();
            Ok(response)
        })
        .await
        .unwrap();
        let send = |value: Value| Message::text(value.to_string());
        let established = json!({"socket_id": "123.456", "activity_timeout": 120}).to_string();
        socket
            .send(send(
                json!({"event": "pusher:connection_established", "data": established}),
            ))
            .await
            .unwrap();
        let subscription: Value = match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => serde_json::from_str(&text).unwrap(),
            other => panic!("expected the subscription, got {other:?}"),
        };
        let channel = subscription["data"]["channel"].as_str().unwrap_or_default().to_owned();
        socket
            .send(send(
                json!({"event": "pusher_internal:subscription_succeeded", "channel": channel, "data": "{}"}),
            ))
            .await
            .unwrap();
        socket
            .send(send(json!({"event": "pusher:ping", "data": "{}"})))
            .await
            .unwrap();
        let pong: Value = match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => serde_json::from_str(&text).unwrap(),
            other => panic!("expected a pong, got {other:?}"),
        };
        assert_eq!(pong["event"], "pusher:pong");
        // Another channel's event rings nothing; this channel's does.
        let ring = |channel: &str| json!({"event": "global-transaction-history-update", "channel": channel, "data": "{\"id\":1}"});
        socket.send(send(ring("private-2-7"))).await.unwrap();
        socket.send(send(ring(&channel))).await.unwrap();
        told.send((asked, subscription)).unwrap();
        // Stay connected while the sync runs.
        while socket.next().await.is_some() {}
    });
    (url, heard)
}

#[tokio::test]
async fn the_smintio_doorbell_subscribes_signed_and_a_ring_starts_a_sync() {
    let server = MockServer::start().await;
    let (pusher, heard) = pusher_ringing_once().await;
    let mut config = smintio(&server).await;
    let smintio = config.connectors.smintio.as_mut().unwrap();
    smintio.channel_id = Some(42);
    smintio.pusher_url = pusher;
    Mock::given(method("POST"))
        .and(path("/consumer/v1/notifications/pusher/auth"))
        .and(header("authorization", "Bearer tok-1"))
        .and(body_string_contains("socket_id=123.456"))
        .and(body_string_contains("channel_name=private-2-42"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"auth": "test-key:5f1a"})))
        .expect(1)
        .mount(&server)
        .await;
    page(&server, Some("tok-1"), Some("c1"), empty_page("c1")).await;
    page(&server, Some("tok-1"), None, lpt_page("79468", "c1")).await;
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), config);
    let tasks = connectors::spawn_schedules(&context);
    assert_eq!(tasks.len(), 1, "the doorbell, and no schedule");

    let (asked, subscription) = tokio::time::timeout(std::time::Duration::from_secs(20), heard)
        .await
        .expect("the doorbell connected and subscribed")
        .unwrap();
    assert!(asked.starts_with("/app/test-key?protocol=7&"), "{asked}");
    assert_eq!(
        subscription,
        json!({"event": "pusher:subscribe", "data": {"channel": "private-2-42", "auth": "test-key:5f1a"}})
    );
    let asset = assetgraph::rdf::asset_iri("smintio:79468");
    for _ in 0..200 {
        if connectors::cursor(&context.store, "smintio").unwrap().as_deref() == Some("c1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        context.store.db().contains_named_graph(&asset).unwrap(),
        "the ring started a sync"
    );
    let syncs = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == SYNC && r.url.query().is_none_or(|q| !q.contains("continuation_uuid")))
        .count();
    assert_eq!(syncs, 1, "one ring, one sync (the other channel's event rang nothing)");
    for task in tasks {
        task.abort();
    }
}

#[tokio::test]
async fn a_doorbell_on_a_host_not_allowed_is_never_opened() {
    let doorbell = connectors::pusher::Doorbell {
        url: "wss://ws-eu.pusher.com/app/32f31c26a83e09dc401b",
        channel: "private-2-42",
        event: "global-transaction-history-update",
        allowed_hosts: &["127.0.0.1:*".to_owned()],
    };
    let sign = |_socket_id: String| async { panic!("nothing to sign without a connection") };
    let error = connectors::pusher::listen(&doorbell, sign, || panic!("no ring"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("ws-eu.pusher.com"), "{error}");
}

fn dropbox_config(server: &MockServer) -> Config {
    config(&format!(
        r#"
        [connectors.dropbox]
        api_base = "{0}/2"
        token_url = "{0}/oauth2/token"
        app_key = "app-key"
        app_secret = "app-secret"
        refresh_token = "r-1"
        "#,
        server.uri()
    ))
}

async fn dropbox_token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "dbx", "expires_in": 14400})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn dropbox_follows_its_cursor_and_starts_over_on_reset() {
    let server = MockServer::start().await;
    dropbox_token(&server).await;
    let mut first: Value = serde_json::from_str(LIST_FOLDER).unwrap();
    first["cursor"] = json!("k1");
    first["has_more"] = json!(false);
    Mock::given(method("POST"))
        .and(path("/2/files/list_folder"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&first))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/files/list_folder/continue"))
        .and(body_string_contains("\"k1\""))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"entries": [], "cursor": "k2", "has_more": false})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/files/list_folder/continue"))
        .and(body_string_contains("\"k2\""))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(json!({"error_summary": "reset/..", "error": {".tag": "reset"}})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), dropbox_config(&server));
    let first_sync = connectors::sync(&context, "dropbox").await.unwrap();
    assert_eq!(first_sync.created, 2, "a file and a folder: {first_sync:?}");
    let again = connectors::sync(&context, "dropbox").await.unwrap();
    assert_eq!((again.records, again.cursor.as_deref()), (0, Some("k2")));
    // k2 is reset: list the folder again; the same records change nothing.
    let reset = connectors::sync(&context, "dropbox").await.unwrap();
    assert_eq!(
        (reset.created, reset.unchanged, reset.cursor.as_deref()),
        (0, 2, Some("k1")),
        "{reset:?}"
    );
    let listings = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r: &&Request| r.url.path() == "/2/files/list_folder")
        .count();
    assert_eq!(listings, 2);
}

#[tokio::test]
async fn a_tampered_dropbox_notification_is_refused_and_changes_nothing() {
    let server = MockServer::start().await;
    dropbox_token(&server).await;
    Mock::given(method("POST"))
        .and(path("/2/files/list_folder"))
        .respond_with(ResponseTemplate::new(200).set_body_string(LIST_FOLDER))
        .mount(&server)
        .await;
    let app = start_server(dropbox_config(&server)).await;
    let client = reqwest::Client::new();
    let hook = format!("{}/api/connectors/dropbox/webhook", app.base);

    let challenge = client.get(format!("{hook}?challenge=abc123")).send().await.unwrap();
    assert_eq!(challenge.headers()["x-content-type-options"], "nosniff");
    assert_eq!(challenge.text().await.unwrap(), "abc123");

    let body =
        r#"{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]}, "delta": {"users": [12345]}}"#;
    let generation = app.store.generation();
    let good = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"app-secret").unwrap();
        mac.update(body.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    let tampered = body.replace("12345", "12346");
    for (payload, signature) in [(tampered.as_str(), good.as_str()), (body, "00ff"), (body, "")] {
        let response = client
            .post(&hook)
            .header("x-dropbox-signature", signature)
            .body(payload.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
    }
    // Refused before anything is spawned: nothing of theirs can land later.
    assert_eq!(
        app.store.generation(),
        generation,
        "a refused notification changed the store"
    );

    let accepted = client
        .post(&hook)
        .header("x-dropbox-signature", &good)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), reqwest::StatusCode::OK);
    for _ in 0..200 {
        if app
            .store
            .db()
            .contains_named_graph(&assetgraph::rdf::asset_iri("dropbox:id:a4ayc_80_OEAAAAAAAAAXw"))
            .unwrap()
        {
            // Had a refused notification started a sync, it would have
            // listed the folder too, before this one did.
            let listings = server
                .received_requests()
                .await
                .unwrap()
                .iter()
                .filter(|r| r.url.path() == "/2/files/list_folder")
                .count();
            assert_eq!(listings, 1, "only the signed notification started a sync");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("a signed notification did not start a sync");
}

#[tokio::test]
async fn poolparty_pulls_the_export_only_when_the_history_has_changed() {
    let server = MockServer::start().await;
    let export = Mock::given(method("POST"))
        .and(path("/PoolParty/api/projects/shop/export"))
        .and(header("authorization", "Basic YXBpOnMzY3JldA=="))
        .and(body_string_contains("\"trig\""))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(PROJECT)
                .insert_header("content-type", "application/trig"),
        )
        .mount_as_scoped(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/PoolParty/api/history/shop"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let config = config(&format!(
        r#"
        [connectors.poolparty]
        base_url = "{}"
        project = "shop"
        user = "api"
        password = "s3cret"
        "#,
        server.uri()
    ));
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), config);
    // The first sync exports at once.
    let first = connectors::sync(&context, "poolparty").await.unwrap();
    assert_eq!(first.created, 1, "{first:?}");
    assert!(
        count(
            &context.store,
            "SELECT (COUNT(*) AS ?n) WHERE { ?c a <http://www.w3.org/2004/02/skos/core#Concept> }"
        ) > 0
    );
    // No history since: no export.
    let quiet = connectors::sync(&context, "poolparty").await.unwrap();
    assert_eq!(quiet.batches, 0, "{quiet:?}");
    assert_eq!(export.received_requests().await.len(), 1);
    let history = server.received_requests().await.unwrap();
    let asked = history
        .iter()
        .find(|r| r.url.path() == "/PoolParty/api/history/shop")
        .unwrap();
    assert!(asked.url.query().unwrap().starts_with("fromTime=20"), "{}", asked.url);
}

const GALLERY: &str = include_str!("fixtures/sources/photoshelter-gallery-images.json");
const SCALEFLEX_FILE: &str = include_str!("fixtures/sources/scaleflex-file.json");

#[tokio::test]
async fn photoshelter_polls_by_update_time() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/psapi/v3/mem/authenticate"))
        .and(header("x-ps-api-key", "ps-key"))
        .and(body_string_contains("mode=token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "ok", "data": {"token": "ps-token"}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/psapi/v3/mem/gallery/G0000xyz/images"))
        .and(header("x-ps-auth-token", "ps-token"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(GALLERY))
        .mount(&server)
        .await;
    let config = config(&format!(
        r#"
        [connectors.photoshelter]
        base_url = "{}/psapi/v3"
        api_key = "ps-key"
        email = "dam@example.com"
        password = "pw"
        galleries = ["G0000xyz"]
        "#,
        server.uri()
    ));
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), config);
    let first = connectors::sync(&context, "photoshelter").await.unwrap();
    assert_eq!(
        (first.created, first.cursor.as_deref()),
        (1, Some("2024-05-02 14:03:11")),
        "{first:?}"
    );
    let again = connectors::sync(&context, "photoshelter").await.unwrap();
    assert_eq!(again.records, 0, "nothing updated since: {again:?}");
}

#[tokio::test]
async fn scaleflex_polls_by_modification_and_marks_expired_files_once() {
    let server = MockServer::start().await;
    let file: Value = serde_json::from_str(SCALEFLEX_FILE).unwrap();
    let file = file["response"]["file"].clone();
    Mock::given(method("GET"))
        .and(path("/acme/v4/files"))
        .and(header("x-filerobot-key", "sf-key"))
        .and(query_param("sort_by", "modified_at"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "success", "files": [file]})))
        .mount(&server)
        .await;
    let marked = Mock::given(method("PUT"))
        .and(path("/acme/v4/file/a02e2968-9378-59bb-85a1-fa56d8d50000/meta"))
        .and(body_string_contains("\"rights_status\":\"expired\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "success"})))
        .mount_as_scoped(&server)
        .await;
    let config = config(&format!(
        r#"
        [connectors.scaleflex]
        base_url = "{}"
        container = "acme"
        api_key = "sf-key"
        "#,
        server.uri()
    ));
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), config);
    let first = connectors::sync(&context, "scaleflex").await.unwrap();
    assert_eq!(
        (first.created, first.cursor.as_deref()),
        (1, Some("2024-04-04T02:40:27Z"))
    );
    assert!(
        marked.received_requests().await.is_empty(),
        "a file without a grant is not a licence that ended"
    );

    // The file's licence (recorded here) ended yesterday.
    let yesterday = (time::OffsetDateTime::now_utc().date() - time::Duration::days(1)).to_string();
    let record = json!([{"id": "scaleflex:a02e2968-9378-59bb-85a1-fa56d8d50000", "title": "Harbour at dawn",
                         "rights": {"grants": [{"from": "2024-01-01", "until": yesterday}]}}]);
    let body = serde_json::to_vec(&record).unwrap();
    let rightsline = assetgraph::ingest::RightslineMapping::default();
    let mapping = assetgraph::ingest::Mapping {
        territories: assetgraph::rights::Territories::global(),
        rightsline: &rightsline,
        record_type: None,
    };
    let mapped = assetgraph::ingest::map_batch(assetgraph::ingest::Source::AssetGraph, &body, &mapping).unwrap();
    let how = assetgraph::assets::Ingest {
        source: assetgraph::ingest::Source::AssetGraph,
        actor: "test",
        tenant: "default",
        on_error: assetgraph::assets::OnError::Reject,
    };
    assetgraph::assets::upsert(&context.store, mapped, &how).unwrap();

    let second = connectors::sync(&context, "scaleflex").await.unwrap();
    assert_eq!(second.records, 0, "not modified since: {second:?}");
    assert_eq!(marked.received_requests().await.len(), 1, "the expired file is marked");
    connectors::sync(&context, "scaleflex").await.unwrap();
    assert_eq!(marked.received_requests().await.len(), 1, "and only once");
}

const RIGHTSLINE: &str = include_str!("fixtures/sources/rightsline-entities.json");
/// A certificate and key made for these tests (openssl, RSA 2048).
const SNS_CERT: &str = include_str!("fixtures/sns/signing-cert.pem");
const SNS_KEY: &[u8] = include_bytes!("fixtures/sns/signing-key.pk8");

fn rightsline_entity(id: i64) -> Value {
    let entities: Value = serde_json::from_str(RIGHTSLINE).unwrap();
    let list = entities
        .as_array()
        .cloned()
        .unwrap_or_else(|| entities["entities"].as_array().unwrap().clone());
    list.into_iter().find(|e| e["id"] == id).unwrap()
}

async fn rightsline(server: &MockServer) -> Config {
    Mock::given(method("POST"))
        .and(path("/v4/auth/temporary-credentials"))
        .and(header("x-api-key", "company-key"))
        .and(body_string_contains("\"accessKey\":\"AKUSER\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "accessKey": "ASIATEMP", "secretKey": "temp-secret", "sessionToken": "session-1",
            "expiration": "2099-01-01T00:00:00Z"})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/cert.pem"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SNS_CERT))
        .mount(server)
        .await;
    config(&format!(
        r#"
        [connectors.rightsline]
        base_url = "{0}"
        api_key = "company-key"
        access_key = "AKUSER"
        secret_key = "user-secret"
        sns_hosts = ["127.0.0.1"]
        usage_template_id = 42
        "#,
        server.uri()
    ))
}

/// Matches calls signed with SigV4 by the temporary credentials.
struct SignedByTemporaryCredentials;

impl wiremock::Match for SignedByTemporaryCredentials {
    fn matches(&self, request: &Request) -> bool {
        let value = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        let authorization = value("authorization");
        let signature = authorization.rsplit("Signature=").next().unwrap_or("");
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=ASIATEMP/")
            && authorization.contains("/us-west-2/execute-api/aws4_request")
            && authorization.contains("SignedHeaders=")
            && signature.len() == 64
            && value("x-amz-security-token") == "session-1"
            && value("x-api-key") == "company-key"
            && !value("x-amz-date").is_empty()
    }
}

/// An SNS message signed (SignatureVersion 2) with the test key.
fn sns_message(server: &MockServer, kind: &str, message: &str, extra: &[(&str, String)]) -> Value {
    let mut fields: Vec<(&str, String)> = vec![
        ("Message", message.to_owned()),
        ("MessageId", "00000000-0000-4000-8000-000000000002".into()),
        ("Timestamp", "2026-11-24T09:00:00.000Z".into()),
        (
            "TopicArn",
            "arn:aws:sns:us-west-2:000000000000:dev-rtl-div165-v4-ct3".into(),
        ),
        ("Type", kind.to_owned()),
    ];
    fields.extend(extra.iter().cloned());
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let signed: String = fields.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect();
    let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(SNS_KEY).unwrap();
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .unwrap();
    use base64::Engine;
    let mut envelope: serde_json::Map<String, Value> =
        fields.into_iter().map(|(k, v)| (k.to_owned(), json!(v))).collect();
    envelope.insert("SignatureVersion".into(), json!("2"));
    envelope.insert(
        "Signature".into(),
        json!(base64::engine::general_purpose::STANDARD.encode(signature)),
    );
    envelope.insert("SigningCertURL".into(), json!(format!("{}/cert.pem", server.uri())));
    Value::Object(envelope)
}

#[tokio::test]
async fn rightsline_sns_confirms_verifies_and_fetches_the_entity() {
    let server = MockServer::start().await;
    let config = rightsline(&server).await;
    Mock::given(method("GET"))
        .and(path("/confirm"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let entity = Mock::given(method("GET"))
        .and(path("/v4/right/2200"))
        .and(SignedByTemporaryCredentials)
        .respond_with(ResponseTemplate::new(200).set_body_json(rightsline_entity(2200)))
        .mount_as_scoped(&server)
        .await;
    let app = start_server(config).await;
    let client = reqwest::Client::new();
    let sns = format!("{}/api/connectors/rightsline/sns", app.base);

    let confirmation = sns_message(
        &server,
        "SubscriptionConfirmation",
        "You have chosen to subscribe to the topic",
        &[
            ("SubscribeURL", format!("{}/confirm", server.uri())),
            ("Token", "token-1".into()),
        ],
    );
    let answer = post_for_json(&client, &sns, &confirmation).await;
    assert_eq!(answer["outcome"], "Confirmed", "{answer}");

    let message = r#"{"rootEntity":{"entityId":26,"charTypeId":1},"action":"updated","messageGroupId":3,"entity":{"entityId":2200,"charTypeId":3}}"#;
    let notification = sns_message(
        &server,
        "Notification",
        message,
        &[("Subject", "RIGHT #2200 UPDATED".into())],
    );

    // Tampered: the message changed after signing. Refused, nothing done.
    let generation = app.store.generation();
    let mut tampered = notification.clone();
    tampered["Message"] = json!(message.replace("2200", "2199"));
    let refused = client.post(&sns).json(&tampered).send().await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    let mut unsigned = notification.clone();
    unsigned["SigningCertURL"] = json!("https://evil.example.org/cert.pem");
    let refused = client.post(&sns).json(&unsigned).send().await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.store.generation(),
        generation,
        "a refused message changed the store"
    );
    assert!(entity.received_requests().await.is_empty());

    // Genuine: recorded, and the right fetched (signed) and ingested.
    let answer = post_for_json(&client, &sns, &notification).await;
    assert_eq!(answer["outcome"], "Notified", "{answer}");
    assert_eq!(entity.received_requests().await.len(), 1);
    assert!(app
        .store
        .db()
        .contains_named_graph(&assetgraph::rdf::asset_iri("rightsline:right:2200"))
        .unwrap());
}

#[tokio::test]
async fn rightsline_sync_searches_signed_and_the_usage_export_posts_records() {
    let server = MockServer::start().await;
    let config = rightsline(&server).await;
    let catalog = rightsline_entity(26);
    Mock::given(method("POST"))
        .and(path("/v4/catalog-item/search"))
        .and(SignedByTemporaryCredentials)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"numFound": 1, "entities": [catalog]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v4/right/search"))
        .and(SignedByTemporaryCredentials)
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"numFound": 2, "entities": [rightsline_entity(2199), rightsline_entity(2200)]})),
        )
        .mount(&server)
        .await;
    let export = Mock::given(method("POST"))
        .and(path("/v4/table"))
        .and(SignedByTemporaryCredentials)
        .and(body_string_contains("\"templateId\":42"))
        .and(body_string_contains("\"usage_count\":2"))
        .and(body_string_contains("\"parentRecordId\":26"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 9001})))
        .expect(1)
        .mount_as_scoped(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let context = context(dir.path(), config.clone());
    let report = connectors::sync(&context, "rightsline").await.unwrap();
    assert_eq!(report.created, 3, "{report:?}");

    // Two uses of the catalog item in October, then the export.
    let events = json!([
        {"asset": "rightsline:catalog-item:26", "user": "a", "action": "publish", "at": "2026-10-03T10:00:00Z"},
        {"asset": "rightsline:catalog-item:26", "user": "b", "action": "view", "at": "2026-10-04T10:00:00Z"}
    ]);
    let how = assetgraph::usage::Recording {
        actor: "test",
        tenant: "default",
        sees: None,
        on_error: assetgraph::usage::OnError::Reject,
        now: time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    let parsed = assetgraph::usage::parse_batch(events.to_string().as_bytes()).unwrap();
    assetgraph::usage::record(
        &context.store,
        parsed,
        &assetgraph::records::FromStore(&context.store),
        &how,
    )
    .unwrap();
    let settings = config.connectors.rightsline.clone().unwrap();
    let (from, to) = (
        assetgraph::rdf::time::parse("2026-10-01").unwrap(),
        assetgraph::rdf::time::parse("2026-11-01").unwrap(),
    );
    let posted = connectors::rightsline::export_usage(&context, &settings, from, to)
        .await
        .unwrap();
    assert_eq!(posted, 1);
    assert_eq!(export.received_requests().await.len(), 1);
}

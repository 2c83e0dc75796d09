//! Webhooks end to end on loopback: a receiver that fails every event
//! twice still accepts each event exactly once by id — also when the
//! server restarts between the attempts — every body carries a valid
//! signature, the delivery log shows the attempts, and a receiver that
//! keeps failing ends in the dead letters, from which an admin requeues.
//! Also: taxonomy pushes raise `taxonomy.updated` through the change feed,
//! the clock raises licence and clearance events once each, and the
//! alerts endpoint answers for a context.

mod common;

use common::{fetch_json, post_for_json};

use assetgraph::alerts::background;
use assetgraph::config::Config;
use assetgraph::http::{router, AppState};
use assetgraph::index::SearchIndex;
use assetgraph::store::Store;
use assetgraph::webhooks::{self, Event};
use axum::http::{HeaderMap, StatusCode};
use reqwest::Client;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "a-secret-of-some-length";

/// What the receiver saw: per event id, the statuses it answered.
#[derive(Default)]
struct Received {
    answers: HashMap<String, Vec<u16>>,
    bad_signatures: usize,
    /// Accepted bodies by event id.
    accepted: HashMap<String, Value>,
}

/// A receiver on loopback that fails the first `failures` attempts of
/// every event with 500 and accepts the next; its URL.
async fn receiver(failures: usize, seen: Arc<Mutex<Received>>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                if !signature_is_valid(&headers, &body) {
                    seen.bad_signatures += 1;
                    return StatusCode::UNAUTHORIZED;
                }
                let id = headers["x-assetgraph-event-id"].to_str().unwrap().to_owned();
                let answers = seen.answers.entry(id.clone()).or_default();
                let status = if answers.len() < failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                };
                answers.push(status.as_u16());
                if status == StatusCode::OK {
                    // A receiver drops what it accepted before, by id.
                    seen.accepted
                        .entry(id)
                        .or_insert_with(|| serde_json::from_str(&body).unwrap());
                }
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// What a receiver does: recompute the HMAC over "<t>.<body>".
fn signature_is_valid(headers: &HeaderMap, body: &str) -> bool {
    let Some(header) = headers.get("x-assetgraph-signature").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some((t, v1)) = header
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
    else {
        return false;
    };
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap_or_default()).is_ok()
}

fn config(url: &str, max_attempts: u32) -> Config {
    toml::from_str(&format!(
        r#"
        [outbound]
        allowed_hosts = ["127.0.0.1:*"]
        [webhooks]
        retry_base_ms = 10
        max_attempts = {max_attempts}
        poll_ms = 50
        [[webhooks.subscriptions]]
        name = "dam"
        url = "{url}"
        secret = "{SECRET}"
        [alerts]
        interval_secs = 0
        "#
    ))
    .unwrap()
}

/// A running server with its background work, on a data directory that
/// outlives it.
struct Running {
    base: String,
    state: AppState,
    server: tokio::task::JoinHandle<()>,
    background: background::Background,
}

async fn start(dir: &Path, config: Config) -> Running {
    // The previous process's store may still be closing: retry the lock.
    let store = loop {
        match Store::open(dir) {
            Ok(store) => break Arc::new(store),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let index = Arc::new(SearchIndex::open(&dir.join("index"), &store).unwrap());
    store.subscribe(index.clone());
    let state = AppState::new(store.clone(), index.clone(), config).unwrap();
    let background = background::start(store, index, state.subscriptions.clone(), &state.config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(state.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Running {
        base,
        state,
        server,
        background,
    }
}

impl Running {
    async fn stop(self) {
        drop(self.background);
        self.server.abort();
        let _ = self.server.await;
        drop(self.state);
    }
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

fn licence_event(n: usize) -> Event {
    Event::new(
        format!("licence.expiring:test:{n}"),
        "licence.expiring",
        1_790_000_000,
        json!({"asset": format!("brand:{n}")}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_twice_gets_each_event_once_across_a_restart() {
    let seen = Arc::new(Mutex::new(Received::default()));
    let url = receiver(2, seen.clone()).await;
    let dir = tempfile::tempdir().unwrap();

    let running = start(dir.path(), config(&url, 8)).await;
    let client = Client::new();
    // One event through the change feed (a taxonomy push), two enqueued
    // the way the clock enqueues them.
    let push = client
        .put(format!("{}/api/taxonomies/animals", running.base))
        .header("content-type", "text/turtle")
        .body(include_str!("fixtures/taxonomy-v1.ttl"))
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), reqwest::StatusCode::CREATED);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let store = running.state.store.clone();
    let subscriptions = running.state.subscriptions.clone();
    webhooks::enqueue(
        &store,
        vec![licence_event(1), licence_event(2)],
        &subscriptions,
        None,
        now,
    )
    .unwrap();
    drop((store, subscriptions));

    // Every event has failed once: restart the server.
    wait_for("a first attempt of every event", || {
        let seen = seen.lock().unwrap();
        seen.answers.len() == 3 && seen.answers.values().all(|a| !a.is_empty())
    })
    .await;
    running.stop().await;
    let running = start(dir.path(), config(&url, 8)).await;

    wait_for("every event accepted", || seen.lock().unwrap().accepted.len() == 3).await;
    // Once nothing is left to deliver, ever, no delivery can repeat.
    wait_for("an outbox with nothing left to deliver", || {
        webhooks::due(&running.state.store, i64::MAX, 1).unwrap().is_empty()
    })
    .await;
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.bad_signatures, 0);
        for (id, answers) in &seen.answers {
            assert_eq!(
                answers,
                &[500, 500, 200],
                "event {id} was not delivered exactly once after two failures"
            );
        }
        let taxonomy = seen
            .accepted
            .values()
            .find(|e| e["type"] == "taxonomy.updated")
            .unwrap();
        assert!(
            taxonomy["data"]["summary"].as_str().unwrap().contains("animals"),
            "{taxonomy}"
        );
        assert!(seen.accepted.contains_key("licence.expiring:test:1"));
    }

    // The delivery log tells the same story.
    let log: Value = fetch_json(
        &client,
        &format!("{}/api/webhooks/deliveries?state=delivered", running.base),
    )
    .await;
    let deliveries = log["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 3, "{log}");
    for delivery in deliveries {
        let statuses: Vec<u64> = delivery["log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["status"].as_u64().unwrap())
            .collect();
        // An attempt under way when the first server stopped reached the
        // receiver but was never recorded; it is retried, not lost.
        let interrupted = statuses == [500, 200];
        assert!(statuses == [500, 500, 200] || interrupted, "{delivery}");
        assert_eq!(delivery["attempts"], statuses.len(), "{delivery}");
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_keeps_failing_ends_in_the_dead_letters_until_requeued() {
    let seen = Arc::new(Mutex::new(Received::default()));
    let url = receiver(3, seen.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), config(&url, 2)).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    webhooks::enqueue(
        &running.state.store,
        vec![licence_event(7)],
        &running.state.subscriptions,
        None,
        now,
    )
    .unwrap();
    let client = Client::new();
    let dead = |base: String| {
        let client = client.clone();
        async move {
            let log: Value = fetch_json(&client, &format!("{base}/api/webhooks/deliveries?state=dead")).await;
            log["deliveries"].as_array().unwrap().len()
        }
    };
    for _ in 0..400 {
        if dead(running.base.clone()).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        dead(running.base.clone()).await,
        1,
        "two failed attempts make a dead letter"
    );
    assert_eq!(seen.lock().unwrap().answers["licence.expiring:test:7"], [500, 500]);

    // Requeued, it is attempted again (and fails a third time, then is accepted).
    let redeliver = format!("{}/api/webhooks/dam/redeliver", running.base);
    let requeued = post_for_json(&client, &redeliver, &json!({})).await;
    assert_eq!(requeued["requeued"], 1);
    wait_for("the requeued event accepted", || {
        seen.lock().unwrap().accepted.len() == 1
    })
    .await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_through_the_api_are_checked_kept_and_never_show_their_secret() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), config("http://127.0.0.1:9/hook", 8)).await;
    let client = Client::new();
    let base = &running.base;
    let created = client
        .post(format!("{base}/api/webhooks"))
        .json(&json!({"name": "crm", "url": "http://127.0.0.1:9/crm", "events": ["asset.*"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        created["secret"].as_str().unwrap().len(),
        48,
        "a generated secret is shown once"
    );

    for (body, field) in [
        (
            json!({"name": "x", "url": "https://elsewhere.example.org/", "secret": SECRET}),
            "forbidden",
        ),
        (
            json!({"name": "y", "url": "http://127.0.0.1:9/", "events": ["licence.renewed"], "secret": SECRET}),
            "events",
        ),
        (
            json!({"name": "crm", "url": "http://127.0.0.1:9/", "secret": SECRET}),
            "conflict",
        ),
    ] {
        let response = client
            .post(format!("{base}/api/webhooks"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{body}");
        let problem: Value = response.json().await.unwrap();
        let text = problem.to_string();
        assert!(text.contains(field), "{text}");
    }
    let list: Value = fetch_json(&client, &format!("{base}/api/webhooks")).await;
    assert_eq!(list["subscriptions"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(SECRET), "secrets never leave the service");
    // Subscriptions live outside the store, yet each change is in the audit
    // trail: who, which name, which host; never the secret.
    let trail = fetch_json(&client, &format!("{base}/api/audit")).await.to_string();
    assert!(trail.contains("webhook.subscribe"), "{trail}");
    assert!(trail.contains("'crm' delivers asset.* to 127.0.0.1"), "{trail}");
    assert!(!trail.contains(created["secret"].as_str().unwrap()), "{trail}");
    running.stop().await;

    // Kept across a restart, in a file only its owner reads.
    let running = start(dir.path(), config("http://127.0.0.1:9/hook", 8)).await;
    assert!(running.state.subscriptions.get("crm").is_some());
    common::assert_owner_only(&dir.path().join("webhooks.json"));
    let removed = client
        .delete(format!("{}/api/webhooks/crm", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), reqwest::StatusCode::NO_CONTENT);
    let trail = fetch_json(&client, &format!("{}/api/audit", running.base))
        .await
        .to_string();
    assert!(trail.contains("webhook.unsubscribe"), "{trail}");
    running.stop().await;
}

fn day(offset: i64) -> String {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(offset);
    date.to_string()
}

/// Three assets: one cleared in Germany until ten days from now (and
/// everywhere in print for a year), one with nine of ten downloads used,
/// one with no end.
fn assets() -> String {
    json!([
        {"id": "brand:ending", "title": "Ending soon", "rights": {"grants": [
            {"territory": "DE", "from": day(-100), "until": day(10)},
            {"channel": "print", "from": day(-100), "until": day(365)}
        ]}},
        {"id": "brand:limited", "title": "Nearly used up", "rights": {"max_downloads": 10, "downloads": 9, "grants": [{"from": day(-100)}]}},
        {"id": "brand:forever", "title": "Forever", "rights": {"grants": [{"from": day(-100)}]}}
    ])
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_answer_for_a_context() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), config("http://127.0.0.1:9/hook", 8)).await;
    let client = Client::new();
    let base = &running.base;
    let ingest = client
        .post(format!("{base}/api/ingest/assetgraph"))
        .body(assets())
        .send()
        .await
        .unwrap();
    assert_eq!(ingest.status(), reqwest::StatusCode::CREATED);
    let alerts = |query: &str| {
        let url = format!("{base}/api/alerts/expiring?{query}");
        let client = client.clone();
        async move { fetch_json(&client, &url).await }
    };
    let kinds = |answer: &Value| -> Vec<(String, String)> {
        answer["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["asset"].as_str().unwrap().to_owned(),
                    a["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Germany, online: the German grant is the only one that admits it.
    let german_web = alerts("within=P30D&territory=DE&channel=web").await;
    assert_eq!(
        kinds(&german_web),
        [
            ("brand:ending".into(), "licence-ending".into()),
            ("brand:limited".into(), "download-limit".into())
        ],
        "{german_web}"
    );
    assert!(german_web["alerts"][0]["grants"][0]
        .as_str()
        .unwrap()
        .ends_with("#grant-1"));
    // In print the other grant runs for a year: nothing ends within 30 days.
    let print = alerts("within=P30D&territory=DE&channel=print").await;
    assert_eq!(kinds(&print), [("brand:limited".into(), "download-limit".into())]);
    // A shorter window, and a higher threshold for downloads.
    let soon = alerts("within=P5D&territory=DE&channel=web&downloads=0.95").await;
    assert!(kinds(&soon).is_empty(), "{soon}");
    for bad in ["within=30", "within=P1M", "territory=Atlantis", "downloads=2"] {
        let response = client
            .get(format!("{base}/api/alerts/expiring?{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST, "{bad}");
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_raises_each_licence_and_clearance_event_once() {
    use assetgraph::alerts::events::run_tick;
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), config("http://127.0.0.1:9/hook", 8)).await;
    let client = Client::new();
    let ingest = client
        .post(format!("{}/api/ingest/assetgraph", running.base))
        .body(assets().replace(
            &format!(r#","until":"{}""#, day(365)),
            &format!(r#","until":"{}""#, day(10)),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ingest.status(), reqwest::StatusCode::CREATED);
    let (store, index, subscriptions) = (
        running.state.store.clone(),
        running.state.index.clone(),
        running.state.subscriptions.clone(),
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let horizon = 30 * 86_400;
    let tick = |at: i64| run_tick(&store, &*index, &subscriptions, at, horizon, true).unwrap();
    // First tick: only what is ahead.
    let first = tick(now);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].starts_with("licence.expiring:brand:ending:"));
    assert!(tick(now + 60).is_empty(), "the same ending is raised once");
    // Eleven days on: both grants have ended and the asset is blocked.
    let later = tick(now + 11 * 86_400);
    let mut kinds: Vec<&str> = later.iter().map(|id| id.split(':').next().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["asset.blocked", "licence.expired"], "{later:?}");
    assert!(tick(now + 11 * 86_400 + 60).is_empty());
    drop((store, index, subscriptions));
    running.stop().await;
}

/// An event nobody hears is not kept: with no subscription the scheduler
/// writes nothing after an ingest (no second commit, no audit entry), and
/// a cursor left from earlier subscribers is dropped once, so that the next
/// subscriber starts from now rather than from a replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_subscription_the_scheduler_writes_nothing() {
    use assetgraph::alerts::events::run_tick;
    use assetgraph::webhooks::{Subscription, Subscriptions};
    let server = common::start_server(Config::default()).await;
    let ingest = Client::new()
        .post(format!("{}/api/ingest/assetgraph", server.base))
        .body(assets())
        .send()
        .await
        .unwrap();
    assert_eq!(ingest.status(), reqwest::StatusCode::CREATED);
    let (store, index) = (server.store.clone(), server.index.clone());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let after_ingest = store.generation();
    let nobody = Subscriptions::none();
    assert!(run_tick(&store, &*index, &nobody, now, 86_400, true)
        .unwrap()
        .is_empty());
    assert_eq!(store.generation(), after_ingest, "no commit when nobody listens");

    // A subscriber's ticks keep a cursor; once the last one has gone, it
    // is dropped in one write, and then nothing more is written.
    let hook = Subscription {
        name: "hook".into(),
        url: "http://127.0.0.1:9/hook".into(),
        secret: SECRET.to_owned().into(),
        events: vec!["*".into()],
        tenant: None,
    };
    let listening = Subscriptions::new(vec![hook], None, vec!["127.0.0.1:*".into()]).unwrap();
    run_tick(&store, &*index, &listening, now, 86_400, true).unwrap();
    assert!(webhooks::cursor(&store).unwrap().generation.is_some());
    let with_cursor = store.generation();
    run_tick(&store, &*index, &nobody, now + 60, 86_400, true).unwrap();
    assert_eq!(
        store.generation(),
        with_cursor + 1,
        "the cursor is dropped in one write"
    );
    assert_eq!(webhooks::cursor(&store).unwrap(), webhooks::Cursor::default());
    run_tick(&store, &*index, &nobody, now + 120, 86_400, true).unwrap();
    assert_eq!(store.generation(), with_cursor + 1, "and then nothing is written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_blocks_an_asset_raises_asset_blocked_once() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), config("http://127.0.0.1:9/hook", 8)).await;
    let client = Client::new();
    let ingest = |body: String| {
        let (client, url) = (client.clone(), format!("{}/api/ingest/assetgraph", running.base));
        async move { client.post(url).body(body).send().await.unwrap().status() }
    };
    let store = running.state.store.clone();
    let raised = |prefix: &str| {
        common::count(
            &store,
            &format!(
                "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <urn:assetgraph:graph:outbox> {{
                   ?e <https://w3id.org/assetgraph/ns#eventId> ?id FILTER(STRSTARTS(?id, \"{prefix}\")) }} }}"
            ),
        )
    };
    assert!(ingest(assets()).await.is_success());
    // The scheduler has looked at the assets (their state is kept).
    wait_for("the first look", || {
        let asset = assetgraph::rdf::asset_iri("brand:forever");
        webhooks::announced(&store, &asset).unwrap() == Some(true)
    })
    .await;
    assert_eq!(raised("asset."), 0, "the first look raises nothing");

    // The record is cancelled: blocked, once.
    let cancelled = json!([{"id": "brand:forever", "title": "Forever",
                            "rights": {"cancelled": true, "grants": [{"from": day(-100)}]}}]);
    assert!(ingest(cancelled.to_string()).await.is_success());
    wait_for("asset.blocked", || raised("asset.blocked:brand:forever:g") == 1).await;
    // Restored: cleared again.
    let restored = json!([{"id": "brand:forever", "title": "Forever", "rights": {"grants": [{"from": day(-100)}]}}]);
    let before = store.generation();
    assert!(ingest(restored.to_string()).await.is_success());
    wait_for("asset.cleared", || raised("asset.cleared:brand:forever:g") == 1).await;
    // The scheduler has looked at every change up to the last ingest (its
    // cursor is past the generation before it): what it raised is all it
    // will raise for them.
    wait_for("the look after the last ingest", || {
        webhooks::cursor(&store).unwrap().generation > Some(before)
    })
    .await;
    assert_eq!(raised("asset.blocked:"), 1);
    assert_eq!(raised("asset."), 2, "nothing else was raised for the unchanged assets");
    drop(store);
    running.stop().await;
}

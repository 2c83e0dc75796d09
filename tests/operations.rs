//! What the people who run the service rely on, against the real binary:
//! each request's id in its answer and in its one log line, with who asked
//! and how long it took in numbers; logs that a file can hold.

mod common;

use common::*;

use serde_json::Value;
use std::time::{Duration, Instant};

/// The log entries of the requests to `path`, waiting a little for them.
fn request_lines(served: &Served, path: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let found: Vec<Value> = (served.log.lock().unwrap().iter())
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|entry| entry["span"]["name"] == "request" && entry["span"]["path"] == path)
            .filter(|entry| entry["fields"]["message"] == "close")
            .collect();
        if !found.is_empty() || started.elapsed() > Duration::from_secs(5) {
            return found;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_request_has_an_id_in_its_answer_and_its_log_line() {
    let served = Served::start(&config_with_keys(""), &[]);
    let client = reqwest::Client::new();
    let response = client
        .get(served.url("/api/taxonomies"))
        .header("Authorization", bearer("reader"))
        .header("X-Request-Id", "from-the-proxy-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-request-id"],
        "from-the-proxy-1",
        "a client's own id is kept"
    );
    let lines = request_lines(&served, "/api/taxonomies");
    assert_eq!(lines.len(), 1, "one line per request: {lines:?}");
    let span = &lines[0]["span"];
    assert_eq!(span["request_id"], "from-the-proxy-1", "{span}");
    assert_eq!(span["caller"], "reader", "the key's name: {span}");
    assert_eq!(span["status"], 200, "{span}");
    assert!(span["duration_ms"].is_number(), "a number, not a string: {span}");

    // An id that is not a short token of safe characters is replaced.
    let response = client
        .get(served.url("/health"))
        .header("X-Request-Id", "x".repeat(300))
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id.len() <= 64 && !id.contains("xxxx"), "{id}");
    // Refusals too, and no secret reaches the log.
    let refused = client
        .get(served.url("/api/taxonomies"))
        .header("Authorization", "Bearer not-a-key-s3cr3t")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().contains_key("x-request-id"));
    let log = served.log.lock().unwrap().join("\n");
    assert!(
        !log.contains("s3cr3t") && !log.contains("reader-secret"),
        "a secret reached the log"
    );
}

#[test]
fn a_log_written_to_a_file_has_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("serve.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_assetgraph"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .env_remove("ASSETGRAPH_API_KEYS")
        .env_remove("RUST_LOG")
        .stderr(log_file)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if text.contains("assetgraph listening") || started.elapsed() > Duration::from_secs(60) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("assetgraph listening"), "{text}");
    assert!(!text.contains('\u{1b}'), "escape codes in a log file: {text:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_by_route_and_read_the_store() {
    let toml = config_with_keys("")
        + "[[keys]]\nname = \"scoped\"\nrole = \"analyst\"\nsecret = \"scoped-secret-0123456789\"\ntenants = [\"acme\"]\n";
    let server = start_server(toml::from_str(&toml).unwrap()).await;
    let client = reqwest::Client::new();
    for id in ["a:1", "a:%2F..%2Fb", "a:3"] {
        let response = client
            .get(format!("{}/api/assets/{id}", server.base))
            .header("Authorization", bearer("reader"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
    }
    let scrape = |key: &'static str| {
        let request = client
            .get(format!("{}/metrics", server.base))
            .header("Authorization", key)
            .send();
        async move {
            let response = request.await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(
        scrape("Bearer reader-secret-0123456789").await.0,
        403,
        "readers do not read metrics"
    );
    let (status, scoped) = scrape("Bearer scoped-secret-0123456789").await;
    assert_eq!(status, 403, "a key limited to tenants does not: {scoped}");
    let (status, text) = scrape("Bearer analyst-secret-0123456789").await;
    assert_eq!(status, 200, "{text}");
    // Counted by the route's pattern, whatever the path asked.
    assert!(
        text.contains(r#"assetgraph_http_requests_total{method="GET",route="/api/assets/{*id}",status="404"} 3"#),
        "{text}"
    );
    assert!(!text.contains("%2F"), "no path a client chose becomes a series: {text}");
    let timed = text.lines().find(|l| {
        l.starts_with("assetgraph_http_request_duration_seconds_count{") && l.contains(r#"route="/api/assets/{*id}""#)
    });
    assert!(timed.is_some_and(|l| l.ends_with(" 3")), "each answer timed: {text}");
    let generation = server.store.generation();
    assert!(
        text.contains(&format!("assetgraph_store_generation {generation}\n")),
        "{text}"
    );
    assert!(text.contains("assetgraph_index_lag "), "{text}");
    assert!(text.contains("assetgraph_webhook_deliveries_pending 0\n"), "{text}");
    assert!(text.contains("assetgraph_webhook_dead_letters 0\n"), "{text}");
    assert!(text.contains("assetgraph_query_timeouts_total "), "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
}

/// Every quad of a store, as sorted N-Quads lines.
fn every_quad(store: &assetgraph::store::Store) -> Vec<String> {
    let mut lines: Vec<String> = store
        .db()
        .quads_for_pattern(None, None, None, None)
        .map(|q| q.unwrap().to_string())
        .collect();
    lines.sort_unstable();
    lines
}

/// Opens a restored data directory as `assetgraph restore` leaves it.
fn restored(
    backup: &std::path::Path,
) -> (
    tempfile::TempDir,
    assetgraph::store::Store,
    assetgraph::index::SearchIndex,
) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assetgraph::store::backup::restore(backup, &data).unwrap();
    let store = assetgraph::store::Store::open(&data).unwrap();
    let index = assetgraph::index::SearchIndex::open_for_rebuild(&data.join("index")).unwrap();
    index.rebuild(&store, &|_, _| {}).unwrap();
    (dir, store, index)
}

fn search_ids(index: &assetgraph::index::SearchIndex, q: &str) -> Vec<String> {
    let answer = index
        .search(&assetgraph::index::SearchRequest {
            q: q.into(),
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    let mut ids: Vec<String> = answer.hits.into_iter().map(|h| h.id).collect();
    ids.sort_unstable();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_while_writes_run_restores_whole_commits() {
    let server = start_server(toml::from_str(&config_with_keys("")).unwrap()).await;
    let client = reqwest::Client::new();
    const BATCH: usize = 10;
    let writer = {
        let (client, base) = (client.clone(), server.base.clone());
        tokio::spawn(async move {
            for batch in 0..40 {
                let records: Vec<Value> = (0..BATCH)
                    .map(|i| serde_json::json!({"id": format!("b{batch}-{i}"), "title": format!("Harbour record {batch} {i}"), "language": "en"}))
                    .collect();
                let response = client
                    .post(format!("{base}/api/ingest/assetgraph"))
                    .header("Authorization", bearer("editor"))
                    .json(&records)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success());
            }
        })
    };
    let backup = |name: &'static str| {
        let request = client
            .post(format!("{}/api/backups", server.base))
            .header("Authorization", bearer("admin"))
            .json(&serde_json::json!({"name": name}))
            .send();
        async move {
            let response = request.await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (status, taken) = backup("while-writing").await;
    assert_eq!(status, 201, "{taken}");
    writer.await.unwrap();

    // Whole batches, and only whole ones: a commit is in or out.
    let (_dir, store, index) = restored(std::path::Path::new(taken["path"].as_str().unwrap()));
    assert_eq!(store.generation(), taken["generation"].as_u64().unwrap());
    let found = search_ids(&index, "harbour");
    for batch in 0..40 {
        let of_batch = found.iter().filter(|id| id.starts_with(&format!("b{batch}-"))).count();
        assert!(
            of_batch == 0 || of_batch == BATCH,
            "batch {batch} is cut: {of_batch} of {BATCH}"
        );
    }

    // Taken at rest, a backup restores the store exactly, and its search.
    let (status, at_rest) = backup("at-rest").await;
    assert_eq!(status, 201, "{at_rest}");
    let (_dir, again, again_index) = restored(std::path::Path::new(at_rest["path"].as_str().unwrap()));
    assert_eq!(every_quad(&again), every_quad(&server.store), "every graph as it was");
    assert_eq!(
        search_ids(&again_index, "harbour"),
        search_ids(&server.index, "harbour")
    );
    assert_eq!(search_ids(&again_index, "harbour").len(), 40 * BATCH);

    // A name taken, or not a name, is refused; so is a restore over data.
    assert_eq!(backup("at-rest").await.0, 409);
    assert_eq!(backup("../elsewhere").await.0, 400);
    let occupied = tempfile::tempdir().unwrap();
    std::fs::write(occupied.path().join("something"), "kept").unwrap();
    let refused =
        assetgraph::store::backup::restore(std::path::Path::new(at_rest["path"].as_str().unwrap()), occupied.path());
    assert!(refused.unwrap_err().to_string().contains("is not empty"));
}

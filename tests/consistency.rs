//! Search and the store agree after crashes. Random upserts, deletes and
//! taxonomy pushes run against the real server, which is killed (SIGKILL)
//! at a random moment and restarted, round after round on the same data.
//! After every restart, for every asset id, search and the store agree: no
//! ghost, no duplicate, no missing entry, no stale text, and the taxonomy
//! search expands with is the one the store holds.
//!
//! The seed is printed; `ASSETGRAPH_TEST_SEED=N` replays a run.

#[path = "../benches/common/mod.rs"]
mod generator;

use generator::Rng;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Asset ids drawn from `c:0` … `c:{IDS-1}`.
const IDS: usize = 24;
const ROUNDS: usize = 12;
const WRITERS: usize = 2;
const DOGS: &str = "http://example.com/tax/dogs";
const BIRDS: &str = "http://example.com/tax/birds";

/// The real binary serving a data directory on an ephemeral loopback port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_assetgraph"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("ASSETGRAPH_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = loop {
            let line = lines.next().expect("the server stopped before listening").unwrap();
            let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if event["fields"]["message"] == "assetgraph listening" {
                break event["fields"]["address"].as_str().unwrap().to_owned();
            }
        };
        // Keep reading the log, or a full pipe would stall the server.
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            base: format!("http://{address}"),
        }
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

fn taxonomy(alias: u64, dogs_under_birds: bool) -> String {
    let dogs_broader = if dogs_under_birds { "ex:birds" } else { "ex:animals" };
    format!(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
         @prefix ex: <http://example.com/tax/> .
         ex:scheme a skos:ConceptScheme ; skos:hasTopConcept ex:animals .
         ex:animals a skos:Concept ; skos:topConceptOf ex:scheme ; skos:prefLabel \"Animals\"@en .
         ex:birds a skos:Concept ; skos:broader ex:animals ; skos:prefLabel \"Birds\"@en .
         ex:dogs a skos:Concept ; skos:broader {dogs_broader} ; skos:prefLabel \"Dogs\"@en ;
             skos:altLabel \"alias{alias}\"@en ."
    )
}

/// Writes acknowledged, by kind: upserts, deletes, taxonomy pushes.
type Acknowledged = [AtomicU64; 3];

/// One random write. The server may die under it; a write that is answered
/// must not have failed on the server's side. False once the server is gone.
async fn random_write(
    client: &Client,
    base: &str,
    rng: &mut Rng,
    version: &AtomicU64,
    acknowledged: &Acknowledged,
) -> bool {
    let v = version.fetch_add(1, Ordering::Relaxed);
    let kind = match rng.below(10) {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    };
    let result = match kind {
        0 => {
            let records: Vec<Value> = (0..1 + rng.below(4))
                .map(|_| {
                    let n = rng.below(IDS);
                    let concepts: Vec<&str> = if rng.below(2) == 0 { vec![DOGS] } else { vec![] };
                    json!({"id": format!("c:{n}"), "title": format!("harbour c{n} v{v}"), "concepts": concepts})
                })
                .collect();
            client
                .post(format!("{base}/api/ingest/assetgraph"))
                .json(&records)
                .send()
                .await
        }
        1 => {
            let n = rng.below(IDS);
            client.delete(format!("{base}/api/assets/c:{n}")).send().await
        }
        _ => {
            client
                .put(format!("{base}/api/taxonomies/t"))
                .header("content-type", "text/turtle")
                .body(taxonomy(v, rng.below(2) == 0))
                .send()
                .await
        }
    };
    let Ok(response) = result else { return false };
    let status = response.status();
    assert!(!status.is_server_error(), "a write failed: {status}");
    acknowledged[kind].fetch_add(1, Ordering::Relaxed);
    true
}

async fn get_json(client: &Client, url: String) -> (StatusCode, Value) {
    let response = client.get(url).send().await.unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

/// What the store holds: asset id → (English title, curated tags).
async fn stored_assets(client: &Client, base: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let mut assets = BTreeMap::new();
    for n in 0..IDS {
        let id = format!("c:{n}");
        let (status, view) = get_json(client, format!("{base}/api/assets/{id}")).await;
        match status {
            StatusCode::OK => {
                let title = view["title"]["en"].as_str().unwrap().to_owned();
                let tags = view["concepts"].as_array().unwrap();
                let tags = tags.iter().map(|t| t.as_str().unwrap().to_owned()).collect();
                assets.insert(id, (title, tags));
            }
            StatusCode::NOT_FOUND => {}
            other => panic!("GET /api/assets/{id}: {other}"),
        }
    }
    assets
}

/// Ids of the hits, in order; asserts the answer's total counts them all.
async fn search_ids(client: &Client, base: &str, query: &str) -> Vec<(String, String)> {
    let (status, answer) = get_json(client, format!("{base}/api/search?{query}&limit=200")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {answer}");
    let hits: Vec<(String, String)> = answer["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_owned(),
                h["title"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(answer["total"].as_u64(), Some(hits.len() as u64), "{query}");
    hits
}

async fn assert_search_agrees_with_store(client: &Client, base: &str, round: usize) {
    let stored = stored_assets(client, base).await;
    let found = search_ids(client, base, "q=harbour").await;
    let distinct: BTreeSet<&String> = found.iter().map(|(id, _)| id).collect();
    assert_eq!(distinct.len(), found.len(), "round {round}: a duplicate in {found:?}");
    let expected: BTreeSet<&String> = stored.keys().collect();
    assert_eq!(distinct, expected, "round {round}: ghosts or missing entries");
    for (id, title) in &found {
        assert_eq!(title, &stored[id].0, "round {round}: {id} is found by stale text");
    }

    // the taxonomy search expands with is the stored one
    let (status, dogs) = get_json(client, format!("{base}/api/concepts?iri={DOGS}&lang=en")).await;
    if status == StatusCode::NOT_FOUND {
        return; // no push committed yet
    }
    let tagged: BTreeSet<&String> = stored
        .iter()
        .filter(|(_, (_, tags))| tags.iter().any(|t| t == DOGS))
        .map(|(id, _)| id)
        .collect();
    let alias = dogs["alt_labels"]["en"][0].as_str().unwrap();
    let by_alias = search_ids(client, base, &format!("q={alias}")).await;
    let by_alias: BTreeSet<&String> = by_alias.iter().map(|(id, _)| id).collect();
    assert_eq!(
        by_alias, tagged,
        "round {round}: the stored altLabel '{alias}' finds the tagged assets"
    );
    let under_birds = dogs["broader"].as_array().unwrap().iter().any(|b| b["iri"] == BIRDS);
    let filtered = search_ids(client, base, &format!("q=harbour&concept={BIRDS}")).await;
    let filtered: BTreeSet<&String> = filtered.iter().map(|(id, _)| id).collect();
    let expected = if under_birds { tagged } else { BTreeSet::new() };
    assert_eq!(
        filtered, expected,
        "round {round}: narrower of Birds (dogs under birds: {under_birds})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_and_store_agree_after_random_kills() {
    let seed = std::env::var("ASSETGRAPH_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap();
            now.as_nanos() as u64 | 1
        });
    eprintln!("seed {seed} (replay with ASSETGRAPH_TEST_SEED={seed})");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let client = Client::new();
    let version = Arc::new(AtomicU64::new(0));
    let acknowledged: Arc<Acknowledged> = Arc::default();
    let mut rng = Rng(seed);
    for round in 0..ROUNDS {
        let server = Server::start(&data);
        assert_search_agrees_with_store(&client, &server.base, round).await;
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (client, base) = (client.clone(), server.base.clone());
                let (version, acknowledged) = (version.clone(), acknowledged.clone());
                let mut rng = Rng(seed ^ ((round * WRITERS + w + 1) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                tokio::spawn(
                    async move { while random_write(&client, &base, &mut rng, &version, &acknowledged).await {} },
                )
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50 + rng.below(400) as u64)).await;
        server.kill();
        for writer in writers {
            writer.abort();
        }
    }
    let server = Server::start(&data);
    assert_search_agrees_with_store(&client, &server.base, ROUNDS).await;
    let [upserts, deletes, pushes] = acknowledged.as_ref().each_ref().map(|n| n.load(Ordering::Relaxed));
    eprintln!(
        "{} writes attempted over {ROUNDS} kills; acknowledged: {upserts} upserts, {deletes} deletes, {pushes} taxonomy pushes",
        version.load(Ordering::Relaxed)
    );
    assert!(
        upserts > 0 && deletes > 0 && pushes > 0,
        "every kind of write was exercised"
    );
    server.kill();
}

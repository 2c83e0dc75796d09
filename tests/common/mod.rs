//! Helpers shared by the integration tests: a real RocksDB store in a temp
//! dir, pushes from fixtures, the real data in ../shared (skipped with a
//! notice when absent), SPARQL in one call, and a server on loopback.
#![allow(dead_code)]

use assetgraph::config::Config;
use assetgraph::http::{router, AppState};
use assetgraph::index::SearchIndex;
use assetgraph::ingest::rdf;
use assetgraph::store::Store;
use assetgraph::taxonomy::{self, Push, PushMode, PushReport};
use oxigraph::model::Term;
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A file of ../shared/data, or None (with a notice) when it is absent.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "notice: skipping, {} is absent (../shared/data is not next to this checkout)",
            path.display()
        );
        None
    }
}

pub fn open_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

pub fn push_file(store: &Store, project: &str, path: &Path, mode: PushMode) -> PushReport {
    try_push_file(store, project, path, mode).unwrap()
}

pub fn try_push_file(store: &Store, project: &str, path: &Path, mode: PushMode) -> assetgraph::Result<PushReport> {
    let bytes = std::fs::read(path).unwrap();
    let format = rdf::format_from_path(path).unwrap();
    let quads = rdf::parse(&path.display().to_string(), format, &bytes, &|_| {})?;
    taxonomy::push(
        store,
        Push {
            project: project.into(),
            mode,
            quads,
            default_graph: None,
            actor: "tester".into(),
            tenant: "default".into(),
        },
    )
}

/// Rows of a SELECT on the union graph, as strings (IRIs bare, literals' values).
pub fn select(store: &Store, query: &str) -> Vec<Vec<String>> {
    let mut prepared = SparqlEvaluator::new().parse_query(query).unwrap();
    prepared.dataset_mut().set_default_graph_as_union();
    let QueryResults::Solutions(solutions) = prepared.on_store(store.db()).execute().unwrap() else {
        panic!("not a SELECT")
    };
    let variables = solutions.variables().to_vec();
    solutions
        .map(|s| {
            let s = s.unwrap();
            variables
                .iter()
                .map(|v| match s.get(v) {
                    Some(Term::NamedNode(n)) => n.as_str().to_owned(),
                    Some(Term::Literal(l)) => l.value().to_owned(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                })
                .collect()
        })
        .collect()
}

pub fn ask(store: &Store, query: &str) -> bool {
    let mut prepared = SparqlEvaluator::new().parse_query(query).unwrap();
    prepared.dataset_mut().set_default_graph_as_union();
    match prepared.on_store(store.db()).execute().unwrap() {
        QueryResults::Boolean(b) => b,
        _ => panic!("not an ASK"),
    }
}

pub fn count(store: &Store, query: &str) -> usize {
    select(store, query)[0][0].parse().unwrap()
}

/// A server on an ephemeral loopback port, serving a store in a temp dir.
pub struct TestServer {
    pub base: String,
    pub store: Arc<Store>,
    pub index: Arc<SearchIndex>,
    _dir: TempDir,
}

pub async fn start_server(config: Config) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let index = Arc::new(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    store.subscribe(index.clone());
    let state = AppState::new(store.clone(), index.clone(), config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    TestServer {
        base,
        store,
        index,
        _dir: dir,
    }
}

/// The JSON answer of a GET, whatever its status.
pub async fn fetch_json(client: &reqwest::Client, url: &str) -> serde_json::Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// The JSON answer of a POST of a JSON body, whatever its status.
pub async fn post_for_json(client: &reqwest::Client, url: &str, body: &serde_json::Value) -> serde_json::Value {
    client.post(url).json(body).send().await.unwrap().json().await.unwrap()
}

/// Fails unless only the file's owner may read or write it.
pub fn assert_owner_only(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is readable by others", path.display());
    }
}

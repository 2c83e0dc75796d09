//! Helpers shared by the integration tests: a real RocksDB store in a temp
//! dir, pushes from fixtures, the real data in ../shared (skipped with a
//! notice when absent), SPARQL in one call, and a server on loopback.
#![allow(dead_code)]

use assetgraph::config::Config;
use assetgraph::http::AppState;
use assetgraph::index::SearchIndex;
use assetgraph::rdf;
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
/// Under CI the absence is a failure instead: a misplaced ../shared must not
/// turn the tests that need it into silent passes.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    skip_or_fail(&format!(
        "{} is absent (../shared/data is not next to this checkout)",
        path.display()
    ));
    None
}

/// Whether this run is CI, where every test must run rather than skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Skips a test with a notice, or fails it under CI.
pub fn skip_or_fail(why: &str) {
    assert!(
        !in_ci(),
        "{why}; CI is set, so this test fails instead of skipping (unset CI to skip it)"
    );
    eprintln!("notice: skipping, {why}");
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
    let QueryResults::Solutions(solutions) = store.db().query(prepared).execute().unwrap() else {
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
    match store.db().query(prepared).execute().unwrap() {
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
    tokio::spawn(async move {
        assetgraph::http::server::serve_until(listener, state, std::future::pending())
            .await
            .unwrap()
    });
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

/// The real binary serving a store in a temp dir, on an ephemeral
/// loopback port; killed when dropped.
pub struct Served {
    pub child: std::process::Child,
    /// `127.0.0.1:port`
    pub address: String,
    pub dir: TempDir,
    /// Every line the server logged after it started listening.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Served {
    /// `config` is the TOML of the config file; `args` are added to `serve`.
    pub fn start(config: &str, args: &[&str]) -> Served {
        use std::io::{BufRead, BufReader};
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, config).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_assetgraph"))
            .arg("--config")
            .arg(&config_path)
            .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path().join("data"))
            .args(args)
            .env_remove("ASSETGRAPH_API_KEYS")
            .env_remove("ASSETGRAPH_DATA")
            .env_remove("ASSETGRAPH_LISTEN")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = loop {
            let line = lines.next().expect("the server says where it listens").unwrap();
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if entry["fields"]["message"] == "assetgraph listening" {
                break entry["fields"]["address"].as_str().unwrap().to_owned();
            }
        };
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Served {
            child,
            address,
            dir,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Resident memory of the process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Sends SIGTERM and waits up to `within` for the process to end.
    pub fn terminate(&mut self, within: std::time::Duration) -> Option<std::process::ExitStatus> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = std::time::Instant::now();
        while started.elapsed() < within {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Keys of every role, as config-file TOML, plus `extra` settings; the
/// licence scheduler is off, so that the store changes only when asked.
pub fn config_with_keys(extra: &str) -> String {
    let mut config = String::from("[alerts]\ninterval_secs = 0\n\n");
    for role in ["reader", "analyst", "editor", "admin"] {
        config.push_str(&format!(
            "[[keys]]\nname = \"{role}\"\nrole = \"{role}\"\nsecret = \"{role}-secret-0123456789\"\n\n"
        ));
    }
    format!("{extra}\n{config}")
}

/// The `Authorization` header of a key made by [`config_with_keys`].
pub fn bearer(role: &str) -> String {
    format!("Bearer {role}-secret-0123456789")
}

/// Every Rust file under `dir`, found recursively.
pub fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Asserts a refusal as a client reads it: the status, the problem's type
/// (the last segment of its `type` IRI) and the field it names (`None`
/// when it names none).
#[track_caller]
pub fn assert_refused(status: reqwest::StatusCode, problem: &serde_json::Value, expected: (u16, &str, Option<&str>)) {
    let kind = problem["type"].as_str().and_then(|t| t.rsplit('/').next());
    let field = problem["field"].as_str();
    assert_eq!(
        (status.as_u16(), kind, field),
        (expected.0, Some(expected.1), expected.2),
        "{problem}"
    );
}

/// The routes the router declares, read from `src/http/*.rs`: each
/// `.route("PATH", get(…).post(…))` as (method, path pattern); `any` as `*`.
pub fn declared_routes() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut routes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for declaration in text.split(".route(\"").skip(1) {
            let Some((path, rest)) = declaration.split_once('"') else {
                continue;
            };
            let handlers = rest.split(".route(").next().unwrap_or(rest);
            let handlers = &handlers[..handlers.find("))").map_or(handlers.len(), |end| end + 1)];
            for method in ["get", "post", "put", "delete", "any"] {
                let called = handlers.match_indices(&format!("{method}(")).any(|(at, _)| {
                    at == 0
                        || !handlers.as_bytes()[at - 1].is_ascii_alphanumeric() && handlers.as_bytes()[at - 1] != b'_'
                });
                if called {
                    let method = if method == "any" {
                        "*".to_owned()
                    } else {
                        method.to_uppercase()
                    };
                    routes.push((method, path.to_owned()));
                }
            }
        }
    }
    routes
}

/// Whether a concrete path is one of a route pattern's (`{x}` one
/// segment, `{*x}` the rest).
pub fn matches_pattern(pattern: &str, path: &str) -> bool {
    let (mut pattern, mut path) = (pattern.split('/'), path.split('/'));
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with("{*") => return !s.is_empty(),
            (Some(p), Some(s)) if p.starts_with('{') => {
                if s.is_empty() {
                    return false;
                }
            }
            (Some(p), Some(s)) if p == s => {}
            _ => return false,
        }
    }
}

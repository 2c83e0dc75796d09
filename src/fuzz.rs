//! Entry points for fuzzing: each takes arbitrary bytes and runs one parser
//! of outside input the way a request would. None may panic, abort, or
//! grow without bound; each returns normally whatever it is given, and
//! asserts what must hold of every answer.
//!
//! - [`source_batch`]: the mapper of every source (Smint.io, Rightsline,
//!   PhotoShelter, Dropbox, Scaleflex, the own format), a usage batch, and
//!   a file's embedded XMP;
//! - [`rdf_document`]: an RDF body in every syntax the service reads;
//! - [`sparql_text`]: a query or update through the limits, the parser,
//!   the parameter binding and the checkpoints;
//! - [`Http`]: a request to the whole router, on a real store in a
//!   temporary directory — the SPARQL protocol's parameters, search,
//!   suggest and clearance parameters, ingest and usage bodies.
//!
//! `fuzz/` drives them coverage-guided with cargo-fuzz (see docs/OPERATIONS.md,
//! "Hardening"); `tests/fuzz_corpus.rs` replays the corpus and the
//! regressions in every `cargo test`.

use crate::ingest::{self, Mapping, RightslineMapping, Source};
use crate::rights::Territories;
use crate::sparql::limits::{self, Shape};
use crate::sparql::stop::Stop;
use oxigraph::io::{JsonLdProfileSet, RdfFormat};

/// The first byte picks a source; the rest is its body.
pub fn source_batch(data: &[u8]) {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let rightsline = RightslineMapping::default();
    let mapping = Mapping {
        territories: Territories::global(),
        rightsline: &rightsline,
        record_type: (choice & 0x80 != 0).then_some("right"),
    };
    match choice % 9 {
        // Every source but files sends JSON batches.
        n @ 0..=5 if Source::ALL[n as usize] != Source::Files => {
            let _ = ingest::map_batch(Source::ALL[n as usize], body, &mapping);
        }
        6 => {
            let _ = crate::usage::parse_batch(body);
        }
        _ => {
            let _ = ingest::files::map_file(0, "fuzz.jpg", None, body, Territories::global());
        }
    }
}

/// The first byte picks a syntax; the rest is the document.
pub fn rdf_document(data: &[u8]) {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let formats = [
        RdfFormat::Turtle,
        RdfFormat::TriG,
        RdfFormat::NTriples,
        RdfFormat::NQuads,
        RdfFormat::N3,
        RdfFormat::RdfXml,
        RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        },
    ];
    let format = formats[choice as usize % formats.len()];
    let _ = crate::rdf::parse_with_base("fuzz", format, body, Some("http://example.com/base/"), &|_| {});
}

/// The first byte picks query or update; the rest is the text. Runs on a
/// thread sized as a SPARQL worker's, as requests do.
pub fn sparql_text(data: &[u8]) {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    let text = text.to_owned();
    let config = crate::sparql::SparqlConfig::default();
    let shape = config.shape();
    std::thread::Builder::new()
        .stack_size(config.stack_bytes())
        .spawn(move || check_parse_and_prepare(choice % 2 == 0, &text, shape))
        .expect("a thread")
        .join()
        .expect("no panic");
}

fn check_parse_and_prepare(query: bool, text: &str, shape: Shape) {
    if limits::check_text(text, shape).is_err() {
        return;
    }
    let parser = spargebra::SparqlParser::new();
    if query {
        let Ok(mut parsed) = parser.parse_query(text) else {
            return;
        };
        if limits::check_query(&parsed, shape.max_depth).is_err() {
            return;
        }
        let value = oxigraph::model::Literal::new_simple_literal("fuzz").into();
        let bindings = [(oxigraph::sparql::Variable::new_unchecked("fuzz"), value)];
        crate::sparql::query::bind(&mut parsed, &bindings).expect("a literal binds");
        let _ = crate::sparql::query::prepare(crate::sparql::query::QueryRequest {
            text: text.to_owned(),
            base_iri: None,
            dataset: None,
            union_default_graph: true,
            search: None,
            bindings: bindings.to_vec(),
            shape,
            stop: Stop::new(),
            max_results: None,
            tenants: None,
        });
    } else if let Ok(parsed) = parser.parse_update(text) {
        let _ = limits::check_update(&parsed, shape.max_depth);
    }
}

/// A whole router on a store of its own, for requests made of fuzzed bytes.
pub struct Http {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    dir: std::path::PathBuf,
}

/// The routes a fuzzed request may take, with their methods.
const ROUTES: [(&str, &str); 16] = [
    ("GET", "/api/search"),
    ("GET", "/api/suggest"),
    ("GET", "/api/assets/smintio:88101/clearance"),
    ("GET", "/api/alerts/expiring"),
    ("GET", "/api/audit"),
    ("GET", "/api/concepts"),
    ("GET", "/api/reports/licences-expiring"),
    ("GET", "/sparql"),
    ("POST", "/sparql"),
    ("POST", "/api/tag"),
    ("POST", "/api/recommend"),
    ("POST", "/api/usage"),
    ("POST", "/api/ingest/assetgraph"),
    ("PUT", "/store"),
    ("GET", "/store"),
    ("GET", "/api/taxonomies/demo"),
];

const CONTENT_TYPES: [&str; 6] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/sparql-query",
    "application/sparql-update",
    "text/turtle",
    "multipart/form-data; boundary=x",
];

impl Http {
    /// A router on a fresh store in a temporary directory, with the demo
    /// data loaded; removed when dropped.
    pub fn new() -> crate::Result<Self> {
        let dir = std::env::temp_dir().join(format!("assetgraph-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = std::sync::Arc::new(crate::store::Store::open(&dir)?);
        let index = std::sync::Arc::new(crate::index::SearchIndex::open(&dir.join("index"), &store)?);
        store.subscribe(index.clone());
        crate::ontologies::install(&store)?;
        crate::cli::demo::load(&store)?;
        let mut config = crate::config::Config::default();
        config.sparql.timeout_secs = 2;
        let state = crate::http::AppState::new(store, index, config)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| crate::Error::Storage(e.to_string()))?;
        Ok(Http {
            runtime,
            router: crate::http::router(state),
            dir,
        })
    }

    /// The first byte picks a route, the second a content type; the rest
    /// is the query string and the body, split at the first `\n`. Panics
    /// if the service answers 500 or more (but 503, a limit reached).
    pub fn request(&self, data: &[u8]) {
        use tower::ServiceExt;
        let [route, kind, rest @ ..] = data else {
            return;
        };
        let (method, path) = ROUTES[*route as usize % ROUTES.len()];
        let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let query: String = String::from_utf8_lossy(&rest[..split])
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .collect();
        let body = rest.get(split + 1..).unwrap_or_default().to_vec();
        let uri = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        };
        let Ok(request) = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", CONTENT_TYPES[*kind as usize % CONTENT_TYPES.len()])
            .body(axum::body::Body::from(body))
        else {
            return;
        };
        let status = self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.expect("infallible");
            let status = response.status();
            let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
            status
        });
        assert!(
            status.as_u16() < 500 || status.as_u16() == 503,
            "{method} {path}: {status}"
        );
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

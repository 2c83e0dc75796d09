//! SPARQL speed on the search benchmark's assets, with usage events and
//! purchases added: `/sparql` side by side with `oxigraph serve` on the
//! same data, and the latency of each named report.
//!
//! The store is the search benchmark's (STW, generated assets with
//! grants), plus one usage event per asset on average in the usage graph
//! (action, market, channel, campaign, user; one in twenty outside the
//! licence terms) and a purchase (price, provider, date) for every other
//! asset, all written through the write path.
//!
//! Side by side: the whole store is written out as N-Quads and loaded into
//! oxigraph with `oxigraph load`; `oxigraph serve --union-default-graph`
//! and this service (in-process, the real router on loopback) then answer
//! the same queries, alternately, one at a time, from the same client
//! (after one untimed pass over all of them):
//! typical analyst queries and every report that does not call the search
//! index. Per query: the median of the rounds on each side and their
//! ratio; overall the geometric mean of the ratios. Then each named report
//! runs through `GET /api/reports/{name}`, median of its rounds.
//!
//! Last, the same queries scoped to a tenant against unscoped (see
//! [`scoped_against_unscoped`]).
//!
//! `OXIGRAPH=/path/to/oxigraph cargo bench --bench sparql`; without
//! `OXIGRAPH` only the reports are timed. The oxigraph CLI 0.5.13 is the
//! `oxigraph-0.5.13.data/scripts/oxigraph` file of the PyPI wheel
//! (`pip download oxigraph==0.5.13 --no-deps`, then unzip), or
//! `cargo install oxigraph-cli`. `ASSETGRAPH_BENCH_ASSETS` (default
//! 100,000), `ASSETGRAPH_BENCH_DATA` (kept data, as in the search
//! benchmark; the oxigraph copy is kept next to it), and
//! `ASSETGRAPH_BENCH_ROUNDS` (default 11). Skipped when ../shared is
//! absent.

mod common;

use assetgraph::config::Config;
use assetgraph::index::SearchIndex;
use assetgraph::rdf::asset_iri;
use assetgraph::reports;
use assetgraph::store::{Change, GraphWrite, Store};
use assetgraph::vocab::{ag, graphs, prov, rdfs};
use common::Rng;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{Literal, NamedNode, Triple};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events and purchases are written in changes of this many.
const BATCH: usize = 50_000;
const PURCHASES: &str = "urn:bench:purchases";
/// A query stops being repeated after three rounds once it took this long.
const SLOW: Duration = Duration::from_secs(30);
const ACCEPT: &str = "application/sparql-results+json, application/n-triples;q=0.9";

fn main() {
    let assets = common::setting("ASSETGRAPH_BENCH_ASSETS", 100_000);
    let rounds = common::setting("ASSETGRAPH_BENCH_ROUNDS", 11);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/skos/stw/stw-skos.ttl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("sparql: skipped, {} is absent", path.display());
        return;
    };
    let temporary = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("ASSETGRAPH_BENCH_DATA").map_or(temporary.path().to_owned(), PathBuf::from);
    let (store, _) = common::stw_assets(&dir, &text, assets);
    add_usage_and_purchases(&store, &dir, assets);
    let started = Instant::now();
    let index = Arc::new(SearchIndex::open(&dir.join("index"), &store).unwrap());
    println!(
        "index opened: {:.1} s; store holds {} quads",
        started.elapsed().as_secs_f64(),
        store.db().len().unwrap()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let ours = runtime.block_on(start(store.clone(), index));
    let oxigraph = std::env::var_os("OXIGRAPH").map(|binary| Oxigraph::start(&binary.into(), &store, &dir));
    let client = reqwest::Client::new();
    if let Some(oxigraph) = &oxigraph {
        let queries = side_by_side_queries(assets);
        runtime.block_on(side_by_side(&client, &ours, &oxigraph.endpoint, &queries, rounds));
    } else {
        println!("side by side with oxigraph: skipped, set OXIGRAPH to the oxigraph CLI binary");
    }
    runtime.block_on(time_reports(&client, &ours, rounds.min(5)));
    let mut queries = side_by_side_queries(assets);
    if std::env::var_os("ASSETGRAPH_BENCH_OTHER_TENANT").is_some() {
        // Another tenant's graph: scoped queries now run over the list of
        // the caller's graphs. Only the cheap queries: over a list of a
        // hundred thousand graphs the others take minutes.
        another_tenant(&store);
        let cheap = [
            "count assets",
            "concept by label",
            "one asset's record",
            "titles containing a word",
        ];
        queries.retain(|(name, _)| cheap.contains(&name.as_str()));
    }
    runtime.block_on(scoped_against_unscoped(&client, &ours, &queries, rounds.min(5)));
}

/// A graph of tenant `other`, written through the write path (for good:
/// the audit trail keeps the tenant, so this store's scoped queries stay
/// on the slow path afterwards).
fn another_tenant(store: &Store) {
    let graph = NamedNode::new_unchecked("urn:bench:other-tenant");
    let triple = Triple::new(
        graph.clone(),
        rdfs::LABEL,
        Literal::new_simple_literal("another tenant's note"),
    );
    store
        .write(|_| {
            Ok((
                Change {
                    actor: "bench".into(),
                    operation: "bench.other-tenant".into(),
                    tenant: "other".into(),
                    note: None,
                    writes: vec![GraphWrite::Merge {
                        graph: graph.clone(),
                        kind: "bench",
                        triples: vec![triple.clone()],
                    }],
                },
                (),
            ))
        })
        .unwrap();
}

/// One usage event per asset on average and a purchase for every other
/// asset, once per data directory (the file `bench-usage` records it).
fn add_usage_and_purchases(store: &Store, dir: &Path, assets: usize) {
    let marker = dir.join("bench-usage");
    if std::fs::read_to_string(&marker).ok() == Some(assets.to_string()) {
        return;
    }
    let started = Instant::now();
    let mut rng = Rng(0x0005_a6e5);
    let usage = NamedNode::new_unchecked(graphs::USAGE);
    let users: Vec<Triple> = (0..50)
        .map(|u| Triple::new(user(u), rdfs::LABEL, Literal::new_simple_literal(format!("user {u}"))))
        .collect();
    merge(store, &usage, "usage", users);
    for first in (0..assets).step_by(BATCH) {
        let events = (first..(first + BATCH).min(assets))
            .flat_map(|i| usage_event(i, assets, &mut rng))
            .collect();
        merge(store, &usage, "usage", events);
        let purchases = (first..(first + BATCH).min(assets))
            .step_by(2)
            .flat_map(|i| purchase(i, &mut rng))
            .collect();
        merge(store, &NamedNode::new_unchecked(PURCHASES), "graph", purchases);
    }
    std::fs::write(&marker, assets.to_string()).unwrap();
    println!(
        "usage events and purchases added: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn merge(store: &Store, graph: &NamedNode, kind: &'static str, triples: Vec<Triple>) {
    store
        .apply(Change {
            actor: "bench".into(),
            operation: format!("bench.{kind}"),
            tenant: "default".into(),
            note: None,
            writes: vec![GraphWrite::Merge {
                graph: graph.clone(),
                kind,
                triples,
            }],
        })
        .unwrap();
}

fn user(u: usize) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:bench:user:{u}"))
}

fn date_time(rng: &mut Rng) -> Literal {
    let day = time::Date::from_calendar_date(2025, time::Month::January, 1).unwrap()
        + time::Duration::days(rng.below(700) as i64);
    Literal::new_typed_literal(
        format!("{day}T{:02}:00:00Z", 8 + rng.below(10)),
        oxigraph::model::vocab::xsd::DATE_TIME,
    )
}

/// The triples of the `i`th usage event, on a random asset.
fn usage_event(i: usize, assets: usize, rng: &mut Rng) -> Vec<Triple> {
    let event = NamedNode::new_unchecked(format!("urn:bench:usage:{i}"));
    let asset = asset_iri(&format!("bench:{}", rng.below(assets)));
    let text = |value: &str| Literal::new_simple_literal(value);
    let within = rng.below(20) != 0;
    vec![
        Triple::new(event.clone(), oxigraph::model::vocab::rdf::TYPE, ag::term("UsageEvent")),
        Triple::new(
            event.clone(),
            NamedNode::new_unchecked("http://www.w3.org/ns/prov#used"),
            asset,
        ),
        Triple::new(
            event.clone(),
            ag::term("action"),
            text(rng.pick(&["view", "download", "publish", "distribute"])),
        ),
        Triple::new(event.clone(), prov::STARTED_AT_TIME, date_time(rng)),
        Triple::new(event.clone(), prov::WAS_ASSOCIATED_WITH, user(rng.below(50))),
        Triple::new(
            event.clone(),
            ag::term("usageTerritory"),
            text(rng.pick(&["DE", "FR", "US", "JP", "GB"])),
        ),
        Triple::new(
            event.clone(),
            ag::term("usageChannel"),
            text(rng.pick(&["web", "print", "social"])),
        ),
        Triple::new(
            event.clone(),
            ag::term("campaign"),
            text(rng.pick(&["spring-launch", "summer-sale", "brand-refresh", "holiday"])),
        ),
        Triple::new(event, ag::term("withinTerms"), Literal::from(within)),
    ]
}

/// The price, provider and date of the purchase of asset `i`.
fn purchase(i: usize, rng: &mut Rng) -> Vec<Triple> {
    let asset = asset_iri(&format!("bench:{i}"));
    let cents = 500 + rng.below(50_000);
    vec![
        Triple::new(
            asset.clone(),
            ag::term("priceEur"),
            Literal::new_typed_literal(
                format!("{}.{:02}", cents / 100, cents % 100),
                oxigraph::model::vocab::xsd::DECIMAL,
            ),
        ),
        Triple::new(
            asset.clone(),
            ag::term("provider"),
            Literal::new_simple_literal(rng.pick(&["Getty Images", "Shutterstock", "Adobe Stock", "iStock"])),
        ),
        Triple::new(asset, ag::term("purchasedAt"), date_time(rng)),
    ]
}

/// This service on loopback, served as `assetgraph serve` does, in this
/// process.
async fn start(store: Arc<Store>, index: Arc<SearchIndex>) -> Endpoint {
    let mut config = Config::default();
    config.sparql.timeout_secs = 600;
    let base = common::serve_on_loopback(store, index, config).await;
    Endpoint {
        query: format!("{base}/sparql"),
        base,
    }
}

struct Endpoint {
    base: String,
    query: String,
}

/// `oxigraph serve` on a copy of the store, killed when dropped.
struct Oxigraph {
    endpoint: Endpoint,
    process: Child,
}

impl Oxigraph {
    /// Loads the store's quads into oxigraph's own store next to the data
    /// (again only when the store changed since), and serves it.
    fn start(binary: &PathBuf, store: &Store, dir: &Path) -> Oxigraph {
        let location = dir.with_extension("oxigraph");
        let marker = location.join("assetgraph-generation");
        let generation = store.generation().to_string();
        if std::fs::read_to_string(&marker).ok() != Some(generation.clone()) {
            let _ = std::fs::remove_dir_all(&location);
            let dump = dir.with_extension("nq");
            let started = Instant::now();
            let file = std::io::BufWriter::new(std::fs::File::create(&dump).unwrap());
            let mut writer = RdfSerializer::from_format(RdfFormat::NQuads).for_writer(file);
            for quad in store.db().iter() {
                writer.serialize_quad(&quad.unwrap()).unwrap();
            }
            writer.finish().unwrap();
            let status = Command::new(binary)
                .args(["load", "--location"])
                .arg(&location)
                .arg("--file")
                .arg(&dump)
                .status()
                .unwrap();
            assert!(status.success(), "oxigraph load failed");
            std::fs::remove_file(&dump).unwrap();
            std::fs::write(&marker, generation).unwrap();
            println!(
                "oxigraph: store written out and loaded in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(binary)
            .args(["serve", "--union-default-graph", "--timeout-s", "600", "--location"])
            .arg(&location)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(120);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "oxigraph serve did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Oxigraph {
            endpoint: Endpoint {
                query: format!("{base}/query"),
                base,
            },
            process,
        }
    }
}

impl Drop for Oxigraph {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Analyst queries on the bench data, and every report that does not call
/// the search index (oxigraph has no `ag:` functions), with parameters.
fn side_by_side_queries(assets: usize) -> Vec<(String, String)> {
    const PREFIXES: &str = "PREFIX ag: <https://w3id.org/assetgraph/ns#>\n\
        PREFIX dcterms: <http://purl.org/dc/terms/>\n\
        PREFIX odrl: <http://www.w3.org/ns/odrl/2/>\n\
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n\
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n";
    // STW's subject category "Business economics", over its descriptors.
    let broadest = "http://zbw.eu/stw/thsys/a";
    let asset = asset_iri(&format!("bench:{}", assets / 2));
    let mut queries: Vec<(String, String)> = [
        (
            "count assets",
            "SELECT (COUNT(?a) AS ?n) WHERE { ?a a ag:Asset }".to_owned(),
        ),
        (
            "assets under a concept (broader*)",
            format!("SELECT ?a WHERE {{ ?c skos:broader* <{broadest}> . ?a dcterms:subject ?c }}"),
        ),
        (
            "top concepts by assets",
            "SELECT ?c (COUNT(?a) AS ?n) WHERE { ?a dcterms:subject ?c } GROUP BY ?c ORDER BY DESC(?n) LIMIT 20"
                .to_owned(),
        ),
        (
            "concept by label",
            "SELECT ?c WHERE { ?c skos:prefLabel ?l FILTER(LCASE(STR(?l)) = \"energy policy\") }".to_owned(),
        ),
        (
            "one asset's record",
            format!("SELECT ?p ?o WHERE {{ GRAPH {asset} {{ ?s ?p ?o }} }}"),
        ),
        (
            "titles containing a word",
            "SELECT ?a ?t WHERE { ?a dcterms:title ?t FILTER(CONTAINS(LCASE(?t), \"energy\")) } LIMIT 100".to_owned(),
        ),
        (
            "grants ending in 2025 by territory",
            "SELECT ?territory (COUNT(DISTINCT ?asset) AS ?n) WHERE { \
               ?policy odrl:target ?asset ; odrl:permission ?grant . ?grant odrl:constraint ?term , ?place . \
               ?term odrl:leftOperand odrl:dateTime ; odrl:rightOperand ?until . \
               ?place odrl:leftOperand odrl:spatial ; odrl:rightOperand ?territory \
               FILTER(?until < \"2026-01-01T00:00:00Z\"^^xsd:dateTime) } GROUP BY ?territory"
                .to_owned(),
        ),
        (
            "German labels (CONSTRUCT)",
            "CONSTRUCT { ?c skos:prefLabel ?l } WHERE { ?c skos:prefLabel ?l FILTER(LANG(?l) = \"de\") }".to_owned(),
        ),
    ]
    .into_iter()
    .map(|(name, text)| (name.to_owned(), format!("{PREFIXES}{text}")))
    .collect();
    for report in reports::all() {
        if report.text.contains("ag:cleared") || report.text.contains("ag:search") {
            continue;
        }
        // Both servers get the same text: the report with its parameters
        // bound in the algebra, written out again.
        let bindings = report.bindings(&report_parameters(report.name, assets)).unwrap();
        let mut query = spargebra::SparqlParser::new().parse_query(report.text).unwrap();
        assetgraph::sparql::query::bind(&mut query, &bindings).unwrap();
        queries.push((format!("report {}", report.name), query.to_string()));
    }
    queries
}

fn report_parameters(name: &str, assets: usize) -> HashMap<String, String> {
    let given: &[(&str, String)] = match name {
        "audit-trail-of-asset" => &[("asset", asset_iri(&format!("bench:{}", assets / 2)).into_string())],
        "licences-expiring" => &[("days", "365".into())],
        "concepts-without-cleared-asset" => &[("territory", "FR".into())],
        _ => &[],
    };
    given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// Each query on both servers in turn, `rounds` times; medians and ratios.
async fn side_by_side(
    client: &reqwest::Client,
    ours: &Endpoint,
    oxigraph: &Endpoint,
    queries: &[(String, String)],
    rounds: usize,
) {
    // One untimed pass first: both stores' caches warm, and background
    // compactions after opening and loading have settled.
    for (_, text) in queries {
        timed_query(client, &ours.query, text).await;
        timed_query(client, &oxigraph.query, text).await;
    }
    println!("side by side with oxigraph serve, {rounds} rounds, median ms:");
    println!(
        "  {:<45} {:>10} {:>10} {:>7}  rows",
        "query", "assetgraph", "oxigraph", "ratio"
    );
    let mut log_ratios = 0.0;
    for (name, text) in queries {
        let mut times = (Vec::new(), Vec::new());
        let mut sizes = (0, 0);
        let started = Instant::now();
        while times.0.len() < rounds && (times.0.len() < 3 || started.elapsed() < SLOW) {
            let (ms, rows) = timed_query(client, &ours.query, text).await;
            times.0.push(ms);
            sizes.0 = rows;
            let (ms, rows) = timed_query(client, &oxigraph.query, text).await;
            times.1.push(ms);
            sizes.1 = rows;
        }
        let (a, b) = (median(&mut times.0), median(&mut times.1));
        log_ratios += (a / b).ln();
        let rows = if sizes.0 == sizes.1 {
            sizes.0.to_string()
        } else {
            format!("{} vs {} (differ!)", sizes.0, sizes.1)
        };
        println!("  {name:<45} {a:>10.2} {b:>10.2} {:>6.2}x  {rows}", a / b);
    }
    println!(
        "  geometric mean of the ratios: {:.3}x over {} queries",
        (log_ratios / queries.len() as f64).exp(),
        queries.len()
    );
}

/// The cost of tenant scoping: each query as a caller limited to the
/// tenant that owns the data (`?tenant=default`) against the same query
/// unscoped (the union of all graphs). While no other tenant holds
/// anything the scoped caller reads the union too; with
/// `ASSETGRAPH_BENCH_OTHER_TENANT` set, a graph of another tenant is
/// written first, and the scoped dataset is the list of the caller's
/// graphs.
async fn scoped_against_unscoped(
    client: &reqwest::Client,
    ours: &Endpoint,
    queries: &[(String, String)],
    rounds: usize,
) {
    let scoped = format!("{}?tenant=default", ours.query);
    println!("scoped (?tenant=default) against unscoped, {rounds} rounds, median ms:");
    println!(
        "  {:<45} {:>10} {:>10} {:>7}  rows",
        "query", "unscoped", "scoped", "ratio"
    );
    for (name, text) in queries {
        let mut times = (Vec::new(), Vec::new());
        let mut sizes = (0, 0);
        let started = Instant::now();
        while times.0.len() < rounds && (times.0.len() < 2 || started.elapsed() < SLOW) {
            let (ms, rows) = timed_query(client, &ours.query, text).await;
            times.0.push(ms);
            sizes.0 = rows;
            let (ms, rows) = timed_query(client, &scoped, text).await;
            times.1.push(ms);
            sizes.1 = rows;
        }
        let (a, b) = (median(&mut times.0), median(&mut times.1));
        println!(
            "  {name:<45} {a:>10.2} {b:>10.2} {:>6.2}x  {} / {}",
            b / a,
            sizes.0,
            sizes.1
        );
    }
}

/// Milliseconds until the whole answer is read, and its rows (solutions,
/// or lines of N-Triples).
async fn timed_query(client: &reqwest::Client, url: &str, text: &str) -> (f64, usize) {
    let started = Instant::now();
    let response = client
        .post(url)
        .header("accept", ACCEPT)
        .form(&[("query", text)])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.bytes().await.unwrap();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    assert!(
        status.is_success(),
        "{url}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    (ms, rows(&body))
}

fn rows(body: &[u8]) -> usize {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => json["results"]["bindings"].as_array().map_or(1, Vec::len),
        Err(_) => body.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(),
    }
}

/// Every named report through `GET /api/reports/{name}`, median of `rounds`.
async fn time_reports(client: &reqwest::Client, ours: &Endpoint, rounds: usize) {
    println!("named reports through GET /api/reports/{{name}}, median of {rounds} runs:");
    let assets = common::setting("ASSETGRAPH_BENCH_ASSETS", 100_000);
    for report in reports::all() {
        let parameters = report_parameters(report.name, assets);
        let mut times = Vec::new();
        let mut answered = 0;
        let mut stopped = false;
        let first = Instant::now();
        while times.len() < rounds && (times.len() < 3 || first.elapsed() < SLOW) {
            let started = Instant::now();
            let response = client
                .get(format!("{}/api/reports/{}", ours.base, report.name))
                .query(&parameters)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.bytes().await.unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() {
                // A report stopped by a limit (the query memory budget at a
                // million assets) is a figure too; the others still run.
                println!(
                    "  {:<36} stopped: {status} {}",
                    report.name,
                    String::from_utf8_lossy(&body)
                );
                stopped = true;
                break;
            }
            answered = rows(&body);
        }
        if !stopped {
            println!("  {:<36} {:>10.1} ms  {answered} rows", report.name, median(&mut times));
        }
    }
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

//! The binary as an operator uses it: load, query, and errors that say what
//! to do next.

mod common;

use std::process::{Command, Output};

fn assetgraph(args: &[&str], data: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assetgraph"))
        .args(args)
        .env("ASSETGRAPH_DATA", data)
        .env_remove("ASSETGRAPH_API_KEYS")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn load_then_query_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = common::fixture("taxonomy-v1.ttl");
    let out = assetgraph(&["load", "--project", "animals", fixture.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("animals: 23 triples, 6 concepts"),
        "{}",
        text(&out.stdout)
    );

    let out = assetgraph(
        &[
            "query",
            "--format",
            "csv",
            "SELECT ?label WHERE { <http://example.com/tax/birds> <http://www.w3.org/2004/02/skos/core#narrower>/<http://www.w3.org/2004/02/skos/core#prefLabel> ?label }",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "label\r\nParrots");
}

#[test]
fn errors_name_the_position_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = assetgraph(&["query", "SELECT * WHERE {\n ?s ?p }"], dir.path());
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("2:"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");

    let bad = dir.path().join("bad.ttl");
    std::fs::write(&bad, "<http://e/a> <http://e/b> .\n").unwrap();
    let out = assetgraph(&["load", bad.to_str().unwrap()], dir.path());
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.ttl") && stderr.contains("line 1"), "{stderr}");

    let unknown = dir.path().join("thesaurus.trix");
    std::fs::write(&unknown, "<x/>").unwrap();
    let out = assetgraph(&["load", unknown.to_str().unwrap()], dir.path());
    assert!(text(&out.stderr).contains("--format"), "{}", text(&out.stderr));
}

#[test]
fn a_store_in_use_by_another_process_is_reported_not_crashed_on() {
    let dir = tempfile::tempdir().unwrap();
    let _held = assetgraph::store::Store::open(dir.path()).unwrap();
    let out = assetgraph(&["query", "ASK {}"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("in use by another assetgraph process"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn serve_refuses_a_public_address_without_keys() {
    let dir = tempfile::tempdir().unwrap();
    let out = assetgraph(&["serve", "--listen", "0.0.0.0:0"], dir.path());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("refusing to listen on 0.0.0.0:0 without API keys"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn serve_answers_health_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_assetgraph"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("ASSETGRAPH_DATA", dir.path())
        .env_remove("ASSETGRAPH_API_KEYS")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let address = loop {
        let line = lines.next().expect("the server says where it listens").unwrap();
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        seen.push(line);
        if entry["fields"]["message"] == "assetgraph listening" {
            break entry["fields"]["address"].as_str().unwrap().to_owned();
        }
    };

    let secret_request = http_get(
        &address,
        "/api/taxonomies?token=s3cr3t-in-query",
        "Bearer s3cr3t-in-header",
    );
    assert!(secret_request.starts_with("HTTP/1.1 200"), "{secret_request}");
    let response = http_get(&address, "/health", "");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body: serde_json::Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
    // The ontologies, the demo taxonomy, the demo assets of three sources
    // and their usage; then perhaps the scheduler's first tick (its cursor
    // and the demo's licence events).
    let generation = body["generation"].as_u64().unwrap();
    assert!((6..=7).contains(&generation), "{body}");

    // Every named report runs on the demo data, its required parameters given.
    let list = http_get(&address, "/api/reports", "");
    let list: serde_json::Value = serde_json::from_str(list.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let reports = list["reports"].as_array().unwrap();
    let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/queries"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "rq"))
        .count();
    assert_eq!(reports.len(), on_disk, "every queries/*.rq is a report: {list}");
    for report in reports {
        let name = report["name"].as_str().unwrap();
        let mut path = format!("/api/reports/{name}?format=json");
        for parameter in report["parameters"].as_array().unwrap() {
            if parameter["required"] == true {
                assert_eq!(
                    parameter["name"], "asset",
                    "a required parameter the test does not know: {report}"
                );
                path += "&asset=urn:assetgraph:asset:brand%3Arecyclable-002";
            }
        }
        let answer = http_get(&address, &path, "");
        assert!(answer.starts_with("HTTP/1.1 200"), "{name}: {answer}");
        if report["chart"].is_object() {
            let chart = http_get(&address, &path.replace("format=json", "format=svg"), "");
            assert!(chart.starts_with("HTTP/1.1 200"), "{name}: {chart}");
            assert!(chart.contains("<rect x="), "{name}: the demo draws bars: {chart}");
        }
    }
    // The content gaps are the demo taxonomy's, not the shipped rights
    // vocabularies' (territories, channels…), unless asked for.
    let gaps = http_get(&address, "/api/reports/concepts-without-cleared-asset?format=csv", "");
    assert!(gaps.contains("https://demo.assetgraph.example/"), "{gaps}");
    assert!(!gaps.contains("https://w3id.org/assetgraph/"), "{gaps}");
    let all = http_get(
        &address,
        "/api/reports/concepts-without-cleared-asset?format=csv&vocabularies=true",
        "",
    );
    assert!(all.contains("https://w3id.org/assetgraph/territory/"), "{all}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    assert!(child.wait().unwrap().success(), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("shutdown requested")), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("\"stopped\"")), "{rest:?}");
    // every request is logged, with its status, and no credential is
    assert!(
        rest.iter()
            .chain(&seen)
            .any(|l| l.contains("/api/taxonomies") && l.contains("200")),
        "{rest:?}"
    );
    assert!(
        !rest.iter().chain(&seen).any(|l| l.contains("s3cr3t")),
        "a secret reached the log"
    );
    // the store is closed and reopens with its data
    let store = assetgraph::store::Store::open(dir.path()).unwrap();
    assert_eq!(assetgraph::taxonomy::get(&store, "demo").unwrap().concepts, 15);
    let demo_asset = assetgraph::rdf::asset_iri("brand:recyclable-002");
    assert!(!store.graph_triples(demo_asset.as_ref()).unwrap().is_empty());
}

/// A one-shot HTTP/1.1 GET over a plain socket, with an Authorization header when given.
fn http_get(address: &str, path: &str, authorization: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let auth = if authorization.is_empty() {
        String::new()
    } else {
        format!("Authorization: {authorization}\r\n")
    };
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn help_lists_every_registered_source_and_connector() {
    let dir = tempfile::tempdir().unwrap();
    let import = text(&assetgraph(&["import", "--help"], dir.path()).stdout);
    for source in assetgraph::ingest::Source::ALL {
        assert!(
            import.contains(source.name()),
            "{} is missing from:\n{import}",
            source.name()
        );
    }
    let sync = text(&assetgraph(&["sync", "--help"], dir.path()).stdout);
    for name in assetgraph::connectors::NAMES {
        assert!(sync.contains(name), "{name} is missing from:\n{sync}");
    }
}

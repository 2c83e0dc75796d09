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

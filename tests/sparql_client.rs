//! A real SPARQL client that no one here wrote — SPARQLWrapper, from PyPI —
//! runs an UPDATE, a SELECT and a CONSTRUCT against the server on loopback
//! with HTTP Basic auth. Skipped with a notice where Python or SPARQLWrapper
//! is missing (`.ci/deps.sh` installs it); under CI that fails instead.

mod common;

use assetgraph::auth::Role;
use assetgraph::config::{Config, KeyConfig};
use common::*;
use std::path::Path;
use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn sparqlwrapper_queries_and_updates_with_basic_auth() {
    let has_client = Command::new("python3")
        .args(["-c", "import SPARQLWrapper"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_client {
        skip_or_fail("python3 with SPARQLWrapper is not installed (pip install SPARQLWrapper)");
        return;
    }
    let config = Config {
        keys: vec![KeyConfig {
            name: "notebook".into(),
            role: Role::Editor,
            secret: Some("s3cret".into()),
            secret_sha256: None,
            tenants: vec![],
            records_usage: true,
        }],
        ..Config::default()
    };
    let server = start_server(config).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sparqlwrapper_client.py");
    let endpoint = format!("{}/sparql", server.base);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .args([endpoint.as_str(), "notebook", "s3cret"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the client failed: {stderr}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["update_status"], 200, "{answer}");
    assert_eq!(
        answer["select"],
        serde_json::json!([
            ["http://example.com/madeOf", "paper"],
            ["http://example.com/recyclable", "true"]
        ])
    );
    let construct = answer["construct"].as_str().unwrap();
    assert!(construct.contains("http://example.com/cup"), "{construct}");
    assert!(construct.contains("paper"), "{construct}");
    // The update went through the write path: its audit entry names the key.
    assert!(ask(
        &server.store,
        "ASK { GRAPH <urn:assetgraph:graph:audit> { ?c <https://w3id.org/assetgraph/ns#operation> \"sparql.update\" ; \
         <http://www.w3.org/ns/prov#wasAssociatedWith> <urn:assetgraph:agent:notebook> } }"
    ));
}

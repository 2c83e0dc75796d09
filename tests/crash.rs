//! A load killed with SIGKILL at the worst moment — parsed, validated, about
//! to commit — leaves the store openable with the previous version intact;
//! one killed between a bulk load and its report summaries leaves the
//! summaries to be built again at the next start.

mod common;

use assetgraph::store::Store;
use assetgraph::taxonomy;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn load(data: &std::path::Path, file: &std::path::Path, fault: Option<&str>) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_assetgraph"));
    command
        .args(["load", "--project", "t", "--data"])
        .arg(data)
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(point) = fault {
        command.env("ASSETGRAPH_FAULT", point);
    }
    command.spawn().unwrap()
}

#[test]
fn a_load_killed_before_commit_leaves_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let status = load(&data, &common::fixture("taxonomy-v1.ttl"), None).wait().unwrap();
    assert!(status.success());
    let previous = {
        let store = Store::open(&data).unwrap();
        (taxonomy::get(&store, "t").unwrap().version, store.generation())
    };

    let mut child = load(&data, &common::fixture("taxonomy-v2.ttl"), Some("before-commit"));
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut reached = false;
    for line in stderr.lines() {
        if line.unwrap().contains("fault point 'before-commit' reached") {
            reached = true;
            break;
        }
    }
    assert!(reached, "the load never reached its commit");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let store = Store::open(&data).unwrap();
    assert_eq!(taxonomy::get(&store, "t").unwrap().version, previous.0);
    assert_eq!(store.generation(), previous.1);
    assert!(taxonomy::concept(&store, "http://example.com/tax/horses", "en").is_err());
    assert_eq!(taxonomy::get(&store, "t").unwrap().concepts, 6);
}

/// Records enough to be committed by the bulk loader, each with a licence
/// term ending within the year.
fn many_records(dir: &std::path::Path) -> std::path::PathBuf {
    let records: Vec<serde_json::Value> = (0..300)
        .map(|i| {
            let until = time::OffsetDateTime::now_utc().date() + time::Duration::days(10 + i % 200);
            serde_json::json!({"id": format!("many-{i}"), "title": format!("Record {i}"),
                "rights": {"grants": [{"territory": "DE", "until": until.to_string()}]}})
        })
        .collect();
    let path = dir.join("many.json");
    std::fs::write(&path, serde_json::to_vec(&records).unwrap()).unwrap();
    path
}

fn licence_ends(store: &Store) -> usize {
    common::count(
        store,
        "SELECT (COUNT(*) AS ?n) WHERE { ?asset <https://w3id.org/assetgraph/ns#licenceEnds> ?ends }",
    )
}

#[test]
fn a_bulk_load_killed_before_its_summaries_has_them_built_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = many_records(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_assetgraph"))
        .args(["import", "assetgraph", "--data"])
        .arg(&data)
        .arg(&file)
        .env("ASSETGRAPH_FAULT", "between-bulk-and-summaries")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let reached = stderr.lines().any(|line| {
        line.unwrap()
            .contains("fault point 'between-bulk-and-summaries' reached")
    });
    assert!(
        reached,
        "the import never reached the point between its load and its summaries"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // The records are in; their summaries, written after, are not. The
    // next start sees the summaries behind the store and builds them.
    let store = Store::open(&data).unwrap();
    assert_eq!(
        common::count(
            &store,
            "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?a <http://purl.org/dc/terms/title> ?t } \
             FILTER(STRSTARTS(STR(?g), 'urn:assetgraph:asset:many-')) }"
        ),
        300
    );
    assert_eq!(licence_ends(&store), 300, "the summaries were not built again");
}

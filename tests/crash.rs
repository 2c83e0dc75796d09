//! A load killed with SIGKILL at the worst moment — parsed, validated, about
//! to commit — leaves the store openable with the previous version intact.

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

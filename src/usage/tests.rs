//! The recorder's grouping of concurrent batches, seen from inside: the
//! test holds the recorder's turn so that batches are sure to wait.

use super::*;
use crate::assets::{Ingest, OnError};
use crate::ingest::{assetgraph as own, Source};
use std::time::Duration;

/// A quay photo that may be downloaded twice, for print in Germany in
/// 2026, and a field photo cleared for anything.
const ASSETS: &str = r#"[
  {"id": "brand:quay", "title": "Quay",
   "rights": {"max_downloads": 2, "grants": [{"territory": "DE", "channel": "print", "from": "2026-01-01", "until": "2027-01-01"}]}},
  {"id": "brand:field", "title": "Field", "rights": {"grants": [{"from": "2020-01-01"}]}}
]"#;

fn store_with_assets() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mapped = own::parse_batch(ASSETS.as_bytes())
        .unwrap()
        .into_iter()
        .map(|r| Ok(own::mapped(&r.unwrap(), Territories::global())))
        .collect();
    let how = Ingest {
        source: Source::AssetGraph,
        actor: "test",
        tenant: "default",
        on_error: OnError::Reject,
    };
    crate::assets::upsert(&store, mapped, &how).unwrap();
    (dir, store)
}

fn downloads(ids: &[&str]) -> String {
    let events: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                r#"{{"id": "{id}", "asset": "brand:quay", "user": "u-{id}", "action": "download",
                    "territory": "DE", "channel": "print", "at": "2026-06-01T10:00:00Z"}}"#
            )
        })
        .collect();
    format!("[{}]", events.join(","))
}

#[test]
fn batches_waiting_together_are_committed_once_each_with_its_own_report() {
    let (_dir, store) = store_with_assets();
    let store = Arc::new(store);
    let recorder = Arc::new(Recorder::default());
    let before = store.generation();
    let bodies = [
        (downloads(&["a1"]), OnError::Reject),
        // An event naming an unknown territory refuses its batch alone.
        (
            r#"[{"id": "b1", "asset": "brand:field", "user": "b", "action": "view"},
                {"id": "b2", "asset": "brand:field", "user": "b", "action": "view", "territory": "Atlantis"}]"#
                .to_owned(),
            OnError::Reject,
        ),
        (downloads(&["c1", "c2"]), OnError::Reject),
    ];

    let turn = lock(&recorder.turn);
    let callers: Vec<_> = bodies
        .into_iter()
        .map(|(body, on_error)| {
            let (store, recorder) = (store.clone(), recorder.clone());
            std::thread::spawn(move || {
                let how = Recording {
                    actor: "forwarder",
                    tenant: "default",
                    on_error,
                    now: crate::rights::parse_time("2026-06-02").unwrap(),
                };
                let events = parse_batch(body.as_bytes()).unwrap();
                recorder.record(&store, events, &FromStore, &how)
            })
        })
        .collect();
    while lock(&recorder.waiting).len() < 3 {
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(turn);
    let reports: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();

    assert_eq!(store.generation(), before + 1, "three waiting batches, one commit");
    let ids = |report: &UsageReport| -> Vec<String> { report.outcomes.iter().filter_map(|o| o.id.clone()).collect() };
    let first = reports[0].as_ref().unwrap();
    assert_eq!(ids(first), ["a1"]);
    assert_eq!(first.within_terms, 1);
    match &reports[1] {
        Err(Error::Records { errors, .. }) => {
            assert_eq!((errors[0].index, errors[0].field.as_str()), (1, "territory"))
        }
        other => panic!("the batch with an unknown territory was not refused: {other:?}"),
    }
    // The limit of two: the first batch's download counts for the third's.
    let third = reports[2].as_ref().unwrap();
    assert_eq!(ids(third), ["c1", "c2"]);
    assert_eq!(
        third.outcomes.iter().map(|o| o.within_terms).collect::<Vec<_>>(),
        [Some(true), Some(false)],
        "{third:?}"
    );
    assert_eq!(third.outcomes[1].rule, Some("downloads-exhausted"));

    let stored = |id: &str| {
        let event = NamedNode::new_unchecked(format!("{EVENT_PREFIX}{id}"));
        let usage = NamedNode::new_unchecked(graphs::USAGE);
        store
            .db()
            .contains(oxigraph::model::QuadRef::new(
                &event,
                rdf::TYPE,
                ag::USAGE_EVENT,
                &usage,
            ))
            .unwrap()
    };
    assert!(["a1", "c1", "c2"].into_iter().all(stored));
    assert!(!stored("b1"), "an event of the refused batch was stored");
}

#[test]
fn a_batch_alone_is_recorded_at_once() {
    let (_dir, store) = store_with_assets();
    let recorder = Recorder::default();
    let how = Recording {
        actor: "forwarder",
        tenant: "default",
        on_error: OnError::Skip,
        now: crate::rights::parse_time("2026-06-02").unwrap(),
    };
    let events = parse_batch(downloads(&["x1"]).as_bytes()).unwrap();
    let report = recorder.record(&store, events, &FromStore, &how).unwrap();
    assert_eq!((report.recorded, report.generation), (1, store.generation()));
    assert!(lock(&recorder.waiting).is_empty());
}

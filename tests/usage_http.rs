//! Usage events over HTTP on loopback: each event decided against the
//! asset's clearance at its time, downloads counted against limits (and
//! search blocking the asset once they are used up), resends not counted
//! twice, and malformed batches refused with nothing stored.

mod common;

use assetgraph::config::Config;
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// Two assets: one licensed for Germany in print until the end of 2026 with
/// two downloads allowed, one licensed everywhere with no limit.
const ASSETS: &str = r#"[
  {"id": "brand:harbour", "title": "Harbour at dawn",
   "rights": {"max_downloads": 2, "downloads": 0,
              "grants": [{"territory": "DE", "channel": "print", "from": "2026-01-01", "until": "2027-01-01"}]}},
  {"id": "brand:meadow", "title": "Meadow in spring",
   "rights": {"grants": [{"from": "2020-01-01"}]}}
]"#;

async fn post_json(client: &Client, url: &str, body: &Value) -> (StatusCode, Value) {
    let response = client.post(url).json(body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn server_with_assets() -> TestServer {
    let server = start_server(Config::default()).await;
    let response = Client::new()
        .post(format!("{}/api/ingest/assetgraph", server.base))
        .body(ASSETS)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    server
}

#[tokio::test]
async fn events_are_decided_at_their_time_and_context() {
    let server = server_with_assets().await;
    let client = Client::new();
    let url = format!("{}/api/usage", server.base);
    let events = json!([
        {"id": "e1", "asset": "brand:harbour", "user": "alice", "action": "publish",
         "at": "2026-06-01T10:00:00Z", "territory": "DE", "channel": "print", "campaign": "spring"},
        {"id": "e2", "asset": "brand:harbour", "user": "bob", "action": "publish",
         "at": "2026-06-01T10:00:00Z", "territory": "FR", "channel": "print", "campaign": "spring"},
        {"id": "e3", "asset": "brand:harbour", "user": "alice", "action": "publish",
         "at": "2025-12-01T10:00:00Z", "territory": "DE", "channel": "print"}
    ]);
    let (status, report) = post_json(&client, &url, &events).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["recorded"], 3);
    assert_eq!(report["within_terms"], 1);
    assert_eq!(report["outside_terms"], 2);
    let outcomes = report["outcomes"].as_array().unwrap();
    assert_eq!(outcomes[0]["rule"], "admitted");
    assert!(outcomes[0]["source"].as_str().unwrap().contains("grant"), "{report}");
    assert_eq!(outcomes[1]["rule"], "grant-does-not-admit");
    assert!(outcomes[1]["detail"].as_str().unwrap().contains("FR"), "{report}");
    assert_eq!(outcomes[2]["within_terms"], false);

    // Stored as PROV-O in the usage graph, and the out-of-contract report
    // lists the two events outside the terms.
    let stored = count(
        &server.store,
        "PREFIX ag: <https://w3id.org/assetgraph/ns#> PREFIX prov: <http://www.w3.org/ns/prov#>
         SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:assetgraph:graph:usage> { ?e a ag:UsageEvent ; prov:used <urn:assetgraph:asset:brand:harbour> } }",
    );
    assert_eq!(stored, 3);
    let response = client
        .get(format!("{}/api/reports/out-of-contract-usage", server.base))
        .send()
        .await
        .unwrap();
    let rows: Value = response.json().await.unwrap();
    let bindings = rows["results"]["bindings"].as_array().unwrap();
    assert_eq!(bindings.len(), 2, "{rows}");
    assert!(bindings.iter().all(|b| b["decision"]["value"].as_str().is_some()));

    // The same batch again: nothing is counted twice.
    let (status, again) = post_json(&client, &url, &events).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["recorded"], 0);
    assert_eq!(again["duplicates"], 3);
}

#[tokio::test]
async fn the_answer_lists_all_outcomes_the_exceptions_or_none() {
    let server = server_with_assets().await;
    let client = Client::new();
    let url = format!("{}/api/usage", server.base);
    let event = |id: &str, territory: &str| {
        json!({"id": id, "asset": "brand:harbour", "user": "alice", "action": "view",
               "at": "2026-06-01T10:00:00Z", "territory": territory, "channel": "print"})
    };
    let ids = |report: &Value| -> Vec<String> {
        report["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let batch = json!([event("in", "DE"), event("out", "FR")]);
    let (status, report) = post_json(&client, &format!("{url}?outcomes=exceptions"), &batch).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(
        (report["within_terms"].as_u64(), report["outside_terms"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(ids(&report), ["out"], "only the event outside the terms is listed");
    // A resent event is an exception too (a duplicate); none lists nothing.
    let (_, report) = post_json(
        &client,
        &format!("{url}?outcomes=exceptions"),
        &json!([event("in", "DE")]),
    )
    .await;
    assert_eq!(ids(&report), ["in"]);
    let (_, report) = post_json(&client, &format!("{url}?outcomes=none"), &json!([event("later", "DE")])).await;
    assert_eq!((report["recorded"].as_u64(), ids(&report).len()), (Some(1), 0));
    let (_, report) = post_json(&client, &url, &json!([event("last", "DE")])).await;
    assert_eq!(ids(&report), ["last"], "all is the default");

    let (status, problem) = post_json(&client, &format!("{url}?outcomes=some"), &json!([event("x", "DE")])).await;
    assert_refused(status, &problem, (400, "invalid-request", Some("outcomes")));
    let (_, report) = post_json(&client, &url, &json!([event("x", "DE")])).await;
    assert_eq!(report["recorded"], 1, "the refused request stored nothing");
}

#[tokio::test]
async fn downloads_count_towards_the_limit_and_block_the_asset_in_search() {
    let server = server_with_assets().await;
    let client = Client::new();
    let url = format!("{}/api/usage", server.base);
    let download = |user: &str| {
        json!({"asset": "brand:harbour", "user": user, "action": "download",
               "at": "2026-06-01T10:00:00Z", "territory": "DE", "channel": "print"})
    };
    // Three downloads of two allowed, in one batch: the third is outside.
    let (status, report) = post_json(&client, &url, &json!([download("a"), download("b"), download("c")])).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let within: Vec<bool> = report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["within_terms"].as_bool().unwrap())
        .collect();
    assert_eq!(within, [true, true, false], "{report}");
    assert_eq!(report["outcomes"][2]["rule"], "downloads-exhausted");

    // The asset reports its downloads used up, and search in its context no
    // longer finds it.
    let asset = fetch_json(
        &client,
        &format!(
            "{}/api/assets/brand:harbour/clearance?territory=DE&channel=print&at=2026-06-02",
            server.base
        ),
    )
    .await;
    assert_eq!(asset["cleared"], false, "{asset}");
    let found = fetch_json(
        &client,
        &format!(
            "{}/api/search?q=harbour&territory=DE&channel=print&at=2026-06-02",
            server.base
        ),
    )
    .await;
    assert_eq!(found["total"], 0, "{found}");

    // A rebuilt index (which reads every tally in one pass) agrees.
    server.index.rebuild(&server.store, &|_, _| {}).unwrap();
    let context = "territory=DE&channel=print&at=2026-06-02";
    let rebuilt = fetch_json(&client, &format!("{}/api/search?q=harbour&{context}", server.base)).await;
    assert_eq!(rebuilt["total"], 0, "{rebuilt}");
}

#[tokio::test]
async fn malformed_events_are_refused_and_nothing_is_stored() {
    let server = server_with_assets().await;
    let client = Client::new();
    let url = format!("{}/api/usage", server.base);
    let generation = server.store.generation();

    let response = client.post(&url).body("[{\"asset\": ").send().await.unwrap();
    let status = response.status();
    let problem: Value = response.json().await.unwrap();
    assert_refused(status, &problem, (400, "syntax", None));
    assert!(problem["line"].is_number(), "{problem}");

    let cases = [
        (
            json!([{"asset": "brand:meadow", "user": "a", "action": "print"}]),
            "action",
        ),
        (json!([{"asset": "brand:meadow", "action": "view"}]), "user"),
        (
            json!([{"asset": "brand:nowhere", "user": "a", "action": "view"}]),
            "asset",
        ),
        (
            json!([{"asset": "brand:meadow", "user": "a", "action": "view", "teritory": "DE"}]),
            "teritory",
        ),
        (
            json!([{"asset": "brand:meadow", "user": "a", "action": "view", "territory": "Atlantis"}]),
            "territory",
        ),
        (
            json!([{"asset": "brand:meadow", "user": "a", "action": "view", "at": "yesterday"}]),
            "at",
        ),
        (
            json!([{"asset": "brand:meadow", "user": "a", "action": "view", "at": "2999-01-01"}]),
            "at",
        ),
    ];
    for (body, field) in cases {
        let good = json!({"asset": "brand:meadow", "user": "a", "action": "view"});
        let batch = json!([good, body[0]]);
        let (status, problem) = post_json(&client, &url, &batch).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["index"], 1, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    assert_eq!(
        server.store.generation(),
        generation,
        "a refused batch stored something"
    );

    // With on_error=skip the valid event is stored and the other reported.
    let batch = json!([
        {"asset": "brand:meadow", "user": "a", "action": "view"},
        {"asset": "brand:meadow", "user": "a", "action": "print"}
    ]);
    let (status, report) = post_json(&client, &format!("{url}?on_error=skip"), &batch).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["recorded"], 1);
    assert_eq!(report["rejected"], 1);
    assert_eq!(report["outcomes"][1]["field"], "action");
}

/// A store holding `ASSETS`, written without a server.
fn store_with_assets() -> (tempfile::TempDir, assetgraph::store::Store) {
    let (dir, store) = open_store();
    let records = assetgraph::ingest::assetgraph::parse_batch(ASSETS.as_bytes()).unwrap();
    let mapped = records
        .into_iter()
        .map(|r| {
            Ok(assetgraph::ingest::assetgraph::mapped(
                &r.unwrap(),
                assetgraph::rights::Territories::global(),
            ))
        })
        .collect();
    let how = assetgraph::assets::Ingest {
        source: assetgraph::ingest::Source::AssetGraph,
        actor: "test",
        tenant: "default",
        on_error: assetgraph::assets::OnError::Reject,
    };
    assetgraph::assets::upsert(&store, mapped, &how).unwrap();
    (dir, store)
}

/// Usage batches touch no indexed data, so they cost the index no commit;
/// an index reopened after them knows it is current and is not rebuilt.
#[test]
fn the_index_stays_current_across_usage_batches_without_a_rebuild() {
    use assetgraph::index::SearchIndex;
    use assetgraph::usage::{self, OnError, Recording};
    let (dir, store) = store_with_assets();
    let record = |store: &assetgraph::store::Store, index: &SearchIndex, body: &str| {
        let how = Recording {
            actor: "test",
            tenant: "default",
            sees: None,
            on_error: OnError::Reject,
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
        };
        usage::record(store, usage::parse_batch(body.as_bytes()).unwrap(), index, &how).unwrap()
    };
    let index = std::sync::Arc::new(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    store.subscribe(index.clone());
    let views = r#"[{"id": "v1", "asset": "brand:meadow", "user": "a", "action": "view"},
                    {"id": "v2", "asset": "brand:harbour", "user": "b", "action": "view"}]"#;
    record(&store, &index, views);
    let written = index.documents_written();
    assert_eq!(index.generation(), Some(store.generation()));
    drop(index);
    drop(store);
    let store = assetgraph::store::Store::open(dir.path()).unwrap();
    let reopened = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    assert_eq!(
        reopened.documents_written(),
        0,
        "the index was rebuilt after usage events only"
    );
    assert_eq!(reopened.generation(), Some(store.generation()));
    assert!(written > 0);

    // After the restart, a resent batch is still known (the store's filter
    // of recorded events is built again from the store).
    let reopened = std::sync::Arc::new(reopened);
    store.subscribe(reopened.clone());
    let again = record(&store, &reopened, views);
    assert_eq!((again.duplicates, again.recorded), (2, 0));

    // A download below the limit (two allowed) is counted without
    // rewriting the asset's document; the one that uses it up rewrites it.
    let download = |user: &str| {
        format!(
            r#"[{{"asset": "brand:harbour", "user": "{user}", "action": "download", "territory": "DE", "channel": "print"}}]"#
        )
    };
    record(&store, &reopened, &download("c"));
    assert_eq!(
        reopened.documents_written(),
        0,
        "one download of two rewrote a document"
    );
    record(&store, &reopened, &download("d"));
    assert_eq!(reopened.documents_written(), 1, "the download that used up the limit");
    let harbour = oxigraph::model::NamedNode::new_unchecked("urn:assetgraph:asset:brand:harbour");
    let rights = |index: &SearchIndex| {
        use assetgraph::rights::RightsOf;
        index.rights_of(&harbour).unwrap().unwrap().downloads
    };
    assert_eq!(rights(&reopened), Some((2, 2)));
    assert_eq!(reopened.generation(), Some(store.generation()));
}

/// Downloads the index never heard of (the process stopped after the
/// store committed them) are taken in when it opens: the documents of
/// the tallied assets are written again, without a rebuild.
#[test]
fn an_index_opened_after_unseen_downloads_rewrites_only_their_assets() {
    use assetgraph::index::SearchIndex;
    use assetgraph::usage::{self, OnError, Recording};
    let (dir, store) = store_with_assets();
    drop(SearchIndex::open(&dir.path().join("index"), &store).unwrap());
    // Two downloads of two allowed, recorded with no index listening.
    let how = Recording {
        actor: "test",
        tenant: "default",
        sees: None,
        on_error: OnError::Reject,
        now: time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    let body = r#"[{"asset": "brand:harbour", "user": "a", "action": "download", "territory": "DE", "channel": "print"},
                   {"asset": "brand:harbour", "user": "b", "action": "download", "territory": "DE", "channel": "print"}]"#;
    usage::record(
        &store,
        usage::parse_batch(body.as_bytes()).unwrap(),
        &assetgraph::records::FromStore(&store),
        &how,
    )
    .unwrap();

    let index = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    assert_eq!(index.documents_written(), 1, "only the tallied asset is written again");
    assert_eq!(index.generation(), Some(store.generation()));
    use assetgraph::rights::{Context, Dimension, Territories};
    let at = assetgraph::rdf::time::parse("2026-06-02").unwrap();
    let request = assetgraph::index::SearchRequest {
        q: "harbour".into(),
        limit: 10,
        context: Some(
            Context::at(at)
                .with_value(Dimension::Territory, "DE", Territories::global())
                .with_value(Dimension::Channel, "print", Territories::global()),
        ),
        ..Default::default()
    };
    assert_eq!(index.search(&request).unwrap().total, 0, "its downloads are used up");
    let everywhere = assetgraph::index::SearchRequest {
        context: None,
        ..request
    };
    assert_eq!(index.search(&everywhere).unwrap().total, 1);
}

#[tokio::test]
async fn the_audit_trail_of_an_asset_has_its_versions_and_uses_in_order() {
    let server = server_with_assets().await;
    let client = Client::new();
    let base = &server.base;
    // A second version of the record, then a use outside the terms.
    let updated = ASSETS.replace("Harbour at dawn", "Harbour at dusk");
    let response = client
        .post(format!("{base}/api/ingest/assetgraph"))
        .body(updated)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let event = json!({"id": "late", "asset": "brand:harbour", "user": "carol", "action": "distribute",
                       "at": "2026-03-01T09:00:00Z", "territory": "JP", "channel": "print"});
    let (status, _) = post_json(&client, &format!("{base}/api/usage"), &event).await;
    assert_eq!(status, StatusCode::CREATED);

    let trail = fetch_json(&client, &format!("{base}/api/audit?asset=brand:harbour")).await;
    let entries = trail["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    // The use is dated March 2026, before both record versions were written.
    assert_eq!(kinds, ["usage", "record", "record"], "{trail}");
    assert_eq!(entries[0]["within_terms"], false);
    assert_eq!(entries[0]["who"], "carol");
    assert!(
        entries[0]["detail"].as_str().unwrap().contains("territory JP"),
        "{trail}"
    );
    assert_eq!(entries[1]["what"], "assets.ingest.assetgraph");
    assert!(entries[2]["generation"].as_u64() > entries[1]["generation"].as_u64());

    // A window that ends before the record was written keeps only the use.
    let early = fetch_json(&client, &format!("{base}/api/audit?asset=brand:harbour&to=2026-06-01")).await;
    assert_eq!(early["entries"].as_array().unwrap().len(), 1, "{early}");

    // CSV and JSON-LD exports of the same timeline.
    let csv = client
        .get(format!("{base}/api/audit?asset=brand:harbour"))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("at,kind,what,who"));
    assert!(lines[1].contains(",usage,distribute,carol,false,"), "{csv}");
    let response = client
        .get(format!("{base}/api/audit?asset=brand:harbour&format=jsonld"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["@graph"].as_array().unwrap().len(), 3);
    assert_eq!(document["@context"]["prov"], "http://www.w3.org/ns/prov#");

    // The whole trail: one entry per commit (the ingest batches, the usage
    // report) and one per use.
    let all = fetch_json(&client, &format!("{base}/api/audit?limit=100")).await;
    let kinds: Vec<&str> = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "usage").count(), 1, "{all}");
    assert_eq!(kinds.iter().filter(|k| **k == "record").count(), 2, "{all}");
    assert!(kinds.contains(&"usage-report"), "{all}");

    // Refusals: an unknown asset, a bad date, an unknown parameter.
    for (query, status) in [
        ("asset=brand:nowhere", StatusCode::NOT_FOUND),
        ("asset=brand:harbour&from=last-week", StatusCode::BAD_REQUEST),
        ("assett=brand:harbour", StatusCode::BAD_REQUEST),
        ("format=xml", StatusCode::BAD_REQUEST),
    ] {
        let response = client.get(format!("{base}/api/audit?{query}")).send().await.unwrap();
        assert_eq!(response.status(), status, "{query}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
    }
}

/// The out-of-contract report lists each event once, whatever the number
/// of languages the asset's title is in.
#[tokio::test]
async fn the_out_of_contract_report_has_one_row_per_event() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let asset = r#"[{"id": "brand:tower", "title": "Tower", "language": "en",
        "variants": {"de": {"title": "Turm"}, "fr": {"title": "Tour"}},
        "rights": {"grants": [{"territory": "DE", "from": "2020-01-01"}]}}]"#;
    let response = client
        .post(format!("{}/api/ingest/assetgraph", server.base))
        .body(asset)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
    let event = json!({"asset": "brand:tower", "user": "a", "action": "publish", "territory": "JP"});
    let (status, _) = post_json(&client, &format!("{}/api/usage", server.base), &event).await;
    assert_eq!(status, StatusCode::CREATED);
    let rows = fetch_json(&client, &format!("{}/api/reports/out-of-contract-usage", server.base)).await;
    let bindings = rows["results"]["bindings"].as_array().unwrap();
    assert_eq!(bindings.len(), 1, "{rows}");
    assert_eq!(bindings[0]["title"]["value"], "Tower");
}

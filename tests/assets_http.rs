//! Asset ingest, reads, clearance and deletion over HTTP on loopback, and
//! every refusal: bad JSON (400 with line and column), invalid records (422
//! naming record index and field), unknown sources and context values
//! (400) — each leaving the store as it was.

mod common;

use assetgraph::config::Config;
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const SMINTIO: &str = include_str!("fixtures/sources/smintio-sync.json");

/// A small XMP sidecar written for these tests.
const SIDECAR: &str = r#"<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x='adobe:ns:meta/'>
<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>
 <rdf:Description rdf:about=''
  xmlns:dc='http://purl.org/dc/elements/1.1/'
  xmlns:xmpRights='http://ns.adobe.com/xap/1.0/rights/'
  xmlns:plus='http://ns.useplus.org/ldf/xmp/1.0/'
  xmlns:Iptc4xmpExt='http://iptc.org/std/Iptc4xmpExt/2008-02-29/'>
  <dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Lighthouse at dusk</rdf:li><rdf:li xml:lang='de'>Leuchtturm in der Dämmerung</rdf:li></rdf:Alt></dc:title>
  <dc:subject><rdf:Bag><rdf:li>lighthouse</rdf:li><rdf:li>coast</rdf:li></rdf:Bag></dc:subject>
  <dc:creator><rdf:Seq><rdf:li>Ana Example</rdf:li></rdf:Seq></dc:creator>
  <dc:rights><rdf:Alt><rdf:li xml:lang='x-default'>© 2026 Ana Example</rdf:li></rdf:Alt></dc:rights>
  <xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang='x-default'>Editorial use only</rdf:li></rdf:Alt></xmpRights:UsageTerms>
  <xmpRights:WebStatement>https://example.com/licence/lighthouse</xmpRights:WebStatement>
  <plus:Licensor><rdf:Seq><rdf:li rdf:parseType='Resource'><plus:LicensorName>Example Images</plus:LicensorName></rdf:li></rdf:Seq></plus:Licensor>
  <Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture</Iptc4xmpExt:DigitalSourceType>
 </rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end='w'?>"#;

async fn post(client: &Client, url: &str, body: impl Into<reqwest::Body>) -> (StatusCode, String, Value) {
    let response = client.post(url).body(body).send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, content_type, body)
}

async fn get(client: &Client, url: &str) -> (StatusCode, Value) {
    let response = client.get(url).send().await.unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn ingest_read_clear_and_delete_a_purchase() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let (status, _, report) = post(&client, &format!("{base}/api/ingest/smintio"), SMINTIO).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["outcomes"][0]["outcome"], "created");
    assert_eq!(report["outcomes"][0]["id"], "smintio:79468");

    // The bare array of transactions is accepted too, and changes nothing.
    let value: Value = serde_json::from_str(SMINTIO).unwrap();
    let bare = value["license_purchase_transactions"].to_string();
    let (status, _, report) = post(&client, &format!("{base}/api/ingest/smintio"), bare).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["unchanged"], 1);

    let (status, asset) = get(&client, &format!("{base}/api/assets/smintio:79468")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(asset["title"]["en"], "little mouse hiding her muzzle");
    assert_eq!(asset["source"], "smintio");
    assert_eq!(asset["licences"].as_array().unwrap().len(), 5, "{}", asset["licences"]);
    assert_eq!(asset["clearance"]["downloads"], json!({"used": 0, "allowed": 10}));
    assert_eq!(asset["properties"]["ag:licensee"], json!(["ACME GmbH"]));

    // Context values in every spelling.
    let clearance = |query: &'static str| {
        let client = client.clone();
        let url = format!("{base}/api/assets/smintio:79468/clearance?{query}");
        async move { get(&client, &url).await }
    };
    for query in [
        "territory=DE&channel=web&at=2026-06-01",
        "territory=europe_germany&channel=channel_web&at=2026-06-01",
        "territory=https://w3id.org/assetgraph/territory/DE&channel=Web&at=2026-06-01T12:00:00Z",
        "territory=Germany&usage=digital_media_social_media&language=language_german&at=2026-06-01",
    ] {
        let (status, answer) = clearance(query).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["cleared"], true, "{query}: {answer}");
        assert_eq!(answer["reasons"][0]["rule"], "admitted");
    }
    let (_, answer) = clearance("territory=US&at=2026-06-01").await;
    assert_eq!(answer["cleared"], false);
    let rules: Vec<&str> = answer["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"restricted"), "{answer}");
    for (query, field) in [
        ("territory=Atlantis", "territory"),
        ("colour=red", "colour"),
        ("at=soon", "at"),
    ] {
        let (status, problem) = clearance(query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(problem["field"], field, "{problem}");
    }

    let response = client
        .delete(format!("{base}/api/assets/smintio:79468"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, problem) = get(&client, &format!("{base}/api/assets/smintio:79468")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["status"], 404);
    let response = client
        .delete(format!("{base}/api/assets/smintio:79468"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_batches_are_refused_and_store_nothing() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let generation = server.store.generation();

    let (status, content_type, problem) = post(&client, &format!("{base}/api/ingest/smintio"), "[{\"uuid\": ").await;
    assert_refused(status, &problem, (400, "syntax", None));
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(
        (problem["line"].as_u64(), problem["column"].as_u64()),
        (Some(1), Some(10))
    );

    let (status, _, problem) = post(&client, &format!("{base}/api/ingest/flickr"), "[]").await;
    assert_refused(status, &problem, (400, "invalid-request", Some("source")));

    // One good record, one without its id, one with a wrong type: nothing is stored.
    let batch = json!([
        {"uuid": "1", "version": 1, "content_element": {"name": [{"culture": "en", "value": "ok"}]}},
        {"state": "completed"},
        {"uuid": "3", "license_terms": [{"valid_from": 20240101}]}
    ]);
    let (status, content_type, problem) = post(&client, &format!("{base}/api/ingest/smintio"), batch.to_string()).await;
    assert_refused(status, &problem, (422, "invalid-records", Some("uuid")));
    assert_eq!(content_type, "application/problem+json");
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{problem}");
    assert_eq!(
        (errors[0]["index"].as_u64(), errors[0]["field"].as_str()),
        (Some(1), Some("uuid"))
    );
    assert_eq!(
        (
            errors[1]["index"].as_u64(),
            errors[1]["field"].as_str(),
            errors[1]["id"].as_str()
        ),
        (Some(2), Some("license_terms[0].valid_from"), Some("smintio:3"))
    );
    let (status, _) = get(&client, &format!("{base}/api/assets/smintio:1")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the valid record of a refused batch is not stored"
    );

    // The project's own format names its fields the same way.
    let (status, _, problem) = post(
        &client,
        &format!("{base}/api/ingest/assetgraph"),
        json!([{"id": "a", "title": "A", "rights": {"grants": [{"from": "tomorrow"}]}}]).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "rights.grants[0].from");
    assert_eq!(server.store.generation(), generation, "nothing was written");

    // on_error=skip stores the valid record and reports the others.
    let (status, _, report) = post(
        &client,
        &format!("{base}/api/ingest/smintio?on_error=skip"),
        batch.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let outcomes: Vec<&str> = report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["created", "rejected", "rejected"]);
    let (status, _) = get(&client, &format!("{base}/api/assets/smintio:1")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn files_arrive_as_the_body_or_as_multipart() {
    let server = start_server(Config::default()).await;
    let client = Client::new();
    let base = &server.base;
    let (status, _, report) = post(
        &client,
        &format!("{base}/api/ingest/files?name=lighthouse.xmp"),
        SIDECAR,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let (_, asset) = get(&client, &format!("{base}/api/assets/files:lighthouse.xmp")).await;
    assert_eq!(asset["title"]["de"], "Leuchtturm in der Dämmerung");
    assert_eq!(asset["keywords"]["en"], json!(["coast", "lighthouse"]));
    assert_eq!(asset["properties"]["ag:licensor"], json!(["Example Images"]));
    assert_eq!(
        asset["properties"]["xmpRights:UsageTerms"],
        json!(["Editorial use only@en"])
    );
    assert_eq!(
        asset["properties"]["ag:digitalSourceType"],
        json!(["http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"])
    );

    let boundary = "assetgraph-test-boundary";
    let mut body = Vec::new();
    for (name, content) in [("shoot/a.xmp", SIDECAR), ("shoot/b.jpg", "not an image at all")] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let response = client
        .post(format!("{base}/api/ingest/files?on_error=skip"))
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["outcomes"][0]["id"], "files:shoot/a.xmp");
    assert_eq!(report["outcomes"][1]["outcome"], "rejected");
    assert_eq!(report["outcomes"][1]["field"], "xmp");
    let (status, _) = get(&client, &format!("{base}/api/assets/files:shoot/a.xmp")).await;
    assert_eq!(status, StatusCode::OK, "ids with a slash are reachable");

    let (status, _, problem) = post(&client, &format!("{base}/api/ingest/files"), SIDECAR).await;
    assert_refused(status, &problem, (400, "invalid-request", Some("name")));
}

//! The tenant matrix: tenant A's keys, of every role, against tenant B's
//! data on every route the router declares. Nothing of B's may appear in
//! any answer to A (no leak), and no request of A's may change the store
//! (no write: each case aims at B's data).
//!
//! B's data carries markers (`b-secret`, `bzebra`, `b.example`, `b-hook`,
//! `b-themes`) found nowhere else; an answer leaks when it holds a marker
//! its request did not send (a 404 naming the id it was asked for is not
//! a leak). So that the matrix cannot pass because every answer is empty,
//! the unscoped operator key runs the same cases and must see B's markers.
//!
//! A route added to the router without a case here fails
//! `every_route_has_a_tenant_case`.

mod common;

use assetgraph::config::Config;
use assetgraph::webhooks::{Subscription, Subscriptions};
use common::*;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const MARKERS: [&str; 5] = ["b-secret", "bzebra", "b.example", "b-hook", "b-themes"];
const A_ROLES: [&str; 4] = ["reader", "analyst", "editor", "admin"];

/// A request: method, path and query, content type, body.
type Request<'a> = (&'a str, &'a str, &'a str, &'a str);

/// One request of the matrix.
type Case = Request<'static>;

const JSON: &str = "application/json";
const TURTLE: &str = "text/turtle";
const UPDATE: &str = "application/sparql-update";
const QUERY: &str = "application/sparql-query";

const B_TAXONOMY: &str = "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://b.example/themes> a skos:ConceptScheme ; skos:prefLabel \"Bzebra themes\"@en .
<http://b.example/zebras> a skos:Concept ; skos:inScheme <http://b.example/themes> ;
    skos:prefLabel \"Bzebra stripes\"@en ; skos:altLabel \"Bzebra pattern\"@en .
";

const A_TAXONOMY: &str = "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://a.example/themes> a skos:ConceptScheme ; skos:prefLabel \"Cup themes\"@en .
<http://a.example/cups> a skos:Concept ; skos:inScheme <http://a.example/themes> ; skos:prefLabel \"Paper cups\"@en .
";

const SHARED_TAXONOMY: &str = "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://shared.example/themes> a skos:ConceptScheme ; skos:prefLabel \"Common themes\"@en .
<http://shared.example/tableware> a skos:Concept ; skos:inScheme <http://shared.example/themes> ;
    skos:prefLabel \"Commonware tableware\"@en .
";

/// Every route with the requests that aim at B's data through it.
const CASES: &[Case] = &[
    ("GET", "/health", "", ""),
    ("GET", "/", "", ""),
    ("GET", "/web/assetgraph-search.js", "", ""),
    ("GET", "/web/assetgraph-search.classic.js", "", ""),
    ("GET", "/web/pages/common.js", "", ""),
    ("GET", "/reports", "", ""),
    ("GET", "/metrics", "", ""),
    ("POST", "/api/backups", JSON, r#"{"name": "a-takes-everything"}"#),
    ("GET", "/api/taxonomies", "", ""),
    ("GET", "/api/taxonomies/b-themes", "", ""),
    ("PUT", "/api/taxonomies/b-themes", TURTLE, A_TAXONOMY),
    ("POST", "/api/taxonomies/b-themes", TURTLE, A_TAXONOMY),
    ("GET", "/api/concepts?iri=http%3A%2F%2Fb.example%2Fzebras", "", ""),
    ("GET", "/api/concepts?q=bzebra", "", ""),
    (
        "POST",
        "/api/ingest/assetgraph",
        JSON,
        r#"[{"id": "brand:b-secret", "title": "Taken over"}]"#,
    ),
    ("GET", "/api/assets/brand:b-secret", "", ""),
    ("GET", "/api/assets/brand:b-secret/clearance?territory=DE", "", ""),
    ("DELETE", "/api/assets/brand:b-secret", "", ""),
    ("GET", "/api/search?q=bzebra", "", ""),
    ("GET", "/api/search?q=poster", "", ""),
    ("GET", "/api/search?q=stripes&include_blocked=true", "", ""),
    ("GET", "/api/search?concept=http%3A%2F%2Fb.example%2Fzebras", "", ""),
    ("GET", "/api/suggest?q=bzeb", "", ""),
    ("GET", "/api/suggest?q=post", "", ""),
    ("POST", "/api/tag", JSON, r#"{"text": "a poster of bzebra stripes"}"#),
    ("POST", "/api/recommend", JSON, r#"{"brief": "bzebra stripes poster"}"#),
    (
        "GET",
        "/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
        "",
        "",
    ),
    ("POST", "/sparql", QUERY, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"),
    (
        "POST",
        "/sparql",
        QUERY,
        "SELECT * FROM <urn:assetgraph:asset:brand:b-secret> FROM NAMED <http://b.example/notes> \
         WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
    ),
    (
        "POST",
        "/sparql",
        QUERY,
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    ),
    (
        "POST",
        "/sparql",
        QUERY,
        "PREFIX ag: <https://w3id.org/assetgraph/ns#> \
         SELECT * WHERE { SERVICE ag:search { [] ag:query \"poster\" ; ag:asset ?a } }",
    ),
    (
        "POST",
        "/sparql",
        QUERY,
        "PREFIX prov: <http://www.w3.org/ns/prov#> SELECT * WHERE { GRAPH ?g { ?e prov:used ?a ; ?p ?o } }",
    ),
    (
        "GET",
        "/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D\
         &default-graph-uri=urn%3Aassetgraph%3Aasset%3Abrand%3Ab-secret",
        "",
        "",
    ),
    (
        "GET",
        "/sparql?query=SELECT%20*%20WHERE%20%7B%20GRAPH%20%3Fg%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D\
         &named-graph-uri=http%3A%2F%2Fb.example%2Fnotes",
        "",
        "",
    ),
    ("POST", "/sparql", UPDATE, "DROP ALL"),
    ("POST", "/sparql", UPDATE, "DROP GRAPH <http://b.example/notes>"),
    (
        "POST",
        "/sparql",
        UPDATE,
        "DELETE WHERE { GRAPH <http://b.example/notes> { ?s ?p ?o } }",
    ),
    (
        "POST",
        "/sparql",
        UPDATE,
        "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s <http://b.example/says> ?o ; ?p ?o } }",
    ),
    (
        "POST",
        "/sparql",
        UPDATE,
        "INSERT DATA { GRAPH <http://b.example/notes> { <http://b.example/n> <http://b.example/p> 1 } }",
    ),
    ("GET", "/store?graph=http%3A%2F%2Fb.example%2Fnotes", "", ""),
    (
        "GET",
        "/store?graph=urn%3Aassetgraph%3Aasset%3Abrand%3Ab-secret",
        "",
        "",
    ),
    ("GET", "/store?default", "", ""),
    ("GET", "/store", "", ""),
    (
        "PUT",
        "/store?graph=http%3A%2F%2Fb.example%2Fnotes",
        TURTLE,
        "<http://a.example/x> <http://a.example/y> 1 .",
    ),
    (
        "POST",
        "/store?graph=http%3A%2F%2Fb.example%2Fnotes",
        TURTLE,
        "<http://a.example/x> <http://a.example/y> 1 .",
    ),
    ("DELETE", "/store?graph=http%3A%2F%2Fb.example%2Fnotes", "", ""),
    (
        "PUT",
        "/store/b-themes-notes",
        TURTLE,
        "<http://a.example/x> <http://a.example/y> 1 .",
    ),
    ("GET", "/api/reports", "", ""),
    ("GET", "/api/reports/licences-expiring", "", ""),
    ("GET", "/api/reports/usage-by-concept-campaign-market", "", ""),
    ("GET", "/api/reports/out-of-contract-usage", "", ""),
    ("GET", "/api/reports/most-reused-categories", "", ""),
    (
        "GET",
        "/api/reports/concepts-without-cleared-asset?territory=DE",
        "",
        "",
    ),
    ("GET", "/api/reports/licensing-spend-by-provider", "", ""),
    ("GET", "/api/reports/taxonomy-change-history", "", ""),
    (
        "GET",
        "/api/reports/audit-trail-of-asset?asset=urn%3Aassetgraph%3Aasset%3Abrand%3Ab-secret",
        "",
        "",
    ),
    (
        "POST",
        "/api/usage",
        JSON,
        r#"[{"asset": "brand:b-secret", "user": "someone", "action": "download", "territory": "DE"}]"#,
    ),
    (
        "POST",
        "/api/usage?on_error=skip",
        JSON,
        r#"[{"asset": "brand:b-secret", "user": "someone", "action": "download", "territory": "DE"}]"#,
    ),
    ("GET", "/api/audit", "", ""),
    ("GET", "/api/audit?asset=brand:b-secret", "", ""),
    ("GET", "/api/alerts/expiring?within=P60D", "", ""),
    ("GET", "/api/webhooks", "", ""),
    (
        "POST",
        "/api/webhooks",
        JSON,
        r#"{"name": "stolen", "url": "http://127.0.0.1:9/", "tenant": "b"}"#,
    ),
    ("GET", "/api/webhooks/deliveries", "", ""),
    ("GET", "/api/webhooks/deliveries?subscription=b-hook", "", ""),
    ("DELETE", "/api/webhooks/b-hook", "", ""),
    ("POST", "/api/webhooks/b-hook/redeliver", "", ""),
    ("POST", "/api/connectors/poolparty/sync", "", ""),
    (
        "POST",
        "/api/connectors/rightsline/sns",
        JSON,
        r#"{"Type": "Notification"}"#,
    ),
    (
        "POST",
        "/api/connectors/rightsline/usage-export?from=2020-01-01&to=2030-01-01",
        "",
        "",
    ),
    ("GET", "/api/connectors/dropbox/webhook?challenge=x", "", ""),
    ("POST", "/api/connectors/dropbox/webhook", JSON, "{}"),
    (
        "POST",
        "/api/tokens",
        JSON,
        r#"{"subject": "someone", "tenants": ["b"]}"#,
    ),
    (
        "POST",
        "/api/tokens/revocations?tenant=b",
        JSON,
        r#"{"subject": "someone"}"#,
    ),
    ("GET", "/api/search?q=bzebra&tenant=b", "", ""),
    (
        "POST",
        "/api/ingest/assetgraph?tenant=b",
        JSON,
        r#"[{"id": "brand:a-new", "title": "Into B"}]"#,
    ),
];

fn config() -> Config {
    let mut text = String::from(
        r#"
        [outbound]
        allowed_hosts = ["127.0.0.1:*"]
        [alerts]
        interval_secs = 0
        [server]
        requests_per_second = 0
        [tokens]
        signing_keys = ["matrix-signing-key-0123456789abcdef"]
        [[webhooks.subscriptions]]
        name = "b-hook"
        url = "http://127.0.0.1:9/b"
        secret = "b-hook-secret-0123456789"
        tenant = "b"
        [[webhooks.subscriptions]]
        name = "a-hook"
        url = "http://127.0.0.1:9/a"
        secret = "a-hook-secret-0123456789"
        tenant = "a"
        "#,
    );
    let keys: [(&str, &str, &str); 8] = [
        ("a-reader", "reader", r#"["a"]"#),
        ("a-analyst", "analyst", r#"["a"]"#),
        ("a-editor", "editor", r#"["a"]"#),
        ("a-admin", "admin", r#"["a"]"#),
        ("b-editor", "editor", r#"["b"]"#),
        ("b-admin", "admin", r#"["b"]"#),
        ("ab-editor", "editor", r#"["a", "b"]"#),
        ("operator", "admin", "[]"),
    ];
    for (name, role, tenants) in keys {
        text.push_str(&format!(
            "[[keys]]\nname = \"{name}\"\nrole = \"{role}\"\nsecret = \"{name}-secret\"\ntenants = {tenants}\n"
        ));
    }
    toml::from_str(&text).unwrap()
}

async fn send(client: &Client, base: &str, key: &str, request: Request<'_>) -> (StatusCode, String) {
    let (method, path, content_type, body) = request;
    let mut request = client
        .request(Method::from_bytes(method.as_bytes()).unwrap(), format!("{base}{path}"))
        .bearer_auth(format!("{key}-secret"));
    if !content_type.is_empty() {
        request = request.header("content-type", content_type).body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The markers of B's data in an answer that its request did not send.
fn leaked(case: Case, answer: &str) -> Vec<&'static str> {
    let sent = format!("{} {}", case.1, case.3).to_lowercase();
    let answer = answer.to_lowercase();
    MARKERS
        .into_iter()
        .filter(|m| !sent.contains(m) && answer.contains(m))
        .collect()
}

/// B's asset (licensed until a month from now, tagged with B's concept),
/// B's taxonomy, a graph B wrote with SPARQL, a use of B's asset, and the
/// delivery of its expiry to B's webhook; A's asset and taxonomy; and a
/// taxonomy an admin shared with everyone.
async fn seed(client: &Client, server: &TestServer) {
    let base = &server.base;
    let ok = |(status, body): (StatusCode, String)| assert!(status.is_success(), "{status}: {body}");
    let soon = time::OffsetDateTime::now_utc() + time::Duration::days(20);
    let until = soon.date().to_string();
    let b_asset = json!([{"id": "brand:b-secret", "title": "Bzebra poster", "description": "a striped poster",
        "concepts": ["http://b.example/zebras"],
        "rights": {"grants": [{"territory": "any", "until": until}]}}])
    .to_string();
    let a_asset = json!([{"id": "brand:a-cup", "title": "Paper cup poster", "description": "a cup on a poster",
        "concepts": ["http://a.example/cups"],
        "rights": {"grants": [{"territory": "any", "until": until}]}}])
    .to_string();
    let b_use = r#"[{"asset": "brand:b-secret", "user": "bzebra-user", "action": "download", "territory": "DE"}]"#;
    let b_note = "INSERT DATA { GRAPH <http://b.example/notes> { <http://b.example/n1> <http://b.example/says> \"Bzebra note\" } }";
    let steps: [(&str, Request<'_>); 8] = [
        ("b-editor", ("PUT", "/api/taxonomies/b-themes", TURTLE, B_TAXONOMY)),
        ("a-editor", ("PUT", "/api/taxonomies/a-themes", TURTLE, A_TAXONOMY)),
        (
            "operator",
            (
                "PUT",
                "/api/taxonomies/shared-themes?tenant=shared",
                TURTLE,
                SHARED_TAXONOMY,
            ),
        ),
        ("b-editor", ("POST", "/api/ingest/assetgraph", JSON, &b_asset)),
        ("a-editor", ("POST", "/api/ingest/assetgraph", JSON, &a_asset)),
        ("b-editor", ("POST", "/sparql", UPDATE, b_note)),
        ("b-editor", ("POST", "/api/usage", JSON, b_use)),
        (
            "b-editor",
            (
                "PUT",
                "/store/b-themes-notes",
                TURTLE,
                "<http://b.example/x> <http://b.example/y> 1 .",
            ),
        ),
    ];
    for (key, request) in steps {
        ok(send(client, base, key, request).await);
    }
    // The scheduler's tick: the expiries go out, each to its own tenant's hook.
    let subscription = |name: &str, tenant: &str| Subscription {
        name: name.into(),
        url: format!("http://127.0.0.1:9/{tenant}"),
        secret: format!("{name}-secret-0123456789").into(),
        events: vec!["*".into()],
        tenant: Some(tenant.into()),
    };
    let subscriptions = Subscriptions::new(
        vec![subscription("b-hook", "b"), subscription("a-hook", "a")],
        None,
        vec!["127.0.0.1:*".into()],
    )
    .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let enqueued =
        assetgraph::alerts::events::run_tick(&server.store, &*server.index, &subscriptions, now, 60 * 86_400, true)
            .unwrap();
    assert!(
        enqueued.iter().any(|e| e.contains("b-secret")),
        "no expiry of B's asset was raised: {enqueued:?}"
    );
}

#[tokio::test]
async fn tenant_a_never_sees_or_changes_tenant_b() {
    let server = start_server(config()).await;
    let client = Client::new();
    seed(&client, &server).await;
    let base = &server.base;

    let mut leaks = Vec::new();
    let mut writes = Vec::new();
    for role in A_ROLES {
        let key = format!("a-{role}");
        for &case in CASES {
            let generation = server.store.generation();
            let (status, answer) = send(&client, base, &key, case).await;
            assert!(status.as_u16() < 500, "{key} {} {}: {status} {answer}", case.0, case.1);
            let found = leaked(case, &answer);
            if !found.is_empty() {
                leaks.push(format!("{key} {} {} leaks {found:?}: {answer}", case.0, case.1));
            }
            if server.store.generation() != generation {
                writes.push(format!("{key} {} {} wrote ({status})", case.0, case.1));
            }
        }
    }
    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));
    assert!(writes.is_empty(), "{} writes:\n{}", writes.len(), writes.join("\n"));

    // An update reads what a query of the same key reads: copying every
    // graph A can see into a graph of A's copies nothing of B's.
    let copy = "INSERT { GRAPH <http://a.example/copy> { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }";
    let (status, answer) = send(&client, base, "a-editor", ("POST", "/sparql", UPDATE, copy)).await;
    assert!(status.is_success(), "{answer}");
    let read = ("GET", "/store?graph=http%3A%2F%2Fa.example%2Fcopy", "", "");
    let (status, copied) = send(&client, base, "a-editor", read).await;
    assert_eq!(status, StatusCode::OK, "{copied}");
    assert!(copied.contains("brand:a-cup"), "the copy is empty: {copied}");
    assert!(leaked(read, &copied).is_empty(), "an update copied B's data: {copied}");

    // The matrix can see a leak: the operator, who reads every tenant, is
    // shown B's data through most read routes.
    let mut seen = 0;
    for &case in CASES.iter().filter(|c| c.0 == "GET") {
        let (_, answer) = send(&client, base, "operator", case).await;
        if !leaked(case, &answer).is_empty() {
            seen += 1;
        }
    }
    assert!(seen >= 15, "the operator saw B's data through {seen} routes only");
}

#[tokio::test]
async fn a_tenant_sees_its_own_and_the_shared_data() {
    let server = start_server(config()).await;
    let client = Client::new();
    seed(&client, &server).await;
    let base = &server.base;
    let get = |key: &'static str, path: &'static str| send(&client, base, key, ("GET", path, "", ""));

    // Its own asset and concept, and the shared taxonomy's concept.
    let (_, answer) = get("a-reader", "/api/search?q=poster").await;
    assert!(answer.contains("brand:a-cup"), "{answer}");
    let (_, answer) = get("a-reader", "/api/suggest?q=commonw").await;
    assert!(answer.contains("Commonware tableware"), "{answer}");
    let (_, answer) = get("b-editor", "/api/suggest?q=commonw").await;
    assert!(answer.contains("Commonware tableware"), "{answer}");
    let (_, answer) = get("a-reader", "/api/taxonomies").await;
    assert!(
        answer.contains("a-themes") && answer.contains("shared-themes"),
        "{answer}"
    );
    let (_, answer) = get("a-admin", "/api/webhooks/deliveries").await;
    assert!(answer.contains("a-hook") && answer.contains("brand:a-cup"), "{answer}");
    let (_, answer) = get("a-reader", "/api/alerts/expiring?within=P60D").await;
    assert!(answer.contains("brand:a-cup"), "{answer}");

    // Its analysts query its own usage events, in its own usage graph;
    // the operator sees every tenant's.
    let use_of_a = r#"[{"asset": "brand:a-cup", "user": "cup-user", "action": "view", "territory": "DE"}]"#;
    let (status, answer) = send(&client, base, "a-editor", ("POST", "/api/usage", JSON, use_of_a)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let events = "PREFIX ag: <https://w3id.org/assetgraph/ns#> SELECT ?g ?e WHERE { GRAPH ?g { ?e a ag:UsageEvent } }";
    let (_, answer) = send(&client, base, "a-analyst", ("POST", "/sparql", QUERY, events)).await;
    let rows: Value = serde_json::from_str(&answer).unwrap();
    let graphs: Vec<&str> = rows["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["g"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(graphs, ["urn:assetgraph:tenant-usage:a"], "{answer}");
    let (_, answer) = send(&client, base, "operator", ("POST", "/sparql", QUERY, events)).await;
    assert!(
        answer.contains("tenant-usage:a") && answer.contains("tenant-usage:b"),
        "{answer}"
    );
    let (_, answer) = get(
        "a-analyst",
        "/api/reports/audit-trail-of-asset?asset=urn%3Aassetgraph%3Aasset%3Abrand%3Aa-cup",
    )
    .await;
    assert!(answer.contains("cup-user"), "{answer}");

    // Only an admin writes for the shared tenant.
    let (status, answer) = send(
        &client,
        base,
        "a-editor",
        (
            "PUT",
            "/api/taxonomies/more-shared?tenant=shared",
            TURTLE,
            SHARED_TAXONOMY,
        ),
    )
    .await;
    assert_refused(
        status,
        &serde_json::from_str(&answer).unwrap(),
        (403, "forbidden", None),
    );
}

#[tokio::test]
async fn a_key_of_several_tenants_names_the_one_it_writes_for() {
    let server = start_server(config()).await;
    let client = Client::new();
    let base = &server.base;
    let asset = r#"[{"id": "brand:both", "title": "Written for one tenant"}]"#;
    let ingest = |path: &'static str| send(&client, base, "ab-editor", ("POST", path, JSON, asset));

    let generation = server.store.generation();
    let (status, answer) = ingest("/api/ingest/assetgraph").await;
    assert_refused(
        status,
        &serde_json::from_str(&answer).unwrap(),
        (400, "invalid-request", Some("tenant")),
    );
    let (status, answer) = ingest("/api/ingest/assetgraph?tenant=c").await;
    assert_refused(
        status,
        &serde_json::from_str(&answer).unwrap(),
        (403, "forbidden", None),
    );
    let (status, answer) = ingest("/api/ingest/assetgraph?tenant=a&tenant=b").await;
    assert_refused(
        status,
        &serde_json::from_str::<Value>(&answer).unwrap(),
        (400, "invalid-request", Some("tenant")),
    );
    assert_eq!(
        server.store.generation(),
        generation,
        "a refused write changed the store"
    );

    let (status, answer) = ingest("/api/ingest/assetgraph?tenant=b").await;
    assert!(status.is_success(), "{answer}");
    let (_, answer) = send(&client, base, "b-editor", ("GET", "/api/assets/brand:both", "", "")).await;
    assert!(answer.contains("Written for one tenant"), "{answer}");
    let (status, _) = send(&client, base, "a-reader", ("GET", "/api/assets/brand:both", "", "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // It reads both tenants, or one when it names it.
    let (_, answer) = send(&client, base, "ab-editor", ("GET", "/api/search?q=written", "", "")).await;
    assert!(answer.contains("brand:both"), "{answer}");
    let (_, answer) = send(
        &client,
        base,
        "ab-editor",
        ("GET", "/api/search?q=written&tenant=a", "", ""),
    )
    .await;
    assert!(!answer.contains("brand:both"), "{answer}");
}

#[test]
fn every_route_has_a_tenant_case() {
    let declared = declared_routes();
    assert!(declared.len() >= 30, "the routes were not read: {declared:?}");
    let missing: Vec<String> = declared
        .iter()
        .filter(|(method, pattern)| {
            !CASES.iter().any(|(m, path, _, _)| {
                (method == "*" || m == method) && matches_pattern(pattern, path.split('?').next().unwrap())
            })
        })
        .map(|(method, pattern)| format!("{method} {pattern}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes with no case in the tenant matrix (add what aims at tenant B's data through each): {missing:?}"
    );
}

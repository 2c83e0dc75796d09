//! The hostile-input suite: every route of the real binary, on loopback,
//! fed malformed, oversized, deeply nested, wrong-type and encoding-trick
//! input. It holds the service to four things for each request: no 5xx,
//! an answer within ten seconds, the process alive, and — when the
//! request is refused — a store generation that did not move. At the end
//! the process's memory is under a stated bound.

mod common;

use common::{bearer, config_with_keys, declared_routes, matches_pattern, Served};
use std::time::Duration;

/// A refused request must answer within this; more is a hang.
const HANG: Duration = Duration::from_secs(10);
/// Resident memory after the whole suite, in KiB: the service at rest is
/// about 60 MiB; a few parsed bodies of several MiB are in flight at once.
const RSS_BOUND_KIB: u64 = 1024 * 1024;

/// How a route takes its input.
#[derive(Clone, Copy, PartialEq)]
enum Takes {
    /// Query-string parameters only.
    Query,
    /// A JSON body.
    Json,
    /// An RDF document.
    Rdf,
    /// A SPARQL form.
    Sparql,
}

/// Every route, with a method, a path, what it takes, and the least role
/// that may call it (none: the route checks a signature of its own, or is
/// open, as `/health` is).
const ROUTES: &[(&str, &str, Takes, &str)] = &[
    ("GET", "/health", Takes::Query, ""),
    ("GET", "/", Takes::Query, ""),
    ("GET", "/web/assetgraph-search.js", Takes::Query, ""),
    ("GET", "/web/assetgraph-search.classic.js", Takes::Query, ""),
    ("GET", "/web/pages/common.js", Takes::Query, ""),
    ("GET", "/reports", Takes::Query, ""),
    ("GET", "/metrics", Takes::Query, "analyst"),
    ("POST", "/api/backups", Takes::Json, "admin"),
    ("GET", "/api/taxonomies", Takes::Query, "reader"),
    ("GET", "/api/taxonomies/demo", Takes::Query, "reader"),
    ("PUT", "/api/taxonomies/hostile", Takes::Rdf, "editor"),
    ("POST", "/api/taxonomies/hostile", Takes::Rdf, "editor"),
    ("GET", "/api/concepts", Takes::Query, "reader"),
    ("POST", "/api/ingest/smintio", Takes::Json, "editor"),
    ("POST", "/api/ingest/rightsline", Takes::Json, "editor"),
    ("POST", "/api/ingest/photoshelter", Takes::Json, "editor"),
    ("POST", "/api/ingest/dropbox", Takes::Json, "editor"),
    ("POST", "/api/ingest/scaleflex", Takes::Json, "editor"),
    ("POST", "/api/ingest/assetgraph", Takes::Json, "editor"),
    ("POST", "/api/ingest/files", Takes::Json, "editor"),
    ("GET", "/api/assets/smintio:88101", Takes::Query, "reader"),
    ("GET", "/api/assets/smintio:88101/clearance", Takes::Query, "reader"),
    ("DELETE", "/api/assets/hostile:none", Takes::Query, "editor"),
    ("GET", "/api/search", Takes::Query, "reader"),
    ("GET", "/api/suggest", Takes::Query, "reader"),
    ("POST", "/api/tag", Takes::Json, "reader"),
    ("POST", "/api/recommend", Takes::Json, "reader"),
    ("GET", "/sparql", Takes::Query, "analyst"),
    ("POST", "/sparql", Takes::Sparql, "analyst"),
    ("GET", "/store", Takes::Query, "analyst"),
    ("PUT", "/store", Takes::Rdf, "editor"),
    ("POST", "/store", Takes::Rdf, "editor"),
    ("DELETE", "/store", Takes::Query, "editor"),
    ("PUT", "/store/hostile", Takes::Rdf, "editor"),
    ("GET", "/api/reports", Takes::Query, "analyst"),
    ("GET", "/api/reports/licences-expiring", Takes::Query, "analyst"),
    ("GET", "/api/reports/audit-trail-of-asset", Takes::Query, "analyst"),
    ("POST", "/api/usage", Takes::Json, "reader"),
    ("GET", "/api/audit", Takes::Query, "analyst"),
    ("GET", "/api/alerts/expiring", Takes::Query, "reader"),
    ("GET", "/api/webhooks", Takes::Query, "admin"),
    ("POST", "/api/webhooks", Takes::Json, "admin"),
    ("DELETE", "/api/webhooks/hostile", Takes::Query, "admin"),
    ("GET", "/api/webhooks/deliveries", Takes::Query, "admin"),
    ("POST", "/api/webhooks/hostile/redeliver", Takes::Query, "admin"),
    ("POST", "/api/connectors/poolparty/sync", Takes::Query, "editor"),
    ("POST", "/api/connectors/rightsline/sns", Takes::Json, ""),
    (
        "POST",
        "/api/connectors/rightsline/usage-export",
        Takes::Query,
        "editor",
    ),
    ("GET", "/api/connectors/dropbox/webhook", Takes::Query, ""),
    ("POST", "/api/connectors/dropbox/webhook", Takes::Json, ""),
    ("POST", "/api/tokens", Takes::Json, "admin"),
    ("POST", "/api/tokens/revocations", Takes::Json, "admin"),
];

#[test]
fn every_route_the_router_declares_has_a_case_here() {
    let declared = declared_routes();
    assert!(declared.len() >= 30, "the routes were not read: {declared:?}");
    let missing: Vec<String> = declared
        .iter()
        .filter(|(method, pattern)| {
            !ROUTES.iter().any(|(m, path, _, _)| {
                (method == "*" || m == method) && matches_pattern(pattern, path.split('?').next().unwrap())
            })
        })
        .map(|(method, pattern)| format!("{method} {pattern}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes with no case in ROUTES (add each with its least role): {missing:?}"
    );
}

/// Query strings that break parsers: oversized, nested, encoding tricks,
/// wrong types, repeats.
fn hostile_queries() -> Vec<(&'static str, String)> {
    let deep = |open: &str, close: &str, n: usize| format!("{}a{}", open.repeat(n), close.repeat(n));
    let url = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let every = |value: &str| {
        [
            "q",
            "query",
            "iri",
            "lang",
            "limit",
            "offset",
            "at",
            "territory",
            "channel",
            "asset",
            "from",
            "to",
            "within",
            "graph",
            "format",
            "state",
            "days",
            "concept",
            "name",
            "challenge",
            "tenant",
        ]
        .iter()
        .map(|name| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
    };
    // Where a value is large, only the parameters that take text get it:
    // a URL stays under 64 KiB, the most a client sends.
    let text_params = |value: &str| {
        ["q", "query", "iri", "concept"]
            .iter()
            .map(|name| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    vec![
        ("nothing", String::new()),
        ("NUL bytes", every("a%00b")),
        ("invalid UTF-8", every("%FF%FE%C0%AF")),
        ("overlong slash", every("%C0%AF..%C0%AF..%2Fetc%2Fpasswd")),
        ("wrong types", every("-1e999")),
        ("huge numbers", every("99999999999999999999999999999")),
        ("markup", every(&url("<script>alert(1)</script>\"'><"))),
        ("SPARQL text", every(&url("x> } ?s ?p ?o . { <y"))),
        ("deep parentheses", text_params(&url(&deep("(", ")", 2_000)))),
        ("deep braces", text_params(&url(&deep("{", "}", 2_000)))),
        ("long value", text_params(&"x".repeat(12_000))),
        ("repeats", format!("{0}&{0}", every("1"))),
        (
            "right-to-left and combining marks",
            every(&url("\u{202e}a\u{0301}\u{0301}\u{0301}b")),
        ),
        (
            "many parameters",
            (0..5_000).map(|n| format!("p{n}=1")).collect::<Vec<_>>().join("&"),
        ),
    ]
}

/// Bodies that break parsers, for routes taking `takes`: (name, content
/// type, bytes).
fn hostile_bodies(takes: Takes) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut bodies: Vec<(&'static str, &'static str, Vec<u8>)> = vec![
        ("empty", "application/json", Vec::new()),
        (
            "invalid UTF-8",
            "application/json",
            b"{\"text\": \"\xff\xfe\xc0\xaf\"}".to_vec(),
        ),
        ("NUL", "application/json", b"{\"text\": \"a\0b\"}".to_vec()),
        (
            "truncated",
            "application/json",
            b"[{\"id\": \"a\", \"title\": ".to_vec(),
        ),
        (
            "wrong types",
            "application/json",
            br#"{"text": 5, "limit": "x", "events": {}, "id": [], "url": 1}"#.to_vec(),
        ),
        ("null", "application/json", b"null".to_vec()),
        (
            "deep arrays",
            "application/json",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        ),
        (
            "deep objects",
            "application/json",
            format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes(),
        ),
        (
            "huge string",
            "application/json",
            format!("{{\"text\": \"{}\"}}", "x".repeat(4 << 20)).into_bytes(),
        ),
        (
            "many records",
            "application/json",
            format!("[{}]", vec!["{\"id\":\"x\"}"; 50_000].join(",")).into_bytes(),
        ),
        ("not a type we read", "application/x-unknown", b"garbage".to_vec()),
        (
            "broken multipart",
            "multipart/form-data; boundary=XyZ",
            b"--XyZ\r\nContent-Disposition: form-data\r\n\r\n".to_vec(),
        ),
    ];
    if takes == Takes::Rdf {
        bodies.extend(hostile_rdf());
    }
    if takes == Takes::Sparql {
        bodies.extend([
            (
                "deep query",
                "application/sparql-query",
                format!("SELECT * {}{}", "{".repeat(100_000), "}".repeat(100_000)).into_bytes(),
            ),
            (
                "deep update",
                "application/sparql-update",
                format!(
                    "INSERT {{ <a:a> <a:a> <a:a> }} WHERE {}{}",
                    "{".repeat(100_000),
                    "}".repeat(100_000)
                )
                .into_bytes(),
            ),
            (
                "huge query",
                "application/sparql-query",
                format!("ASK {{ FILTER(\"{}\") }}", "x".repeat(4 << 20)).into_bytes(),
            ),
            (
                "LOAD",
                "application/sparql-update",
                b"LOAD <http://169.254.169.254/latest/meta-data/>".to_vec(),
            ),
            ("DROP ALL", "application/sparql-update", b"DROP ALL".to_vec()),
            (
                "not UTF-8",
                "application/sparql-query",
                b"SELECT * { ?s ?p \"\xff\" }".to_vec(),
            ),
            (
                "wrong charset",
                "application/sparql-query; charset=latin1",
                b"ASK {}".to_vec(),
            ),
        ]);
    }
    bodies
}

fn hostile_rdf() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let laughs = {
        let mut dtd = String::from("<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">");
        for (name, previous) in [
            ("b", "a"),
            ("c", "b"),
            ("d", "c"),
            ("e", "d"),
            ("f", "e"),
            ("g", "f"),
            ("h", "g"),
        ] {
            dtd.push_str(&format!("<!ENTITY {name} \"{}\">", format!("&{previous};").repeat(10)));
        }
        format!(
            "<?xml version=\"1.0\"?><!DOCTYPE rdf:RDF [{dtd}]><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" \
             xmlns:e=\"http://e/\"><rdf:Description rdf:about=\"http://e/s\"><e:p>&h;</e:p></rdf:Description></rdf:RDF>"
        )
    };
    let deep_xml = format!(
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:e=\"http://e/\">{}{}</rdf:RDF>",
        "<rdf:Description><e:p>".repeat(20_000),
        "</e:p></rdf:Description>".repeat(20_000)
    );
    vec![
        ("billion laughs", "application/rdf+xml", laughs.into_bytes()),
        (
            "external entity",
            "application/rdf+xml",
            b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>".to_vec(),
        ),
        ("deep RDF/XML", "application/rdf+xml", deep_xml.into_bytes()),
        (
            "deep Turtle blank nodes",
            "text/turtle",
            format!(
                "<http://e/s> <http://e/p> {}{} .",
                "[ <http://e/p> ".repeat(50_000),
                "]".repeat(50_000)
            )
            .into_bytes(),
        ),
        (
            "deep Turtle collections",
            "text/turtle",
            format!(
                "<http://e/s> <http://e/p> {}{} .",
                "(".repeat(50_000),
                ")".repeat(50_000)
            )
            .into_bytes(),
        ),
        (
            "deep JSON-LD",
            "application/ld+json",
            format!("{}\"x\"{}", "{\"http://e/p\":".repeat(20_000), "}".repeat(20_000)).into_bytes(),
        ),
        (
            "JSON-LD remote context",
            "application/ld+json",
            br#"{"@context": "http://169.254.169.254/latest/meta-data/", "@id": "http://e/s"}"#.to_vec(),
        ),
        (
            "long literal",
            "application/n-triples",
            format!("<http://e/s> <http://e/p> \"{}\" .\n", "x".repeat(4 << 20)).into_bytes(),
        ),
        ("long line of garbage", "application/n-triples", vec![b'<'; 4 << 20]),
        (
            "IRI with spaces",
            "application/n-triples",
            b"<http://e/a b> <http://e/p> <http://e/o> .\n".to_vec(),
        ),
        ("TriX", "application/trix", b"<TriX/>".to_vec()),
    ]
}

struct Outcome {
    requests: usize,
    refused: usize,
}

/// One hostile request: who sends what where.
struct Probe<'a> {
    method: &'a str,
    url: &'a str,
    role: &'a str,
    body: Option<(&'a str, &'a [u8])>,
    what: &'a str,
}

impl<'a> Probe<'a> {
    /// By the admin key, so that the request gets past auth to its parser.
    fn admin(method: &'a str, url: &'a str, body: Option<(&'a str, &'a [u8])>, what: &'a str) -> Self {
        Probe {
            method,
            url,
            role: "admin",
            body,
            what,
        }
    }
}

async fn send(client: &reqwest::Client, served: &mut Served, probe: Probe<'_>, outcome: &mut Outcome) {
    let Probe {
        method,
        url,
        role,
        body,
        what,
    } = probe;
    let before = generation(client, served).await;
    let mut request = client
        .request(method.parse().unwrap(), url)
        .header("Authorization", bearer(role));
    if let Some((content_type, bytes)) = body {
        request = request.header("Content-Type", content_type).body(bytes.to_vec());
    }
    let response = request.send().await;
    let response = match response {
        Ok(response) => response,
        // The server may answer (413, say) and close before a large body
        // is all sent; the client then sees the connection end. Neither a
        // hang nor a crash, which are told apart here.
        Err(e) => {
            assert!(!e.is_timeout(), "{what}: no answer within {HANG:?}");
            assert!(served.alive(), "{what} killed the server");
            outcome.requests += 1;
            outcome.refused += 1;
            assert_eq!(generation(client, served).await, before, "{what} changed the store");
            return;
        }
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    outcome.requests += 1;
    assert!(served.alive(), "{what} killed the server");
    assert!(
        status.as_u16() < 500,
        "{what}: {status} {}",
        &text[..text.len().min(400)]
    );
    if !status.is_client_error() && method != "GET" {
        // An accepted write may be followed by the service's own
        // bookkeeping commits (events of what it changed): let them land
        // before the next request's generation is read.
        settle(client, served).await;
    }
    if status.is_client_error() {
        outcome.refused += 1;
        assert_eq!(
            generation(client, served).await,
            before,
            "{what} was refused ({status}) but changed the store: {text}"
        );
    }
}

async fn settle(client: &reqwest::Client, served: &Served) {
    let mut last = generation(client, served).await;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = generation(client, served).await;
        if now == last {
            return;
        }
        last = now;
    }
}

async fn generation(client: &reqwest::Client, served: &Served) -> u64 {
    let health = common::fetch_json(client, &served.url("/health")).await;
    health["generation"].as_u64().unwrap()
}

/// A request written to the socket as it is; what came back (empty if the
/// server closed the connection without an answer).
fn raw(address: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(HANG)).unwrap();
    let _ = stream.write_all(request.as_bytes());
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn no_input_crashes_hangs_or_exhausts_the_service() {
    let config = config_with_keys("max_body_bytes = 16777216\n[server]\nrequests_per_second = 0\n");
    let mut served = Served::start(&config, &["--demo"]);
    let client = reqwest::Client::builder()
        .timeout(HANG)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut outcome = Outcome {
        requests: 0,
        refused: 0,
    };
    let laughs = hostile_rdf().swap_remove(0);
    // The start-up commits land first.
    settle(&client, &served).await;
    for &(method, path, takes, _) in ROUTES {
        for (name, query) in hostile_queries() {
            let url = format!("{}?{query}", served.url(path));
            let what = format!("{method} {path} with {name} in the query");
            send(
                &client,
                &mut served,
                Probe::admin(method, &url, None, &what),
                &mut outcome,
            )
            .await;
        }
        if takes == Takes::Query {
            continue;
        }
        let url = served.url(path);
        for (name, content_type, bytes) in hostile_bodies(takes) {
            let what = format!("{method} {path} with a body: {name}");
            let probe = Probe::admin(method, &url, Some((content_type, bytes.as_slice())), &what);
            send(&client, &mut served, probe, &mut outcome).await;
        }
        // A key below the route's role is refused before its body is read.
        let what = format!("{method} {path} by a reader with a body");
        let probe = Probe {
            method,
            url: &url,
            role: "reader",
            body: Some((laughs.1, laughs.2.as_slice())),
            what: &what,
        };
        send(&client, &mut served, probe, &mut outcome).await;
    }
    // Paths themselves.
    for path in [
        "/api/assets/..%2F..%2Fetc%2Fpasswd".to_owned(),
        format!("/api/assets/{}", "x".repeat(60_000)),
        "/store/%00".to_owned(),
        "/api/taxonomies/%FF%FE".to_owned(),
        format!("/api/reports/{}", "%7B".repeat(10_000)),
    ] {
        let url = served.url(&path);
        let what = format!("GET {}", &path[..path.len().min(60)]);
        send(
            &client,
            &mut served,
            Probe::admin("GET", &url, None, &what),
            &mut outcome,
        )
        .await;
    }
    // A request line or headers past what the server reads at all.
    for request in [
        format!(
            "GET /api/search?q={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "x".repeat(1 << 20)
        ),
        format!(
            "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
            "x".repeat(1 << 20)
        ),
        "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n".to_owned(),
        "GET /health HTTP/9.9\r\n\r\n".to_owned(),
        "\0\0\0\0\r\n\r\n".to_owned(),
    ] {
        let answer = raw(&served.address, &request);
        let status: u16 = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        assert!(
            status == 0 || status < 500,
            "{}: {}",
            &request[..40.min(request.len())],
            &answer[..answer.len().min(200)]
        );
        outcome.requests += 1;
        assert!(served.alive());
    }
    let rss = served.rss_kib();
    println!(
        "hostile suite: {} requests, {} refused, 0 aborts, 0 5xx, 0 hangs; RSS at the end {} MiB",
        outcome.requests,
        outcome.refused,
        rss / 1024
    );
    assert!(rss < RSS_BOUND_KIB, "RSS {rss} KiB");
}

/// The role below each role, and what answers a caller with no key.
const BELOW: [(&str, &str); 3] = [("analyst", "reader"), ("editor", "analyst"), ("admin", "editor")];

#[tokio::test]
async fn every_route_is_refused_to_the_role_below_its_own_and_to_no_key() {
    let config = config_with_keys("[server]\nrequests_per_second = 0\n");
    let served = Served::start(&config, &["--demo"]);
    let client = reqwest::Client::builder().timeout(HANG).build().unwrap();
    let mut wrong = Vec::new();
    for &(method, path, _, role) in ROUTES {
        if role.is_empty() {
            continue;
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut callers = vec![(None, reqwest::StatusCode::UNAUTHORIZED, "/unauthorized")];
        if let Some((_, below)) = BELOW.iter().find(|(r, _)| *r == role) {
            callers.push((Some(*below), reqwest::StatusCode::FORBIDDEN, "/forbidden"));
        }
        // GET /sparql without a query is the service description, which
        // every key may read; with one it is a query.
        let path = if path == "/sparql" {
            "/sparql?query=ASK%7B%7D"
        } else {
            path
        };
        for (caller, status, problem) in callers {
            let mut request = client.request(method.clone(), served.url(path));
            if let Some(below) = caller {
                request = request.header("Authorization", bearer(below));
            }
            let response = request.send().await.unwrap();
            let got = response.status();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let type_ok = body["type"].as_str().is_some_and(|t| t.ends_with(problem));
            if got != status || content_type.as_deref() != Some("application/problem+json") || !type_ok {
                wrong.push(format!(
                    "{method} {path} as {}: {got} {body}",
                    caller.unwrap_or("nobody")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "routes not refused as they should be:\n{}",
        wrong.join("\n")
    );
}

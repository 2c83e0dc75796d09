//! The W3C SPARQL 1.1 Protocol and Graph Store Protocol test suites, run
//! against the live server on loopback. The manifests describe each HTTP
//! request and the expected response in RDF (`ht:` and `mf:` terms); the
//! deprecated http-rdf-update manifest describes them in prose, which is
//! read too. Paths starting `/sparql/` go to `/sparql`, `/gsp` to
//! `/store`; the service's `public_url` is the manifest's host
//! (`http://www.example`) so that directly identified graphs get the IRIs
//! the manifests expect (the requests carry that host too, as the
//! manifests write them; the service never reads it).
//!
//! Skipped with a notice when ../shared/data is absent.

mod common;
mod w3c;

use assetgraph::config::Config;
use common::*;
use oxigraph::io::RdfFormat;
use oxigraph::model::Term;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsParser, ReaderQueryResultsParserOutput};
use reqwest::{Client, Method};
use std::collections::HashMap;
use std::path::Path;
use w3c::*;

const HT: &str = "http://www.w3.org/2011/http#";
const CNT: &str = "http://www.w3.org/2011/content#";
const HTS: &str = "http://www.w3.org/2011/http-statusCodes#";
const HOST: &str = "www.example";

/// The suites' own semantics: the default graph is the stored one, and
/// the server's URL is the manifests' host.
fn w3c_config() -> Config {
    let mut config = Config::default();
    config.sparql.union_default_graph = false;
    config.public_url = Some(format!("http://{HOST}"));
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn w3c_sparql_protocol_suite() {
    let Some(dir) = shared_data("conformance/rdf-tests/sparql/sparql11/protocol") else {
        return;
    };
    let outcome = run_manifest(&dir.join("manifest.ttl")).await;
    outcome.report("SPARQL 1.1 Protocol");
    outcome.assert_all_pass();
}

#[tokio::test(flavor = "multi_thread")]
async fn w3c_graph_store_protocol_suite() {
    let Some(dir) = shared_data("conformance/rdf-tests/sparql/sparql11/graph-store-protocol") else {
        return;
    };
    let mut outcome = run_manifest(&dir.join("manifest-indirect.ttl")).await;
    outcome.absorb(run_manifest(&dir.join("manifest-direct.ttl")).await);
    outcome.report("SPARQL 1.1 Graph Store Protocol");
    outcome.assert_all_pass();
}

#[tokio::test(flavor = "multi_thread")]
async fn w3c_http_rdf_update_suite() {
    let Some(dir) = shared_data("conformance/rdf-tests/sparql/sparql11/http-rdf-update") else {
        return;
    };
    let outcome = run_prose_manifest(&dir.join("manifest.ttl")).await;
    outcome.report("SPARQL 1.1 Graph Store Protocol (http-rdf-update)");
    outcome.assert_all_pass_but(&DEPRECATED_SUITE_DEFECTS);
}

/// Tests of the deprecated http-rdf-update manifest that no strict server
/// passes: two bodies are not Turtle (a statement without its final dot),
/// the reads after them expect what those bodies would have added, and one
/// DELETE targets a graph no earlier test creates. The maintained
/// graph-store-protocol manifests replace them.
const DEPRECATED_SUITE_DEFECTS: [&str; 5] = [
    "POST - existing graph",
    "GET of POST - existing graph",
    "POST - multipart/form-data",
    "GET of POST - multipart/form-data",
    "DELETE - existing graph",
];

/// Maps the manifests' endpoints onto this server's.
fn local_path(path: &str) -> String {
    let path = path
        .replace("www.example%2Fgsp", "www.example%2Fstore")
        .replace("www.example/gsp", "www.example/store");
    if let Some(rest) = path.strip_prefix("/sparql/") {
        return format!("/sparql{}", if rest.is_empty() { "" } else { rest });
    }
    match path.strip_prefix("/gsp") {
        Some(rest) => format!("/store{rest}"),
        None => path,
    }
}

fn local_text(text: &str) -> String {
    text.replace("www.example/gsp", "www.example/store")
}

async fn run_manifest(path: &Path) -> Outcome {
    let manifest = Manifest::load(path);
    let server = start_server(w3c_config()).await;
    let client = Client::new();
    let mut outcome = Outcome::default();
    for test in manifest.entries() {
        let name = manifest.text(&test, &format!("{MF}name")).unwrap_or_default();
        reset(&client, &server.base).await;
        load_graph_data(&client, &server.base, &manifest, &test).await;
        match run_test(&client, &server.base, &manifest, &test).await {
            Ok(()) => outcome.passed.push(name),
            Err(why) => outcome.failed.push((name, why)),
        }
    }
    outcome
}

/// Each test starts from an empty dataset.
async fn reset(client: &Client, base: &str) {
    let response = client
        .post(format!("{base}/sparql"))
        .header("content-type", "application/sparql-update")
        .body("DROP ALL")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "DROP ALL: {}", response.status());
}

async fn load_graph_data(client: &Client, base: &str, manifest: &Manifest, test: &Term) {
    for data in manifest.objects(test, &format!("{UT}graphData")) {
        let file = manifest.text(&data, &format!("{UT}graph")).unwrap();
        let name = manifest.text(&data, &format!("{RDFS}label")).unwrap();
        let body = std::fs::read(manifest.dir.join(file.rsplit('/').next().unwrap())).unwrap();
        let response = client
            .put(format!(
                "{base}/store?graph={}",
                form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
            ))
            .header("content-type", "application/n-triples")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "loading {name}: {}", response.status());
    }
}

async fn run_test(client: &Client, base: &str, manifest: &Manifest, test: &Term) -> Result<(), String> {
    let action = manifest.object(test, &format!("{MF}action")).ok_or("no action")?;
    let requests = manifest.list(
        manifest
            .object(&action, &format!("{HT}requests"))
            .ok_or("no requests")?,
    );
    let mut templates: HashMap<String, String> = HashMap::new();
    for (i, request) in requests.iter().enumerate() {
        let fill = |text: &str| {
            let mut text = local_text(text);
            for (key, value) in &templates {
                text = text.replace(key.as_str(), value);
            }
            text
        };
        let method = manifest.text(request, &format!("{HT}methodName")).unwrap();
        let path = fill(&manifest.text(request, &format!("{HT}absolutePath")).unwrap());
        let url = if path.starts_with("http") {
            path.replace(&format!("http://{HOST}"), base)
        } else {
            format!("{base}{}", local_path(&path))
        };
        let mut builder = client
            .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
            .header("host", HOST);
        if let Some(headers) = manifest.object(request, &format!("{HT}headers")) {
            for header in manifest.list(headers) {
                let name = manifest.text(&header, &format!("{HT}fieldName")).unwrap();
                let value = manifest.text(&header, &format!("{HT}fieldValue")).unwrap();
                builder = builder.header(name, value);
            }
        }
        if let Some(body) = manifest.object(request, &format!("{HT}body")) {
            let chars = fill(&manifest.text(&body, &format!("{CNT}chars")).unwrap_or_default());
            let encoding = manifest.text(&body, &format!("{CNT}characterEncoding"));
            builder = builder.body(if encoding.as_deref() == Some("UTF-16") {
                chars.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>()
            } else {
                chars.into_bytes()
            });
        }
        let response = builder.send().await.map_err(|e| e.to_string())?;
        let expected = manifest.object(request, &format!("{HT}resp")).ok_or("no response")?;
        let status = response.status().as_u16();
        let allowed: Vec<String> = manifest
            .objects(&expected, &format!("{MF}expectedStatus"))
            .iter()
            .map(|t| match t {
                Term::NamedNode(n) => n.as_str().trim_start_matches(HTS).to_owned(),
                other => other.to_string(),
            })
            .collect();
        if !allowed.is_empty() && !allowed.iter().any(|a| status_matches(a, status)) {
            let body = response.text().await.unwrap_or_default();
            return Err(format!(
                "request {}: status {status}, expected {allowed:?}: {body}",
                i + 1
            ));
        }
        if let Some(Term::Literal(variable)) = manifest.object(&expected, &format!("{MF}expectedLocation")) {
            let location = response
                .headers()
                .get("location")
                .ok_or(format!("request {}: no Location", i + 1))?
                .to_str()
                .unwrap()
                .to_owned();
            templates.insert(variable.value().to_owned(), location);
        }
        let content_type = content_type(&response);
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        check_body(manifest, &expected, &content_type, &bytes).map_err(|e| format!("request {}: {e}", i + 1))?;
    }
    Ok(())
}

fn status_matches(expected: &str, status: u16) -> bool {
    match expected {
        "StatusCode2xx" => (200..300).contains(&status),
        "StatusCode3xx" => (300..400).contains(&status),
        "StatusCode4xx" => (400..500).contains(&status),
        "OK" => status == 200,
        "Created" => status == 201,
        "NoContent" => status == 204,
        "NotFound" => status == 404,
        other => other.parse::<u16>() == Ok(status),
    }
}

fn check_body(manifest: &Manifest, expected: &Term, content_type: &str, bytes: &[u8]) -> Result<(), String> {
    let format = manifest.text(expected, &format!("{MF}expectedFormat"));
    let results_format = QueryResultsFormat::from_media_type(content_type);
    let graph_format = RdfFormat::from_media_type(content_type);
    match format.as_deref() {
        Some("boolean") | Some("tabular") if results_format.is_none() => {
            return Err(format!("'{content_type}' is not a results format"))
        }
        Some("RDF") if graph_format.is_none() => return Err(format!("'{content_type}' is not an RDF format")),
        _ => {}
    }
    if let Some(Term::Literal(expected_value)) = manifest.object(expected, &format!("{MF}expectedBoolean")) {
        let parsed = QueryResultsParser::from_format(results_format.unwrap())
            .for_reader(bytes)
            .map_err(|e| e.to_string())?;
        let ReaderQueryResultsParserOutput::Boolean(value) = parsed else {
            return Err("not a boolean result".into());
        };
        if value.to_string() != expected_value.value() {
            return Err(format!("answered {value}, expected {}", expected_value.value()));
        }
    }
    if let Some(body) = manifest.object(expected, &format!("{HT}body")) {
        let chars = local_text(&manifest.text(&body, &format!("{CNT}chars")).unwrap_or_default());
        let expected_graph = parse_graph(RdfFormat::Turtle, chars.as_bytes())?;
        let actual = parse_graph(graph_format.ok_or(format!("'{content_type}' is not RDF"))?, bytes)?;
        if expected_graph != actual {
            return Err(format!(
                "graph differs: got {}",
                String::from_utf8_lossy(bytes).chars().take(400).collect::<String>()
            ));
        }
    }
    Ok(())
}

/// The http-rdf-update manifest writes each exchange as text in a
/// comment: request line, headers, body, then "#### Response", a status
/// line, and for reads the expected document.
async fn run_prose_manifest(path: &Path) -> Outcome {
    let manifest = Manifest::load(path);
    let server = start_server(w3c_config()).await;
    let client = Client::new();
    let mut outcome = Outcome::default();
    let mut new_path = String::new();
    for test in manifest.entries() {
        let name = manifest.text(&test, &format!("{MF}name")).unwrap_or_default();
        let comment = manifest
            .objects(&test, &format!("{RDFS}comment"))
            .into_iter()
            .filter_map(|t| match t {
                Term::Literal(l) if l.value().contains("#### Request") => Some(l.value().to_owned()),
                _ => None,
            })
            .next()
            .unwrap_or_default();
        match run_prose_test(&client, &server.base, &comment, &mut new_path).await {
            Ok(()) => outcome.passed.push(name),
            Err(why) => outcome.failed.push((name, why)),
        }
    }
    outcome
}

async fn run_prose_test(client: &Client, base: &str, text: &str, new_path: &mut String) -> Result<(), String> {
    let text = text
        .replace("$HOST$", HOST)
        .replace("$GRAPHSTORE$", "store")
        .replace("$NEWPATH$", new_path);
    let (request, response) = text.split_once("#### Response").ok_or("no response section")?;
    let request = request.split_once("#### Request").map_or(request, |(_, r)| r);
    let lines: Vec<&str> = request.lines().map(|l| l.strip_prefix("    ").unwrap_or(l)).collect();
    let mut lines = lines.into_iter().skip_while(|l| l.trim().is_empty());
    let request_line = lines.next().ok_or("no request line")?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap(), parts.next().unwrap());
    let target = if target.starts_with('/') {
        target.to_owned()
    } else {
        format!("/{target}")
    };
    let mut builder = client
        .request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{base}{target}"),
        )
        .header("host", HOST);
    let mut body = String::new();
    let mut in_body = false;
    for line in lines {
        if in_body {
            body.push_str(line);
            body.push('\n');
        } else if line.trim().is_empty() {
            in_body = true;
        } else if let Some((name, value)) = line.split_once(':') {
            if !name.eq_ignore_ascii_case("host") {
                builder = builder.header(name.trim(), value.trim());
            }
        }
    }
    let body = body.trim().to_owned();
    if !body.is_empty() {
        // Multipart bodies need CRLF line ends.
        let body = if text.contains("multipart/form-data") {
            body.replace('\n', "\r\n") + "\r\n"
        } else {
            body
        };
        builder = builder.body(body);
    }
    let answer = builder.send().await.map_err(|e| e.to_string())?;
    let mut expected_lines = response
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .skip_while(|l| l.trim().is_empty());
    let status_line = expected_lines.next().ok_or("no status line")?;
    let expected_status: u16 = status_line.split_whitespace().next().unwrap().parse().unwrap();
    let status = answer.status().as_u16();
    let acceptable = status == expected_status
        || (expected_status == 200 && status == 204)
        || (expected_status == 204 && status == 200);
    if !acceptable {
        let body = answer.text().await.unwrap_or_default();
        return Err(format!("status {status}, expected {expected_status}: {body}"));
    }
    if let Some(location) = answer.headers().get("location") {
        let location = location.to_str().unwrap();
        *new_path = location
            .strip_prefix(&format!("http://{HOST}/"))
            .unwrap_or(location)
            .to_owned();
    }
    let content_type = content_type(&answer);
    let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
    let rest: Vec<&str> = expected_lines.collect();
    let document = rest
        .iter()
        .skip_while(|l| !l.trim().is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if method == "GET" && !document.trim().is_empty() {
        let expected = parse_graph(RdfFormat::Turtle, document.as_bytes())?;
        let format = RdfFormat::from_media_type(&content_type).ok_or(format!("'{content_type}' is not RDF"))?;
        if parse_graph(format, &bytes)? != expected {
            return Err(format!("graph differs: got {}", String::from_utf8_lossy(&bytes)));
        }
    }
    Ok(())
}

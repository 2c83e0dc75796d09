//! The W3C SPARQL 1.1 query and update evaluation suites, run through the
//! live server's endpoints as any client would: each test's data goes in
//! with Graph Store Protocol PUTs, its query or update goes to `/sparql`,
//! and the answer is compared with the expected one up to blank-node
//! renaming (solutions are compared as RDF in the result-set vocabulary,
//! in order when the query orders them).
//!
//! A query test's default graph and named graphs are given as the
//! protocol's `default-graph-uri` and `named-graph-uri`, each data file
//! stored as the graph its IRI names, unless the query names its own
//! dataset with `FROM`. An update test's data goes into the stored default
//! graph and the named graphs the manifest gives, and afterwards the
//! whole dataset is read back, less the service's own graphs
//! (`urn:assetgraph:…`, the registry and the audit trail).
//!
//! Skipped with a notice when ../shared/data is absent.

mod common;
mod w3c;

use assetgraph::config::Config;
use common::*;
use oxigraph::io::RdfFormat;
use oxigraph::model::dataset::CanonicalizationAlgorithm;
use oxigraph::model::{
    BlankNode, Dataset, Graph, GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term, Triple, Variable,
};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsParser, ReaderQueryResultsParserOutput};
use reqwest::{Client, StatusCode};
use std::collections::BTreeMap;
use std::path::Path;
use w3c::*;

const RS: &str = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#";
/// How the protocol's `default-graph-uri` names the stored default graph.
const STORED_DEFAULT_GRAPH: &str = "urn:assetgraph:graph:default";
const SUITES: &str = "conformance/rdf-tests/sparql/sparql11";

#[tokio::test(flavor = "multi_thread")]
async fn w3c_sparql11_query_suite() {
    let Some(path) = shared_data(&format!("{SUITES}/manifest-sparql11-query.ttl")) else {
        return;
    };
    let outcome = run_suite(&path).await;
    outcome.report("SPARQL 1.1 Query (evaluation and syntax, through /sparql)");
    assert_only_known_failures(
        &outcome,
        &[
            ("GROUP_CONCAT with same language tag", SAME_AS_ENGINE),
            ("GROUP_CONCAT with one element", SAME_AS_ENGINE),
            ("COUNT: no GROUP BY inside of GRAPH", SAME_AS_ENGINE),
            (
                "VALUES inside GRAPH binding the same variable as the graph name",
                SAME_AS_ENGINE,
            ),
            ("BNODE(str)", SAME_AS_ENGINE),
            (
                "outer GRAPH operator does not affect MINUS disjointness",
                SAME_AS_ENGINE,
            ),
            ("* with start being a constant on the empty dataset", SAME_AS_ENGINE),
            ("* with end being a constant on the empty dataset", SAME_AS_ENGINE),
            ("? with start being a constant on the empty dataset", SAME_AS_ENGINE),
            ("? with end being a constant on the empty dataset", SAME_AS_ENGINE),
            // Well-formed, and refused for what they ask: a function the
            // service does not provide (SPARQL 1.1 §17.6).
            ("syntax-select-expr-04.rq", "not answered: 400"),
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn w3c_sparql11_results_formats_suite() {
    let Some(path) = shared_data(&format!("{SUITES}/manifest-sparql11-results.ttl")) else {
        return;
    };
    let outcome = run_suite(&path).await;
    outcome.report("SPARQL 1.1 results in CSV, TSV and JSON (through /sparql)");
    assert_only_known_failures(
        &outcome,
        &[
            ("csv03 - CSV Result Format", SAME_AS_ENGINE),
            ("tsv03 - TSV Result Format", SAME_AS_ENGINE),
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn w3c_sparql11_update_suite() {
    let Some(path) = shared_data(&format!("{SUITES}/manifest-sparql11-update.ttl")) else {
        return;
    };
    let outcome = run_suite(&path).await;
    outcome.report("SPARQL 1.1 Update (evaluation and syntax, through /sparql and /store)");
    // Well-formed, and refused for what they do: LOAD from addresses the
    // service may not reach (none is allowed by default), and DROP or
    // CLEAR of a graph the store does not hold, without SILENT.
    assert_only_known_failures(
        &outcome,
        &[
            ("syntax-update-01.ru", "not answered: 403"),
            ("syntax-update-02.ru", "not answered: 403"),
            ("syntax-update-03.ru", "not answered: 403"),
            ("syntax-update-04.ru", "not answered: 403"),
            ("syntax-update-37.ru", "not answered: 403"),
            ("syntax-update-08.ru", "not answered: 404"),
            ("syntax-update-18.ru", "not answered: 404"),
        ],
    );
}

/// The tests that fail are exactly the `known` ones, by name, each for the
/// reason given (the start of its failure): oxigraph's own evaluator gives
/// the same answer, or the service refuses what the test asks. A new
/// failure, or a known one that now passes, means the list is out of date.
fn assert_only_known_failures(outcome: &Outcome, known: &[(&str, &str)]) {
    assert!(!outcome.passed.is_empty(), "no test ran");
    let unexpected: Vec<_> = (outcome.failed.iter())
        .filter(|(name, why)| !known.iter().any(|(n, reason)| n == name && why.starts_with(reason)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} unexpected failures: {unexpected:?}",
        unexpected.len()
    );
    let passing: Vec<_> = (known.iter())
        .filter(|(name, _)| !outcome.failed.iter().any(|(n, _)| n == name))
        .collect();
    assert!(passing.is_empty(), "known failures that no longer fail: {passing:?}");
}

/// The suites' own semantics: the default graph is the stored one.
fn w3c_config() -> Config {
    let mut config = Config::default();
    config.sparql.union_default_graph = false;
    config
}

async fn run_suite(path: &Path) -> Outcome {
    let server = start_server(w3c_config()).await;
    let endpoint = Endpoint {
        client: Client::new(),
        base: server.base.clone(),
    };
    let mut outcome = Outcome::default();
    for manifest in Manifest::load(path).included() {
        for test in manifest.entries() {
            let name = manifest.text(&test, &format!("{MF}name")).unwrap_or_default();
            endpoint.reset().await;
            match run_test(&endpoint, &manifest, &test).await {
                Ok(()) => outcome.passed.push(name),
                Err(why) => outcome.failed.push((name, why)),
            }
        }
    }
    outcome
}

async fn run_test(endpoint: &Endpoint, manifest: &Manifest, test: &Term) -> Result<(), String> {
    let action = manifest.object(test, &format!("{MF}action")).ok_or("no action")?;
    match manifest.kind(test).as_str() {
        "QueryEvaluationTest" | "CSVResultFormatTest" => query_evaluation(endpoint, manifest, test, &action).await,
        "UpdateEvaluationTest" => update_evaluation(endpoint, manifest, test, &action).await,
        "PositiveSyntaxTest11" => syntax(endpoint, &action, Operation::Query, true).await,
        "NegativeSyntaxTest11" => syntax(endpoint, &action, Operation::Query, false).await,
        "PositiveUpdateSyntaxTest11" => syntax(endpoint, &action, Operation::Update, true).await,
        "NegativeUpdateSyntaxTest11" => syntax(endpoint, &action, Operation::Update, false).await,
        other => Err(format!("no harness for {other} tests")),
    }
}

#[derive(Clone, Copy)]
enum Operation {
    Query,
    Update,
}

/// A negative syntax test passes when the server refuses the text as
/// malformed (400, problem type `query-syntax`); a positive one only when
/// the server answers it. A well-formed operation the service refuses for
/// what it asks (a function it does not provide, a LOAD from an address it
/// may not reach) fails, and is named with its reason among the suite's
/// known failures.
async fn syntax(endpoint: &Endpoint, action: &Term, operation: Operation, valid: bool) -> Result<(), String> {
    let (text, base) = read_with_base(action);
    let (status, body) = match operation {
        Operation::Query => {
            let (status, _, body) = endpoint
                .query(
                    &text,
                    &base,
                    None,
                    "application/sparql-results+json, application/n-triples;q=0.5",
                )
                .await?;
            (status, String::from_utf8_lossy(&body).into_owned())
        }
        Operation::Update => endpoint.update(&text, &base).await?,
    };
    let malformed = status == StatusCode::BAD_REQUEST
        && serde_json::from_str::<serde_json::Value>(&body)
            .is_ok_and(|problem| problem["type"].as_str().is_some_and(|t| t.ends_with("/query-syntax")));
    match (valid, malformed) {
        (true, _) if status.is_success() => Ok(()),
        (true, true) => Err(format!("refused as malformed: {body}")),
        (true, false) => Err(format!("not answered: {status} {body}")),
        (false, true) => Ok(()),
        (false, false) => Err(format!("not refused as malformed: {status} {body}")),
    }
}

async fn query_evaluation(endpoint: &Endpoint, manifest: &Manifest, test: &Term, action: &Term) -> Result<(), String> {
    let query = manifest.object(action, &format!("{QT}query")).ok_or("no query")?;
    let (text, base) = read_with_base(&query);
    let files = QueryData {
        default: manifest.objects(action, &format!("{QT}data")),
        named: manifest.objects(action, &format!("{QT}graphData")),
    };
    for file in &files.default {
        endpoint.put(None, file).await?;
    }
    for file in &files.named {
        endpoint.put(Some(&iri(file)), file).await?;
    }
    // The stored default graph and the test's named graphs, not the
    // service's own graphs; a query's FROM would be overridden.
    let dataset = (!names_own_dataset(&text, &base)).then(|| ProtocolDataset {
        default: vec![STORED_DEFAULT_GRAPH.to_owned()],
        named: files.named.iter().map(iri).collect(),
    });
    let expected = manifest.object(test, &format!("{MF}result")).ok_or("no result")?;
    let accept = media_type_like(&file_path(&expected));
    let (status, content_type, body) = endpoint.query(&text, &base, dataset.as_ref(), accept).await?;
    if !status.is_success() {
        return Err(format!("status {status}: {}", String::from_utf8_lossy(&body)));
    }
    let ordered = text.to_ascii_uppercase().contains("ORDER BY");
    let answer = Answer::read(&content_type, &body, ordered)?;
    let wanted = Answer::expected(&expected, ordered)?;
    if answer == wanted {
        return Ok(());
    }
    let (engine_type, engine_body) = engine_response(&text, &base, &files, accept)?;
    let verdict = if Answer::read(&engine_type, &engine_body, ordered)? == answer {
        SAME_AS_ENGINE
    } else {
        "differs from oxigraph's own answer"
    };
    Err(format!(
        "{verdict}: {} differs; only in the answer: {}; only in the expected: {}",
        file_path(&expected).file_name().unwrap().to_string_lossy(),
        answer.difference(&wanted),
        wanted.difference(&answer)
    ))
}

/// The media type to ask for: the expected answer's own format, so that
/// every results serialiser of the server is compared with the suite.
fn media_type_like(expected: &Path) -> &'static str {
    match expected.extension().and_then(|e| e.to_str()) {
        Some("srx") => "application/sparql-results+xml",
        Some("srj") => "application/sparql-results+json",
        Some("tsv") => "text/tab-separated-values",
        Some("csv") => "text/csv",
        _ => "application/n-triples, application/sparql-results+json;q=0.9",
    }
}

/// An answer in a form that compares equal to another exactly when the
/// two mean the same: solutions and graphs as RDF with canonical blank
/// nodes; CSV, which loses datatypes, as its rows of text.
#[derive(PartialEq)]
#[allow(clippy::large_enum_variant)] // a few per test
enum Answer {
    Rdf(Graph),
    Csv(Vec<BTreeMap<String, String>>),
}

impl Answer {
    fn read(content_type: &str, body: &[u8], ordered: bool) -> Result<Answer, String> {
        if content_type.starts_with("text/csv") {
            return Ok(Answer::Csv(csv_rows(&String::from_utf8_lossy(body))));
        }
        if let Some(format) = QueryResultsFormat::from_media_type(content_type) {
            return results_graph(format, body, ordered).map(Answer::Rdf);
        }
        let format =
            RdfFormat::from_media_type(content_type).ok_or(format!("'{content_type}' is neither results nor RDF"))?;
        parse_graph(format, body).map(Answer::Rdf)
    }

    /// The expected answer of a test. Solutions are given as SPARQL
    /// results, or as Turtle in the result-set vocabulary.
    fn expected(expected: &Term, ordered: bool) -> Result<Answer, String> {
        let path = file_path(expected);
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if extension == "csv" {
            return Ok(Answer::Csv(csv_rows(&String::from_utf8_lossy(&bytes))));
        }
        if let Some(format) = QueryResultsFormat::from_extension(extension) {
            return results_graph(format, &bytes, ordered).map(Answer::Rdf);
        }
        let graph = parse_graph_at(format_of(&path), &bytes, Some(&iri(expected)))?;
        let result_set = NamedNode::new_unchecked(format!("{RS}ResultSet"));
        if !graph.iter().any(|t| t.object == result_set.as_ref().into()) {
            return Ok(Answer::Rdf(graph));
        }
        let mut canonical: Graph = graph
            .iter()
            .map(|t| {
                let object = canonical_value(&t.object.into_owned());
                Triple::new(t.subject.into_owned(), t.predicate.into_owned(), object)
            })
            .collect();
        canonical.canonicalize(CanonicalizationAlgorithm::Unstable);
        Ok(Answer::Rdf(canonical))
    }

    fn difference(&self, other: &Answer) -> String {
        match (self, other) {
            (Answer::Rdf(a), Answer::Rdf(b)) => a
                .iter()
                .filter(|t| !b.contains(*t))
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" . "),
            (Answer::Csv(a), Answer::Csv(b)) => {
                format!("{:?}", a.iter().filter(|r| !b.contains(r)).collect::<Vec<_>>())
            }
            _ => "(answers of different kinds)".into(),
        }
    }
}

/// CSV rows as variable → text, in a set order: CSV keeps no datatypes,
/// `SELECT *` fixes no column order, and blank nodes compare by place only.
fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines().map(csv_cells);
    let header = lines.next().unwrap_or_default();
    let mut rows: Vec<BTreeMap<String, String>> = lines
        .map(|cells| {
            header
                .iter()
                .cloned()
                .zip(
                    cells
                        .into_iter()
                        .map(|c| if c.starts_with("_:") { "_:".into() } else { c }),
                )
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

/// The cells of one CSV line (RFC 4180 quoting; no line breaks in cells).
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

/// The files of a query test: its default graph and its named graphs.
struct QueryData {
    default: Vec<Term>,
    named: Vec<Term>,
}

/// Marks a failure where the server answers exactly as oxigraph's own
/// evaluator does on the same data in memory, written by the same
/// serialiser: the suite expects what the query engine does not do, and
/// the server adds nothing to it.
const SAME_AS_ENGINE: &str = "as oxigraph answers";

/// What oxigraph's evaluator alone answers, on an in-memory store loaded
/// from the test's files, in the format the server was asked for.
fn engine_response(text: &str, base: &str, files: &QueryData, accept: &str) -> Result<(String, Vec<u8>), String> {
    use oxigraph::io::{RdfParser, RdfSerializer};
    use oxigraph::sparql::results::QueryResultsSerializer;
    use oxigraph::sparql::{QueryResults, SparqlEvaluator};
    let memory = oxigraph::store::Store::new().map_err(|e| e.to_string())?;
    let load = |file: &Term, graph: GraphName| -> Result<(), String> {
        let path = file_path(file);
        let parser = RdfParser::from_format(format_of(&path))
            .with_base_iri(iri(file))
            .map_err(|e| e.to_string())?
            .with_default_graph(graph);
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        memory
            .load_from_reader(parser, bytes.as_slice())
            .map_err(|e| e.to_string())
    };
    for file in &files.default {
        load(file, GraphName::DefaultGraph)?;
    }
    for file in &files.named {
        load(file, NamedNode::new_unchecked(iri(file)).into())?;
    }
    let prepared = SparqlEvaluator::new()
        .with_base_iri(base)
        .map_err(|e| e.to_string())?
        .parse_query(text)
        .map_err(|e| e.to_string())?;
    let results = prepared.on_store(&memory).execute().map_err(|e| e.to_string())?;
    let format = QueryResultsFormat::from_media_type(accept.split(',').next().unwrap_or(accept))
        .unwrap_or(QueryResultsFormat::Json);
    let mut out = Vec::new();
    let error = |e: std::io::Error| e.to_string();
    match results {
        QueryResults::Graph(triples) => {
            let mut writer = RdfSerializer::from_format(RdfFormat::NTriples).for_writer(&mut out);
            for triple in triples {
                writer
                    .serialize_triple(&triple.map_err(|e| e.to_string())?)
                    .map_err(error)?;
            }
            writer.finish().map_err(error)?;
            return Ok(("application/n-triples".into(), out));
        }
        QueryResults::Boolean(value) => {
            QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(&mut out, value)
                .map_err(error)?;
        }
        QueryResults::Solutions(solutions) => {
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(&mut out, solutions.variables().to_vec())
                .map_err(error)?;
            for solution in solutions {
                writer.serialize(&solution.map_err(|e| e.to_string())?).map_err(error)?;
            }
            writer.finish().map_err(error)?;
        }
    }
    Ok((format.media_type().to_owned(), out))
}

async fn update_evaluation(endpoint: &Endpoint, manifest: &Manifest, test: &Term, action: &Term) -> Result<(), String> {
    for (graph, file) in dataset_files(manifest, action) {
        endpoint.put(graph.as_deref(), &file).await?;
    }
    let request = manifest.object(action, &format!("{UT}request")).ok_or("no request")?;
    let (text, base) = read_with_base(&request);
    let (status, body) = endpoint.update(&text, &base).await?;
    if !status.is_success() {
        return Err(format!("status {status}: {body}"));
    }
    let result = manifest.object(test, &format!("{MF}result")).ok_or("no result")?;
    let mut expected = Dataset::new();
    for (graph, file) in dataset_files(manifest, &result) {
        let graph_name = graph.map_or(GraphName::DefaultGraph, |g| NamedNode::new_unchecked(g).into());
        let bytes = std::fs::read(file_path(&file)).map_err(|e| e.to_string())?;
        let triples = parse_graph_at(format_of(&file_path(&file)), &bytes, Some(&iri(&file)))?;
        for triple in &triples {
            expected.insert(triple.in_graph(graph_name.as_ref()));
        }
    }
    expected.canonicalize(CanonicalizationAlgorithm::Unstable);
    let actual = endpoint.dump().await?;
    if actual == expected {
        Ok(())
    } else {
        Err(format!("dataset differs: got {actual}; expected {expected}"))
    }
}

/// The files of an update test's dataset (`ut:data`, `ut:graphData`) with
/// the graph each belongs to (None for the default graph).
fn dataset_files(manifest: &Manifest, node: &Term) -> Vec<(Option<String>, Term)> {
    let mut files: Vec<(Option<String>, Term)> = manifest
        .objects(node, &format!("{UT}data"))
        .into_iter()
        .map(|f| (None, f))
        .collect();
    for data in manifest.objects(node, &format!("{UT}graphData")) {
        let file = manifest.object(&data, &format!("{UT}graph")).expect("ut:graph");
        let name = manifest.text(&data, &format!("{RDFS}label")).expect("rdfs:label");
        files.push((Some(name), file));
    }
    files
}

/// Whether a query says its own dataset with `FROM` or `FROM NAMED`,
/// which the protocol's parameters would override.
fn names_own_dataset(text: &str, base: &str) -> bool {
    use spargebra::Query;
    let Ok(query) = spargebra::SparqlParser::new()
        .with_base_iri(base)
        .unwrap()
        .parse_query(text)
    else {
        return false;
    };
    match query {
        Query::Select { dataset, .. }
        | Query::Construct { dataset, .. }
        | Query::Describe { dataset, .. }
        | Query::Ask { dataset, .. } => dataset.is_some(),
    }
}

/// Query results as RDF in the result-set vocabulary, blank nodes
/// canonicalised, so that two answers compare up to blank-node renaming;
/// solutions carry their position when the order matters.
fn results_graph(format: QueryResultsFormat, bytes: &[u8], ordered: bool) -> Result<Graph, String> {
    let rs = |name: &str| NamedNode::new_unchecked(format!("{RS}{name}"));
    let mut graph = Graph::new();
    let set = BlankNode::default();
    let parsed = QueryResultsParser::from_format(format)
        .for_reader(bytes)
        .map_err(|e| e.to_string())?;
    graph.insert(&Triple::new(
        set.clone(),
        NamedNode::new_unchecked(format!("{RDF}type")),
        rs("ResultSet"),
    ));
    match parsed {
        ReaderQueryResultsParserOutput::Boolean(value) => {
            graph.insert(&Triple::new(set, rs("boolean"), Literal::from(value)));
        }
        ReaderQueryResultsParserOutput::Solutions(solutions) => {
            for variable in solutions.variables() {
                graph.insert(&Triple::new(set.clone(), rs("resultVariable"), variable_name(variable)));
            }
            for (position, solution) in solutions.enumerate() {
                let solution = solution.map_err(|e| e.to_string())?;
                let node = BlankNode::default();
                graph.insert(&Triple::new(set.clone(), rs("solution"), node.clone()));
                if ordered {
                    graph.insert(&Triple::new(node.clone(), rs("index"), Literal::from(position as i64)));
                }
                for (variable, value) in solution.iter() {
                    let binding = BlankNode::default();
                    graph.insert(&Triple::new(node.clone(), rs("binding"), binding.clone()));
                    graph.insert(&Triple::new(binding.clone(), rs("variable"), variable_name(variable)));
                    graph.insert(&Triple::new(binding, rs("value"), canonical_value(value)));
                }
            }
        }
    }
    graph.canonicalize(CanonicalizationAlgorithm::Unstable);
    Ok(graph)
}

/// Numbers and booleans in their canonical lexical form: the store keeps
/// their values, not how a file spelled them (`1.0` is read back as `1`).
fn canonical_value(term: &Term) -> Term {
    use oxsdatatypes::{Boolean, Decimal, Double, Float, Integer};
    fn canonical<T: std::str::FromStr + std::fmt::Display>(value: &str) -> Option<String> {
        value.parse::<T>().ok().map(|v| v.to_string())
    }
    let Term::Literal(literal) = term else {
        return term.clone();
    };
    let value = literal.value();
    let canonical = match literal
        .datatype()
        .as_str()
        .strip_prefix("http://www.w3.org/2001/XMLSchema#")
    {
        Some("decimal") => canonical::<Decimal>(value),
        Some("integer") => canonical::<Integer>(value),
        Some("double") => canonical::<Double>(value),
        Some("float") => canonical::<Float>(value),
        Some("boolean") => canonical::<Boolean>(value),
        _ => None,
    };
    match canonical {
        Some(lexical) => Literal::new_typed_literal(lexical, literal.datatype()).into(),
        None => term.clone(),
    }
}

fn variable_name(variable: &Variable) -> Literal {
    Literal::new_simple_literal(variable.as_str())
}

/// A query or update file and the IRI it resolves relative IRIs against.
fn read_with_base(file: &Term) -> (String, String) {
    let text = std::fs::read_to_string(file_path(file)).expect("test file");
    (text, iri(file))
}

fn iri(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        other => panic!("{other} is not an IRI"),
    }
}

fn format_of(path: &Path) -> RdfFormat {
    match path.extension().and_then(|e| e.to_str()) {
        Some("rdf") => RdfFormat::RdfXml,
        Some("nt") => RdfFormat::NTriples,
        _ => RdfFormat::Turtle,
    }
}

/// Graphs given by the protocol's parameters.
struct ProtocolDataset {
    default: Vec<String>,
    named: Vec<String>,
}

/// The server, seen through its HTTP endpoints only.
struct Endpoint {
    client: Client,
    base: String,
}

impl Endpoint {
    /// Each test starts from an empty dataset (the service's own graphs
    /// aside, which no test can write).
    async fn reset(&self) {
        let (status, body) = self.update("DROP ALL", "http://example.org/").await.unwrap();
        assert!(status.is_success(), "DROP ALL: {status} {body}");
    }

    /// Stores a file as a graph (None: the default graph) with a Graph
    /// Store Protocol PUT. Turtle bodies start with the file's IRI as
    /// `@base`, so that relative IRIs resolve as the suite means them.
    async fn put(&self, graph: Option<&str>, file: &Term) -> Result<(), String> {
        let path = file_path(file);
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        let (media_type, body) = match format_of(&path) {
            RdfFormat::RdfXml => ("application/rdf+xml", bytes),
            RdfFormat::NTriples => ("application/n-triples", bytes),
            _ => (
                "text/turtle",
                [format!("@base <{}> .\n", iri(file)).into_bytes(), bytes].concat(),
            ),
        };
        let request = self.client.put(format!("{}/store", self.base));
        let request = match graph {
            Some(graph) => request.query(&[("graph", graph)]),
            None => request.query(&[("default", "")]),
        };
        let response = request
            .header("content-type", media_type)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!(
                "storing {} failed with {status}: {}",
                path.display(),
                response.text().await.unwrap_or_default()
            ))
        }
    }

    /// Sends a query by POST, directly; answers status, content type and body.
    async fn query(
        &self,
        text: &str,
        base: &str,
        dataset: Option<&ProtocolDataset>,
        accept: &str,
    ) -> Result<(StatusCode, String, Vec<u8>), String> {
        let mut parameters = Vec::new();
        if let Some(dataset) = dataset {
            parameters.extend(dataset.default.iter().map(|g| ("default-graph-uri", g.as_str())));
            parameters.extend(dataset.named.iter().map(|g| ("named-graph-uri", g.as_str())));
        }
        let response = self
            .client
            .post(format!("{}/sparql", self.base))
            .query(&parameters)
            .header("content-type", "application/sparql-query")
            .header("accept", accept)
            .body(format!("BASE <{base}>\n{text}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let content_type = content_type(&response);
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        Ok((status, content_type, body.to_vec()))
    }

    async fn update(&self, text: &str, base: &str) -> Result<(StatusCode, String), String> {
        let response = self
            .client
            .post(format!("{}/sparql", self.base))
            .header("content-type", "application/sparql-update")
            .body(format!("BASE <{base}>\n{text}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        Ok((status, response.text().await.unwrap_or_default()))
    }

    /// Every quad of the dataset but the service's own graphs.
    async fn dump(&self) -> Result<Dataset, String> {
        let query = "SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } \
                     FILTER(!STRSTARTS(STR(?g), 'urn:assetgraph:')) } }";
        let (status, content_type, body) = self
            .query(query, "http://example.org/", None, "application/sparql-results+json")
            .await?;
        if !status.is_success() {
            return Err(format!("reading the dataset: {status}"));
        }
        let format = QueryResultsFormat::from_media_type(&content_type).ok_or("not results")?;
        let ReaderQueryResultsParserOutput::Solutions(solutions) = QueryResultsParser::from_format(format)
            .for_reader(body.as_slice())
            .map_err(|e| e.to_string())?
        else {
            return Err("not solutions".into());
        };
        let mut dataset = Dataset::new();
        for solution in solutions {
            let solution = solution.map_err(|e| e.to_string())?;
            let subject: NamedOrBlankNode = match solution.get("s") {
                Some(Term::NamedNode(n)) => n.clone().into(),
                Some(Term::BlankNode(b)) => b.clone().into(),
                other => return Err(format!("subject {other:?}")),
            };
            let Some(Term::NamedNode(predicate)) = solution.get("p") else {
                return Err("no predicate".into());
            };
            let graph = match solution.get("g") {
                Some(Term::NamedNode(g)) => GraphName::NamedNode(g.clone()),
                _ => GraphName::DefaultGraph,
            };
            let object = solution.get("o").ok_or("no object")?.clone();
            dataset.insert(&Quad::new(subject, predicate.clone(), object, graph));
        }
        dataset.canonicalize(CanonicalizationAlgorithm::Unstable);
        Ok(dataset)
    }
}

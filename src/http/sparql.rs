//! `/sparql`: the SPARQL 1.1 Protocol.
//!
//! - query by `GET ?query=`, by `POST` of a form (`query=`) or of the
//!   query itself (`application/sparql-query`); update by `POST` of a form
//!   (`update=`) or of the update itself (`application/sparql-update`);
//! - `default-graph-uri`, `named-graph-uri`, `using-graph-uri` and
//!   `using-named-graph-uri`, repeatable, in the URL or the form;
//! - results in the format the `Accept` header (or `?format=`) asks for,
//!   streamed as they are produced;
//! - `GET /sparql` with neither: the service description, or the query
//!   console for a browser (`Accept: text/html`, see `web.rs`).
//!
//! Analysts and above query, editors and above update. A query or update
//! running past `sparql.timeout_secs` is stopped and answered with 503; a
//! client that goes away stops its query.

use super::auth::Caller;
use super::negotiate::{content_type, graph_format, graph_response, results_format};
use super::{read_body, AppState, Problem};
use crate::auth::Role;
use crate::sparql::query::{self, Form, Format, QueryRequest};
use crate::sparql::stop::{Reason, Stop};
use crate::sparql::update::{self, ProtocolDataset, UpdateRequest};
use crate::Error;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use oxigraph::model::NamedNode;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/sparql", get(get_sparql).post(post_sparql))
}

/// The protocol's parameters, from the URL and a form body together.
#[derive(Default)]
struct Params {
    query: Vec<String>,
    update: Vec<String>,
    default_graphs: Vec<String>,
    named_graphs: Vec<String>,
    using_graphs: Vec<String>,
    using_named_graphs: Vec<String>,
    format: Option<String>,
}

impl Params {
    fn parse(text: &str) -> Self {
        let mut params = Params::default();
        params.extend(text);
        params
    }

    fn extend(&mut self, text: &str) {
        for (name, value) in form_urlencoded::parse(text.as_bytes()) {
            let value = value.into_owned();
            match name.as_ref() {
                "query" => self.query.push(value),
                "update" => self.update.push(value),
                "default-graph-uri" => self.default_graphs.push(value),
                "named-graph-uri" => self.named_graphs.push(value),
                "using-graph-uri" => self.using_graphs.push(value),
                "using-named-graph-uri" => self.using_named_graphs.push(value),
                "format" => self.format = Some(value),
                _ => {}
            }
        }
    }

    fn dataset(&self) -> Result<ProtocolDataset, Problem> {
        Ok(ProtocolDataset {
            default: iris("default-graph-uri", &self.default_graphs)?,
            named: iris("named-graph-uri", &self.named_graphs)?,
        })
    }

    fn using(&self) -> Result<ProtocolDataset, Problem> {
        Ok(ProtocolDataset {
            default: iris("using-graph-uri", &self.using_graphs)?,
            named: iris("using-named-graph-uri", &self.using_named_graphs)?,
        })
    }
}

fn iris(field: &str, values: &[String]) -> Result<Vec<NamedNode>, Problem> {
    values
        .iter()
        .map(|v| {
            NamedNode::new(v.as_str()).map_err(|e| Problem::bad_request(field, format!("'{v}' is not an IRI: {e}")))
        })
        .collect()
}

#[utoipa::path(
    get, path = "/sparql", tag = "sparql",
    description = "A SPARQL 1.1 query (`query`), the service description (no query), or the SPARQL console for a browser. Results in the format `Accept` or `format` asks for, streamed.",
    params(("query" = Option<String>, Query, description = "The query"),
           ("default-graph-uri" = Option<Vec<String>>, Query, description = "Graphs of the default graph (repeatable)"),
           ("named-graph-uri" = Option<Vec<String>>, Query, description = "Named graphs (repeatable)"),
           ("format" = Option<String>, Query, description = "json, xml, csv, tsv, turtle, ntriples… (instead of Accept)")),
    responses((status = 200, description = "Results (SPARQL JSON, XML, CSV, TSV) or a graph (Turtle, N-Triples, RDF/XML, JSON-LD)", body = Object, content_type = "application/sparql-results+json"),
              (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem),
              (status = 503, description = "The query ran past sparql.timeout_secs or the service is busy", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn get_sparql(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let params = Params::parse(raw.as_deref().unwrap_or(""));
    if !params.update.is_empty() {
        return Err(Problem::bad_request(
            "update",
            "updates are sent with POST (a form with update=… or a body of type application/sparql-update), never GET",
        ));
    }
    match params.query.len() {
        0 if wants_html(&headers) => Ok(super::web::console()),
        0 => service_description(&state, &headers),
        1 => run_query(state, caller, params, headers).await,
        _ => Err(one_only("query")),
    }
}

#[utoipa::path(
    post, path = "/sparql", tag = "sparql",
    description = "A query (`application/sparql-query`, or a form with `query=`) or an update (`application/sparql-update`, or a form with `update=`; editors and above). An update changes only the caller's tenant's graphs, and its patterns read only what the caller may read.",
    params(("using-graph-uri" = Option<Vec<String>>, Query, description = "An update's default graphs"),
           ("using-named-graph-uri" = Option<Vec<String>>, Query, description = "An update's named graphs")),
    request_body(content = String, description = "The query or update text, or a form", content_type = "application/sparql-query"),
    responses((status = 200, description = "Results, or the update's receipt", body = crate::sparql::update::UpdateReport),
              (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem),
              (status = 503, description = "Stopped past sparql.timeout_secs, or busy", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn post_sparql(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    // Every POST is a query or an update: nobody below analyst may have
    // the body read.
    caller.require(Role::Analyst)?;
    let mut params = Params::parse(raw.as_deref().unwrap_or(""));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (essence, charset) = media_type(content_type);
    if charset.as_deref().is_some_and(|c| !c.eq_ignore_ascii_case("utf-8")) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported charset",
            format!(
                "the body is {}; send queries and updates as UTF-8",
                charset.unwrap_or_default()
            ),
        ));
    }
    let body = read_body(body, state.config.max_body_bytes).await?;
    let text = || {
        String::from_utf8(body.to_vec()).map_err(|e| {
            Problem::bad_request(
                "body",
                format!(
                    "the body is not UTF-8 (byte {}); send UTF-8",
                    e.utf8_error().valid_up_to()
                ),
            )
        })
    };
    match essence.as_str() {
        "application/x-www-form-urlencoded" => params.extend(&text()?),
        "application/sparql-query" => params.query.push(text()?),
        "application/sparql-update" => params.update.push(text()?),
        other => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                format!(
                    "'{}' is not a SPARQL request body; send application/sparql-query, application/sparql-update \
                     or a form (application/x-www-form-urlencoded) with query=… or update=…",
                    if other.is_empty() { "(no Content-Type)" } else { other }
                ),
            ))
        }
    }
    match (params.query.len(), params.update.len()) {
        (1, 0) => run_query(state, caller, params, headers).await,
        (0, 1) => run_update(state, caller, params).await,
        (0, 0) => Err(Problem::bad_request(
            "query",
            "send a query (query=…) or an update (update=…)",
        )),
        (q, _) if q > 1 => Err(one_only("query")),
        (0, _) => Err(one_only("update")),
        _ => Err(Problem::bad_request("query", "send a query or an update, not both")),
    }
}

fn one_only(field: &str) -> Problem {
    Problem::bad_request(
        field,
        format!("the request carries more than one {field}; send exactly one"),
    )
}

/// A media type's lower-case essence and its charset, if named.
fn media_type(value: &str) -> (String, Option<String>) {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset = parts
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned());
    (essence, charset)
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

async fn run_query(state: AppState, caller: Caller, params: Params, headers: HeaderMap) -> Result<Response, Problem> {
    let tenants = caller.require(Role::Analyst)?.readable_tenants();
    let request = QueryRequest {
        text: params.query[0].clone(),
        base_iri: Some(endpoint_url(&state)),
        dataset: Some(params.dataset()?),
        union_default_graph: state.config.sparql.union_default_graph,
        search: Some(state.index.clone()),
        bindings: Vec::new(),
        shape: state.config.sparql.shape(),
        stop: Stop::new(),
        max_results: Some(state.config.sparql.max_results),
        tenants,
    };
    let formats = Formats::negotiate(&headers, params.format.as_deref());
    stream_query(&state, request, formats).await
}

/// The endpoint's own URL, from `public_url`: the base IRI of queries and
/// updates.
fn endpoint_url(state: &AppState) -> String {
    format!("{}/sparql", state.config.public_url())
}

async fn run_update(state: AppState, caller: Caller, params: Params) -> Result<Response, Problem> {
    let principal = caller.require(Role::Editor)?.clone();
    let tenant = principal.write_tenant()?.to_owned();
    let stop = Stop::new();
    let request = UpdateRequest {
        text: params.update[0].clone(),
        base_iri: Some(endpoint_url(&state)),
        using: Some(params.using()?),
        union_default_graph: state.config.sparql.union_default_graph,
        actor: principal.name.clone(),
        tenant,
        tenants: principal.readable_tenants(),
        shape: state.config.sparql.shape(),
        stop: stop.clone(),
    };
    let store = state.store.clone();
    let _abandoned = AbandonGuard(stop.clone());
    let job = move || update::update(&store, request).map_err(Problem::from);
    let receiver = state.workers.start(stop, state.config.sparql.budget(), job)?;
    let report = answer_in_time(&state, receiver).await?;
    Ok(Json(report).into_response())
}

/// The formats an answer may take, negotiated before the query is parsed:
/// which applies depends on the query's form.
pub(super) struct Formats {
    solutions: Result<Format, Problem>,
    graph: Result<Format, Problem>,
}

impl Formats {
    pub(super) fn negotiate(headers: &HeaderMap, name: Option<&str>) -> Self {
        Formats {
            solutions: results_format(headers, name, Form::Solutions),
            graph: results_format(headers, name, Form::Graph),
        }
    }

    fn for_form(self, form: Form) -> Result<Format, Problem> {
        match form {
            Form::Solutions | Form::Boolean => self.solutions,
            Form::Graph => self.graph,
        }
    }
}

/// Stops a query when the request is dropped — which is when the client
/// went away before its answer was complete.
pub(super) struct AbandonGuard(pub(super) Stop);

impl Drop for AbandonGuard {
    fn drop(&mut self) {
        self.0.stop(Reason::Abandoned);
    }
}

/// How long past its deadline a job may take to end before its request is
/// answered without it; a job stops well within this (see `sparql::stop`).
const GRACE: Duration = Duration::from_secs(1);

/// Waits for a job's result; if the job has not ended a little after its
/// deadline, answers with the timeout anyway.
pub(super) async fn answer_in_time<T>(
    state: &AppState,
    receiver: oneshot::Receiver<Result<T, Problem>>,
) -> Result<T, Problem> {
    let seconds = state.config.sparql.timeout_secs;
    match tokio::time::timeout(Duration::from_secs(seconds) + GRACE, receiver).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(Problem::internal("a query thread ended without an answer")),
        Err(_) => Err(Error::Timeout { seconds }.into()),
    }
}

/// Bytes are handed to the response in pieces of this size.
const CHUNK: usize = 64 * 1024;

/// Prepares and evaluates a query on a SPARQL worker and streams its
/// answer. The status is decided by the first piece: an error before any
/// output is a problem response; an error after it cuts the stream, so a
/// client never takes a truncated answer for a whole one.
pub(super) async fn stream_query(
    state: &AppState,
    request: QueryRequest,
    formats: Formats,
) -> Result<Response, Problem> {
    let stop = request.stop.clone();
    let abandon = AbandonGuard(stop.clone());
    let (sender, mut receiver) = mpsc::channel::<Result<Bytes, Problem>>(4);
    let (format_sender, format_receiver) = oneshot::channel::<Format>();
    let store = state.store.clone();
    let job = move || -> Result<(), Problem> {
        let prepared = query::prepare(request)?;
        let format = formats.for_form(prepared.form())?;
        let _ = format_sender.send(format);
        let mut writer = ChannelWriter {
            sender,
            buffer: Vec::with_capacity(CHUNK),
        };
        prepared.write(&store, format, &mut writer)?;
        writer.finish()
    };
    let done = state.workers.start(stop, state.config.sparql.budget(), job)?;
    // The job's result says why it failed; the format, and then the first
    // piece, that it got as far as answering.
    let started = async {
        let format = format_receiver.await.ok()?;
        let first = receiver.recv().await?;
        Some((format, first))
    };
    let (format, first) = match tokio::time::timeout(state.config.sparql.budget().timeout + GRACE, started).await {
        Ok(Some((format, Ok(first)))) => (format, first),
        Ok(Some((_, Err(problem)))) => return Err(problem),
        Ok(None) => {
            let ended = answer_in_time(state, done).await;
            return Err(ended
                .err()
                .unwrap_or_else(|| Problem::internal("a query ended without an answer")));
        }
        Err(_) => {
            return Err(Error::Timeout {
                seconds: state.config.sparql.timeout_secs,
            }
            .into())
        }
    };
    let failure = async move {
        match done.await {
            Ok(Err(problem)) => Some(problem),
            _ => None,
        }
    };
    let rest = futures_util::stream::unfold(
        (receiver, Some(Box::pin(failure)), abandon),
        |(mut receiver, failure, abandon)| async move {
            if let Some(piece) = receiver.recv().await {
                let item = piece.map_err(|problem| std::io::Error::other(problem.detail));
                return Some((item, (receiver, failure, abandon)));
            }
            // The job is over: cut the stream if it failed.
            let problem = failure?.await?;
            tracing::warn!(error = %problem.detail, "a query failed after its answer had started; the response is cut");
            Some((Err(std::io::Error::other(problem.detail)), (receiver, None, abandon)))
        },
    );
    let body = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }),
        rest,
    );
    Ok(([(header::CONTENT_TYPE, content_type(format))], Body::from_stream(body)).into_response())
}

/// Collects what the serializer writes and sends it on in pieces; a
/// closed channel (the client went away) stops the writer.
struct ChannelWriter {
    sender: mpsc::Sender<Result<Bytes, Problem>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    /// The piece is made outside the worker's memory budget: it is freed
    /// on another thread, once sent.
    fn send(&mut self) -> std::io::Result<()> {
        let piece = crate::memory::unmetered(|| Bytes::copy_from_slice(&self.buffer));
        self.buffer.clear();
        self.sender
            .blocking_send(Ok(piece))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }

    fn finish(&mut self) -> Result<(), Problem> {
        self.send()
            .map_err(|e| Problem::from(Error::Storage(format!("sending results: {e}"))))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The service description (SPARQL 1.1 Service Description), as Turtle or
/// whatever graph format is asked for.
fn service_description(state: &AppState, headers: &HeaderMap) -> Result<Response, Problem> {
    let format = graph_format(headers)?;
    let endpoint = endpoint_url(state);
    let union = if state.config.sparql.union_default_graph {
        "sd:feature sd:UnionDefaultGraph ;"
    } else {
        ""
    };
    let turtle = format!(
        r#"@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix ag: <https://w3id.org/assetgraph/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{endpoint}#service> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query, sd:SPARQL11Update ;
    sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>, <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
        <http://www.w3.org/ns/formats/SPARQL_Results_CSV>, <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
        <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>, <http://www.w3.org/ns/formats/N-Quads>,
        <http://www.w3.org/ns/formats/TriG>, <http://www.w3.org/ns/formats/RDF_XML>, <http://www.w3.org/ns/formats/JSON-LD> ;
    {union}
    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] ;
    rdfs:comment "SERVICE ag:search {{ [] ag:query \"…\" ; ag:asset ?asset ; ag:score ?score ; ag:matchedConcept ?concept }} joins search hits with the graph." .
"#
    );
    let triples = crate::rdf::parse(
        "service description",
        oxigraph::io::RdfFormat::Turtle,
        turtle.as_bytes(),
        &|_| {},
    )
    .map_err(|e| Problem::internal(e.to_string()))?;
    graph_response(format, triples.iter().map(|q| q.as_ref().into()))
}

//! `/store`: the SPARQL 1.1 Graph Store HTTP Protocol.
//!
//! A graph is named indirectly (`/store?graph=IRI`, `/store?default`) or
//! directly: any path below `/store/` names the graph whose IRI is that
//! URL (`{public_url}/store/…`; never from the `Host` header, which the
//! client chooses). `GET` and `HEAD` read (analysts and
//! above), `PUT` replaces, `POST` adds, `DELETE` drops (editors and above);
//! a `POST` to `/store` itself creates a new graph and answers with its
//! `Location`. Bodies are any RDF syntax the service reads, or a
//! `multipart/form-data` of such documents, within `max_body_bytes` either
//! way; the caller's role is checked before a byte of the body is read.
//! Every write goes through the single write path: a write to a taxonomy
//! project's graph is a push.

use super::auth::Caller;
use super::negotiate::{graph_format, graph_response};
use super::{blocking, read_body, AppState, Problem};
use crate::auth::Role;
use crate::rdf;
use crate::sparql::edits::Author;
use crate::sparql::graph_store::{self, Operation};
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, RawQuery, Request, State};
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use oxigraph::model::{GraphName, NamedNode, Triple};
use std::sync::atomic::{AtomicU64, Ordering};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/store", any(graph_store))
        .route("/store/{*path}", any(graph_store))
}

/// Which graph a request names, if any.
enum Named {
    Graph(GraphName),
    /// `/store` with neither `?graph` nor `?default`.
    Store,
}

fn named_graph(state: &AppState, uri: &Uri, raw_query: Option<&str>) -> Result<Named, Problem> {
    let mut graph = None;
    let mut default = false;
    for (name, value) in form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "graph" => graph = Some(value.into_owned()),
            "default" => default = true,
            _ => {}
        }
    }
    let direct = uri.path() != "/store";
    match (graph, default, direct) {
        (Some(_), true, _) => Err(Problem::bad_request(
            "graph",
            "name the graph with ?graph=IRI or ?default, not both",
        )),
        (Some(iri), false, false) => NamedNode::new(iri.as_str())
            .map(|g| Named::Graph(g.into()))
            .map_err(|e| Problem::bad_request("graph", format!("'{iri}' is not an IRI: {e}"))),
        (None, true, false) => Ok(Named::Graph(GraphName::DefaultGraph)),
        (None, false, false) => Ok(Named::Store),
        (_, _, true) if raw_query.is_some_and(|q| !q.is_empty()) => Err(Problem::bad_request(
            "graph",
            "a path below /store names its graph itself; leave out ?graph and ?default",
        )),
        (_, _, true) => Ok(Named::Graph(own_url(state, uri.path())?.into())),
    }
}

/// The absolute URL of a path on this server, from `public_url`.
fn own_url(state: &AppState, path: &str) -> Result<NamedNode, Problem> {
    let url = format!("{}{path}", state.config.public_url());
    NamedNode::new(url.as_str()).map_err(|e| Problem::bad_request("graph", format!("'{url}' is not an IRI: {e}")))
}

#[utoipa::path(
    get, path = "/store", tag = "sparql",
    description = "The SPARQL 1.1 Graph Store Protocol: GET/HEAD read a graph (analysts), PUT replaces, POST adds, DELETE drops (editors). `?graph=IRI` or `?default` names the graph; `/store/{path}` names the graph whose IRI is that URL.",
    params(("graph" = Option<String>, Query, description = "The graph's IRI"),
           ("default" = Option<String>, Query, description = "The default graph (no value)")),
    request_body(content = String, description = "RDF in any syntax the service reads (PUT, POST)", content_type = "text/turtle"),
    responses((status = 200, description = "The graph (GET) or what changed", body = String, content_type = "text/turtle"),
              (status = 201, description = "A new graph"),
              (status = 204, description = "Changed"),
              (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn graph_store(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    uri: Uri,
    RawQuery(raw_query): RawQuery,
    request: Request,
) -> Result<Response, Problem> {
    // The role first: a caller who may not use the method learns nothing
    // of how the request would have been read.
    let least = if matches!(method, Method::GET | Method::HEAD) {
        Role::Analyst
    } else {
        Role::Editor
    };
    let principal = caller.require(least)?;
    if least == Role::Editor {
        principal.write_tenant()?;
    }
    let tenants = principal.readable_tenants();
    let headers = request.headers().clone();
    let named = named_graph(&state, &uri, raw_query.as_deref())?;
    match (method.as_str(), named) {
        ("GET" | "HEAD", Named::Graph(graph)) => {
            let format = graph_format(&headers)?;
            let store = state.store.clone();
            let triples = blocking(move || {
                if let Some(tenants) = &tenants {
                    crate::sparql::tenants::ensure_readable(&store, &graph, tenants)?;
                }
                graph_store::read(&store, graph.as_ref())
            })
            .await?;
            let response = graph_response(format, triples.iter().map(Triple::as_ref))?;
            if method == Method::HEAD {
                let (parts, _) = response.into_parts();
                return Ok(Response::from_parts(parts, Body::empty()));
            }
            Ok(response)
        }
        ("PUT" | "POST" | "DELETE", Named::Graph(graph)) => {
            let operation = match method.as_str() {
                "PUT" => Operation::Put,
                "POST" => Operation::Post,
                _ => Operation::Delete,
            };
            let triples = if operation == Operation::Delete {
                Vec::new()
            } else {
                let base = body_base(&state, &graph, &uri)?;
                body_triples(&state, request, base).await?
            };
            write(&state, caller, operation, graph, triples).await
        }
        ("POST", Named::Store) => {
            let graph = own_url(&state, &new_graph_path())?;
            let triples = body_triples(&state, request, graph.as_str().to_owned()).await?;
            let mut response = write(&state, caller, Operation::Post, graph.clone().into(), triples).await?;
            *response.status_mut() = StatusCode::CREATED;
            response.headers_mut().insert(
                header::LOCATION,
                header::HeaderValue::from_str(graph.as_str()).map_err(|e| Problem::internal(e.to_string()))?,
            );
            Ok(response)
        }
        (_, Named::Store) => Err(Problem::bad_request(
            "graph",
            "name a graph: /store?graph=IRI, /store?default, or a path below /store/",
        )),
        _ => Err(Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            format!("{method} is not a Graph Store Protocol method; use GET, HEAD, PUT, POST or DELETE"),
        )),
    }
}

async fn write(
    state: &AppState,
    caller: Caller,
    operation: Operation,
    graph: GraphName,
    triples: Vec<Triple>,
) -> Result<Response, Problem> {
    let principal = caller.require(Role::Editor)?.clone();
    let store = state.store.clone();
    let report = blocking(move || {
        let author = Author {
            actor: &principal.name,
            tenant: principal.write_tenant()?,
        };
        graph_store::write(&store, operation, graph, triples, &author)
    })
    .await?;
    Ok(if report.created {
        (StatusCode::CREATED, axum::Json(report)).into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}

/// The IRI a body's relative IRIs resolve against: the graph it is
/// written to, or for the default graph the URL of the request.
fn body_base(state: &AppState, graph: &GraphName, uri: &Uri) -> Result<String, Problem> {
    match graph {
        GraphName::NamedNode(iri) => Ok(iri.as_str().to_owned()),
        _ => Ok(own_url(state, &uri.to_string())?.into_string()),
    }
}

/// The triples of a request body: one RDF document, or every document of
/// a `multipart/form-data` body.
async fn body_triples(state: &AppState, request: Request, base: String) -> Result<Vec<Triple>, Problem> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        let limit = state.config.max_body_bytes;
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| super::multipart_problem(e.status(), e.body_text(), limit))?;
        let mut triples = Vec::new();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| super::multipart_problem(e.status(), e.body_text(), limit))?
        {
            let part_type = field.content_type().unwrap_or("text/turtle").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| super::multipart_problem(e.status(), e.body_text(), limit))?;
            let format = rdf::format_from_media_type(&part_type)?;
            let base = base.clone();
            triples.extend(blocking(move || graph_store::parse_body(format, &bytes, &base)).await?);
        }
        return Ok(triples);
    }
    if content_type.is_empty() {
        return Err(crate::Error::UnsupportedFormat {
            given: "(none)".into(),
            expected: "send a Content-Type such as text/turtle, application/n-triples or application/rdf+xml".into(),
        }
        .into());
    }
    let format = rdf::format_from_media_type(&content_type)?;
    let bytes = read_body(request.into_body(), state.config.max_body_bytes).await?;
    blocking(move || graph_store::parse_body(format, &bytes, &base)).await
}

/// A path for a graph created by `POST /store`: unique for this server.
fn new_graph_path() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    format!("/store/graphs/{nanos:x}-{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

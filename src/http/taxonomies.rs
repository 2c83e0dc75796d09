//! Taxonomy pushes and reads:
//!
//! - `PUT /api/taxonomies/{id}` replaces the project with the body,
//!   `POST` merges the body into it; `Content-Type` names the format,
//!   `?graph=IRI` where triples sent without a graph go;
//! - `GET /api/taxonomies`, `GET /api/taxonomies/{id}`;
//! - `GET /api/concepts?iri=…&lang=…`.

use super::auth::Caller;
use super::params::{Params, PathSegment, Repeatable};
use super::{blocking, read_body, AppState, Problem};
use crate::auth::Role;
use crate::rdf;
use crate::taxonomy::{self, Push, PushMode};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use oxigraph::model::NamedNode;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/taxonomies", get(list))
        .route("/api/taxonomies/{id}", get(show).put(push).post(push))
        .route("/api/concepts", get(concept))
}

#[utoipa::path(
    get, path = "/api/taxonomies", tag = "taxonomies",
    responses((status = 200, description = "The taxonomy projects the caller's tenants (and `shared`) hold", body = ProjectList))
)]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<impl IntoResponse, Problem> {
    let tenants = caller.require(Role::Reader)?.readable_tenants();
    let projects = blocking(move || taxonomy::list_of(&state.store, tenants.as_deref())).await?;
    Ok(Json(ProjectList { projects }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct ProjectList {
    projects: Vec<taxonomy::ProjectSummary>,
}

#[utoipa::path(
    get, path = "/api/taxonomies/{id}", tag = "taxonomies",
    params(("id" = String, Path, description = "The project id")),
    responses((status = 200, description = "One project: schemes, counts, version", body = crate::taxonomy::ProjectSummary), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    PathSegment(id): PathSegment,
) -> Result<impl IntoResponse, Problem> {
    let tenants = caller.require(Role::Reader)?.readable_tenants();
    let project = blocking(move || taxonomy::get_of(&state.store, &id, tenants.as_deref())).await?;
    Ok(Json(project))
}

#[derive(Deserialize)]
struct PushParams {
    graph: Option<String>,
}

impl Repeatable for PushParams {}

/// PUT replaces the project with the body, POST merges the body into it.
#[utoipa::path(
    put, path = "/api/taxonomies/{id}", tag = "taxonomies",
    description = "PUT replaces the project with the body; POST (same parameters) merges the body into it. The answer carries the new version and the diff.",
    params(("id" = String, Path, description = "The project id"),
           ("graph" = Option<String>, Query, description = "The graph IRI the body's default graph is written to")),
    request_body(content = String, description = "RDF: Turtle, TriG, N-Triples, N-Quads, RDF/XML or JSON-LD", content_type = "text/turtle"),
    responses((status = 201, description = "A new project", body = crate::taxonomy::PushReport),
              (status = 200, description = "A new version of the project", body = crate::taxonomy::PushReport),
              (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn push(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    PathSegment(id): PathSegment,
    Params(params): Params<PushParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, Problem> {
    let mode = if method == Method::PUT {
        PushMode::Replace
    } else {
        PushMode::Merge
    };
    let principal = caller.require(Role::Editor)?.clone();
    let tenant = principal.write_tenant()?.to_owned();
    taxonomy::validate_project_id(&id)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Problem::from(crate::Error::UnsupportedFormat {
                given: "(none)".into(),
                expected: "send a Content-Type such as text/turtle, application/trig or application/rdf+xml".into(),
            })
        })?;
    let format = rdf::format_from_media_type(content_type)?;
    let default_graph = params
        .graph
        .map(|g| NamedNode::new(&g).map_err(|e| Problem::bad_request("graph", format!("'{g}' is not an IRI: {e}"))))
        .transpose()?;
    let bytes = read_body(body, state.config.max_body_bytes).await?;
    let store = state.store.clone();
    let report = blocking(move || {
        let quads = rdf::parse("request body", format, &bytes, &|_| {})?;
        taxonomy::push(
            &store,
            Push {
                project: id,
                mode,
                quads,
                default_graph,
                actor: principal.name.clone(),
                tenant,
            },
        )
    })
    .await?;
    let status = if report.previous_version.is_none() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

#[derive(Deserialize)]
struct ConceptParams {
    iri: Option<String>,
    #[serde(default = "english")]
    lang: String,
}

impl Repeatable for ConceptParams {}

fn english() -> String {
    "en".into()
}

#[utoipa::path(
    get, path = "/api/concepts", tag = "taxonomies",
    params(("iri" = String, Query, description = "The concept's IRI"),
           ("lang" = Option<String>, Query, description = "The language of the labels shown (default en)")),
    responses((status = 200, description = "The concept: labels, broader, narrower, related, projects", body = crate::taxonomy::ConceptDetail), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn concept(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<ConceptParams>,
) -> Result<impl IntoResponse, Problem> {
    let tenants = caller.require(Role::Reader)?.readable_tenants();
    let iri = params
        .iri
        .ok_or_else(|| Problem::bad_request("iri", "pass the concept's IRI as ?iri=…"))?;
    let detail = blocking(move || taxonomy::concept_of(&state.store, &iri, &params.lang, tenants.as_deref())).await?;
    Ok(Json(detail))
}

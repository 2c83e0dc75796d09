//! `GET /api/reports`: the named reports and their parameters;
//! `GET /api/reports/{name}?param=value…`: one report's results, as SPARQL
//! JSON (default), CSV, TSV or XML by `Accept` or `?format=`. Analysts and
//! above.

use super::auth::Caller;
use super::params::{Params, PathSegment};
use super::sparql::{stream_query, Formats};
use super::{AppState, Problem};
use crate::auth::Role;
use crate::reports;
use crate::sparql::query::QueryRequest;
use crate::sparql::stop::Stop;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/reports", get(list))
        .route("/api/reports/{name}", get(run))
}

#[utoipa::path(
    get, path = "/api/reports", tag = "reports",
    responses((status = 200, description = "The named reports and their parameters", body = Object))
)]
async fn list(caller: Caller) -> Result<impl IntoResponse, Problem> {
    caller.require(Role::Analyst)?;
    Ok(Json(serde_json::json!({ "reports": reports::all() })))
}

#[utoipa::path(
    get, path = "/api/reports/{name}", tag = "reports",
    params(("name" = String, Path, description = "The report's name (GET /api/reports lists them)"),
           ("format" = Option<String>, Query, description = "json (default), csv, tsv or xml")),
    responses((status = 200, description = "The report's results; other parameters are the report's own", body = Object, content_type = "application/sparql-results+json"), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn run(
    State(state): State<AppState>,
    caller: Caller,
    PathSegment(name): PathSegment,
    Params(mut params): Params<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let tenants = caller.require(Role::Analyst)?.readable_tenants();
    let report = reports::find(&name)?;
    let format_name = params.remove("format");
    let bindings = report.bindings(&params)?;
    let request = QueryRequest {
        text: report.text.to_owned(),
        base_iri: None,
        dataset: None,
        union_default_graph: true,
        search: Some(state.index.clone()),
        bindings,
        shape: crate::sparql::limits::Shape {
            max_bytes: usize::MAX,
            ..state.config.sparql.shape()
        },
        stop: Stop::new(),
        max_results: Some(state.config.sparql.max_results),
        tenants,
    };
    let formats = Formats::negotiate(&headers, format_name.as_deref());
    stream_query(&state, request, formats).await
}

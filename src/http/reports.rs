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

async fn list(caller: Caller) -> Result<impl IntoResponse, Problem> {
    caller.require(Role::Analyst)?;
    Ok(Json(serde_json::json!({ "reports": reports::all() })))
}

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

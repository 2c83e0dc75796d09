//! `GET /api/reports`: the named reports and their parameters;
//! `GET /api/reports/{name}?param=value…`: one report's results, as SPARQL
//! JSON (default), CSV, TSV or XML by `Accept` or `?format=`. Analysts and
//! above.

use super::auth::Caller;
use super::negotiate::results_format;
use super::sparql::{stream, Deadline};
use super::{AppState, Problem};
use crate::auth::Role;
use crate::reports;
use crate::sparql::query::{self, QueryRequest};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use oxigraph::sparql::CancellationToken;
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
    Path(name): Path<String>,
    Query(mut params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    caller.require(Role::Analyst)?;
    let report = reports::find(&name)?;
    let format_name = params.remove("format");
    let bindings = report.bindings(&params)?;
    let cancel = CancellationToken::new();
    let prepared = query::prepare(QueryRequest {
        text: report.query_with(&bindings),
        base_iri: None,
        dataset: None,
        union_default_graph: true,
        search: Some(state.index.clone()),
        cancel: cancel.clone(),
        max_results: Some(state.config.sparql.max_results),
    })?;
    let format = results_format(&headers, format_name.as_deref(), prepared.form())?;
    let deadline = Deadline::start(cancel, state.config.sparql.timeout_secs);
    let store = state.store.clone();
    stream(format, deadline, move |out| prepared.write(&store, format, out)).await
}

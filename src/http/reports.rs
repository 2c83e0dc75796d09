//! `GET /api/reports`: the named reports and their parameters;
//! `GET /api/reports/{name}?param=value…`: one report's results, as SPARQL
//! JSON (default), CSV, TSV or XML by `Accept` or `?format=`, or its chart
//! as SVG (`?format=svg`, for a report that declares one). Analysts and
//! above.

use super::auth::Caller;
use super::params::{Params, PathSegment};
use super::sparql::{answer_in_time, stream_query, Formats};
use super::{AppState, Problem};
use crate::auth::Role;
use crate::reports;
use crate::sparql::query::{self, Format, QueryRequest};
use crate::sparql::stop::Stop;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use oxigraph::sparql::results::QueryResultsFormat;
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
           ("format" = Option<String>, Query, description = "json (default), csv, tsv, xml, or svg: the report's chart")),
    responses((status = 200, description = "The report's results; other parameters are the report's own", body = Object, content_type = "application/sparql-results+json"), (status = 406, description = "svg asked of a report without a chart", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
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
    if format_name.as_deref() == Some("svg") {
        return chart(&state, &report, request).await;
    }
    let formats = Formats::negotiate(&headers, format_name.as_deref());
    stream_query(&state, request, formats).await
}

/// The report's chart: its results, gathered on a SPARQL worker, drawn.
async fn chart(state: &AppState, report: &reports::Report, request: QueryRequest) -> Result<Response, Problem> {
    let Some(chart) = report.chart.clone() else {
        return Err(Problem::new(
            StatusCode::NOT_ACCEPTABLE,
            "not-acceptable",
            "No acceptable format",
            format!("report '{}' has no chart: ask for json, csv, tsv or xml", report.name),
        ));
    };
    let store = state.store.clone();
    let stop = request.stop.clone();
    let done = state.workers.start(stop, state.config.sparql.budget(), move || {
        let prepared = query::prepare(request)?;
        let mut results = Vec::new();
        prepared.write(&store, Format::Results(QueryResultsFormat::Json), &mut results)?;
        Ok::<_, Problem>(chart.draw_results(&results)?)
    })?;
    let svg = answer_in_time(state, done).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg).into_response())
}

//! `GET /api/search`: search over the index the store keeps in step.

use super::auth::Caller;
use super::{blocking, AppState, Problem};
use crate::auth::Role;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// The longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 500;
const MAX_LIMIT: usize = 200;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/search", get(search))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    q: String,
    lang: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize)]
struct Answer {
    /// The store generation the index reflected when it answered.
    generation: Option<u64>,
    hits: Vec<crate::index::Hit>,
}

async fn search(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Answer>, Problem> {
    caller.require(Role::Reader)?;
    let Query(params) = params.map_err(|e| Problem::bad_request("query", e.body_text()))?;
    let q = params.q.trim().to_owned();
    if q.is_empty() {
        return Err(Problem::bad_request(
            "q",
            "the query is empty: give some words to search for",
        ));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(Problem::bad_request(
            "q",
            format!("the query is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    let limit = params.limit.unwrap_or(20);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(Problem::bad_request("limit", format!("limit must be 1 to {MAX_LIMIT}")));
    }
    let index = state.index.clone();
    let answer = blocking(move || {
        let hits = index.search_text(&q, params.lang.as_deref(), limit)?;
        Ok(Answer {
            generation: index.generation()?,
            hits,
        })
    })
    .await?;
    Ok(Json(answer))
}

//! `GET /health`: liveness and the store generation, without auth, for load
//! balancers and operators; also how many SPARQL queries and updates are
//! running, and how many could not be stopped and were parked (see
//! `memory`), which only a restart reclaims.

use super::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

#[utoipa::path(
    get, path = "/health", tag = "operations", security(()),
    responses((status = 200, description = "Alive: version, store generation, running and parked SPARQL work", body = Object))
)]
async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "generation": state.store.generation(),
        "queries": {
            "running": state.workers.running(),
            "parked": crate::memory::parked(),
        },
    }))
}

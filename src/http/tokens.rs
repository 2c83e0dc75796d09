//! `POST /api/tokens`: browser tokens minted for one person by the host's
//! server with an admin key (see [`crate::auth::tokens`]).

use super::auth::Caller;
use super::{AppState, Problem};
use crate::auth::tokens::{Minted, TokenRequest};
use crate::auth::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/tokens", post(mint))
}

/// The largest token request body, in bytes.
const MAX_BODY_BYTES: usize = 16 * 1024;

async fn mint(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Body,
) -> Result<(StatusCode, Json<Minted>), Problem> {
    let issuer = caller.require(Role::Admin)?;
    if issuer.subject.is_some() {
        return Err(Problem::forbidden(
            "a token cannot mint tokens; mint them with an admin key",
        ));
    }
    let bytes = super::read_body(body, MAX_BODY_BYTES).await?;
    let value = crate::ingest::parse_json(&bytes)?;
    let request: TokenRequest = serde_json::from_value(value).map_err(|e| {
        Problem::bad_request(
            "body",
            format!("expected {{\"subject\", \"tenants\"?, \"role\"?, \"context\"?, \"ttl_secs\"?}}: {e}"),
        )
    })?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let minted = state.tokens.mint(issuer, request, now)?;
    Ok((StatusCode::CREATED, Json(minted)))
}

//! Browser tokens (see [`crate::auth::tokens`]), with an admin key:
//!
//! - `POST /api/tokens` mints one for a person, for the host's server to
//!   hand to that person's page;
//! - `POST /api/tokens/revocations` with `{"subject"}` revokes every token
//!   of that person signed so far (see [`crate::auth::revocations`]).

use super::auth::Caller;
use super::{AppState, Problem};
use crate::auth::revocations::Revocation;
use crate::auth::tokens::{Minted, TokenRequest};
use crate::auth::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/tokens", post(mint))
        .route("/api/tokens/revocations", post(revoke))
}

/// The largest token request body, in bytes.
const MAX_BODY_BYTES: usize = 16 * 1024;

#[utoipa::path(
    post, path = "/api/tokens", tag = "tokens",
    request_body(content = crate::auth::tokens::TokenRequest, content_type = "application/json"),
    responses((status = 201, description = "The token and when it expires", body = crate::auth::tokens::Minted), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem),
              (status = 501, description = "No signing key is configured", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
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
    let request: TokenRequest = super::json_body(
        body,
        MAX_BODY_BYTES,
        r#"{"subject", "tenants"?, "role"?, "context"?, "ttl_secs"?, "record_usage"?}"#,
    )
    .await?;
    let minted = state.tokens.mint(issuer, request, time::OffsetDateTime::now_utc())?;
    Ok((StatusCode::CREATED, Json(minted)))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    subject: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Revoked {
    subject: String,
    /// Tokens of the subject signed up to this moment (RFC 3339, to the
    /// millisecond) are refused.
    revoked_at: String,
    /// The tenants whose tokens it reaches (all when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    tenants: Option<Vec<String>>,
}

#[utoipa::path(
    post, path = "/api/tokens/revocations", tag = "tokens",
    request_body(content = RevokeRequest, content_type = "application/json"),
    responses((status = 201, description = "Every token of the subject signed so far is refused", body = Revoked), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Body,
) -> Result<(StatusCode, Json<Revoked>), Problem> {
    let admin = caller.require(Role::Admin)?.clone();
    if admin.subject.is_some() {
        return Err(Problem::forbidden("a token cannot revoke tokens; use an admin key"));
    }
    let request: RevokeRequest = super::json_body(body, MAX_BODY_BYTES, r#"{"subject"}"#).await?;
    let subject = request.subject.trim().to_owned();
    if subject.is_empty() || subject.len() > 200 {
        return Err(Problem::bad_request(
            "subject",
            "name the person whose tokens to revoke, 1 to 200 characters",
        ));
    }
    let now = time::OffsetDateTime::now_utc();
    let revocation = Revocation {
        subject,
        tenants: admin.writable_tenants(),
        at_ms: crate::auth::tokens::unix_millis(now),
    };
    let answer = Revoked {
        subject: revocation.subject.clone(),
        revoked_at: now
            .replace_nanosecond(now.millisecond() as u32 * 1_000_000)
            .unwrap_or(now)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        tenants: revocation.tenants.clone(),
    };
    let (tokens, store) = (state.tokens.clone(), state.store.clone());
    let tenant = admin.tenants[0].clone();
    super::blocking(move || tokens.revocations().revoke(&store, revocation, &admin.name, &tenant)).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

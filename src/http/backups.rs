//! `POST /api/backups {"name": …}`: a backup of the running service's
//! store into `DATA/backups/NAME` (see `store::backup`), for the nightly
//! job of whoever runs it; `assetgraph restore` brings one back. Admins
//! with a key not limited to tenants: a backup holds every tenant's data.

use super::auth::Caller;
use super::{blocking, json_body, AppState, Problem};
use crate::auth::Role;
use crate::store::backup::BackupInfo;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/backups", post(create))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BackupRequest {
    /// The backup's folder under `DATA/backups/`: letters, digits, `-_.`.
    name: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct BackupAnswer {
    /// Where the backup is, on the service's machine.
    path: String,
    /// Every commit up to this generation is in it.
    generation: u64,
    created_at: String,
}

/// The longest body of a backup request, in bytes.
const MAX_BODY_BYTES: usize = 4 * 1024;

#[utoipa::path(
    post, path = "/api/backups", tag = "operations",
    description = "Backs the store up into DATA/backups/NAME while the service runs (writes wait for the checkpoint). Restore with `assetgraph restore DIR --data NEW_DIR`, which rebuilds the search index.",
    request_body(content = BackupRequest, content_type = "application/json"),
    responses((status = 201, description = "The backup", body = BackupAnswer),
              (status = 409, description = "A backup of that name exists", content_type = "application/problem+json", body = crate::http::problem::Problem),
              (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem),
              (status = 403, description = "Not an admin, or a key limited to tenants", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> Result<(StatusCode, Json<BackupAnswer>), Problem> {
    let principal = caller.require(Role::Admin)?;
    if principal.readable_tenants().is_some() {
        return Err(Problem::forbidden(format!(
            "key '{}' is limited to tenants; a backup holds every tenant's data: use a key without tenants",
            principal.name
        )));
    }
    let body: BackupRequest = json_body(
        request.into_body(),
        MAX_BODY_BYTES,
        "{\"name\": \"nightly-2026-12-07\"}",
    )
    .await?;
    let name = body.name.trim();
    let safe = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !safe {
        return Err(Problem::bad_request(
            "name",
            "give the backup a name of letters, digits, '-', '_' or '.', up to 64, not starting with '.'",
        ));
    }
    // A taken name is refused by the backup itself (409), races included.
    let target = state.store.path().join("backups").join(name);
    let store = state.store.clone();
    let path = target.display().to_string();
    let info: BackupInfo = blocking(move || store.backup(&target)).await?;
    tracing::info!(path = %path, generation = info.generation, "backup taken");
    Ok((
        StatusCode::CREATED,
        Json(BackupAnswer {
            path,
            generation: info.generation,
            created_at: info.created_at,
        }),
    ))
}

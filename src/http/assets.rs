//! Asset ingest, reads and clearance:
//!
//! - `POST /api/ingest/{source}` — a batch of a source's records
//!   (`?on_error=reject|skip`, `?type=` for Rightsline char types); for
//!   `files`, the file as the body with `?name=`, or multipart with one or
//!   more files;
//! - `GET /api/assets/{id}` — metadata, tags, licences, clearance summary;
//! - `GET /api/assets/{id}/clearance?territory=&channel=&usage=&audience=&industry=&language=&at=`;
//! - `DELETE /api/assets/{id}`.
//!
//! Asset ids contain colons and may contain slashes (`files:shoot/a.jpg`),
//! so the id is the rest of the path.

use super::auth::Caller;
use super::params::{Params, PathSegment, Repeatable};
use super::{blocking, read_body, AppState, Problem};
use crate::assets::{self, Ingest, OnError};
use crate::auth::Role;
use crate::ingest::{self, Mapping, RecordResult, Source};
use crate::rights::{Context, Territories};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/ingest/{source}", post(ingest_batch))
        .route("/api/assets/{*id}", get(show).delete(remove))
}

#[derive(Deserialize, Default)]
struct IngestParams {
    on_error: Option<String>,
    #[serde(rename = "type")]
    record_type: Option<String>,
    /// A file's name, when the body is the file.
    name: Option<String>,
    /// A file's asset id, when the caller has one (`dropbox:id:…`).
    id: Option<String>,
}

impl Repeatable for IngestParams {}

#[utoipa::path(
    post, path = "/api/ingest/{source}", tag = "assets",
    description = "A batch of one source's records, mapped and written in one commit. `files` takes the file as the body (`?name=`) or multipart files.",
    params(("source" = String, Path, description = "smintio, rightsline, photoshelter, dropbox, scaleflex, assetgraph or files"),
           ("on_error" = Option<String>, Query, description = "reject (default: nothing is stored if a record is invalid) or skip"),
           ("type" = Option<String>, Query, description = "Rightsline char type of the records"),
           ("name" = Option<String>, Query, description = "files: the file's name"),
           ("id" = Option<String>, Query, description = "files: the asset id to give the file")),
    request_body(content = Object, description = "The source's records as it sends them (see docs/SOURCES.md)", content_type = "application/json"),
    responses((status = 201, description = "Records created", body = crate::assets::IngestReport),
              (status = 200, description = "Records updated or unchanged", body = crate::assets::IngestReport),
              (status = 422, description = "Invalid records: each with its index, id, field and message", content_type = "application/problem+json", body = crate::http::problem::Problem),
              (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn ingest_batch(
    State(state): State<AppState>,
    caller: Caller,
    PathSegment(source): PathSegment,
    Params(params): Params<IngestParams>,
    request: Request,
) -> Result<impl IntoResponse, Problem> {
    let principal = caller.require(Role::Editor)?.clone();
    let tenant = principal.write_tenant()?.to_owned();
    let source = Source::from_name(&source).ok_or_else(|| {
        Problem::bad_request(
            "source",
            format!("'{source}' is not a source; use one of: {}", Source::names()),
        )
    })?;
    let on_error = on_error(params.on_error.as_deref())?;
    let limit = state.config.max_body_bytes;
    let records: Vec<RecordResult> = if source == Source::Files {
        read_files(request, &params, limit).await?
    } else {
        let bytes = read_body(request.into_body(), limit).await?;
        let config = state.config.clone();
        blocking(move || {
            let mapping = Mapping {
                territories: Territories::global(),
                rightsline: config.connectors.rightsline_mapping(),
                record_type: params.record_type.as_deref(),
            };
            ingest::map_batch(source, &bytes, &mapping)
        })
        .await?
    };
    let store = state.store.clone();
    let report = blocking(move || {
        assets::upsert(
            &store,
            records,
            &Ingest {
                source,
                actor: &principal.name,
                tenant: &tenant,
                on_error,
            },
        )
    })
    .await?;
    let status = if report.created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

/// What to do with the invalid records of a batch, from `?on_error=`.
pub(super) fn on_error(given: Option<&str>) -> Result<OnError, Problem> {
    match given {
        None | Some("reject") => Ok(OnError::Reject),
        Some("skip") => Ok(OnError::Skip),
        Some(other) => Err(Problem::bad_request(
            "on_error",
            format!("'{other}' is not a choice: use reject (store nothing if a record is invalid) or skip"),
        )),
    }
}

/// The files of a request: multipart parts with file names, or the body
/// itself named by `?name=`.
async fn read_files(request: Request, params: &IngestParams, limit: usize) -> Result<Vec<RecordResult>, Problem> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut files: Vec<(String, Option<String>, bytes::Bytes)> = Vec::new();
    if is_multipart {
        let unreadable = |status, e: String| {
            super::multipart_problem(status, format!("the multipart body cannot be read: {e}"), limit)
        };
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| unreadable(e.status(), e.body_text()))?;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| unreadable(e.status(), e.body_text()))?
        {
            let Some(name) = field.file_name().map(str::to_owned) else {
                continue;
            };
            let bytes = field
                .bytes()
                .await
                .map_err(|e| unreadable(e.status(), format!("part '{name}': {}", e.body_text())))?;
            files.push((name, None, bytes));
        }
        if files.is_empty() {
            return Err(Problem::bad_request(
                "body",
                "the multipart body holds no file part (a part with a filename)",
            ));
        }
    } else {
        let name = params.name.clone().ok_or_else(|| {
            Problem::bad_request(
                "name",
                "name the file: POST /api/ingest/files?name=photo.jpg with the file as the body, or send multipart",
            )
        })?;
        let bytes = read_body(request.into_body(), limit).await?;
        files.push((name, params.id.clone(), bytes));
    }
    blocking(move || {
        Ok(files
            .iter()
            .enumerate()
            .map(|(index, (name, id, bytes))| {
                ingest::files::map_file(index, name, id.as_deref(), bytes, Territories::global())
            })
            .collect())
    })
    .await
}

#[utoipa::path(
    get, path = "/api/assets/{id}", tag = "assets",
    description = "The asset with its metadata, tags, licences and clearance summary. `/api/assets/{id}/clearance?territory=…&channel=…&usage=…&audience=…&industry=…&language=…&at=…` answers whether it is cleared for that context, and why (a `Clearance`).",
    params(("id" = String, Path, description = "The asset id (`smintio:88120`; may contain slashes)")),
    responses((status = 200, description = "The asset, or its clearance for a context", body = crate::records::AssetView), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    PathSegment(path): PathSegment,
    Params(query): Params<HashMap<String, String>>,
) -> Result<axum::response::Response, Problem> {
    let principal = caller.require(Role::Reader)?;
    let tenants = principal.readable_tenants();
    let store = state.store.clone();
    if let Some(id) = path.strip_suffix("/clearance") {
        let id = id.to_owned();
        let mut query = query;
        super::auth::bind_context(principal, &mut query)?;
        let context = context_from(&query)?;
        let answer = blocking(move || {
            crate::records::ensure_owned(&store, &id, tenants.as_deref())?;
            crate::records::clearance(&store, &id, &context, Territories::global())
        })
        .await?;
        return Ok(Json(answer).into_response());
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let view = blocking(move || {
        crate::records::ensure_owned(&store, &path, tenants.as_deref())?;
        crate::records::get(&store, &path, Territories::global(), now)
    })
    .await?;
    Ok(Json(view).into_response())
}

#[utoipa::path(
    delete, path = "/api/assets/{id}", tag = "assets",
    params(("id" = String, Path, description = "The asset id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found, or not one of the caller's tenants'", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    PathSegment(id): PathSegment,
) -> Result<StatusCode, Problem> {
    let principal = caller.require(Role::Editor)?.clone();
    let tenant = principal.write_tenant()?.to_owned();
    let store = state.store.clone();
    blocking(move || {
        crate::records::ensure_owned(&store, &id, principal.writable_tenants().as_deref())?;
        assets::delete(&store, &id, &principal.name, &tenant)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A clearance context from query parameters (see [`crate::rights::context_from`]).
pub(super) fn context_from(query: &HashMap<String, String>) -> Result<Context, Problem> {
    crate::rights::context_from(query).map_err(Problem::from)
}

//! Errors as `application/problem+json` (RFC 9457), in one place.
//!
//! Every failure a handler can meet becomes a [`Problem`]: a status, a
//! stable `type`, a human `title` and `detail`, and — where they apply — the
//! `field`, `line` and `column` at fault. Server-side failures are logged
//! with their cause and answered without internals.

use crate::error::Error;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Where in the submitted document or query the fault is.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<Location>>,
    /// Per-record errors of a rejected batch: index, id, field, message.
    #[serde(skip_serializing_if = "no_errors")]
    #[allow(clippy::box_collection)]
    pub errors: Box<Vec<crate::error::RecordError>>,
    #[serde(skip)]
    pub challenge: bool,
    /// Seconds after which a retry may succeed (`Retry-After`).
    #[serde(skip)]
    pub retry_after: Option<u16>,
}

// Boxed: most problems have none, and a small Problem keeps Results small.
#[allow(clippy::borrowed_box)]
fn no_errors(errors: &Box<Vec<crate::error::RecordError>>) -> bool {
    errors.is_empty()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    pub line: u64,
    pub column: u64,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("https://w3id.org/assetgraph/problems/{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            location: None,
            errors: Box::default(),
            challenge: false,
            retry_after: None,
        }
    }

    /// 503 with `Retry-After`: the service cannot take this now.
    pub(crate) fn unavailable(kind: &str, title: &str, detail: impl Into<String>, retry_after_secs: u16) -> Self {
        let mut p = Problem::new(StatusCode::SERVICE_UNAVAILABLE, kind, title, detail);
        p.retry_after = Some(retry_after_secs);
        p
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut p = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        );
        p.challenge = true;
        p
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed for this key", detail)
    }

    pub(crate) fn too_large(limit: usize) -> Self {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "Request body too large",
            format!("the body exceeds the configured limit of {limit} bytes (max_body_bytes)"),
        )
    }

    pub(crate) fn bad_request(field: &str, detail: impl Into<String>) -> Self {
        let mut p = Problem::new(StatusCode::BAD_REQUEST, "invalid-request", "Invalid request", detail);
        p.field = Some(field.to_owned());
        p
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::error!(%detail, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server failed to complete the request; the cause is in its log",
        )
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        let detail = error.to_string();
        match error {
            Error::Syntax { document, position, .. } => {
                let mut p = Problem::new(StatusCode::BAD_REQUEST, "syntax", "Malformed document", detail);
                p.location = position.map(|at| {
                    Box::new(Location {
                        document: Some(document),
                        line: at.line,
                        column: at.column,
                    })
                });
                p
            }
            Error::QuerySyntax { position, .. } | Error::Query { position, .. } => {
                let (kind, title) = match error {
                    Error::QuerySyntax { .. } => ("query-syntax", "Malformed query"),
                    _ => ("query", "Query refused"),
                };
                let mut p = Problem::new(StatusCode::BAD_REQUEST, kind, title, detail);
                p.location = position.map(|at| {
                    Box::new(Location {
                        document: None,
                        line: at.line,
                        column: at.column,
                    })
                });
                p
            }
            Error::Invalid { field, .. } => {
                let mut p = Problem::new(StatusCode::BAD_REQUEST, "invalid-request", "Invalid request", detail);
                p.field = field;
                p
            }
            Error::Unacceptable { .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unacceptable",
                "Content not acceptable",
                detail,
            ),
            Error::UnsupportedFormat { .. } => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                detail,
            ),
            Error::Records { errors, .. } => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-records",
                    "Invalid records; nothing was stored",
                    detail,
                );
                p.field = errors.first().map(|e| e.field.clone());
                p.errors = Box::new(errors);
                p
            }
            Error::NotFound { .. } => Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail),
            Error::Conflict { .. } => Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail),
            Error::Forbidden { .. } => Problem::forbidden(detail),
            Error::Timeout { .. } => {
                super::metrics::QUERY_TIMEOUTS.inc();
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "query-timeout",
                    "Query time limit reached",
                    detail,
                )
            }
            Error::OverBudget { .. } => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "query-memory",
                "Query memory budget reached",
                detail,
            ),
            Error::Busy { retry_after_secs, .. } => {
                Problem::unavailable("busy", "Too much work at once", detail, retry_after_secs)
            }
            Error::ShuttingDown => Problem::unavailable("shutting-down", "Shutting down", detail, 5),
            Error::Unauthorized { .. } => Problem::unauthorized(detail),
            Error::TokenExpired { .. } => {
                let mut p = Problem::unauthorized(detail);
                p.kind = "https://w3id.org/assetgraph/problems/token-expired".into();
                p.title = "Token expired".into();
                p
            }
            Error::NotConfigured { .. } => {
                Problem::new(StatusCode::NOT_IMPLEMENTED, "not-configured", "Not configured", detail)
            }
            Error::Upstream { .. } => {
                Problem::new(StatusCode::BAD_GATEWAY, "upstream", "A source system failed", detail)
            }
            Error::Storage(_) | Error::Index(_) | Error::File { .. } => Problem::internal(detail),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        if self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"assetgraph\", Bearer realm=\"assetgraph\""),
            );
        }
        response
    }
}

pub(super) async fn not_found(uri: Uri) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        format!("no resource at {}", uri.path()),
    )
}

pub(super) async fn method_not_allowed(uri: Uri) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("{} does not accept this method", uri.path()),
    )
}

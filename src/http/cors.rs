//! CORS: which other origins' pages may call the API from a browser.
//!
//! Only the exact origins of `[http] cors_origins` (checked when the config
//! is loaded: no wildcard, no path). A preflight is answered for the
//! methods and headers the API uses; credentials travel in the
//! `Authorization` header (a key or a browser token), never in cookies, so
//! the browser is not asked to send credentials and no origin is ever
//! echoed to a page it was not configured for. With no origins configured
//! there are no CORS headers at all, and a browser on another origin is
//! refused by the browser itself.

use axum::http::{header, HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The request headers a page may send.
const ALLOWED_HEADERS: [HeaderName; 4] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::ACCEPT,
    header::ACCEPT_LANGUAGE,
];

/// The answer headers a page may read beyond the always-safe ones.
const EXPOSED_HEADERS: [HeaderName; 5] = [
    header::RETRY_AFTER,
    header::LOCATION,
    header::CONTENT_DISPOSITION,
    header::WWW_AUTHENTICATE,
    super::request_id::X_REQUEST_ID,
];

/// The layer for the configured origins, or `None` when there are none.
pub(crate) fn layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .map(|o| HeaderValue::from_str(o).expect("origins are checked when the config is loaded"))
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers(ALLOWED_HEADERS)
            .expose_headers(EXPOSED_HEADERS)
            .max_age(Duration::from_secs(600)),
    )
}

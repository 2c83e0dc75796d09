//! The web face served by the binary, from copies it holds (nothing is
//! fetched from elsewhere, so it works offline):
//!
//! - `/`: the demo page, which uses the `<assetgraph-search>` custom
//!   element on the demo data, with a context switcher;
//! - `/sparql` asked for by a browser (see `sparql.rs`): the SPARQL console;
//! - `/reports`: the named reports with their parameter forms, tables,
//!   downloads and charts;
//! - `/web/assetgraph-search.js` (ES module) and
//!   `/web/assetgraph-search.classic.js` (for a plain `<script src>`): the
//!   element, whose source is `web/` in the repository, laid out as an npm
//!   package;
//! - `/web/{file}`: the pages' scripts and styles, and the vendored editor
//!   (`web/vendor/`).
//!
//! The pages hold no data and no key: their scripts ask the API, with the
//! key an analyst pastes (or none, on a service without keys). Their
//! Content-Security-Policy lets them run only the scripts served here and
//! talk only to this service.

use super::{AppState, Problem};
use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const DEMO_PAGE: &str = include_str!("../../web/demo/index.html");
const CONSOLE_PAGE: &str = include_str!("../../web/pages/console.html");
const REPORTS_PAGE: &str = include_str!("../../web/pages/reports.html");
const COMPONENT: &str = include_str!("../../web/src/assetgraph-search.js");

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The files under `/web/`, by their path there.
const FILES: &[(&str, &str, &str)] = &[
    ("demo/demo.js", JAVASCRIPT, include_str!("../../web/demo/demo.js")),
    ("pages/common.js", JAVASCRIPT, include_str!("../../web/pages/common.js")),
    (
        "pages/console.js",
        JAVASCRIPT,
        include_str!("../../web/pages/console.js"),
    ),
    (
        "pages/reports.js",
        JAVASCRIPT,
        include_str!("../../web/pages/reports.js"),
    ),
    ("pages/style.css", CSS, include_str!("../../web/pages/style.css")),
    (
        "vendor/codemirror-5.65.20/lib/codemirror.js",
        JAVASCRIPT,
        include_str!("../../web/vendor/codemirror-5.65.20/lib/codemirror.js"),
    ),
    (
        "vendor/codemirror-5.65.20/lib/codemirror.css",
        CSS,
        include_str!("../../web/vendor/codemirror-5.65.20/lib/codemirror.css"),
    ),
    (
        "vendor/codemirror-5.65.20/mode/sparql/sparql.js",
        JAVASCRIPT,
        include_str!("../../web/vendor/codemirror-5.65.20/mode/sparql/sparql.js"),
    ),
    (
        "vendor/codemirror-5.65.20/addon/edit/matchbrackets.js",
        JAVASCRIPT,
        include_str!("../../web/vendor/codemirror-5.65.20/addon/edit/matchbrackets.js"),
    ),
];

/// The pages run the scripts served here only, and ask this service only;
/// previews may come from any host. Inline styles stay allowed for the
/// custom element's shadow root and the editor.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                           img-src * data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
                           frame-ancestors 'self'";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(demo_page))
        .route("/reports", get(reports_page))
        .route("/web/assetgraph-search.js", get(component))
        .route("/web/assetgraph-search.classic.js", get(classic_component))
        .route("/web/{*file}", get(file))
}

/// The module without its one `export`, inside a function scope, for
/// pages that load scripts the classic way; it defines the element all
/// the same and exposes the class as `window.AssetgraphSearch`.
fn classic() -> &'static str {
    static CLASSIC: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "(() => {{\n{}\nwindow.AssetgraphSearch = AssetgraphSearch;\n}})();\n",
            COMPONENT.replacen("export class AssetgraphSearch", "class AssetgraphSearch", 1)
        )
    });
    &CLASSIC
}

/// The demo page: search the demo library in a rights context.
#[utoipa::path(
    get, path = "/", tag = "web", security(()),
    responses((status = 200, description = "The demo page, using <assetgraph-search>", body = String, content_type = "text/html"))
)]
async fn demo_page() -> Response {
    page(DEMO_PAGE)
}

/// The reports page: every named report, its parameters, table and chart.
#[utoipa::path(
    get, path = "/reports", tag = "web", security(()),
    responses((status = 200, description = "The reports page (it asks /api/reports with the analyst's key)", body = String, content_type = "text/html"))
)]
async fn reports_page() -> Response {
    page(REPORTS_PAGE)
}

/// The SPARQL console, for `GET /sparql` from a browser.
pub(super) fn console() -> Response {
    page(CONSOLE_PAGE)
}

/// The `<assetgraph-search>` custom element, as an ES module.
#[utoipa::path(
    get, path = "/web/assetgraph-search.js", tag = "web", security(()),
    responses((status = 200, description = "The custom element", body = String, content_type = "text/javascript"))
)]
async fn component() -> Response {
    asset(JAVASCRIPT, COMPONENT)
}

/// The custom element for a classic `<script src>`.
#[utoipa::path(
    get, path = "/web/assetgraph-search.classic.js", tag = "web", security(()),
    responses((status = 200, description = "The custom element, as a classic script", body = String, content_type = "text/javascript"))
)]
async fn classic_component() -> Response {
    asset(JAVASCRIPT, classic())
}

/// A script or style of the pages, or of the vendored editor.
#[utoipa::path(
    get, path = "/web/{file}", tag = "web", security(()),
    params(("file" = String, Path, description = "pages/…, demo/… or vendor/…")),
    responses((status = 200, description = "The file", body = String, content_type = "text/javascript"),
              (status = 404, description = "No such file", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn file(Path(path): Path<String>) -> Result<Response, Problem> {
    FILES
        .iter()
        .find(|(name, ..)| *name == path)
        .map(|(_, kind, text)| asset(kind, text))
        .ok_or_else(|| {
            crate::error::Error::NotFound {
                what: format!("file /web/{path}"),
            }
            .into()
        })
}

fn page(html: &'static str) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

fn asset(kind: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        text,
    )
        .into_response()
}

//! The web face served by the binary: the demo page at `/`, which uses the
//! `<assetgraph-search>` custom element, and the element itself at
//! `/web/assetgraph-search.js` as an ES module, and at
//! `/web/assetgraph-search.classic.js` for a plain `<script src>` (its
//! source is `web/` in the repository, laid out as an npm package; the
//! binary holds a copy, so nothing is fetched from elsewhere).

use super::AppState;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;

const DEMO_PAGE: &str = include_str!("../../web/demo/index.html");
const COMPONENT: &str = include_str!("../../web/src/assetgraph-search.js");

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(demo_page))
        .route("/web/assetgraph-search.js", get(component))
        .route("/web/assetgraph-search.classic.js", get(classic_component))
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
async fn demo_page() -> Html<&'static str> {
    Html(DEMO_PAGE)
}

/// The `<assetgraph-search>` custom element, as an ES module.
#[utoipa::path(
    get, path = "/web/assetgraph-search.js", tag = "web", security(()),
    responses((status = 200, description = "The custom element", body = String, content_type = "text/javascript"))
)]
async fn component() -> impl IntoResponse {
    javascript(COMPONENT)
}

/// The custom element for a classic `<script src>`.
#[utoipa::path(
    get, path = "/web/assetgraph-search.classic.js", tag = "web", security(()),
    responses((status = 200, description = "The custom element, as a classic script", body = String, content_type = "text/javascript"))
)]
async fn classic_component() -> impl IntoResponse {
    javascript(classic())
}

fn javascript(text: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        text,
    )
}

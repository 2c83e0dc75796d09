//! The API described for the people and tools that call it: an OpenAPI 3.1
//! document at `GET /openapi.json`, and a reference page at `GET /api/docs`
//! that the binary serves itself (Swagger UI, vendored into the binary, so
//! it works without a network).
//!
//! The document is generated from the handlers' own annotations and the
//! types they take and answer (`#[utoipa::path]` next to each handler,
//! `ToSchema` on each body). What every route shares is added here once:
//! the two ways to authenticate, `?tenant=`, the refusals any keyed route
//! may answer (401, 403, 429, 500, all `application/problem+json`), and the
//! list of problem types. `tests/openapi.rs` fails when a route of the
//! router is missing from the document.

use super::AppState;
use axum::Router;
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, ContentBuilder, OpenApi as Document, Ref, RefOr, Response, ResponseBuilder, Server};
use utoipa::{Modify, OpenApi};

/// Every problem `type` the service answers with, after
/// `https://w3id.org/assetgraph/problems/`.
pub(crate) const PROBLEM_TYPES: &[(&str, &str)] = &[
    (
        "invalid-request",
        "A parameter or a body field is not valid; `field` names it",
    ),
    ("syntax", "A document does not parse; `line` and `column` say where"),
    (
        "invalid-records",
        "Records of a batch are invalid; `errors` lists each (index, id, field, message)",
    ),
    (
        "query-syntax",
        "A SPARQL text does not parse; `line` and `column` say where",
    ),
    (
        "query",
        "A SPARQL query or update is refused (shape, depth, an unsupported feature)",
    ),
    (
        "query-timeout",
        "A query or update ran past sparql.timeout_secs and was stopped",
    ),
    (
        "query-memory",
        "A query or update needed more memory than sparql.max_memory_mb",
    ),
    ("unauthorized", "No valid key or token"),
    (
        "token-expired",
        "The browser token has expired; the host mints a new one",
    ),
    (
        "forbidden",
        "The key's role, tenants or bound context do not allow this",
    ),
    ("not-found", "No such thing, or none the caller's tenants hold"),
    ("method-not-allowed", "The route does not take this method"),
    ("not-acceptable", "No format the Accept header asks for"),
    ("unacceptable", "The request cannot be answered in the form asked for"),
    (
        "unsupported-media-type",
        "The body's Content-Type is not one the route reads",
    ),
    ("conflict", "The change conflicts with what exists"),
    ("body-too-large", "The body is larger than max_body_bytes"),
    ("body-timeout", "The body came too slowly"),
    (
        "too-many-requests",
        "Over the key's, the address's or the person's rate; see Retry-After",
    ),
    ("too-many-events", "More usage events in one batch than a minute allows"),
    ("busy", "Too much work at once; see Retry-After"),
    ("shutting-down", "The service is stopping"),
    (
        "not-configured",
        "The feature needs configuration; `detail` says what to add",
    ),
    ("upstream", "A source system failed"),
    ("internal", "A fault of the service; it is logged"),
];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "assetgraph",
        description = "Concept-aware, rights-aware search over licensed assets, their rights and taxonomies; \
                       SPARQL for analysts; usage in, webhooks out. Every answer is scoped to the caller's tenants."
    ),
    paths(
        super::health::health,
        super::taxonomies::list,
        super::taxonomies::show,
        super::taxonomies::push,
        super::taxonomies::concept,
        super::assets::ingest_batch,
        super::assets::show,
        super::assets::remove,
        super::search::search,
        super::search::suggest,
        super::search::tag,
        super::search::recommend,
        super::sparql::get_sparql,
        super::sparql::post_sparql,
        super::graph_store::graph_store,
        super::reports::list,
        super::reports::run,
        super::usage::record,
        super::audit::timeline,
        super::alerts::expiring,
        super::webhooks::list,
        super::webhooks::add,
        super::webhooks::deliveries,
        super::webhooks::remove,
        super::webhooks::redeliver,
        super::connectors::sync_now,
        super::connectors::dropbox_challenge,
        super::connectors::dropbox_notification,
        super::connectors::rightsline_sns,
        super::connectors::rightsline_usage_export,
        super::tokens::mint,
        super::tokens::revoke,
        super::web::demo_page,
        super::web::reports_page,
        super::web::file,
        super::metrics::scrape,
        super::backups::create,
        super::web::component,
        super::web::classic_component,
    ),
    components(schemas(crate::records::AssetView, crate::rights::Clearance)),
    modifiers(&SameHandler, &Shared),
    tags(
        (name = "search", description = "Search, suggestions, tagging and recommendations (readers)"),
        (name = "assets", description = "Records in, assets and their clearance out"),
        (name = "taxonomies", description = "Taxonomy projects and their concepts"),
        (name = "sparql", description = "SPARQL 1.1 Protocol and Graph Store Protocol (analysts read, editors write)"),
        (name = "reports", description = "Named reports over SPARQL (analysts)"),
        (name = "usage", description = "Usage events and expiry alerts"),
        (name = "audit", description = "The audit trail (analysts)"),
        (name = "webhooks", description = "Subscriptions and deliveries (admins)"),
        (name = "connectors", description = "Source systems: syncs and their notifications"),
        (name = "tokens", description = "Browser tokens (admins mint and revoke)"),
        (name = "operations", description = "Health and metrics"),
        (name = "web", description = "The demo page, the console and reports pages, and the <assetgraph-search> custom element"),
    )
)]
struct ApiDoc;

/// The document, with the service's own URL as its server.
pub(crate) fn document(public_url: &str) -> Document {
    let mut document = ApiDoc::openapi();
    document.servers = Some(vec![Server::new(public_url)]);
    document
}

/// `/openapi.json` and the reference page at `/api/docs`.
pub(super) fn routes(public_url: &str) -> Router<AppState> {
    Router::from(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/openapi.json", document(public_url)))
        .layer(axum::middleware::map_response(problem_for_missing_page))
}

/// The reference page answers a file it does not have with a bare 404;
/// like every other refusal, it becomes a problem document.
async fn problem_for_missing_page(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    if response.status() == axum::http::StatusCode::NOT_FOUND {
        return super::Problem::new(
            axum::http::StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "the API reference has no such file; open /api/docs/",
        )
        .into_response();
    }
    response
}

/// Routes one handler serves under more methods or paths than its
/// annotation names: the taxonomy push (PUT replaces, POST merges) and the
/// Graph Store, which takes every method on `/store` and `/store/{path}`.
struct SameHandler;

impl Modify for SameHandler {
    fn modify(&self, openapi: &mut Document) {
        let paths = &mut openapi.paths.paths;
        if let Some(item) = paths.get_mut("/api/taxonomies/{id}") {
            item.post = item.put.clone().map(|mut op| {
                op.summary = Some("Merges the body into the project (POST) — see PUT".into());
                op.operation_id = Some("merge_taxonomy".into());
                op
            });
        }
        let Some(mut store) = paths.get("/store").cloned() else {
            return;
        };
        let read = store.get.clone();
        for (method, id) in [
            (HttpMethod::Head, "graph_store_head"),
            (HttpMethod::Put, "graph_store_put"),
            (HttpMethod::Post, "graph_store_post"),
            (HttpMethod::Delete, "graph_store_delete"),
        ] {
            let operation = read.clone().map(|mut op| {
                op.operation_id = Some(id.into());
                if matches!(method, HttpMethod::Head | HttpMethod::Delete) {
                    op.request_body = None;
                }
                op
            });
            match method {
                HttpMethod::Head => store.head = operation,
                HttpMethod::Put => store.put = operation,
                HttpMethod::Post => store.post = operation,
                _ => store.delete = operation,
            }
        }
        if let Some(get) = store.get.as_mut() {
            get.request_body = None;
        }
        paths.insert("/store".into(), store.clone());
        let mut below = store;
        for op in operations(&mut below) {
            op.operation_id = op.operation_id.as_ref().map(|id| format!("{id}_path"));
            op.parameters = Some(vec![RefOr::T(
                ParameterBuilder::new()
                    .name("path")
                    .parameter_in(ParameterIn::Path)
                    .required(utoipa::openapi::Required::True)
                    .description(Some(
                        "The rest of the path: the graph whose IRI is {public_url}/store/{path}",
                    ))
                    .schema(Some(utoipa::openapi::schema::Object::with_type(
                        utoipa::openapi::Type::String,
                    )))
                    .build(),
            )]);
        }
        paths.insert("/store/{path}".into(), below);
    }
}

/// What every route shares: authentication, `?tenant=`, the refusals and
/// the problem types.
struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            "key",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key, or a browser token minted by POST /api/tokens: `Authorization: Bearer …`",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Basic).description(Some(
                "HTTP Basic with the key's name as user and its secret as password (what PoolParty's loaders send)",
            )).build()),
        );
        let list: Vec<String> = PROBLEM_TYPES
            .iter()
            .map(|(kind, what)| format!("- `{kind}`: {what}"))
            .collect();
        let description = format!(
            "An RFC 9457 problem. `type` is `https://w3id.org/assetgraph/problems/` and one of:\n{}",
            list.join("\n")
        );
        // `location` is flattened into the problem, which makes it an allOf.
        match components.schemas.get_mut("Problem") {
            Some(RefOr::T(Schema::Object(problem))) => problem.description = Some(description),
            Some(RefOr::T(Schema::AllOf(problem))) => problem.description = Some(description),
            _ => {}
        }
        openapi.security = Some(vec![
            SecurityRequirement::new("key", Vec::<String>::new()),
            SecurityRequirement::new("basic", Vec::<String>::new()),
        ]);
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                let open = operation
                    .security
                    .as_ref()
                    .is_some_and(|s| s.iter().all(|r| *r == SecurityRequirement::default()));
                let responses = &mut operation.responses.responses;
                let shared = [
                    (
                        "401",
                        "No valid key or token (or the token expired or was revoked)",
                        !open,
                    ),
                    (
                        "403",
                        "The key's role, tenants or bound context do not allow this",
                        !open,
                    ),
                    ("429", "Over the rate (see Retry-After)", true),
                    ("500", "A fault of the service", true),
                ];
                for (status, what, applies) in shared {
                    if applies && !responses.contains_key(status) {
                        responses.insert(status.into(), RefOr::T(problem_response(what)));
                    }
                }
                if !open {
                    operation
                        .parameters
                        .get_or_insert_with(Vec::new)
                        .push(RefOr::T(tenant_parameter()));
                }
            }
        }
    }
}

fn problem_response(what: &str) -> Response {
    ResponseBuilder::new()
        .description(what)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

fn tenant_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("tenant")
        .parameter_in(ParameterIn::Query)
        .description(Some(
            "Which of the key's tenants the request acts for: required for a write by a key holding several, \
             narrows what it reads; `shared` (admins) writes what every tenant reads",
        ))
        .schema(Some(utoipa::openapi::schema::Object::with_type(
            utoipa::openapi::Type::String,
        )))
        .build()
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

//! `GET /api/suggest`: completions while typing.
//!
//! `POST /api/tag`: the concepts a text mentions.
//!
//! `POST /api/recommend`: cleared assets for a brief.
//!
//! `GET /api/search`: concept-aware, rights-aware search over the index the
//! store keeps in step. Any of `at` and the rights dimensions makes the
//! query a rights context: only assets cleared for it are found (unless
//! `include_blocked=true`), and every hit carries its clearance.

use super::auth::Caller;
use super::params::{Pairs, Params};
use super::{blocking, json_body, AppState, Problem};
use crate::auth::{Principal, Role};
use crate::index::{Expansion, SearchAnswer, SearchRequest, Sort, SuggestAnswer, Tag, TagRequest};
use crate::rights::DIMENSIONS;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::HashMap;

/// The longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 500;
const MAX_LIMIT: usize = 200;
const MAX_OFFSET: usize = 10_000;
/// Buckets per facet, at most.
const MAX_FACET_LIMIT: usize = 500;
const MAX_DEPTH: usize = 20;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/search", get(search))
        .route("/api/suggest", get(suggest))
        .route("/api/tag", post(tag))
        .route("/api/recommend", post(recommend))
}

#[utoipa::path(
    get, path = "/api/search", tag = "search",
    description = "Concept-aware, rights-aware search. Any of `at` and the rights dimensions makes a rights context: only assets cleared for it are found (unless include_blocked=true) and each hit says why.",
    params(("q" = Option<String>, Query, description = "The words typed (may be left out when a concept is given: browse it)"),
           ("lang" = Option<String>, Query, description = "The searcher's language"),
           ("concept" = Option<Vec<String>>, Query, description = "Only assets tagged with this concept or a narrower one (repeatable)"),
           ("content_type" = Option<Vec<String>>, Query, description = "Only assets of this content type: image, video, audio, document… (repeatable: any of them)"),
           ("limit" = Option<usize>, Query, description = "Hits per page, 1 to 200 (20)"),
           ("offset" = Option<usize>, Query, description = "Hits skipped, up to 10000"),
           ("sort" = Option<String>, Query, description = "relevance (default), newest, oldest, title or expiring"),
           ("syntax" = Option<String>, Query, description = "words (default) or advanced (AND, OR, NOT, quotes, field:)"),
           ("facet_limit" = Option<usize>, Query, description = "Buckets per facet"),
           ("narrower_depth" = Option<usize>, Query, description = "How deep narrower concepts expand a query"),
           ("related_weight" = Option<f32>, Query, description = "The weight of related concepts, 0 to 1"),
           ("include_blocked" = Option<bool>, Query, description = "Also list assets not cleared for the context"),
           ("at" = Option<String>, Query, description = "The moment of use (date or date-time)"),
           ("territory" = Option<String>, Query, description = "ISO 3166 country or region"),
           ("channel" = Option<String>, Query, description = "Channel key (web, print, social…)"),
           ("usage" = Option<String>, Query, description = "Usage key (advertising, editorial…)"),
           ("audience" = Option<String>, Query, description = "Audience key"),
           ("industry" = Option<String>, Query, description = "Industry key"),
           ("language" = Option<String>, Query, description = "Language of use")),
    responses((status = 200, description = "Hits with their clearance, facets and the concepts the query named", body = crate::index::SearchAnswer), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Params<Pairs<true>>, Problem>,
) -> Result<Json<SearchAnswer>, Problem> {
    let principal = caller.require(Role::Reader)?;
    let Params(Pairs(params)) = params?;
    let mut request = request_from(params, principal)?;
    request.tenants = principal.readable_tenants();
    let index = state.index.clone();
    let store = state.store.clone();
    let answer = blocking(move || {
        request.tenants = filtered(&store, request.tenants.take())?;
        index.search(&request)
    })
    .await?;
    Ok(Json(answer))
}

/// The longest input completed, in characters.
const MAX_SUGGEST_CHARS: usize = 100;
const MAX_SUGGESTIONS: usize = 50;

/// `GET /api/suggest?q=&lang=&limit=`: concept labels and asset titles
/// completing what the user is typing.
#[utoipa::path(
    get, path = "/api/suggest", tag = "search",
    params(("q" = String, Query, description = "The text typed so far, 1 to 100 characters"),
           ("lang" = Option<String>, Query, description = "The searcher's language"),
           ("limit" = Option<usize>, Query, description = "Suggestions, 1 to 50 (10)")),
    responses((status = 200, description = "Concept labels and asset titles completing the input", body = crate::index::SuggestAnswer), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn suggest(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Params<Pairs<false>>, Problem>,
) -> Result<Json<SuggestAnswer>, Problem> {
    let tenants = caller.require(Role::Reader)?.readable_tenants();
    let Params(Pairs(params)) = params?;
    let (mut q, mut lang, mut limit) = (String::new(), None, 10);
    for (name, value) in params {
        match name.as_str() {
            "q" => q = value,
            "lang" => lang = Some(language(&value)?),
            "limit" => limit = number(&name, &value, 1, MAX_SUGGESTIONS)?,
            _ => {
                return Err(Problem::bad_request(
                    &name,
                    format!("unknown parameter '{name}': use q, lang or limit"),
                ))
            }
        }
    }
    let q = q.trim().to_owned();
    if q.is_empty() || q.chars().count() > MAX_SUGGEST_CHARS {
        return Err(Problem::bad_request(
            "q",
            format!("give the text typed so far, 1 to {MAX_SUGGEST_CHARS} characters"),
        ));
    }
    let index = state.index.clone();
    let store = state.store.clone();
    let answer = blocking(move || {
        let tenants = filtered(&store, tenants)?;
        index.suggest(&q, lang.as_deref(), limit, tenants.as_deref())
    })
    .await?;
    Ok(Json(answer))
}

/// The largest body of a tag or recommend request, in bytes.
const MAX_TEXT_BODY_BYTES: usize = 1024 * 1024;
const MAX_TAGS: usize = 500;

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TagBody {
    text: String,
    language: Option<String>,
    scheme: Option<String>,
    limit: Option<usize>,
    threshold: Option<f32>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct TagAnswer {
    concepts: Vec<Tag>,
}

/// `POST /api/tag` with `{"text", "language"?, "scheme"?, "limit"?}`.
#[utoipa::path(
    post, path = "/api/tag", tag = "search",
    request_body(content = TagBody, content_type = "application/json"),
    responses((status = 200, description = "The concepts the text mentions, strongest first", body = TagAnswer), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn tag(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Body,
) -> Result<Json<TagAnswer>, Problem> {
    let tenants = caller.require(Role::Reader)?.readable_tenants();
    let body: TagBody = json_body(
        body,
        MAX_TEXT_BODY_BYTES,
        r#"{"text", "language", "scheme", "limit", "threshold"}"#,
    )
    .await?;
    let limit = limit_or(body.limit, 20, MAX_TAGS)?;
    if body.text.trim().is_empty() {
        return Err(Problem::bad_request("text", "the text is empty: give the text to tag"));
    }
    let request = TagRequest {
        text: body.text,
        language: body.language.as_deref().map(language).transpose()?,
        scheme: body.scheme,
        limit,
        threshold: threshold(body.threshold)?,
        tenants,
    };
    let index = state.index.clone();
    let store = state.store.clone();
    let mut request = request;
    let concepts = blocking(move || {
        request.tenants = filtered(&store, request.tenants.take())?;
        index.tag(&request)
    })
    .await?;
    Ok(Json(TagAnswer { concepts }))
}

/// A tag threshold: a relative score from 0 to 1 (default 0: every concept found).
fn threshold(value: Option<f32>) -> Result<f32, Problem> {
    match value {
        None => Ok(0.0),
        Some(t) if (0.0..=1.0).contains(&t) => Ok(t),
        Some(t) => Err(Problem::bad_request(
            "threshold",
            format!("{t} is not a score from 0 to 1"),
        )),
    }
}

/// The longest brief, in characters.
const MAX_BRIEF_CHARS: usize = 20_000;

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RecommendBody {
    brief: String,
    language: Option<String>,
    limit: Option<usize>,
    at: Option<String>,
    territory: Option<String>,
    channel: Option<String>,
    usage: Option<String>,
    audience: Option<String>,
    industry: Option<String>,
    #[serde(rename = "content_language")]
    content_language: Option<String>,
}

/// `POST /api/recommend`: a brief and a rights context → the most relevant
/// assets cleared for it (at now when no date is given), each with the
/// concepts that linked it.
#[utoipa::path(
    post, path = "/api/recommend", tag = "search",
    request_body(content = RecommendBody, content_type = "application/json"),
    responses((status = 200, description = "The assets cleared for the context that fit the brief best", body = crate::index::SearchAnswer), (status = 400, description = "Invalid parameters or body: the problem names the field (and line and column where they apply)", content_type = "application/problem+json", body = crate::http::problem::Problem))
)]
async fn recommend(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Body,
) -> Result<Json<SearchAnswer>, Problem> {
    let principal = caller.require(Role::Reader)?;
    let tenants = principal.readable_tenants();
    let body: RecommendBody = json_body(
        body,
        MAX_TEXT_BODY_BYTES,
        r#"{"brief", "language", "limit", "at", "territory", "channel", "usage", "audience", "industry", "content_language"}"#,
    )
    .await?;
    let brief = body.brief.trim().to_owned();
    if brief.is_empty() || brief.chars().count() > MAX_BRIEF_CHARS {
        return Err(Problem::bad_request(
            "brief",
            format!("give the brief's text, 1 to {MAX_BRIEF_CHARS} characters"),
        ));
    }
    let limit = limit_or(body.limit, 10, MAX_LIMIT)?;
    let dimensions = [
        ("at", body.at),
        ("territory", body.territory),
        ("channel", body.channel),
        ("usage", body.usage),
        ("audience", body.audience),
        ("industry", body.industry),
        ("language", body.content_language),
    ];
    let mut context: HashMap<String, String> = dimensions
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value?)))
        .collect();
    super::auth::bind_context(principal, &mut context)?;
    let mut request = SearchRequest {
        q: brief,
        lang: body.language.as_deref().map(language).transpose()?,
        limit,
        context: Some(super::assets::context_from(&context)?),
        free_text: true,
        tenants,
        ..Default::default()
    };
    let index = state.index.clone();
    let store = state.store.clone();
    let answer = blocking(move || {
        request.tenants = filtered(&store, request.tenants.take())?;
        index.search(&request)
    })
    .await?;
    Ok(Json(answer))
}

/// The tenants the index filters on: none when the caller may read every
/// tenant's assets anyway (no other tenant holds any), which spares the
/// filter's cost (half a millisecond a search at 100,000 assets).
fn filtered(store: &crate::store::Store, tenants: Option<Vec<String>>) -> crate::Result<Option<Vec<String>>> {
    match tenants {
        Some(tenants) if store.holds_only(&tenants)? => Ok(None),
        other => Ok(other),
    }
}

fn limit_or(limit: Option<usize>, default: usize, max: usize) -> Result<usize, Problem> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(Problem::bad_request("limit", format!("limit must be 1 to {max}"))),
    }
}

/// The request from query parameters; `concept` may repeat. Unknown
/// parameters are refused: a typo must not silently widen the answer.
fn request_from(params: Vec<(String, String)>, principal: &Principal) -> Result<SearchRequest, Problem> {
    let mut request = SearchRequest {
        limit: 20,
        ..Default::default()
    };
    let mut q = None;
    let mut context = HashMap::new();
    let defaults = Expansion::default();
    let mut expansion = defaults;
    for (name, value) in params {
        match name.as_str() {
            "q" => q = Some(value),
            "lang" => request.lang = Some(language(&value)?),
            "concept" => request.concepts.push(value),
            "content_type" => request.content_types.push(content_type(value)?),
            "limit" => request.limit = number(&name, &value, 1, MAX_LIMIT)?,
            "offset" => request.offset = number(&name, &value, 0, MAX_OFFSET)?,
            "facet_limit" => request.facet_limit = number(&name, &value, 1, MAX_FACET_LIMIT)?,
            "narrower_depth" => expansion.narrower_depth = number(&name, &value, 0, MAX_DEPTH)?,
            "include_blocked" => {
                request.include_blocked = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(Problem::bad_request(&name, "include_blocked must be true or false")),
                }
            }
            _ if name == "at" || DIMENSIONS.iter().any(|d| d.name() == name) => {
                context.insert(name, value);
            }
            "syntax" => {
                request.advanced = match value.as_str() {
                    "words" => false,
                    "advanced" => true,
                    _ => {
                        return Err(Problem::bad_request(
                            &name,
                            "syntax must be words (the default) or advanced",
                        ))
                    }
                }
            }
            "sort" => {
                request.sort = Sort::parse(&value).ok_or_else(|| {
                    Problem::bad_request(
                        &name,
                        format!("unknown sort '{value}': use one of {}", Sort::NAMES.join(", ")),
                    )
                })?
            }
            "related_weight" => {
                expansion.related_weight = value
                    .parse::<f32>()
                    .ok()
                    .filter(|w| (0.0..=1.0).contains(w))
                    .ok_or_else(|| Problem::bad_request(&name, format!("'{value}' is not a weight from 0 to 1")))?
            }
            _ => {
                return Err(Problem::bad_request(
                    &name,
                    format!(
                        "unknown parameter '{name}': use q, lang, concept, content_type, limit, offset, sort, syntax, facet_limit, \
                         narrower_depth, related_weight, include_blocked, at or a rights dimension ({})",
                        DIMENSIONS.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
        }
    }
    request.expansion = expansion;
    super::auth::bind_context(principal, &mut context)?;
    if request.include_blocked && !principal.context.is_empty() {
        return Err(Problem::forbidden(
            "this token binds a rights context; it cannot ask for blocked assets too",
        ));
    }
    if !context.is_empty() {
        request.context = Some(super::assets::context_from(&context)?);
    }
    if request.content_types.len() > MAX_CONTENT_TYPES {
        return Err(Problem::bad_request(
            "content_type",
            format!("give at most {MAX_CONTENT_TYPES} content types"),
        ));
    }
    let q = q.unwrap_or_default().trim().to_owned();
    if q.is_empty() && request.concepts.is_empty() {
        return Err(Problem::bad_request(
            "q",
            "the query is empty: give some words to search for, or a concept to browse",
        ));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(Problem::bad_request(
            "q",
            format!("the query is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    request.q = q;
    Ok(request)
}

/// The most content types one search filters by.
const MAX_CONTENT_TYPES: usize = 20;

/// A content type as the sources name them: a short word.
fn content_type(value: String) -> Result<String, Problem> {
    let word = value.trim();
    if word.is_empty() || word.len() > 40 || !word.chars().all(|c| c.is_ascii_alphanumeric() || "-_/.".contains(c)) {
        return Err(Problem::bad_request(
            "content_type",
            format!("'{value}' is not a content type: give a word such as image, video, audio or document"),
        ));
    }
    Ok(word.to_owned())
}

fn number(name: &str, value: &str, min: usize, max: usize) -> Result<usize, Problem> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| Problem::bad_request(name, format!("{name} must be a whole number from {min} to {max}")))
}

/// A language tag: a 2–3 letter primary language, optionally with subtags.
fn language(tag: &str) -> Result<String, Problem> {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let well_formed = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !well_formed {
        return Err(Problem::bad_request(
            "lang",
            format!("'{tag}' is not a language tag like en, de or pt-BR"),
        ));
    }
    Ok(tag.to_ascii_lowercase())
}

//! Who is calling: `Authorization: Bearer <secret>` or HTTP Basic with the
//! key's name as user and its secret as password (what PoolParty's loaders
//! send). With no keys configured every caller is the local operator, which
//! is why the server then refuses to listen beyond loopback.
//!
//! Each request counts against its key's rate, or, without a valid key,
//! against its client address's ([`super::rate`]). Nothing of the header is
//! ever echoed: a secret sent without its scheme would be.

use super::server::ClientAddr;
use super::tenant::RequestedTenant;
use super::{AppState, Problem};
use crate::auth::{Principal, Role};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;

/// The authenticated caller.
pub(super) struct Caller(pub Principal);

impl Caller {
    /// Refuses callers below `role`.
    pub(super) fn require(&self, role: Role) -> Result<&Principal, Problem> {
        if self.0.may(role) {
            Ok(&self.0)
        } else {
            Err(Problem::forbidden(format!(
                "key '{}' has role {}; this needs {role} or above",
                self.0.name, self.0.role
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let mut principal = if state.keys.is_empty() {
            Principal::local(&state.config.default_tenant)
        } else {
            match authenticate(parts, state) {
                Ok(principal) => {
                    state.rates.check_key(&principal.name)?;
                    principal
                }
                Err(problem) => {
                    let client = parts.extensions.get::<ClientAddr>().map(|c| c.0.ip());
                    state.rates.check_client(client)?;
                    return Err(problem);
                }
            }
        };
        if let Some(RequestedTenant(tenant)) = parts.extensions.get::<RequestedTenant>() {
            principal.choose_tenant(tenant)?;
        }
        // Into the request's log line: who asked (never the secret).
        tracing::Span::current().record("caller", principal.subject.as_deref().unwrap_or(&principal.name));
        Ok(Caller(principal))
    }
}

fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, Problem> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized("send an API key as 'Authorization: Bearer <key>' or with HTTP Basic"))?
        .to_str()
        .map_err(|_| Problem::unauthorized("the Authorization header is not readable text"))?;
    let (scheme, credentials) = header.split_once(' ').unwrap_or((header, ""));
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") && looks_like_a_token(credentials) && state.tokens.is_configured() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        return state
            .tokens
            .verify(credentials, &state.config.default_tenant, now)
            .map_err(Problem::from);
    }
    let principal = match scheme.to_ascii_lowercase().as_str() {
        "bearer" => state.keys.verify(credentials.trim()),
        "basic" => basic(credentials.trim()).and_then(|(user, password)| {
            state
                .keys
                .verify(&password)
                .filter(|p| user.is_empty() || p.name == user)
        }),
        _ => {
            return Err(Problem::unauthorized(
                "the Authorization header names no scheme this service takes: send 'Bearer <key>' or HTTP Basic",
            ))
        }
    };
    principal
        .cloned()
        .ok_or_else(|| Problem::unauthorized("the API key is not valid"))
}

/// A JWT: three base64url parts joined by dots (a key has no dots).
fn looks_like_a_token(credentials: &str) -> bool {
    credentials.split('.').count() == 3
        && credentials
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Brings a browser token's bound rights context into the context a
/// request asks for: a dimension the token binds is applied when the
/// request leaves it out and refused when the request asks for another
/// value, so a page can narrow what its token allows but never widen it.
pub(super) fn bind_context(
    principal: &Principal,
    asked: &mut std::collections::HashMap<String, String>,
) -> Result<(), Problem> {
    for (dimension, bound) in &principal.context {
        match asked.get(dimension) {
            Some(value) if value != bound => {
                return Err(Problem::forbidden(format!(
                    "this token binds {dimension} to '{bound}'; a request cannot ask for '{value}'"
                )))
            }
            _ => {
                asked.insert(dimension.clone(), bound.clone());
            }
        }
    }
    Ok(())
}

fn basic(encoded: &str) -> Option<(String, String)> {
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// A 401 to a script's request (`Sec-Fetch-Dest: empty`: `fetch` or XHR in
/// a browser) offers Bearer only: offering Basic would make the browser
/// open its own login dialog over the page, which asks for a key its own
/// way (the console's and the reports' key field, the picker's token).
/// Navigations, curl and PoolParty's loaders keep Basic.
pub(super) async fn no_login_dialog_for_scripts(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let from_script = request
        .headers()
        .get("sec-fetch-dest")
        .is_some_and(|dest| dest.as_bytes() == b"empty");
    let mut response = next.run(request).await;
    if from_script && response.headers().contains_key(axum::http::header::WWW_AUTHENTICATE) {
        response.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer realm=\"assetgraph\""),
        );
    }
    response
}

//! `?tenant=`: which of its tenants a request acts for. A key or token
//! holding several tenants names the one its write belongs to, and may name
//! one to narrow what it reads; an unscoped key (a single-tenant install's
//! operator) may name any tenant, and an admin may name `shared` to write
//! what every tenant reads.
//!
//! The parameter belongs to the caller, not to the route: this layer takes
//! it out of the query string before any route reads its own parameters,
//! and [`super::auth::Caller`] applies it to the principal.

use super::Problem;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The tenant a request named with `?tenant=`.
#[derive(Clone)]
pub(super) struct RequestedTenant(pub String);

const PARAMETER: &str = "tenant";

pub(super) async fn take_tenant_parameter(mut request: Request, next: Next) -> Response {
    match split_off_tenant(request.uri()) {
        Ok(None) => next.run(request).await,
        Ok(Some((tenant, uri))) => {
            *request.uri_mut() = uri;
            request.extensions_mut().insert(RequestedTenant(tenant));
            next.run(request).await
        }
        Err(problem) => problem.into_response(),
    }
}

/// The named tenant and the URI without it, or `None` when no tenant is named.
fn split_off_tenant(uri: &Uri) -> Result<Option<(String, Uri)>, Problem> {
    let Some(query) = uri.query() else {
        return Ok(None);
    };
    let mut named = None;
    let mut rest = Vec::new();
    for pair in query.split('&') {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        if name != PARAMETER {
            rest.push(pair);
            continue;
        }
        if named.is_some() {
            return Err(Problem::bad_request(
                PARAMETER,
                "name one tenant; 'tenant' is given twice",
            ));
        }
        let value = form_urlencoded::parse(pair.as_bytes())
            .next()
            .map(|(_, v)| v.into_owned());
        named = Some(value.unwrap_or_default());
    }
    let Some(tenant) = named else {
        return Ok(None);
    };
    let path = uri.path();
    let path_and_query = if rest.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", rest.join("&"))
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        path_and_query
            .parse()
            .map_err(|_| Problem::bad_request("query", "the query string is not valid once 'tenant' is taken out"))?,
    );
    let uri = Uri::from_parts(parts).map_err(|_| Problem::bad_request("query", "the request URI is not valid"))?;
    Ok(Some((tenant, uri)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(uri: &str) -> Option<(String, String)> {
        split_off_tenant(&uri.parse().unwrap())
            .unwrap()
            .map(|(tenant, uri)| (tenant, uri.to_string()))
    }

    #[test]
    fn the_tenant_leaves_the_query_and_the_rest_stays_in_order() {
        assert_eq!(
            split("/api/search?q=beach&tenant=acme&limit=5"),
            Some(("acme".into(), "/api/search?q=beach&limit=5".into()))
        );
        assert_eq!(split("/store?tenant=a%2Db"), Some(("a-b".into(), "/store".into())));
        assert_eq!(split("/api/search?q=tenant"), None);
        assert_eq!(split("/api/search?tenants=x"), None);
    }

    #[test]
    fn a_tenant_named_twice_is_refused() {
        assert!(split_off_tenant(&"/api/search?tenant=a&tenant=b".parse().unwrap()).is_err());
    }
}

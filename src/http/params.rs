//! Query-string parameters, read strictly: a parameter given twice is a 400
//! naming it (unless the route repeats it on purpose), and a value of the
//! wrong type is a 400 naming the field — never a silent last-one-wins,
//! never a text/plain rejection. The segment a route takes from the path
//! ([`PathSegment`]) is refused the same way when it is not text.

use super::Problem;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::collections::HashSet;

/// The parameters of a request, deserialised into `T`.
pub(super) struct Params<T>(pub T);

/// Which parameters of `T` may be given more than once.
pub(super) trait Repeatable {
    const REPEATABLE: &'static [&'static str] = &[];
}

impl Repeatable for std::collections::HashMap<String, String> {}

/// Parameters kept in order, for routes that read them one by one.
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub(super) struct Pairs<const CONCEPTS: bool>(pub Vec<(String, String)>);

/// Search takes `concept` and `content_type` several times.
impl Repeatable for Pairs<true> {
    const REPEATABLE: &'static [&'static str] = &["concept", "content_type"];
}

impl Repeatable for Pairs<false> {}

impl<T, S> FromRequestParts<S> for Params<T>
where
    T: DeserializeOwned + Repeatable,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let raw = parts.uri.query().unwrap_or("");
        refuse_repeats(raw, T::REPEATABLE)?;
        let Query(value) = Query::<T>::try_from_uri(&parts.uri).map_err(|rejection| {
            let text = rejection.body_text();
            let detail = text
                .strip_prefix("Failed to deserialize query string: ")
                .unwrap_or(&text);
            let field = detail.split_once(": ").map_or("query", |(field, _)| field);
            Problem::bad_request(field, format!("the parameters are not valid: {detail}"))
        })?;
        Ok(Params(value))
    }
}

/// The one segment a route takes from its path (an asset id, a report's
/// name), percent-decoded.
pub(super) struct PathSegment(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathSegment {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(segment)) => Ok(PathSegment(segment)),
            Err(rejection) => Err(Problem::bad_request(
                "path",
                format!(
                    "the path is not valid: {}; percent-encode the id as UTF-8",
                    rejection.body_text()
                ),
            )),
        }
    }
}

/// A 400 naming the first parameter given twice that may not be.
pub(super) fn refuse_repeats(raw: &str, repeatable: &[&str]) -> Result<(), Problem> {
    let mut seen = HashSet::new();
    for (name, _) in form_urlencoded::parse(raw.as_bytes()) {
        if !seen.insert(name.clone()) && !repeatable.contains(&name.as_ref()) {
            return Err(Problem::bad_request(
                &name,
                format!("'{name}' is given more than once; give it once"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_parameter_is_named() {
        let problem = refuse_repeats("limit=5&q=x&limit=10", &[]).unwrap_err();
        assert_eq!(problem.field.as_deref(), Some("limit"));
        assert!(refuse_repeats("concept=a&concept=b", &["concept"]).is_ok());
        // Percent-encoded names are the same names.
        assert!(refuse_repeats("limit=1&%6Cimit=2", &[]).is_err());
    }
}

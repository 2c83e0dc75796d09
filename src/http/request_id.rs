//! Every request has an id, echoed as `X-Request-Id` and logged with the
//! request's line: what a client quotes when it reports a problem, and
//! what finds that request in the log. A client may bring its own (a proxy
//! that already assigned one); one that is not a short token of safe
//! characters is replaced, so that nothing a client sends reaches the log
//! unchecked.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};

pub(super) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id taken from a client.
const MAX_LEN: usize = 64;

pub(super) async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(generate);
    let value = HeaderValue::from_str(&id).expect("an id is header-safe");
    request.headers_mut().insert(X_REQUEST_ID, value.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(X_REQUEST_ID, value);
    response
}

fn acceptable(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// This process's start, in hex, and a counter: unique across restarts
/// without a random source or a new dependency.
fn generate() -> String {
    static STARTED: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64)
    });
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{:x}-{}", *STARTED, NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_ids_of_safe_characters_are_taken_from_clients() {
        assert!(acceptable("0f3c-12"));
        assert!(acceptable("req_2026.12.07:1"));
        assert!(!acceptable(""));
        assert!(!acceptable(&"a".repeat(65)));
        assert!(!acceptable("a b"));
        assert!(!acceptable("a\"b"));
        assert!(!acceptable("é"));
    }

    #[test]
    fn generated_ids_differ_and_are_acceptable() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(acceptable(&a), "{a}");
    }
}

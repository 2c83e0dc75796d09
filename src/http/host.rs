//! The `Host` header is the client's to choose, so it is never data: the
//! service's own URL comes from `public_url`. A `Host` that is not a valid
//! authority (`name[:port]`) is refused outright, before any handler sees it.

use super::Problem;
use axum::extract::Request;
use axum::http::header::HOST;
use axum::http::uri::Authority;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub(super) async fn refuse_invalid_host(request: Request, next: Next) -> Response {
    let hosts: Vec<_> = request.headers().get_all(HOST).iter().collect();
    let valid = match hosts.as_slice() {
        [] => true,
        [one] => one.to_str().ok().is_some_and(is_authority),
        _ => false,
    };
    if valid {
        next.run(request).await
    } else {
        Problem::bad_request(
            "Host",
            "the Host header is not one host name or address with an optional port",
        )
        .into_response()
    }
}

/// `name`, `name:port`, `1.2.3.4:port` or `[::1]:port`, and nothing more:
/// no user info, path or stray characters.
fn is_authority(text: &str) -> bool {
    let Ok(authority) = text.parse::<Authority>() else {
        return false;
    };
    let host = authority.host();
    let port = text.strip_prefix(host).unwrap_or(":");
    let port_ok = port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.parse::<u16>().is_ok());
    authority.as_str() == text
        && port_ok
        && !text.contains('@')
        && !host.is_empty()
        && (host.starts_with('[')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'))
}

#[cfg(test)]
mod tests {
    use super::is_authority;

    #[test]
    fn only_plain_authorities_pass() {
        for good in [
            "localhost",
            "localhost:7878",
            "127.0.0.1:80",
            "[::1]:7878",
            "assets.example.com",
        ] {
            assert!(is_authority(good), "{good}");
        }
        for bad in ["x> <y", "a b", "user@host", "host/path", "", ":80", "host:port", "a\"b"] {
            assert!(!is_authority(bad), "{bad}");
        }
    }
}

//! Outbound HTTP: every call the service makes to another system (webhook
//! deliveries, the connectors) goes to a host the operator allowed in
//! `[outbound] allowed_hosts`, through one client with timeouts.
//!
//! An allowed host is a name (`hooks.example.com`), a wildcard for its
//! subdomains (`*.example.com`), or an address (`127.0.0.1`). Nothing is
//! allowed by default: a URL from an API call or a config file cannot make
//! the service reach into a network its operator did not name.

use crate::error::{Error, Result};

/// Checks that `url` is http(s) and its host is allowed; the parsed URL.
pub fn check(url: &str, allowed_hosts: &[String]) -> Result<reqwest::Url> {
    check_scheme(url, allowed_hosts, ["http", "https"])
}

/// The same for a WebSocket (`ws`, `wss`): a source's doorbell.
pub fn check_websocket(url: &str, allowed_hosts: &[String]) -> Result<reqwest::Url> {
    check_scheme(url, allowed_hosts, ["ws", "wss"])
}

fn check_scheme(url: &str, allowed_hosts: &[String], schemes: [&str; 2]) -> Result<reqwest::Url> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Error::invalid_field("url", format!("'{url}' is not a URL: {e}")))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(Error::invalid_field(
            "url",
            format!("'{url}' is not an {} or {} URL", schemes[0], schemes[1]),
        ));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| Error::invalid_field("url", format!("'{url}' names no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if allowed_hosts.iter().any(|allowed| host_matches(allowed, &host)) {
        Ok(parsed)
    } else {
        Err(Error::Forbidden {
            message: format!(
                "the host '{host}' is not among the outbound hosts allowed; add it to [outbound] allowed_hosts \
                 in the config file (or ASSETGRAPH_OUTBOUND_HOSTS)"
            ),
        })
    }
}

fn host_matches(allowed: &str, host: &str) -> bool {
    let allowed = allowed.trim().to_ascii_lowercase();
    match allowed.strip_prefix("*.") {
        Some(domain) => {
            host.len() > domain.len() && host.ends_with(domain) && host[..host.len() - domain.len()].ends_with('.')
        }
        None => allowed == host,
    }
}

/// The wait before attempt `attempt + 1` after `attempt` failures:
/// `base`, doubling each time up to `cap`, with full jitter over the upper
/// half, so that a system coming back is not hit by every retry at once.
pub fn backoff(base: std::time::Duration, attempt: u32, cap: std::time::Duration) -> std::time::Duration {
    let ceiling = base.saturating_mul(1 << attempt.saturating_sub(1).min(20)).min(cap);
    let half = ceiling / 2;
    half + half.mul_f64(rand::random::<f64>())
}

/// The client for outbound calls: bounded connect and request times, no
/// redirects (a redirect could lead outside the allowed hosts).
pub fn client(timeout: std::time::Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("assetgraph/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Storage(format!("cannot build the HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_hosts_pass() {
        let allowed = vec![
            "hooks.example.com".to_owned(),
            "*.dam.example".to_owned(),
            "127.0.0.1".to_owned(),
        ];
        assert!(check("https://hooks.example.com/a", &allowed).is_ok());
        assert!(check("https://eu.dam.example/a", &allowed).is_ok());
        assert!(check("http://127.0.0.1:9000/hook", &allowed).is_ok());
        assert!(
            check("https://dam.example/a", &allowed).is_err(),
            "the wildcard is for subdomains"
        );
        assert!(check("https://evildam.example/a", &allowed).is_err());
        assert!(check("https://hooks.example.com.evil.net/a", &allowed).is_err());
        assert!(check("ftp://hooks.example.com/a", &allowed).is_err());
        assert!(check("not a url", &allowed).is_err());
        assert!(
            check("https://hooks.example.com/a", &[]).is_err(),
            "nothing is allowed by default"
        );
    }
}

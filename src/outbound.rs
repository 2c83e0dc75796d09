//! Outbound HTTP: every call the service makes to another system (webhook
//! deliveries, the connectors) goes to a host the operator allowed in
//! `[outbound] allowed_hosts`, through one client with timeouts.
//!
//! An allowed host is a name (`hooks.example.com`), a wildcard for its
//! subdomains (`*.example.com`), or an address (`127.0.0.1`), each with an
//! optional port: `host` alone allows the scheme's own port (80 or 443),
//! `host:8443` that port, `host:*` any. Nothing is allowed by default: a
//! URL from an API call or a config file cannot make the service reach into
//! a network its operator did not name.
//!
//! A name is also checked for where it leads: the addresses it resolves to
//! must be public, unless the operator allowed the address itself. So an
//! allowed name whose DNS points at loopback, a private network or a cloud
//! metadata address (169.254.169.254) is not called. The check is made by
//! the resolver the client connects with, so a name cannot resolve one way
//! when checked and another when used.

use crate::error::{Error, Result};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Checks that `url` is http(s) and its host is allowed; the parsed URL.
pub(crate) fn check(url: &str, allowed_hosts: &[String]) -> Result<reqwest::Url> {
    check_scheme(url, allowed_hosts, ["http", "https"])
}

/// The same for a WebSocket (`ws`, `wss`): a source's doorbell.
pub(crate) fn check_websocket(url: &str, allowed_hosts: &[String]) -> Result<reqwest::Url> {
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
    let port = parsed
        .port_or_known_default()
        .unwrap_or(if schemes[0] == "ws" { 80 } else { 443 });
    let default_port = match parsed.scheme() {
        "http" | "ws" => 80,
        _ => 443,
    };
    if allowed_hosts
        .iter()
        .any(|allowed| allows(allowed, &host, port, default_port))
    {
        Ok(parsed)
    } else {
        Err(Error::Forbidden {
            message: format!(
                "'{host}:{port}' is not among the outbound hosts allowed; add it to [outbound] allowed_hosts \
                 in the config file (or ASSETGRAPH_OUTBOUND_HOSTS), with ':{port}' or ':*' for a port other \
                 than the scheme's own"
            ),
        })
    }
}

/// Whether the entry `allowed` admits `host` on `port`.
fn allows(allowed: &str, host: &str, port: u16, default_port: u16) -> bool {
    let (pattern, ports) = split_port(allowed.trim());
    let port_ok = match ports {
        None => port == default_port,
        Some("*") => true,
        Some(p) => p.parse::<u16>().is_ok_and(|p| p == port),
    };
    let pattern = pattern
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let host_ok = match pattern.strip_prefix("*.") {
        Some(domain) => {
            host.len() > domain.len() && host.ends_with(domain) && host[..host.len() - domain.len()].ends_with('.')
        }
        None => pattern == host,
    };
    port_ok && host_ok
}

/// `host:port` into its parts; a bare IPv6 address has no port.
fn split_port(entry: &str) -> (&str, Option<&str>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((address, tail)) => (address, tail.strip_prefix(':')),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        _ => (entry, None),
    }
}

/// Whether a name may lead to `address`: a public address, or one the
/// operator allowed by itself.
fn address_allowed(address: IpAddr, allowed_hosts: &[String]) -> bool {
    is_public(address)
        || allowed_hosts.iter().any(|entry| {
            let (host, _) = split_port(entry.trim());
            host.parse::<IpAddr>().is_ok_and(|a| a == address)
        })
}

/// Not loopback, private, link-local (cloud metadata), shared, unspecified,
/// multicast or broadcast.
fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(a) => {
            let [first, second, ..] = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_broadcast()
                || first == 0
                || (first == 100 && (64..128).contains(&second)))
        }
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = a.segments()[0];
                !(a.is_loopback()
                    || a.is_unspecified()
                    || a.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// The addresses `host` may be reached at: an address as it is, a name
/// resolved and filtered by [`address_allowed`].
pub(crate) async fn addresses(host: &str, port: u16, allowed_hosts: &[String]) -> Result<Vec<SocketAddr>> {
    if let Ok(address) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(address, port)]);
    }
    let resolved = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| Error::upstream(host, format!("cannot resolve the name: {e}")))?;
    let usable: Vec<SocketAddr> = resolved.filter(|a| address_allowed(a.ip(), allowed_hosts)).collect();
    if usable.is_empty() {
        return Err(Error::Forbidden {
            message: format!(
                "'{host}' resolves only to addresses that are not public (loopback, private, link-local); allow \
                 the address itself in [outbound] allowed_hosts to call it"
            ),
        });
    }
    Ok(usable)
}

/// The resolver of the outbound client: [`addresses`], for every name.
struct Guarded {
    allowed_hosts: Arc<Vec<String>>,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowed = self.allowed_hosts.clone();
        Box::pin(async move {
            let found = addresses(name.as_str(), 0, &allowed)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.to_string().into() })?;
            let found: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(found)
        })
    }
}

/// The wait before attempt `attempt + 1` after `attempt` failures:
/// `base`, doubling each time up to `cap`, with full jitter over the upper
/// half, so that a system coming back is not hit by every retry at once.
pub(crate) fn backoff(base: std::time::Duration, attempt: u32, cap: std::time::Duration) -> std::time::Duration {
    let ceiling = base.saturating_mul(1 << attempt.saturating_sub(1).min(20)).min(cap);
    let half = ceiling / 2;
    half + half.mul_f64(rand::random::<f64>())
}

/// The client for outbound calls: bounded connect and request times, no
/// redirects (a redirect could lead outside the allowed hosts), names
/// resolved only to addresses they may lead to.
pub(crate) fn client(timeout: std::time::Duration, allowed_hosts: &[String]) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(Guarded {
            allowed_hosts: Arc::new(allowed_hosts.to_vec()),
        }))
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
            "127.0.0.1:9000".to_owned(),
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

    #[test]
    fn ports_must_be_allowed_too() {
        let allowed = vec![
            "hooks.example.com".to_owned(),
            "10.0.0.5:*".to_owned(),
            "[::1]:8080".to_owned(),
        ];
        assert!(check("https://hooks.example.com:443/a", &allowed).is_ok());
        assert!(check("https://hooks.example.com:6379/a", &allowed).is_err());
        assert!(
            check("https://hooks.example.com:80/a", &allowed).is_err(),
            "80 is not https's port"
        );
        assert!(check("http://10.0.0.5:6379/a", &allowed).is_ok());
        assert!(check("http://[::1]:8080/a", &allowed).is_ok());
        assert!(check("http://[::1]:8081/a", &allowed).is_err());
    }

    #[test]
    fn names_may_not_lead_to_private_addresses() {
        let allowed = vec!["hooks.example.com".to_owned(), "10.0.0.5".to_owned()];
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "169.254.169.254",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
        ] {
            assert!(!address_allowed(private.parse().unwrap(), &allowed), "{private}");
        }
        assert!(
            address_allowed("10.0.0.5".parse().unwrap(), &allowed),
            "allowed by itself"
        );
        assert!(address_allowed("93.184.216.34".parse().unwrap(), &allowed));
    }

    #[tokio::test]
    async fn localhost_resolves_to_nothing_usable_unless_its_address_is_allowed() {
        let refused = addresses("localhost", 80, &["localhost".to_owned()]).await;
        assert!(matches!(refused, Err(Error::Forbidden { .. })), "{refused:?}");
        let allowed = ["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
        assert!(!addresses("localhost", 80, &allowed).await.unwrap().is_empty());
    }
}

//! The identifiers the service mints: asset IRIs from source keys (and
//! back), the percent-encoding they use, and the rule for tenant ids.

use oxigraph::model::NamedNode;

/// The IRI of an asset (also the name of its graph).
pub fn asset_iri(id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:assetgraph:asset:{}", percent_encode(id)))
}

/// The id of the asset whose graph is `graph` (the inverse of [`asset_iri`]).
pub fn asset_id(graph: &str) -> String {
    let encoded = graph.strip_prefix("urn:assetgraph:asset:").unwrap_or(graph);
    let mut out = Vec::with_capacity(encoded.len());
    let mut rest = encoded.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let escaped = (byte == b'%')
            .then(|| tail.get(..2))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                rest = &tail[2..];
            }
            None => {
                out.push(byte);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes what may not stand in an IRI path as it is.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Tenant ids name graphs' owners in IRIs: letters, digits, `-`, `_`.
pub fn is_tenant_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

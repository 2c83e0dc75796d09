//! Alerts: what is about to stop being usable, so it can be renewed or
//! replaced before it causes a takedown.
//!
//! Three kinds, for one context (territory, channel… as in search):
//!
//! - `licence-ending`: the asset is cleared now and stops being cleared
//!   within the window — the first moment its clearance ends, found by
//!   walking the moments at which its terms start or end, so that a grant
//!   ending while another still admits the context raises nothing;
//! - `use-by`: the same, where the moment is the licence's
//!   to-be-used-until date (Smint.io `to_be_used_until`: no first use
//!   after it);
//! - `download-limit`: the downloads used reach a share of those allowed
//!   (80 % unless asked otherwise), counting the downloads reported as
//!   usage events.
//!
//! Each alert is decided by the same clearance engine as search, on the
//! rights the index keeps in memory; reading the list of assets is the
//! only store work.
//!
//! [`events`] turns the clock and the change feed into webhook events, and
//! [`background`] runs it, with the webhooks' dispatcher, while `serve`
//! runs.

pub mod background;
pub mod events;

use crate::error::Result;
use crate::rights::{AssetRights, Context, RightsOf, Territories};
use crate::store::Store;
use crate::vocab::ag;
use oxigraph::model::{NamedNode, Term};
use serde::Serialize;

/// The question.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The context; its moment is "now".
    pub context: Context,
    /// How far ahead to look, in seconds.
    pub within: i64,
    /// The share of allowed downloads from which a limit is reported.
    pub download_share: f64,
    /// The tenants whose assets are looked at (`None`: every tenant's).
    pub tenants: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Alert {
    /// The asset's id (`smintio:88120`).
    pub asset: String,
    /// `licence-ending`, `use-by` or `download-limit`.
    pub kind: &'static str,
    /// When clearance ends (RFC 3339), for the first two kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends: Option<String>,
    #[serde(skip)]
    pub ends_unix: Option<i64>,
    /// The grants that end then.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<String>,
    /// For download limits: (used, allowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloads: Option<(u32, u32)>,
    pub detail: String,
}

/// Every alert for the context, soonest first (download limits last).
pub fn expiring(store: &Store, rights: &dyn RightsOf, ask: &Ask) -> Result<Vec<Alert>> {
    let mut alerts = Vec::new();
    for graph in crate::records::graphs(store)? {
        if let Some(tenants) = &ask.tenants {
            if !tenants.contains(&store.graph_owner(graph.as_ref())?) {
                continue;
            }
        }
        let Some(compiled) = rights.rights_of(&graph)? else {
            continue;
        };
        let id = crate::rdf::asset_id(graph.as_str());
        if let Some(alert) = ending(store, &graph, &id, &compiled, ask)? {
            alerts.push(alert);
        }
        if let Some(alert) = download_limit(&id, &compiled, ask.download_share) {
            alerts.push(alert);
        }
    }
    alerts.sort_by(|a, b| {
        (a.ends_unix.unwrap_or(i64::MAX), &a.asset, a.kind).cmp(&(b.ends_unix.unwrap_or(i64::MAX), &b.asset, b.kind))
    });
    Ok(alerts)
}

/// The first moment within the window at which an asset cleared now stops
/// being cleared for the context.
pub(crate) fn clearance_ends(rights: &AssetRights, context: &Context, until: i64) -> Option<i64> {
    let territories = Territories::global();
    if !rights.is_cleared(context, territories) {
        return None;
    }
    let mut at = context.at;
    while let Some(next) = rights.next_change_after(at).filter(|&t| t <= until) {
        let mut later = context.clone();
        later.at = next;
        if !rights.is_cleared(&later, territories) {
            return Some(next);
        }
        at = next;
    }
    None
}

fn ending(store: &Store, graph: &NamedNode, id: &str, rights: &AssetRights, ask: &Ask) -> Result<Option<Alert>> {
    let Some(ends) = clearance_ends(rights, &ask.context, ask.context.at + ask.within) else {
        return Ok(None);
    };
    let grants: Vec<String> = rights
        .grants
        .iter()
        .filter(|g| g.term.until == Some(ends))
        .map(|g| g.id.clone())
        .collect();
    let use_by = use_by_dates(store, graph)?.contains(&ends);
    let when = crate::rdf::time::rfc3339(ends);
    let days = (ends - ask.context.at) as f64 / 86_400.0;
    Ok(Some(Alert {
        asset: id.to_owned(),
        kind: if use_by { "use-by" } else { "licence-ending" },
        detail: if use_by {
            format!("must be first used before {when} (in {days:.1} days)")
        } else {
            format!("no longer cleared from {when} (in {days:.1} days)")
        },
        ends: Some(when),
        ends_unix: Some(ends),
        grants,
        downloads: None,
    }))
}

fn download_limit(id: &str, rights: &AssetRights, share: f64) -> Option<Alert> {
    let (used, allowed) = rights.downloads?;
    if allowed == 0 || (used as f64) < share * allowed as f64 {
        return None;
    }
    Some(Alert {
        asset: id.to_owned(),
        kind: "download-limit",
        ends: None,
        ends_unix: None,
        grants: Vec::new(),
        downloads: Some((used, allowed)),
        detail: if used >= allowed {
            format!("all {allowed} downloads used; the asset is blocked")
        } else {
            format!("{used} of {allowed} downloads used")
        },
    })
}

/// The to-be-used-until dates the asset's record states.
fn use_by_dates(store: &Store, graph: &NamedNode) -> Result<Vec<i64>> {
    let mut dates = Vec::new();
    let predicate = ag::term("toBeUsedUntil");
    for quad in store
        .db()
        .quads_for_pattern(None, Some(predicate.as_ref()), None, Some(graph.as_ref().into()))
    {
        if let Term::Literal(l) = quad?.object {
            dates.extend(crate::rdf::time::parse(l.value()));
        }
    }
    Ok(dates)
}

/// Seconds in an ISO 8601 duration of weeks, days, hours, minutes and
/// seconds (`P30D`, `P2W`, `PT12H`, `P1DT6H`); months and years, whose
/// length varies, are not accepted.
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
    let rest = text.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    let mut add = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        let mut allowed = units.iter();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let &(_, seconds) = allowed.by_ref().find(|(unit, _)| *unit == c)?;
            total = total.checked_add(number.parse::<i64>().ok()?.checked_mul(seconds)?)?;
            number.clear();
            any = true;
        }
        number.is_empty().then_some(())
    };
    add(date, &[('W', 604_800), ('D', 86_400)])?;
    if let Some(time) = time {
        add(time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_iso_8601() {
        assert_eq!(parse_duration("P30D"), Some(30 * 86_400));
        assert_eq!(parse_duration("P2W"), Some(14 * 86_400));
        assert_eq!(parse_duration("PT12H"), Some(12 * 3_600));
        assert_eq!(parse_duration("P1DT6H30M"), Some(86_400 + 6 * 3_600 + 1_800));
        for bad in ["30", "P", "PT", "P1M", "P1Y", "P1H", "PT1D", "P1D2W", "PD"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}

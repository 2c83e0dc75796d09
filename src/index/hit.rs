//! What a hit shows: the parts of a result a grid renders as they are.
//!
//! A hit's stored document keeps every title and description with its
//! language; the one shown is in the asked language, else in the record's
//! own. Its preview, creation date and the badges a card wears (editorial
//! only, expires soon, blocked and why, downloads left) are worked out
//! here, so that a UI never has to read the licence to draw them.

use crate::rdf::time::parse as parse_time;
use crate::records::ClearanceSummary;
use crate::rights::Clearance;
use serde::{Deserialize, Serialize};

/// How far ahead a licence's end makes the badge `expires-soon`.
const EXPIRES_SOON_SECS: i64 = 30 * 24 * 3600;

/// A preview image: `{url, width?, height?}`, stored with the document as
/// this JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HitPreview {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl HitPreview {
    /// The preview stored with a document (JSON), if any.
    pub fn stored(json: Option<&str>) -> Option<HitPreview> {
        serde_json::from_str(json?).ok()
    }
}

/// A label a result card shows as it is.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Badge {
    /// Cleared for editorial use only.
    EditorialOnly,
    /// Cleared now, until `date` (within 30 days).
    ExpiresSoon { date: String },
    /// Not cleared for the asked context, and why.
    Blocked { rule: &'static str, reason: String },
    /// Downloads the licence still allows.
    DownloadsLeft { count: u32 },
}

/// The badges of an asset with this licence (and, for a query with a
/// rights context, this clearance), at `now`.
pub(super) fn badges(licence: &ClearanceSummary, clearance: Option<&Clearance>, now: i64) -> Vec<Badge> {
    let mut out = Vec::new();
    if let Some(blocked) = clearance.filter(|c| !c.cleared) {
        if let Some(first) = blocked.reasons.first() {
            out.push(Badge::Blocked {
                rule: first.rule,
                reason: first.detail.clone(),
            });
        }
    }
    if licence.editorial_only {
        out.push(Badge::EditorialOnly);
    }
    let ends = (licence.next_change.as_deref())
        .filter(|_| licence.cleared_now)
        .and_then(|date| Some((date, parse_time(date)?)));
    if let Some((date, _)) = ends.filter(|(_, at)| *at - now <= EXPIRES_SOON_SECS) {
        out.push(Badge::ExpiresSoon { date: date.to_owned() });
    }
    if let Some(downloads) = &licence.downloads {
        out.push(Badge::DownloadsLeft {
            count: downloads.allowed.saturating_sub(downloads.used),
        });
    }
    out
}

/// Of stored `{language}\u{1f}{text}` values, the one in `lang` (the tag,
/// else its primary language), else the one `own` picks (the record's
/// own), else the first: as (language, text).
pub(super) fn in_language<'d>(
    values: &[&'d str],
    lang: Option<&str>,
    own: impl Fn(&str, &str) -> bool,
) -> Option<(&'d str, &'d str)> {
    let split: Vec<(&str, &str)> = values.iter().filter_map(|v| v.split_once('\u{1f}')).collect();
    let primary = |tag: &str| tag.split(['-', '_']).next().unwrap_or(tag).to_ascii_lowercase();
    let asked = lang.and_then(|l| {
        (split.iter().find(|(language, _)| language.eq_ignore_ascii_case(l)))
            .or_else(|| split.iter().find(|(language, _)| primary(language) == primary(l)))
    });
    asked
        .or_else(|| split.iter().find(|(language, text)| own(language, text)))
        .or(split.first())
        .copied()
}

/// A passage of one field of an asset with the query's words marked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Highlight {
    /// `title`, `description` or `text` (keywords, or text of several fields).
    pub field: &'static str,
    pub fragment: String,
    /// `[start, end)` character offsets in `fragment`.
    pub ranges: Vec<[usize; 2]>,
}

impl Highlight {
    /// The highlight of a snippet of `field`, if it marks anything.
    pub fn of(field: &'static str, snippet: &tantivy::snippet::Snippet) -> Option<Highlight> {
        if snippet.highlighted().is_empty() {
            return None;
        }
        let fragment = snippet.fragment();
        let chars = |byte: usize| fragment[..byte].chars().count();
        Some(Highlight {
            field,
            fragment: fragment.to_owned(),
            ranges: snippet
                .highlighted()
                .iter()
                .map(|r| [chars(r.start), chars(r.end)])
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asked_language_then_the_records_own_then_any() {
        let values = ["en\u{1f}Cup", "de\u{1f}Becher", "fr-CA\u{1f}Tasse"];
        let own = |_: &str, text: &str| text == "Cup";
        assert_eq!(in_language(&values, Some("de"), own), Some(("de", "Becher")));
        assert_eq!(in_language(&values, Some("de-AT"), own), Some(("de", "Becher")));
        assert_eq!(in_language(&values, Some("fr"), own), Some(("fr-CA", "Tasse")));
        assert_eq!(in_language(&values, Some("ja"), own), Some(("en", "Cup")));
        assert_eq!(in_language(&values, None, |_, _| false), Some(("en", "Cup")));
        assert_eq!(in_language(&[], Some("de"), own), None);
    }
}

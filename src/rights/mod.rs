//! Rights: the clearance engine (DESIGN §2).
//!
//! An asset is **cleared** for a context (a moment, and optionally a
//! territory, channel, usage, audience, industry, language) iff
//!
//! 1. it is not cancelled, and no asset-wide rule blocks it (editorial-only
//!    content asked for commercial use, downloads used up);
//! 2. at least one grant admits the context — **every** constraint of that
//!    one grant holds. Grants are never merged: a DE/print grant and a
//!    FR/social grant do not clear DE/social;
//! 3. no restriction (a restricted list, an exclusive Rights Out, a
//!    holdback) that is active at that moment matches the context.
//!
//! Rules of matching:
//! - a dimension a grant or restriction leaves empty admits anything; a
//!   dimension the context leaves out is not constrained;
//! - territories follow the shipped hierarchy: a grant for `europe_any`
//!   admits Germany; words follow the sources' `_any` convention:
//!   `advertising_any` admits `advertising_display_billboard`, `any` admits
//!   all;
//! - terms are half-open: active from `from` (inclusive) to `until`
//!   (exclusive), so an asset is uncleared from the instant its term ends,
//!   with no reindex — the moment is part of every question;
//! - a key the engine does not know is kept and reported: it never admits
//!   in a grant, and in a restriction it blocks any context that names that
//!   dimension, since the engine cannot tell that it does not apply.
//!
//! Rights are compiled per asset into [`AssetRights`] (territories as
//! integers, words normalised once), so that search can ask
//! [`AssetRights::is_cleared`] of thousands of candidates per query without
//! allocating; [`AssetRights::explain`] answers the same question with the
//! reasons (which grant admitted, which rule blocked).

mod odrl;
mod territory;
#[cfg(test)]
mod tests;
pub(crate) mod words;

pub use odrl::{compile, RightsStatement, Rule};
pub use territory::{Territories, TerritoryId};

/// ODRL triples of a rights statement.
pub use odrl::{policy_triples, triples as odrl_triples};

use serde::{Deserialize, Serialize};

/// The dimensions of a context and of a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    Territory,
    Channel,
    Usage,
    Audience,
    Industry,
    Language,
}

pub const DIMENSIONS: [Dimension; 6] = [
    Dimension::Territory,
    Dimension::Channel,
    Dimension::Usage,
    Dimension::Audience,
    Dimension::Industry,
    Dimension::Language,
];

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Territory => "territory",
            Dimension::Channel => "channel",
            Dimension::Usage => "usage",
            Dimension::Audience => "audience",
            Dimension::Industry => "industry",
            Dimension::Language => "language",
        }
    }

    /// The property a usage event's value of this dimension is recorded with.
    pub(crate) fn usage_property(self) -> oxigraph::model::NamedNodeRef<'static> {
        use crate::vocab::ag;
        match self {
            Dimension::Territory => ag::USAGE_TERRITORY,
            Dimension::Channel => ag::USAGE_CHANNEL,
            Dimension::Usage => ag::USAGE_PURPOSE,
            Dimension::Audience => ag::USAGE_AUDIENCE,
            Dimension::Industry => ag::USAGE_INDUSTRY,
            Dimension::Language => ag::USAGE_LANGUAGE,
        }
    }
}

/// Where the compiled rights of an asset come from: the search index keeps
/// them all in memory, in step with the store; tools without the index
/// compile them from the store.
pub trait RightsOf: Sync {
    /// The rights of the asset whose graph is `asset`; `None` when no such
    /// asset is held.
    fn rights_of(&self, asset: &oxigraph::model::NamedNode) -> crate::Result<Option<AssetRights>>;
}

/// A value in a constraint or a context, resolved once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Key {
    Territory(TerritoryId),
    /// A canonical key of the shipped word vocabularies (`channel_web` and
    /// `web` → `digital_web`), or a key under one of their families.
    Word(Box<str>),
    /// A value no vocabulary knows, kept as given.
    Unknown(Box<str>),
}

impl Key {
    /// Resolves what a source or a user wrote for a dimension: an ISO code,
    /// a source's key, a plain word or label of the shipped vocabularies, or
    /// a vocabulary IRI. What none of them knows stays [`Key::Unknown`].
    pub fn resolve(dimension: Dimension, raw: &str, territories: &Territories) -> Key {
        let trimmed = raw.trim();
        if dimension == Dimension::Territory {
            return territories
                .resolve(trimmed)
                .map_or_else(|| Key::Unknown(trimmed.into()), Key::Territory);
        }
        match words::shipped().resolve(dimension, trimmed) {
            Some(words::Resolved::Concept(key) | words::Resolved::InFamily(key)) => Key::Word(key),
            None => Key::Unknown(trimmed.into()),
        }
    }

    /// The value as a person reads it: a territory's name, a word's key.
    pub fn describe(&self, territories: &Territories) -> String {
        match self {
            Key::Territory(id) => territories.name(*id).to_owned(),
            Key::Word(w) | Key::Unknown(w) => w.to_string(),
        }
    }
}

/// Whether a constraint value `scope` covers the asked value.
#[inline]
fn covers(scope: &Key, asked: &Key, territories: &Territories) -> bool {
    match (scope, asked) {
        (Key::Territory(s), Key::Territory(a)) => territories.covers(*s, *a),
        (Key::Word(s), Key::Word(a)) => {
            s == a
                || &**s == "any"
                || s.strip_suffix("any")
                    .is_some_and(|stem| stem.ends_with('_') && a.starts_with(stem))
        }
        _ => false,
    }
}

/// Constraints per dimension; an empty list leaves the dimension open.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Constraints([Vec<Key>; 6]);

impl Constraints {
    pub fn set(&mut self, dimension: Dimension, keys: Vec<Key>) {
        self.0[dimension as usize] = keys;
    }

    pub fn get(&self, dimension: Dimension) -> &[Key] {
        &self.0[dimension as usize]
    }
}

/// A half-open window in Unix seconds; `None` is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: Option<i64>,
    pub until: Option<i64>,
}

impl Window {
    #[inline]
    pub fn contains(&self, at: i64) -> bool {
        self.from.is_none_or(|from| at >= from) && self.until.is_none_or(|until| at < until)
    }
}

/// Permission to use the asset within some constraints and a term.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    /// Where it comes from, for explanations: `smintio:88120#term-1`.
    pub id: String,
    pub constraints: Constraints,
    pub term: Window,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestrictionKind {
    /// A source's restricted list (Smint.io `restricted_*`).
    Restricted,
    /// Rights granted to someone else exclusively (Rightsline Rights Out).
    ExclusiveRightsOut,
    /// A holdback.
    Holdback,
}

impl RestrictionKind {
    /// The name used in records, in `ag:restrictionKind` and as a reason's rule.
    pub fn name(self) -> &'static str {
        match self {
            RestrictionKind::Restricted => "restricted",
            RestrictionKind::ExclusiveRightsOut => "exclusive-rights-out",
            RestrictionKind::Holdback => "holdback",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        [
            RestrictionKind::Restricted,
            RestrictionKind::ExclusiveRightsOut,
            RestrictionKind::Holdback,
        ]
        .into_iter()
        .find(|kind| kind.name() == name)
    }
}

/// A rule that forbids a use the grants may admit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Restriction {
    pub id: String,
    pub kind: RestrictionKind,
    pub constraints: Constraints,
    pub term: Window,
}

/// Everything the engine needs to know of one asset's rights.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AssetRights {
    pub cancelled: bool,
    pub editorial_only: bool,
    /// (used, allowed) downloads, when the licence limits them.
    pub downloads: Option<(u32, u32)>,
    pub grants: Vec<Grant>,
    pub restrictions: Vec<Restriction>,
}

/// The question: a moment and, per dimension, the asked value (if any).
#[derive(Debug, Clone)]
pub struct Context {
    pub at: i64,
    pub values: [Option<Key>; 6],
}

impl Context {
    pub fn at(at: i64) -> Self {
        Context {
            at,
            values: Default::default(),
        }
    }

    pub fn with(mut self, dimension: Dimension, key: Key) -> Self {
        self.values[dimension as usize] = Some(key);
        self
    }

    /// The context with `dimension` set to `value` as the shipped
    /// vocabularies (or `territories`) resolve it.
    pub fn with_value(self, dimension: Dimension, value: &str, territories: &Territories) -> Self {
        self.with(dimension, Key::resolve(dimension, value, territories))
    }

    fn value(&self, dimension: Dimension) -> Option<&Key> {
        self.values[dimension as usize].as_ref()
    }
}

/// The answer with its reasons.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Clearance {
    pub cleared: bool,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Reason {
    /// `admitted`, `cancelled`, `editorial-only`, `downloads-exhausted`,
    /// `restricted`, `exclusive-rights-out`, `holdback`, `no-grant`,
    /// `grant-does-not-admit`, `unknown-key`.
    pub rule: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub detail: String,
}

/// Usages that count as commercial for editorial-only content.
const COMMERCIAL_USAGES: [&str; 5] = ["advertising", "marketing", "commercial", "retail", "promotion"];

impl AssetRights {
    /// Cleared or not, without allocating: the path search takes.
    pub fn is_cleared(&self, ctx: &Context, territories: &Territories) -> bool {
        !self.blocked_asset_wide(ctx)
            && self.grants.iter().any(|g| grant_admits(g, ctx, territories))
            && !self
                .restrictions
                .iter()
                .any(|r| restriction_matches(r, ctx, territories))
    }

    /// The same answer, with every reason.
    pub fn explain(&self, ctx: &Context, territories: &Territories) -> Clearance {
        let mut reasons = Vec::new();
        if self.cancelled {
            reasons.push(reason("cancelled", None, "the purchase or right was cancelled"));
        }
        if self.editorial_only && is_commercial(ctx) {
            reasons.push(reason(
                "editorial-only",
                None,
                "editorial-only content cannot be used commercially",
            ));
        }
        if let Some((used, allowed)) = self.downloads {
            if used >= allowed {
                reasons.push(reason(
                    "downloads-exhausted",
                    None,
                    &format!("{used} of {allowed} downloads used"),
                ));
            }
        }
        let mut admitted = false;
        for grant in &self.grants {
            match grant_mismatch(grant, ctx, territories) {
                None => {
                    admitted = true;
                    reasons.push(reason(
                        "admitted",
                        Some(&grant.id),
                        "every constraint of this grant holds",
                    ));
                }
                Some((rule, detail)) => reasons.push(reason(rule, Some(&grant.id), &detail)),
            }
        }
        if self.grants.is_empty() {
            reasons.push(reason("no-grant", None, "the asset has no grant"));
        }
        let mut restricted = false;
        for restriction in &self.restrictions {
            if let Some((rule, detail)) = restriction_hit(restriction, ctx, territories) {
                restricted = true;
                reasons.push(reason(rule, Some(&restriction.id), &detail));
            }
        }
        let cleared = !self.blocked_asset_wide(ctx) && admitted && !restricted;
        Clearance { cleared, reasons }
    }

    /// The first moment after `at` when the answer may change for some
    /// context: a term starting or ending.
    pub(crate) fn next_change_after(&self, at: i64) -> Option<i64> {
        let windows = self
            .grants
            .iter()
            .map(|g| g.term)
            .chain(self.restrictions.iter().map(|r| r.term));
        windows
            .flat_map(|w| [w.from, w.until])
            .flatten()
            .filter(|&t| t > at)
            .min()
    }

    fn blocked_asset_wide(&self, ctx: &Context) -> bool {
        self.cancelled
            || (self.editorial_only && is_commercial(ctx))
            || self.downloads.is_some_and(|(used, allowed)| used >= allowed)
    }
}

fn is_commercial(ctx: &Context) -> bool {
    matches!(ctx.value(Dimension::Usage), Some(Key::Word(w)) if COMMERCIAL_USAGES.iter().any(|c| w.starts_with(c)))
}

#[inline]
fn grant_admits(grant: &Grant, ctx: &Context, territories: &Territories) -> bool {
    grant.term.contains(ctx.at)
        && DIMENSIONS.iter().all(|&d| {
            let scope = grant.constraints.get(d);
            match ctx.value(d) {
                None => true,
                Some(asked) => scope.is_empty() || scope.iter().any(|s| covers(s, asked, territories)),
            }
        })
}

/// Why a grant does not admit the context, if it does not.
fn grant_mismatch(grant: &Grant, ctx: &Context, territories: &Territories) -> Option<(&'static str, String)> {
    if !grant.term.contains(ctx.at) {
        return Some((
            "grant-does-not-admit",
            "the moment asked is outside its term".to_owned(),
        ));
    }
    for &d in &DIMENSIONS {
        let scope = grant.constraints.get(d);
        let Some(asked) = ctx.value(d) else { continue };
        if scope.is_empty() || scope.iter().any(|s| covers(s, asked, territories)) {
            continue;
        }
        let allowed: Vec<String> = scope.iter().map(|k| k.describe(territories)).collect();
        let rule = if scope.iter().any(|k| matches!(k, Key::Unknown(_))) {
            "unknown-key"
        } else {
            "grant-does-not-admit"
        };
        return Some((
            rule,
            format!(
                "{} {} is not among [{}]",
                d.name(),
                asked.describe(territories),
                allowed.join(", ")
            ),
        ));
    }
    None
}

#[inline]
fn restriction_matches(restriction: &Restriction, ctx: &Context, territories: &Territories) -> bool {
    restriction.term.contains(ctx.at)
        && DIMENSIONS.iter().all(|&d| {
            let scope = restriction.constraints.get(d);
            scope.is_empty()
                || match ctx.value(d) {
                    None => false,
                    Some(asked) => scope
                        .iter()
                        .any(|s| matches!(s, Key::Unknown(_)) || covers(s, asked, territories)),
                }
        })
}

fn restriction_hit(
    restriction: &Restriction,
    ctx: &Context,
    territories: &Territories,
) -> Option<(&'static str, String)> {
    if !restriction_matches(restriction, ctx, territories) {
        return None;
    }
    let unknown: Vec<String> = DIMENSIONS
        .iter()
        .flat_map(|&d| {
            restriction.constraints.get(d).iter().filter_map(move |k| match k {
                Key::Unknown(w) => Some(format!("{} '{w}'", d.name())),
                _ => None,
            })
        })
        .collect();
    if !unknown.is_empty() {
        return Some((
            "unknown-key",
            format!(
                "restriction names {} that no vocabulary knows; it is applied",
                unknown.join(", ")
            ),
        ));
    }
    let rule = restriction.kind.name();
    let scope: Vec<String> = DIMENSIONS
        .iter()
        .filter(|&&d| !restriction.constraints.get(d).is_empty())
        .map(|&d| {
            let keys: Vec<String> = restriction
                .constraints
                .get(d)
                .iter()
                .map(|k| k.describe(territories))
                .collect();
            format!("{} [{}]", d.name(), keys.join(", "))
        })
        .collect();
    Some((
        rule,
        if scope.is_empty() {
            "applies to every use".to_owned()
        } else {
            format!("applies to {}", scope.join(", "))
        },
    ))
}

fn reason(rule: &'static str, source: Option<&str>, detail: &str) -> Reason {
    Reason {
        rule,
        source: source.map(str::to_owned),
        detail: detail.to_owned(),
    }
}

/// A clearance context from named values (`at`, `territory`, `channel`…).
/// Unknown names are an error (a typo must not widen the answer); a
/// dimension left out is open.
pub fn context_from(query: &std::collections::HashMap<String, String>) -> crate::Result<Context> {
    let at = match query.get("at") {
        Some(text) => crate::rdf::time::parse(text).ok_or_else(|| {
            crate::Error::invalid_field(
                "at",
                format!("'{text}' is not a date (2026-12-01) or date-time (2026-12-01T10:00:00Z)"),
            )
        })?,
        None => time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    let mut context = Context::at(at);
    for (name, value) in query {
        if name == "at" {
            continue;
        }
        let Some(dimension) = DIMENSIONS.iter().copied().find(|d| d.name() == name) else {
            let known: Vec<&str> = DIMENSIONS.iter().map(|d| d.name()).collect();
            return Err(crate::Error::invalid_field(
                name.as_str(),
                format!("'{name}' is not a dimension; use at, {}", known.join(", ")),
            ));
        };
        let key = Key::resolve(dimension, value, Territories::global());
        if let Key::Unknown(_) = key {
            return Err(crate::Error::invalid_field(
                name.as_str(),
                unknown_value_hint(dimension, value),
            ));
        }
        context = context.with(dimension, key);
    }
    Ok(context)
}

pub(crate) fn unknown_value_hint(dimension: Dimension, value: &str) -> String {
    let example = match dimension {
        Dimension::Territory => "an ISO code (DE), a region (europe_any) or a name (Germany)",
        Dimension::Channel => "web, social, print, broadcast, or a source key such as channel_web",
        Dimension::Usage => "advertising, editorial, marketing, or a source key such as advertising_any",
        Dimension::Audience => "internal, agency, partner, press, public",
        Dimension::Industry => "alcohol, tobacco, financial, or a source key such as industry_tobacco",
        Dimension::Language => "an ISO code (de), a name (German) or a source key (language_german)",
    };
    format!(
        "no shipped vocabulary knows {} '{value}'; use {example}",
        dimension.name()
    )
}

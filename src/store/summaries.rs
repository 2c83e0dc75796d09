//! Summaries for the named reports, kept by the write path.
//!
//! # Why
//! Some reports aggregate over every asset: when each asset's licence
//! ends, what was spent with each provider. Read from the records, such a
//! report joins a million policies with their permissions and constraints,
//! or half a million prices with their providers and dates, and oxigraph
//! joins those one lookup at a time: minutes at a million assets. The
//! write path knows what each commit changes, so it keeps what those
//! reports need up to date instead, in one summary graph per tenant
//! (`urn:assetgraph:summary:{tenant}`, registered to that tenant), which
//! the tenant's analysts read like any other graph:
//!
//! ```turtle
//! <urn:assetgraph:asset:smintio:88120> ag:licenceEnds "2027-03-31T00:00:00Z"^^xsd:dateTime .
//! <urn:assetgraph:summary:default:licences-ending:2027-03-31> a ag:LicenceEndTally ;
//!     ag:day "2027-03-31"^^xsd:date ; ag:licencesEnding 412 .
//! <urn:assetgraph:summary:default:spend:2026-11-02:3f2a09c1d2e4b5a6> a ag:SpendTally ;
//!     ag:day "2026-11-02"^^xsd:date ; ag:provider "Getty Images" ;
//!     ag:spendEur 1234.50 ; ag:purchases 7 .
//! ```
//!
//! # Facts and tallies
//! A *fact* is about one subject: the latest end of an asset's licence
//! terms. A *tally* adds up what many subjects contribute under one key:
//! the licences ending on a day; the purchases, and their prices, of a
//! provider on a day. For each subject a commit may affect, its
//! contribution is read twice — from the store as it stands, and as it
//! will stand once the commit's deltas are applied — and only the
//! difference is written: facts replaced, tallies adjusted. The work
//! grows with the change, not with the store.
//!
//! # What counts
//! - An asset's licence ends at the latest of its `ag:licenseExpires`
//!   values and of the `odrl:dateTime` `odrl:lt` constraints of the
//!   permissions of the policies that target it.
//! - A purchase is a subject with an `ag:priceEur`, of its `ag:provider`
//!   (or none), on the day of its `ag:purchasedAt`, or else of its
//!   `dcterms:created` (or undated).
//!
//! Only statements in a tenant's own graphs count for its summary (the
//! default graph counts for the default tenant). A query over every
//! tenant's graphs sees every tenant's summary and adds them up.
//!
//! # Consistency
//! A transaction commits the summaries with the change. A bulk load (new
//! triples only, written by oxigraph's bulk loader, which cannot remove a
//! tally's old value) is followed at once, under the same writer lock, by
//! a transaction with its summaries. The registry records the generation
//! the summaries are current at (`ag:summariesAt`); a store opened with
//! summaries behind its generation (a crash between the two) or with none
//! builds them again from the records ([`rebuild`]).

use super::write::Delta;
use super::Store;
use crate::error::Result;
use crate::vocab::{ag, dcterms, graphs, odrl};
use ahash::{AHashMap as HashMap, AHashSet as HashSet};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{
    GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, Term, TermRef, Triple,
};
use oxigraph::store::Transaction;
use oxsdatatypes::{DateTime, Decimal};
use sha2::Digest;
use std::cell::RefCell;
use std::str::FromStr;

/// Prefix of the summary graphs, and of their tally nodes.
const PREFIX: &str = graphs::SUMMARY_PREFIX;

/// The registry's kind of a summary graph.
pub(super) const KIND: &str = "summary";

/// Bumped when what the summaries hold changes: a store whose summaries
/// were built by another version builds them again.
const VERSION: u64 = 1;

/// The subject of the registry statement saying how current the summaries are.
const MARKER: &str = "urn:assetgraph:summaries";

/// The summary graph of `tenant`.
pub(crate) fn graph(tenant: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{PREFIX}{tenant}"))
}

/// Whether `graph` is a summary graph.
pub(crate) fn is_summary(graph: &str) -> bool {
    graph.starts_with(PREFIX)
}

/// The predicates whose statements a summary reads: a change to anything
/// else leaves every summary as it is.
const READ: [NamedNodeRef<'static>; 11] = [
    odrl::TARGET,
    odrl::PERMISSION,
    odrl::CONSTRAINT,
    odrl::LEFT_OPERAND,
    odrl::OPERATOR,
    odrl::RIGHT_OPERAND,
    ag::LICENSE_EXPIRES,
    ag::PRICE_EUR,
    ag::PROVIDER,
    ag::PURCHASED_AT,
    dcterms::CREATED,
];

/// What one subject contributes to its tenant's summary.
#[derive(Debug, Default, PartialEq)]
struct Contribution {
    /// The latest end of the subject's licence terms.
    licence_ends: Option<Literal>,
    tallies: Vec<(Key, Measure)>,
}

/// The key of a tally: the node that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    LicencesEnding {
        day: String,
    },
    Spend {
        day: Option<String>,
        provider: Option<String>,
    },
}

/// How many subjects a tally counts, and what they add up to.
#[derive(Debug, Clone, PartialEq, Default)]
struct Measure {
    count: i64,
    sum: Decimal,
}

impl Key {
    fn node(&self, tenant: &str) -> NamedNode {
        NamedNode::new_unchecked(match self {
            Key::LicencesEnding { day } => format!("{PREFIX}{tenant}:licences-ending:{day}"),
            Key::Spend { day, provider } => {
                // A provider's name is any text: hashed into the IRI, given
                // as a literal on the node.
                let digest = sha2::Sha256::digest(provider.as_deref().unwrap_or("").as_bytes());
                let day = day.as_deref().unwrap_or("undated");
                format!("{PREFIX}{tenant}:spend:{day}:{}", hex::encode(&digest[..8]))
            }
        })
    }

    /// The statements that say what a tally node is.
    fn description(&self, node: &NamedNode) -> Vec<Triple> {
        let (class, day, provider) = match self {
            Key::LicencesEnding { day } => (ag::LICENCE_END_TALLY, Some(day), None),
            Key::Spend { day, provider } => (ag::SPEND_TALLY, day.as_ref(), provider.as_ref()),
        };
        let mut triples = vec![Triple::new(node.clone(), rdf::TYPE, class)];
        if let Some(day) = day {
            triples.push(Triple::new(
                node.clone(),
                ag::DAY,
                Literal::new_typed_literal(day, xsd::DATE),
            ));
        }
        if let Some(provider) = provider {
            triples.push(Triple::new(
                node.clone(),
                ag::PROVIDER,
                Literal::new_simple_literal(provider),
            ));
        }
        triples
    }

    /// The predicate of the count, and of the sum where the tally has one.
    fn measures(&self) -> (NamedNodeRef<'static>, Option<NamedNodeRef<'static>>) {
        match self {
            Key::LicencesEnding { .. } => (ag::LICENCES_ENDING, None),
            Key::Spend { .. } => (ag::PURCHASES, Some(ag::SPEND_EUR)),
        }
    }
}

/// The commit's deltas, indexed by what the summaries look up.
#[derive(Default)]
struct Pending {
    by_subject: HashMap<(NamedOrBlankNode, NamedNode), Vec<(Term, GraphName)>>,
    by_object: HashMap<(NamedNode, Term), Vec<(NamedOrBlankNode, GraphName)>>,
    removed: HashSet<(GraphName, Triple)>,
    dropped: HashSet<GraphName>,
    /// Graphs the commit creates: the registry does not know them yet.
    created: HashSet<GraphName>,
}

impl Pending {
    fn new(deltas: &[Delta]) -> Pending {
        let mut pending = Pending::default();
        for delta in deltas {
            if delta.dropped {
                pending.dropped.insert(delta.graph.clone());
            }
            if delta.created {
                pending.created.insert(delta.graph.clone());
            }
            for t in delta.added.iter().filter(|t| read(t)) {
                let graph = delta.graph.clone();
                pending
                    .by_subject
                    .entry((t.subject.clone(), t.predicate.clone()))
                    .or_default()
                    .push((t.object.clone(), graph.clone()));
                pending
                    .by_object
                    .entry((t.predicate.clone(), t.object.clone()))
                    .or_default()
                    .push((t.subject.clone(), graph));
            }
            for t in delta.removed.iter().filter(|t| read(t)) {
                pending.removed.insert((delta.graph.clone(), t.clone()));
            }
        }
        pending
    }

    /// Whether a stored statement is still there after the commit.
    fn keeps(&self, graph: &GraphName, triple: Triple) -> bool {
        !self.dropped.contains(graph) && !self.removed.contains(&(graph.clone(), triple))
    }
}

fn read(t: &Triple) -> bool {
    READ.contains(&t.predicate.as_ref())
}

/// The statements of one tenant's graphs, as they stand (`after` unset) or
/// as they will once the pending commit is applied.
struct Reader<'a> {
    /// The store as it was before the commit, whatever is being written
    /// meanwhile (a bulk load runs beside the summaries).
    snapshot: &'a Transaction<'a>,
    tenant: &'a str,
    after: Option<&'a Pending>,
    known: &'a Known,
}

/// What the readers of one commit looked up once, for both.
#[derive(Default)]
struct Known {
    /// Whether a graph is the tenant's, as the registry says (a graph the
    /// commit creates is the committing tenant's).
    owned: RefCell<HashMap<GraphName, bool>>,
    /// Whether the store holds any statement with the term as subject, or
    /// as object. Most nodes a commit writes are new (a new record's
    /// policy, permissions, constraints): one lookup says so, and spares
    /// one per predicate asked.
    stored_subjects: RefCell<HashMap<NamedOrBlankNode, bool>>,
    stored_objects: RefCell<HashMap<Term, bool>>,
}

impl Reader<'_> {
    fn owns(&self, graph: &GraphName) -> Result<bool> {
        if let Some(&owned) = self.known.owned.borrow().get(graph) {
            return Ok(owned);
        }
        let owned = match graph {
            GraphName::NamedNode(g) if is_summary(g.as_str()) => false,
            // A graph the commit creates is the committing tenant's.
            _ if self.after.is_some_and(|p| p.created.contains(graph)) => true,
            GraphName::NamedNode(g) => {
                registered_tenant(self.snapshot, g.as_ref())?.is_some_and(|owner| owner == self.tenant)
            }
            _ => self.tenant == graphs::DEFAULT_TENANT,
        };
        self.known.owned.borrow_mut().insert(graph.clone(), owned);
        Ok(owned)
    }

    /// Whether the snapshot holds a statement of the pattern, looked up
    /// once per term and commit.
    fn stored<'s, K: Eq + std::hash::Hash>(
        known: &RefCell<HashMap<K, bool>>,
        key: K,
        pattern: impl FnOnce() -> oxigraph::store::QuadIter<'s>,
    ) -> Result<bool> {
        if let Some(&stored) = known.borrow().get(&key) {
            return Ok(stored);
        }
        let stored = pattern().next().transpose()?.is_some();
        known.borrow_mut().insert(key, stored);
        Ok(stored)
    }

    /// `part` of each statement matching in the snapshot (when `stored`)
    /// that the commit keeps, and of those it adds, each once.
    fn matching<T: Clone + Eq + std::hash::Hash>(
        &self,
        stored: Option<oxigraph::store::QuadIter<'_>>,
        part: impl Fn(Quad) -> (T, GraphName, Triple),
        added: Option<&Vec<(T, GraphName)>>,
    ) -> Result<Vec<T>> {
        let mut found = Vec::new();
        for quad in stored.into_iter().flatten() {
            let (value, graph, triple) = part(quad?);
            if self.owns(&graph)? && self.after.is_none_or(|pending| pending.keeps(&graph, triple)) {
                found.push(value);
            }
        }
        for (value, graph) in added.into_iter().flatten() {
            if self.owns(graph)? {
                found.push(value.clone());
            }
        }
        Ok(distinct(found))
    }
}

impl Statements for Reader<'_> {
    fn objects(&self, subject: NamedOrBlankNodeRef<'_>, predicate: NamedNodeRef<'_>) -> Result<Vec<Term>> {
        let any = || self.snapshot.quads_for_pattern(Some(subject), None, None, None);
        let stored = Self::stored(&self.known.stored_subjects, subject.into_owned(), any)?.then(|| {
            self.snapshot
                .quads_for_pattern(Some(subject), Some(predicate), None, None)
        });
        let added = self
            .after
            .and_then(|p| p.by_subject.get(&(subject.into_owned(), predicate.into_owned())));
        self.matching(
            stored,
            |q| {
                (
                    q.object.clone(),
                    q.graph_name,
                    Triple::new(q.subject, q.predicate, q.object),
                )
            },
            added,
        )
    }

    fn subjects(&self, predicate: NamedNodeRef<'_>, object: TermRef<'_>) -> Result<Vec<NamedOrBlankNode>> {
        let any = || self.snapshot.quads_for_pattern(None, None, Some(object), None);
        let stored = Self::stored(&self.known.stored_objects, object.into_owned(), any)?.then(|| {
            self.snapshot
                .quads_for_pattern(None, Some(predicate), Some(object), None)
        });
        let added = self
            .after
            .and_then(|p| p.by_object.get(&(predicate.into_owned(), object.into_owned())));
        self.matching(
            stored,
            |q| {
                (
                    q.subject.clone(),
                    q.graph_name,
                    Triple::new(q.subject, q.predicate, q.object),
                )
            },
            added,
        )
    }
}

/// The statements a summary reads: from the store (before or after a
/// commit), or loaded whole for a rebuild.
trait Statements {
    /// The objects of `subject predicate ?o`, each once.
    fn objects(&self, subject: NamedOrBlankNodeRef<'_>, predicate: NamedNodeRef<'_>) -> Result<Vec<Term>>;

    /// The subjects of `?s predicate object`, each once.
    fn subjects(&self, predicate: NamedNodeRef<'_>, object: TermRef<'_>) -> Result<Vec<NamedOrBlankNode>>;

    fn contribution(&self, subject: &NamedOrBlankNode, licence: bool, spend: bool) -> Result<Contribution> {
        let mut contribution = Contribution::default();
        if licence {
            contribution.licence_ends = self.licence_ends(subject.as_ref())?;
            if let Some(day) = contribution.licence_ends.as_ref().and_then(day_of) {
                contribution.tallies.push((
                    Key::LicencesEnding { day },
                    Measure {
                        count: 1,
                        sum: Decimal::default(),
                    },
                ));
            }
        }
        if spend {
            contribution.tallies.extend(self.purchases(subject.as_ref())?);
        }
        Ok(contribution)
    }

    /// The latest end of the licence terms of `asset`.
    fn licence_ends(&self, asset: NamedOrBlankNodeRef<'_>) -> Result<Option<Literal>> {
        let mut ends: Vec<Term> = self.objects(asset, ag::LICENSE_EXPIRES)?;
        if let NamedOrBlankNodeRef::NamedNode(asset) = asset {
            for policy in self.subjects(odrl::TARGET, asset.into())? {
                for permission in self.objects(policy.as_ref(), odrl::PERMISSION)? {
                    let Some(permission) = node(&permission) else { continue };
                    for constraint in self.objects(permission.as_ref(), odrl::CONSTRAINT)? {
                        let Some(constraint) = node(&constraint) else { continue };
                        if self.is_term_end(constraint.as_ref())? {
                            ends.extend(self.objects(constraint.as_ref(), odrl::RIGHT_OPERAND)?);
                        }
                    }
                }
            }
        }
        Ok(ends
            .into_iter()
            .filter_map(|t| match t {
                Term::Literal(l) => DateTime::from_str(l.value()).ok().map(|at| (at, l)),
                _ => None,
            })
            .max_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal))
            .map(|(_, l)| l))
    }

    /// Whether `constraint` is the end of a term: `odrl:dateTime odrl:lt`.
    fn is_term_end(&self, constraint: NamedOrBlankNodeRef<'_>) -> Result<bool> {
        Ok(self
            .objects(constraint, odrl::LEFT_OPERAND)?
            .contains(&odrl::DATE_TIME.into_owned().into())
            && self
                .objects(constraint, odrl::OPERATOR)?
                .contains(&odrl::LT.into_owned().into()))
    }

    /// What `subject`, if it is a purchase, adds to the spend tallies.
    fn purchases(&self, subject: NamedOrBlankNodeRef<'_>) -> Result<Vec<(Key, Measure)>> {
        let prices: Vec<Decimal> = self
            .objects(subject, ag::PRICE_EUR)?
            .iter()
            .filter_map(|t| match t {
                Term::Literal(l) => Decimal::from_str(l.value()).ok(),
                _ => None,
            })
            .collect();
        if prices.is_empty() {
            return Ok(Vec::new());
        }
        let sum = prices
            .into_iter()
            .try_fold(Decimal::default(), |total, price| total.checked_add(price))
            .unwrap_or_default();
        let mut dated = self.objects(subject, ag::PURCHASED_AT)?;
        if dated.is_empty() {
            dated = self.objects(subject, dcterms::CREATED)?;
        }
        let day = dated.iter().find_map(|t| match t {
            Term::Literal(l) => day_of(l),
            _ => None,
        });
        let providers = self.objects(subject, ag::PROVIDER)?;
        let providers: Vec<Option<String>> = if providers.is_empty() {
            vec![None]
        } else {
            providers
                .iter()
                .map(|t| match t {
                    Term::Literal(l) => Some(l.value().to_owned()),
                    other => Some(other.to_string()),
                })
                .collect()
        };
        Ok(providers
            .into_iter()
            .map(|provider| {
                let key = Key::Spend {
                    day: day.clone(),
                    provider,
                };
                (key, Measure { count: 1, sum })
            })
            .collect())
    }
}

/// The day (`YYYY-MM-DD`) of a dateTime or date literal, whatever its
/// text looks like; `None` for anything else, which counts as undated.
fn day_of(literal: &Literal) -> Option<String> {
    let (year, month, day) = if let Ok(at) = DateTime::from_str(literal.value()) {
        (at.year(), at.month(), at.day())
    } else {
        let date = oxsdatatypes::Date::from_str(literal.value()).ok()?;
        (date.year(), date.month(), date.day())
    };
    // xsd:date allows years of any length and sign; a tally's day is a
    // plain four-digit one.
    (0..=9999)
        .contains(&year)
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// Each item once, in the order first met (a statement may be in several graphs).
fn distinct<T: Clone + Eq + std::hash::Hash>(mut items: Vec<T>) -> Vec<T> {
    if items.len() > 1 {
        let mut seen = HashSet::new();
        items.retain(|t| seen.insert(t.clone()));
    }
    items
}

fn node(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}

/// The subjects whose contribution a commit may change: those of licence
/// terms (found up the chain of a changed constraint, permission or
/// policy) and those of purchases.
fn touched(
    changed: &[Triple],
    before: &Reader,
    after: &Reader,
) -> Result<(HashSet<NamedOrBlankNode>, HashSet<NamedOrBlankNode>)> {
    let (mut licensed, mut purchased) = (HashSet::new(), HashSet::new());
    let (mut constraints, mut permissions, mut policies) = (HashSet::new(), HashSet::new(), HashSet::new());
    let mut linked = Vec::new();
    for t in changed {
        let p = t.predicate.as_ref();
        if p == odrl::TARGET {
            if let Some(asset) = node(&t.object) {
                licensed.insert(asset);
            }
        } else if p == ag::LICENSE_EXPIRES {
            licensed.insert(t.subject.clone());
        } else if p == odrl::PERMISSION {
            policies.insert(t.subject.clone());
        } else if p == odrl::CONSTRAINT {
            if let Some(constraint) = node(&t.object) {
                linked.push((t.subject.clone(), constraint));
            }
        } else if ends_a_term(t) {
            constraints.insert(t.subject.clone());
        } else if [ag::PRICE_EUR, ag::PROVIDER, ag::PURCHASED_AT, dcterms::CREATED].contains(&p) {
            purchased.insert(t.subject.clone());
        }
    }
    // A constraint linked to or from a permission matters if it ends a term.
    for (permission, constraint) in linked {
        if before.is_term_end(constraint.as_ref())? || after.is_term_end(constraint.as_ref())? {
            permissions.insert(permission);
        }
    }
    // Up the chain, in the store as it was and as it will be: a link the
    // commit removes leads to the asset that loses the term.
    for reader in [before, after] {
        for constraint in &constraints {
            if reader.is_term_end(constraint.as_ref())? {
                permissions.extend(reader.subjects(odrl::CONSTRAINT, constraint.as_ref().into())?);
            }
        }
    }
    for reader in [before, after] {
        for permission in &permissions {
            policies.extend(reader.subjects(odrl::PERMISSION, permission.as_ref().into())?);
        }
    }
    for reader in [before, after] {
        for policy in &policies {
            licensed.extend(reader.objects(policy.as_ref(), odrl::TARGET)?.iter().filter_map(node));
        }
    }
    Ok((licensed, purchased))
}

/// Whether a statement about a constraint can make it, or stop it
/// being, the end of a term: its `odrl:dateTime` operand, its `odrl:lt`
/// operator, or a date as its value. Other constraints (territories,
/// channels) are passed over without a lookup.
fn ends_a_term(t: &Triple) -> bool {
    let p = t.predicate.as_ref();
    (p == odrl::LEFT_OPERAND && t.object == odrl::DATE_TIME.into_owned().into())
        || (p == odrl::OPERATOR && t.object == odrl::LT.into_owned().into())
        || (p == odrl::RIGHT_OPERAND && matches!(&t.object, Term::Literal(l) if DateTime::from_str(l.value()).is_ok()))
}

/// What a commit changes in the summary graph of its tenant.
pub(super) struct SummaryChange {
    pub(super) graph: NamedNode,
    pub(super) created: bool,
    pub(super) added: Vec<Triple>,
    pub(super) removed: Vec<Triple>,
}

/// What a commit's deltas hold that the summaries read, taken before the
/// deltas go to the store.
pub(super) struct Prepared {
    pending: Pending,
    /// The statements added and removed, of the predicates read.
    changed: Vec<Triple>,
}

/// What of `deltas` the summaries read; `None` when they read nothing of it.
pub(super) fn prepare(deltas: &[Delta]) -> Option<Prepared> {
    let changed: Vec<Triple> = deltas
        .iter()
        .flat_map(|d| d.added.iter().chain(&d.removed))
        .filter(|t| read(t))
        .cloned()
        .collect();
    (!changed.is_empty()).then(|| Prepared {
        pending: Pending::new(deltas),
        changed,
    })
}

/// The summary change that goes with a commit for `tenant`, if it changes
/// anything; `snapshot` shows the store as it is before the commit.
pub(super) fn update(snapshot: &Transaction<'_>, tenant: &str, prepared: &Prepared) -> Result<Option<SummaryChange>> {
    let known = Known::default();
    let before = Reader {
        snapshot,
        tenant,
        after: None,
        known: &known,
    };
    let after = Reader {
        snapshot,
        tenant,
        after: Some(&prepared.pending),
        known: &known,
    };
    let (licensed, purchased) = touched(&prepared.changed, &before, &after)?;
    let mut facts = Vec::new();
    let mut tallies: HashMap<Key, Measure> = HashMap::new();
    for subject in licensed.union(&purchased) {
        let (licence, spend) = (licensed.contains(subject), purchased.contains(subject));
        let old = before.contribution(subject, licence, spend)?;
        let new = after.contribution(subject, licence, spend)?;
        if old == new {
            continue;
        }
        if old.licence_ends != new.licence_ends {
            facts.push((subject.clone(), old.licence_ends, new.licence_ends));
        }
        for (key, m) in old.tallies {
            tallies.entry(key).or_default().subtract(&m);
        }
        for (key, m) in new.tallies {
            tallies.entry(key).or_default().add(&m);
        }
    }
    let graph = self::graph(tenant);
    let mut change = SummaryChange {
        created: !snapshot.contains_named_graph(&graph)?,
        graph: graph.clone(),
        added: Vec::new(),
        removed: Vec::new(),
    };
    for (subject, old, new) in facts {
        if let Some(old) = old {
            change.removed.push(Triple::new(subject.clone(), ag::LICENCE_ENDS, old));
        }
        if let Some(new) = new {
            change.added.push(Triple::new(subject, ag::LICENCE_ENDS, new));
        }
    }
    for (key, difference) in tallies {
        if difference != Measure::default() {
            adjust(snapshot, tenant, &graph, &key, &difference, &mut change)?;
        }
    }
    Ok((!change.added.is_empty() || !change.removed.is_empty()).then_some(change))
}

impl Measure {
    fn add(&mut self, other: &Measure) {
        self.count += other.count;
        self.sum = self.sum.checked_add(other.sum).unwrap_or(self.sum);
    }

    fn subtract(&mut self, other: &Measure) {
        self.count -= other.count;
        self.sum = self.sum.checked_sub(other.sum).unwrap_or(self.sum);
    }
}

/// Adds `difference` to the stored tally of `key`: its node described
/// when it first counts something, removed when it counts nothing.
fn adjust(
    snapshot: &Transaction<'_>,
    tenant: &str,
    graph: &NamedNode,
    key: &Key,
    difference: &Measure,
    change: &mut SummaryChange,
) -> Result<()> {
    let node = key.node(tenant);
    let (count_predicate, sum_predicate) = key.measures();
    let stored = |predicate: NamedNodeRef<'_>| -> Result<Option<Literal>> {
        let quad = snapshot
            .quads_for_pattern(
                Some(node.as_ref().into()),
                Some(predicate),
                None,
                Some(graph.as_ref().into()),
            )
            .next()
            .transpose()?;
        Ok(quad.and_then(|q| match q.object {
            Term::Literal(l) => Some(l),
            _ => None,
        }))
    };
    let old_count = stored(count_predicate)?;
    let old_sum = sum_predicate.map(stored).transpose()?.flatten();
    let old = Measure {
        count: old_count.as_ref().and_then(|l| l.value().parse().ok()).unwrap_or(0),
        sum: old_sum
            .as_ref()
            .and_then(|l| Decimal::from_str(l.value()).ok())
            .unwrap_or_default(),
    };
    let mut total = old.clone();
    total.add(difference);
    if let Some(old) = old_count {
        change.removed.push(Triple::new(node.clone(), count_predicate, old));
    }
    if let (Some(old), Some(p)) = (old_sum, sum_predicate) {
        change.removed.push(Triple::new(node.clone(), p, old));
    }
    let (counted, was_counted) = (total.count > 0, old.count > 0);
    if counted {
        change
            .added
            .push(Triple::new(node.clone(), count_predicate, Literal::from(total.count)));
        if let Some(p) = sum_predicate {
            change.added.push(Triple::new(
                node.clone(),
                p,
                Literal::new_typed_literal(total.sum.to_string(), xsd::DECIMAL),
            ));
        }
    }
    if counted != was_counted {
        let description = key.description(&node);
        if counted {
            change.added.extend(description);
        } else {
            change.removed.extend(description);
        }
    }
    Ok(())
}

/// The registry statements saying the summaries are current at `generation`.
pub(super) fn marker(generation: u64) -> Quad {
    Quad::new(
        NamedNode::new_unchecked(MARKER),
        ag::SUMMARIES_AT,
        Literal::new_simple_literal(format!("{VERSION}/{generation}")),
        NamedNode::new_unchecked(graphs::REGISTRY),
    )
}

/// The marker statements stored now.
pub(super) fn stored_markers(store: &Store) -> Result<Vec<Quad>> {
    let registry = NamedNodeRef::new_unchecked(graphs::REGISTRY);
    Ok(store
        .db
        .quads_for_pattern(
            Some(NamedNodeRef::new_unchecked(MARKER).into()),
            Some(ag::SUMMARIES_AT),
            None,
            Some(registry.into()),
        )
        .collect::<std::result::Result<_, _>>()?)
}

/// Whether the summaries are current at the store's generation, as built
/// by this version.
pub(super) fn current(store: &Store) -> Result<bool> {
    let expected = marker(store.generation()).object;
    Ok(stored_markers(store)?.iter().any(|q| q.object == expected))
}

/// Builds every tenant's summary again from the records: for a store
/// written before summaries existed, by another version, or left behind by
/// a crash between a bulk load and its summaries; current at `generation`.
/// The caller holds the writer lock. The marker is written last, so an interrupted rebuild is
/// begun again at the next start.
pub(super) fn rebuild(store: &Store, generation: u64) -> Result<()> {
    let started = std::time::Instant::now();
    tracing::info!("building the report summaries: reading the records");
    let loaded = Loaded::read(store)?;
    let total: usize = loaded.values().map(|l| l.wanted.len()).sum();
    tracing::info!(
        subjects = total,
        ms = started.elapsed().as_millis() as u64,
        "building the report summaries"
    );
    let mut tx = store.db.start_transaction()?;
    for graph in store.db.named_graphs() {
        if let NamedOrBlankNode::NamedNode(g) = graph? {
            if is_summary(g.as_str()) {
                tx.remove_named_graph(&g)?;
            }
        }
    }
    tx.commit()?;
    let mut quads = Vec::new();
    for (tenant, statements) in &loaded {
        let graph = self::graph(tenant);
        let mut tallies: HashMap<Key, Measure> = HashMap::new();
        for (subject, &(licence, spend)) in &statements.wanted {
            let contribution = statements.contribution(subject, licence, spend)?;
            if let Some(ends) = contribution.licence_ends {
                quads.push(Quad::new(subject.clone(), ag::LICENCE_ENDS, ends, graph.clone()));
            }
            for (key, m) in contribution.tallies {
                tallies.entry(key).or_default().add(&m);
            }
        }
        for (key, m) in tallies.into_iter().filter(|(_, m)| m.count > 0) {
            let node = key.node(tenant);
            let (count, sum) = key.measures();
            quads.push(Quad::new(node.clone(), count, Literal::from(m.count), graph.clone()));
            if let Some(sum) = sum {
                let value = Literal::new_typed_literal(m.sum.to_string(), xsd::DECIMAL);
                quads.push(Quad::new(node.clone(), sum, value, graph.clone()));
            }
            quads.extend(key.description(&node).into_iter().map(|t| t.in_graph(graph.clone())));
        }
        quads.extend(super::write::registration(&graph, KIND, tenant));
    }
    drop(loaded);
    let mut loader = store.db.bulk_loader();
    loader.load_quads(quads)?;
    loader.commit()?;
    let mut tx = store.db.start_transaction()?;
    for old in stored_markers(store)? {
        tx.remove(&old);
    }
    tx.insert(&marker(generation));
    tx.commit()?;
    tracing::info!(
        subjects = total,
        ms = started.elapsed().as_millis() as u64,
        "report summaries built"
    );
    Ok(())
}

/// The statements of one tenant that the summaries read, loaded whole by
/// scanning each predicate once: a rebuild reads every record, and a scan
/// costs far less than a lookup per statement.
#[derive(Default)]
struct Loaded {
    by_subject: HashMap<(NamedOrBlankNode, NamedNode), Vec<Term>>,
    by_object: HashMap<(NamedNode, Term), Vec<NamedOrBlankNode>>,
    /// The subjects to summarise, and whether their licence and their
    /// purchase are read.
    wanted: HashMap<NamedOrBlankNode, (bool, bool)>,
}

impl Statements for Loaded {
    fn objects(&self, subject: NamedOrBlankNodeRef<'_>, predicate: NamedNodeRef<'_>) -> Result<Vec<Term>> {
        let key = (subject.into_owned(), predicate.into_owned());
        Ok(distinct(self.by_subject.get(&key).cloned().unwrap_or_default()))
    }

    fn subjects(&self, predicate: NamedNodeRef<'_>, object: TermRef<'_>) -> Result<Vec<NamedOrBlankNode>> {
        let key = (predicate.into_owned(), object.into_owned());
        Ok(distinct(self.by_object.get(&key).cloned().unwrap_or_default()))
    }
}

impl Loaded {
    /// What each tenant's summary is made of. Only the constraints that
    /// end a term are kept, and of the subjects only those that are
    /// purchases have their provider and dates read.
    fn read(store: &Store) -> Result<HashMap<String, Loaded>> {
        let owners = registered_tenants(store)?;
        let tenant_of = |graph: &GraphName| -> Option<String> {
            match graph {
                GraphName::NamedNode(g) if is_summary(g.as_str()) => None,
                GraphName::NamedNode(g) => owners.get(g.as_str()).cloned(),
                _ => Some(graphs::DEFAULT_TENANT.to_owned()),
            }
        };
        let scan = |predicate: NamedNodeRef<'_>,
                    object: Option<TermRef<'_>>,
                    each: &mut dyn FnMut(String, Quad)|
         -> Result<()> {
            for quad in store.db.quads_for_pattern(None, Some(predicate), object, None) {
                let quad = quad?;
                if let Some(tenant) = tenant_of(&quad.graph_name) {
                    each(tenant, quad);
                }
            }
            Ok(())
        };
        let mut loaded: HashMap<String, Loaded> = HashMap::new();
        // The constraints that end a term, per tenant.
        let mut dated = HashSet::new();
        scan(odrl::LEFT_OPERAND, Some(odrl::DATE_TIME.into()), &mut |t, q| {
            dated.insert((t, q.subject));
        })?;
        let mut ends = HashSet::new();
        scan(odrl::OPERATOR, Some(odrl::LT.into()), &mut |t, q| {
            let key = (t, q.subject);
            if dated.contains(&key) {
                ends.insert(key);
            }
        })?;
        drop(dated);
        for (tenant, constraint) in &ends {
            let statements = loaded.entry(tenant.clone()).or_default();
            for (p, o) in [(odrl::LEFT_OPERAND, odrl::DATE_TIME), (odrl::OPERATOR, odrl::LT)] {
                statements
                    .by_subject
                    .insert((constraint.clone(), p.into_owned()), vec![o.into_owned().into()]);
            }
        }
        // The licences and the purchases read different predicates: read
        // on two threads, then put together.
        let (licences, purchases) = std::thread::scope(|threads| {
            let purchases = threads.spawn(|| Loaded::purchases(&scan));
            let licences = Loaded::licences(&scan, &ends);
            let purchases = purchases
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (licences, purchases)
        });
        for part in [licences?, purchases?] {
            for (tenant, statements) in part {
                loaded.entry(tenant).or_default().merge(statements);
            }
        }
        Ok(loaded)
    }
}

/// Reads every statement of a predicate (of an object, when given) in the
/// graphs of a tenant, with the tenant's name.
type Scan<'a> = dyn Fn(NamedNodeRef<'_>, Option<TermRef<'_>>, &mut dyn FnMut(String, Quad)) -> Result<()> + Sync + 'a;

impl Loaded {
    /// Puts in what another part of the reading found (other predicates).
    fn merge(&mut self, other: Loaded) {
        self.by_subject.extend(other.by_subject);
        self.by_object.extend(other.by_object);
        for (subject, (licence, spend)) in other.wanted {
            let wanted = self.wanted.entry(subject).or_default();
            wanted.0 |= licence;
            wanted.1 |= spend;
        }
    }

    /// The policies, their permissions, the constraints among `ends` and
    /// their values, and the `ag:licenseExpires`: every licensed asset.
    fn licences(scan: &Scan<'_>, ends: &HashSet<(String, NamedOrBlankNode)>) -> Result<HashMap<String, Loaded>> {
        let mut loaded: HashMap<String, Loaded> = HashMap::new();
        let mut add = |tenant: String, quad: Quad| loaded.entry(tenant).or_default().add(quad);
        scan(odrl::RIGHT_OPERAND, None, &mut |t, q| {
            if ends.contains(&(t.clone(), q.subject.clone())) {
                add(t, q);
            }
        })?;
        scan(odrl::CONSTRAINT, None, &mut |t, q| {
            if node(&q.object).is_some_and(|c| ends.contains(&(t.clone(), c))) {
                add(t, q);
            }
        })?;
        scan(odrl::PERMISSION, None, &mut |t, q| add(t, q))?;
        scan(ag::LICENSE_EXPIRES, None, &mut |t, q| {
            loaded
                .entry(t.clone())
                .or_default()
                .wanted
                .entry(q.subject.clone())
                .or_default()
                .0 = true;
            loaded.entry(t).or_default().add(q);
        })?;
        scan(odrl::TARGET, None, &mut |t, q| {
            let Some(asset) = node(&q.object) else { return };
            let statements = loaded.entry(t).or_default();
            statements.wanted.entry(asset).or_default().0 = true;
            statements
                .by_object
                .entry((q.predicate, q.object))
                .or_default()
                .push(q.subject);
        })?;
        Ok(loaded)
    }

    /// The prices, and the providers and dates of what has a price: every purchase.
    fn purchases(scan: &Scan<'_>) -> Result<HashMap<String, Loaded>> {
        let mut loaded: HashMap<String, Loaded> = HashMap::new();
        let mut purchases = HashSet::new();
        scan(ag::PRICE_EUR, None, &mut |t, q| {
            purchases.insert((t.clone(), q.subject.clone()));
            let statements = loaded.entry(t).or_default();
            statements.wanted.entry(q.subject.clone()).or_default().1 = true;
            statements.add(q);
        })?;
        for predicate in [ag::PROVIDER, ag::PURCHASED_AT, dcterms::CREATED] {
            scan(predicate, None, &mut |t, q| {
                if purchases.contains(&(t.clone(), q.subject.clone())) {
                    loaded.entry(t).or_default().add(q);
                }
            })?;
        }
        Ok(loaded)
    }

    fn add(&mut self, quad: Quad) {
        self.by_subject
            .entry((quad.subject, quad.predicate))
            .or_default()
            .push(quad.object);
    }
}

/// The tenant the registry records for `graph`, as of the snapshot.
fn registered_tenant(snapshot: &Transaction<'_>, graph: NamedNodeRef<'_>) -> Result<Option<String>> {
    let registry = NamedNodeRef::new_unchecked(graphs::REGISTRY);
    let prefix = graphs::tenant("");
    let found = snapshot
        .quads_for_pattern(Some(graph.into()), Some(ag::TENANT), None, Some(registry.into()))
        .next()
        .transpose()?;
    Ok(found.and_then(|quad| match quad.object {
        Term::NamedNode(t) => t.as_str().strip_prefix(prefix.as_str()).map(str::to_owned),
        _ => None,
    }))
}

/// The tenant of every graph the registry knows, in one scan.
fn registered_tenants(store: &Store) -> Result<HashMap<String, String>> {
    let registry = NamedNodeRef::new_unchecked(graphs::REGISTRY);
    let prefix = graphs::tenant("");
    let mut owners = HashMap::new();
    for quad in store
        .db
        .quads_for_pattern(None, Some(ag::TENANT), None, Some(registry.into()))
    {
        let quad = quad?;
        if let (NamedOrBlankNode::NamedNode(g), Term::NamedNode(t)) = (quad.subject, quad.object) {
            if let Some(tenant) = t.as_str().strip_prefix(prefix.as_str()) {
                owners.insert(g.into_string(), tenant.to_owned());
            }
        }
    }
    Ok(owners)
}

/// Whether the store holds anything a summary is made of.
pub(super) fn has_sources(store: &Store) -> Result<bool> {
    for predicate in [odrl::TARGET, ag::LICENSE_EXPIRES, ag::PRICE_EUR] {
        if store
            .db
            .quads_for_pattern(None, Some(predicate), None, None)
            .next()
            .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

//! Search inside SPARQL: `SERVICE ag:search { … }` answers with the hits
//! of the concept-aware search, to join with the graph.
//!
//! ```sparql
//! PREFIX ag: <https://w3id.org/assetgraph/ns#>
//! SELECT ?asset ?score ?concept WHERE {
//!   SERVICE ag:search {
//!     [] ag:query "sustainable packaging" ; ag:lang "en" ; ag:limit 200 ;
//!        ag:territory "DE" ; ag:channel "web" ;
//!        ag:asset ?asset ; ag:score ?score ; ag:rank ?rank ; ag:matchedConcept ?concept
//!   }
//! }
//! ```
//!
//! Inputs are literals: `ag:query` (required), `ag:lang`, `ag:limit`
//! (default 100, at most 10,000), and a rights context (`ag:at`,
//! `ag:territory`, `ag:channel`, `ag:usage`, `ag:audience`, `ag:industry`,
//! `ag:language`) that keeps only the assets cleared for it, as
//! `/api/search` does. Outputs are variables: `ag:asset` (the asset's IRI,
//! which also names its graph), `ag:score`, `ag:rank` (1 for the best hit)
//! and `ag:matchedConcept` — one row per concept a hit matched through, or
//! one row with it unbound when the hit matched by its text alone.
//!
//! The pattern inside the `SERVICE` is read as written: inputs cannot come
//! from variables bound outside it (the service runs before the join).
//!
//! The function `ag:cleared(?asset, "territory", "DE", "channel", "web", …)`
//! says whether an asset is cleared for a rights context given as name and
//! value pairs (`at` defaults to now), by the same rights the search uses:
//! `FILTER(ag:cleared(?asset, "territory", "DE"))`.

use crate::index::{SearchIndex, SearchRequest};
use crate::vocab::AG;
use oxigraph::model::{Literal, NamedNode, Term, Variable};
use oxigraph::sparql::{QueryEvaluationError, QuerySolutionIter, ServiceHandler};
use spargebra::algebra::GraphPattern;
use spargebra::term::{NamedNodePattern, TermPattern};
use std::collections::HashMap;
use std::sync::Arc;

/// The function IRI: `ag:cleared`.
pub(crate) fn cleared_function_name() -> NamedNode {
    NamedNode::new_unchecked(format!("{AG}cleared"))
}

/// `ag:cleared(asset, name, value, …)`: true or false, or unbound (an
/// error in SPARQL terms) for arguments that name no asset or no context.
pub(crate) fn cleared(index: &SearchIndex, args: &[Term]) -> Option<Term> {
    let (Term::NamedNode(asset), pairs) = args.split_first()? else {
        return None;
    };
    if pairs.len() % 2 != 0 {
        return None;
    }
    let mut context = HashMap::new();
    for pair in pairs.chunks(2) {
        let (Term::Literal(name), Term::Literal(value)) = (&pair[0], &pair[1]) else {
            return None;
        };
        context.insert(name.value().to_owned(), value.value().to_owned());
    }
    let context = crate::rights::context_from(&context).ok()?;
    Some(Literal::from(index.is_cleared(asset.as_str(), &context)).into())
}

/// The service IRI: `ag:search`.
pub(crate) fn service_name() -> NamedNode {
    NamedNode::new_unchecked(format!("{AG}search"))
}

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;
/// The context a call may give: a moment, and a value per clearance
/// dimension, by name.
fn context_names() -> impl Iterator<Item = &'static str> {
    std::iter::once("at").chain(crate::rights::DIMENSIONS.iter().map(|d| d.name()))
}

pub(crate) struct SearchService {
    pub index: Arc<SearchIndex>,
    /// The tenants whose assets it finds (`None`: every tenant's).
    pub tenants: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
#[error("SERVICE ag:search: {0}")]
pub(crate) struct ServiceError(String);

/// What the pattern asks for.
#[derive(Default)]
struct Call {
    query: Option<String>,
    lang: Option<String>,
    limit: Option<usize>,
    context: HashMap<String, String>,
    asset: Option<Variable>,
    score: Option<Variable>,
    rank: Option<Variable>,
    concept: Option<Variable>,
}

impl ServiceHandler for SearchService {
    type Error = ServiceError;

    fn handle(
        &self,
        pattern: &GraphPattern,
        _base_iri: Option<&oxiri::Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, ServiceError> {
        let call = Call::read(pattern)?;
        let mut request = SearchRequest {
            q: call
                .query
                .clone()
                .ok_or_else(|| ServiceError("say what to search for: [] ag:query \"sustainable packaging\"".into()))?,
            lang: call.lang.clone(),
            limit: call.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
            facet_limit: 0,
            tenants: self.tenants.clone(),
            ..SearchRequest::default()
        };
        if !call.context.is_empty() {
            request.context =
                Some(crate::rights::context_from(&call.context).map_err(|e| ServiceError(e.to_string()))?);
        }
        let answer = self.index.search(&request).map_err(|e| ServiceError(e.to_string()))?;
        let variables: Vec<Variable> = [&call.asset, &call.score, &call.rank, &call.concept]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let mut rows: Vec<Result<Vec<Option<Term>>, QueryEvaluationError>> = Vec::new();
        for (rank, hit) in answer.hits.iter().enumerate() {
            let row = |concept: Option<&String>| {
                let mut row = Vec::with_capacity(variables.len());
                if call.asset.is_some() {
                    row.push(Some(NamedNode::new_unchecked(hit.iri.as_str()).into()));
                }
                if call.score.is_some() {
                    row.push(Some(Literal::from(hit.score).into()));
                }
                if call.rank.is_some() {
                    row.push(Some(Literal::from(rank as i64 + 1).into()));
                }
                if call.concept.is_some() {
                    row.push(concept.map(|c| NamedNode::new_unchecked(c.as_str()).into()));
                }
                Ok(row)
            };
            if call.concept.is_some() && !hit.concepts.is_empty() {
                rows.extend(hit.concepts.iter().map(|c| row(Some(&c.iri))));
            } else {
                rows.push(row(None));
            }
        }
        Ok(QuerySolutionIter::from_tuples(variables.into(), rows))
    }
}

impl Call {
    fn read(pattern: &GraphPattern) -> Result<Self, ServiceError> {
        let GraphPattern::Bgp { patterns } = pattern else {
            return Err(ServiceError(
                "the pattern must be plain triples about one hit: [] ag:query \"…\" ; ag:asset ?asset".into(),
            ));
        };
        let mut call = Call::default();
        for triple in patterns {
            let NamedNodePattern::NamedNode(p) = &triple.predicate else {
                return Err(ServiceError("predicates must be ag: terms, not variables".into()));
            };
            let Some(name) = p.as_str().strip_prefix(AG) else {
                return Err(ServiceError(format!("<{}> is not an ag: term", p.as_str())));
            };
            match (name, &triple.object) {
                ("asset", TermPattern::Variable(v)) => call.asset = Some(v.clone()),
                ("score", TermPattern::Variable(v)) => call.score = Some(v.clone()),
                ("rank", TermPattern::Variable(v)) => call.rank = Some(v.clone()),
                ("matchedConcept", TermPattern::Variable(v)) => call.concept = Some(v.clone()),
                ("query", TermPattern::Literal(l)) => call.query = Some(l.value().to_owned()),
                ("lang", TermPattern::Literal(l)) => call.lang = Some(l.value().to_owned()),
                ("limit", TermPattern::Literal(l)) => {
                    call.limit =
                        Some(l.value().parse().map_err(|_| {
                            ServiceError(format!("ag:limit must be a whole number, not '{}'", l.value()))
                        })?)
                }
                (name, TermPattern::Literal(l)) if context_names().any(|n| n == name) => {
                    call.context.insert(name.to_owned(), l.value().to_owned());
                }
                (name, _) => {
                    return Err(ServiceError(format!(
                        "ag:{name} is not understood here: inputs are ag:query, ag:lang, ag:limit and {} (literals); \
                         outputs are ag:asset, ag:score, ag:rank and ag:matchedConcept (variables)",
                        context_names()
                            .map(|n| format!("ag:{n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        }
        Ok(call)
    }
}

//! Stopping a query that runs too long, holds too much, or is no longer
//! wanted — whatever operators it uses.
//!
//! oxigraph checks its cancellation token only where it reads the store.
//! That stops scans, but not the work that happens in memory between two
//! reads: a hash join's cross product, the rows a `COUNT(*)` or an `ORDER
//! BY` pulls from it. A three-way cross product on a few thousand triples
//! makes billions of rows without reading the store again.
//!
//! So a query also gets **checkpoints**: before evaluation, the root of
//! every join tree (a basic graph pattern of several triples is one), every
//! `OPTIONAL`, `MINUS` and property path is wrapped in
//! `BIND(<checkpoint>() AS ?fresh)`, a function of ours that binds nothing
//! and costs one atomic read per row. Every row any of those produce passes
//! through one. When the query is to stop, the checkpoint unwinds the
//! evaluation out to the worker that runs it ([`super::worker`]), which
//! answers with the [`Reason`]. Joins nested in a join tree are left as
//! they are, so that the optimiser still orders the whole tree.
//!
//! The fresh variable is never projected: `SELECT *` is expanded to the
//! query's own variables when it is parsed, before the checkpoints exist.

use oxigraph::model::{NamedNode, Term};
use oxigraph::sparql::CancellationToken;
use spargebra::algebra::{Expression, Function, GraphPattern};
use spargebra::term::Variable;
use spargebra::{GraphUpdateOperation, Query, Update};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// Why a query was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// It ran past its time limit.
    Timeout,
    /// It held more memory than its budget.
    Memory,
    /// Whoever asked went away.
    Abandoned,
    /// The service is shutting down.
    Shutdown,
}

impl Reason {
    fn code(self) -> u8 {
        match self {
            Reason::Timeout => 1,
            Reason::Memory => 2,
            Reason::Abandoned => 3,
            Reason::Shutdown => 4,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Reason::Timeout),
            2 => Some(Reason::Memory),
            3 => Some(Reason::Abandoned),
            4 => Some(Reason::Shutdown),
            _ => None,
        }
    }
}

/// A query's off switch: its cancellation token (for oxigraph's scans)
/// and the reason it was stopped (the first one given wins).
#[derive(Clone, Default)]
pub struct Stop {
    token: CancellationToken,
    reason: Arc<AtomicU8>,
}

impl Stop {
    pub fn new() -> Self {
        Stop::default()
    }

    /// Stops the query, unless it was already stopped for another reason.
    pub fn stop(&self, reason: Reason) {
        let _ = self
            .reason
            .compare_exchange(0, reason.code(), Ordering::AcqRel, Ordering::Acquire);
        self.token.cancel();
    }

    pub fn reason(&self) -> Option<Reason> {
        Reason::from_code(self.reason.load(Ordering::Acquire))
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    /// The token oxigraph checks while it reads the store.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// The checkpoint function: binds nothing, and unwinds the evaluation
    /// once the query is stopped.
    pub(super) fn checkpoint(&self) -> impl Fn(&[Term]) -> Option<Term> + Send + Sync + 'static {
        let stop = self.clone();
        move |_| {
            if stop.is_stopped() {
                std::panic::resume_unwind(Box::new(Stopped));
            }
            None
        }
    }
}

/// What a checkpoint unwinds with; the worker catches it.
pub(super) struct Stopped;

/// Runs an evaluation, turning a checkpoint's unwinding into an error:
/// for evaluations inside a write, which must return, not unwind, through
/// the writer lock. Other panics go on unwinding.
pub(super) fn catching<T>(evaluate: impl FnOnce() -> crate::Result<T>) -> crate::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(evaluate)) {
        Ok(result) => result,
        Err(payload) if payload.is::<Stopped>() => Err(crate::Error::Query {
            message: super::query::CANCELLED.into(),
            position: None,
        }),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// The IRI of the checkpoint function, outside any namespace a user writes.
pub(super) fn checkpoint_name() -> NamedNode {
    NamedNode::new_unchecked("urn:assetgraph:checkpoint")
}

/// Adds checkpoints to a query's pattern.
pub(super) fn add_to_query(query: &mut Query, text: &str) {
    let pattern = match query {
        Query::Select { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. }
        | Query::Ask { pattern, .. } => pattern,
    };
    Checkpoints::new(text).add(pattern, false);
}

/// Adds checkpoints to the `WHERE` clause of each operation of an update.
pub(super) fn add_to_update(update: &mut Update, text: &str) {
    let mut checkpoints = Checkpoints::new(text);
    for operation in &mut update.operations {
        if let GraphUpdateOperation::DeleteInsert { pattern, .. } = operation {
            checkpoints.add(pattern, false);
        }
    }
}

/// Whether evaluating the pattern reads the store.
fn reads_store(pattern: &GraphPattern) -> bool {
    match pattern {
        GraphPattern::Bgp { patterns } => !patterns.is_empty(),
        GraphPattern::Values { .. } => false,
        GraphPattern::Join { left, right }
        | GraphPattern::LeftJoin { left, right, .. }
        | GraphPattern::Lateral { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right } => reads_store(left) || reads_store(right),
        GraphPattern::Filter { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. } => reads_store(inner),
        GraphPattern::Path { .. } | GraphPattern::Graph { .. } | GraphPattern::Service { .. } => true,
    }
}

struct Checkpoints {
    /// Fresh variables are named `{prefix}{n}`, a prefix the query text
    /// does not contain.
    prefix: String,
    next: usize,
}

impl Checkpoints {
    fn new(text: &str) -> Self {
        let mut prefix = "agcheckpoint".to_owned();
        while text.contains(&prefix) {
            prefix.push('x');
        }
        Checkpoints { prefix, next: 0 }
    }

    fn add(&mut self, pattern: &mut GraphPattern, in_join: bool) {
        let wrap = match pattern {
            GraphPattern::Join { left, right } => {
                // A product of two sides held in memory (VALUES, BINDs) is
                // built without a store read: it gets its own checkpoint,
                // even inside a join tree.
                let in_memory = !reads_store(left) && !reads_store(right);
                self.add(left, true);
                self.add(right, true);
                !in_join || in_memory
            }
            GraphPattern::LeftJoin {
                left,
                right,
                expression,
            } => {
                self.add(left, false);
                self.add(right, false);
                if let Some(expression) = expression {
                    self.add_in_expression(expression);
                }
                true
            }
            GraphPattern::Minus { left, right }
            | GraphPattern::Lateral { left, right }
            | GraphPattern::Union { left, right } => {
                self.add(left, false);
                self.add(right, false);
                !matches!(pattern, GraphPattern::Union { .. })
            }
            GraphPattern::Path { .. } => true,
            GraphPattern::Filter { expr, inner } => {
                self.add_in_expression(expr);
                self.add(inner, false);
                false
            }
            GraphPattern::Extend { inner, expression, .. } => {
                self.add_in_expression(expression);
                self.add(inner, false);
                false
            }
            GraphPattern::Graph { inner, .. }
            | GraphPattern::OrderBy { inner, .. }
            | GraphPattern::Project { inner, .. }
            | GraphPattern::Distinct { inner }
            | GraphPattern::Reduced { inner }
            | GraphPattern::Slice { inner, .. }
            | GraphPattern::Group { inner, .. } => {
                self.add(inner, false);
                false
            }
            // Evaluated by its service handler (`ag:search`), which reads
            // the pattern as it was written.
            GraphPattern::Service { .. } => false,
            // A basic graph pattern of several triples is a join tree of
            // its own once optimised.
            GraphPattern::Bgp { patterns } => patterns.len() > 1 && !in_join,
            GraphPattern::Values { .. } => false,
        };
        if wrap {
            let inner = std::mem::replace(pattern, GraphPattern::Bgp { patterns: Vec::new() });
            *pattern = GraphPattern::Extend {
                inner: Box::new(inner),
                variable: self.fresh(),
                expression: Expression::FunctionCall(Function::Custom(checkpoint_name()), Vec::new()),
            };
        }
    }

    /// `EXISTS` and `NOT EXISTS` hold patterns of their own.
    fn add_in_expression(&mut self, expression: &mut Expression) {
        match expression {
            Expression::Exists(pattern) => self.add(pattern, false),
            binary_expression!(a, b) => {
                self.add_in_expression(a);
                self.add_in_expression(b);
            }
            Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => self.add_in_expression(a),
            Expression::If(a, b, c) => {
                self.add_in_expression(a);
                self.add_in_expression(b);
                self.add_in_expression(c);
            }
            Expression::In(a, list) => {
                self.add_in_expression(a);
                list.iter_mut().for_each(|e| self.add_in_expression(e));
            }
            Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
                list.iter_mut().for_each(|e| self.add_in_expression(e))
            }
            Expression::NamedNode(_) | Expression::Literal(_) | Expression::Variable(_) | Expression::Bound(_) => {}
        }
    }

    fn fresh(&mut self) -> Variable {
        self.next += 1;
        Variable::new_unchecked(format!("{}{}", self.prefix, self.next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpointed(text: &str) -> String {
        let mut query = spargebra::SparqlParser::new().parse_query(text).unwrap();
        add_to_query(&mut query, text);
        query.to_string()
    }

    #[test]
    fn a_join_tree_gets_one_checkpoint_at_its_root() {
        let text = checkpointed("SELECT * { ?a ?b ?c . OPTIONAL { ?a ?e ?f } ?a ?g ?h FILTER(?c != 1) }");
        assert_eq!(text.matches("urn:assetgraph:checkpoint").count(), 2, "{text}");
    }

    #[test]
    fn a_basic_graph_pattern_is_a_join_tree() {
        let text = checkpointed("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }");
        assert_eq!(text.matches("urn:assetgraph:checkpoint").count(), 1, "{text}");
        let text = checkpointed("SELECT * { ?a ?b ?c }");
        assert_eq!(text.matches("urn:assetgraph:checkpoint").count(), 0, "{text}");
    }

    #[test]
    fn a_product_of_values_inside_a_join_tree_gets_its_own() {
        let text = checkpointed("SELECT * { VALUES ?a { 1 2 } VALUES ?b { 1 2 } ?s ?p ?a }");
        assert_eq!(text.matches("urn:assetgraph:checkpoint").count(), 2, "{text}");
    }

    #[test]
    fn a_service_pattern_is_left_as_written() {
        let text = checkpointed("SELECT * { SERVICE <urn:s> { [] <urn:q> \"x\" ; <urn:a> ?a } }");
        assert!(!text.contains("checkpoint"), "{text}");
    }

    #[test]
    fn the_fresh_variable_is_not_in_the_query() {
        let text = checkpointed("SELECT ?agcheckpoint1 { ?agcheckpoint1 ?b ?c OPTIONAL { ?b ?e ?f } }");
        assert!(text.contains("?agcheckpointx1"), "{text}");
    }

    #[test]
    fn select_star_keeps_its_variables() {
        let text = checkpointed("SELECT * { ?a ?b ?c OPTIONAL { ?a ?e ?f } }");
        assert!(text.starts_with("SELECT ?a ?b ?c ?e ?f"), "{text}");
    }

    #[test]
    fn the_first_reason_wins() {
        let stop = Stop::new();
        assert_eq!(stop.reason(), None);
        stop.stop(Reason::Memory);
        stop.stop(Reason::Timeout);
        assert_eq!(stop.reason(), Some(Reason::Memory));
        assert!(stop.token().is_cancelled());
    }
}

//! What a query or update may be before it is evaluated: its length and
//! how deeply it nests.
//!
//! The parser and the evaluator both recurse once per level of nesting, so
//! a few kilobytes of `{{{{…` or `((((…` would otherwise exhaust a thread's
//! stack and abort the whole process. Two checks, in this order, keep every
//! accepted query within a known depth:
//!
//! 1. [`check_text`], before parsing: the length, and the nesting of
//!    brackets (`{`, `(`, `[`), counted by a scanner that skips strings,
//!    IRIs and comments exactly where the grammar does. This bounds the
//!    parser's own recursion.
//! 2. [`check_query`] and [`check_update`], after parsing: the depth of the
//!    algebra, where chains that the text writes flat nest too (`1+1+1`,
//!    `a/b/c`, `{…} UNION {…} UNION …`, a run of `OPTIONAL`s). This bounds
//!    the evaluator's recursion. The walk stops one level past the limit, so
//!    it never recurses deeper than what it accepts.
//!
//! Parsing, checking and evaluating all happen on a thread whose stack is
//! sized for the longest text the first check admits (see [`super::worker`]),
//! which is what makes even the drop of a refused, deeply chained algebra
//! safe.

use crate::error::{Error, Position, Result};
use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression, PropertyPathExpression};
use spargebra::{GraphUpdateOperation, Query, Update};

/// The bounds a query or update is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Longest text accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting accepted, of brackets in the text and of operators
    /// in the algebra.
    pub max_depth: usize,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            max_bytes: 256 * 1024,
            max_depth: 64,
        }
    }
}

/// Refuses a text that is too long or whose brackets nest too deeply,
/// naming the line and column where the limit was crossed.
pub(crate) fn check_text(text: &str, shape: Shape) -> Result<()> {
    if text.len() > shape.max_bytes {
        return Err(Error::invalid_field(
            "query",
            format!(
                "the query is {} bytes long, over the limit of {} (sparql.max_query_bytes); shorten it, or move \
                 long lists of values into several requests",
                text.len(),
                shape.max_bytes
            ),
        ));
    }
    match deepest_bracket(text, shape.max_depth) {
        Some(at) => Err(too_deep(shape.max_depth, Some(at))),
        None => Ok(()),
    }
}

/// Refuses a parsed query whose algebra nests deeper than `max_depth`.
pub(crate) fn check_query(query: &Query, max_depth: usize) -> Result<()> {
    let pattern = match query {
        Query::Select { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. }
        | Query::Ask { pattern, .. } => pattern,
    };
    Depth::new(max_depth)
        .pattern(pattern, 1)
        .map_err(|_| too_deep(max_depth, None))
}

/// Refuses a parsed update one of whose `WHERE` clauses nests deeper than
/// `max_depth`.
pub(crate) fn check_update(update: &Update, max_depth: usize) -> Result<()> {
    let depth = Depth::new(max_depth);
    for operation in &update.operations {
        if let GraphUpdateOperation::DeleteInsert { pattern, .. } = operation {
            depth.pattern(pattern, 1).map_err(|_| too_deep(max_depth, None))?;
        }
    }
    Ok(())
}

fn too_deep(max_depth: usize, at: Option<Position>) -> Error {
    Error::Query {
        message: format!(
            "the query nests deeper than the limit of {max_depth} levels (sparql.max_depth): groups, brackets, \
             and chains of operators, UNIONs, OPTIONALs or path steps each count; flatten it{}",
            at.map(|p| format!(" (crossed at {p})")).unwrap_or_default()
        ),
        position: at,
    }
}

/// Where bracket nesting first goes past `max_depth`, if it does.
fn deepest_bracket(text: &str, max_depth: usize) -> Option<Position> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Some(position_of(text, i));
                }
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'#' => i = skip_line(bytes, i),
            b'"' | b'\'' => i = skip_string(bytes, i),
            b'<' => i = skip_iri(bytes, i),
            _ => i += 1,
        }
    }
    None
}

/// Past a comment: up to the end of its line.
fn skip_line(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(bytes.len(), |n| start + n)
}

/// Past a string literal in any of the four quotings. A short string ends
/// at a line break too, as the grammar allows none in it: the scanner
/// must never skip text the parser would read as code.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let long = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let mut i = start + if long { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' | b'\r' if !long => return i,
            b if b == quote => {
                if !long {
                    return i + 1;
                }
                if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
                    return i + 3;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Past an IRI, if `<` opens one; otherwise past the `<` alone (it is the
/// less-than operator). An IRI holds none of `<>"{}|^`\` and no space or
/// control character, which is how the grammar tells the two apart.
fn skip_iri(bytes: &[u8], start: usize) -> usize {
    for (n, &b) in bytes[start + 1..].iter().enumerate() {
        match b {
            b'>' => return start + 1 + n + 1,
            b'<' | b'"' | b'{' | b'}' | b'|' | b'^' | b'`' | b'\\' | 0..=b' ' => return start + 1,
            _ => {}
        }
    }
    start + 1
}

/// Line and column (in characters) of a byte offset, both from 1.
fn position_of(text: &str, offset: usize) -> Position {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    Position {
        line,
        column: before[line_start..].chars().count() as u64 + 1,
    }
}

/// A walk of the algebra that gives up one level past the limit.
struct Depth {
    max: usize,
}

/// The walk went past the limit.
struct TooDeep;

type Walk = std::result::Result<(), TooDeep>;

impl Depth {
    fn new(max: usize) -> Self {
        Depth { max }
    }

    fn enter(&self, depth: usize) -> Walk {
        if depth > self.max {
            Err(TooDeep)
        } else {
            Ok(())
        }
    }

    fn pattern(&self, pattern: &GraphPattern, depth: usize) -> Walk {
        self.enter(depth)?;
        let next = depth + 1;
        match pattern {
            GraphPattern::Bgp { .. } | GraphPattern::Values { .. } => Ok(()),
            GraphPattern::Path { path, .. } => self.path(path, next),
            GraphPattern::Join { left, right }
            | GraphPattern::Lateral { left, right }
            | GraphPattern::Union { left, right }
            | GraphPattern::Minus { left, right } => {
                self.pattern(left, next)?;
                self.pattern(right, next)
            }
            GraphPattern::LeftJoin {
                left,
                right,
                expression,
            } => {
                self.pattern(left, next)?;
                self.pattern(right, next)?;
                expression.iter().try_for_each(|e| self.expression(e, next))
            }
            GraphPattern::Filter { expr, inner } => {
                self.expression(expr, next)?;
                self.pattern(inner, next)
            }
            GraphPattern::Extend { inner, expression, .. } => {
                self.expression(expression, next)?;
                self.pattern(inner, next)
            }
            GraphPattern::OrderBy { inner, expression } => {
                for order in expression {
                    let (OrderExpression::Asc(e) | OrderExpression::Desc(e)) = order;
                    self.expression(e, next)?;
                }
                self.pattern(inner, next)
            }
            GraphPattern::Group { inner, aggregates, .. } => {
                for (_, aggregate) in aggregates {
                    if let AggregateExpression::FunctionCall { expr, .. } = aggregate {
                        self.expression(expr, next)?;
                    }
                }
                self.pattern(inner, next)
            }
            GraphPattern::Graph { inner, .. }
            | GraphPattern::Project { inner, .. }
            | GraphPattern::Distinct { inner }
            | GraphPattern::Reduced { inner }
            | GraphPattern::Slice { inner, .. }
            | GraphPattern::Service { inner, .. } => self.pattern(inner, next),
        }
    }

    fn expression(&self, expression: &Expression, depth: usize) -> Walk {
        self.enter(depth)?;
        let next = depth + 1;
        match expression {
            Expression::NamedNode(_) | Expression::Literal(_) | Expression::Variable(_) | Expression::Bound(_) => {
                Ok(())
            }
            binary_expression!(a, b) => {
                self.expression(a, next)?;
                self.expression(b, next)
            }
            Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => self.expression(a, next),
            Expression::In(a, list) => {
                self.expression(a, next)?;
                list.iter().try_for_each(|e| self.expression(e, next))
            }
            Expression::If(a, b, c) => {
                self.expression(a, next)?;
                self.expression(b, next)?;
                self.expression(c, next)
            }
            Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
                list.iter().try_for_each(|e| self.expression(e, next))
            }
            Expression::Exists(pattern) => self.pattern(pattern, next),
        }
    }

    fn path(&self, path: &PropertyPathExpression, depth: usize) -> Walk {
        self.enter(depth)?;
        let next = depth + 1;
        match path {
            PropertyPathExpression::NamedNode(_) | PropertyPathExpression::NegatedPropertySet(_) => Ok(()),
            PropertyPathExpression::Reverse(p)
            | PropertyPathExpression::ZeroOrMore(p)
            | PropertyPathExpression::OneOrMore(p)
            | PropertyPathExpression::ZeroOrOne(p) => self.path(p, next),
            PropertyPathExpression::Sequence(a, b) | PropertyPathExpression::Alternative(a, b) => {
                self.path(a, next)?;
                self.path(b, next)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(max_depth: usize) -> Shape {
        Shape {
            max_bytes: 1 << 20,
            max_depth,
        }
    }

    #[test]
    fn brackets_inside_strings_iris_and_comments_do_not_count() {
        let text = "SELECT * WHERE { ?s <http://e/((((> \"{{{{\" . # ((((\n ?s ?p '''[[[[\n]]''' }";
        assert!(check_text(text, shape(2)).is_ok());
    }

    #[test]
    fn less_than_is_not_an_iri() {
        // Were `<` read as opening an IRI up to the next `>`, the brackets
        // between would be skipped.
        let text = "SELECT * { FILTER(?a < ((((1)))) && ?b > 2) }";
        assert!(check_text(text, shape(4)).is_err());
        assert!(check_text(text, shape(6)).is_ok());
    }

    #[test]
    fn a_short_string_ends_at_its_line() {
        // An unterminated short string must not hide the brackets after it.
        let text = "SELECT * { FILTER(\"x\n((((((1)))))) }";
        assert!(check_text(text, shape(4)).is_err());
    }

    #[test]
    fn the_crossing_is_located() {
        let text = "SELECT *\nWHERE { { { ?s ?p ?o } } }";
        let Err(Error::Query { position: Some(at), .. }) = check_text(text, shape(2)) else {
            panic!("not refused with a position")
        };
        assert_eq!((at.line, at.column), (2, 11));
    }

    #[test]
    fn length_is_bounded() {
        let shape = Shape {
            max_bytes: 10,
            max_depth: 64,
        };
        assert!(check_text("SELECT * {}", shape).is_err());
        assert!(check_text("ASK {}", shape).is_ok());
    }

    #[test]
    fn flat_chains_count_as_nesting() {
        let parse = |text: &str| spargebra::SparqlParser::new().parse_query(text).unwrap();
        let sum = format!("SELECT (1{} AS ?x) {{}}", "+1".repeat(40));
        assert!(check_query(&parse(&sum), 64).is_ok());
        assert!(check_query(&parse(&sum), 30).is_err());
        let unions = format!("SELECT * {{ {{}} {} }}", "UNION {} ".repeat(40));
        assert!(check_query(&parse(&unions), 30).is_err());
        let path = format!("SELECT * {{ ?s <http://e/p>{} ?o }}", "|<http://e/p>".repeat(40));
        assert!(check_query(&parse(&path), 30).is_err());
        assert!(check_query(&parse(&path), 64).is_ok());
    }

    #[test]
    fn update_where_clauses_are_walked() {
        let text = format!(
            "DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o {} }}",
            "OPTIONAL { ?s ?p ?o } ".repeat(40)
        );
        let update = spargebra::SparqlParser::new().parse_update(&text).unwrap();
        assert!(check_update(&update, 30).is_err());
        assert!(check_update(&update, 64).is_ok());
    }
}

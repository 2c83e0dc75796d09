//! Rights as ODRL 2.2 policies, and back.
//!
//! One policy per asset, `<asset#policy>` (an `odrl:Set` targeting the
//! asset); each grant an `odrl:Permission` of `odrl:use`, each restriction an
//! `odrl:Prohibition` with its kind (`ag:restrictionKind`). Constraints use
//! `odrl:spatial`, `odrl:deliveryChannel`, `odrl:purpose`, `odrl:recipient`,
//! `odrl:industry`, `odrl:language` with `odrl:isAnyOf`, and the term two
//! `odrl:dateTime` constraints (`odrl:gteq` from, `odrl:lt` until).
//! Territories the vocabulary knows become its IRIs; every other value is
//! kept as the literal the source sent. Every node is named after the asset,
//! so the same rights give the same triples and a re-ingest changes nothing;
//! constraints are named after what they say (`#from-2026-01-01T00:00:00Z`,
//! `#territory-3f2a…`), so the rules of one policy that share a window or a
//! list — a licence term's grant and its restrictions — share the node.

use super::{
    AssetRights, Constraints, Dimension, Grant, Key, Restriction, RestrictionKind, Territories, Window, DIMENSIONS,
};
use crate::vocab::{ag, odrl};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A grant or a restriction as a source states it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rule {
    /// Values per dimension, as the source wrote them; empty = open.
    pub values: [Vec<String>; 6],
    pub from: Option<i64>,
    pub until: Option<i64>,
    /// `None` for a grant.
    pub restriction: Option<RestrictionKind>,
}

/// What an asset's record says about its rights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RightsStatement {
    pub cancelled: bool,
    pub editorial_only: bool,
    /// (used, allowed)
    pub downloads: Option<(u32, u32)>,
    pub grants: Vec<Rule>,
    pub restrictions: Vec<Rule>,
}

fn left_operand(d: Dimension) -> NamedNodeRef<'static> {
    match d {
        Dimension::Territory => odrl::SPATIAL,
        Dimension::Channel => odrl::DELIVERY_CHANNEL,
        Dimension::Usage => odrl::PURPOSE,
        Dimension::Audience => odrl::RECIPIENT,
        Dimension::Industry => odrl::INDUSTRY,
        Dimension::Language => odrl::LANGUAGE,
    }
}

/// The triples of an asset's rights: its flags and its own policy.
pub fn triples(asset: &NamedNode, rights: &RightsStatement, territories: &Territories) -> Vec<Triple> {
    let mut out = Vec::new();
    if rights.cancelled {
        out.push(Triple::new(asset.clone(), ag::CANCELLED, Literal::from(true)));
    }
    if rights.editorial_only {
        out.push(Triple::new(asset.clone(), ag::EDITORIAL_ONLY, Literal::from(true)));
    }
    if let Some((used, allowed)) = rights.downloads {
        out.push(Triple::new(asset.clone(), ag::DOWNLOADS, integer(used.into())));
        out.push(Triple::new(asset.clone(), ag::MAX_DOWNLOADS, integer(allowed.into())));
    }
    out.extend(policy_triples(asset, std::slice::from_ref(asset), rights, territories));
    out
}

/// The policy `<record#policy>` of a record's grants and restrictions, for
/// the assets it targets (the record itself, or the titles a rights record
/// belongs to).
pub fn policy_triples(
    record: &NamedNode,
    targets: &[NamedNode],
    rights: &RightsStatement,
    territories: &Territories,
) -> Vec<Triple> {
    let node = |suffix: &str| NamedNode::new_unchecked(format!("{}#{suffix}", record.as_str()));
    let policy = node("policy");
    let mut out = vec![Triple::new(policy.clone(), rdf::TYPE, odrl::SET)];
    for target in targets {
        out.push(Triple::new(policy.clone(), odrl::TARGET, target.clone()));
    }
    let rules = rights
        .grants
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("grant-{}", i + 1), r));
    let rules = rules.chain(
        rights
            .restrictions
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("restriction-{}", i + 1), r)),
    );
    // Constraints are named after what they say, so rules of one policy that
    // share a window or a value list (a term's grant and its restrictions)
    // share the constraint node instead of repeating it.
    let mut written: HashSet<String> = HashSet::new();
    let mut constraint =
        |out: &mut Vec<Triple>, rule: &NamedNode, name: String, body: &dyn Fn(&NamedNode) -> Vec<Triple>| {
            let node = node(&name);
            out.push(Triple::new(rule.clone(), odrl::CONSTRAINT, node.clone()));
            if written.insert(name) {
                out.extend(body(&node));
            }
        };
    for (name, rule) in rules {
        let rule_node = node(&name);
        let (link, class) = match rule.restriction {
            None => (odrl::PERMISSION, odrl::PERMISSION_CLASS),
            Some(_) => (odrl::PROHIBITION, odrl::PROHIBITION_CLASS),
        };
        out.push(Triple::new(policy.clone(), link, rule_node.clone()));
        out.push(Triple::new(rule_node.clone(), rdf::TYPE, class));
        out.push(Triple::new(rule_node.clone(), odrl::ACTION, odrl::USE));
        if let Some(kind) = rule.restriction {
            out.push(Triple::new(
                rule_node.clone(),
                ag::RESTRICTION_KIND,
                Literal::new_simple_literal(kind.name()),
            ));
        }
        for d in DIMENSIONS {
            let values = &rule.values[d as usize];
            if values.is_empty() {
                continue;
            }
            let body = |c: &NamedNode| {
                let mut t = vec![
                    Triple::new(c.clone(), odrl::LEFT_OPERAND, left_operand(d)),
                    Triple::new(c.clone(), odrl::OPERATOR, odrl::IS_ANY_OF),
                ];
                t.extend(
                    values
                        .iter()
                        .map(|v| Triple::new(c.clone(), odrl::RIGHT_OPERAND, operand(d, v, territories))),
                );
                t
            };
            constraint(
                &mut out,
                &rule_node,
                format!("{}-{}", d.name(), list_digest(values)),
                &body,
            );
        }
        for (suffix, operator, at) in [("from", odrl::GTEQ, rule.from), ("until", odrl::LT, rule.until)] {
            let Some(at) = at else { continue };
            let at = crate::rdf::time::literal(at);
            let body = |c: &NamedNode| {
                vec![
                    Triple::new(c.clone(), odrl::LEFT_OPERAND, odrl::DATE_TIME),
                    Triple::new(c.clone(), odrl::OPERATOR, operator),
                    Triple::new(c.clone(), odrl::RIGHT_OPERAND, at.clone()),
                ]
            };
            constraint(&mut out, &rule_node, format!("{suffix}-{}", at.value()), &body);
        }
    }
    out
}

/// A short name for a list of values: the same list, the same name.
fn list_digest(values: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for value in values {
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..6])
}

/// A value a shipped vocabulary knows becomes the concept's IRI (so SPARQL
/// can follow skos:broader from it); anything else stays the literal sent.
fn operand(d: Dimension, value: &str, territories: &Territories) -> Term {
    let concept = match Key::resolve(d, value, territories) {
        Key::Territory(id) => Some(territories.name(id).to_owned()),
        Key::Word(key) if super::words::shipped().is_concept(d, &key) => Some(key.into()),
        _ => None,
    };
    match concept {
        Some(local) => NamedNode::new_unchecked(format!("{}{local}", super::words::namespace(d))).into(),
        None => Literal::new_simple_literal(value).into(),
    }
}

fn integer(n: i64) -> Literal {
    Literal::new_typed_literal(n.to_string(), xsd::INTEGER)
}

/// The rights of an asset compiled from the triples of its graph and of the
/// graphs of the rights records that target it, for the engine.
pub fn compile(asset: &NamedNode, triples: &[Triple], territories: &Territories) -> AssetRights {
    let mut by_subject: HashMap<&str, Vec<&Triple>> = HashMap::new();
    for t in triples {
        if let NamedOrBlankNode::NamedNode(s) = &t.subject {
            by_subject.entry(s.as_str()).or_default().push(t);
        }
    }
    let about = |s: &str| by_subject.get(s).map(Vec::as_slice).unwrap_or_default();
    let flag = |p: NamedNodeRef<'_>| {
        about(asset.as_str())
            .iter()
            .any(|t| t.predicate.as_ref() == p && literal(&t.object) == Some("true"))
    };
    let number = |p: NamedNodeRef<'_>| {
        about(asset.as_str())
            .iter()
            .find(|t| t.predicate.as_ref() == p)
            .and_then(|t| literal(&t.object)?.parse::<u32>().ok())
    };
    // Downloads reported as usage events, on top of those the source counted.
    let recorded = about(asset.as_str())
        .iter()
        .filter(|t| t.predicate.as_ref() == ag::DOWNLOAD_RECORDED)
        .count() as u32;
    let mut rights = AssetRights {
        cancelled: flag(ag::CANCELLED),
        editorial_only: flag(ag::EDITORIAL_ONLY),
        downloads: number(ag::DOWNLOADS)
            .zip(number(ag::MAX_DOWNLOADS))
            .map(|(used, allowed)| (used.saturating_add(recorded), allowed)),
        ..Default::default()
    };
    // Every policy that targets the asset: its own, and those of rights
    // records kept in graphs of their own (a Rightsline right of a title).
    let policies = triples.iter().filter_map(|t| match (&t.subject, &t.object) {
        (NamedOrBlankNode::NamedNode(policy), Term::NamedNode(target))
            if t.predicate.as_ref() == odrl::TARGET && target == asset =>
        {
            Some(policy.as_str())
        }
        _ => None,
    });
    let mut rules: BTreeMap<&str, bool> = BTreeMap::new(); // rule node → is prohibition
    for policy in policies {
        for t in about(policy) {
            if let Term::NamedNode(rule) = &t.object {
                if t.predicate.as_ref() == odrl::PERMISSION {
                    rules.insert(rule.as_str(), false);
                } else if t.predicate.as_ref() == odrl::PROHIBITION {
                    rules.insert(rule.as_str(), true);
                }
            }
        }
    }
    for (rule, prohibition) in rules {
        let mut constraints = Constraints::default();
        let mut term = Window::default();
        let mut kind = RestrictionKind::Restricted;
        for t in about(rule) {
            if t.predicate.as_ref() == ag::RESTRICTION_KIND {
                if let Some(k) = literal(&t.object).and_then(RestrictionKind::from_name) {
                    kind = k;
                }
            }
            let Term::NamedNode(c) = &t.object else { continue };
            if t.predicate.as_ref() != odrl::CONSTRAINT {
                continue;
            }
            let parts = about(c.as_str());
            let find = |p: NamedNodeRef<'static>| {
                parts
                    .iter()
                    .filter(move |t| t.predicate.as_ref() == p)
                    .map(|t| &t.object)
            };
            let Some(Term::NamedNode(left)) = find(odrl::LEFT_OPERAND).next() else {
                continue;
            };
            if left.as_ref() == odrl::DATE_TIME {
                let at = find(odrl::RIGHT_OPERAND)
                    .next()
                    .and_then(literal)
                    .and_then(crate::rdf::time::parse);
                match find(odrl::OPERATOR).next() {
                    Some(Term::NamedNode(op)) if op.as_ref() == odrl::GTEQ => term.from = at,
                    Some(Term::NamedNode(op)) if op.as_ref() == odrl::LT => term.until = at,
                    _ => {}
                }
                continue;
            }
            let Some(d) = DIMENSIONS.iter().copied().find(|&d| left_operand(d) == left.as_ref()) else {
                continue;
            };
            let keys = find(odrl::RIGHT_OPERAND)
                .map(|o| match o {
                    Term::NamedNode(n) => Key::resolve(d, n.as_str(), territories),
                    Term::Literal(l) => Key::resolve(d, l.value(), territories),
                    Term::BlankNode(b) => Key::Unknown(b.as_str().into()),
                })
                .collect();
            constraints.set(d, keys);
        }
        let id = rule.to_owned();
        if prohibition {
            rights.restrictions.push(Restriction {
                id,
                kind,
                constraints,
                term,
            });
        } else {
            rights.grants.push(Grant { id, constraints, term });
        }
    }
    rights
}

fn literal(term: &Term) -> Option<&str> {
    match term {
        Term::Literal(l) => Some(l.value()),
        _ => None,
    }
}

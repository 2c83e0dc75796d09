//! Revoked browser tokens.
//!
//! A token is revoked by its subject: `POST /api/tokens/revocations` with
//! `{"subject"}` refuses every token of that person signed up to that
//! second, wherever it is held; tokens minted afterwards work. An admin
//! limited to some tenants revokes the tokens that reach one of its
//! tenants; an unscoped admin revokes them all.
//!
//! Revocations are facts in the store, written through the single write
//! path (so the audit trail tells who revoked whom) to the service graph
//! `urn:assetgraph:graph:revocations`:
//!
//! ```turtle
//! <urn:assetgraph:revocation:5f0c…> a ag:TokenRevocation ;
//!     ag:revokedSubject "mia" ; prov:atTime "2026-12-07T10:00:00Z"^^xsd:dateTime ;
//!     ag:tenant <urn:assetgraph:tenant:acme> .
//! ```
//!
//! Every token check consults them, so they are also held in memory,
//! read once when the server starts and added to as they are made.

use crate::error::Result;
use crate::store::{Change, GraphWrite, Store};
use crate::vocab::{ag, graphs, prov};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};
use std::sync::RwLock;

/// The graph revocations are kept in.
const GRAPH: &str = graphs::REVOCATIONS;
/// Its kind in the registry.
pub(crate) const KIND: &str = "revocations";

/// One revocation: the tokens of `subject` signed at or before `at_ms`
/// (milliseconds since the epoch), that reach one of `tenants` (any token
/// when `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Revocation {
    pub subject: String,
    pub tenants: Option<Vec<String>>,
    pub at_ms: i64,
}

impl Revocation {
    fn covers(&self, subject: &str, tenants: Option<&[String]>, signed_ms: i64) -> bool {
        self.subject == subject
            && signed_ms <= self.at_ms
            && match (&self.tenants, tenants) {
                (None, _) => true,
                (Some(mine), Some(theirs)) => theirs.iter().any(|t| mine.contains(t)),
                (Some(_), None) => false,
            }
    }
}

/// The revocations made so far.
#[derive(Default)]
pub struct Revocations {
    known: RwLock<Vec<Revocation>>,
}

impl Revocations {
    /// Reads the revocations the store holds.
    pub fn load(store: &Store) -> Result<Self> {
        let db = store.db();
        let graph = NamedNodeRef::new_unchecked(GRAPH);
        let mut known = Vec::new();
        for quad in db.quads_for_pattern(
            None,
            Some(rdf::TYPE),
            Some(ag::TOKEN_REVOCATION.into()),
            Some(graph.into()),
        ) {
            let NamedOrBlankNode::NamedNode(node) = quad?.subject else {
                continue;
            };
            let (mut subject, mut at, mut tenants) = (None, None, None::<Vec<String>>);
            for fact in db.quads_for_pattern(Some(node.as_ref().into()), None, None, Some(graph.into())) {
                let fact = fact?;
                match (fact.predicate.as_ref(), fact.object) {
                    (p, Term::Literal(l)) if p == ag::REVOKED_SUBJECT => subject = Some(l.value().to_owned()),
                    (p, Term::Literal(l)) if p == prov::AT_TIME => at = parse_millis(l.value()),
                    (p, Term::NamedNode(t)) if p == ag::TENANT => {
                        let id = t.as_str().strip_prefix(graphs::tenant("").as_str()).unwrap_or_default();
                        tenants.get_or_insert_with(Vec::new).push(id.to_owned());
                    }
                    _ => {}
                }
            }
            if let (Some(subject), Some(at)) = (subject, at) {
                known.push(Revocation {
                    subject,
                    tenants,
                    at_ms: at,
                });
            }
        }
        Ok(Revocations {
            known: RwLock::new(known),
        })
    }

    /// Whether a token of `subject` reaching `tenants`, signed at
    /// `signed_ms`, is revoked.
    pub fn revokes(&self, subject: &str, tenants: Option<&[String]>, signed_ms: i64) -> bool {
        let known = self.known.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        known.iter().any(|r| r.covers(subject, tenants, signed_ms))
    }

    /// Stores a revocation through the write path, then applies it.
    pub fn revoke(&self, store: &Store, revocation: Revocation, actor: &str, tenant: &str) -> Result<()> {
        let node = NamedNode::new_unchecked(format!(
            "urn:assetgraph:revocation:{}",
            hex::encode(rand::random::<[u8; 12]>())
        ));
        let mut triples = vec![
            Triple::new(node.clone(), rdf::TYPE, ag::TOKEN_REVOCATION),
            Triple::new(
                node.clone(),
                ag::REVOKED_SUBJECT,
                oxigraph::model::Literal::new_simple_literal(&revocation.subject),
            ),
            Triple::new(node.clone(), prov::AT_TIME, millis_literal(revocation.at_ms)),
        ];
        for t in revocation.tenants.iter().flatten() {
            triples.push(Triple::new(
                node.clone(),
                ag::TENANT,
                NamedNode::new_unchecked(graphs::tenant(t)),
            ));
        }
        store.write(|_| {
            Ok((
                Change {
                    actor: actor.to_owned(),
                    operation: "tokens.revoke".into(),
                    tenant: tenant.to_owned(),
                    note: Some(format!("the tokens of '{}'", revocation.subject)),
                    writes: vec![GraphWrite::Merge {
                        graph: NamedNode::new_unchecked(GRAPH),
                        kind: KIND,
                        triples,
                    }],
                },
                (),
            ))
        })?;
        self.known
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(revocation);
        Ok(())
    }
}

/// An `xsd:dateTime` to the millisecond.
fn millis_literal(at_ms: i64) -> oxigraph::model::Literal {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    crate::rdf::time::precise_literal(at)
}

fn parse_millis(text: &str) -> Option<i64> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_covers_its_subjects_earlier_tokens_within_its_tenants() {
        let revocation = Revocation {
            subject: "mia".into(),
            tenants: Some(vec!["acme".into()]),
            at_ms: 100,
        };
        let acme = ["acme".to_owned()];
        let other = ["globex".to_owned()];
        assert!(revocation.covers("mia", Some(&acme), 100));
        assert!(!revocation.covers("mia", Some(&acme), 101), "minted after it");
        assert!(!revocation.covers("ann", Some(&acme), 50), "another person");
        assert!(!revocation.covers("mia", Some(&other), 50), "another tenant's token");
        assert!(
            !revocation.covers("mia", None, 50),
            "an unscoped token is the operator's to revoke"
        );
        let everywhere = Revocation {
            tenants: None,
            ..revocation
        };
        assert!(everywhere.covers("mia", None, 50) && everywhere.covers("mia", Some(&other), 50));
    }

    #[test]
    fn revocations_outlive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let revocations = Revocations::load(&store).unwrap();
            let revocation = Revocation {
                subject: "mia".into(),
                tenants: Some(vec!["acme".into(), "globex".into()]),
                at_ms: 1_800_000_000_123,
            };
            revocations.revoke(&store, revocation, "admin", "acme").unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let revocations = Revocations::load(&store).unwrap();
        assert!(revocations.revokes("mia", Some(&["globex".to_owned()]), 1_800_000_000_123));
        assert!(!revocations.revokes("mia", Some(&["globex".to_owned()]), 1_800_000_000_124));
        assert!(!revocations.revokes("mia", Some(&["initech".to_owned()]), 1_799_999_999_000));
    }
}

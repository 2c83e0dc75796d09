//! The word vocabularies of the rights dimensions other than territory
//! (channels, usages, audiences, industries, languages), in memory, from
//! the shipped `ontologies/rights-vocabularies.ttl`.
//!
//! Every spelling a value may arrive in — a source key, a plain word, a
//! label, the concept's IRI — resolves to one canonical key. Canonical keys
//! are hierarchical by prefix (`digital_any` is the family of
//! `digital_web`), so matching stays a string comparison. A key that no
//! concept names but that belongs to a known family
//! (`advertising_display_billboard` under `advertising_any`) is accepted as
//! it is; anything else is unknown, and the engine treats unknown keys
//! conservatively.

use super::{Dimension, DIMENSIONS};
use crate::rdf;
use crate::vocab::{skos, AG};
use oxigraph::io::RdfFormat;
use oxigraph::model::{NamedOrBlankNode, Term};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::vocab::shipped::RIGHTS_VOCABULARIES_TTL;

/// The IRI namespace of a dimension's concepts.
pub(crate) fn namespace(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Territory => "https://w3id.org/assetgraph/territory/",
        Dimension::Channel => "https://w3id.org/assetgraph/channel/",
        Dimension::Usage => "https://w3id.org/assetgraph/usage/",
        Dimension::Audience => "https://w3id.org/assetgraph/audience/",
        Dimension::Industry => "https://w3id.org/assetgraph/industry/",
        Dimension::Language => "https://w3id.org/assetgraph/language/",
    }
}

/// How a word resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// A concept of the vocabulary, by its canonical key.
    Concept(Box<str>),
    /// A key under a known family, kept as written (lower case).
    InFamily(Box<str>),
}

#[derive(Default)]
struct Scheme {
    /// Lower-cased spelling → canonical key.
    aliases: HashMap<String, Box<str>>,
    /// Stems of the `*_any` concepts (`digital_`).
    families: Vec<String>,
}

pub(crate) struct Words {
    schemes: [Scheme; 6],
}

/// The shipped vocabularies, parsed once.
pub(crate) fn shipped() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| Words::from_turtle(RIGHTS_VOCABULARIES_TTL))
}

impl Words {
    fn from_turtle(text: &str) -> Words {
        let quads = rdf::parse(
            "ontologies/rights-vocabularies.ttl",
            RdfFormat::Turtle,
            text.as_bytes(),
            &|_| {},
        )
        .expect("the shipped rights vocabularies parse (tested)");
        let spellings: HashSet<String> = [
            skos::NOTATION.as_str().to_owned(),
            skos::PREF_LABEL.as_str().to_owned(),
            skos::ALT_LABEL.as_str().to_owned(),
            format!("{AG}sourceKey"),
        ]
        .into();
        let mut words = Words {
            schemes: Default::default(),
        };
        for quad in &quads {
            let NamedOrBlankNode::NamedNode(subject) = &quad.subject else {
                continue;
            };
            let Some((dimension, key)) = DIMENSIONS[1..]
                .iter()
                .find_map(|&d| Some((d, subject.as_str().strip_prefix(namespace(d))?)))
            else {
                continue;
            };
            if key.is_empty() {
                continue;
            }
            let scheme = &mut words.schemes[dimension as usize];
            scheme.aliases.insert(key.to_owned(), key.into());
            scheme.aliases.insert(subject.as_str().to_lowercase(), key.into());
            if let Some(stem) = key.strip_suffix("any").filter(|s| s.ends_with('_')) {
                if !scheme.families.iter().any(|f| f == stem) {
                    scheme.families.push(stem.to_owned());
                }
            }
            if let Term::Literal(spelling) = &quad.object {
                if spellings.contains(quad.predicate.as_str()) {
                    scheme.aliases.insert(spelling.value().to_lowercase(), key.into());
                }
            }
        }
        words
    }

    /// Resolves a value of a word dimension; `None` if no vocabulary knows it.
    pub(crate) fn resolve(&self, dimension: Dimension, raw: &str) -> Option<Resolved> {
        let scheme = &self.schemes[dimension as usize];
        let lower = raw.trim().to_lowercase();
        if let Some(key) = scheme.aliases.get(&lower) {
            return Some(Resolved::Concept(key.clone()));
        }
        let spaced = lower.replace([' ', '-'], "_");
        if let Some(key) = scheme.aliases.get(&spaced) {
            return Some(Resolved::Concept(key.clone()));
        }
        scheme
            .families
            .iter()
            .any(|stem| spaced.starts_with(stem.as_str()))
            .then(|| Resolved::InFamily(spaced.into()))
    }

    /// Whether the canonical key names a concept (and so has an IRI).
    pub(crate) fn is_concept(&self, dimension: Dimension, key: &str) -> bool {
        self.schemes[dimension as usize]
            .aliases
            .get(key)
            .is_some_and(|k| &**k == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_resolves_to_one_canonical_key() {
        let words = shipped();
        let concept = |d, raw| words.resolve(d, raw);
        let key = |k: &str| Some(Resolved::Concept(k.into()));
        assert_eq!(concept(Dimension::Channel, "web"), key("digital_web"));
        assert_eq!(concept(Dimension::Channel, "channel_web"), key("digital_web"));
        assert_eq!(concept(Dimension::Channel, "Web"), key("digital_web"));
        assert_eq!(
            concept(Dimension::Channel, "https://w3id.org/assetgraph/channel/digital_web"),
            key("digital_web")
        );
        assert_eq!(concept(Dimension::Channel, "social"), key("digital_social"));
        assert_eq!(concept(Dimension::Channel, "social_media_any"), key("digital_social"));
        assert_eq!(concept(Dimension::Channel, "All Media"), key("any"));
        assert_eq!(concept(Dimension::Channel, "print"), key("print_any"));
        assert_eq!(concept(Dimension::Usage, "advertising"), key("advertising_any"));
        assert_eq!(concept(Dimension::Industry, "industry_tobacco"), key("tobacco"));
        assert_eq!(concept(Dimension::Language, "language_german"), key("de"));
        assert_eq!(concept(Dimension::Language, "Deutsch"), key("de"));
        assert_eq!(concept(Dimension::Audience, "agency"), key("agency"));
    }

    #[test]
    fn family_members_are_accepted_and_strangers_are_not() {
        let words = shipped();
        assert_eq!(
            words.resolve(Dimension::Usage, "advertising_display_poster"),
            Some(Resolved::InFamily("advertising_display_poster".into()))
        );
        assert_eq!(words.resolve(Dimension::Usage, "telepathy"), None);
        assert_eq!(words.resolve(Dimension::Channel, "carrier_pigeon"), None);
        assert!(words.is_concept(Dimension::Channel, "digital_web"));
        assert!(!words.is_concept(Dimension::Usage, "advertising_display_poster"));
    }
}

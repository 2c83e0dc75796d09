//! The taxonomies as search sees them: every concept's labels and links,
//! held in memory and rebuilt from the store whenever a commit touches a
//! graph that is not an asset record.
//!
//! Concept expansion happens here, at query time (DESIGN §3): a query is
//! resolved to the concepts whose labels it contains, and those expand to
//! their narrower, related and mapped concepts. Assets are indexed with the
//! concept IRIs they are tagged with and nothing else of the taxonomy, so a
//! new synonym or a moved concept changes results at once, without
//! reindexing a single asset.
//!
//! Labels are compared after the same folding as asset text (tokens,
//! lower case, accents removed): "Eco-Friendly packaging" finds the label
//! "eco-friendly packaging". When the text's language is known and has a
//! stemmer, a label of that language also matches stemmed, word by word
//! ("recyclable cups" finds "Recyclable cup"), an exact match of the same
//! length winning. A label with a qualifier in parentheses, as thesauri
//! write homonyms ("casting (creation from materials)"), also matches
//! without it.

use super::analysis::{fold, stem, stemmed_language};
pub use super::labels::LabelKind;
use super::labels::{LabelRef, Span};
use super::loose::{loose_key, same_but_ending, Corrections, LooseKey, LooseLabels};
use crate::error::Result;
use crate::store::Store;
use crate::vocab::{graphs, owl, skos};
use oxigraph::model::{GraphName, NamedNodeRef, NamedOrBlankNode, Term};
use serde::Serialize;
// ahash for the maps keyed by IRIs and labels: randomly keyed like std's
// SipHash, several times faster on them; a push rebuilds the maps.
use ahash::AHashMap;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::schema::Field;
use tantivy::SegmentReader;

/// Graphs whose SKOS concepts are the service's own vocabularies (territories,
/// channels…), not taxonomies to search by.
const NOT_TAXONOMIES: [&str; 3] = [graphs::ONTOLOGY, graphs::TERRITORIES, graphs::RIGHTS_VOCABULARIES];

/// The longest label, in tokens, a query is searched for.
const MAX_LABEL_TOKENS: usize = 8;

#[derive(Debug, Clone, Default)]
struct Concept {
    iri: String,
    /// (kind, language, text)
    labels: Vec<(LabelKind, String, String)>,
    /// The lookup keys of each label, in the same order.
    label_keys: Vec<Arc<LabelKeys>>,
    links: Links,
    /// The tenants whose graphs label it (`shared` for the shipped
    /// vocabularies and shared taxonomies).
    owners: Vec<Arc<str>>,
}

/// A concept a query named, and by which label.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMatch {
    pub concept: u32,
    pub kind: LabelKind,
    pub label: String,
    pub language: String,
    /// Where in the query (bytes) the label was found.
    pub range: std::ops::Range<usize>,
    /// Found only once a word of the query was corrected.
    pub corrected: bool,
}

/// How a concept entered an expanded query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Via {
    /// Named by the query (index into the matches).
    Named(usize),
    /// Narrower, at some depth, of a named concept.
    Narrower {
        of: u32,
        depth: usize,
    },
    Related {
        of: u32,
    },
    Mapped {
        of: u32,
    },
}

/// Expansion parameters: how deep narrower concepts go, and the weight of
/// related and mapped ones.
#[derive(Debug, Clone, Copy)]
pub struct Expansion {
    pub narrower_depth: usize,
    /// Weight lost per level of narrower.
    pub narrower_decay: f32,
    pub related_weight: f32,
}

impl Default for Expansion {
    fn default() -> Self {
        Expansion {
            narrower_depth: 5,
            narrower_decay: 0.8,
            related_weight: 0.5,
        }
    }
}

/// A label found in a text, and how.
type Found = (LabelRef, Form);

/// How a text contains a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// As written (after folding).
    Exact,
    /// Without its qualifier in parentheses: "casting" for "casting
    /// (creation from materials)"; homonyms share this form.
    WithoutQualifier,
    /// Word by word, stemmed in the text's language.
    Stemmed,
}

/// One occurrence of a concept label in a text.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub concept: u32,
    pub kind: LabelKind,
    /// The label's index among the concept's labels.
    pub label: usize,
    pub form: Form,
    /// Byte range in the text.
    pub range: std::ops::Range<usize>,
}

#[derive(Debug, Default)]
pub struct ConceptView {
    concepts: Vec<Concept>,
    by_iri: AHashMap<String, u32>,
    /// Folded label → the concepts that carry it.
    /// (Each with the form it has under the key: as written, or without
    /// its qualifier.)
    by_label: AHashMap<String, Vec<Found>>,
    /// `{language}\u{1f}{stemmed label}` → the concepts that carry it, for
    /// labels in a language with a stemmer.
    by_stem: AHashMap<String, Vec<LabelRef>>,
    /// Every folded label from each of its token starts, sorted, so that a
    /// prefix finds labels that start with it or have a word that does:
    /// (folded text from a token on, concept, label index, from the start).
    completions: Vec<(String, u32, usize, bool)>,
    /// Tokens of the longest label: no longer stretch of text can match.
    longest_label: usize,
    /// Labels by their loose keys, for queries that spell them otherwise.
    loose: LooseLabels,
    /// What each graph says (by graph name, "" for the default graph), so
    /// that a commit reads again only the graphs it changed.
    statements: BTreeMap<String, Arc<Statements>>,
    /// Per index segment, its dictionary of concept tags read once for
    /// this view (a segment never changes; a new view starts afresh).
    tag_dictionaries: PerSegment<SegmentId, TagDictionary>,
    /// Per index segment and tag field, where each concept's postings
    /// are, read once for this view.
    tag_postings: PerSegment<(SegmentId, Field), TagPostings>,
    /// The concepts' schemes by number, worked out on first use.
    scheme_index: std::sync::OnceLock<SchemeIndex>,
}

/// The schemes of every concept as small numbers: the facet roll-up
/// groups thousands of concepts by scheme in each broad query, and reading
/// each concept's own list of scheme IRIs would visit as many places.
#[derive(Debug, Default)]
pub(crate) struct SchemeIndex {
    /// The schemes' IRIs, sorted: a scheme's number is its place here.
    pub names: Vec<String>,
    /// The scheme numbers of each concept, one concept after the other.
    numbers: Vec<u32>,
    /// Where each concept's run in `numbers` starts; one more at the end.
    at: Vec<u32>,
}

impl SchemeIndex {
    fn new(concepts: &[Concept]) -> SchemeIndex {
        let mut names: Vec<String> = concepts.iter().flat_map(|c| c.links.schemes.iter().cloned()).collect();
        names.sort_unstable();
        names.dedup();
        let mut numbers = Vec::new();
        let mut at = Vec::with_capacity(concepts.len() + 1);
        for concept in concepts {
            at.push(numbers.len() as u32);
            for scheme in &concept.links.schemes {
                let number = names.binary_search(scheme).expect("every scheme was named");
                numbers.push(number as u32);
            }
        }
        at.push(numbers.len() as u32);
        SchemeIndex { names, numbers, at }
    }

    /// The numbers of the schemes a concept belongs to.
    #[inline]
    pub(crate) fn of(&self, concept: u32) -> &[u32] {
        let (from, to) = (self.at[concept as usize], self.at[concept as usize + 1]);
        &self.numbers[from as usize..to as usize]
    }
}

/// What is read once per index segment for a view, kept while the view
/// lives (a segment never changes; a new view starts afresh).
#[derive(Debug)]
struct PerSegment<K, V> {
    cache: Mutex<HashMap<K, Arc<V>>>,
}

impl<K, V> Default for PerSegment<K, V> {
    fn default() -> Self {
        PerSegment {
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy, V> PerSegment<K, V> {
    fn get_or_read(&self, key: K, read: impl FnOnce() -> tantivy::Result<V>) -> tantivy::Result<Arc<V>> {
        if let Some(found) = self.locked().get(&key) {
            return Ok(found.clone());
        }
        // Read unlocked: another thread reading the same segment meanwhile
        // only repeats the work.
        let value = Arc::new(read()?);
        let mut cache = self.locked();
        // Merged-away segments are dropped when there are too many.
        if cache.len() >= CACHED_SEGMENTS {
            cache.clear();
        }
        cache.insert(key, value.clone());
        Ok(value)
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, HashMap<K, Arc<V>>> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A segment's concept tags by ordinal: the IRI, the concept of the view
/// it names (none for a tag no taxonomy defines), and the concepts a tag
/// rolls up to.
#[derive(Debug, Default)]
pub(crate) struct TagDictionary {
    pub tags: Vec<(String, Option<u32>)>,
    /// Each tag's concept and those above it, one tag after the other:
    /// the facet tally reads them for every tag of every match, so they
    /// lie together rather than with the rest of each concept.
    ancestors: Vec<u32>,
    /// Where each tag's run in `ancestors` starts; one more at the end.
    ancestors_at: Vec<u32>,
}

impl TagDictionary {
    fn new(tags: Vec<(String, Option<u32>)>, view: &ConceptView) -> TagDictionary {
        let mut ancestors = Vec::new();
        let mut ancestors_at = Vec::with_capacity(tags.len() + 1);
        for (_, concept) in &tags {
            ancestors_at.push(ancestors.len() as u32);
            if let Some(concept) = concept {
                ancestors.extend_from_slice(view.ancestors_or_self(*concept));
            }
        }
        ancestors_at.push(ancestors.len() as u32);
        TagDictionary {
            tags,
            ancestors,
            ancestors_at,
        }
    }

    /// The concept of the tag of ordinal `ord` and every concept above it
    /// (none for a tag naming no concept).
    #[inline]
    pub(crate) fn ancestors_or_self(&self, ord: usize) -> &[u32] {
        match (self.ancestors_at.get(ord), self.ancestors_at.get(ord + 1)) {
            (Some(&from), Some(&to)) => &self.ancestors[from as usize..to as usize],
            _ => &[],
        }
    }
}

/// Where a segment's postings of one tag field are, by concept id of the
/// view: a broad query looks up thousands of narrower concepts per
/// segment, and a search in this list costs far less than a walk of the
/// term dictionary for each.
#[derive(Debug, Default)]
pub struct TagPostings {
    /// The concepts the segment's field carries, sorted: kept apart from
    /// `infos` so that a search touches few cache lines.
    concepts: Vec<u32>,
    /// Where the postings of each concept of `concepts` are.
    infos: Vec<TermInfo>,
}

impl TagPostings {
    /// Where the postings of each of `wanted` (sorted) are, for those the
    /// segment carries. Each is searched for from where the last was
    /// found, with steps that double: a few tags cost a few steps, and
    /// thousands cost one pass.
    pub fn of(&self, wanted: &[u32]) -> Vec<TermInfo> {
        let mut found = Vec::with_capacity(wanted.len().min(self.concepts.len()));
        let mut from = 0;
        for &concept in wanted {
            let rest = &self.concepts[from..];
            let mut step = 1;
            while step < rest.len() && rest[step - 1] < concept {
                step *= 2;
            }
            let within = &rest[..step.min(rest.len())];
            let at = from + within.partition_point(|&id| id < concept);
            if at == self.concepts.len() {
                break;
            }
            if self.concepts[at] == concept {
                found.push(self.infos[at].clone());
            }
            from = at;
        }
        found
    }
}

/// Segments (times tag fields) whose dictionaries are kept; merged-away
/// segments are dropped when there are more.
const CACHED_SEGMENTS: usize = 64;

/// A completion of what a user is typing: one per concept.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Suggestion {
    /// The concept.
    pub iri: String,
    /// What a search box shows: its prefLabel in the asked language
    /// (else English, else any).
    pub label: String,
    /// The label the input completed, when it is another one than shown
    /// (an altLabel, a label in another language); a hiddenLabel, kept for
    /// matching misspellings, is never shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_label: Option<String>,
    /// The kind of the label the input completed.
    pub kind: LabelKind,
    /// `prefix`, `infix` (a later word starts with the input) or `fuzzy` (one typo).
    pub matched: &'static str,
}

impl ConceptView {
    /// Reads every taxonomy concept of the store (deprecated ones excepted).
    pub fn load(store: &Store) -> Result<Self> {
        let mut statements: BTreeMap<String, Arc<Statements>> = BTreeMap::new();
        for predicate in Statements::PREDICATES {
            for quad in store.db().quads_for_pattern(None, Some(predicate), None, None) {
                let quad = quad?;
                let graph = graph_key(&quad.graph_name);
                let part = statements.entry(graph).or_default();
                Arc::get_mut(part).expect("not shared while loading").take(
                    &quad.graph_name,
                    quad.predicate.as_ref(),
                    &quad.subject,
                    &quad.object,
                    &new_label_keys,
                );
            }
        }
        for (graph, part) in statements.iter_mut() {
            let part = Arc::get_mut(part).expect("not shared while loading");
            part.owner = owner_of(store, graph)?;
            part.sort();
        }
        Ok(Self::assemble(statements))
    }

    /// The view after a commit that changed some graphs: only those are
    /// read again from the store; what other graphs say is kept.
    pub(crate) fn reload(&self, store: &Store, changed: &[&str]) -> Result<Self> {
        let mut statements = self.statements.clone();
        for &graph in changed {
            let key = graph_key(&graph_named(graph));
            let previous = self.statements.get(&key).map(|part| &**part);
            let mut part = tracing::debug_span!("read").in_scope(|| Statements::read_graph(store, graph, previous))?;
            part.owner = owner_of(store, &key)?;
            if part.is_empty() {
                statements.remove(&key);
            } else {
                statements.insert(key, Arc::new(part));
            }
        }
        Ok(tracing::debug_span!("assemble").in_scope(|| Self::assemble(statements)))
    }

    /// The view of what the graphs say: concepts, labels, links, keys.
    fn assemble(statements: BTreeMap<String, Arc<Statements>>) -> Self {
        let mut view = ConceptView::default();
        let deprecated: HashSet<&str> = statements
            .values()
            .flat_map(|part| part.deprecated.iter().map(String::as_str))
            .collect();
        for kind in [LabelKind::Pref, LabelKind::Alt, LabelKind::Hidden] {
            for part in statements.values() {
                for stated in &part.labels {
                    if stated.kind != kind || deprecated.contains(stated.concept.as_str()) {
                        continue;
                    }
                    let id = view.intern(&stated.concept);
                    let concept = &mut view.concepts[id as usize];
                    let entry = (kind, stated.language.clone(), stated.text.clone());
                    if let Some(owner) = &part.owner {
                        if !concept.owners.contains(owner) {
                            concept.owners.push(owner.clone());
                        }
                    }
                    if !concept.labels.contains(&entry) {
                        concept.labels.push(entry);
                        concept.label_keys.push(stated.keys.clone());
                    }
                }
            }
        }
        // The label maps and the links do not depend on each other: they
        // are worked out on two threads (a push waits for this).
        let (labels, links) = std::thread::scope(|scope| {
            let links = scope.spawn(|| Links::of_all(view.concepts.len(), &view.by_iri, &statements));
            (LabelMaps::of(&view.concepts), links.join())
        });
        let links = links.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        for (concept, links) in view.concepts.iter_mut().zip(links) {
            concept.links = links;
        }
        view.by_label = labels.by_label;
        view.by_stem = labels.by_stem;
        view.completions = labels.completions;
        view.longest_label = labels.longest_label;
        view.loose = labels.loose;
        view.statements = statements;
        view
    }

    fn intern(&mut self, iri: &str) -> u32 {
        if let Some(&id) = self.by_iri.get(iri) {
            return id;
        }
        let id = self.concepts.len() as u32;
        self.concepts.push(Concept {
            iri: iri.to_owned(),
            ..Default::default()
        });
        self.by_iri.insert(iri.to_owned(), id);
        id
    }

    /// The concept and all its broader concepts, transitively.
    pub(crate) fn ancestors_or_self(&self, id: u32) -> &[u32] {
        &self.concepts[id as usize].links.ancestors
    }

    /// The schemes of every concept, by number.
    pub(crate) fn scheme_index(&self) -> &SchemeIndex {
        self.scheme_index.get_or_init(|| SchemeIndex::new(&self.concepts))
    }

    /// The concept's direct broader concepts.
    pub fn broader(&self, id: u32) -> impl Iterator<Item = u32> + '_ {
        self.concepts[id as usize].links.broader.iter().copied()
    }

    /// Whether a caller reading `tenants` (`None`: every tenant) may see
    /// concept `id`: one of its graphs labels it.
    pub fn readable(&self, id: u32, tenants: Option<&[String]>) -> bool {
        let Some(tenants) = tenants else {
            return true;
        };
        self.concepts[id as usize]
            .owners
            .iter()
            .any(|owner| tenants.iter().any(|t| t.as_str() == &**owner))
    }

    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    pub fn id(&self, iri: &str) -> Option<u32> {
        self.by_iri.get(iri).copied()
    }

    pub fn iri(&self, id: u32) -> &str {
        &self.concepts[id as usize].iri
    }

    /// The prefLabel in `lang`, else in English, else any label.
    pub fn label(&self, id: u32, lang: Option<&str>) -> &str {
        let labels = &self.concepts[id as usize].labels;
        let pref = |l: &str| {
            labels
                .iter()
                .find(|(kind, language, _)| *kind == LabelKind::Pref && language == l)
        };
        lang.and_then(pref)
            .or_else(|| pref("en"))
            .or_else(|| labels.iter().find(|(kind, _, _)| *kind == LabelKind::Pref))
            .or(labels.first())
            .map_or(self.iri(id), |(_, _, text)| text.as_str())
    }

    /// The concepts whose labels the query contains, longest labels first,
    /// each stretch of the query used once. Labels in `lang` are preferred
    /// when one stretch names several concepts; labels of other languages
    /// still count (a German synonym finds an English-tagged asset).
    ///
    /// Labels are found as written (folded, or stemmed), and loosely (see
    /// `loose.rs`: typos, word order, function words). The stretch that
    /// covers more of the query's words wins; of two that cover the same
    /// words, the one found as written. A word is corrected only when
    /// `correct` says so (see [`Corrections`]).
    pub fn resolve(&self, query: &str, lang: Option<&str>, correct: Corrections<'_>) -> Vec<LabelMatch> {
        let tokens = super::analysis::fold_with_offsets(query);
        let words: Vec<String> = tokens.iter().map(|(word, _)| word.clone()).collect();
        let stems = Stems::of(query, lang);
        let exact: Vec<(Span, Vec<LabelRef>, bool)> = self
            .longest_labels(&words, stems.as_ref())
            .into_iter()
            .map(|(span, found)| (span, found.into_iter().map(|(label, _)| label).collect(), false))
            .collect();
        let loose_words = self.loose.query_words(&words, lang, correct);
        let counted = |span: &Span| loose_words.iter().filter(|w| span.contains(&w.index)).count();
        let mut stretches = exact;
        for (span, labels, corrected) in self.loose.find(&loose_words) {
            let overlapping: Vec<usize> = (0..stretches.len())
                .filter(|&i| stretches[i].0.start < span.end && span.start < stretches[i].0.end)
                .collect();
            let covers_more = overlapping.iter().all(|&i| {
                let inside = span.start <= stretches[i].0.start && stretches[i].0.end <= span.end;
                inside && counted(&stretches[i].0) < counted(&span)
            });
            if covers_more {
                for i in overlapping.into_iter().rev() {
                    stretches.remove(i);
                }
                stretches.push((span, labels, corrected));
            }
        }
        stretches.sort_by_key(|(span, ..)| span.start);
        let mut matches = Vec::new();
        for (span, mut ranked, corrected) in stretches {
            let range = tokens[span.start].1.start..tokens[span.end - 1].1.end;
            let mut seen = HashSet::new();
            // Preferred labels first, then the asked language.
            ranked.sort_by_key(|(id, kind, n)| {
                let language = &self.concepts[*id as usize].labels[*n].1;
                (*kind as u8, lang.is_some_and(|l| l != language))
            });
            for &(id, kind, n) in &ranked {
                if seen.insert(id) {
                    let (_, language, text) = &self.concepts[id as usize].labels[n];
                    matches.push(LabelMatch {
                        concept: id,
                        kind,
                        label: text.clone(),
                        language: language.clone(),
                        range: range.clone(),
                        corrected,
                    });
                }
            }
        }
        matches
    }

    /// At each word, the longest label that starts there, as (words it
    /// spans, the labels found and how); the next search starts after it.
    /// `stems` are the same words stemmed, when their language has a stemmer.
    fn longest_labels<S: AsRef<str>>(&self, words: &[S], stems: Option<&Stems>) -> Vec<(Span, Vec<Found>)> {
        let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
        let stems = stems.filter(|s| s.words.len() == words.len());
        let mut out = Vec::new();
        let mut start = 0;
        while start < words.len() {
            let longest = (1..=MAX_LABEL_TOKENS.min(self.longest_label).min(words.len() - start))
                .rev()
                .find_map(|len| {
                    let found = self.labels_at(&words[start..start + len], stems.map(|s| (s, start..start + len)));
                    (!found.is_empty()).then_some((len, found))
                });
            match longest {
                Some((len, found)) => {
                    out.push((start..start + len, found));
                    start += len;
                }
                None => start += 1,
            }
        }
        out
    }

    /// The labels these words are: as written (or without a qualifier),
    /// else stemmed — where every word differs from the label's own only
    /// in an ending, which keeps a stemmer's bolder merges out
    /// ("finland" is not "finlandisms").
    fn labels_at(&self, words: &[&str], stems: Option<(&Stems, Span)>) -> Vec<Found> {
        if let Some(found) = self.by_label.get(&words.join(" ")) {
            return found.clone();
        }
        let tokens_of = |&(id, _, n): &LabelRef| fold(&self.concepts[id as usize].labels[n].2);
        let Some((stems, span)) = stems else {
            return Vec::new();
        };
        let Some(refs) = self.by_stem.get(&stem_key(stems.language, &stems.words[span])) else {
            return Vec::new();
        };
        refs.iter()
            .filter(|label| {
                let tokens = tokens_of(label);
                words.iter().zip(&tokens).all(|(word, own)| same_but_ending(word, own))
            })
            .map(|label| (*label, Form::Stemmed))
            .collect()
    }

    /// Named concepts with weight 1, their narrower concepts decaying per
    /// level, related and mapped ones at `related_weight`. A concept reached
    /// several ways keeps its highest weight.
    pub fn expand(&self, named: &[u32], how: &Expansion) -> Vec<(u32, f32, Via)> {
        // Hashed cheaply: a broad concept reaches thousands.
        let mut best: AHashMap<u32, (f32, Via)> = AHashMap::new();
        let mut offer = |id: u32, weight: f32, via: Via| {
            let entry = best.entry(id).or_insert((weight, via));
            if weight > entry.0 {
                *entry = (weight, via);
            }
        };
        for (n, &id) in named.iter().enumerate() {
            offer(id, 1.0, Via::Named(n));
            let mut queue = VecDeque::from([(id, 0usize)]);
            let mut visited = ahash::AHashSet::from([id]);
            while let Some((at, depth)) = queue.pop_front() {
                if depth == how.narrower_depth {
                    continue;
                }
                for &child in &self.concepts[at as usize].links.narrower {
                    if visited.insert(child) {
                        let weight = how.narrower_decay.powi(depth as i32 + 1);
                        offer(
                            child,
                            weight,
                            Via::Narrower {
                                of: id,
                                depth: depth + 1,
                            },
                        );
                        queue.push_back((child, depth + 1));
                    }
                }
            }
            if how.related_weight > 0.0 {
                for &other in &self.concepts[id as usize].links.related {
                    offer(other, how.related_weight, Via::Related { of: id });
                }
                for &other in &self.concepts[id as usize].links.mapped {
                    offer(other, how.related_weight, Via::Mapped { of: id });
                }
            }
        }
        let mut out: Vec<_> = best.into_iter().map(|(id, (w, via))| (id, w, via)).collect();
        // Ids are unique, so the order is total.
        out.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Labels that complete `input`: whole-label prefixes first, then labels
    /// with a later word starting with it, then (when those are few) labels
    /// one typo away; within each, prefLabel before altLabel before
    /// hiddenLabel, the asked language before others, shorter first.
    pub fn suggest(
        &self,
        input: &str,
        lang: Option<&str>,
        limit: usize,
        tenants: Option<&[String]>,
    ) -> Vec<Suggestion> {
        let key = fold(input).join(" ");
        if key.is_empty() {
            return Vec::new();
        }
        let from = self
            .completions
            .partition_point(|(text, ..)| text.as_str() < key.as_str());
        let mut found: Vec<(u8, u32, usize)> = self.completions[from..]
            .iter()
            .take_while(|(text, ..)| text.starts_with(&key))
            .map(|&(_, id, n, whole)| (if whole { 0 } else { 1 }, id, n))
            .collect();
        let concepts = found.iter().map(|&(_, id, _)| id).collect::<HashSet<u32>>().len();
        if concepts < limit && key.chars().count() >= 4 {
            found.extend(self.one_typo_away(&key).into_iter().map(|(id, n)| (2, id, n)));
        }
        found.sort_by_key(|&(rank, id, n)| {
            let (kind, language, text) = &self.concepts[id as usize].labels[n];
            (
                rank,
                *kind as u8,
                lang.is_some_and(|l| l != language),
                text.chars().count(),
                id,
            )
        });
        // One entry per concept, for its best completion.
        let mut seen = HashSet::new();
        found.retain(|&(_, id, _)| self.readable(id, tenants) && seen.insert(id));
        found
            .into_iter()
            .take(limit)
            .map(|(rank, id, n)| {
                let (kind, _, text) = &self.concepts[id as usize].labels[n];
                let label = self.label(id, lang).to_owned();
                Suggestion {
                    iri: self.iri(id).to_owned(),
                    matched_label: (*kind != LabelKind::Hidden && *text != label).then(|| text.clone()),
                    label,
                    kind: *kind,
                    matched: ["prefix", "infix", "fuzzy"][rank as usize],
                }
            })
            .collect()
    }

    /// Labels with a word whose beginning is one edit away from the input's
    /// last word (the earlier words must match exactly). The typo is after
    /// the first letter, or is the first two letters swapped or a letter
    /// typed before the word: so only the completions that start with the
    /// typed first or second letter are read, two stretches of the sorted
    /// list, not the whole of it.
    fn one_typo_away(&self, key: &str) -> Vec<(u32, usize)> {
        let (head, last) = match key.rsplit_once(' ') {
            Some((head, last)) => (Some(head), last),
            None => (None, key),
        };
        let typed: Vec<char> = last.chars().collect();
        let mut firsts: Vec<char> = typed.iter().copied().take(2).collect();
        firsts.dedup();
        let mut word: Vec<char> = Vec::with_capacity(typed.len() + 1);
        let mut out = Vec::new();
        for first in firsts {
            let start = match head {
                Some(head) => format!("{head} {first}"),
                None => first.to_string(),
            };
            let from = self
                .completions
                .partition_point(|(text, ..)| text.as_str() < start.as_str());
            let stretch = self.completions[from..]
                .iter()
                .take_while(|(text, ..)| text.starts_with(&start));
            for (text, id, n, _) in stretch {
                let rest = &text[start.len() - first.len_utf8()..];
                // Only the word's first letters can matter: one more than typed.
                word.clear();
                word.extend(rest.chars().take_while(|&c| c != ' ').take(typed.len() + 1));
                if prefix_within_one_edit(&typed, &word) {
                    out.push((*id, *n));
                }
            }
        }
        out
    }

    /// The language and text of one of a concept's labels.
    pub(crate) fn label_at(&self, id: u32, n: usize) -> (&str, &str) {
        let (_, language, text) = &self.concepts[id as usize].labels[n];
        (language, text)
    }

    /// Label keys whose concepts differ between this view and `other`
    /// (added, removed, or carried by other concepts now): folded labels
    /// ("eco friendly"), and stemmed ones as `{language}\u{1f}{stems}`.
    pub fn changed_labels(&self, other: &ConceptView) -> Vec<String> {
        // The two maps are compared on two threads: a push waits for this.
        let (mut changed, stems) = std::thread::scope(|scope| {
            let stems = scope.spawn(|| changed_keys((self, &self.by_stem), (other, &other.by_stem), |label| label.0));
            let labels = changed_keys((self, &self.by_label), (other, &other.by_label), |found| found.0 .0);
            (labels, stems.join())
        });
        changed.extend(stems.unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        changed.sort();
        changed
    }

    /// Whether a concept belongs to a scheme.
    pub(crate) fn in_scheme(&self, id: u32, scheme: &str) -> bool {
        self.concepts[id as usize].links.schemes.iter().any(|s| s == scheme)
    }

    /// Whether any concept belongs to a scheme.
    pub(crate) fn knows_scheme(&self, scheme: &str) -> bool {
        self.concepts
            .iter()
            .any(|c| c.links.schemes.iter().any(|s| s == scheme))
    }

    /// Every occurrence of a concept label in a text: at each word, the
    /// longest label starting there; occurrences never overlap.
    pub fn occurrences(&self, text: &str, language: Option<&str>) -> Vec<Occurrence> {
        let tokens = super::analysis::fold_with_offsets(text);
        let words: Vec<&str> = tokens.iter().map(|(t, _)| t.as_str()).collect();
        let stems = Stems::of(text, language);
        let mut out = Vec::new();
        for (span, found) in self.longest_labels(&words, stems.as_ref()) {
            let range = tokens[span.start].1.start..tokens[span.end - 1].1.end;
            let mut seen = HashSet::new();
            for ((id, kind, n), form) in found {
                if seen.insert(id) {
                    out.push(Occurrence {
                        concept: id,
                        kind,
                        label: n,
                        form,
                        range: range.clone(),
                    });
                }
            }
        }
        out
    }

    /// The concept tag dictionary of a segment (its `concept` column),
    /// read on first use.
    pub(crate) fn tag_dictionary(
        &self,
        segment: &SegmentReader,
        column: Option<&StrColumn>,
    ) -> tantivy::Result<Arc<TagDictionary>> {
        self.tag_dictionaries.get_or_read(segment.segment_id(), || {
            let mut tags = Vec::new();
            if let Some(column) = column {
                // One pass, in order: looking each ordinal up on its own
                // decompresses a block per term.
                let mut terms = column.dictionary().stream()?;
                while terms.advance() {
                    let iri = String::from_utf8_lossy(terms.key()).into_owned();
                    let concept = self.id(&iri);
                    tags.push((iri, concept));
                }
            }
            Ok(TagDictionary::new(tags, self))
        })
    }

    /// Where the postings of each concept of the view are in a tag field
    /// of a segment, read on first use in one pass over its dictionary.
    pub fn tag_postings(&self, segment: &SegmentReader, field: Field) -> tantivy::Result<Arc<TagPostings>> {
        self.tag_postings.get_or_read((segment.segment_id(), field), || {
            let inverted = segment.inverted_index(field)?;
            let mut terms = inverted.terms().stream()?;
            let mut postings = Vec::new();
            while terms.advance() {
                let concept = std::str::from_utf8(terms.key()).ok().and_then(|iri| self.id(iri));
                if let Some(concept) = concept {
                    postings.push((concept, terms.value().clone()));
                }
            }
            postings.sort_unstable_by_key(|&(concept, _)| concept);
            let (concepts, infos) = postings.into_iter().unzip();
            Ok(TagPostings { concepts, infos })
        })
    }

    /// A concept and every narrower one, for a concept filter.
    pub fn with_narrower(&self, id: u32) -> Vec<u32> {
        let mut out = vec![id];
        let mut seen = HashSet::from([id]);
        let mut i = 0;
        while i < out.len() {
            for &child in &self.concepts[out[i] as usize].links.narrower {
                if seen.insert(child) {
                    out.push(child);
                }
            }
            i += 1;
        }
        out
    }
}

/// The words of a text stemmed in its language.
struct Stems {
    language: &'static str,
    words: Vec<String>,
}

impl Stems {
    fn of(text: &str, language: Option<&str>) -> Option<Stems> {
        let language = language?;
        Some(Stems {
            language: stemmed_language(language)?,
            words: stem(text, language)?,
        })
    }
}

fn stem_key(language: &str, stems: &[String]) -> String {
    format!("{language}\u{1f}{}", stems.join(" "))
}

/// "casting (creation from materials)" → "casting".
fn without_qualifier(label: &str) -> Option<&str> {
    let base = label.strip_suffix(')')?.rsplit_once(" (")?.0.trim_end();
    (!base.is_empty()).then_some(base)
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The keys of one kind of label map whose concepts differ between two views.
fn changed_keys<T>(
    (mine, my_map): (&ConceptView, &AHashMap<String, Vec<T>>),
    (theirs, their_map): (&ConceptView, &AHashMap<String, Vec<T>>),
    concept: impl Fn(&T) -> u32,
) -> Vec<String> {
    let same = |my: &[T], their: &[T]| -> bool {
        if let ([one], [other]) = (my, their) {
            // Most labels name one concept.
            return mine.iri(concept(one)) == theirs.iri(concept(other));
        }
        let carriers = |view: &ConceptView, found: &[T]| -> Vec<String> {
            let mut iris: Vec<String> = found.iter().map(|e| view.iri(concept(e)).to_owned()).collect();
            iris.sort_unstable();
            iris.dedup();
            iris
        };
        carriers(mine, my) == carriers(theirs, their)
    };
    let mut changed: Vec<String> = my_map
        .iter()
        .filter(|(key, my)| their_map.get(*key).is_none_or(|their| !same(my, their)))
        .map(|(key, _)| key.clone())
        .collect();
    changed.extend(their_map.keys().filter(|key| !my_map.contains_key(*key)).cloned());
    changed
}

/// The maps from lookup keys to labels (the keys themselves were worked
/// out when their graphs were read).
#[derive(Default)]
struct LabelMaps {
    by_label: AHashMap<String, Vec<Found>>,
    by_stem: AHashMap<String, Vec<LabelRef>>,
    completions: Vec<(String, u32, usize, bool)>,
    longest_label: usize,
    loose: LooseLabels,
}

impl LabelMaps {
    fn of(concepts: &[Concept]) -> LabelMaps {
        let mut maps = LabelMaps::default();
        for (id, concept) in concepts.iter().enumerate() {
            for (n, ((kind, _, _), keys)) in concept.labels.iter().zip(&concept.label_keys).enumerate() {
                for (start, suffix) in keys.suffixes.iter().enumerate() {
                    maps.completions.push((suffix.clone(), id as u32, n, start == 0));
                }
                maps.longest_label = maps.longest_label.max(keys.suffixes.len());
                let label = (id as u32, *kind, n);
                for (folded, stemmed, how) in &keys.forms {
                    push_unique(maps.by_label.entry(folded.clone()).or_default(), (label, *how));
                    if let Some(stemmed) = stemmed {
                        push_unique(maps.by_stem.entry(stemmed.clone()).or_default(), label);
                    }
                }
            }
        }
        maps.completions.sort_unstable();
        let loose_keys = concepts.iter().enumerate().flat_map(|(id, concept)| {
            (concept.labels.iter().zip(&concept.label_keys).enumerate()).flat_map(move |(n, ((kind, _, _), keys))| {
                keys.loose.iter().map(move |key| (key, (id as u32, *kind, n)))
            })
        });
        maps.loose = LooseLabels::of(loose_keys);
        maps
    }
}

/// A concept's schemes and links, worked out apart from its labels.
#[derive(Debug, Default, Clone)]
struct Links {
    schemes: Vec<String>,
    narrower: Vec<u32>,
    /// The direct broader concepts.
    broader: Vec<u32>,
    /// Every broader concept, transitively, and the concept itself.
    ancestors: Vec<u32>,
    related: Vec<u32>,
    mapped: Vec<u32>,
}

impl Links {
    /// The links of every concept (by id) of `by_iri`, from what the graphs say.
    fn of_all(
        concepts: usize,
        by_iri: &AHashMap<String, u32>,
        statements: &BTreeMap<String, Arc<Statements>>,
    ) -> Vec<Links> {
        let mut all = vec![Links::default(); concepts];
        for part in statements.values() {
            for (s, scheme) in &part.in_scheme {
                if let Some(&id) = by_iri.get(s.as_str()) {
                    push_unique(&mut all[id as usize].schemes, scheme.clone());
                }
            }
        }
        for link in [Link::Narrower, Link::Related, Link::Mapped] {
            for part in statements.values() {
                for (kind, s, o) in &part.links {
                    let (from, to) = match (kind, link) {
                        (Link::Broader, Link::Narrower) => (o, s),
                        (k, l) if *k == l => (s, o),
                        _ => continue,
                    };
                    let (Some(&from), Some(&to)) = (by_iri.get(from.as_str()), by_iri.get(to.as_str())) else {
                        continue;
                    };
                    all[from as usize].add(link, to, from);
                    if link != Link::Narrower {
                        // related and mapped hold both ways
                        all[to as usize].add(link, from, to);
                    }
                }
            }
        }
        Self::add_ancestors(&mut all);
        all
    }

    /// Links this concept (`me`) to another known one.
    fn add(&mut self, link: Link, to: u32, me: u32) {
        let links = match link {
            Link::Narrower | Link::Broader => &mut self.narrower,
            Link::Related => &mut self.related,
            Link::Mapped => &mut self.mapped,
        };
        if me != to && !links.contains(&to) {
            links.push(to);
        }
    }

    fn add_ancestors(all: &mut [Links]) {
        let mut broader: Vec<Vec<u32>> = vec![Vec::new(); all.len()];
        for (id, links) in all.iter().enumerate() {
            for &child in &links.narrower {
                broader[child as usize].push(id as u32);
            }
        }
        for (links, broader) in all.iter_mut().zip(broader) {
            links.broader = broader;
        }
        for id in 0..all.len() {
            let mut seen = vec![id as u32];
            let mut i = 0;
            while i < seen.len() {
                for &parent in &all[seen[i] as usize].broader {
                    if !seen.contains(&parent) {
                        seen.push(parent);
                    }
                }
                i += 1;
            }
            all[id].ancestors = seen;
        }
    }
}

/// How a label's lookup keys are had: worked out, or taken over.
type LabelKeysOf<'a> = dyn Fn(&str, &str) -> Arc<LabelKeys> + Sync + 'a;

fn new_label_keys(text: &str, language: &str) -> Arc<LabelKeys> {
    Arc::new(LabelKeys::of(text, language))
}

/// The statements of one graph the view is made of.
#[derive(Debug, Default)]
struct Statements {
    /// In taxonomy graphs only.
    labels: Vec<StatedLabel>,
    /// (concept, scheme)
    in_scheme: Vec<(String, String)>,
    /// (link, subject, object) as stated.
    links: Vec<(Link, String, String)>,
    deprecated: Vec<String>,
    /// The tenant whose graph it is (`None`: the default graph, which no
    /// tenant-limited caller reads).
    owner: Option<Arc<str>>,
}

/// The tenant a graph of the view belongs to: the registry's, or `shared`
/// for the shipped vocabularies.
fn owner_of(store: &Store, key: &str) -> Result<Option<Arc<str>>> {
    if key.is_empty() {
        return Ok(None);
    }
    let graph = oxigraph::model::NamedNodeRef::new_unchecked(key);
    let owner = if store.graph_kind(graph)?.as_deref() == Some("ontology") {
        crate::auth::SHARED_TENANT.to_owned()
    } else {
        store.graph_owner(graph)?
    };
    Ok(Some(owner.into()))
}

#[derive(Debug)]
struct StatedLabel {
    concept: String,
    kind: LabelKind,
    language: String,
    text: String,
    keys: Arc<LabelKeys>,
}

/// The lookup keys of one label. They depend on its text and language
/// only, so they are worked out once, when its graph is read: a commit
/// then folds and stems only the labels of the graphs it changed, where
/// doing it for every label of every taxonomy was most of what a push
/// cost.
#[derive(Debug)]
struct LabelKeys {
    /// The folded label from each of its words on, for completion (none
    /// for a label without words).
    suffixes: Vec<String>,
    /// For the label as written, and without its qualifier: the folded
    /// key, the stemmed key when the language has a stemmer, the form.
    forms: Vec<(String, Option<String>, Form)>,
    /// Its loose keys, as written and without its qualifier (`loose.rs`).
    loose: Vec<LooseKey>,
}

impl LabelKeys {
    fn of(text: &str, language: &str) -> LabelKeys {
        let tokens = fold(text);
        if tokens.is_empty() {
            return LabelKeys {
                suffixes: Vec::new(),
                forms: Vec::new(),
                loose: Vec::new(),
            };
        }
        let suffixes: Vec<String> = (0..tokens.len()).map(|start| tokens[start..].join(" ")).collect();
        let stemmed = |form: &str| {
            stem(form, language).map(|stems| stem_key(stemmed_language(language).unwrap_or_default(), &stems))
        };
        // As written, the folded label is its first suffix.
        let mut forms = vec![(suffixes[0].clone(), stemmed(text), Form::Exact)];
        let mut loose: Vec<LooseKey> = loose_key(text, language).into_iter().collect();
        if let Some(base) = without_qualifier(text) {
            let tokens = fold(base);
            if !tokens.is_empty() {
                forms.push((tokens.join(" "), stemmed(base), Form::WithoutQualifier));
            }
            loose.extend(loose_key(base, language).filter(|key| !loose.contains(key)));
        }
        LabelKeys { suffixes, forms, loose }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Link {
    Narrower,
    Broader,
    Related,
    /// exactMatch or closeMatch
    Mapped,
}

impl Statements {
    const PREDICATES: [NamedNodeRef<'static>; 10] = [
        skos::PREF_LABEL,
        skos::ALT_LABEL,
        skos::HIDDEN_LABEL,
        skos::IN_SCHEME,
        skos::NARROWER,
        skos::BROADER,
        skos::RELATED,
        skos::EXACT_MATCH,
        skos::CLOSE_MATCH,
        owl::DEPRECATED,
    ];

    /// Keeps one quad if the view needs it; `keys` gives a label's lookup keys.
    fn take(
        &mut self,
        graph: &GraphName,
        predicate: NamedNodeRef<'_>,
        subject: &NamedOrBlankNode,
        object: &Term,
        keys: &LabelKeysOf<'_>,
    ) {
        let NamedOrBlankNode::NamedNode(s) = subject else {
            return;
        };
        let s = s.as_str().to_owned();
        let label = match predicate {
            p if p == skos::PREF_LABEL => Some(LabelKind::Pref),
            p if p == skos::ALT_LABEL => Some(LabelKind::Alt),
            p if p == skos::HIDDEN_LABEL => Some(LabelKind::Hidden),
            _ => None,
        };
        if let Some(kind) = label {
            if let (Term::Literal(l), true) = (object, is_taxonomy(graph)) {
                let language = l.language().unwrap_or("");
                self.labels.push(StatedLabel {
                    concept: s,
                    kind,
                    language: language.to_owned(),
                    text: l.value().to_owned(),
                    keys: keys(l.value(), language),
                });
            }
            return;
        }
        if predicate == owl::DEPRECATED {
            if crate::ingest::poolparty::is_true(object.as_ref()) {
                self.deprecated.push(s);
            }
            return;
        }
        let Term::NamedNode(o) = object else { return };
        let o = o.as_str().to_owned();
        let link = match predicate {
            p if p == skos::IN_SCHEME => {
                self.in_scheme.push((s, o));
                return;
            }
            p if p == skos::NARROWER => Link::Narrower,
            p if p == skos::BROADER => Link::Broader,
            p if p == skos::RELATED => Link::Related,
            p if p == skos::EXACT_MATCH || p == skos::CLOSE_MATCH => Link::Mapped,
            _ => return,
        };
        self.links.push((link, s, o));
    }

    fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.in_scheme.is_empty() && self.links.is_empty() && self.deprecated.is_empty()
    }

    /// What one graph says. A graph the write path keeps in memory (a
    /// large one, see `store::cache`) is read from there; any other is read
    /// from the store predicate by predicate (only those the view needs),
    /// half of the predicates on another thread: decoding the quads of a
    /// pushed taxonomy was most of what a push cost the index. The lookup
    /// keys of a label the graph already had (`previous`) are taken over,
    /// not worked out again.
    fn read_graph(store: &Store, graph: &str, previous: Option<&Statements>) -> Result<Statements> {
        let name = graph_named(graph);
        let known = previous.map(Statements::label_keys).unwrap_or_default();
        let keys = |text: &str, language: &str| -> Arc<LabelKeys> {
            match known.get(&(text, language)) {
                Some(keys) => keys.clone(),
                None => new_label_keys(text, language),
            }
        };
        if let Some(triples) = store.kept_triples(&name) {
            let mut part = Statements::default();
            let wanted = triples
                .iter()
                .filter(|t| Self::PREDICATES.contains(&t.predicate.as_ref()));
            for t in wanted {
                part.take(&name, t.predicate.as_ref(), &t.subject, &t.object, &keys);
            }
            part.sort();
            return Ok(part);
        }
        let read = |predicates: &[NamedNodeRef<'static>]| -> Result<Statements> {
            let mut part = Statements::default();
            for &predicate in predicates {
                let quads = store
                    .db()
                    .quads_for_pattern(None, Some(predicate), None, Some(name.as_ref()));
                for quad in quads {
                    let quad = quad?;
                    part.take(&name, predicate, &quad.subject, &quad.object, &keys);
                }
            }
            Ok(part)
        };
        // Labels are most of a taxonomy: they go alone to one thread.
        let (labels, rest) = Self::PREDICATES.split_at(3);
        let (first, second) = std::thread::scope(|scope| {
            let second = scope.spawn(|| read(rest));
            (read(labels), second.join())
        });
        let mut first = first?;
        first.append(second.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
        first.sort();
        Ok(first)
    }

    /// The lookup keys of each label, by its text and language.
    fn label_keys(&self) -> HashMap<(&str, &str), Arc<LabelKeys>> {
        (self.labels.iter())
            .map(|l| ((l.text.as_str(), l.language.as_str()), l.keys.clone()))
            .collect()
    }

    /// Puts the statements in one order, whatever order they were read in
    /// (the store's or a kept graph's), so that a view is the same however
    /// its graphs were read.
    fn sort(&mut self) {
        self.labels.sort_by(|a, b| {
            (&a.concept, a.kind, &a.language, &a.text).cmp(&(&b.concept, b.kind, &b.language, &b.text))
        });
        self.in_scheme.sort();
        self.links.sort();
        self.deprecated.sort();
    }

    fn append(&mut self, other: Statements) {
        self.labels.extend(other.labels);
        self.in_scheme.extend(other.in_scheme);
        self.links.extend(other.links);
        self.deprecated.extend(other.deprecated);
    }
}

/// The graph a receipt names ([`graphs::DEFAULT`] stands for the default graph).
fn graph_named(name: &str) -> GraphName {
    if name == crate::vocab::graphs::DEFAULT {
        GraphName::DefaultGraph
    } else {
        GraphName::NamedNode(oxigraph::model::NamedNode::new_unchecked(name))
    }
}

fn graph_key(graph: &GraphName) -> String {
    match graph {
        GraphName::NamedNode(g) => g.as_str().to_owned(),
        _ => String::new(),
    }
}

fn is_taxonomy(graph: &GraphName) -> bool {
    match graph {
        GraphName::NamedNode(g) => !NOT_TAXONOMIES.contains(&g.as_str()),
        _ => true,
    }
}

/// Whether some prefix of `word` is at most one edit (substitution,
/// insertion, deletion or swap of neighbours) from `typed`.
fn prefix_within_one_edit(typed: &[char], word: &[char]) -> bool {
    let n = typed.len();
    let candidates = [n.saturating_sub(1), n, n + 1];
    candidates
        .iter()
        .any(|&len| len <= word.len() && len > 0 && within_one_edit(typed, &word[..len]))
}

fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let common = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if common == short.len() {
        return true;
    }
    if short.len() == long.len() {
        let swapped = common + 1 < short.len()
            && short[common] == long[common + 1]
            && short[common + 1] == long[common]
            && short[common + 2..] == long[common + 2..];
        return swapped || short[common + 1..] == long[common + 1..];
    }
    short[common..] == long[common + 1..]
}

#[cfg(test)]
mod tests {
    use super::TagPostings;
    use tantivy::postings::TermInfo;

    fn prefix_within_one_edit(typed: &str, word: &str) -> bool {
        let chars = |s: &str| s.chars().collect::<Vec<char>>();
        super::prefix_within_one_edit(&chars(typed), &chars(word))
    }

    #[test]
    fn one_edit_covers_substitution_insertion_deletion_and_swaps() {
        assert!(prefix_within_one_edit("recyc", "recyclable"));
        assert!(prefix_within_one_edit("recyk", "recyclable"), "substitution");
        assert!(prefix_within_one_edit("reccyc", "recyclable"), "insertion");
        assert!(prefix_within_one_edit("rcyc", "recyclable"), "deletion");
        assert!(prefix_within_one_edit("ercyc", "recyclable"), "swap");
        assert!(!prefix_within_one_edit("rxcyk", "recyclable"), "two edits");
        assert!(!prefix_within_one_edit("packaging", "pack"));
    }

    #[test]
    fn stemmed_words_may_differ_only_in_their_endings() {
        use super::super::loose::same_but_ending;
        assert!(same_but_ending("cups", "cup"));
        assert!(same_but_ending("companies", "company"));
        assert!(same_but_ending("castings", "casting"));
        assert!(!same_but_ending("finland", "finlandisms"));
        assert!(!same_but_ending("education", "educability"));
    }

    #[test]
    fn a_qualifier_is_the_last_parenthesis() {
        use super::without_qualifier;
        assert_eq!(without_qualifier("casting (creation from materials)"), Some("casting"));
        assert_eq!(without_qualifier("guides (occupations)"), Some("guides"));
        assert_eq!(without_qualifier("(unknown)"), None);
        assert_eq!(without_qualifier("history"), None);
    }

    #[test]
    fn tag_postings_finds_exactly_the_wanted_concepts_it_carries() {
        let info = |n: u32| TermInfo {
            doc_freq: n,
            postings_range: 0..0,
            positions_range: 0..0,
        };
        let carried: Vec<u32> = (0..500).map(|n| n * 3 + 1).collect();
        let postings = TagPostings {
            infos: carried.iter().map(|&c| info(c)).collect(),
            concepts: carried,
        };
        let wanted_sets: [Vec<u32>; 5] = [
            vec![],
            vec![0],
            vec![1, 2, 1498],
            (0..1600).collect(),
            vec![4, 700, 701, 1000, 1499, 5000],
        ];
        for wanted in wanted_sets {
            let found: Vec<u32> = postings.of(&wanted).iter().map(|i| i.doc_freq).collect();
            let expected: Vec<u32> = wanted.iter().copied().filter(|c| c % 3 == 1 && *c < 1500).collect();
            assert_eq!(found, expected, "wanted {wanted:?}");
        }
    }
}

//! Facet counts over every asset a query matched (after the rights filter):
//! source, content type, licence type, the concepts they are tagged with
//! (as tagged), and per concept scheme the concepts rolled up the
//! hierarchy: an asset tagged "Recyclable" counts once for Recyclable, once
//! for Sustainable packaging above it and once for Packaging above that,
//! however many of their narrower concepts it carries.

use super::concepts::{ConceptView, TagDictionary};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, ColumnValues, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// The plain fields counted, by their name in the index and the answer.
const FIELDS: [&str; 3] = ["source", "content_type", "license_type"];

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Facets {
    pub source: Vec<Bucket>,
    pub content_type: Vec<Bucket>,
    pub license_type: Vec<Bucket>,
    pub concept: Vec<ConceptBucket>,
    /// Per concept scheme, its concepts with counts rolled up the hierarchy.
    pub schemes: Vec<SchemeFacet>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct SchemeFacet {
    pub scheme: String,
    /// Most assets first; `broader` lets a UI draw the tree.
    pub concepts: Vec<RolledUp>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RolledUp {
    pub iri: String,
    pub label: String,
    /// Matching assets tagged with this concept or any narrower one.
    pub count: u32,
    pub broader: Vec<String>,
}

/// Counts every facet in one pass over the fast fields of each matching
/// asset: the values of the plain fields and the concept tags by ordinal,
/// and the tags rolled up the hierarchy by concept id (each asset once per
/// concept at or above its tags). Ordinals become values only at the end
/// of a segment, and only those counted.
pub(super) struct Tally {
    pub view: Arc<ConceptView>,
}

/// What a segment, then the whole index, counted. Concepts are listed
/// only when counted: the work follows the matches, not the size of the
/// taxonomies.
#[derive(Default)]
pub(super) struct Tallied {
    /// Per plain field (in the order of `FIELDS`): value → assets.
    fields: [HashMap<String, u64>; 3],
    /// (concept id of the view, assets tagged with it).
    tagged: Vec<(u32, u64)>,
    /// Tags that name no concept of the view (IRI → assets).
    tagged_unknown: HashMap<String, u64>,
    /// (concept id of the view, assets at or below it).
    rolled_up: Vec<(u32, u32)>,
}

pub(super) struct TallySegment {
    fields: Vec<PlainField>,
    tags: Option<StrColumn>,
    dictionary: Arc<TagDictionary>,
    tagged: Vec<u32>,
    /// Per tag ordinal, the matches carrying that tag alone: rolled up
    /// once per tag at the end rather than once per match.
    alone: Vec<u32>,
    roll_up: RollUp,
}

/// One plain field of a segment and its counts per ordinal.
struct PlainField {
    column: Option<StrColumn>,
    /// The ordinal of each document when it has at most one value (as
    /// assets do): read directly, without walking a list of values. A
    /// document without a value reads past the last ordinal.
    single: Option<Arc<dyn ColumnValues<u64>>>,
    /// Per ordinal, and one more for documents without a value.
    counts: Vec<u32>,
}

impl PlainField {
    fn open(segment: &SegmentReader, name: &str) -> tantivy::Result<PlainField> {
        let column = segment.fast_fields().str(name)?;
        let terms = column.as_ref().map_or(0, |c| c.dictionary().num_terms());
        let single = column
            .as_ref()
            .filter(|c| c.ords().get_cardinality() != Cardinality::Multivalued)
            .map(|c| c.ords().clone().first_or_default_col(terms as u64));
        Ok(PlainField {
            column,
            single,
            counts: vec![0; terms + 1],
        })
    }

    #[inline]
    fn count(&mut self, doc: DocId) {
        match (&self.single, &self.column) {
            (Some(single), _) => {
                let ord = single.get_val(doc) as usize;
                if let Some(n) = self.counts.get_mut(ord) {
                    *n += 1;
                }
            }
            (None, Some(column)) => {
                for ord in column.term_ords(doc) {
                    self.counts[ord as usize] += 1;
                }
            }
            (None, None) => {}
        }
    }
}

/// Counters per concept id for the roll-up of one segment. Sized to the
/// taxonomies, so they are kept between queries and only the counters a
/// segment touched are cleared.
#[derive(Default)]
struct RollUp {
    counters: Vec<Counter>,
    touched: Vec<u32>,
}

/// One concept's count, and the last document counted for it (to count
/// each once): side by side, so that counting touches one cache line.
#[derive(Clone, Copy)]
struct Counter {
    last: DocId,
    count: u32,
}

impl Counter {
    const CLEAR: Counter = Counter {
        last: DocId::MAX,
        count: 0,
    };
}

/// Roll-up counters ready for reuse, all clear.
static SPARE_ROLL_UPS: std::sync::Mutex<Vec<RollUp>> = std::sync::Mutex::new(Vec::new());
/// Kept at most (one per concurrent segment collection is enough).
const SPARE_ROLL_UPS_KEPT: usize = 16;

impl RollUp {
    /// Clear counters for `concepts` concepts.
    fn take(concepts: usize) -> RollUp {
        let spare = SPARE_ROLL_UPS.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut roll_up = spare.unwrap_or_default();
        // Every counter is clear, so resizing keeps them so.
        roll_up.counters.resize(concepts, Counter::CLEAR);
        roll_up
    }

    /// Counts `doc` once for `concept`.
    #[inline]
    fn count(&mut self, concept: u32, doc: DocId) {
        let counter = &mut self.counters[concept as usize];
        if counter.last != doc {
            counter.last = doc;
            if counter.count == 0 {
                self.touched.push(concept);
            }
            counter.count += 1;
        }
    }

    /// Adds `n` to a concept's count (sums of segments: no document check).
    #[inline]
    fn add(&mut self, concept: u32, n: u32) {
        let counter = &mut self.counters[concept as usize];
        if counter.count == 0 {
            self.touched.push(concept);
        }
        counter.count += n;
    }

    /// The counts, and the counters cleared and put back for reuse.
    fn finish(mut self) -> Vec<(u32, u32)> {
        let mut counted = Vec::with_capacity(self.touched.len());
        for &concept in &self.touched {
            let counter = &mut self.counters[concept as usize];
            counted.push((concept, counter.count));
            *counter = Counter::CLEAR;
        }
        self.touched.clear();
        let mut spare = SPARE_ROLL_UPS.lock().unwrap_or_else(|p| p.into_inner());
        if spare.len() < SPARE_ROLL_UPS_KEPT {
            spare.push(self);
        }
        counted
    }
}

impl Collector for Tally {
    type Fruit = Tallied;
    type Child = TallySegment;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<TallySegment> {
        let fields = FIELDS
            .iter()
            .map(|name| PlainField::open(segment, name))
            .collect::<tantivy::Result<_>>()?;
        let tags = segment.fast_fields().str("concept")?;
        let dictionary = self.view.tag_dictionary(segment, tags.as_ref())?;
        Ok(TallySegment {
            fields,
            tagged: vec![0; dictionary.tags.len()],
            alone: vec![0; dictionary.tags.len()],
            tags,
            dictionary,
            roll_up: RollUp::take(self.view.len()),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Tallied>) -> tantivy::Result<Tallied> {
        let mut total = Tallied::default();
        // Per concept id, in pooled counters: segments count thousands of
        // concepts each, and hashing every one of them again would cost
        // more than counting did.
        let mut tagged = RollUp::take(self.view.len());
        let mut rolled_up = RollUp::take(self.view.len());
        for fruit in fruits {
            for (sum, counts) in total.fields.iter_mut().zip(fruit.fields) {
                add_counts(sum, counts);
            }
            for (id, n) in fruit.tagged {
                tagged.add(id, n as u32);
            }
            add_counts(&mut total.tagged_unknown, fruit.tagged_unknown);
            for (id, n) in fruit.rolled_up {
                rolled_up.add(id, n);
            }
        }
        total.tagged = tagged.finish().into_iter().map(|(id, n)| (id, u64::from(n))).collect();
        total.rolled_up = rolled_up.finish();
        Ok(total)
    }
}

fn add_counts(sum: &mut HashMap<String, u64>, counts: HashMap<String, u64>) {
    for (value, n) in counts {
        *sum.entry(value).or_default() += n;
    }
}

impl SegmentCollector for TallySegment {
    type Fruit = Tallied;

    fn collect(&mut self, doc: DocId, _: Score) {
        for field in &mut self.fields {
            field.count(doc);
        }
        let Some(column) = &self.tags else { return };
        let mut ords = column.term_ords(doc);
        let Some(first) = ords.next() else { return };
        let Some(second) = ords.next() else {
            self.tagged[first as usize] += 1;
            self.alone[first as usize] += 1;
            return;
        };
        for ord in [first, second].into_iter().chain(ords) {
            self.tagged[ord as usize] += 1;
            for &concept in self.dictionary.ancestors_or_self(ord as usize) {
                self.roll_up.count(concept, doc);
            }
        }
    }

    fn harvest(mut self) -> Tallied {
        // Matches with one tag count once for each concept at or above it,
        // as no other tag of theirs can have counted them.
        for (ord, &n) in self.alone.iter().enumerate().filter(|(_, n)| **n > 0) {
            for &concept in self.dictionary.ancestors_or_self(ord) {
                self.roll_up.add(concept, n);
            }
        }
        let mut fields: [HashMap<String, u64>; 3] = Default::default();
        for (out, field) in fields.iter_mut().zip(self.fields) {
            if let Some(column) = field.column {
                *out = values_counted(&column, &field.counts);
            }
        }
        let mut tagged = Vec::new();
        let mut tagged_unknown = HashMap::new();
        for (ord, &n) in self.tagged.iter().enumerate().filter(|(_, n)| **n > 0) {
            match &self.dictionary.tags[ord] {
                (_, Some(id)) => tagged.push((*id, u64::from(n))),
                (iri, None) => *tagged_unknown.entry(iri.clone()).or_default() += u64::from(n),
            }
        }
        Tallied {
            fields,
            tagged,
            tagged_unknown,
            rolled_up: self.roll_up.finish(),
        }
    }
}

/// The values of a column whose ordinals were counted, with their counts.
fn values_counted(column: &StrColumn, counts: &[u32]) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    if counts.iter().all(|n| *n == 0) {
        return out;
    }
    // One pass over the (small) dictionary: looking ordinals up one by one
    // decompresses a block each.
    let Ok(mut terms) = column.dictionary().stream() else {
        return out;
    };
    let mut ord = 0;
    while terms.advance() {
        if let Some(&n) = counts.get(ord).filter(|n| **n > 0) {
            out.insert(String::from_utf8_lossy(terms.key()).into_owned(), u64::from(n));
        }
        ord += 1;
    }
    out
}

/// The rolled-up counts grouped by scheme, most assets first. Only the
/// concepts kept are labelled: most queries reach thousands.
pub(super) fn schemes(counts: &[(u32, u32)], view: &ConceptView, lang: Option<&str>, size: usize) -> Vec<SchemeFacet> {
    let index = view.scheme_index();
    let mut by_scheme: Vec<Vec<(u32, u32)>> = vec![Vec::new(); index.names.len()];
    for &(id, count) in counts {
        for &scheme in index.of(id) {
            by_scheme[scheme as usize].push((count, id));
        }
    }
    // In the order of the schemes' IRIs, as the names are.
    by_scheme
        .into_iter()
        .zip(&index.names)
        .filter(|(counted, _)| !counted.is_empty())
        .map(|(counted, scheme)| {
            let concepts = most_counted(counted, size, view)
                .into_iter()
                .map(|(count, id)| RolledUp {
                    iri: view.iri(id).to_owned(),
                    label: view.label(id, lang).to_owned(),
                    count,
                    broader: view.broader(id).map(|b| view.iri(b).to_owned()).collect(),
                })
                .collect();
            SchemeFacet {
                scheme: scheme.to_owned(),
                concepts,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Bucket {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ConceptBucket {
    pub iri: String,
    pub label: String,
    /// Matching assets tagged with exactly this concept.
    pub count: u64,
}

/// The facets of the answer: buckets by count (then value), the concepts
/// labelled in `lang`, the roll-up grouped by scheme.
pub(super) fn read(tallied: Tallied, view: &ConceptView, lang: Option<&str>, size: usize) -> Facets {
    let [source, content_type, license_type] = tallied.fields.map(|counts| buckets(counts, size));
    let mut tagged = tallied.tagged_unknown;
    let known: Vec<(u64, u32)> = tallied.tagged.iter().map(|&(id, n)| (n, id)).collect();
    // Only the best of the known concepts can make the list.
    tagged.extend(
        most_counted(known, size, view)
            .into_iter()
            .map(|(n, id)| (view.iri(id).to_owned(), n)),
    );
    let concept = buckets(tagged, size)
        .into_iter()
        .map(|b| ConceptBucket {
            label: view
                .id(&b.value)
                .map_or(b.value.clone(), |id| view.label(id, lang).to_owned()),
            iri: b.value,
            count: b.count,
        })
        .collect();
    Facets {
        source,
        content_type,
        license_type,
        concept,
        schemes: schemes(&tallied.rolled_up, view, lang, size),
    }
}

fn buckets(counts: HashMap<String, u64>, size: usize) -> Vec<Bucket> {
    let buckets: Vec<Bucket> = counts
        .into_iter()
        .map(|(value, count)| Bucket { value, count })
        .collect();
    top(buckets, size, |a, b| {
        b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value))
    })
}

/// The first `size` items in `order`, sorted, without sorting the rest.
fn top<T>(mut items: Vec<T>, size: usize, order: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<T> {
    if items.len() > size && size > 0 {
        items.select_nth_unstable_by(size - 1, &order);
    }
    items.truncate(size);
    items.sort_by(order);
    items
}

/// The `size` concepts with the largest counts, ties by IRI, sorted so.
/// Counts are compared first on their own: IRIs only decide among the
/// concepts tied at the last place, not among the thousands of concepts
/// a broad query counts once or twice.
fn most_counted<N: Ord + Copy>(mut counted: Vec<(N, u32)>, size: usize, view: &ConceptView) -> Vec<(N, u32)> {
    let most = |a: &(N, u32), b: &(N, u32)| b.0.cmp(&a.0).then_with(|| view.iri(a.1).cmp(view.iri(b.1)));
    if size == 0 {
        return Vec::new();
    }
    if counted.len() > size {
        counted.select_nth_unstable_by(size - 1, |a, b| b.0.cmp(&a.0));
        // Every count above the last place's makes the list.
        let last = counted[size - 1].0;
        let (mut kept, tied): (Vec<_>, Vec<_>) = counted.into_iter().filter(|c| c.0 >= last).partition(|c| c.0 > last);
        let wanted = size - kept.len();
        kept.extend(top(tied, wanted, most));
        counted = kept;
    }
    counted.sort_by(most);
    counted
}

//! Facet counts over every asset a query matched (after the rights filter):
//! source, content type, licence type, the concepts they are tagged with
//! (as tagged), and per concept scheme the concepts rolled up the
//! hierarchy: an asset tagged "Recyclable" counts once for Recyclable, once
//! for Sustainable packaging above it and once for Packaging above that,
//! however many of their narrower concepts it carries.

use super::concepts::ConceptView;
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::AggregationResults;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Index, Score, SegmentOrdinal, SegmentReader};

/// The plain fields counted, by their name in the index and the answer.
const FIELDS: [&str; 3] = ["source", "content_type", "license_type"];
/// Buckets per field; concepts get more.
const FIELD_BUCKETS: usize = 50;
const CONCEPT_BUCKETS: usize = 200;

#[derive(Debug, Clone, Serialize, Default)]
pub struct Facets {
    pub source: Vec<Bucket>,
    pub content_type: Vec<Bucket>,
    pub license_type: Vec<Bucket>,
    pub concept: Vec<ConceptBucket>,
    /// Per concept scheme, its concepts with counts rolled up the hierarchy.
    pub schemes: Vec<SchemeFacet>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SchemeFacet {
    pub scheme: String,
    /// Most assets first; `broader` lets a UI draw the tree.
    pub concepts: Vec<RolledUp>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RolledUp {
    pub iri: String,
    pub label: String,
    /// Matching assets tagged with this concept or any narrower one.
    pub count: u32,
    pub broader: Vec<String>,
}

/// Concepts listed per scheme, at most.
const SCHEME_BUCKETS: usize = 100;

/// Counts, per concept of the view, the matching assets whose curated tags
/// are the concept or a narrower one; each asset once per concept.
pub struct RollUp {
    pub view: Arc<ConceptView>,
}

pub struct RollUpSegment {
    view: Arc<ConceptView>,
    column: Option<StrColumn>,
    /// Term ordinal of the segment's dictionary → concept id.
    concept_of: Vec<Option<u32>>,
    counts: Vec<u32>,
    /// The last document counted for each concept (to count each once).
    last: Vec<u32>,
}

impl Collector for RollUp {
    type Fruit = Vec<u32>;
    type Child = RollUpSegment;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<RollUpSegment> {
        let column = segment.fast_fields().str("concept")?;
        let mut concept_of = Vec::new();
        if let Some(column) = &column {
            // One pass over the dictionary, in order: looking each ordinal
            // up on its own decompresses a block per term.
            let mut terms = column.dictionary().stream()?;
            while terms.advance() {
                let iri = std::str::from_utf8(terms.key()).unwrap_or_default();
                concept_of.push(self.view.id(iri));
            }
        }
        Ok(RollUpSegment {
            view: self.view.clone(),
            column,
            concept_of,
            counts: vec![0; self.view.len()],
            last: vec![u32::MAX; self.view.len()],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<u32>>) -> tantivy::Result<Vec<u32>> {
        let mut total = vec![0; self.view.len()];
        for fruit in fruits {
            for (sum, n) in total.iter_mut().zip(fruit) {
                *sum += n;
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for RollUpSegment {
    type Fruit = Vec<u32>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let Some(column) = &self.column else { return };
        for ord in column.term_ords(doc) {
            let Some(Some(id)) = self.concept_of.get(ord as usize) else {
                continue;
            };
            for &concept in self.view.ancestors_or_self(*id) {
                let seen = &mut self.last[concept as usize];
                if *seen != doc {
                    *seen = doc;
                    self.counts[concept as usize] += 1;
                }
            }
        }
    }

    fn harvest(self) -> Vec<u32> {
        self.counts
    }
}

/// The rolled-up counts grouped by scheme, most assets first.
pub fn schemes(counts: &[u32], view: &ConceptView, lang: Option<&str>) -> Vec<SchemeFacet> {
    let mut by_scheme: std::collections::BTreeMap<&str, Vec<RolledUp>> = Default::default();
    for (id, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let id = id as u32;
        for scheme in view.schemes(id) {
            by_scheme.entry(scheme).or_default().push(RolledUp {
                iri: view.iri(id).to_owned(),
                label: view.label(id, lang).to_owned(),
                count,
                broader: view.broader(id).map(|b| view.iri(b).to_owned()).collect(),
            });
        }
    }
    by_scheme
        .into_iter()
        .map(|(scheme, mut concepts)| {
            concepts.sort_by(|a, b| b.count.cmp(&a.count).then(a.iri.cmp(&b.iri)));
            concepts.truncate(SCHEME_BUCKETS);
            SchemeFacet {
                scheme: scheme.to_owned(),
                concepts,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bucket {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConceptBucket {
    pub iri: String,
    pub label: String,
    /// Matching assets tagged with exactly this concept.
    pub count: u64,
}

pub fn collector(index: &Index) -> Result<AggregationCollector> {
    let mut request = serde_json::Map::new();
    for field in FIELDS {
        request.insert(field.into(), json!({"terms": {"field": field, "size": FIELD_BUCKETS}}));
    }
    request.insert(
        "concept".into(),
        json!({"terms": {"field": "concept", "size": CONCEPT_BUCKETS}}),
    );
    let aggregations: Aggregations =
        serde_json::from_value(Value::Object(request)).map_err(|e| Error::Index(format!("facet request: {e}")))?;
    let context = AggContextParams::new(AggregationLimitsGuard::default(), index.tokenizers().clone());
    Ok(AggregationCollector::from_aggs(aggregations, context))
}

pub fn read(results: &AggregationResults, rolled_up: &[u32], view: &ConceptView, lang: Option<&str>) -> Result<Facets> {
    let value = serde_json::to_value(results).map_err(|e| Error::Index(format!("facet results: {e}")))?;
    let buckets = |name: &str| -> Vec<Bucket> {
        value[name]["buckets"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|b| {
                        Some(Bucket {
                            value: b["key"].as_str()?.to_owned(),
                            count: b["doc_count"].as_u64()?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let concept = buckets("concept")
        .into_iter()
        .map(|b| ConceptBucket {
            label: view
                .id(&b.value)
                .map_or(b.value.clone(), |id| view.label(id, lang).to_owned()),
            iri: b.value,
            count: b.count,
        })
        .collect();
    Ok(Facets {
        source: buckets("source"),
        content_type: buckets("content_type"),
        license_type: buckets("license_type"),
        concept,
        schemes: schemes(rolled_up, view, lang),
    })
}

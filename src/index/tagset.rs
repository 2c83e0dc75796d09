//! A query for the assets carrying any of a set of tags, all scoring alike.
//!
//! Query expansion turns a broad concept into thousands of narrower ones.
//! As thousands of scored term clauses, every candidate would pass through
//! a union of thousands of scorers; as one [`TagSetQuery`] per group of
//! equal weight, each segment marks the documents of every tag in one
//! bitset (a pass over the postings per tag) and the union sees a single
//! constant scorer. The tags are concepts of the view, and where their
//! postings are is read from the view's per-segment list
//! ([`ConceptView::tag_postings`]) rather than looked up in the term
//! dictionary one by one: unlike tantivy's `TermSetQuery`, which walks the
//! whole dictionary, the cost follows the number of tags asked, so a
//! narrow query stays as cheap as before.

use super::concepts::ConceptView;
use std::sync::Arc;
use tantivy::postings::TermInfo;
use tantivy::query::{BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocId, DocSet, InvertedIndexReader, Score, SegmentReader, TantivyError, TERMINATED};

#[derive(Clone)]
pub(super) struct TagSetQuery {
    field: Field,
    /// Concept ids of `view`, sorted, without duplicates.
    concepts: Arc<Vec<u32>>,
    view: Arc<ConceptView>,
}

impl std::fmt::Debug for TagSetQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TagSetQuery")
            .field("field", &self.field)
            .field("concepts", &self.concepts.len())
            .finish()
    }
}

impl TagSetQuery {
    /// The assets whose `field` carries any of `concepts` (ids of `view`).
    pub(super) fn new(field: Field, concepts: impl IntoIterator<Item = u32>, view: Arc<ConceptView>) -> Self {
        let mut concepts: Vec<u32> = concepts.into_iter().collect();
        concepts.sort_unstable();
        concepts.dedup();
        TagSetQuery {
            field,
            concepts: Arc::new(concepts),
            view,
        }
    }
}

impl Query for TagSetQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }

    // No `query_terms`: tags are not text, and neither snippets nor
    // scoring statistics read them.
}

/// A set this sparse in its segment (tagged documents per document) is
/// kept as a sorted list: below it, sorting a few ids costs less than
/// clearing, filling and scanning a bit per document of the segment.
const SPARSE: u32 = 64;

impl Weight for TagSetQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inverted = reader.inverted_index(self.field)?;
        let infos = self.view.tag_postings(reader, self.field)?.of(&self.concepts);
        let postings = infos.iter().map(|info| info.doc_freq).sum::<u32>();
        if postings == 0 {
            return Ok(Box::new(EmptyScorer));
        }
        if postings.saturating_mul(SPARSE) < reader.max_doc() {
            let mut tagged = Vec::with_capacity(postings as usize);
            for_each_tagged(&inverted, &infos, |doc| tagged.push(doc))?;
            tagged.sort_unstable();
            tagged.dedup();
            return Ok(Box::new(ConstScorer::new(SortedDocs::new(tagged), boost)));
        }
        let mut tagged = BitSet::with_max_value(reader.max_doc());
        for_each_tagged(&inverted, &infos, |doc| {
            tagged.insert(doc);
        })?;
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(tagged), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("carries one of the tags", scorer.score()))
        } else {
            Err(TantivyError::InvalidArgument(format!(
                "document {doc} carries none of the tags"
            )))
        }
    }
}

/// Passes every document of the postings of `tags` to `mark`.
fn for_each_tagged(
    inverted: &InvertedIndexReader,
    tags: &[TermInfo],
    mut mark: impl FnMut(DocId),
) -> tantivy::Result<()> {
    for info in tags {
        let mut block = inverted.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
        while !block.docs().is_empty() {
            block.docs().iter().for_each(|&doc| mark(doc));
            block.advance();
        }
    }
    Ok(())
}

/// Documents as a sorted list without duplicates.
struct SortedDocs {
    docs: Vec<DocId>,
    at: usize,
}

impl SortedDocs {
    fn new(docs: Vec<DocId>) -> Self {
        SortedDocs { docs, at: 0 }
    }
}

impl DocSet for SortedDocs {
    fn advance(&mut self) -> DocId {
        self.at = (self.at + 1).min(self.docs.len());
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let rest = &self.docs[self.at..];
        self.at += rest.partition_point(|&doc| doc < target);
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).copied().unwrap_or(TERMINATED)
    }

    fn size_hint(&self) -> u32 {
        (self.docs.len() - self.at) as u32
    }
}

//! A query for the assets carrying any of a set of tags, all scoring alike.
//!
//! Query expansion turns a broad concept into thousands of narrower ones.
//! As thousands of scored term clauses, every candidate would pass through
//! a union of thousands of scorers; as one [`TagSetQuery`] per group of
//! equal weight, each segment marks the documents of every tag in one
//! bitset (a dictionary lookup and a pass over the postings per tag) and
//! the union sees a single constant scorer. Unlike tantivy's
//! `TermSetQuery`, which walks the whole term dictionary, the cost follows
//! the number of tags asked, so a narrow query stays as cheap as before.

use std::sync::Arc;
use tantivy::query::{BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TantivyError};

#[derive(Debug, Clone)]
pub struct TagSetQuery {
    field: Field,
    /// Sorted, so that lookups walk the dictionary forwards.
    tags: Arc<Vec<Term>>,
}

impl TagSetQuery {
    /// `tags` must all be terms of `field`.
    pub fn new(field: Field, tags: impl IntoIterator<Item = Term>) -> Self {
        let mut tags: Vec<Term> = tags.into_iter().collect();
        tags.sort();
        tags.dedup();
        TagSetQuery {
            field,
            tags: Arc::new(tags),
        }
    }
}

impl Query for TagSetQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for tag in self.tags.iter() {
            visitor(tag, false);
        }
    }
}

impl Weight for TagSetQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inverted = reader.inverted_index(self.field)?;
        let mut tagged = BitSet::with_max_value(reader.max_doc());
        for tag in self.tags.iter() {
            let Some(info) = inverted.get_term_info(tag)? else {
                continue;
            };
            let mut postings = inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
            while !postings.docs().is_empty() {
                for &doc in postings.docs() {
                    tagged.insert(doc);
                }
                postings.advance();
            }
        }
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

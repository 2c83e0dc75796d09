//! Suggestions while typing: concept labels from the in-memory concept view,
//! asset titles from the index.

use super::analysis::fold;
use super::concepts::Suggestion;
use super::SearchIndex;
use crate::error::Result;
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Term, Value};
use tantivy::{DocAddress, DocSet, Searcher, TantivyDocument, TantivyError, TERMINATED};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuggestAnswer {
    pub concepts: Vec<Suggestion>,
    pub assets: Vec<TitleSuggestion>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TitleSuggestion {
    pub id: String,
    pub title: String,
}

impl SearchIndex {
    /// Concept labels and asset titles completing `input`; asset titles
    /// only of `tenants` (`None`: every tenant's).
    pub fn suggest(
        &self,
        input: &str,
        lang: Option<&str>,
        limit: usize,
        tenants: Option<&[String]>,
    ) -> Result<SuggestAnswer> {
        Ok(SuggestAnswer {
            concepts: self.concepts().suggest(input, lang, limit, tenants),
            assets: self.suggest_titles(input, limit, tenants)?,
        })
    }

    /// Titles that start with the input first, in order; then, when those
    /// are fewer than `limit`, titles whose words start with the input's
    /// words (a title is never suggested for a typo: concepts are).
    fn suggest_titles(&self, input: &str, limit: usize, tenants: Option<&[String]>) -> Result<Vec<TitleSuggestion>> {
        let tokens = fold(input);
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let mut found = self.titles_starting_with(&searcher, &tokens.join(" "), limit, tenants)?;
        if found.len() < limit {
            for address in self.titles_with_words_starting(&searcher, &tokens, limit, tenants)? {
                if found.len() < limit && !found.contains(&address) {
                    found.push(address);
                }
            }
        }
        found
            .into_iter()
            .map(|address| {
                let doc: TantivyDocument = searcher.doc(address)?;
                let text = |f| doc.get_first(f).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                Ok(TitleSuggestion {
                    id: text(self.fields.id),
                    title: text(self.fields.title),
                })
            })
            .collect()
    }

    /// The first `limit` titles, in folded order, that start with `key`
    /// (folded): read off the sorted dictionary of whole folded titles, so
    /// the work is the size of the answer however many titles match.
    fn titles_starting_with(
        &self,
        searcher: &Searcher,
        key: &str,
        limit: usize,
        tenants: Option<&[String]>,
    ) -> Result<Vec<DocAddress>> {
        let mut found: Vec<(Vec<u8>, DocAddress)> = Vec::new();
        for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
            let admitted = Tenants::of(segment, tenants)?;
            let inverted = segment.inverted_index(self.fields.title_sort)?;
            let mut terms = inverted
                .terms()
                .range()
                .ge(key.as_bytes())
                .into_stream()
                .map_err(TantivyError::from)?;
            let mut taken = 0;
            while taken < limit && terms.advance() && terms.key().starts_with(key.as_bytes()) {
                let mut postings = inverted
                    .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                    .map_err(TantivyError::from)?;
                while postings.doc() != TERMINATED && taken < limit {
                    if !segment.is_deleted(postings.doc()) && admitted.admit(postings.doc()) {
                        found.push((terms.key().to_vec(), DocAddress::new(ordinal as u32, postings.doc())));
                        taken += 1;
                    }
                    postings.advance();
                }
            }
        }
        found.sort();
        Ok(found.into_iter().take(limit).map(|(_, address)| address).collect())
    }

    /// Titles whose words start with the input's words (folded): the
    /// earlier ones whole, the last one a prefix.
    fn titles_with_words_starting(
        &self,
        searcher: &Searcher,
        tokens: &[String],
        limit: usize,
        tenants: Option<&[String]>,
    ) -> Result<Vec<DocAddress>> {
        let Some((last, before)) = tokens.split_last() else {
            return Ok(Vec::new());
        };
        let field = self.fields.title_text;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = before
            .iter()
            .map(|t| {
                let query: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::Basic,
                ));
                (Occur::Must, query)
            })
            .collect();
        clauses.push((
            Occur::Must,
            Box::new(FuzzyTermQuery::new_prefix(Term::from_field_text(field, last), 0, false)),
        ));
        if let Some(tenants) = tenants {
            clauses.push((Occur::Must, self.tenant_filter(tenants)));
        }
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        Ok(top.into_iter().map(|(_, address)| address).collect())
    }
}

/// Which documents of a segment belong to the tenants asked for, read
/// from the tenant column.
enum Tenants {
    Every,
    Of {
        column: Option<tantivy::columnar::StrColumn>,
        ordinals: Vec<u64>,
    },
}

impl Tenants {
    fn of(segment: &tantivy::SegmentReader, tenants: Option<&[String]>) -> Result<Self> {
        let Some(tenants) = tenants else {
            return Ok(Tenants::Every);
        };
        let column = segment.fast_fields().str("tenant")?;
        let mut ordinals = Vec::new();
        if let Some(column) = &column {
            for tenant in tenants {
                if let Some(ordinal) = column
                    .dictionary()
                    .term_ord(tenant.as_bytes())
                    .map_err(TantivyError::from)?
                {
                    ordinals.push(ordinal);
                }
            }
        }
        Ok(Tenants::Of { column, ordinals })
    }

    fn admit(&self, doc: tantivy::DocId) -> bool {
        match self {
            Tenants::Every => true,
            Tenants::Of { column: None, .. } => false,
            Tenants::Of {
                column: Some(column),
                ordinals,
            } => column.term_ords(doc).any(|o| ordinals.contains(&o)),
        }
    }
}

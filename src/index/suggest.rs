//! Suggestions while typing: concept labels from the in-memory concept view,
//! asset titles from the index.

use super::concepts::Suggestion;
use super::document::fold;
use super::SearchIndex;
use crate::error::Result;
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Term, Value};
use tantivy::TantivyDocument;

#[derive(Debug, Clone, Serialize)]
pub struct SuggestAnswer {
    pub concepts: Vec<Suggestion>,
    pub assets: Vec<TitleSuggestion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TitleSuggestion {
    pub id: String,
    pub title: String,
}

impl SearchIndex {
    pub fn suggest(&self, input: &str, lang: Option<&str>, limit: usize) -> Result<SuggestAnswer> {
        Ok(SuggestAnswer {
            concepts: self.concepts().suggest(input, lang, limit),
            assets: self.suggest_titles(input, limit)?,
        })
    }

    /// Titles whose words start with the input's words, the last one
    /// allowed one typo once it has four letters.
    fn suggest_titles(&self, input: &str, limit: usize) -> Result<Vec<TitleSuggestion>> {
        let tokens = fold(input);
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
        let distance = if last.chars().count() >= 4 { 1 } else { 0 };
        clauses.push((
            Occur::Must,
            Box::new(FuzzyTermQuery::new_prefix(
                Term::from_field_text(field, last),
                distance,
                true,
            )),
        ));
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        top.into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address)?;
                let text = |f| doc.get_first(f).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                Ok(TitleSuggestion {
                    id: text(self.fields.id),
                    title: text(self.fields.title),
                })
            })
            .collect()
    }
}

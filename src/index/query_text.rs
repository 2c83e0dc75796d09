//! What a search box sends, read as text.
//!
//! People type titles, labels and sentences: `it's`, `paper: cup`,
//! `réseau d'égouts`, `(cup`, `NOT`. None of that is syntax here. The query
//! is split into pieces at double quotes that pair up: a piece between a
//! pair is a phrase (its words in that order), every other piece is words.
//! A quote left without a partner is a space. Each piece is then read by
//! the analyzer of the field searched, exactly as the field's text was, so
//! every character either is part of a word or separates words, and no
//! input can make the query fail.
//!
//! Function words (see `stop_words.rs`) outside phrases are left out
//! unless the query has nothing else. What remains is a term per word and
//! a phrase query per phrase, all required (every word) or any of them.

use super::stop_words::StopWords;
use super::Words;
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Term};

/// A query's pieces, with which of their folded words count.
pub(super) struct QueryText<'a> {
    pieces: Vec<Piece<'a>>,
}

struct Piece<'a> {
    text: &'a str,
    quoted: bool,
    /// For each folded word of the piece: whether it is searched for.
    keep: Vec<bool>,
}

impl<'a> QueryText<'a> {
    /// Reads a query; `stop_words` are those of the query's language.
    pub(super) fn read(q: &'a str, stop_words: StopWords) -> QueryText<'a> {
        let quotes: Vec<usize> = q.match_indices('"').map(|(at, _)| at).collect();
        // An odd quote out is the last one: it opens nothing.
        let paired = quotes.len() / 2 * 2;
        let mut pieces = Vec::new();
        let mut from = 0;
        for pair in quotes[..paired].chunks(2) {
            pieces.push((&q[from..pair[0]], false));
            pieces.push((&q[pair[0] + 1..pair[1]], true));
            from = pair[1] + 1;
        }
        pieces.push((&q[from..], false));
        let folded: Vec<Vec<String>> = pieces.iter().map(|(text, _)| super::analysis::fold(text)).collect();
        let loose: Vec<&String> = (pieces.iter().zip(&folded))
            .filter(|((_, quoted), _)| !quoted)
            .flat_map(|(_, words)| words)
            .collect();
        let mut kept = stop_words.keep(&loose).into_iter();
        let pieces = (pieces.into_iter().zip(folded))
            .map(|((text, quoted), words)| Piece {
                text,
                quoted,
                keep: if quoted {
                    vec![true; words.len()]
                } else {
                    words.iter().map(|_| kept.next().unwrap_or(true)).collect()
                },
            })
            .filter(|piece| !piece.keep.is_empty())
            .collect();
        QueryText { pieces }
    }

    /// The folded words searched for, phrases included, in order.
    #[cfg(test)]
    fn words(&self) -> Vec<String> {
        self.pieces
            .iter()
            .flat_map(|piece| {
                let words = super::analysis::fold(piece.text);
                words.into_iter().zip(&piece.keep).filter(|(_, k)| **k).map(|(w, _)| w)
            })
            .collect()
    }

    /// The query on one text field, whose analyzer is `analyze` (it must
    /// give one token per folded word, as the folded and stemmed ones do).
    pub(super) fn query(&self, field: Field, analyze: &dyn Fn(&str) -> Vec<String>, words: Words) -> Box<dyn Query> {
        let occur = match words {
            Words::Every => Occur::Must,
            Words::Any => Occur::Should,
        };
        let term = |token: &str| Term::from_field_text(field, token);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for piece in &self.pieces {
            let tokens = analyze(piece.text);
            let tokens = tokens.iter().zip(&piece.keep).filter(|(_, k)| **k).map(|(t, _)| t);
            if piece.quoted {
                let terms: Vec<Term> = tokens.map(|t| term(t)).collect();
                let query: Box<dyn Query> = match terms.len() {
                    0 => continue,
                    1 => Box::new(TermQuery::new(terms[0].clone(), IndexRecordOption::WithFreqs)),
                    _ => Box::new(PhraseQuery::new(terms)),
                };
                clauses.push((occur, query));
            } else {
                for token in tokens {
                    clauses.push((
                        occur,
                        Box::new(TermQuery::new(term(token), IndexRecordOption::WithFreqs)),
                    ));
                }
            }
        }
        if clauses.is_empty() {
            return Box::new(EmptyQuery);
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(q: &str) -> Vec<(String, bool)> {
        QueryText::read(q, StopWords::of(Some("en")))
            .pieces
            .iter()
            .map(|p| (p.text.trim().trim_matches('"').to_owned(), p.quoted))
            .collect()
    }

    #[test]
    fn quotes_that_pair_make_phrases_and_one_left_over_is_a_space() {
        assert_eq!(
            read(r#"cup "paper bag" x"#),
            [("cup".into(), false), ("paper bag".into(), true), ("x".into(), false)]
        );
        assert_eq!(read(r#""paper cup"#), [("paper cup".into(), false)]);
        assert_eq!(
            read(r#"a "b" "c"#),
            [("a".into(), false), ("b".into(), true), ("c".into(), false)]
        );
        assert!(read(r#""""#).is_empty());
    }

    #[test]
    fn function_words_count_only_when_nothing_else_does() {
        let text = QueryText::read("food and drinks", StopWords::of(None));
        assert_eq!(text.words(), ["food", "drinks"]);
        let text = QueryText::read("of the", StopWords::of(None));
        assert_eq!(text.words(), ["of", "the"]);
        let text = QueryText::read(r#"food "and" drinks"#, StopWords::of(None));
        assert_eq!(text.words(), ["food", "and", "drinks"], "a quoted word is wanted");
    }
}

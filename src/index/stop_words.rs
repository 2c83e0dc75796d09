//! Function words: the articles, conjunctions and prepositions that join
//! the words of a label or a query but say nothing about what is wanted.
//!
//! They are ignored in two places. Concept resolution compares labels and
//! queries without them ("food and drinks" is the label "Food & drink"),
//! and the text clauses of a search leave them out, so that a search that
//! falls back to any word does not match every asset on "and". A query
//! made only of function words ("The Who") keeps them all.
//!
//! The lists are short on purpose: only words that are a function word in
//! their language and rarely anything else, folded as the index folds
//! text (lower case, accents removed, elisions split: "l'eau" is "l eau").
//! They apply per language — "van" is a word in English and a preposition
//! in Dutch — and a query without a language is read as English.

/// The function words of a language (its primary subtag), folded.
fn list(language: &str) -> &'static [&'static str] {
    match language {
        "en" => &[
            "a", "an", "and", "the", "of", "in", "on", "at", "for", "to", "with", "by", "from", "or", "as",
        ],
        "fr" => &[
            "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "en", "au", "aux", "a", "pour", "sur",
            "avec", "ou", "par", "dans",
        ],
        "de" => &[
            "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "einem", "einen", "und", "oder",
            "im", "am", "zu", "zum", "zur", "mit", "von", "vom", "fur", "auf", "aus", "in", "an",
        ],
        "es" => &[
            "el", "la", "los", "las", "un", "una", "y", "e", "de", "del", "en", "con", "por", "para", "o", "al",
        ],
        "it" => &[
            "il", "lo", "la", "gli", "le", "i", "l", "un", "una", "e", "ed", "di", "del", "della", "dei", "delle",
            "da", "in", "con", "per", "o", "al", "nel", "nella",
        ],
        "pt" => &[
            "o", "a", "os", "as", "um", "uma", "e", "de", "do", "da", "dos", "das", "em", "no", "na", "com", "por",
            "para", "ou",
        ],
        "nl" => &["de", "het", "een", "en", "van", "in", "op", "met", "voor", "of"],
        "sv" => &["och", "i", "av", "en", "ett", "pa", "med", "for", "till", "eller"],
        "da" | "no" | "nb" | "nn" => &[
            "og", "i", "af", "av", "en", "et", "ei", "pa", "med", "for", "til", "eller",
        ],
        "fi" => &["ja", "tai"],
        _ => &[],
    }
}

/// The function words of a language tag (`en`, `de-AT`); English for none.
#[derive(Clone, Copy)]
pub(super) struct StopWords(&'static [&'static str]);

impl StopWords {
    pub(super) fn of(tag: Option<&str>) -> StopWords {
        let primary = tag.and_then(|t| t.split(['-', '_']).next()).unwrap_or("en");
        StopWords(list(&primary.to_ascii_lowercase()))
    }

    /// Whether a folded word is one of them.
    pub(super) fn contains(&self, word: &str) -> bool {
        self.0.contains(&word)
    }

    /// Which of these folded words count: all but the function words,
    /// or all of them when they are nothing else.
    pub(super) fn keep<S: AsRef<str>>(&self, words: &[S]) -> Vec<bool> {
        let keep: Vec<bool> = words.iter().map(|w| !self.contains(w.as_ref())).collect();
        if keep.iter().any(|k| *k) {
            keep
        } else {
            vec![true; words.len()]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StopWords;

    #[test]
    fn function_words_go_unless_nothing_else_is_left() {
        let english = StopWords::of(None);
        assert_eq!(english.keep(&["food", "and", "drinks"]), [true, false, true]);
        assert_eq!(english.keep(&["the", "who"]), [false, true]);
        assert_eq!(english.keep(&["of", "the"]), [true, true]);
        assert_eq!(StopWords::of(Some("nl")).keep(&["van", "gogh"]), [false, true]);
        assert_eq!(english.keep(&["delivery", "van"]), [true, true], "a van in English");
        assert!(StopWords::of(Some("fr-CA")).contains("l"));
    }
}

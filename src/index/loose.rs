//! Forgiving label lookup: what a query still means when it does not
//! spell a label as the taxonomy does.
//!
//! People type `food and drniks` for the label "Food & drinks", `wepaons`
//! for "Weapons", `portraits painted` for "Painted portraits". Each label
//! therefore has a *loose key* besides its exact ones: its words folded,
//! without the function words of its language, each stemmed in that
//! language when it has a stemmer, sorted — so case, accents, plural and
//! inflection, punctuation, function words and word order no longer
//! matter ("drink food" for all of the above).
//!
//! A query's words are keyed the same way, in the query's language. A word
//! no label has is corrected first: to the label word (a stem) nearest to
//! it within one edit when it has 5 letters or more, two from 9 — an edit
//! being a letter changed, added, dropped, or two neighbours swapped. The
//! nearest wins, then the one more labels use. The label words are held
//! in a finite-state set, and the candidates within reach are read off it
//! with a Levenshtein automaton, so a correction costs microseconds
//! however many labels there are.
//!
//! This is the second pass of resolution: only the words no exact or
//! stemmed label claimed are looked up loosely (`concepts.rs`), so an
//! exact match always wins over a corrected one.

use super::analysis::{fold, stem, stemmed_language};
use super::labels::{LabelRef, Span};
use super::stop_words::StopWords;
use ahash::AHashMap;
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder, DFA, SINK_STATE};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use tantivy_fst::{Automaton, IntoStreamer, Map, Streamer};

/// Which words of a query may be corrected to a label word.
#[derive(Clone, Copy)]
pub enum Corrections<'a> {
    /// None: running text (a brief) is taken as written.
    Never,
    /// Those for which this says no: the words the collection's text
    /// does not contain. A word the assets use is what the user meant,
    /// even when a label spells something one letter away ("bottle" is
    /// not "battle").
    UnlessUsed(&'a dyn Fn(&str) -> bool),
}

/// Whether two folded words differ only after their common beginning, and
/// there by at most three letters each ("cups"/"cup", "companies"/"company").
pub(super) fn same_but_ending(a: &str, b: &str) -> bool {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a.chars().count() - common <= 3 && b.chars().count() - common <= 3
}

/// The longest stretch of words looked up as one label.
const MAX_WORDS: usize = 8;

/// Typed words shorter than this are never corrected...
const ONE_EDIT_FROM: usize = 5;
/// ...and from this length on they may be two edits away.
const TWO_EDITS_FROM: usize = 9;

/// Loose keys of every label, and the words they are made of.
#[derive(Default)]
pub(super) struct LooseLabels {
    by_key: AHashMap<String, Vec<LabelRef>>,
    /// Every word of a label, folded, and every key word (a stem) → its
    /// entry in `entries`.
    words: Option<Map<Vec<u8>>>,
    /// (key word, how many labels use it).
    entries: Vec<(String, u64)>,
}

impl std::fmt::Debug for LooseLabels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LooseLabels")
            .field("keys", &self.by_key.len())
            .field("words", &self.entries.len())
            .finish()
    }
}

/// A label's loose key and the words it is made of.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LooseKey {
    pub key: String,
    /// (folded word, key word) of each word kept.
    words: Vec<(String, String)>,
}

/// The loose key of a label, or `None` when nothing of it is left.
pub(super) fn loose_key(text: &str, language: &str) -> Option<LooseKey> {
    let words = key_words(text, Some(language));
    if words.is_empty() {
        return None;
    }
    let mut key: Vec<&str> = words.iter().map(|(_, stem)| stem.as_str()).collect();
    key.sort_unstable();
    Some(LooseKey {
        key: key.join(" "),
        words,
    })
}

/// A text's words folded, without function words, each with its key word
/// (stemmed when the language has a stemmer), in order.
fn key_words(text: &str, language: Option<&str>) -> Vec<(String, String)> {
    let folded = fold(text);
    let keep = StopWords::of(language).keep(&folded);
    let stems = language
        .and_then(stemmed_language)
        .and_then(|code| stem(text, code))
        .filter(|stems| stems.len() == folded.len())
        .unwrap_or_else(|| folded.clone());
    (folded.into_iter().zip(stems).zip(keep))
        .filter(|(_, k)| *k)
        .map(|((folded, stem), _)| {
            let key = key_word(&folded, &stem).to_owned();
            (folded, key)
        })
        .collect()
}

/// A word's stem as its key word, unless the stemmer cut more than an
/// ending: "finlandisms" is not "finland".
fn key_word<'a>(folded: &'a str, stem: &'a str) -> &'a str {
    if same_but_ending(folded, stem) {
        stem
    } else {
        folded
    }
}

/// One word of a query as the loose pass reads it.
#[derive(Debug, Clone)]
pub(super) struct QueryWord {
    /// Its index among the query's folded words.
    pub index: usize,
    /// Its key word: the label word it is, or was corrected to.
    pub key: String,
    pub corrected: bool,
}

impl LooseLabels {
    /// The lookup of these labels by their loose keys.
    pub(super) fn of<'a>(keys: impl Iterator<Item = (&'a LooseKey, LabelRef)>) -> LooseLabels {
        let mut by_key: AHashMap<String, Vec<LabelRef>> = AHashMap::new();
        // word → (key word, uses); a key word stands for itself
        let mut words: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
        for (loose, label) in keys {
            let labels = by_key.entry(loose.key.clone()).or_default();
            if !labels.contains(&label) {
                labels.push(label);
            }
            for (folded, stem) in &loose.words {
                words.entry(folded).or_insert((stem, 0)).1 += 1;
                words.entry(stem).or_insert((stem, 0)).1 += 1;
            }
        }
        let mut entries = Vec::with_capacity(words.len());
        let numbered = words.into_iter().map(|(word, (stem, uses))| {
            entries.push((stem.to_owned(), uses));
            (word, entries.len() as u64 - 1)
        });
        // Sorted and unique, as a finite-state map requires: cannot fail.
        let words = Map::from_iter(numbered).ok();
        LooseLabels { by_key, words, entries }
    }

    /// The query's words that are no function word, keyed: the label
    /// word they are (stemmed in the query's language, English when it
    /// has none, or as folded), else the one they are nearest to within
    /// reach, corrected. `words` are the query's folded words.
    pub(super) fn query_words(&self, words: &[String], lang: Option<&str>, correct: Corrections<'_>) -> Vec<QueryWord> {
        let lang = lang.or(Some("en"));
        let keep = StopWords::of(lang).keep(words);
        let stems = lang
            .and_then(stemmed_language)
            .and_then(|code| stem(&words.join(" "), code))
            .filter(|stems| stems.len() == words.len());
        let mut out = Vec::new();
        for (index, word) in words.iter().enumerate() {
            if !keep[index] {
                continue;
            }
            let stemmed = key_word(word, stems.as_ref().map_or(word.as_str(), |s| s[index].as_str()));
            let known = (self.entry(stemmed).filter(|(key, _)| key == stemmed))
                .or_else(|| self.entry(word))
                .map(|(key, _)| key.to_owned());
            let correctable = match correct {
                Corrections::Never => false,
                Corrections::UnlessUsed(used) => !used(word),
            };
            let (key, corrected) = match known {
                Some(key) => (key, false),
                None if !correctable => (stemmed.to_owned(), false),
                None => match self.correction(word, stemmed) {
                    Some((near, distance)) => (self.key_of(&near, lang), distance > 0),
                    None => (stemmed.to_owned(), false),
                },
            };
            out.push(QueryWord { index, key, corrected });
        }
        out
    }

    fn entry(&self, word: &str) -> Option<&(String, u64)> {
        let n = self.words.as_ref()?.get(word)?;
        self.entries.get(n as usize)
    }

    /// The key word of a label word: stemmed in the query's language when
    /// labels have that stem (a word such as "integration" is a label
    /// word in several languages, each with its own stem), else the
    /// stem of the labels that use it.
    fn key_of(&self, word: &str, lang: Option<&str>) -> String {
        let stemmed = (lang.and_then(stemmed_language))
            .and_then(|code| stem(word, code))
            .filter(|stems| stems.len() == 1)
            .and_then(|mut stems| stems.pop())
            .filter(|stem| same_but_ending(word, stem));
        if let Some(stemmed) = stemmed.filter(|s| self.entry(s).is_some_and(|(key, _)| key == s)) {
            return stemmed;
        }
        self.entry(word).map_or_else(|| word.to_owned(), |(key, _)| key.clone())
    }

    /// The label word nearest to a typed one — as typed, without a plural
    /// `s`, or stemmed — within the edits its length allows; among equally
    /// near ones, the one more labels use; with its distance (none for a
    /// plural `s` dropped).
    fn correction(&self, typed: &str, stemmed: &str) -> Option<(String, u8)> {
        let map = self.words.as_ref()?;
        let letters = typed.chars().count();
        let reach = if letters >= TWO_EDITS_FROM {
            2
        } else if letters >= ONE_EDIT_FROM {
            1
        } else {
            return None;
        };
        let mut variants = vec![typed, stemmed];
        variants.extend(typed.strip_suffix('s'));
        variants.dedup();
        let mut best: Option<(u8, std::cmp::Reverse<u64>, Vec<u8>)> = None;
        for variant in variants {
            let automaton = Nearby(builder(reach).build_dfa(variant));
            let mut stream = map.search(&automaton).into_stream();
            while let Some((candidate, n)) = stream.next() {
                let Distance::Exact(distance) = automaton.0.eval(candidate) else {
                    continue;
                };
                let uses = self.entries.get(n as usize).map_or(0, |(_, uses)| *uses);
                let ranked = (distance, std::cmp::Reverse(uses), candidate.to_vec());
                if best.as_ref().is_none_or(|b| ranked < *b) {
                    best = Some(ranked);
                }
            }
        }
        let (distance, _, word) = best?;
        Some((String::from_utf8(word).ok()?, distance))
    }

    /// At each of the words, the longest stretch whose key is a label's
    /// loose key: (the span of query words it covers, its labels, whether
    /// a word of it was corrected). Stretches never overlap.
    pub(super) fn find(&self, words: &[QueryWord]) -> Vec<(Span, Vec<LabelRef>, bool)> {
        let mut out = Vec::new();
        let mut start = 0;
        while start < words.len() {
            let longest = (1..=MAX_WORDS.min(words.len() - start)).rev().find_map(|len| {
                let stretch = &words[start..start + len];
                let mut key: Vec<&str> = stretch.iter().map(|w| w.key.as_str()).collect();
                key.sort_unstable();
                let labels = self.by_key.get(&key.join(" "))?;
                Some((len, labels.clone(), stretch.iter().any(|w| w.corrected)))
            });
            match longest {
                Some((len, labels, corrected)) => {
                    let span = words[start].index..words[start + len - 1].index + 1;
                    out.push((span, labels, corrected));
                    start += len;
                }
                None => start += 1,
            }
        }
        out
    }
}

/// Levenshtein automata builders (transpositions cost one edit), for one
/// and two edits: building one precomputes tables, so each is built once.
fn builder(edits: u8) -> &'static LevenshteinAutomatonBuilder {
    static BUILDERS: OnceLock<[LevenshteinAutomatonBuilder; 2]> = OnceLock::new();
    let builders = BUILDERS.get_or_init(|| {
        [
            LevenshteinAutomatonBuilder::new(1, true),
            LevenshteinAutomatonBuilder::new(2, true),
        ]
    });
    &builders[usize::from(edits.clamp(1, 2)) - 1]
}

/// The words within reach of a typed one, as an automaton over the set.
struct Nearby(DFA);

impl Automaton for Nearby {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::labels::LabelKind;

    fn labels(keys: &[(&str, &str)]) -> LooseLabels {
        let keys: Vec<LooseKey> = keys.iter().filter_map(|(text, lang)| loose_key(text, lang)).collect();
        LooseLabels::of(
            keys.iter()
                .enumerate()
                .map(|(n, k)| (k, (n as u32, LabelKind::Pref, 0))),
        )
    }

    fn found(labels: &LooseLabels, query: &str, lang: Option<&str>) -> Vec<(u32, bool)> {
        let words = labels.query_words(&fold(query), lang, Corrections::UnlessUsed(&|_| false));
        (labels.find(&words).into_iter())
            .flat_map(|(_, found, corrected)| found.into_iter().map(move |(id, ..)| (id, corrected)))
            .collect()
    }

    #[test]
    fn case_plural_order_function_words_and_typos_do_not_matter() {
        let labels = labels(&[
            ("Food & drinks", "en"),
            ("Weapons", "en"),
            ("Portrait", "en"),
            ("Droit de l'urbanisme", "fr"),
        ]);
        assert_eq!(found(&labels, "FOOD DRINK", Some("en")), [(0, false)]);
        assert_eq!(found(&labels, "drinks and food", None), [(0, false)]);
        assert_eq!(found(&labels, "food and drniks", Some("en")), [(0, true)]);
        assert_eq!(found(&labels, "wepaons", Some("en")), [(1, true)]);
        assert_eq!(found(&labels, "protraits", Some("en")), [(2, true)]);
        assert_eq!(found(&labels, "droit urbanisme", Some("fr")), [(3, false)]);
        assert!(
            found(&labels, "weap", Some("en")).is_empty(),
            "short words are not corrected"
        );
        assert!(
            found(&labels, "wpaeons", Some("en")).is_empty(),
            "two edits in a short word"
        );
        assert_eq!(
            found(&labels, "the wepaon", Some("en")),
            [(1, true)],
            "a typo and a plural"
        );
    }

    #[test]
    fn the_longest_stretch_is_found() {
        let three = labels(&[
            ("Economics", "en"),
            ("Integration", "en"),
            ("Economic integration", "en"),
        ]);
        assert_eq!(found(&three, "the economic integratoins", Some("en")), [(2, true)]);
        let two = labels(&[("Integration", "de"), ("Economic integration", "en")]);
        assert_eq!(
            found(&two, "economic integratoin", Some("en")),
            [(1, true)],
            "the stem of the query's language"
        );
    }

    #[test]
    fn long_words_may_be_two_edits_away() {
        let labels = labels(&[("Architecture", "en")]);
        assert_eq!(found(&labels, "arhcitectrue", Some("en")), [(0, true)]);
        assert!(found(&labels, "arhcitcetrue", Some("en")).is_empty(), "three edits");
    }
}

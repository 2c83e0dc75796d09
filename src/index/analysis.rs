//! Text analysis: how the index and the concept view cut text into
//! tokens — folded (lower case, accents dropped) for every language, and
//! stemmed for the languages tantivy has a stemmer for — so that a label
//! and a title meet on the same tokens.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::Index;

/// Languages with a stemmed text field of their own (ISO 639-1), and
/// tantivy's stemmer for each.
pub const STEMMED_LANGUAGES: [(&str, Language); 17] = [
    ("ar", Language::Arabic),
    ("da", Language::Danish),
    ("de", Language::German),
    ("el", Language::Greek),
    ("en", Language::English),
    ("es", Language::Spanish),
    ("fi", Language::Finnish),
    ("fr", Language::French),
    ("hu", Language::Hungarian),
    ("it", Language::Italian),
    ("nl", Language::Dutch),
    ("no", Language::Norwegian),
    ("pt", Language::Portuguese),
    ("ro", Language::Romanian),
    ("ru", Language::Russian),
    ("sv", Language::Swedish),
    ("tr", Language::Turkish),
];

pub(super) const FOLDED: &str = "folded";

/// The stemmed text field of a language (`text_de`), for a tag like `de-AT` too.
pub fn language_field_name(tag: &str) -> Option<String> {
    let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
    let primary = match primary.as_str() {
        "nb" | "nn" => "no".to_owned(),
        _ => primary,
    };
    STEMMED_LANGUAGES
        .iter()
        .any(|(code, _)| *code == primary)
        .then(|| format!("text_{primary}"))
}

fn folding() -> tantivy::tokenizer::TextAnalyzerBuilder<impl tantivy::tokenizer::Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
}

/// The tokens of a text as the folded field indexes them.
pub(super) fn fold(text: &str) -> Vec<String> {
    fold_with_offsets(text).into_iter().map(|(token, _)| token).collect()
}

/// The folded tokens of a text with the byte range each comes from.
pub(super) fn fold_with_offsets(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut analyzer = folding().build();
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        let token = stream.token();
        tokens.push((token.text.clone(), token.offset_from..token.offset_to));
    }
    tokens
}

/// The language code (`en`) whose stemmer applies to a tag like `en-GB`.
pub(super) fn stemmed_language(tag: &str) -> Option<&'static str> {
    let name = language_field_name(tag)?;
    STEMMED_LANGUAGES
        .iter()
        .map(|(code, _)| *code)
        .find(|code| name[5..] == **code)
}

/// The tokens of a text folded and stemmed in a language: one for each
/// token of [`fold_with_offsets`], in the same order. `None` for a language
/// without a stemmer.
pub(super) fn stem(text: &str, tag: &str) -> Option<Vec<String>> {
    let code = stemmed_language(tag)?;
    let (_, language) = STEMMED_LANGUAGES.iter().find(|(c, _)| *c == code)?;
    let mut analyzer = folding().filter(Stemmer::new(*language)).build();
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().text.clone());
    }
    Some(tokens)
}

pub(super) fn register_analyzers(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(FOLDED, folding().build());
    for (code, language) in STEMMED_LANGUAGES {
        tokenizers.register(
            &format!("stem_{code}"),
            folding().filter(Stemmer::new(language)).build(),
        );
    }
}

//! Keeps SPARQL injection from coming back: no query of the service's is
//! made with `format!`, which is how a value from a request once reached
//! query text (`/api/taxonomies/{id}`). The service's own queries are
//! constants (`Store::select` takes `&'static str`), values are bound.
//! This reads every source file as text; a hit names the file and line.

mod common;

use std::path::Path;

/// SPARQL that a format string would have to hold to make a query.
const QUERY_WORDS: [&str; 6] = ["SELECT ", "CONSTRUCT", "ASK {{", "WHERE {{", "INSERT {{", "DELETE {{"];

/// The `format!` calls of a file that build query text, by line.
fn query_formats(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    for (at, _) in text.match_indices("format!(") {
        let call = &text[at..(at + 800).min(text.len())];
        let call = call.split(");").next().unwrap_or(call);
        let interpolates = call.contains("{{") || call.contains("<{");
        if interpolates && QUERY_WORDS.iter().any(|w| call.contains(w)) {
            lines.push(text[..at].matches('\n').count() + 1);
        }
    }
    lines
}

#[test]
fn no_query_is_built_with_format() {
    let files = common::rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut hits = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Test modules may build queries to test the parser itself.
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        hits.extend(
            query_formats(code)
                .into_iter()
                .map(|line| format!("{}:{line}", file.display())),
        );
    }
    assert!(hits.is_empty(), "query text built with format!: {hits:?}");
}

#[test]
fn the_check_catches_what_it_is_for() {
    let spliced = r#"let query = format!("SELECT ?m WHERE {{ VALUES ?m {{ <{}> }} }}", meta_graph(id));"#;
    assert_eq!(query_formats(spliced), vec![1]);
    let message = r#"format!("'{name}' is not an output format: use json for SELECT and ASK")"#;
    assert!(query_formats(message).is_empty());
}

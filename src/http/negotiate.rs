//! Content negotiation for SPARQL results and RDF graphs: the `Accept`
//! header with its q-values, or a `format` parameter that overrides it
//! (handy in a browser address bar).

use super::Problem;
use crate::sparql::query::{Form, Format};
use axum::http::{header, HeaderMap, StatusCode};
use oxigraph::io::RdfFormat;
use oxigraph::sparql::results::QueryResultsFormat;

const RESULT_FORMATS: [QueryResultsFormat; 4] = [
    QueryResultsFormat::Json,
    QueryResultsFormat::Xml,
    QueryResultsFormat::Csv,
    QueryResultsFormat::Tsv,
];

/// Graph formats, the default first.
pub(super) const GRAPH_FORMATS: [RdfFormat; 6] = [
    RdfFormat::Turtle,
    RdfFormat::NTriples,
    RdfFormat::NQuads,
    RdfFormat::TriG,
    RdfFormat::RdfXml,
    RdfFormat::JsonLd {
        profile: oxigraph::io::JsonLdProfileSet::empty(),
    },
];

/// The format for a query of this form.
pub(super) fn results_format(headers: &HeaderMap, name: Option<&str>, form: Form) -> Result<Format, Problem> {
    if let Some(name) = name {
        return by_name(name, form);
    }
    let candidates: Vec<(Format, Vec<&str>)> = match form {
        Form::Solutions | Form::Boolean => RESULT_FORMATS
            .iter()
            .map(|f| (Format::Results(*f), result_media_types(*f)))
            .collect(),
        Form::Graph => GRAPH_FORMATS
            .iter()
            .map(|f| (Format::Graph(*f), graph_media_types(*f)))
            .collect(),
    };
    choose(headers, &candidates).ok_or_else(|| not_acceptable(form))
}

/// The format of a graph answer (Graph Store Protocol, service description).
pub(super) fn graph_format(headers: &HeaderMap) -> Result<RdfFormat, Problem> {
    match results_format(headers, None, Form::Graph)? {
        Format::Graph(f) => Ok(f),
        Format::Results(_) => unreachable!("graph forms only offer graph formats"),
    }
}

/// The `Content-Type` of an answer in `format`; text formats say UTF-8.
pub(super) fn content_type(format: Format) -> String {
    let media = format.media_type();
    if media.starts_with("text/") || media.ends_with("json") || media.ends_with("xml") {
        format!("{media}; charset=utf-8")
    } else {
        media.to_owned()
    }
}

/// A graph answer: the triples serialised in `format`, with its type.
pub(super) fn graph_response<'a>(
    format: RdfFormat,
    triples: impl IntoIterator<Item = oxigraph::model::TripleRef<'a>>,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    let mut out = Vec::new();
    let mut writer = oxigraph::io::RdfSerializer::from_format(format).for_writer(&mut out);
    for triple in triples {
        writer
            .serialize_triple(triple)
            .map_err(|e| Problem::internal(e.to_string()))?;
    }
    writer.finish().map_err(|e| Problem::internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, content_type(Format::Graph(format)))], out).into_response())
}

fn by_name(name: &str, form: Form) -> Result<Format, Problem> {
    let format = crate::sparql::OutputFormat::from_name(name)?;
    Ok(match (form, format.names_results) {
        (Form::Graph, _) => Format::Graph(format.graph),
        (_, true) => Format::Results(format.results),
        (_, false) => return Err(not_acceptable(form)),
    })
}

fn result_media_types(format: QueryResultsFormat) -> Vec<&'static str> {
    match format {
        QueryResultsFormat::Json => vec!["application/sparql-results+json", "application/json"],
        QueryResultsFormat::Xml => vec!["application/sparql-results+xml", "application/xml", "text/xml"],
        QueryResultsFormat::Csv => vec!["text/csv"],
        QueryResultsFormat::Tsv => vec!["text/tab-separated-values"],
        _ => vec![format.media_type()],
    }
}

fn graph_media_types(format: RdfFormat) -> Vec<&'static str> {
    match format {
        RdfFormat::Turtle => vec!["text/turtle", "application/x-turtle"],
        RdfFormat::NTriples => vec!["application/n-triples", "text/plain"],
        RdfFormat::RdfXml => vec!["application/rdf+xml", "application/xml", "text/xml"],
        RdfFormat::JsonLd { .. } => vec!["application/ld+json", "application/json"],
        other => vec![other.media_type()],
    }
}

/// The best candidate for the `Accept` header: highest q first, then the
/// client's order; `*/*`, `type/*` and no header at all take the first
/// candidate (the default).
fn choose<T: Copy>(headers: &HeaderMap, candidates: &[(T, Vec<&str>)]) -> Option<T> {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.trim().is_empty() {
        return candidates.first().map(|c| c.0);
    }
    let mut ranges: Vec<(f32, usize, String)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, range)| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (!media.is_empty() && q > 0.0).then_some((q, i, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, media) in &ranges {
        if media == "*/*" {
            return candidates.first().map(|c| c.0);
        }
        if let Some(kind) = media.strip_suffix("/*") {
            if let Some(c) = candidates
                .iter()
                .find(|c| c.1.iter().any(|m| m.split('/').next() == Some(kind)))
            {
                return Some(c.0);
            }
            continue;
        }
        if let Some(c) = candidates.iter().find(|c| c.1.contains(&media.as_str())) {
            return Some(c.0);
        }
    }
    None
}

fn not_acceptable(form: Form) -> Problem {
    let offered = match form {
        Form::Solutions | Form::Boolean => {
            "application/sparql-results+json, application/sparql-results+xml, text/csv or text/tab-separated-values"
        }
        Form::Graph => {
            "text/turtle, application/n-triples, application/n-quads, application/trig, application/rdf+xml or \
             application/ld+json"
        }
    };
    Problem::new(
        StatusCode::NOT_ACCEPTABLE,
        "not-acceptable",
        "No acceptable format",
        format!("none of the formats in Accept can carry this answer; ask for {offered}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        headers
    }

    #[test]
    fn q_values_and_wildcards_choose_the_format() {
        let pick = |value: &str, form| results_format(&accept(value), None, form).ok();
        assert_eq!(
            pick("text/csv;q=0.5, application/sparql-results+xml", Form::Solutions),
            Some(Format::Results(QueryResultsFormat::Xml))
        );
        assert_eq!(pick("*/*", Form::Graph), Some(Format::Graph(RdfFormat::Turtle)));
        assert_eq!(
            pick("application/*", Form::Graph),
            Some(Format::Graph(RdfFormat::Turtle)),
            "application/x-turtle"
        );
        assert_eq!(pick("image/png", Form::Solutions), None);
        assert_eq!(
            pick("text/html;q=0.9, text/tab-separated-values", Form::Boolean),
            Some(Format::Results(QueryResultsFormat::Tsv))
        );
    }
}

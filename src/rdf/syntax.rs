//! RDF documents in every syntax oxigraph reads: format detection from media
//! types, file extensions and PoolParty's format names, and parsing with
//! errors that name the line and column.

use crate::error::{Error, Position, Result};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphName, Quad};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const SUPPORTED: &str = "use text/turtle, application/trig, application/n-triples, application/n-quads, \
                         text/n3, application/rdf+xml or application/ld+json";

/// The format named by a `Content-Type` value.
pub fn format_from_media_type(media_type: &str) -> Result<RdfFormat> {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if let Some(hint) = unsupported_poolparty_format(&essence) {
        return Err(Error::UnsupportedFormat {
            given: media_type.to_owned(),
            expected: hint.to_owned(),
        });
    }
    RdfFormat::from_media_type(media_type).ok_or_else(|| Error::UnsupportedFormat {
        given: media_type.to_owned(),
        expected: SUPPORTED.to_owned(),
    })
}

/// The format named by a format name as PoolParty and people spell it
/// (`TriG`, `trig`, `NTriples`, `N-Triples`, `RDFXML`, `RDF/XML`, `JsonLD`…),
/// or by a file extension (`ttl`, `nt`, `rdf`…).
pub fn format_from_name(name: &str) -> Result<RdfFormat> {
    let key: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let format = match key.as_str() {
        "turtle" | "ttl" => RdfFormat::Turtle,
        "trig" => RdfFormat::TriG,
        "ntriples" | "nt" => RdfFormat::NTriples,
        "nquads" | "nq" => RdfFormat::NQuads,
        "n3" => RdfFormat::N3,
        "rdfxml" | "rdf" | "xml" | "owl" => RdfFormat::RdfXml,
        "jsonld" | "json" => RdfFormat::JsonLd {
            profile: Default::default(),
        },
        _ => {
            let expected = unsupported_poolparty_format(&key)
                .unwrap_or("use turtle, trig, ntriples, nquads, n3, rdfxml or jsonld");
            return Err(Error::UnsupportedFormat {
                given: name.to_owned(),
                expected: expected.to_owned(),
            });
        }
    };
    Ok(format)
}

/// The format of a file, from its extension.
pub fn format_from_path(path: &std::path::Path) -> Result<RdfFormat> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    format_from_name(extension).map_err(|_| Error::UnsupportedFormat {
        given: path.display().to_string(),
        expected: "name the file .ttl, .trig, .nt, .nq, .n3, .rdf, .xml or .jsonld, or pass --format".to_owned(),
    })
}

/// PoolParty exports formats oxigraph cannot read; say what to export instead.
fn unsupported_poolparty_format(key: &str) -> Option<&'static str> {
    match key {
        "trix" | "application/trix" => Some("TriX is not supported; export the project as TriG instead"),
        "binaryrdf" | "application/x-binary-rdf" => {
            Some("BinaryRDF is not supported; export the project as TriG or N-Quads instead")
        }
        "rdfjson" | "application/rdf+json" => {
            Some("RDF/JSON is not supported; export the project as JSON-LD or TriG instead")
        }
        _ => None,
    }
}

/// Parses a whole document. Triples outside a named graph stay in the
/// default graph; the caller decides where they belong. `progress` is told
/// how many bytes have been read, from time to time.
///
/// Large N-Triples and N-Quads documents, one statement per line, are parsed
/// on every core; if that finds an error, the document is parsed again in
/// one piece so that the error names its true line.
pub fn parse(document: &str, format: RdfFormat, bytes: &[u8], progress: &dyn Fn(u64)) -> Result<Vec<Quad>> {
    parse_with_base(document, format, bytes, None, progress)
}

/// Parses a whole document whose relative IRIs resolve against `base`: the
/// IRI it was fetched from or will be stored as (a Graph Store request's
/// graph, say).
pub fn parse_with_base(
    document: &str,
    format: RdfFormat,
    bytes: &[u8],
    base: Option<&str>,
    progress: &dyn Fn(u64),
) -> Result<Vec<Quad>> {
    let line_based = matches!(format, RdfFormat::NTriples | RdfFormat::NQuads);
    if line_based && bytes.len() >= PARALLEL_PARSE_BYTES {
        if let Some(quads) = parse_in_parallel(format, bytes) {
            if let Some((n, why)) = quads
                .iter()
                .enumerate()
                .find_map(|(n, q)| oversized(q).map(|why| (n, why)))
            {
                return Err(syntax_error(
                    document,
                    format,
                    format!("statement {}: {why}", n + 1),
                    None,
                ));
            }
            progress(bytes.len() as u64);
            return Ok(quads);
        }
    }
    parse_sequentially(document, format, bytes, base, progress)
}

const PARALLEL_PARSE_BYTES: usize = 4 << 20;

/// The quads of a line-based document, or None if any part has an error.
fn parse_in_parallel(format: RdfFormat, bytes: &[u8]) -> Option<Vec<Quad>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let parts = RdfParser::from_format(format).split_slice_for_parallel_parsing(bytes, threads);
    let parsed: Vec<Option<Vec<Quad>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || part.collect::<Result<Vec<_>, _>>().ok()))
            .collect();
        handles.into_iter().map(|h| h.join().ok().flatten()).collect()
    });
    let mut quads = Vec::new();
    for part in parsed {
        quads.append(&mut part?);
    }
    Some(quads)
}

fn parse_sequentially(
    document: &str,
    format: RdfFormat,
    bytes: &[u8],
    base: Option<&str>,
    progress: &dyn Fn(u64),
) -> Result<Vec<Quad>> {
    let bad_base = |e: oxiri::IriParseError| {
        Error::invalid_field("base", format!("'{}' is not a base IRI: {e}", base.unwrap_or("")))
    };
    let read = Arc::new(AtomicU64::new(0));
    let reader = CountingReader {
        inner: bytes,
        read: read.clone(),
    };
    let mut quads = Vec::new();
    let report = |n: usize| {
        if n % 16_384 == 0 {
            progress(read.load(Ordering::Relaxed));
        }
    };
    if matches!(format, RdfFormat::JsonLd { .. }) {
        if let Some(offset) = json_too_deep(bytes, MAX_JSON_DEPTH) {
            let message = format!(
                "the document nests objects and arrays more than {MAX_JSON_DEPTH} levels deep; flatten it (JSON-LD \
                 needs no deep nesting: give nodes an @id and refer to it)"
            );
            return Err(syntax_error(
                document,
                format,
                message,
                Some(position_at(bytes, offset as u64)),
            ));
        }
    }
    if format == RdfFormat::RdfXml {
        super::entities::check(bytes).map_err(|refused| {
            let at = position_at(bytes, refused.offset as u64);
            syntax_error(document, format, refused.message, Some(at))
        })?;
        // Parsed directly to learn the byte offset of an error.
        let mut parser = oxrdfxml::RdfXmlParser::new();
        if let Some(base) = base {
            parser = parser.with_base_iri(base).map_err(bad_base)?;
        }
        let mut parser = parser.for_reader(reader);
        while let Some(triple) = parser.next() {
            match triple {
                Ok(t) => {
                    let quad = t.in_graph(GraphName::DefaultGraph);
                    if let Some(why) = oversized(&quad) {
                        let offset = parser.buffer_position().min(bytes.len() as u64);
                        return Err(syntax_error(document, format, why, Some(position_at(bytes, offset))));
                    }
                    quads.push(quad)
                }
                Err(e) => {
                    let offset = parser.buffer_position().min(bytes.len() as u64);
                    return Err(syntax_error(
                        document,
                        format,
                        e.to_string(),
                        Some(position_at(bytes, offset)),
                    ));
                }
            }
            report(quads.len());
        }
    } else {
        let mut parser = RdfParser::from_format(format);
        if let Some(base) = base {
            parser = parser.with_base_iri(base).map_err(bad_base)?;
        }
        for quad in parser.for_reader(reader) {
            match quad {
                Ok(q) => {
                    if let Some(why) = oversized(&q) {
                        let n = quads.len() + 1;
                        return Err(syntax_error(document, format, format!("statement {n}: {why}"), None));
                    }
                    quads.push(q)
                }
                Err(oxigraph::io::RdfParseError::Syntax(e)) => {
                    let position = e.location().map(|r| Position {
                        line: r.start.line + 1,
                        column: r.start.column + 1,
                    });
                    return Err(syntax_error(document, format, e.to_string(), position));
                }
                Err(oxigraph::io::RdfParseError::Io(e)) => {
                    return Err(syntax_error(document, format, e.to_string(), None));
                }
            }
            report(quads.len());
        }
    }
    progress(bytes.len() as u64);
    Ok(quads)
}

/// The longest literal a document may hold: a definition or a note is a
/// few kilobytes, and one literal of many megabytes only costs the index.
pub(crate) const MAX_LITERAL_BYTES: usize = 1 << 20;
/// The longest IRI a document may hold.
pub(crate) const MAX_IRI_BYTES: usize = 16 << 10;

/// What is too long in a quad, if anything.
fn oversized(quad: &Quad) -> Option<String> {
    let iris = [
        match &quad.subject {
            oxigraph::model::NamedOrBlankNode::NamedNode(n) => n.as_str().len(),
            _ => 0,
        },
        quad.predicate.as_str().len(),
        match &quad.object {
            oxigraph::model::Term::NamedNode(n) => n.as_str().len(),
            _ => 0,
        },
        match &quad.graph_name {
            GraphName::NamedNode(n) => n.as_str().len(),
            _ => 0,
        },
    ];
    if let Some(len) = iris.into_iter().find(|&len| len > MAX_IRI_BYTES) {
        return Some(format!(
            "an IRI of {len} bytes; the most an IRI may hold is {MAX_IRI_BYTES}"
        ));
    }
    match &quad.object {
        oxigraph::model::Term::Literal(l) if l.value().len() > MAX_LITERAL_BYTES => Some(format!(
            "the literal of <{}> is {} bytes; the most a literal may hold is {MAX_LITERAL_BYTES} (1 MiB)",
            quad.predicate.as_str(),
            l.value().len()
        )),
        _ => None,
    }
}

/// The JSON-LD parser recurses once per level of nesting; serde_json's own
/// limit is the same.
const MAX_JSON_DEPTH: usize = 128;

/// Where nesting of objects and arrays first goes past `max`, if it does
/// (strings skipped, escapes and all).
fn json_too_deep(bytes: &[u8], max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, &b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return Some(offset);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn syntax_error(document: &str, format: RdfFormat, message: String, position: Option<Position>) -> Error {
    Error::Syntax {
        document: document.to_owned(),
        format: format.name().to_owned(),
        message,
        position,
    }
}

/// Line and column (from 1, columns in characters) of a byte offset.
fn position_at(bytes: &[u8], offset: u64) -> Position {
    let before = &bytes[..offset as usize];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() as u64 + 1;
    Position { line, column }
}

struct CountingReader<'a> {
    inner: &'a [u8],
    read: Arc<AtomicU64>,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_iris_are_bounded() {
        let long = format!(
            "<http://e/s> <http://e/p> \"{}\" .\n",
            "x".repeat(MAX_LITERAL_BYTES + 1)
        );
        let Err(Error::Syntax { message, .. }) = parse("body", RdfFormat::NTriples, long.as_bytes(), &|_| {}) else {
            panic!("a literal over the limit was parsed")
        };
        assert!(message.contains("1 MiB"), "{message}");
        let iri = format!("<http://e/{}> <http://e/p> \"o\" .\n", "s".repeat(MAX_IRI_BYTES));
        assert!(parse("body", RdfFormat::Turtle, iri.as_bytes(), &|_| {}).is_err());
        let fine = "<http://e/s> <http://e/p> \"o\" .\n";
        assert_eq!(
            parse("body", RdfFormat::Turtle, fine.as_bytes(), &|_| {})
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn deeply_nested_json_ld_is_refused_with_its_position() {
        let deep = format!(
            "{{\"@id\": \"http://e/s\", \"http://e/p\": {}\"x\"{}}}",
            "{\"http://e/p\": ".repeat(200),
            "}".repeat(200)
        );
        let format = RdfFormat::JsonLd {
            profile: Default::default(),
        };
        let Err(Error::Syntax {
            position: Some(at),
            message,
            ..
        }) = parse("body", format, deep.as_bytes(), &|_| {})
        else {
            panic!("a document nested 200 levels deep was parsed")
        };
        assert!(message.contains("128"), "{message}");
        assert_eq!(at.line, 1);
        assert!(
            json_too_deep(b"{\"a\": \"[[[[[[\\\"[[[[\"}", 2).is_none(),
            "brackets in strings do not nest"
        );
    }

    #[test]
    fn poolparty_format_names_are_accepted_in_any_spelling() {
        for (name, format) in [
            ("TriG", RdfFormat::TriG),
            ("trig", RdfFormat::TriG),
            ("NTriples", RdfFormat::NTriples),
            ("N-Triples", RdfFormat::NTriples),
            ("RDFXML", RdfFormat::RdfXml),
            ("RDF/XML", RdfFormat::RdfXml),
            ("N-Quads", RdfFormat::NQuads),
        ] {
            assert_eq!(format_from_name(name).unwrap(), format, "{name}");
        }
        assert!(
            matches!(format_from_name("TriX"), Err(Error::UnsupportedFormat { expected, .. }) if expected.contains("TriG"))
        );
    }

    #[test]
    fn turtle_errors_name_line_and_column() {
        let doc = b"@prefix ex: <http://example.com/> .\nex:a ex:b ex:c .\nex:d ex:e \"unterminated .\n";
        let err = parse("body", RdfFormat::Turtle, doc, &|_| {}).unwrap_err();
        let Error::Syntax { position: Some(p), .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(p.line, 3);
    }

    #[test]
    fn rdf_xml_errors_name_line_and_column() {
        let doc = b"<?xml version=\"1.0\"?>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description rdf:about=\"http://example.com/a\">\n  </rdf:Descriptio>\n</rdf:RDF>\n";
        let err = parse("body", RdfFormat::RdfXml, doc, &|_| {}).unwrap_err();
        let Error::Syntax { position: Some(p), .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(p.line, 4, "{p:?}");
    }

    #[test]
    fn large_line_based_documents_parse_in_parallel_with_exact_errors() {
        let mut doc = String::new();
        for i in 0..60_000 {
            doc.push_str(&format!(
                "<http://e/s{i}> <http://e/p> \"a value long enough to fill the lines {i}\" .\n"
            ));
        }
        assert!(doc.len() >= PARALLEL_PARSE_BYTES);
        let quads = parse("big.nt", RdfFormat::NTriples, doc.as_bytes(), &|_| {}).unwrap();
        assert_eq!(quads.len(), 60_000);
        assert_eq!(quads[59_999].subject.to_string(), "<http://e/s59999>");
        doc.push_str("<http://e/broken> <http://e/p> .\n");
        let err = parse("big.nt", RdfFormat::NTriples, doc.as_bytes(), &|_| {}).unwrap_err();
        let Error::Syntax { position: Some(p), .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(p.line, 60_001);
    }

    #[test]
    fn media_types_map_to_formats() {
        assert_eq!(
            format_from_media_type("text/turtle; charset=utf-8").unwrap(),
            RdfFormat::Turtle
        );
        assert_eq!(
            format_from_media_type("application/rdf+xml").unwrap(),
            RdfFormat::RdfXml
        );
        assert!(matches!(
            format_from_media_type("image/png"),
            Err(Error::UnsupportedFormat { .. })
        ));
        assert!(matches!(
            format_from_media_type("application/trix"),
            Err(Error::UnsupportedFormat { .. })
        ));
    }
}

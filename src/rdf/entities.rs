//! Entities in RDF/XML documents, checked before the parser expands them.
//!
//! RDF/XML may declare entities in its DTD, and ontology editors do, to
//! abbreviate namespaces (`<!ENTITY owl "http://www.w3.org/2002/07/owl#">`).
//! The parser expands them, which makes a few hundred bytes of nested
//! declarations ("billion laughs") into gigabytes. So before parsing, the
//! internal subset is read, the size of every entity's expansion is worked
//! out (nested references included, without expanding anything), and the
//! document is refused if its references would add more than
//! [`max_growth`] bytes. Declarations that could hide work are refused
//! outright: parameter entities, external entities, and entities that refer
//! to themselves.

use std::collections::HashMap;

/// Why a document's entities are refused, and where (a byte offset).
#[derive(Debug)]
pub(super) struct Refused {
    pub message: String,
    pub offset: usize,
}

/// What references may add to a document of `len` bytes: as much again,
/// and at least a mebibyte.
pub(super) fn max_growth(len: usize) -> usize {
    len.max(1 << 20)
}

/// How deeply entity values may refer to other entities.
const MAX_NESTING: usize = 8;

/// Refuses a document whose entity references would grow it by more than
/// [`max_growth`], or whose DTD declares what is described above.
pub(super) fn check(bytes: &[u8]) -> Result<(), Refused> {
    let Some(doctype) = find(bytes, b"<!DOCTYPE", 0) else {
        return Ok(());
    };
    let Some((declarations, body_start)) = internal_subset(bytes, doctype) else {
        return Ok(());
    };
    let entities = read_declarations(bytes, declarations)?;
    if entities.is_empty() {
        return Ok(());
    }
    let mut sizes = Sizes {
        bytes,
        entities: &entities,
        known: HashMap::new(),
    };
    for name in entities.keys() {
        sizes.of(name, 0, &mut Vec::new())?;
    }
    let limit = max_growth(bytes.len());
    let mut growth = 0usize;
    for (offset, name) in references(bytes, body_start, bytes.len()) {
        if let Some(size) = sizes.known.get(name) {
            growth = growth.saturating_add(*size);
            if growth > limit {
                return Err(Refused {
                    message: format!(
                        "the document's entity references would add more than {limit} bytes (reference to '{name}' \
                         here); write the values out, or use fewer references"
                    ),
                    offset,
                });
            }
        }
    }
    Ok(())
}

/// Each declared entity: its value's span and the offset of its declaration.
struct Entity {
    value: (usize, usize),
    declared_at: usize,
}

struct Sizes<'a> {
    bytes: &'a [u8],
    entities: &'a HashMap<String, Entity>,
    known: HashMap<String, usize>,
}

impl Sizes<'_> {
    /// The length of the entity's full expansion.
    fn of(&mut self, name: &str, depth: usize, path: &mut Vec<String>) -> Result<usize, Refused> {
        if let Some(size) = self.known.get(name) {
            return Ok(*size);
        }
        let entity = &self.entities[name];
        if path.iter().any(|n| n == name) || depth > MAX_NESTING {
            return Err(Refused {
                message: format!(
                    "entity '{name}' refers to itself or nests more than {MAX_NESTING} levels; declare plain values"
                ),
                offset: entity.declared_at,
            });
        }
        let (start, end) = entity.value;
        path.push(name.to_owned());
        let mut size = end - start;
        let bytes = self.bytes;
        for (_, inner) in references(bytes, start, end) {
            if self.entities.contains_key(inner) {
                let inner = inner.to_owned();
                size = size.saturating_add(self.of(&inner, depth + 1, path)?);
            }
        }
        path.pop();
        self.known.insert(name.to_owned(), size);
        Ok(size)
    }
}

/// The `[ … ]` of a DOCTYPE (its span), and where the document goes on.
fn internal_subset(bytes: &[u8], doctype: usize) -> Option<((usize, usize), usize)> {
    let mut i = doctype + b"<!DOCTYPE".len();
    while i < bytes.len() {
        match bytes[i] {
            b'[' => break,
            b'>' => return None,
            b'"' | b'\'' => i = skip_quoted(bytes, i),
            _ => i += 1,
        }
    }
    let start = i + 1;
    let mut j = start;
    while j < bytes.len() {
        match bytes[j] {
            b']' => return Some(((start, j), j + 1)),
            b'"' | b'\'' => j = skip_quoted(bytes, j),
            b'<' if bytes[j..].starts_with(b"<!--") => j = find(bytes, b"-->", j).map_or(bytes.len(), |e| e + 3),
            _ => j += 1,
        }
    }
    None
}

/// The entities the internal subset declares.
fn read_declarations(bytes: &[u8], (start, end): (usize, usize)) -> Result<HashMap<String, Entity>, Refused> {
    let mut entities = HashMap::new();
    let mut i = start;
    while i < end {
        if bytes[i..end].starts_with(b"<!--") {
            i = find(bytes, b"-->", i).map_or(end, |e| e + 3);
        } else if bytes[i] == b'%' {
            return Err(Refused {
                message: "parameter entity references are not read; declare entities inline".into(),
                offset: i,
            });
        } else if bytes[i..end].starts_with(b"<!ENTITY") {
            let (name, entity, next) = entity_declaration(bytes, i, end)?;
            entities.entry(name).or_insert(entity);
            i = next;
        } else if bytes[i] == b'<' {
            i = skip_declaration(bytes, i, end);
        } else {
            i += 1;
        }
    }
    Ok(entities)
}

/// `<!ENTITY name "value">`, and where the next declaration starts.
fn entity_declaration(bytes: &[u8], at: usize, end: usize) -> Result<(String, Entity, usize), Refused> {
    let refuse = |message: &str| Refused {
        message: message.to_owned(),
        offset: at,
    };
    let mut i = skip_space(bytes, at + b"<!ENTITY".len(), end);
    if bytes.get(i) == Some(&b'%') {
        return Err(refuse(
            "parameter entities are not read; declare general entities with plain values",
        ));
    }
    let name_start = i;
    while i < end && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'"' | b'\'' | b'>') {
        i += 1;
    }
    let name = String::from_utf8_lossy(&bytes[name_start..i]).into_owned();
    i = skip_space(bytes, i, end);
    if !matches!(bytes.get(i), Some(b'"' | b'\'')) {
        return Err(refuse(&format!(
            "entity '{name}' is external (SYSTEM or PUBLIC); external entities are not read, declare its value inline"
        )));
    }
    let value_end = skip_quoted(bytes, i).min(end);
    let value = (i + 1, value_end.saturating_sub(1).max(i + 1));
    let next = skip_declaration(bytes, value_end, end);
    Ok((name, Entity { value, declared_at: at }, next))
}

/// Past the `>` that ends a declaration, skipping quoted text.
fn skip_declaration(bytes: &[u8], mut i: usize, end: usize) -> usize {
    while i < end {
        match bytes[i] {
            b'>' => return i + 1,
            b'"' | b'\'' => i = skip_quoted(bytes, i),
            _ => i += 1,
        }
    }
    end
}

fn skip_quoted(bytes: &[u8], at: usize) -> usize {
    let quote = bytes[at];
    bytes[at + 1..]
        .iter()
        .position(|&b| b == quote)
        .map_or(bytes.len(), |n| at + 1 + n + 1)
}

fn skip_space(bytes: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn find(bytes: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|n| from + n)
}

/// The named references `&name;` in `bytes[start..end]`, with their offsets
/// (character references `&#…;` are not named).
fn references(bytes: &[u8], start: usize, end: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut i = start;
    std::iter::from_fn(move || {
        while i < end {
            let at = i;
            i += 1;
            if bytes[at] != b'&' || bytes.get(at + 1) == Some(&b'#') {
                continue;
            }
            let name_end = bytes[at + 1..end].iter().position(|&b| b == b';')? + at + 1;
            let name = std::str::from_utf8(&bytes[at + 1..name_end]).ok()?;
            i = name_end + 1;
            return Some((at, name));
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn laughs(levels: usize) -> String {
        let mut dtd = String::from("<!ENTITY l0 \"lol\">\n");
        for n in 1..=levels {
            let refs = format!("&l{};", n - 1).repeat(10);
            dtd.push_str(&format!("<!ENTITY l{n} \"{refs}\">\n"));
        }
        format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [\n{dtd}]>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" \
             xmlns:e=\"http://e/\"><rdf:Description rdf:about=\"http://e/s\"><e:p>&l{levels};</e:p></rdf:Description></rdf:RDF>"
        )
    }

    #[test]
    fn nested_expansion_is_refused_before_parsing() {
        let refused = check(laughs(7).as_bytes()).unwrap_err();
        assert!(refused.message.contains("would add"), "{}", refused.message);
        assert!(check(laughs(2).as_bytes()).is_ok(), "3 KB of expansion is fine");
    }

    #[test]
    fn namespace_abbreviations_pass() {
        let doc =
            "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [\n  <!ENTITY owl \"http://www.w3.org/2002/07/owl#\" >\n  \
                   <!-- a comment with & and ] -->\n]>\n<rdf:RDF><owl:Class rdf:about=\"&owl;Thing\"/></rdf:RDF>";
        assert!(check(doc.as_bytes()).is_ok());
    }

    #[test]
    fn self_reference_parameter_and_external_entities_are_refused() {
        for dtd in [
            "<!ENTITY a \"&b;\"><!ENTITY b \"&a;\">",
            "<!ENTITY % p \"x\">",
            "<!ENTITY e SYSTEM \"file:///etc/passwd\">",
        ] {
            let doc = format!("<!DOCTYPE r [{dtd}]><r>&a;&e;</r>");
            assert!(check(doc.as_bytes()).is_err(), "{dtd}");
        }
    }

    #[test]
    fn documents_without_a_dtd_pass_untouched() {
        assert!(check(b"<r>&amp;&lt;</r>").is_ok());
    }
}

//! Image files → assets, from the XMP metadata embedded in them.
//!
//! XMP is the carrier of today's IPTC Photo Metadata: title, description,
//! keywords, creator, copyright notice, usage terms, licensor, web statement
//! of rights and digital source type all live there (the last three only
//! there). The packet is found by scanning the file for `<x:xmpmeta …>` —
//! the method the XMP specification gives for files of any format, so JPEG,
//! TIFF, HEIC, PNG, WebP and `.xmp` sidecars are read alike — and parsed as
//! the RDF/XML it is (oxrdfxml).
//!
//! A file's asset id is `files:{name}` unless the caller gives one (the
//! Dropbox connector passes its `dropbox:id:…`). The content's SHA-256 is
//! kept, so the same bytes map to the same triples.

use super::{asset_triples, Action, Extra, Mapped, RecordError, Source, Texts};
use crate::rdf::asset_iri;
use crate::rights::Territories;
use crate::vocab::{ag, dcterms};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Triple};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const DC: &str = "http://purl.org/dc/elements/1.1/";
const XMP_RIGHTS: &str = "http://ns.adobe.com/xap/1.0/rights/";
const PLUS: &str = "http://ns.useplus.org/ldf/xmp/1.0/";
const IPTC_EXT: &str = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
const PHOTOSHOP: &str = "http://ns.adobe.com/photoshop/1.0/";
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const BASE: &str = "urn:assetgraph:file";

/// Files do not come in JSON batches (the registry's mapper says so).
pub(crate) fn map_batch(
    _: serde_json::Value,
    _: &super::Mapping<'_>,
) -> crate::error::Result<Vec<super::RecordResult>> {
    Err(crate::error::Error::invalid_field(
        "source",
        "files are sent one per request, as the body with their name (?name=photo.jpg) or as multipart",
    ))
}

/// Maps one file. `index` is its position in the request or import, for errors.
pub fn map_file(
    index: usize,
    name: &str,
    id: Option<&str>,
    bytes: &[u8],
    territories: &Territories,
) -> Result<Mapped, RecordError> {
    let id = id.map_or_else(|| format!("files:{name}"), str::to_owned);
    let fail = |field: &str, message: String| RecordError {
        index,
        id: Some(id.clone()),
        field: field.to_owned(),
        message,
    };
    let packet = find_packet(bytes).map_err(|why| fail("xmp", format!("{name}: {why}")))?;
    let triples = parse_packet(packet).map_err(|message| fail("xmp", format!("{name}: {message}")))?;
    let xmp = Xmp::new(&triples);

    let asset = asset_iri(&id);
    let mut extra = Extra::new(asset.clone());
    let mut texts = Texts::default();
    for (language, title) in xmp.texts(DC, "title") {
        texts.entry(&language).title = Some(title);
    }
    if let Some(headline) = xmp.first(PHOTOSHOP, "Headline") {
        texts.entry("en").title.get_or_insert(headline);
    }
    for (language, description) in xmp.texts(DC, "description") {
        texts.entry(&language).description = Some(description);
    }
    texts.entry("en").keywords = xmp.values(DC, "subject");
    for creator in xmp.values(DC, "creator") {
        extra.literal(dcterms::CREATOR, Some(&creator));
    }
    for (language, notice) in xmp.texts(DC, "rights") {
        extra.typed(dcterms::RIGHTS, super::text_literal(&notice, &language));
    }
    let usage_terms = NamedNode::new_unchecked(super::photoshelter::USAGE_TERMS);
    for (language, terms) in xmp.texts(XMP_RIGHTS, "UsageTerms") {
        extra.typed(usage_terms.as_ref(), super::text_literal(&terms, &language));
    }
    extra.url(
        ag::term("webStatement").as_ref(),
        xmp.first(XMP_RIGHTS, "WebStatement").as_deref(),
    );
    for licensor in xmp.structs(PLUS, "Licensor") {
        extra.literal(
            ag::term("licensor").as_ref(),
            licensor.get("LicensorName").map(String::as_str),
        );
        extra.url(
            ag::term("licensorUrl").as_ref(),
            licensor.get("LicensorURL").map(String::as_str),
        );
    }
    extra.url(
        ag::term("digitalSourceType").as_ref(),
        xmp.first(IPTC_EXT, "DigitalSourceType").as_deref(),
    );
    extra.literal(ag::term("credit").as_ref(), xmp.first(PHOTOSHOP, "Credit").as_deref());
    extra.literal(ag::term("fileName").as_ref(), Some(name));
    extra.literal(ag::term("sha256").as_ref(), Some(&hex::encode(Sha256::digest(bytes))));
    extra.integer(ag::term("fileSize").as_ref(), i64::try_from(bytes.len()).ok());

    let mut record = texts.into_record(id.clone(), name);
    record.content_type = super::content_type_of(name).map(str::to_owned);
    let triples = asset_triples(&record, Source::Files, extra.triples, None, territories);
    Ok(Mapped {
        id,
        stamp: None,
        action: Action::Upsert(triples),
    })
}

/// Whether a directory walk should read this file: images, video and XMP
/// sidecars (other files are not assets).
pub fn is_media_file(name: &str) -> bool {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(extension.as_deref(), Some("xmp")) || matches!(super::content_type_of(name), Some("image" | "video"))
}

/// The `<rdf:RDF>` element of the first XMP packet: the RDF/XML document
/// inside the `<x:xmpmeta>` wrapper.
fn find_packet(bytes: &[u8]) -> Result<&[u8], &'static str> {
    let meta = find(bytes, b"<x:xmpmeta")
        .ok_or("no embedded XMP metadata found; the file carries no title, keywords or rights to read")?;
    let start = meta + find(&bytes[meta..], b"<rdf:RDF").ok_or("the embedded XMP packet holds no rdf:RDF element")?;
    let end_tag = b"</rdf:RDF>";
    let end = start
        + find(&bytes[start..], end_tag).ok_or("the embedded XMP packet is cut off (no closing </rdf:RDF>)")?
        + end_tag.len();
    Ok(&bytes[start..end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_packet(packet: &[u8]) -> Result<Vec<Triple>, String> {
    let parser = oxrdfxml::RdfXmlParser::new()
        .with_base_iri(BASE)
        .map_err(|e| e.to_string())?;
    parser
        .for_slice(packet)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the embedded XMP is not well-formed RDF/XML: {e}"))
}

/// The properties of the XMP's main description, following rdf:Alt, Bag,
/// Seq containers and structs.
struct Xmp<'a> {
    by_subject: HashMap<&'a NamedOrBlankNode, Vec<&'a Triple>>,
    main: Vec<&'a NamedOrBlankNode>,
}

impl<'a> Xmp<'a> {
    fn new(triples: &'a [Triple]) -> Self {
        let mut by_subject: HashMap<&NamedOrBlankNode, Vec<&Triple>> = HashMap::new();
        for t in triples {
            by_subject.entry(&t.subject).or_default().push(t);
        }
        // `rdf:about=""` resolves to the base; some writers name the file instead.
        let main = by_subject
            .keys()
            .copied()
            .filter(|s| matches!(s, NamedOrBlankNode::NamedNode(_)))
            .collect();
        Xmp { by_subject, main }
    }

    fn objects(&self, namespace: &str, local: &str) -> Vec<&'a Term> {
        let iri = format!("{namespace}{local}");
        self.main
            .iter()
            .flat_map(|s| self.by_subject.get(s).into_iter().flatten())
            .filter(|t| t.predicate.as_str() == iri)
            .map(|t| &t.object)
            .collect()
    }

    /// Items of a container (or the value itself), in order.
    fn items(&self, term: &'a Term) -> Vec<&'a Term> {
        let Term::BlankNode(node) = term else {
            return vec![term];
        };
        let mut members: Vec<(usize, &Term)> = self
            .by_subject
            .get(&NamedOrBlankNode::BlankNode(node.clone()))
            .into_iter()
            .flatten()
            .filter_map(|t| {
                let n = t.predicate.as_str().strip_prefix(RDF)?.strip_prefix('_')?;
                Some((n.parse().ok()?, &t.object))
            })
            .collect();
        members.sort_by_key(|(n, _)| *n);
        members.into_iter().map(|(_, o)| o).collect()
    }

    fn values(&self, namespace: &str, local: &str) -> Vec<String> {
        self.objects(namespace, local)
            .into_iter()
            .flat_map(|o| self.items(o))
            .filter_map(|o| match o {
                Term::Literal(l) if !l.value().trim().is_empty() => Some(l.value().trim().to_owned()),
                Term::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect()
    }

    fn first(&self, namespace: &str, local: &str) -> Option<String> {
        self.values(namespace, local).into_iter().next()
    }

    /// Language alternatives as (language, text); `x-default` reads as English
    /// unless an explicit English text exists.
    fn texts(&self, namespace: &str, local: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for item in self.objects(namespace, local).into_iter().flat_map(|o| self.items(o)) {
            let Term::Literal(l) = item else { continue };
            if l.value().trim().is_empty() {
                continue;
            }
            let language = match l.language() {
                Some("x-default") | None => "en",
                Some(other) => other,
            };
            let language = super::normalise_language(language);
            if !out.iter().any(|(lang, _)| *lang == language) {
                out.push((language, l.value().trim().to_owned()));
            }
        }
        out
    }

    /// Structs (e.g. plus:Licensor items) as field → value.
    fn structs(&self, namespace: &str, local: &str) -> Vec<HashMap<String, String>> {
        self.objects(namespace, local)
            .into_iter()
            .flat_map(|o| self.items(o))
            .filter_map(|item| {
                let Term::BlankNode(node) = item else { return None };
                let fields = self.by_subject.get(&NamedOrBlankNode::BlankNode(node.clone()))?;
                Some(
                    fields
                        .iter()
                        .filter_map(|t| {
                            let field = t.predicate.as_str().rsplit(['/', '#']).next()?;
                            match &t.object {
                                Term::Literal(l) => Some((field.to_owned(), l.value().to_owned())),
                                Term::NamedNode(n) => Some((field.to_owned(), n.as_str().to_owned())),
                                _ => None,
                            }
                        })
                        .collect(),
                )
            })
            .collect()
    }
}

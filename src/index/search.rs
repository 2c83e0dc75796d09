//! Concept-aware search: resolve the query to concepts, expand them, and
//! score assets by their tags and their text together.
//!
//! The tantivy query is a disjunction of the text clauses (folded, and
//! stemmed in the asked language) and one term clause per expanded concept
//! on the `concept` field, boosted by the concept's weight. A hit then says
//! why it matched: each of its tags that the expansion reached, in words
//! ("altLabel 'eco-friendly packaging' of Sustainable packaging", "Recyclable,
//! narrower of Sustainable packaging"), or "text". Automatic tags (concepts
//! the asset's own text mentions) count too, a little less than curated
//! ones, and say so.

use super::analysis::{fold, stem};
use super::concepts::{ConceptView, Expansion, LabelKind, Via};
use super::facets::{self, Facets};
use super::hit::{badges, in_language, Badge, Highlight, HitPreview};
use super::loose::Corrections;
use super::query_text::QueryText;
use super::rights::ClearedOnly;
use super::stop_words::StopWords;
use super::tagset::TagSetQuery;
use super::SearchIndex;
use crate::error::{Error, Result};
use crate::records::ClearanceSummary;
use crate::rights::{AssetRights, Clearance, Context, Territories};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue, SortByString};
use tantivy::collector::{Collector, Count, SortKeyComputer, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query, QueryParser, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{IndexRecordOption, Term, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument};

/// How much a tag match weighs against a text match of the same BM25 scale.
const CONCEPT_BOOST: f32 = 3.0;
/// An automatic tag (found in the asset's title or keywords) weighs less
/// than a curated one...
const AUTO_TAG_BOOST: f32 = 2.0;
/// ...and one only its description mentions less again: descriptions name
/// materials, places and people in passing.
const DESCRIPTION_TAG_BOOST: f32 = 1.0;
/// What a curated tag of a named concept adds besides its score (times the
/// concept's weight: 0.8 a level for narrower ones): more than automatic
/// tags and a text match of typical rarity can, so that what an editor
/// tagged ranks first, level by level.
const CURATED_TIER: f32 = 100.0;
/// The stemmed field in the query's language ranks above the folded one.
const STEMMED_BOOST: f32 = 1.5;

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub lang: Option<String>,
    /// Only assets tagged with each of these concepts or a narrower one.
    pub concepts: Vec<String>,
    /// Only assets of one of these content types (`image`, `video`…), as
    /// the sources name them; empty: any.
    pub content_types: Vec<String>,
    pub expansion: Expansion,
    pub limit: usize,
    pub offset: usize,
    /// The rights context: only assets cleared for it are found, unless
    /// `include_blocked`, which finds them all and says why each is blocked.
    pub context: Option<Context>,
    pub include_blocked: bool,
    /// `q` is running text (a brief): any of its words will do.
    pub free_text: bool,
    /// `q` is in tantivy's query syntax (`title:cup`, `a OR b`, `+a -b`),
    /// not words: only when asked for (`syntax=advanced`).
    pub advanced: bool,
    /// Text only: the query is not resolved to concepts (plain BM25 over
    /// the folded and stemmed text), the baseline relevance is measured
    /// against.
    pub text_only: bool,
    pub sort: Sort,
    /// Buckets per facet (per scheme for the roll-up), most assets first.
    pub facet_limit: usize,
    /// Only the assets of these tenants (`None`: every tenant's).
    pub tenants: Option<Vec<String>>,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            q: String::new(),
            lang: None,
            concepts: Vec::new(),
            content_types: Vec::new(),
            expansion: Expansion::default(),
            limit: 0,
            offset: 0,
            context: None,
            include_blocked: false,
            free_text: false,
            advanced: false,
            text_only: false,
            sort: Sort::default(),
            tenants: None,
            facet_limit: DEFAULT_FACET_LIMIT,
        }
    }
}

/// What every hit of a page is read with.
struct Page<'a> {
    snippets: SnippetGenerator,
    /// Now, for the licence summaries.
    now: i64,
    /// The concepts the expansion reached, by id: a broad query reaches
    /// thousands, and only the tags of a page's hits are looked up.
    reached: Reached,
    view: &'a ConceptView,
    matches: &'a [super::concepts::LabelMatch],
    lang: Option<&'a str>,
    context: Option<&'a Context>,
    searcher: &'a Searcher,
    /// No words: the hits are there for the concepts asked for, not text.
    browsing: bool,
}

/// The concepts the expansion reached: weight, and how.
type Reached = ahash::AHashMap<u32, (f32, Via)>;

/// Buckets per facet unless asked otherwise: what a facet list shows.
const DEFAULT_FACET_LIMIT: usize = 20;

/// Which of the query's words the text must contain (query syntax can
/// say otherwise: `a OR b`, `+a b`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Words {
    /// Every word: what a search box asks.
    #[default]
    Every,
    /// Any word: a brief, or a search too few assets match with every word.
    Any,
}

/// A search with every word that finds fewer assets is asked again with
/// any word.
const ENOUGH_WITH_EVERY_WORD: usize = 10;

/// The order of hits. Whatever the order, equal keys fall back to relevance
/// and then to the asset's key, so pages are stable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    /// Most recently created first (dcterms:created); assets without a date last.
    Newest,
    /// Oldest first; assets without a date last.
    Oldest,
    /// Most recently modified first (dcterms:modified); without a date last.
    Updated,
    /// By shown title, folded (case and accents ignored); untitled last.
    Title,
}

impl Sort {
    pub const NAMES: [&'static str; 5] = ["relevance", "newest", "oldest", "updated", "title"];

    pub fn parse(name: &str) -> Option<Sort> {
        Some(match name {
            "relevance" => Sort::Relevance,
            "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            "updated" => Sort::Updated,
            "title" => Sort::Title,
            _ => return None,
        })
    }
}

/// A concept the query resolved to: the UI shows these as chips.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResolvedConcept {
    pub iri: String,
    /// Its prefLabel in the asked language (else English, else any).
    pub label: String,
    /// The label the query contained, of which kind, in which language.
    pub matched: String,
    pub kind: LabelKind,
    pub language: String,
    /// The query named it only once a typo was corrected: a UI says
    /// "showing results for" (see `did_you_mean`).
    pub corrected: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    /// The asset id as ingested.
    pub id: String,
    /// The asset's IRI, which also names its graph.
    pub iri: String,
    /// Its title in the asked language, else in its own.
    pub title: Option<String>,
    /// Its description, in the language of the title when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The language of the title shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// An image to show for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<HitPreview>,
    /// When it was created, as its source says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    pub score: f32,
    /// Why it matched.
    pub matched: Vec<String>,
    /// The concepts it matched through, strongest first, labelled in the
    /// asked language.
    pub concepts: Vec<HitConcept>,
    /// The source system it came from (`smintio`, `photoshelter`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its content type as the source gives it (`image`, `video`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Its licence type (`rights-managed`, `royalty-free`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licence_type: Option<String>,
    /// Where the query's words occur in one field of the asset's text
    /// (the shown title first, then the description), if they do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<Highlight>,
    /// What a result card shows as it is (see `hit.rs`).
    pub badges: Vec<Badge>,
    /// The licence at the current moment: grants, restrictions, cancelled,
    /// editorial-only, downloads, the next change.
    pub licence: ClearanceSummary,
    /// For a query with a rights context: cleared or not, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clearance: Option<Clearance>,
}

/// A concept a hit matched through, as a UI shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HitConcept {
    pub iri: String,
    /// Its prefLabel in the asked language (else English, else any).
    pub label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchAnswer {
    /// The store generation the index reflected when it answered.
    pub generation: Option<u64>,
    /// How many assets match in all.
    pub total: usize,
    /// Whether the text had to contain every word of the query or any:
    /// `any` when fewer than 10 assets had them all (a UI may say so).
    pub words: Words,
    /// The query with its corrected words replaced by the labels they
    /// were taken for, when any was corrected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    pub concepts: Vec<ResolvedConcept>,
    /// Counts over every matching asset, not only this page.
    pub facets: Facets,
    pub hits: Vec<Hit>,
}

impl SearchIndex {
    pub fn search(&self, request: &SearchRequest) -> Result<SearchAnswer> {
        let view = self.concepts();
        let lang = request.lang.as_deref();
        let searcher = self.reader.searcher();
        let used = |word: &str| {
            let term = Term::from_field_text(self.fields.text, word);
            searcher.doc_freq(&term).is_ok_and(|n| n > 0)
        };
        let correct = if request.free_text {
            Corrections::Never
        } else {
            Corrections::UnlessUsed(&used)
        };
        let matches = if request.text_only {
            Vec::new()
        } else {
            view.resolve(&request.q, lang, correct)
        };
        // Another tenant's concepts are not known to this caller's query.
        let tenants = request.tenants.as_deref();
        let matches: Vec<_> = matches
            .into_iter()
            .filter(|m| view.readable(m.concept, tenants))
            .collect();
        let corrected = did_you_mean(&request.q, &matches);
        let named: Vec<u32> = matches.iter().map(|m| m.concept).collect();
        let mut expanded = view.expand(&named, &request.expansion);
        expanded.retain(|&(id, ..)| view.readable(id, tenants));

        // A search box asks for every word first; only when too few assets
        // have them all does any word do.
        let mut words = if request.free_text || request.text_only {
            Words::Any
        } else {
            Words::Every
        };
        let (mut query, mut collected) =
            self.run(&searcher, request, corrected.as_deref(), (&view, &expanded), words)?;
        if words == Words::Every && collected.1 < ENOUGH_WITH_EVERY_WORD {
            words = Words::Any;
            (query, collected) = self.run(&searcher, request, corrected.as_deref(), (&view, &expanded), words)?;
        }
        let (top, total, tallied) = collected;
        let page = Page {
            snippets: SnippetGenerator::create(&searcher, &query, self.fields.text)?,
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
            reached: expanded.iter().map(|&(id, weight, via)| (id, (weight, via))).collect(),
            view: &view,
            matches: &matches,
            lang,
            context: request.context.as_ref(),
            searcher: &searcher,
            browsing: request.q.trim().is_empty(),
        };
        let hits = self.hits(&page, top)?;
        let concepts = matches
            .iter()
            .map(|m| ResolvedConcept {
                iri: view.iri(m.concept).to_owned(),
                label: view.label(m.concept, lang).to_owned(),
                matched: m.label.clone(),
                kind: m.kind,
                language: m.language.clone(),
                corrected: m.corrected,
            })
            .collect();
        Ok(SearchAnswer {
            generation: self.generation(),
            total,
            words,
            did_you_mean: corrected,
            concepts,
            facets: facets::read(tallied, &view, lang, request.facet_limit),
            hits,
        })
    }

    /// The hits of a page: each reads its stored document. In a large
    /// index the page is shared out among the search threads, as its
    /// segments were.
    fn hits(&self, page: &Page<'_>, top: Vec<(f32, DocAddress)>) -> Result<Vec<Hit>> {
        if !self.in_parallel(page.searcher) || top.len() < 2 {
            return top
                .into_iter()
                .map(|(score, address)| self.hit(page, score, address))
                .collect();
        }
        let half = top.len().div_ceil(2);
        let halves = top.chunks(half).map(<[_]>::to_vec);
        let build = |half: Vec<(f32, DocAddress)>| {
            half.into_iter()
                .map(|(score, address)| self.hit(page, score, address))
                .collect::<Result<Vec<Hit>>>()
                .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))
        };
        Ok(self.executor.map(build, halves)?.into_iter().flatten().collect())
    }

    /// One hit: its stored document, why it matched, its licence.
    fn hit(&self, page: &Page<'_>, score: f32, address: DocAddress) -> Result<Hit> {
        let doc: TantivyDocument = page.searcher.doc(address)?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_owned);
        let tags: Vec<&str> = doc.get_all(self.fields.concept).filter_map(|v| v.as_str()).collect();
        let all = |field| doc.get_all(field).filter_map(|v| v.as_str());
        let automatic: Vec<&str> = all(self.fields.auto_concept).collect();
        let described: Vec<&str> = all(self.fields.auto_description_concept).collect();
        let tagged = Tagged {
            curated: &tags,
            automatic: &automatic,
            described: &described,
        };
        let key = doc.get_first(self.fields.key).and_then(|v| v.as_u64());
        let id = text(self.fields.id).unwrap_or_default();
        let own_title = text(self.fields.title);
        let titles: Vec<&str> = all(self.fields.titles).collect();
        let descriptions: Vec<&str> = all(self.fields.descriptions).collect();
        let title = in_language(&titles, page.lang, |_, text| own_title.as_deref() == Some(text));
        let language = title.map(|(language, _)| language);
        let description = in_language(&descriptions, language.or(page.lang), |_, _| false);
        let licence = key.map_or_else(
            || crate::records::licence_summary(&AssetRights::default(), Territories::global(), page.now),
            |key| self.licence(key, page.now),
        );
        let clearance = page.context.zip(key).map(|(ctx, key)| self.clearance(key, ctx));
        let shown = [("title", title), ("description", description)];
        let highlight = (shown.iter())
            .filter_map(|(field, value)| Some((*field, value.as_ref()?.1)))
            .find_map(|(field, value)| Highlight::of(field, &page.snippets.snippet(value)))
            .or_else(|| Highlight::of("text", &page.snippets.snippet_from_doc(&doc)));
        Ok(Hit {
            iri: crate::rdf::asset_iri(&id).into_string(),
            id,
            title: title.map(|(_, text)| text.to_owned()).or(own_title),
            description: description.map(|(_, text)| text.to_owned()),
            language: language.filter(|l| !l.is_empty()).map(str::to_owned),
            preview: HitPreview::stored(doc.get_first(self.fields.preview).and_then(|v| v.as_str())),
            created: text(self.fields.created_at),
            score,
            matched: if page.browsing {
                vec!["concept filter".into()]
            } else {
                reasons(page.view, page.matches, &page.reached, &tagged, page.lang)
            },
            concepts: matched_concepts(page.view, &page.reached, &tagged)
                .into_iter()
                .map(|iri| HitConcept {
                    label: page
                        .view
                        .id(&iri)
                        .map_or(iri.clone(), |id| page.view.label(id, page.lang).to_owned()),
                    iri,
                })
                .collect(),
            source: text(self.fields.source),
            content_type: text(self.fields.content_type),
            licence_type: text(self.fields.license_type),
            highlight,
            badges: badges(&licence, clearance.as_ref(), page.now),
            licence,
            clearance,
        })
    }

    /// Builds the query (text and concepts, within the asked concepts) and
    /// collects the page, the total and the facets in the asked order.
    fn run(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        corrected: Option<&str>,
        (view, expanded): (&Arc<ConceptView>, &[(u32, f32, Via)]),
        words: Words,
    ) -> Result<(BooleanQuery, Collected)> {
        // A corrected query's text is searched as corrected.
        let q = corrected.unwrap_or(&request.q);
        // No words: browsing the asked concepts, every asset tagged with them.
        let wanted: Box<dyn Query> = if q.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            let mut wanted: Vec<(Occur, Box<dyn Query>)> = self.text_clauses(request, q, words)?;
            wanted.extend(self.concept_clauses(searcher, view, expanded));
            Box::new(BooleanQuery::new(wanted))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, wanted)];
        for iri in &request.concepts {
            clauses.push((Occur::Must, self.concept_filter(view, iri, request.tenants.as_deref())?));
        }
        if !request.content_types.is_empty() {
            clauses.push((Occur::Must, any_of(self.fields.content_type, &request.content_types)));
        }
        if let Some(tenants) = &request.tenants {
            clauses.push((Occur::Must, self.tenant_filter(tenants)));
        }
        let query = BooleanQuery::new(clauses);
        let collected = match request.sort {
            Sort::Relevance => self.collect(searcher, &query, request, view, by_relevance(request), |k| k.0)?,
            Sort::Newest => {
                let order = by_date("created", Order::Desc, request);
                self.collect(searcher, &query, request, view, order, score_of)?
            }
            Sort::Oldest => {
                let order = by_date("created", Order::Asc, request);
                self.collect(searcher, &query, request, view, order, score_of)?
            }
            Sort::Updated => {
                let order = by_date("modified", Order::Desc, request);
                self.collect(searcher, &query, request, view, order, score_of)?
            }
            Sort::Title => self.collect(searcher, &query, request, view, by_title(request), score_of)?,
        };
        Ok((query, collected))
    }

    /// Only the documents of these tenants, adding nothing to the score.
    pub(super) fn tenant_filter(&self, tenants: &[String]) -> Box<dyn Query> {
        any_of(self.fields.tenant, tenants)
    }

    /// Runs the query with the given top-hits collector, the count and the
    /// facets, through the rights filter when there is a context.
    fn collect<K, T>(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        request: &SearchRequest,
        view: &Arc<ConceptView>,
        top: T,
        score: impl Fn(&K) -> f32,
    ) -> Result<Collected>
    where
        T: Collector<Fruit = Vec<(K, DocAddress)>>,
    {
        let collectors = (top, Count, facets::Tally { view: view.clone() });
        let (top, total, tallied) = match (&request.context, request.include_blocked) {
            (Some(ctx), false) => {
                let filtered = ClearedOnly::new(collectors, self.rights.clone(), ctx.clone());
                self.search_segments(searcher, query, &filtered)?
            }
            _ => self.search_segments(searcher, query, &collectors)?,
        };
        let top = top.into_iter().map(|(k, address)| (score(&k), address)).collect();
        Ok((top, total, tallied))
    }

    /// Collects every segment: in a large index, the segments are shared
    /// out among the search threads, so that a broad query's answer does
    /// not wait for one core to count a million candidates.
    fn search_segments<C: Collector>(&self, searcher: &Searcher, query: &dyn Query, collector: &C) -> Result<C::Fruit> {
        if !self.in_parallel(searcher) {
            return Ok(searcher.search(query, collector)?);
        }
        let scoring = if collector.requires_scoring() {
            EnableScoring::enabled_from_searcher(searcher)
        } else {
            EnableScoring::disabled_from_searcher(searcher)
        };
        Ok(searcher.search_with_executor(query, collector, &self.executor, scoring)?)
    }

    fn licence(&self, key: u64, now: i64) -> ClearanceSummary {
        let rights = self.rights().get(key).unwrap_or_default();
        crate::records::licence_summary(&rights, Territories::global(), now)
    }

    /// Whether the asset named by `iri` is cleared for `ctx`, by the rights
    /// the index holds (an asset it does not know is not).
    pub fn is_cleared(&self, iri: &str, ctx: &Context) -> bool {
        self.rights()
            .get(super::rights::key_of(iri))
            .is_some_and(|rights| rights.is_cleared(ctx, Territories::global()))
    }

    /// The clearance of one indexed asset, with the reasons.
    fn clearance(&self, key: u64, ctx: &Context) -> Clearance {
        let rights = self.rights().get(key).unwrap_or_default();
        rights.explain(ctx, Territories::global())
    }

    /// The clauses that match assets by their text: the folded field, and
    /// the stemmed one of the query's language ranked above it.
    fn text_clauses(&self, request: &SearchRequest, q: &str, words: Words) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        if request.advanced {
            return self.advanced_text_clauses(request, words);
        }
        let text = QueryText::read(q, StopWords::of(request.lang.as_deref()));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Should, text.query(self.fields.text, &fold, words))];
        let stemmed = request.lang.as_deref().and_then(|l| Some((self.fields.stemmed(l)?, l)));
        if let Some((field, language)) = stemmed {
            let analyze = |piece: &str| stem(piece, language).unwrap_or_default();
            let query = text.query(field, &analyze, words);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(query, STEMMED_BOOST))));
        }
        Ok(clauses)
    }

    /// The text clauses of a query in tantivy's query syntax (`syntax=advanced`).
    fn advanced_text_clauses(&self, request: &SearchRequest, words: Words) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        // Parsed once, checked, then read against each field.
        let input = user_input(&request.q)?;
        let parse = |field| -> Result<Box<dyn Query>> {
            let mut parser = QueryParser::for_index(&self.index, vec![field]);
            if words == Words::Every {
                parser.set_conjunction_by_default();
            }
            Ok(parser.build_query_from_user_input_ast(input.clone())?)
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, parse(self.fields.text)?)];
        if let Some(field) = request.lang.as_deref().and_then(|l| self.fields.stemmed(l)) {
            clauses.push((Occur::Should, Box::new(BoostQuery::new(parse(field)?, STEMMED_BOOST))));
        }
        Ok(clauses)
    }

    /// The clauses that match assets by their tags, curated and automatic.
    ///
    /// A concept the query names is a term scored like text (BM25: a rare
    /// concept weighs more). The concepts the expansion reached from it are
    /// matched in groups, one clause per field for all those at the same
    /// weight from the same named concept (its narrower concepts one level
    /// down, two levels down, its related ones), each scoring the group's
    /// weight times the named concept's rarity, and never more than a tag
    /// of typical rarity. A broad concept with thousands of narrower ones
    /// so costs a dozen clauses, not thousands of scored terms, and its
    /// narrower concepts rank below it level by level.
    ///
    /// Curated tags of the named concepts and their narrower ones also add
    /// a constant tier ([`CURATED_TIER`]), so they rank above automatic
    /// tags. Tags found in a description match only the concepts the query
    /// names: through the expansion, a broad concept would otherwise reach
    /// every asset whose description mentions a material in passing.
    fn concept_clauses(
        &self,
        searcher: &Searcher,
        view: &Arc<ConceptView>,
        expanded: &[(u32, f32, Via)],
    ) -> Vec<(Occur, Box<dyn Query>)> {
        let fields = [
            (self.fields.concept, CONCEPT_BOOST),
            (self.fields.auto_concept, AUTO_TAG_BOOST),
        ];
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let tier = |query: Box<dyn Query>, weight: f32| {
            let constant = ConstScoreQuery::new(query, 1.0);
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(constant), CURATED_TIER * weight)) as Box<dyn Query>,
            )
        };
        let mut groups: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
        for &(id, weight, via) in expanded {
            let origin = match via {
                Via::Named(_) => {
                    let described = (self.fields.auto_description_concept, DESCRIPTION_TAG_BOOST);
                    for (field, boost) in fields.into_iter().chain([described]) {
                        let term = Term::from_field_text(field, view.iri(id));
                        let query = TermQuery::new(term, IndexRecordOption::Basic);
                        clauses.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(Box::new(query), boost * weight)),
                        ));
                    }
                    let curated = Term::from_field_text(self.fields.concept, view.iri(id));
                    clauses.push(tier(
                        Box::new(TermQuery::new(curated, IndexRecordOption::Basic)),
                        weight,
                    ));
                    continue;
                }
                Via::Narrower { of, .. } | Via::Related { of } | Via::Mapped { of } => of,
            };
            groups.entry((origin, weight.to_bits())).or_default().push(id);
        }
        if groups.is_empty() {
            return clauses;
        }
        let narrower: std::collections::HashSet<u32> = expanded
            .iter()
            .filter(|(_, _, via)| matches!(via, Via::Narrower { .. }))
            .map(|(id, _, _)| *id)
            .collect();
        let typical = fields.map(|(field, _)| typical_tag_idf(searcher, field));
        let mut rarities: HashMap<u32, [f32; 2]> = HashMap::new();
        for ((origin, weight), members) in groups {
            let rarity = *rarities.entry(origin).or_insert_with(|| {
                let rarity = |(field, _): (tantivy::schema::Field, f32)| {
                    idf(searcher, &Term::from_field_text(field, view.iri(origin)))
                };
                let [curated, automatic] = fields.map(rarity);
                [curated.min(typical[0]), automatic.min(typical[1])]
            });
            let weight = f32::from_bits(weight);
            // A tag set scores a constant: the curated tier is part of it.
            let tiered = members.iter().all(|id| narrower.contains(id));
            for (n, ((field, boost), rarity)) in fields.into_iter().zip(rarity).enumerate() {
                let tier = if n == 0 && tiered { CURATED_TIER * weight } else { 0.0 };
                let query = BoostQuery::new(
                    Box::new(TagSetQuery::new(field, members.iter().copied(), view.clone())),
                    boost * weight * rarity + tier,
                );
                clauses.push((Occur::Should, Box::new(query)));
            }
        }
        clauses
    }

    /// Assets tagged with the concept or any narrower one.
    fn concept_filter(&self, view: &ConceptView, iri: &str, tenants: Option<&[String]>) -> Result<Box<dyn Query>> {
        let id = view.id(iri).filter(|&id| view.readable(id, tenants)).ok_or_else(|| {
            Error::invalid_field(
                "concept",
                format!("<{iri}> is not a concept of any taxonomy in the store"),
            )
        })?;
        let any: Vec<(Occur, Box<dyn Query>)> = view
            .with_narrower(id)
            .into_iter()
            .map(|c| {
                let term = Term::from_field_text(self.fields.concept, view.iri(c));
                let query: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                (Occur::Should, query)
            })
            .collect();
        Ok(Box::new(BooleanQuery::new(any)))
    }
}

/// Only the documents with one of these values in `field`, adding nothing
/// to the score: a filter.
fn any_of(field: tantivy::schema::Field, values: &[String]) -> Box<dyn Query> {
    let terms = values.iter().map(|v| Term::from_field_text(field, v));
    Box::new(BoostQuery::new(Box::new(TermSetQuery::new(terms)), 0.0))
}

/// BM25's inverse document frequency of a term over the whole index.
fn idf(searcher: &Searcher, term: &Term) -> f32 {
    bm25_idf(searcher.num_docs() as f32, searcher.doc_freq(term).unwrap_or(0) as f32)
}

/// BM25's inverse document frequency of what `containing` of `assets` carry.
fn bm25_idf(assets: f32, containing: f32) -> f32 {
    (1.0 + (assets - containing + 0.5) / (containing + 0.5)).ln()
}

/// The inverse document frequency of a tag carried by as many assets as
/// tags are on average in `field`.
fn typical_tag_idf(searcher: &Searcher, field: tantivy::schema::Field) -> f32 {
    let (mut tags, mut distinct) = (0u64, 0u64);
    for segment in searcher.segment_readers() {
        if let Ok(inverted) = segment.inverted_index(field) {
            tags += inverted.total_num_tokens();
            // Segments share most of their tags: the largest dictionary
            // stands for the distinct ones.
            distinct = distinct.max(inverted.terms().num_terms() as u64);
        }
    }
    bm25_idf(searcher.num_docs() as f32, tags as f32 / distinct.max(1) as f32)
}

/// The hits of a page with their scores, the total and the facet counts.
type Collected = (Vec<(f32, DocAddress)>, usize, facets::Tallied);

/// Equal scores are ordered by the asset's key, not by where the documents
/// happen to sit in segments: pages stay stable across merges.
fn by_relevance(request: &SearchRequest) -> TopScored {
    TopScored {
        wanted: request.offset + request.limit,
        offset: request.offset,
    }
}

/// The best `wanted` documents by score and then key, of which the first
/// `offset` are skipped. The key is read only for a document whose score
/// could enter the best, which most candidates of a broad query cannot.
struct TopScored {
    wanted: usize,
    offset: usize,
}

/// (score, key, document) ordered by score then key; the document breaks
/// no tie that matters (keys are unique) but keeps the order total.
#[derive(Clone, Copy)]
struct Scored(f32, u64, DocAddress);

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.total_cmp(&other.0))
            .then(self.1.cmp(&other.1))
            .then(other.2.cmp(&self.2))
    }
}

struct TopScoredSegment {
    wanted: usize,
    segment: tantivy::SegmentOrdinal,
    keys: Option<Arc<dyn tantivy::columnar::ColumnValues<u64>>>,
    /// The best so far, the weakest on top.
    best: std::collections::BinaryHeap<std::cmp::Reverse<Scored>>,
}

impl Collector for TopScored {
    type Fruit = Vec<((f32, u64), DocAddress)>;
    type Child = TopScoredSegment;

    fn for_segment(
        &self,
        segment: tantivy::SegmentOrdinal,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<TopScoredSegment> {
        Ok(TopScoredSegment {
            wanted: self.wanted,
            segment,
            keys: reader.fast_fields().u64("key").ok().map(|c| c.first_or_default_col(0)),
            best: std::collections::BinaryHeap::with_capacity(self.wanted + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Scored>>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<Scored> = fruits.into_iter().flatten().collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        Ok(all
            .into_iter()
            .skip(self.offset)
            .take(self.wanted - self.offset)
            .map(|Scored(score, key, address)| ((score, key), address))
            .collect())
    }
}

impl tantivy::collector::SegmentCollector for TopScoredSegment {
    type Fruit = Vec<Scored>;

    fn collect(&mut self, doc: tantivy::DocId, score: tantivy::Score) {
        if self.wanted == 0 {
            return;
        }
        let full = self.best.len() == self.wanted;
        if full && self.best.peek().is_some_and(|weakest| score < weakest.0 .0) {
            return;
        }
        let key = self.keys.as_ref().map_or(0, |keys| keys.get_val(doc));
        let candidate = Scored(score, key, DocAddress::new(self.segment, doc));
        if !full {
            self.best.push(std::cmp::Reverse(candidate));
        } else if self.best.peek().is_some_and(|weakest| candidate > weakest.0) {
            self.best.pop();
            self.best.push(std::cmp::Reverse(candidate));
        }
    }

    fn harvest(self) -> Vec<Scored> {
        self.best.into_iter().map(|std::cmp::Reverse(scored)| scored).collect()
    }
}

/// A sort key, then relevance, then the asset's key.
type Ranked<K> = (K, (f32, Option<u64>));

fn score_of<K>(key: &Ranked<K>) -> f32 {
    key.1 .0
}

fn then_relevance<S>(first: S, request: &SearchRequest) -> impl Collector<Fruit = Vec<(Ranked<S::SortKey>, DocAddress)>>
where
    S: SortKeyComputer + Send + Sync + 'static,
    S::SortKey: 'static + Clone + Send + Sync + std::fmt::Debug,
    (S, (SortBySimilarityScore, SortByStaticFastValue<u64>)): SortKeyComputer<SortKey = Ranked<S::SortKey>>,
{
    let tie_break = (SortBySimilarityScore, SortByStaticFastValue::<u64>::for_field("key"));
    TopDocs::with_limit(request.limit)
        .and_offset(request.offset)
        .order_by((first, tie_break))
}

fn by_date(
    field: &str,
    order: Order,
    request: &SearchRequest,
) -> impl Collector<Fruit = Vec<(Ranked<Option<i64>>, DocAddress)>> {
    then_relevance((SortByStaticFastValue::<i64>::for_field(field), order), request)
}

fn by_title(request: &SearchRequest) -> impl Collector<Fruit = Vec<(Ranked<Option<String>>, DocAddress)>> {
    then_relevance((SortByString::for_field("title_sort"), Order::Asc), request)
}

/// An asset's tags by where they come from.
struct Tagged<'a> {
    curated: &'a [&'a str],
    /// Found in its titles and keywords.
    automatic: &'a [&'a str],
    /// Found only in its descriptions.
    described: &'a [&'a str],
}

/// The index in [`ORIGINS`] of tags found only in descriptions.
const DESCRIBED: usize = 2;

/// How much a tag of each origin (curated, from titles and keywords, from
/// descriptions) weighs against a curated one, and how a reason says it.
const ORIGINS: [(f32, &str); 3] = [
    (1.0, ""),
    (AUTO_TAG_BOOST / CONCEPT_BOOST, " (automatic tag)"),
    (
        DESCRIPTION_TAG_BOOST / CONCEPT_BOOST,
        " (automatic tag, from the description)",
    ),
];

impl<'a> Tagged<'a> {
    /// The tags the expansion reached, as (tag, weight times its origin's
    /// factor, how it was reached, the origin's wording). Tags found in a
    /// description match named concepts only.
    fn reached(&self, view: &ConceptView, reached: &Reached) -> Vec<(&'a str, f32, Via, &'static str)> {
        let origin = |tags: &'a [&'a str], n: usize| tags.iter().map(move |t| (*t, n));
        (origin(self.curated, 0)
            .chain(origin(self.automatic, 1))
            .chain(origin(self.described, DESCRIBED)))
        .filter_map(|(tag, n)| {
            let &(weight, via) = reached.get(&view.id(tag)?)?;
            let (factor, wording) = ORIGINS[n];
            let from_description = n == DESCRIBED;
            (!from_description || matches!(via, Via::Named(_))).then_some((tag, weight * factor, via, wording))
        })
        .collect()
    }
}

/// The concepts an asset matched through, strongest first; a curated tag
/// before an automatic one of the same concept.
fn matched_concepts(view: &ConceptView, reached: &Reached, tagged: &Tagged<'_>) -> Vec<String> {
    let mut found: Vec<(f32, &str)> = (tagged.reached(view, reached).into_iter())
        .map(|(tag, weight, ..)| (weight, tag))
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut seen = std::collections::HashSet::new();
    found
        .into_iter()
        .filter(|(_, tag)| seen.insert(*tag))
        .map(|(_, tag)| tag.to_owned())
        .collect()
}

/// Why an asset matched, strongest reason first.
fn reasons(
    view: &ConceptView,
    matches: &[super::concepts::LabelMatch],
    reached: &Reached,
    tagged: &Tagged<'_>,
    lang: Option<&str>,
) -> Vec<String> {
    let mut found: Vec<(f32, String)> = (tagged.reached(view, reached).into_iter())
        .filter_map(|(tag, weight, via, origin)| {
            let id = view.id(tag)?;
            let label = view.label(id, lang);
            let text = match via {
                Via::Named(n) => {
                    let m = &matches[n];
                    if m.kind == LabelKind::Pref && m.label == label {
                        format!("prefLabel '{label}'")
                    } else {
                        format!("{} '{}' of {label}", m.kind.name(), m.label)
                    }
                }
                Via::Narrower { of, .. } => format!("{label}, narrower of {}", view.label(of, lang)),
                Via::Related { of } => format!("{label}, related to {}", view.label(of, lang)),
                Via::Mapped { of } => format!("{label}, mapped from {}", view.label(of, lang)),
            };
            Some((weight, format!("{text}{origin}")))
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out: Vec<String> = found.into_iter().map(|(_, text)| text).collect();
    if out.is_empty() {
        out.push("text".into());
    }
    out
}

/// The query as it would have named the concepts it was corrected to: each
/// corrected stretch replaced by the first label found for it.
fn did_you_mean(q: &str, matches: &[super::concepts::LabelMatch]) -> Option<String> {
    let mut corrected: Vec<&super::concepts::LabelMatch> = matches.iter().filter(|m| m.corrected).collect();
    if corrected.is_empty() {
        return None;
    }
    corrected.dedup_by_key(|m| m.range.clone());
    let mut out = String::with_capacity(q.len());
    let mut from = 0;
    for m in corrected {
        out.push_str(&q[from..m.range.start]);
        out.push_str(&m.label);
        from = m.range.end;
    }
    out.push_str(&q[from..]);
    Some(out)
}

/// A query in tantivy's query syntax, as `syntax=advanced` asks.
/// Existence, range, set and regular-expression queries address the
/// index's own fields (an existence query on a field that keeps no values
/// fails only when run): refused with a 400 before anything runs.
fn user_input(q: &str) -> Result<tantivy::query_grammar::UserInputAst> {
    let ast = tantivy::query_grammar::parse_query(q)
        .map_err(|_| Error::from(tantivy::query::QueryParserError::SyntaxError(q.to_owned())))?;
    match index_operator(&ast) {
        Some(kind) => Err(Error::invalid_field(
            "q",
            format!("{kind} queries are not searched for; search with words, \"quoted phrases\", + and -"),
        )),
        None => Ok(ast),
    }
}

fn index_operator(ast: &tantivy::query_grammar::UserInputAst) -> Option<&'static str> {
    use tantivy::query_grammar::{UserInputAst, UserInputLeaf};
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().find_map(|(_, ast)| index_operator(ast)),
        UserInputAst::Boost(inner, _) => index_operator(inner),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Exists { .. } => Some("existence (field:*)"),
            UserInputLeaf::Range { .. } => Some("range ([a TO b])"),
            UserInputLeaf::Set { .. } => Some("set (IN [...])"),
            UserInputLeaf::Regex { .. } => Some("regular-expression"),
            UserInputLeaf::Literal(_) | UserInputLeaf::All => None,
        },
    }
}

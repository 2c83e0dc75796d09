//! IRIs of the vocabularies the service reads and writes, and the names of
//! the graphs it manages itself.
//!
//! Service-owned graphs live under the `urn:assetgraph:` namespace so that
//! they never collide with a source's own graph IRIs (PoolParty's
//! `…/thesaurus` graphs, for instance), and so that the write path can refuse
//! any attempt by a client to write into them.

use oxigraph::model::NamedNodeRef;

macro_rules! iris {
    ($($name:ident = $iri:expr;)*) => {
        $(pub const $name: NamedNodeRef<'static> = NamedNodeRef::new_unchecked($iri);)*
    };
}

pub const AG: &str = "https://w3id.org/assetgraph/ns#";

/// The vocabularies compiled into the binary, as Turtle: read by the
/// rights engine, installed in the store by [`crate::ontologies`].
pub mod shipped {
    pub const ASSETGRAPH_TTL: &str = include_str!("../ontologies/assetgraph.ttl");
    pub(crate) const TERRITORIES_TTL: &str = include_str!("../ontologies/territories.ttl");
    pub(crate) const RIGHTS_VOCABULARIES_TTL: &str = include_str!("../ontologies/rights-vocabularies.ttl");
}

pub mod ag {
    use super::*;
    iris! {
        TENANT = "https://w3id.org/assetgraph/ns#tenant";
        GRAPH_KIND = "https://w3id.org/assetgraph/ns#graphKind";
        TAXONOMY_PROJECT = "https://w3id.org/assetgraph/ns#TaxonomyProject";
        PROJECT_ID = "https://w3id.org/assetgraph/ns#projectId";
        GRAPH = "https://w3id.org/assetgraph/ns#graph";
        DERIVED_GRAPH = "https://w3id.org/assetgraph/ns#derivedGraph";
        VERSION = "https://w3id.org/assetgraph/ns#version";
        CONCEPT_COUNT = "https://w3id.org/assetgraph/ns#conceptCount";
        DEPRECATED_COUNT = "https://w3id.org/assetgraph/ns#deprecatedCount";
        TRIPLE_COUNT = "https://w3id.org/assetgraph/ns#tripleCount";
        LANGUAGE = "https://w3id.org/assetgraph/ns#language";
        SCHEME = "https://w3id.org/assetgraph/ns#scheme";
        CHANGE = "https://w3id.org/assetgraph/ns#Change";
        GRAPH_CHANGE_CLASS = "https://w3id.org/assetgraph/ns#GraphChange";
        GENERATION = "https://w3id.org/assetgraph/ns#generation";
        OPERATION = "https://w3id.org/assetgraph/ns#operation";
        GRAPH_CHANGE = "https://w3id.org/assetgraph/ns#graphChange";
        CHANGED_GRAPH = "https://w3id.org/assetgraph/ns#changedGraph";
        TRIPLES_ADDED = "https://w3id.org/assetgraph/ns#triplesAdded";
        TRIPLES_REMOVED = "https://w3id.org/assetgraph/ns#triplesRemoved";
        GRAPH_DROPPED = "https://w3id.org/assetgraph/ns#graphDropped";
        API_KEY = "https://w3id.org/assetgraph/ns#ApiKey";
        ASSET = "https://w3id.org/assetgraph/ns#Asset";
        SOURCE = "https://w3id.org/assetgraph/ns#source";
        KEYWORD = "https://w3id.org/assetgraph/ns#keyword";
        CONTENT_TYPE = "https://w3id.org/assetgraph/ns#contentType";
        PREVIEW_URL = "https://w3id.org/assetgraph/ns#previewUrl";
        PREVIEW_WIDTH = "https://w3id.org/assetgraph/ns#previewWidth";
        PREVIEW_HEIGHT = "https://w3id.org/assetgraph/ns#previewHeight";
        EDITORIAL_ONLY = "https://w3id.org/assetgraph/ns#editorialOnly";
        CANCELLED = "https://w3id.org/assetgraph/ns#cancelled";
        MAX_DOWNLOADS = "https://w3id.org/assetgraph/ns#maxDownloads";
        DOWNLOADS = "https://w3id.org/assetgraph/ns#downloads";
        RESTRICTION_KIND = "https://w3id.org/assetgraph/ns#restrictionKind";
        SOURCE_VERSION = "https://w3id.org/assetgraph/ns#sourceVersion";
        RECORD_DIGEST = "https://w3id.org/assetgraph/ns#recordDigest";
        RIGHTS_RECORD = "https://w3id.org/assetgraph/ns#RightsRecord";
        COLLECTION = "https://w3id.org/assetgraph/ns#collection";
        USAGE_EVENT = "https://w3id.org/assetgraph/ns#UsageEvent";
        ACTION = "https://w3id.org/assetgraph/ns#action";
        USAGE_TERRITORY = "https://w3id.org/assetgraph/ns#usageTerritory";
        USAGE_CHANNEL = "https://w3id.org/assetgraph/ns#usageChannel";
        USAGE_PURPOSE = "https://w3id.org/assetgraph/ns#usagePurpose";
        USAGE_AUDIENCE = "https://w3id.org/assetgraph/ns#usageAudience";
        USAGE_INDUSTRY = "https://w3id.org/assetgraph/ns#usageIndustry";
        USAGE_LANGUAGE = "https://w3id.org/assetgraph/ns#usageLanguage";
        CAMPAIGN = "https://w3id.org/assetgraph/ns#campaign";
        QUANTITY = "https://w3id.org/assetgraph/ns#quantity";
        WITHIN_TERMS = "https://w3id.org/assetgraph/ns#withinTerms";
        DECISION = "https://w3id.org/assetgraph/ns#decision";
        DECIDING_RULE = "https://w3id.org/assetgraph/ns#decidingRule";
        DECIDING_SOURCE = "https://w3id.org/assetgraph/ns#decidingSource";
        DOWNLOAD_RECORDED = "https://w3id.org/assetgraph/ns#downloadRecorded";
        WEBHOOK_EVENT = "https://w3id.org/assetgraph/ns#WebhookEvent";
        EVENT_ID = "https://w3id.org/assetgraph/ns#eventId";
        EVENT_TYPE = "https://w3id.org/assetgraph/ns#eventType";
        PAYLOAD = "https://w3id.org/assetgraph/ns#payload";
        DELIVERY = "https://w3id.org/assetgraph/ns#Delivery";
        EVENT = "https://w3id.org/assetgraph/ns#event";
        SUBSCRIPTION = "https://w3id.org/assetgraph/ns#subscription";
        DELIVERY_STATE = "https://w3id.org/assetgraph/ns#deliveryState";
        ATTEMPTS = "https://w3id.org/assetgraph/ns#attempts";
        NEXT_ATTEMPT = "https://w3id.org/assetgraph/ns#nextAttempt";
        DELIVERED_AT = "https://w3id.org/assetgraph/ns#deliveredAt";
        DELIVERY_ATTEMPT = "https://w3id.org/assetgraph/ns#DeliveryAttempt";
        OF_DELIVERY = "https://w3id.org/assetgraph/ns#ofDelivery";
        HTTP_STATUS = "https://w3id.org/assetgraph/ns#httpStatus";
        ERROR = "https://w3id.org/assetgraph/ns#error";
        CLOCK_CURSOR = "https://w3id.org/assetgraph/ns#clockCursor";
        GENERATION_CURSOR = "https://w3id.org/assetgraph/ns#generationCursor";
        CURSOR = "https://w3id.org/assetgraph/ns#cursor";
        ANNOUNCED_CLEARED = "https://w3id.org/assetgraph/ns#announcedCleared";
        TOKEN_REVOCATION = "https://w3id.org/assetgraph/ns#TokenRevocation";
        REVOKED_SUBJECT = "https://w3id.org/assetgraph/ns#revokedSubject";
        // What the audit timeline reads of a record as an approval.
        PURCHASED_AT = "https://w3id.org/assetgraph/ns#purchasedAt";
        PURCHASED_BY = "https://w3id.org/assetgraph/ns#purchasedBy";
        LICENSEE = "https://w3id.org/assetgraph/ns#licensee";
        STATUS = "https://w3id.org/assetgraph/ns#status";
        STATUS_UPDATED_AT = "https://w3id.org/assetgraph/ns#statusUpdatedAt";
        STATUS_UPDATED_BY = "https://w3id.org/assetgraph/ns#statusUpdatedBy";
        PROCESS = "https://w3id.org/assetgraph/ns#process";
        TEMPLATE = "https://w3id.org/assetgraph/ns#template";
        // What the write path keeps for the reports (store/summaries.rs).
        LICENSE_EXPIRES = "https://w3id.org/assetgraph/ns#licenseExpires";
        PRICE_EUR = "https://w3id.org/assetgraph/ns#priceEur";
        PROVIDER = "https://w3id.org/assetgraph/ns#provider";
        LICENCE_ENDS = "https://w3id.org/assetgraph/ns#licenceEnds";
        LICENCE_END_TALLY = "https://w3id.org/assetgraph/ns#LicenceEndTally";
        LICENCES_ENDING = "https://w3id.org/assetgraph/ns#licencesEnding";
        SPEND_TALLY = "https://w3id.org/assetgraph/ns#SpendTally";
        SPEND_EUR = "https://w3id.org/assetgraph/ns#spendEur";
        PURCHASES = "https://w3id.org/assetgraph/ns#purchases";
        DAY = "https://w3id.org/assetgraph/ns#day";
        SUMMARIES_AT = "https://w3id.org/assetgraph/ns#summariesAt";
    }

    /// A term of the project's ontology by its local name, for the many
    /// source-specific facts (`provider`, `licenseType`, …) that only one
    /// mapping writes; each is declared in ontologies/assetgraph.ttl.
    pub fn term(local: &str) -> oxigraph::model::NamedNode {
        oxigraph::model::NamedNode::new_unchecked(format!("{}{local}", super::AG))
    }
}

pub mod odrl {
    use super::*;
    iris! {
        SET = "http://www.w3.org/ns/odrl/2/Set";
        PERMISSION_CLASS = "http://www.w3.org/ns/odrl/2/Permission";
        PROHIBITION_CLASS = "http://www.w3.org/ns/odrl/2/Prohibition";
        TARGET = "http://www.w3.org/ns/odrl/2/target";
        PERMISSION = "http://www.w3.org/ns/odrl/2/permission";
        PROHIBITION = "http://www.w3.org/ns/odrl/2/prohibition";
        ACTION = "http://www.w3.org/ns/odrl/2/action";
        USE = "http://www.w3.org/ns/odrl/2/use";
        CONSTRAINT = "http://www.w3.org/ns/odrl/2/constraint";
        LEFT_OPERAND = "http://www.w3.org/ns/odrl/2/leftOperand";
        OPERATOR = "http://www.w3.org/ns/odrl/2/operator";
        RIGHT_OPERAND = "http://www.w3.org/ns/odrl/2/rightOperand";
        IS_ANY_OF = "http://www.w3.org/ns/odrl/2/isAnyOf";
        GTEQ = "http://www.w3.org/ns/odrl/2/gteq";
        LT = "http://www.w3.org/ns/odrl/2/lt";
        DATE_TIME = "http://www.w3.org/ns/odrl/2/dateTime";
        SPATIAL = "http://www.w3.org/ns/odrl/2/spatial";
        DELIVERY_CHANNEL = "http://www.w3.org/ns/odrl/2/deliveryChannel";
        PURPOSE = "http://www.w3.org/ns/odrl/2/purpose";
        RECIPIENT = "http://www.w3.org/ns/odrl/2/recipient";
        INDUSTRY = "http://www.w3.org/ns/odrl/2/industry";
        LANGUAGE = "http://www.w3.org/ns/odrl/2/language";
    }
}

pub mod skos {
    use super::*;
    iris! {
        CONCEPT = "http://www.w3.org/2004/02/skos/core#Concept";
        CONCEPT_SCHEME = "http://www.w3.org/2004/02/skos/core#ConceptScheme";
        IN_SCHEME = "http://www.w3.org/2004/02/skos/core#inScheme";
        HAS_TOP_CONCEPT = "http://www.w3.org/2004/02/skos/core#hasTopConcept";
        TOP_CONCEPT_OF = "http://www.w3.org/2004/02/skos/core#topConceptOf";
        BROADER = "http://www.w3.org/2004/02/skos/core#broader";
        NARROWER = "http://www.w3.org/2004/02/skos/core#narrower";
        RELATED = "http://www.w3.org/2004/02/skos/core#related";
        PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel";
        ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel";
        HIDDEN_LABEL = "http://www.w3.org/2004/02/skos/core#hiddenLabel";
        NOTATION = "http://www.w3.org/2004/02/skos/core#notation";
        DEFINITION = "http://www.w3.org/2004/02/skos/core#definition";
        SCOPE_NOTE = "http://www.w3.org/2004/02/skos/core#scopeNote";
        EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch";
        CLOSE_MATCH = "http://www.w3.org/2004/02/skos/core#closeMatch";
        BROAD_MATCH = "http://www.w3.org/2004/02/skos/core#broadMatch";
        NARROW_MATCH = "http://www.w3.org/2004/02/skos/core#narrowMatch";
        RELATED_MATCH = "http://www.w3.org/2004/02/skos/core#relatedMatch";
    }
}

pub mod skosxl {
    use super::*;
    iris! {
        PREF_LABEL = "http://www.w3.org/2008/05/skos-xl#prefLabel";
        ALT_LABEL = "http://www.w3.org/2008/05/skos-xl#altLabel";
        HIDDEN_LABEL = "http://www.w3.org/2008/05/skos-xl#hiddenLabel";
        LITERAL_FORM = "http://www.w3.org/2008/05/skos-xl#literalForm";
    }
}

pub mod dcterms {
    use super::*;
    iris! {
        TITLE = "http://purl.org/dc/terms/title";
        MODIFIED = "http://purl.org/dc/terms/modified";
        IS_REPLACED_BY = "http://purl.org/dc/terms/isReplacedBy";
        IDENTIFIER = "http://purl.org/dc/terms/identifier";
        DESCRIPTION = "http://purl.org/dc/terms/description";
        SUBJECT = "http://purl.org/dc/terms/subject";
        LANGUAGE = "http://purl.org/dc/terms/language";
        REPLACES = "http://purl.org/dc/terms/replaces";
        CREATOR = "http://purl.org/dc/terms/creator";
        RIGHTS = "http://purl.org/dc/terms/rights";
        CREATED = "http://purl.org/dc/terms/created";
        PUBLISHER = "http://purl.org/dc/terms/publisher";
        LICENSE = "http://purl.org/dc/terms/license";
        RIGHTS_HOLDER = "http://purl.org/dc/terms/rightsHolder";
        FORMAT = "http://purl.org/dc/terms/format";
        IS_PART_OF = "http://purl.org/dc/terms/isPartOf";
        EXTENT = "http://purl.org/dc/terms/extent";
    }
}

pub mod prov {
    use super::*;
    iris! {
        WAS_ASSOCIATED_WITH = "http://www.w3.org/ns/prov#wasAssociatedWith";
        STARTED_AT_TIME = "http://www.w3.org/ns/prov#startedAtTime";
        ENDED_AT_TIME = "http://www.w3.org/ns/prov#endedAtTime";
        AGENT = "http://www.w3.org/ns/prov#Agent";
        ACTIVITY = "http://www.w3.org/ns/prov#Activity";
        USED = "http://www.w3.org/ns/prov#used";
        GENERATED_AT_TIME = "http://www.w3.org/ns/prov#generatedAtTime";
        AT_TIME = "http://www.w3.org/ns/prov#atTime";
    }
}

pub mod owl {
    use super::*;
    iris! {
        DEPRECATED = "http://www.w3.org/2002/07/owl#deprecated";
    }
}

pub mod rdfs {
    use super::*;
    iris! {
        LABEL = "http://www.w3.org/2000/01/rdf-schema#label";
        COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment";
    }
}

/// Graphs and resources the service manages itself.
pub mod graphs {
    /// Prefix of every service-owned IRI; clients may not write graphs under it.
    pub(crate) const RESERVED_PREFIX: &str = "urn:assetgraph:";
    /// The registry: for every managed graph, its tenant and kind.
    pub(crate) const REGISTRY: &str = "urn:assetgraph:graph:registry";
    /// Stands for the store's default graph where a graph must be named
    /// (receipts, the audit trail); no graph of that name is ever stored.
    pub const DEFAULT: &str = "urn:assetgraph:graph:default";
    /// Prefix of every asset record graph.
    pub(crate) const ASSET_PREFIX: &str = "urn:assetgraph:asset:";
    /// Webhook events waiting for delivery, and their delivery log.
    pub(crate) const OUTBOX: &str = "urn:assetgraph:graph:outbox";
    /// The connectors' cursors.
    pub(crate) const CONNECTORS: &str = "urn:assetgraph:graph:connectors";
    /// Usage events (append-only) recorded for the `default` tenant.
    pub const USAGE: &str = "urn:assetgraph:graph:usage";
    /// Prefix of the usage graphs of the other tenants: each tenant's
    /// events are its own graph, which its analysts' queries read.
    pub(crate) const TENANT_USAGE_PREFIX: &str = "urn:assetgraph:tenant-usage:";
    /// The tenant a key naming none writes for (unless configured).
    pub(crate) const DEFAULT_TENANT: &str = "default";
    /// The tenant whose graphs every tenant reads.
    pub const SHARED_TENANT: &str = "shared";
    /// Revoked browser tokens.
    pub(crate) const REVOCATIONS: &str = "urn:assetgraph:graph:revocations";
    /// Prefix of the graphs that tally the downloads of one asset.
    pub(crate) const DOWNLOADS_PREFIX: &str = "urn:assetgraph:downloads:";
    /// Prefix of the summary graph of each tenant, kept by the write path
    /// for the reports.
    pub(crate) const SUMMARY_PREFIX: &str = "urn:assetgraph:summary:";
    /// The append-only audit trail.
    pub(crate) const AUDIT: &str = "urn:assetgraph:graph:audit";
    /// The project's own ontology.
    pub(crate) const ONTOLOGY: &str = "urn:assetgraph:graph:ontology";
    /// The shipped territories vocabulary.
    pub(crate) const TERRITORIES: &str = "urn:assetgraph:graph:territories";
    /// The shipped channels, usages, audiences, industries and languages.
    pub(crate) const RIGHTS_VOCABULARIES: &str = "urn:assetgraph:graph:rights-vocabularies";

    /// The usage graph of a tenant's events.
    pub fn usage_of(tenant: &str) -> String {
        if tenant == DEFAULT_TENANT {
            USAGE.to_owned()
        } else {
            format!("{TENANT_USAGE_PREFIX}{tenant}")
        }
    }

    /// Whether a graph holds usage events.
    pub(crate) fn is_usage(graph: &str) -> bool {
        graph == USAGE || graph.starts_with(TENANT_USAGE_PREFIX)
    }

    /// The tally graph of the downloads of an asset (by its graph's IRI).
    pub fn downloads(asset: &str) -> String {
        let id = asset.strip_prefix(ASSET_PREFIX).unwrap_or(asset);
        format!("{DOWNLOADS_PREFIX}{id}")
    }

    /// The asset graph a downloads tally belongs to.
    pub(crate) fn asset_of_downloads(graph: &str) -> Option<String> {
        graph
            .strip_prefix(DOWNLOADS_PREFIX)
            .map(|id| format!("{ASSET_PREFIX}{id}"))
    }

    /// Graphs of the service's own bookkeeping: they hold neither assets
    /// nor concepts, so the index passes over them (a tally only changes
    /// the rights of its asset).
    pub(crate) fn is_bookkeeping(graph: &str) -> bool {
        [REGISTRY, AUDIT, OUTBOX, CONNECTORS, REVOCATIONS].contains(&graph)
            || is_usage(graph)
            || graph.starts_with(DOWNLOADS_PREFIX)
            || graph.starts_with(SUMMARY_PREFIX)
    }

    /// Whether a change to `graph` can change an asset's document or
    /// rights, or a concept: every graph but the bookkeeping ones, and
    /// among those the downloads tallies (they change their asset's rights).
    pub(crate) fn touches_assets_or_concepts(graph: &str) -> bool {
        !is_bookkeeping(graph) || graph.starts_with(DOWNLOADS_PREFIX)
    }

    pub fn tenant(id: &str) -> String {
        format!("urn:assetgraph:tenant:{id}")
    }
    pub fn agent(name: &str) -> String {
        format!("urn:assetgraph:agent:{name}")
    }
    pub(crate) fn audit_entry(generation: u64) -> String {
        format!("urn:assetgraph:change:{generation}")
    }
}

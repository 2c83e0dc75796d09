//! Rightsline (API v4): temporary credentials, SigV4-signed calls, entity
//! fetches, the SNS endpoint, and the usage export back to Rightsline.
//!
//! **Credentials.** `POST /v4/auth/temporary-credentials` with the company
//! key (`x-api-key`) and the user's access and secret keys answers STS
//! credentials valid for an hour; they are kept until shortly before they
//! expire (the endpoint allows 300 calls a minute). Every other call is
//! signed with AWS SigV4 (service `execute-api`, the configured region) by
//! the AWS SDK's signer, with `x-api-key` and `x-amz-security-token`.
//!
//! **Messages are doorbells.** Rightsline publishes one SNS topic per char
//! type; an HTTPS subscription POSTs each message to
//! `/api/connectors/rightsline/sns`. The endpoint verifies the message's
//! signature with the certificate at `SigningCertURL` — only from an SNS
//! host (`sns.<region>.amazonaws.com` unless configured otherwise), RSA
//! with SHA-1 (`SignatureVersion` 1) or SHA-256 (2) over the fields AWS
//! names — and refuses anything else with 401, changing nothing. A
//! `SubscriptionConfirmation` is confirmed by visiting its `SubscribeURL`
//! (an SNS host too). A notification is recorded through the Rightsline
//! mapping (a `deleted` drops the record; other actions leave a notice),
//! then the entity is fetched (`GET /v4/{char type}/{id}`; for
//! `availability-changed`, its root entities) and ingested.
//!
//! **Sync** (`assetgraph sync rightsline`) reconciles: `POST
//! /v4/{char type}/search` for each configured char type, sorted by last
//! update, from the stored high-water mark.
//!
//! **Usage export.** [`export_usage`] posts, per Rightsline catalog item
//! used in a window, one `table` record of the configured template with
//! the number of uses, those outside the terms, and the window
//! (characteristic names configurable: usage templates are per tenant).

use super::{ingest_page, secret, success_body, Context, HighWater, SyncReport};
use crate::auth::Secret;
use crate::error::{Error, Result};
use crate::ingest::rightsline::{char_type_name, parse_char_type};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::SystemTime;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// e.g. `https://ris.rightsline.com` (or `https://api.rightsline.eu`);
    /// without it the table only says how records map (`mapping`), for
    /// the ingest API, and the connector does not run.
    pub base_url: Option<String>,
    /// How characteristics map to the rights dimensions, and which
    /// templates and statuses mean what (tenant-specific).
    #[serde(default)]
    pub mapping: crate::ingest::RightslineMapping,
    /// The company API key (`x-api-key`).
    pub api_key: Option<Secret>,
    pub api_key_env: Option<String>,
    pub access_key: Option<Secret>,
    pub access_key_env: Option<String>,
    pub secret_key: Option<Secret>,
    pub secret_key_env: Option<String>,
    #[serde(default = "region")]
    pub region: String,
    /// Char types reconciled by a sync.
    #[serde(default = "char_types")]
    pub char_types: Vec<String>,
    /// SNS topics whose messages are accepted (empty: any topic).
    #[serde(default)]
    pub sns_topics: Vec<String>,
    /// Hosts SNS certificates and confirmations may come from (default:
    /// `sns.<region>.amazonaws.com` for any region).
    #[serde(default)]
    pub sns_hosts: Vec<String>,
    /// The template of the `table` records the usage export creates.
    pub usage_template_id: Option<i64>,
    #[serde(default)]
    pub usage_fields: UsageFields,
    pub schedule_secs: Option<u64>,
}

/// The characteristics of an exported usage record.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageFields {
    #[serde(default = "f_uses")]
    pub uses: String,
    #[serde(default = "f_outside")]
    pub outside_terms: String,
    #[serde(default = "f_from")]
    pub period_start: String,
    #[serde(default = "f_to")]
    pub period_end: String,
}

impl Default for UsageFields {
    fn default() -> Self {
        UsageFields {
            uses: f_uses(),
            outside_terms: f_outside(),
            period_start: f_from(),
            period_end: f_to(),
        }
    }
}

fn f_uses() -> String {
    "usage_count".into()
}
fn f_outside() -> String {
    "usage_outside_terms".into()
}
fn f_from() -> String {
    "period_start".into()
}
fn f_to() -> String {
    "period_end".into()
}
fn region() -> String {
    "us-west-2".into()
}
fn char_types() -> Vec<String> {
    vec!["catalog-item".into(), "right".into()]
}

const SYSTEM: &str = "Rightsline";

/// STS credentials as the temporary-credentials call answers them.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Temporary {
    access_key: String,
    secret_key: String,
    session_token: String,
    expiration: Option<String>,
}

/// Credentials kept per server and user until shortly before they expire.
fn cache() -> &'static tokio::sync::Mutex<HashMap<String, (Temporary, i64)>> {
    static CACHE: OnceLock<tokio::sync::Mutex<HashMap<String, (Temporary, i64)>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// A signed-call client for one configuration.
pub struct Client<'a> {
    context: &'a Context,
    settings: &'a Settings,
    base_url: &'a str,
    api_key: String,
    access_key: String,
    secret_key: String,
}

impl<'a> Client<'a> {
    pub fn new(context: &'a Context, settings: &'a Settings) -> Result<Self> {
        let base_url = settings.base_url.as_deref().ok_or_else(|| {
            Error::invalid_field(
                "base_url",
                "[connectors.rightsline] names no base_url (https://ris.rightsline.com or https://api.rightsline.eu): add it to run the connector",
            )
        })?;
        Ok(Client {
            context,
            settings,
            base_url,
            api_key: secret("rightsline", "api_key", &settings.api_key, &settings.api_key_env)?,
            access_key: secret(
                "rightsline",
                "access_key",
                &settings.access_key,
                &settings.access_key_env,
            )?,
            secret_key: secret(
                "rightsline",
                "secret_key",
                &settings.secret_key,
                &settings.secret_key_env,
            )?,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v4/{path}", self.base_url.trim_end_matches('/'))
    }

    async fn credentials(&self, renew: bool) -> Result<Temporary> {
        let key = format!("{}|{}", self.base_url, self.access_key);
        let mut cache = cache().lock().await;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let (false, Some((credentials, until))) = (renew, cache.get(&key)) {
            if *until - 60 > now {
                return Ok(credentials.clone());
            }
        }
        let url = self.url("auth/temporary-credentials");
        let body = json!({"accessKey": self.access_key, "secretKey": self.secret_key});
        let response = (self.context.http)
            .send(SYSTEM, |client| {
                client.post(&url).header("x-api-key", &self.api_key).json(&body)
            })
            .await?;
        let answer = success_body(SYSTEM, response).await.map_err(|e| {
            Error::upstream(
                SYSTEM,
                format!("temporary credentials were refused ({e}); check the company key and the user's access keys"),
            )
        })?;
        let credentials: Temporary = serde_json::from_slice(&answer).map_err(|e| {
            Error::upstream(
                SYSTEM,
                format!("the temporary credentials are not what the API documents: {e}"),
            )
        })?;
        let until = credentials
            .expiration
            .as_deref()
            .and_then(crate::rdf::time::parse)
            .unwrap_or(now + 3_600);
        cache.insert(key, (credentials.clone(), until));
        Ok(credentials)
    }

    /// Sends a SigV4-signed call; a 401 or 403 renews the credentials once.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<reqwest::Response> {
        let url = self.url(path);
        let bytes = body
            .map(|b| serde_json::to_vec(b).expect("JSON serialises"))
            .unwrap_or_default();
        let mut renew = false;
        loop {
            let credentials = self.credentials(renew).await?;
            let headers = self.signed_headers(&method, &url, &bytes, &credentials)?;
            let response = (self.context.http)
                .send(SYSTEM, |client| {
                    let mut request = client.request(method.clone(), &url).body(bytes.clone());
                    for (name, value) in &headers {
                        request = request.header(name.as_str(), value.as_str());
                    }
                    request
                })
                .await?;
            let refused = matches!(response.status().as_u16(), 401 | 403);
            if refused && !renew {
                renew = true;
                continue;
            }
            return Ok(response);
        }
    }

    /// The headers of a signed call: content type, keys, and the SigV4
    /// `authorization`, `x-amz-date` and security token the signer adds.
    fn signed_headers(
        &self,
        method: &reqwest::Method,
        url: &str,
        body: &[u8],
        credentials: &Temporary,
    ) -> Result<Vec<(String, String)>> {
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
        let fixed = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-api-key".to_owned(), self.api_key.clone()),
        ];
        let identity = aws_credential_types::Credentials::new(
            &credentials.access_key,
            &credentials.secret_key,
            Some(credentials.session_token.clone()),
            None,
            "rightsline-temporary-credentials",
        )
        .into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.settings.region)
            .name("execute-api")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| Error::upstream(SYSTEM, format!("cannot sign: {e}")))?
            .into();
        let signable = SignableRequest::new(
            method.as_str(),
            url,
            fixed.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| Error::upstream(SYSTEM, format!("cannot sign: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| Error::upstream(SYSTEM, format!("cannot sign: {e}")))?
            .into_parts();
        let mut headers = fixed;
        headers.extend(instructions.headers().map(|(n, v)| (n.to_owned(), v.to_owned())));
        Ok(headers)
    }

    /// One entity, with its char type added when the API leaves it out.
    pub async fn entity(&self, char_type: &str, id: &str) -> Result<Option<Value>> {
        let response = self
            .call(reqwest::Method::GET, &format!("{char_type}/{id}"), None)
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let mut entity: Value = serde_json::from_slice(&success_body(SYSTEM, response).await?)
            .map_err(|e| Error::upstream(SYSTEM, format!("an entity is not JSON: {e}")))?;
        if entity.get("charTypeId").is_none() {
            if let Some(number) = crate::ingest::rightsline::char_type_id(char_type) {
                entity["charTypeId"] = json!(number);
            }
        }
        Ok(Some(entity))
    }
}

/// Reconciles the configured char types from the stored high-water mark.
pub async fn sync(context: &Context, settings: &Settings) -> Result<SyncReport> {
    let client = Client::new(context, settings)?;
    let mut report = SyncReport::new("rightsline");
    for char_type in &settings.char_types {
        let char_type = parse_char_type(char_type).ok_or_else(|| {
            Error::invalid_field("char_types", format!("'{char_type}' is not a Rightsline char type"))
        })?;
        let mut mark = HighWater::read(context, &format!("rightsline:{char_type}")).await?;
        for start in (0..).step_by(100) {
            let mut query = json!({"start": start, "rows": 100, "sortOrders": ["lastupdateddate asc"]});
            if let Some(stored) = &mark.stored {
                query["query"] = json!({"$gt": ["lastupdateddate", stored]});
            }
            let response = client
                .call(reqwest::Method::POST, &format!("{char_type}/search"), Some(&query))
                .await?;
            let page: Value = serde_json::from_slice(&success_body(SYSTEM, response).await?)
                .map_err(|e| Error::upstream(SYSTEM, format!("a search answer is not JSON: {e}")))?;
            let mut entities = page["entities"].as_array().cloned().unwrap_or_default();
            let found = entities.len();
            for entity in &mut entities {
                if entity.get("charTypeId").is_none() {
                    entity["charTypeId"] = json!(crate::ingest::rightsline::char_type_id(char_type));
                }
                mark.raise(entity["lastUpdatedDate"].as_str());
            }
            if !entities.is_empty() {
                let batch = ingest_page(
                    context,
                    crate::ingest::Source::Rightsline,
                    json!({ "entities": entities }),
                )
                .await?;
                report.add(&batch);
            }
            if found < 100 {
                break;
            }
        }
        mark.store(context).await?;
    }
    report.generation = context.store.generation();
    Ok(report)
}

/// What the SNS endpoint did with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) enum SnsOutcome {
    /// A subscription was confirmed.
    Confirmed,
    /// A notification was recorded and its entity fetched.
    Notified,
    /// A message of another kind (an unsubscribe confirmation), accepted.
    Ignored,
}

/// Verifies and handles one SNS HTTPS message. A message whose signature
/// does not verify is an [`Error::Unauthorized`]-like refusal: nothing is
/// stored and nothing is called but the certificate.
pub(crate) async fn handle_sns(context: &Context, settings: &Settings, body: &[u8]) -> Result<SnsOutcome> {
    let message: Value = serde_json::from_slice(body).map_err(|e| sns_refused(format!("the body is not JSON: {e}")))?;
    let kind = text(&message, "Type")?;
    if !settings.sns_topics.is_empty()
        && !settings
            .sns_topics
            .iter()
            .any(|t| t == text(&message, "TopicArn").unwrap_or(""))
    {
        return Err(sns_refused("the message comes from a topic not in sns_topics".into()));
    }
    verify_sns(context, settings, &message).await?;
    match kind {
        "SubscriptionConfirmation" => {
            let url = text(&message, "SubscribeURL")?;
            check_sns_host(settings, url)?;
            let response = context.http.send(SYSTEM, |client| client.get(url)).await?;
            success_body(SYSTEM, response).await?;
            tracing::info!(
                topic = text(&message, "TopicArn").unwrap_or(""),
                "Rightsline SNS subscription confirmed"
            );
            Ok(SnsOutcome::Confirmed)
        }
        "Notification" => {
            let inner: Value = serde_json::from_str(text(&message, "Message")?)
                .map_err(|e| Error::upstream(SYSTEM, format!("the SNS Message is not JSON: {e}")))?;
            ingest_page(context, crate::ingest::Source::Rightsline, inner.clone()).await?;
            if inner["action"] != "deleted" {
                refetch(context, settings, &inner).await?;
            }
            Ok(SnsOutcome::Notified)
        }
        _ => Ok(SnsOutcome::Ignored),
    }
}

/// Fetches and ingests what a message points at: the entity, or for an
/// availability change its root entities.
async fn refetch(context: &Context, settings: &Settings, message: &Value) -> Result<()> {
    let client = Client::new(context, settings)?;
    let pointers: Vec<&Value> = if message["action"] == "availability-changed" {
        message["rootEntities"]
            .as_array()
            .map(|r| r.iter().collect())
            .unwrap_or_default()
    } else {
        vec![&message["entity"]]
    };
    for pointer in pointers {
        let (Some(type_id), Some(id)) = (pointer["charTypeId"].as_i64(), pointer["entityId"].as_i64()) else {
            continue;
        };
        let Some(char_type) = char_type_name(type_id) else {
            continue;
        };
        if let Some(entity) = client.entity(char_type, &id.to_string()).await? {
            ingest_page(context, crate::ingest::Source::Rightsline, entity).await?;
        }
    }
    Ok(())
}

fn text<'v>(message: &'v Value, field: &str) -> Result<&'v str> {
    message[field]
        .as_str()
        .ok_or_else(|| sns_refused(format!("the SNS message has no {field}")))
}

fn sns_refused(message: String) -> Error {
    Error::Unauthorized { message }
}

/// SNS certificates and confirmation links come from SNS hosts only.
fn check_sns_host(settings: &Settings, url: &str) -> Result<()> {
    let parsed = reqwest::Url::parse(url).map_err(|_| sns_refused(format!("'{url}' is not a URL")))?;
    let host = parsed.host_str().unwrap_or("");
    let allowed = if settings.sns_hosts.is_empty() {
        parsed.scheme() == "https"
            && host
                .strip_prefix("sns.")
                .and_then(|rest| rest.strip_suffix(".amazonaws.com"))
                .is_some_and(|region| {
                    !region.is_empty() && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
    } else {
        settings.sns_hosts.iter().any(|h| h == host)
    };
    if allowed {
        Ok(())
    } else {
        Err(sns_refused(format!("'{host}' is not an SNS host")))
    }
}

/// Checks the message's signature with its signing certificate.
async fn verify_sns(context: &Context, settings: &Settings, message: &Value) -> Result<()> {
    let cert_url = text(message, "SigningCertURL")?;
    check_sns_host(settings, cert_url)?;
    let algorithm: &'static dyn aws_lc_rs::signature::VerificationAlgorithm = match message["SignatureVersion"].as_str()
    {
        Some("1") => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        Some("2") => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        _ => return Err(sns_refused("SignatureVersion is neither 1 nor 2".into())),
    };
    use base64::Engine;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(text(message, "Signature")?)
        .map_err(|_| sns_refused("the Signature is not base64".into()))?;
    let key = certificate_key(context, cert_url).await?;
    let signed = string_to_sign(message)?;
    aws_lc_rs::signature::UnparsedPublicKey::new(algorithm, key)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| sns_refused("the SNS signature does not match the message".into()))
}

/// The public key (PKCS#1 RSAPublicKey) of the certificate at `url`,
/// fetched once per URL.
async fn certificate_key(context: &Context, url: &str) -> Result<Vec<u8>> {
    static KEYS: OnceLock<tokio::sync::Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let keys = KEYS.get_or_init(Default::default);
    if let Some(key) = keys.lock().await.get(url) {
        return Ok(key.clone());
    }
    let response = context.http.send(SYSTEM, |client| client.get(url)).await?;
    let pem = success_body(SYSTEM, response).await?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem)
        .map_err(|e| sns_refused(format!("the signing certificate is not PEM: {e}")))?;
    let certificate = pem
        .parse_x509()
        .map_err(|e| sns_refused(format!("the signing certificate cannot be read: {e}")))?;
    let key = certificate.public_key().subject_public_key.data.to_vec();
    keys.lock().await.insert(url.to_owned(), key.clone());
    Ok(key)
}

/// The text SNS signs: the named fields, each as `name\nvalue\n`, in order.
fn string_to_sign(message: &Value) -> Result<String> {
    let fields: &[&str] = match text(message, "Type")? {
        "Notification" => &["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
        _ => &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ],
    };
    let mut signed = String::new();
    for field in fields {
        match message[*field].as_str() {
            Some(value) => {
                signed.push_str(field);
                signed.push('\n');
                signed.push_str(value);
                signed.push('\n');
            }
            None if *field == "Subject" => {}
            None => return Err(sns_refused(format!("the SNS message has no {field}"))),
        }
    }
    Ok(signed)
}

/// Posts the usage of Rightsline catalog items in `[from, to)` to
/// Rightsline as `table` records, one per catalog item; the number posted.
pub async fn export_usage(context: &Context, settings: &Settings, from: i64, to: i64) -> Result<usize> {
    let template = settings.usage_template_id.ok_or_else(|| {
        Error::invalid_field(
            "usage_template_id",
            "[connectors.rightsline] names no usage_template_id: the table template of usage records",
        )
    })?;
    let usage = graphs_usage_of(context);
    let totals = context
        .blocking(move |store| usage_by_catalog_item(store, &usage, from, to))
        .await?;
    let client = Client::new(context, settings)?;
    let fields = &settings.usage_fields;
    for (item, (uses, outside)) in &totals {
        let record = json!({
            "templateId": template,
            "title": format!("Usage {} to {}", crate::rdf::time::rfc3339(from), crate::rdf::time::rfc3339(to)),
            "parentRelationship": [{"parentCharTypeId": 1, "parentRecordId": item}],
            "characteristics": {
                fields.uses.as_str(): uses,
                fields.outside_terms.as_str(): outside,
                fields.period_start.as_str(): crate::rdf::time::rfc3339(from),
                fields.period_end.as_str(): crate::rdf::time::rfc3339(to),
            }
        });
        let response = client.call(reqwest::Method::POST, "table", Some(&record)).await?;
        success_body(SYSTEM, response).await?;
    }
    Ok(totals.len())
}

/// The usage graph of the tenant the connectors act for.
fn graphs_usage_of(context: &Context) -> oxigraph::model::NamedNode {
    oxigraph::model::NamedNode::new_unchecked(crate::vocab::graphs::usage_of(&context.settings.default_tenant))
}

/// Per Rightsline catalog item id: uses in `usage` in the window, and
/// those outside the terms.
fn usage_by_catalog_item(
    store: &crate::store::Store,
    usage: &oxigraph::model::NamedNode,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, (u64, u64))>> {
    const USES: &str = "PREFIX ag: <https://w3id.org/assetgraph/ns#> PREFIX prov: <http://www.w3.org/ns/prov#>
         SELECT ?asset (COUNT(?e) AS ?uses) (SUM(IF(?within, 0, 1)) AS ?outside) ?from ?to ?usage WHERE {
           GRAPH ?usage { ?e prov:used ?asset ; prov:startedAtTime ?at ; ag:withinTerms ?within }
           FILTER(STRSTARTS(STR(?asset), \"urn:assetgraph:asset:rightsline:catalog-item:\"))
           FILTER(?at >= ?from && ?at < ?to)
         } GROUP BY ?asset ?from ?to ?usage ORDER BY ?asset";
    let at = |seconds: i64| -> oxigraph::model::Term {
        oxigraph::model::Literal::new_typed_literal(
            crate::rdf::time::rfc3339(seconds),
            oxigraph::model::vocab::xsd::DATE_TIME,
        )
        .into()
    };
    let bindings = [("from", at(from)), ("to", at(to)), ("usage", usage.clone().into())];
    let number = |term: &Option<oxigraph::model::Term>| match term {
        Some(oxigraph::model::Term::Literal(l)) => l.value().parse::<u64>().unwrap_or(0),
        _ => 0,
    };
    let mut totals = Vec::new();
    for row in store.select(USES, &bindings)? {
        let Some(oxigraph::model::Term::NamedNode(asset)) = &row[0] else {
            continue;
        };
        let id = crate::rdf::asset_id(asset.as_str());
        if let Some(item) = id.strip_prefix("rightsline:catalog-item:").and_then(|n| n.parse().ok()) {
            totals.push((item, (number(&row[1]), number(&row[2]))));
        }
    }
    Ok(totals)
}

//! OAuth 2.0 access tokens with refresh (Smint.io, Dropbox): a call
//! answered 401 refreshes the token once and is repeated; a second 401 is
//! an error. Refresh tokens may rotate, so the current pair is kept in a
//! file of the connector's own (mode 0600), not in the config.

use super::{success_body, Http};
use crate::error::{Error, Result};
use crate::store::{Change, Store};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

#[derive(Clone, Default, Serialize, Deserialize)]
struct Tokens {
    access_token: Option<String>,
    refresh_token: String,
    /// Unix seconds.
    expires_at: Option<i64>,
}

/// Where a connector keeps its tokens: a file of its own, readable by the
/// service only, and a line in the audit trail each time they change.
pub(crate) struct TokenFile {
    pub path: PathBuf,
    pub store: Arc<Store>,
    /// The tenant the audit entry is recorded for.
    pub tenant: String,
}

pub(crate) struct OAuth {
    system: &'static str,
    token_url: String,
    client_id: String,
    client_secret: String,
    kept: TokenFile,
    tokens: Mutex<Tokens>,
}

impl OAuth {
    /// The token pair kept in `file`, or the refresh token of the config
    /// the first time.
    pub(crate) fn load(
        system: &'static str,
        token_url: String,
        client_id: String,
        client_secret: String,
        refresh_token: String,
        kept: TokenFile,
    ) -> Result<Self> {
        let file = &kept.path;
        let tokens = match std::fs::read_to_string(file) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                Error::invalid(format!(
                    "{}: not a token file ({e}); delete it to start again from the configured refresh token",
                    file.display()
                ))
            })?,
            Err(_) => Tokens {
                refresh_token,
                ..Default::default()
            },
        };
        Ok(OAuth {
            system,
            token_url,
            client_id,
            client_secret,
            kept,
            tokens: Mutex::new(tokens),
        })
    }

    /// Sends `build(token)`; on 401, refreshes the token and sends once more.
    pub(crate) async fn send(
        &self,
        http: &Http,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let token = self.access_token(http).await?;
        let response = http.send(self.system, |client| build(client, &token)).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        tracing::info!(system = self.system, "access token refused; refreshing it once");
        let token = self.refresh(http, Some(&token)).await?;
        let response = http.send(self.system, |client| build(client, &token)).await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(Error::upstream(
                self.system,
                "a fresh access token was refused too (401); check the client's grants",
            ));
        }
        Ok(response)
    }

    async fn access_token(&self, http: &Http) -> Result<String> {
        {
            let tokens = self.tokens.lock().await;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if let Some(token) = &tokens.access_token {
                if tokens.expires_at.is_none_or(|at| at - 30 > now) {
                    return Ok(token.clone());
                }
            }
        }
        self.refresh(http, None).await
    }

    /// A new access token, unless another call refreshed since `stale`.
    async fn refresh(&self, http: &Http, stale: Option<&str>) -> Result<String> {
        let mut tokens = self.tokens.lock().await;
        if let (Some(current), Some(stale)) = (&tokens.access_token, stale) {
            if current != stale {
                return Ok(current.clone());
            }
        }
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.refresh_token.as_str()),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ];
        let response = http
            .send(self.system, |client| client.post(&self.token_url).form(&form))
            .await?;
        let body = success_body(self.system, response).await.map_err(|e| {
            Error::upstream(
                self.system,
                format!("the token refresh failed ({e}); the refresh token may have been revoked: set a new one"),
            )
        })?;
        #[derive(Deserialize)]
        struct Answer {
            access_token: String,
            refresh_token: Option<String>,
            expires_in: Option<i64>,
        }
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|e| Error::upstream(self.system, format!("the token answer is not what OAuth 2.0 says: {e}")))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        tokens.access_token = Some(answer.access_token.clone());
        if let Some(rotated) = answer.refresh_token {
            tokens.refresh_token = rotated;
        }
        tokens.expires_at = answer.expires_in.map(|s| now + s);
        self.persist(&tokens).await?;
        Ok(answer.access_token)
    }

    /// Keeps the tokens in their file, and says so in the audit trail
    /// (which system, never the tokens).
    async fn persist(&self, tokens: &Tokens) -> Result<()> {
        crate::auth::write_secret_file(&self.kept.path, &serde_json::to_vec(tokens).expect("tokens serialise"))?;
        let change = Change {
            actor: format!("connector:{}", self.system),
            operation: "connector.tokens".into(),
            tenant: self.kept.tenant.clone(),
            note: Some(format!("{} OAuth tokens refreshed and kept", self.system)),
            writes: Vec::new(),
        };
        let store = self.kept.store.clone();
        tokio::task::spawn_blocking(move || store.record_outside_change(change))
            .await
            .map_err(|e| Error::Storage(format!("recording the token refresh: {e}")))??;
        Ok(())
    }
}

//! The embed URL operations, answering with the URL itself: `create_sso_embed_url`,
//! `create_embed_url_as_me` and `validate_embed_url`.

use super::EmbedError;
use crate::models::{EmbedParams, EmbedSsoParams, EmbedUrlResponse};
use crate::{Error, LookerSdk, Result};

/// A signed embed URL made by Looker (`POST /embed/sso_url`) with its newest embed secret,
/// for a backend that does not hold the secret. `target_url` is the complete URL of the Looker
/// page (`https://host/dashboards/7`, not an `/embed` URL). Single use.
pub async fn create_sso_url(sdk: &LookerSdk, params: &EmbedSsoParams) -> Result<String> {
    let answer = sdk.create_sso_embed_url(params).await?;
    url_of(answer, "create_sso_embed_url")
}

/// An embed URL that runs as the API caller (`POST /embed/token_url/me`). `target_url` is a
/// complete URL whose path starts with `/embed`. Single use, valid for 5 minutes.
pub async fn create_url_as_me(sdk: &LookerSdk, params: &EmbedParams) -> Result<String> {
    let answer = sdk.create_embed_url_as_me(params).await?;
    url_of(answer, "create_embed_url_as_me")
}

/// Looker's check of a signed embed URL (`GET /embed/sso/validate?url=`, **alpha**). What
/// Looker answers for a good and for a bad URL is not documented and not confirmed against a
/// live instance: the answer is returned as Looker sent it.
pub async fn validate_url(sdk: &LookerSdk, url: &str) -> Result<EmbedUrlResponse> {
    sdk.validate_embed_url().url(url).await
}

fn url_of(answer: EmbedUrlResponse, operation: &'static str) -> Result<String> {
    answer.url.ok_or(Error::Embed(EmbedError::IncompleteAnswer {
        operation,
        field: "url",
    }))
}

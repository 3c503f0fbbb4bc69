// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{AccessPage, AccessQuery},
    error::AppError,
};

/// A page of the signed-in identity's own sign-ins, newest first.
#[server(prefix = "/api", endpoint = "account/access_log")]
pub async fn own_access_log(#[server(default)] query: AccessQuery) -> Result<AccessPage, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .own(&caller().await?)
        .await?
        .access_log(&query)
        .await
}

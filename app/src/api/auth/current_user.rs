// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{dto::Me, error::AppError};

/// Who is signed in; `None` when nobody is.
#[server(prefix = "/api", endpoint = "auth/current_user")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    use crate::api::context::{caller, port};
    match caller().await {
        Ok(caller) => match async { port()?.own(&caller).await?.me().await }.await {
            Ok(me) => Ok(Some(me)),
            // The identity behind the session is gone (deleted mailbox): treat as signed out.
            Err(AppError::Unauthorized | AppError::NotFound) => {
                crate::api::context::sign_out().await?;
                Ok(None)
            }
            Err(err) => Err(err),
        },
        Err(AppError::Unauthorized) => Ok(None),
        Err(err) => Err(err),
    }
}

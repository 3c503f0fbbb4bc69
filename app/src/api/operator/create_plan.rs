// SPDX-License-Identifier: AGPL-3.0-only
// A server function takes a form's fields as its arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;

/// Creates a plan (operator only). Prices are typed in euro.
#[server(prefix = "/api", endpoint = "operator/create_plan")]
pub async fn create_plan(
    name: String,
    mailbox_type: String,
    included_mailboxes: String,
    price_extra_mailbox: String,
    price_quota_25: String,
    price_quota_50: String,
    price_quota_100: String,
    price_send_1000: String,
    price_send_2000: String,
    price_send_5000: String,
    price_archive: String,
) -> Result<(), AppError> {
    use crate::api::{
        context::{caller, port},
        form::{cents, whole},
    };
    let form = crate::ports::NewPlanForm {
        included_mailboxes: whole("included_mailboxes", &included_mailboxes)?,
        price_extra_mailbox: cents("price_extra_mailbox", &price_extra_mailbox)?,
        price_quota: [
            cents("price_quota_25", &price_quota_25)?,
            cents("price_quota_50", &price_quota_50)?,
            cents("price_quota_100", &price_quota_100)?,
        ],
        price_send: [
            cents("price_send_1000", &price_send_1000)?,
            cents("price_send_2000", &price_send_2000)?,
            cents("price_send_5000", &price_send_5000)?,
        ],
        price_archive: cents("price_archive", &price_archive)?,
        name,
        mailbox_type,
    };
    port()?
        .operator(&caller().await?)
        .await?
        .create_plan(form)
        .await
}

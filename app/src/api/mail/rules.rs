// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{FilterForm, MailRulesView, VacationForm},
    error::AppError,
};

/// The signed-in mailbox's vacation reply and filters.
#[server(prefix = "/api", endpoint = "mail/rules")]
pub async fn mail_rules() -> Result<MailRulesView, AppError> {
    use crate::api::context::{caller, port, take_filter, take_vacation};
    let mut view = port()?.mail(&caller().await?).await?.rules().await?;
    // What a plain form post could not save comes back as it was typed.
    if let Some(kept) = take_vacation().await? {
        view.vacation = kept;
    }
    if let Some(kept) = take_filter().await? {
        view.new_filter = kept;
    }
    Ok(view)
}

/// Turns the vacation reply on or off, with its days and text.
#[server(prefix = "/api", endpoint = "mail/save_vacation")]
pub async fn save_vacation(vacation: VacationForm) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, keep_vacation, port},
        i18n::Text,
    };
    let on = vacation.on;
    let port = port()?;
    let mail = port.mail(&caller().await?).await?;
    if let Err(err) = mail.save_vacation(&vacation).await {
        keep_vacation(&vacation).await?;
        return Err(err);
    }
    flash(if on {
        Text::new(
            "The vacation reply is on.",
            "La risposta automatica è attiva.",
        )
    } else {
        Text::new(
            "The vacation reply is off.",
            "La risposta automatica è disattivata.",
        )
    })
    .await
}

/// Adds a filter after the others.
#[server(prefix = "/api", endpoint = "mail/add_filter")]
pub async fn add_filter(filter: FilterForm) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, keep_filter, port},
        i18n::Text,
    };
    let port = port()?;
    let mail = port.mail(&caller().await?).await?;
    if let Err(err) = mail.add_filter(&filter).await {
        keep_filter(&filter).await?;
        return Err(err);
    }
    flash(Text::new("Filter added.", "Filtro aggiunto.")).await
}

/// Removes a filter (by its place in the list).
#[server(prefix = "/api", endpoint = "mail/remove_filter")]
pub async fn remove_filter(index: u32) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .mail(&caller().await?)
        .await?
        .remove_filter(index)
        .await?;
    flash(Text::new("Filter removed.", "Filtro rimosso.")).await
}

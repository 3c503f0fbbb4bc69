// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{IdentityForm, MailSettingsView, ReadingForm},
    error::AppError,
};

/// The webmail's settings of the signed-in mailbox.
#[server(prefix = "/api", endpoint = "mail/settings")]
pub async fn mail_settings() -> Result<MailSettingsView, AppError> {
    use crate::api::context::{caller, port};
    port()?.mail(&caller().await?).await?.settings().await
}

/// Changes the name and signature of one of the mailbox's sender addresses.
#[server(prefix = "/api", endpoint = "mail/save_identity")]
pub async fn save_identity(identity: IdentityForm) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .mail(&caller().await?)
        .await?
        .save_identity(&identity)
        .await?;
    flash(Text::new(
        format!("Saved the name and signature of {}.", identity.email),
        format!("Nome e firma di {} salvati.", identity.email),
    ))
    .await
}

/// Changes how the message list reads.
#[server(prefix = "/api", endpoint = "mail/save_reading")]
pub async fn save_reading(reading: ReadingForm) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .mail(&caller().await?)
        .await?
        .save_reading(&reading)
        .await?;
    flash(Text::new(
        "Reading preferences saved.",
        "Preferenze di lettura salvate.",
    ))
    .await
}

/// Always shows the remote images of mail from `address` (through Casella's image proxy).
#[server(prefix = "/api", endpoint = "mail/trust_images")]
pub async fn trust_images(address: String) -> Result<(), AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mail(&caller().await?)
        .await?
        .trust_images(&address)
        .await
}

/// Stops always showing the remote images of mail from `address`.
#[server(prefix = "/api", endpoint = "mail/forget_images")]
pub async fn forget_images(address: String) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        i18n::Text,
    };
    port()?
        .mail(&caller().await?)
        .await?
        .forget_images(&address)
        .await?;
    flash(Text::new(
        format!("Images from {address} are hidden again until you ask."),
        format!("Le immagini di {address} sono di nuovo nascoste finché non le chiedi."),
    ))
    .await
}

/// Recipients to suggest for what was typed in a recipient field: people written to lately
/// and the domain's mailboxes and aliases.
#[server(prefix = "/api", endpoint = "mail/suggestions")]
pub async fn recipient_suggestions(typed: String) -> Result<Vec<String>, AppError> {
    use crate::api::context::{caller, port};
    port()?
        .mail(&caller().await?)
        .await?
        .suggestions(&typed)
        .await
}

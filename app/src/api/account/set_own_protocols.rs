// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Switches the mailbox's own IMAP, POP3 and SMTP access; a missing box means off.
#[server(prefix = "/api", endpoint = "account/set_own_protocols")]
pub async fn set_own_protocols(
    imap: Option<String>,
    pop3: Option<String>,
    smtp: Option<String>,
) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, flash, port},
        dto::ProtocolSwitches,
        i18n::Text,
    };
    let switches = ProtocolSwitches {
        imap: imap.is_some(),
        pop3: pop3.is_some(),
        smtp: smtp.is_some(),
    };
    port()?
        .own(&caller().await?)
        .await?
        .set_protocols(switches)
        .await?;
    flash(Text::new("Access saved.", "Accessi salvati.")).await
}

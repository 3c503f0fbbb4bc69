// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::error::AppError;

/// Switches IMAP, POP3 and SMTP for a mailbox; a missing box means off.
#[server(prefix = "/api", endpoint = "mailboxes/set_protocols")]
pub async fn set_protocols(
    address: String,
    imap: Option<String>,
    pop3: Option<String>,
    smtp: Option<String>,
) -> Result<(), AppError> {
    use crate::{
        api::context::{caller, port},
        dto::ProtocolSwitches,
    };
    let switches = ProtocolSwitches {
        imap: imap.is_some(),
        pop3: pop3.is_some(),
        smtp: smtp.is_some(),
    };
    port()?
        .mailbox(&caller().await?, &crate::ports::Address::parse(&address)?)
        .await?
        .set_protocols(switches)
        .await
}

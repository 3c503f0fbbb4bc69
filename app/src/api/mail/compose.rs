// SPDX-License-Identifier: AGPL-3.0-only
use leptos::prelude::*;

use crate::{
    dto::{ComposeForm, ComposeStart, SendOutcome},
    error::AppError,
};

/// A message for the signed-in mailbox to write: `new`, a `reply`, `reply-all` or `forward`
/// of the message `id`, or the `draft` `id` taken up again. A plain form post that failed
/// left what was typed in the session; that comes back first.
#[server(prefix = "/api", endpoint = "mail/start_compose")]
pub async fn start_compose(
    #[server(default)] mode: String,
    #[server(default)] id: String,
) -> Result<ComposeStart, AppError> {
    use crate::api::context::{caller, port, take_compose};
    let port = port()?;
    let mail = port.mail(&caller().await?).await?;
    let mut start = mail.start_compose(&mode, &id).await?;
    if let Some(kept) = take_compose().await? {
        start.form = kept;
    }
    Ok(start)
}

/// Keeps the message being written as a draft, replacing its earlier version (`draft`); the
/// new draft's id.
#[server(prefix = "/api", endpoint = "mail/save_draft")]
pub async fn save_draft(form: ComposeForm) -> Result<String, AppError> {
    use crate::api::context::{caller, keep_compose, port};
    let port = port()?;
    let mail = port.mail(&caller().await?).await?;
    if let Err(err) = attached_first(&form) {
        keep_compose(&form).await?;
        return Err(err);
    }
    match mail.save_draft(&form).await {
        Ok(id) => {
            if crate::api::context::plain_form_post().await? {
                leptos_axum::redirect(&format!("/compose?draft={}", crate::format::urlencode(&id)));
            }
            Ok(id)
        }
        Err(err) => {
            keep_compose(&form).await?;
            Err(err)
        }
    }
}

/// Sends the message being written from the signed-in mailbox. It is kept as a draft first;
/// what the mail server said to each recipient comes back, and a message no recipient took
/// stays in Drafts. Without JavaScript the browser lands in the mail list once it went, or
/// back on the draft when it did not.
#[server(prefix = "/api", endpoint = "mail/send")]
pub async fn send_message(form: ComposeForm) -> Result<SendOutcome, AppError> {
    use crate::{
        api::context::{caller, flash, keep_compose, plain_form_post, port},
        i18n::Text,
    };
    let port = port()?;
    let mail = port.mail(&caller().await?).await?;
    if let Err(err) = attached_first(&form) {
        keep_compose(&form).await?;
        return Err(err);
    }
    let outcome = match mail.send(&form).await {
        Ok(outcome) => outcome,
        Err(err) => {
            keep_compose(&form).await?;
            return Err(err);
        }
    };
    if plain_form_post().await? {
        let refused: Vec<String> = outcome
            .refused
            .iter()
            .map(|r| format!("{} ({})", r.address, r.reply))
            .collect();
        let refused = refused.join(", ");
        let notice = match (outcome.sent, refused.is_empty()) {
            _ if outcome.problem.is_some() => Text::new(
                format!(
                    "{} The message is kept in Drafts.",
                    outcome.problem.as_ref().map_or("", |p| p.en.as_str())
                ),
                format!(
                    "{} Il messaggio è conservato nelle Bozze.",
                    outcome.problem.as_ref().map_or("", |p| p.it.as_str())
                ),
            ),
            (true, true) => Text::new("Message sent.", "Messaggio inviato."),
            (true, false) => Text::new(
                format!("Message sent, but not to: {refused}."),
                format!("Messaggio inviato, ma non a: {refused}."),
            ),
            (false, _) => Text::new(
                format!("The message was not sent, it is kept in Drafts. Refused: {refused}."),
                format!(
                    "Il messaggio non è stato inviato, è conservato nelle Bozze. Rifiutati: {refused}."
                ),
            ),
        };
        flash(notice).await?;
        if outcome.sent {
            leptos_axum::redirect("/mail");
        } else {
            leptos_axum::redirect(&format!(
                "/compose?draft={}",
                crate::format::urlencode(&outcome.id)
            ));
        }
    }
    Ok(outcome)
}

/// Throws one of the signed-in mailbox's drafts away for good.
#[server(prefix = "/api", endpoint = "mail/discard_draft")]
pub async fn discard_draft(id: String) -> Result<(), AppError> {
    use crate::api::context::{caller, plain_form_post, port};
    port()?
        .mail(&caller().await?)
        .await?
        .discard_draft(&id)
        .await?;
    if plain_form_post().await? {
        leptos_axum::redirect("/mail");
    }
    Ok(())
}

/// A file chosen without JavaScript goes with the message only once "Attach" uploaded it:
/// saving or sending before that would drop it without a word.
#[cfg(feature = "ssr")]
fn attached_first(form: &ComposeForm) -> Result<(), AppError> {
    if form.files.trim().is_empty() {
        return Ok(());
    }
    Err(AppError::invalid(
        "attachments",
        crate::i18n::Text::new(
            "The chosen file is not attached yet: press “Attach”, then send. (Choose it again.)",
            "Il file scelto non è ancora allegato: premi «Allega», poi invia. (Sceglilo di nuovo.)",
        ),
    ))
}

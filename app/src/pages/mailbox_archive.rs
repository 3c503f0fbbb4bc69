// SPDX-License-Identifier: AGPL-3.0-only
//! The archive card of a mailbox's page: its state for the postmaster, the switch and the
//! retention for the manager (seed 002: "associare/eliminare Archivi").

use leptos::prelude::*;

use crate::{
    api::mailboxes::SetArchive,
    components::{FieldError, FormError, action_error, field_error},
    dto::MailboxArchive,
    i18n::{in_lang, tr},
    pages::mail::time_label,
};

#[component]
pub fn ArchiveCard(
    address: String,
    archive: Option<MailboxArchive>,
    managed: bool,
    action: ServerAction<SetArchive>,
) -> impl IntoView {
    if archive.is_none() && !managed {
        return ().into_any();
    }
    let error = action_error(action.value());
    let active = archive.as_ref().is_some_and(|a| a.active);
    let years = archive.as_ref().map_or(1, |a| a.retention_years);
    let state = match &archive {
        Some(a) if a.active => in_lang(
            format!("On: each message is kept {} years", a.retention_years),
            format!(
                "Attivo: ogni messaggio è conservato {} anni",
                a.retention_years
            ),
        ),
        Some(_) => in_lang(
            "Off: what is stored stays until its retention ends".to_string(),
            "Disattivato: quanto conservato resta fino alla scadenza".to_string(),
        ),
        None => in_lang("Off".to_string(), "Disattivato".to_string()),
    };
    let facts = archive.as_ref().map(|a| {
        view! {
            <dt>{tr("Since", "Dal")}</dt>
            <dd>{format!("{} (UTC)", time_label(&a.started_at))}</dd>
            <dt>{tr("Messages kept", "Messaggi conservati")}</dt>
            <dd id="archive-messages">{a.messages}</dd>
        }
    });
    let form = managed.then(|| {
        view! {
            <ActionForm action=action attr:class="inline-form" attr:id="archive-form">
                <input type="hidden" name="address" value=address />
                <label>
                    <input type="radio" name="archive" value="on" checked=active />
                    {tr("On", "Attivo")}
                </label>
                <label>
                    <input type="radio" name="archive" value="off" checked=!active />
                    {tr("Off", "Disattivato")}
                </label>
                <label for="retention_years">{tr("Keep for", "Conserva per")}</label>
                <select id="retention_years" name="retention_years">
                    {(1..=10u32)
                        .map(|y| {
                            view! {
                                <option value=y.to_string() selected=y == years>
                                    {in_lang(format!("{y} years"), format!("{y} anni"))}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <button type="submit">{tr("Save archive", "Salva archivio")}</button>
                <FormError error=error />
                <FieldError field="retention_years" message=field_error(error, "retention_years") />
            </ActionForm>
            <p class="hint">
                {tr("From now on every message the mailbox receives or sends is kept, even if the user deletes it. A new retention applies to messages kept from then on.", "Da ora ogni messaggio ricevuto o inviato dalla casella è conservato, anche se l'utente lo cancella. Una nuova durata vale per i messaggi conservati da quel momento.")}
            </p>
        }
    });
    view! {
        <section class="card" id="archive">
            <h2>{tr("Archive", "Archivio")}</h2>
            <dl class="facts">
                <dt>{tr("State", "Stato")}</dt>
                <dd id="archive-state">{state}</dd>
                {facts}
            </dl>
            {form}
        </section>
    }
    .into_any()
}

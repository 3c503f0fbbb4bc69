// SPDX-License-Identifier: AGPL-3.0-only
//! The archive card of a mailbox's page: its state for the postmaster, the switch and the
//! retention for the manager (seed 002: "associare/eliminare Archivi").

use leptos::prelude::*;

use crate::{
    api::mailboxes::{ImportIntoArchive, SetArchive},
    components::{FieldError, FormError, action_error, field_error},
    dto::{ArchiveFolder, ArchiveImport, MailboxArchive},
    i18n::{in_lang, tr},
    pages::mail::time_label,
};

/// "3 years", "1 year", in the page's language.
pub fn years_text(years: u32) -> String {
    match years {
        1 => in_lang("1 year", "1 anno").to_string(),
        n => in_lang(format!("{n} years"), format!("{n} anni")),
    }
}

#[component]
pub fn ArchiveCard(
    address: String,
    archive: Option<MailboxArchive>,
    managed: bool,
    action: ServerAction<SetArchive>,
    import: ServerAction<ImportIntoArchive>,
) -> impl IntoView {
    if archive.is_none() && !managed {
        return ().into_any();
    }
    let error = action_error(action.value());
    let address_for_import = address.clone();
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
            <ActionForm action=action attr:class="checks" attr:id="archive-form">
                <input type="hidden" name="address" value=address />
                <label>
                    <input type="radio" name="archive" value="on" checked=active />
                    {tr(" On", " Attivo")}
                </label>
                <label>
                    <input type="radio" name="archive" value="off" checked=!active />
                    {tr(" Off", " Disattivato")}
                </label>
                <label for="retention_years">{tr("Keep each message for", "Conserva ogni messaggio per")}</label>
                <select id="retention_years" name="retention_years">
                    {(1..=10u32)
                        .map(|y| {
                            view! {
                                <option value=y.to_string() selected=y == years>
                                    {years_text(y)}
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
    let progress = archive
        .as_ref()
        .and_then(|a| a.import.clone())
        .map(|i| view! { <ImportProgress i /> });
    let importer = (managed && active)
        .then(|| archive.as_ref().map(|a| a.folders.clone()))
        .flatten()
        .filter(|folders| !folders.is_empty())
        .map(|folders| view! { <ImportForm address=address_for_import folders import /> });
    view! {
        <section class="card" id="archive">
            <h2>{tr("Archive", "Archivio")}</h2>
            <dl class="facts">
                <dt>{tr("State", "Stato")}</dt>
                <dd id="archive-state">{state}</dd>
                {facts}
            </dl>
            {form}
            {progress}
            {importer}
        </section>
    }
    .into_any()
}

/// The latest import's progress; the page follows a running one.
#[component]
fn ImportProgress(i: ArchiveImport) -> impl IntoView {
    let running = i.state == "running";
    let text = match i.state.as_str() {
        "running" => in_lang(
            format!(
                "Importing: {} of {} messages looked at, {} added.",
                i.done, i.total, i.added
            ),
            format!(
                "Importazione: {} di {} messaggi esaminati, {} aggiunti.",
                i.done, i.total, i.added
            ),
        ),
        "done" => in_lang(
            format!(
                "Import finished: {} messages looked at, {} added.",
                i.done, i.added
            ),
            format!(
                "Importazione finita: {} messaggi esaminati, {} aggiunti.",
                i.done, i.added
            ),
        ),
        _ => in_lang(
            format!(
                "Import stopped after {} of {} messages: {}",
                i.done, i.total, i.error
            ),
            format!(
                "Importazione interrotta dopo {} di {} messaggi: {}",
                i.done, i.total, i.error
            ),
        ),
    };
    view! {
        {running.then(|| view! { <leptos_meta::Meta http_equiv="refresh" content="2" /> })}
        <p class="hint" id="archive-import-state" data-state=i.state.clone()>{text}</p>
        <progress id="archive-import-progress" max=i.total.max(1) value=i.done></progress>
    }
}

/// The guided import: the mailbox's folders (Drafts aside), the usual ones ticked.
#[component]
fn ImportForm(
    address: String,
    folders: Vec<ArchiveFolder>,
    import: ServerAction<ImportIntoArchive>,
) -> impl IntoView {
    let error = action_error(import.value());
    let boxes = folders
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let ticked = !matches!(f.role.as_str(), "junk" | "trash");
            let name = match f.role.as_str() {
                "inbox" => tr("Inbox", "Posta in arrivo").to_string(),
                "sent" => tr("Sent", "Posta inviata").to_string(),
                "archive" => tr("Archive", "Archivio").to_string(),
                "junk" => tr("Junk", "Posta indesiderata").to_string(),
                "trash" => tr("Trash", "Cestino").to_string(),
                _ => f.name.clone(),
            };
            view! {
                <label>
                    <input type="checkbox" name=format!("folders[{i}]") value=f.id.clone() checked=ticked />
                    {format!(" {name} ({})", f.messages)}
                </label>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=import attr:class="checks" attr:id="archive-import-form">
            <input type="hidden" name="address" value=address />
            <p class="hint">
                {tr("Copy the mail already in the mailbox into the archive: received mail as received, Sent as sent. Mail that arrived since the archive began is there already.", "Copia nell'archivio la posta già presente nella casella: quella ricevuta come ricevuta, la Posta inviata come inviata. La posta arrivata da quando l'archivio è attivo c'è già.")}
            </p>
            {boxes}
            <button type="submit">{tr("Import into the archive", "Importa nell'archivio")}</button>
            <FormError error=error />
            <FieldError field="folders" message=field_error(error, "folders") />
        </ActionForm>
    }
}

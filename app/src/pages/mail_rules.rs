// SPDX-License-Identifier: AGPL-3.0-only
//! `/mail/rules`: the mailbox's vacation reply and its filters. The mail server runs them on
//! every message that arrives, whether or not a browser is open. Works without JavaScript:
//! each change is a form.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::mail::{AddFilter, RemoveFilter, SaveVacation, mail_rules},
    components::{
        ErrorMessage, FieldError, FlashNotice, FormError, Guarded, action_error, field_error,
    },
    dto::{FilterForm, FilterRow, MailFolder, Role, VacationForm},
    i18n::tr,
    pages::mail::folder_label,
};

const OWNERS: &[Role] = &[Role::User, Role::Postmaster];

#[component]
pub fn MailRulesPage() -> impl IntoView {
    view! {
        <Title text=tr("Rules · Casella", "Regole · Casella") />
        <Guarded roles=OWNERS>
            <Rules />
        </Guarded>
    }
}

#[component]
fn Rules() -> impl IntoView {
    let vacation = ServerAction::<SaveVacation>::new();
    let add = ServerAction::<AddFilter>::new();
    let remove = ServerAction::<RemoveFilter>::new();
    let rules = Resource::new(
        move || {
            (
                vacation.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |_| mail_rules(),
    );
    let saved = Signal::derive(move || {
        let done = |ok: bool, en, it| ok.then(|| tr(en, it).to_string());
        done(
            matches!(vacation.value().get(), Some(Ok(()))),
            "Vacation reply saved.",
            "Risposta automatica salvata.",
        )
        .or_else(|| {
            done(
                matches!(add.value().get(), Some(Ok(()))),
                "Filter added.",
                "Filtro aggiunto.",
            )
        })
        .or_else(|| {
            done(
                matches!(remove.value().get(), Some(Ok(()))),
                "Filter removed.",
                "Filtro rimosso.",
            )
        })
    });
    view! {
        <section class="card rules-page">
            <p>
                <a href="/mail" id="back-to-mail">{tr("← Back to mail", "← Torna alla posta")}</a>
            </p>
            <h1>{tr("Rules", "Regole")}</h1>
            <p class="hint">
                {tr(
                    "The mail server applies these to every message that arrives, even while the webmail is closed.",
                    "Il server di posta le applica a ogni messaggio in arrivo, anche a webmail chiusa.",
                )}
            </p>
            <FlashNotice id="rules-notice" message=saved />
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match rules.await {
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                        Ok(view) => {
                            let other = view.other_active.clone();
                            view! {
                                {other
                                    .map(|name| {
                                        view! {
                                            <p class="notice" id="other-rules">
                                                {tr(
                                                    "A mail program made other rules active: ",
                                                    "Un programma di posta ha attivato altre regole: ",
                                                )}
                                                <strong>{name}</strong>
                                                {tr(
                                                    ". Saving here makes these the active ones instead.",
                                                    ". Salvando qui diventano attive queste al loro posto.",
                                                )}
                                            </p>
                                        }
                                    })}
                                <Vacation form=view.vacation action=vacation />
                                <Filters filters=view.filters folders=view.folders typed=view.new_filter add remove />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Vacation(form: VacationForm, action: ServerAction<SaveVacation>) -> impl IntoView {
    let error = action_error(action.value());
    view! {
        <ActionForm action attr:id="vacation" attr:class="stack">
            <h2>{tr("Vacation reply", "Risposta automatica")}</h2>
            <label class="check" for="vacation-on">
                <input type="checkbox" id="vacation-on" name="vacation[on]" value="true" checked=form.on />
                {tr("Reply automatically to the messages that arrive", "Rispondi automaticamente ai messaggi in arrivo")}
            </label>
            <div class="grid-form">
                <div class="stack">
                    <label for="vacation-first">{tr("From (included)", "Dal (incluso)")}</label>
                    <input type="date" id="vacation-first" name="vacation[first_day]" value=form.first_day />
                    <FieldError field="first_day" message=field_error(error, "first_day") />
                </div>
                <div class="stack">
                    <label for="vacation-last">{tr("Until (included)", "Al (incluso)")}</label>
                    <input type="date" id="vacation-last" name="vacation[last_day]" value=form.last_day />
                    <FieldError field="last_day" message=field_error(error, "last_day") />
                </div>
            </div>
            <p class="hint">
                {tr(
                    "Leave the days empty to reply until you turn it off. Each sender gets the reply at most once a day.",
                    "Lascia vuoti i giorni per rispondere finché non la disattivi. Ogni mittente riceve la risposta al massimo una volta al giorno.",
                )}
            </p>
            <label for="vacation-subject">{tr("Subject", "Oggetto")}</label>
            <input id="vacation-subject" name="vacation[subject]" maxlength="200" value=form.subject />
            <FieldError field="subject" message=field_error(error, "subject") />
            <label for="vacation-text">{tr("Reply", "Risposta")}</label>
            <textarea id="vacation-text" name="vacation[text]" rows="6">{crate::format::textarea(&form.text)}</textarea>
            <FieldError field="text" message=field_error(error, "text") />
            <FieldError field="rules" message=field_error(error, "rules") />
            <FormError error />
            <div class="actions">
                <button type="submit" id="save-vacation">{tr("Save", "Salva")}</button>
            </div>
        </ActionForm>
    }
}

/// How a filter reads in the list: "Subject contains “x” → move to Invoices".
fn described(f: &FilterRow) -> String {
    let field = match f.field.as_str() {
        "from" => tr("From", "Mittente"),
        "to" => tr("To or Cc", "A o Cc"),
        _ => tr("Subject", "Oggetto"),
    };
    let action = match f.action.as_str() {
        "move" => format!("{} {}", tr("move to", "sposta in"), f.target),
        "read" => tr("mark as read", "segna come letto").to_string(),
        "forward" => format!("{} {}", tr("forward to", "inoltra a"), f.target),
        _ => tr("move to the Trash", "sposta nel cestino").to_string(),
    };
    format!(
        "{field} {} “{}” → {action}",
        tr("contains", "contiene"),
        f.contains
    )
}

#[component]
fn Filters(
    filters: Vec<FilterRow>,
    folders: Vec<MailFolder>,
    typed: FilterForm,
    add: ServerAction<AddFilter>,
    remove: ServerAction<RemoveFilter>,
) -> impl IntoView {
    let add_error = action_error(add.value());
    let remove_error = action_error(remove.value());
    let empty = filters.is_empty();
    view! {
        <h2>{tr("Filters", "Filtri")}</h2>
        <p class="hint">
            {tr(
                "Marking as read and forwarding apply for every filter that matches; of the filters that move a message, the first that matches in this list wins.",
                "Segna come letto e inoltra valgono per ogni filtro che corrisponde; tra i filtri che spostano un messaggio vale il primo dell'elenco che corrisponde.",
            )}
        </p>
        {empty.then(|| view! { <p class="empty">{tr("No filters yet.", "Nessun filtro.")}</p> })}
        <ol class="rule-list" id="filters">
            {filters
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    view! {
                        <li class="filter">
                            <span>{described(f)}</span>
                            <ActionForm action=remove attr:class="row-form">
                                <input type="hidden" name="index" value=i.to_string() />
                                <button type="submit" class="link">{tr("Remove", "Rimuovi")}</button>
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        <FormError error=remove_error />
        <ActionForm action=add attr:id="add-filter" attr:class="stack">
            <h3>{tr("New filter", "Nuovo filtro")}</h3>
            <div class="filter-when">
                <label for="filter-field">{tr("If", "Se")}</label>
                <select id="filter-field" name="filter[field]">
                    <option value="from" selected=typed.field == "from">{tr("the sender", "il mittente")}</option>
                    <option value="to" selected=typed.field == "to">{tr("the recipients (To, Cc)", "i destinatari (A, Cc)")}</option>
                    <option value="subject" selected=typed.field == "subject">{tr("the subject", "l'oggetto")}</option>
                </select>
                <label for="filter-contains">{tr("contains", "contiene")}</label>
                <input id="filter-contains" name="filter[contains]" maxlength="200" required value=typed.contains.clone() />
            </div>
            <FieldError field="contains" message=field_error(add_error, "contains") />
            <FieldError field="field" message=field_error(add_error, "field") />
            <label for="filter-action">{tr("then", "allora")}</label>
            <select id="filter-action" name="filter[action]">
                <option value="move" selected=typed.action == "move">{tr("move to the folder below", "sposta nella cartella qui sotto")}</option>
                <option value="read" selected=typed.action == "read">{tr("mark as read", "segna come letto")}</option>
                <option value="forward" selected=typed.action == "forward">{tr("forward to the address below (and keep it)", "inoltra all'indirizzo qui sotto (e conserva)")}</option>
                <option value="trash" selected=typed.action == "trash">{tr("move to the Trash", "sposta nel cestino")}</option>
            </select>
            <FieldError field="action" message=field_error(add_error, "action") />
            <label for="filter-folder">{tr("Folder", "Cartella")}</label>
            <select id="filter-folder" name="filter[folder]">
                <option value="">{tr("(choose a folder)", "(scegli una cartella)")}</option>
                {folders
                    .iter()
                    .filter(|f| f.role != "drafts" && f.role != "sent")
                    .map(|f| {
                        let chosen = f.id == typed.folder;
                        view! { <option value=f.id.clone() selected=chosen>{folder_label(f)}</option> }
                    })
                    .collect_view()}
            </select>
            <FieldError field="folder" message=field_error(add_error, "folder") />
            <label for="filter-forward">{tr("Forward to", "Inoltra a")}</label>
            <input
                id="filter-forward"
                name="filter[forward]"
                type="email"
                placeholder="nome@esempio.it"
                value=typed.forward.clone()
            />
            <FieldError field="forward" message=field_error(add_error, "forward") />
            <FieldError field="rules" message=field_error(add_error, "rules") />
            <FormError error=add_error />
            <div class="actions">
                <button type="submit" id="add-filter-button">{tr("Add filter", "Aggiungi filtro")}</button>
            </div>
        </ActionForm>
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! `/domains/:domain/mailboxes`: a domain's mailboxes page by page, with quota, last login,
//! external messages of the last 24 hours, protocols, chat and 2FA; creating a mailbox.

use leptos::prelude::*;

use crate::i18n::{in_lang, tr};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        auth::take_credentials,
        mailboxes::{CreateMailbox, SetChat, list_mailboxes},
    },
    components::{
        CredentialsNotice, ErrorMessage, FormError, Guarded, TextField, action_error, field_error,
        reset_on_success,
    },
    dto::{MailboxRow, Role},
    format::{bytes, yes_no},
};

#[component]
pub fn DomainMailboxes() -> impl IntoView {
    view! {
        <Title text=tr("Mailboxes · Casella", "Caselle · Casella") />
        <Guarded roles=&[Role::Postmaster, Role::Manager]>
            <MailboxesBody />
        </Guarded>
    }
}

#[component]
fn MailboxesBody() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let domain = move || params.read().get("domain").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let search = move || query.read().get("q").unwrap_or_default();

    let create = ServerAction::<CreateMailbox>::new();
    let chat = ServerAction::<SetChat>::new();
    let value = create.value();
    let error = action_error(value);
    let [
        local_part_error,
        first_name_error,
        last_name_error,
        password_error,
    ] = ["local_part", "first_name", "last_name", "password"].map(|f| field_error(error, f));
    let slots_error = field_error(error, "slots");
    let chat_error = action_error(chat.value());
    let mailboxes = Resource::new(
        move || {
            (
                domain(),
                page(),
                search(),
                create.version().get(),
                chat.version().get(),
            )
        },
        |(domain, page, search, _, _)| list_mailboxes(domain, page, search),
    );
    let handed_over = Resource::new(|| (), |_| take_credentials());
    let form = NodeRef::new();
    reset_on_success(value, form);
    let created_with_own_password = move || matches!(value.get(), Some(Ok(None)));
    view! {
        <h1>{tr("Mailboxes of ", "Caselle di ")} {domain}</h1>
        <p>
            <a href=move || format!("/domains/{}", domain())>{tr("← Domain overview", "← Riepilogo del dominio")}</a>
        </p>
        {move || match value.get() {
            Some(Ok(credentials)) => credentials,
            _ => None,
        }
            .map(|credentials| view! { <CredentialsNotice credentials title=tr("Mailbox created", "Casella creata") /> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                handed_over
                    .await
                    .ok()
                    .flatten()
                    .map(|credentials| view! { <CredentialsNotice credentials title=tr("Mailbox created", "Casella creata") /> })
            })}
        </Suspense>
        <Show when=created_with_own_password>
            <p class="notice" role="status">
                {tr("Mailbox created with the password you chose.", "Casella creata con la password scelta.")}
            </p>
        </Show>
        <section class="card">
            <h2>{tr("New mailbox", "Nuova casella")}</h2>
            <ActionForm action=create node_ref=form attr:class="grid-form" attr:id="create-mailbox">
                <input type="hidden" name="domain" value=domain />
                <FormError error=error />
                {move || {
                    slots_error
                        .get()
                        .map(|message| {
                            view! {
                                <p class="form-error" id="slots-error" role="alert">
                                    {message}
                                    " "
                                    <a href=format!("/domains/{}#slots", domain())>{tr("Buy mailboxes", "Acquista caselle")}</a>
                                </p>
                            }
                        })
                }}
                <TextField
                    name="local_part"
                    label=tr("Address (before the @)", "Indirizzo (prima della @)")
                    error=local_part_error
                    required=true
                    placeholder=tr("name", "nome")
                />
                <TextField name="first_name" label=tr("First name", "Nome") error=first_name_error />
                <TextField name="last_name" label=tr("Last name", "Cognome") error=last_name_error />
                <TextField
                    name="password"
                    label=tr("Password", "Password")
                    kind="password"
                    autocomplete="new-password"
                    error=password_error
                    hint=tr("At least 8 characters with upper and lower case letters, a digit and a special character. Leave empty to generate one.", "Almeno 8 caratteri con lettere maiuscole e minuscole, una cifra e un carattere speciale. Lascia vuoto per generarla.")
                />
                <div class="actions">
                    <button type="submit">{tr("Create mailbox", "Aggiungi casella")}</button>
                </div>
            </ActionForm>
        </section>
        <section class="card">
            <div class="card-head">
                <h2>{tr("Mailboxes", "Caselle")}</h2>
                <form method="get" class="search" role="search">
                    <label for="q" class="visually-hidden">{tr("Search", "Cerca")}</label>
                    <input id="q" name="q" type="search" placeholder=tr("Search address or name", "Cerca indirizzo o nome") value=search />
                    <button type="submit" class="secondary">{tr("Search", "Cerca")}</button>
                </form>
            </div>
            <FormError error=chat_error />
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    match mailboxes.await {
                        Ok(list) => {
                            let last_page = list.total.saturating_sub(1) / list.page_size.max(1);
                            let page = list.page;
                            let q = search();
                            let link = move |p: u64| {
                                if q.is_empty() {
                                    format!("?page={p}")
                                } else {
                                    format!("?page={p}&q={}", crate::format::urlencode(&q))
                                }
                            };
                            view! {
                                <table class="list" id="mailbox-list">
                                    <thead>
                                        <tr>
                                            <th>{tr("Address", "Indirizzo")}</th>
                                            <th>{tr("Name", "Nome")}</th>
                                            <th class="num">{tr("Quota used", "Quota usata")}</th>
                                            <th>{tr("Last login", "Ultimo accesso")}</th>
                                            <th class="num">{tr("External, 24 h", "Esterni, 24 h")}</th>
                                            <th>{tr("IMAP / POP3 / SMTP", "IMAP / POP3 / SMTP")}</th>
                                            <th>{tr("Chat", "Chat")}</th>
                                            <th>{tr("2FA", "2FA")}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .rows
                                            .into_iter()
                                            .map(|row| view! { <MailboxLine row chat /> })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                <nav class="pager" aria-label=tr("Pages", "Pagine")>
                                    <span>
                                        {in_lang(
                                            format!("{} mailboxes · page {} of {}", list.total, page + 1, last_page + 1),
                                            format!("{} caselle · pagina {} di {}", list.total, page + 1, last_page + 1),
                                        )}
                                    </span>
                                    {(page > 0)
                                        .then(|| view! { <a href=link(page - 1) rel="prev">{tr("← Previous", "← Precedente")}</a> })}
                                    {(page < last_page)
                                        .then(|| view! { <a href=link(page + 1) rel="next">{tr("Next →", "Successiva →")}</a> })}
                                </nav>
                            }
                                .into_any()
                        }
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One mailbox of the list, with its chat switch.
#[component]
fn MailboxLine(row: MailboxRow, chat: ServerAction<SetChat>) -> impl IntoView {
    let name = format!("{} {}", row.first_name, row.last_name);
    let protocols = [row.protocols.imap, row.protocols.pop3, row.protocols.smtp]
        .map(yes_no)
        .join(" / ");
    let href = format!(
        "/domains/{}/mailboxes/{}",
        domain_part(&row.address),
        row.address
    );
    let address = StoredValue::new(row.address.clone());
    view! {
        <tr data-address=row.address.clone()>
            <td class="mailbox-address">
                <a href=href>{row.address.clone()}</a>
                {row.is_postmaster.then(|| view! { <span class="tag">"postmaster"</span> })}
            </td>
            <td>{name}</td>
            <td class="num quota">{format!("{} / {}", bytes(row.used_bytes), bytes(row.quota_bytes))}</td>
            <td class="last-login">{row.last_login.unwrap_or_else(|| "never".into())}</td>
            <td class="num external">{row.external_24h}</td>
            <td class="protocols">{protocols}</td>
            <td class="chat">
                <ActionForm action=chat attr:class="toggle">
                    <input type="hidden" name="address" value=address.get_value() />
                    <input type="hidden" name="enabled" value=(!row.chat).to_string() />
                    <button
                        type="submit"
                        class=if row.chat { "state on" } else { "state off" }
                        aria-label=if row.chat {
                            in_lang(
                                format!("Chat for {}: active. Switch it off.", address.get_value()),
                                format!("Chat di {}: attiva. Disattivala.", address.get_value()),
                            )
                        } else {
                            in_lang(
                                format!("Chat for {}: not active. Switch it on.", address.get_value()),
                                format!("Chat di {}: non attiva. Attivala.", address.get_value()),
                            )
                        }
                    >
                        {if row.chat { tr("ACTIVE", "ATTIVO") } else { tr("NOT ACTIVE", "NON ATTIVO") }}
                    </button>
                </ActionForm>
            </td>
            <td class="two-factor">{if row.two_factor { "on" } else { "off" }}</td>
        </tr>
    }
}

fn domain_part(address: &str) -> &str {
    address.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
}

// SPDX-License-Identifier: AGPL-3.0-only
//! `/delegates` and `/delegates/:login`: a manager's delegates ("Delegati", seed 002) —
//! people, not mailboxes, it lets read some archives of its domains until a day and only
//! messages received inside a window of dates; their credentials are e-mailed. And the log of
//! what they read, which each mailbox's owner also sees in its own archive.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::delegates::{
        CreateDelegate, DeleteDelegate, ResetDelegatePassword, UpdateDelegate, delegate_reads,
        list_delegates,
    },
    components::{
        ErrorMessage, FieldError, FlashNotice, FormError, Guarded, TextField, action_error,
        field_error, reset_on_success,
    },
    dto::{ArchiveChoice, DelegateRow, DelegatesView, ReadsPage, Role},
    format::urlencode,
    i18n::{credentials_sent, in_lang, tr, use_lang},
};

#[component]
pub fn DelegatesPage() -> impl IntoView {
    view! {
        <Title text=tr("Delegates · Casella", "Delegati · Casella") />
        <Guarded roles=&[Role::Manager]>
            <DelegatesBody />
        </Guarded>
    }
}

#[component]
pub fn DelegatePage() -> impl IntoView {
    view! {
        <Title text=tr("Delegate · Casella", "Delegato · Casella") />
        <Guarded roles=&[Role::Manager]>
            <DelegateBody />
        </Guarded>
    }
}

fn page_of(q: &leptos_router::params::ParamsMap) -> u64 {
    q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0)
}

#[component]
fn DelegatesBody() -> impl IntoView {
    let create = ServerAction::<CreateDelegate>::new();
    let value = create.value();
    let query = use_query_map();
    let delegates = Resource::new(move || create.version().get(), |_| list_delegates());
    let reads = Resource::new(
        move || (page_of(&query.read()), create.version().get()),
        |(page, _)| delegate_reads(String::new(), page),
    );
    view! {
        <h1>{tr("Delegates", "Delegati")}</h1>
        <p class="hint">
            {tr(
                "A delegate is a person (an auditor, a lawyer, a colleague) you let read some archives of your domains, until a day and only the messages of a period. It can search, read and download, never change or put back. Every read is logged: you see it here, and each mailbox's owner sees it in its archive.",
                "Un delegato è una persona (un revisore, un legale, un collega) a cui permetti di consultare alcuni Archivi dei tuoi domini, fino a un giorno e solo i messaggi di un periodo. Può cercare, leggere e scaricare, mai modificare o rimettere nella casella. Ogni lettura è registrata: la vedi qui, e il titolare di ogni casella la vede nel suo archivio.",
            )}
        </p>
        <FlashNotice
            id="delegate-created"
            message=Signal::derive(move || {
                value
                    .get()
                    .and_then(Result::ok)
                    .map(|sent_to| credentials_sent(&sent_to).get(use_lang()).to_string())
            })
        />
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                match delegates.await {
                    Ok(v) => view! { <DelegatesList v create /> }.into_any(),
                    Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>{tr("What delegates read", "Letture dei delegati")}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match reads.await {
                        Ok(reads) => {
                            view! {
                                <ReadsTable
                                    reads
                                    with_mailbox=true
                                    page_link=|page| format!("/delegates?page={page}")
                                />
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

/// The delegates' table and the form for a new one.
#[component]
fn DelegatesList(v: DelegatesView, create: ServerAction<CreateDelegate>) -> impl IntoView {
    let rows = v
        .delegates
        .iter()
        .map(|d| {
            let href = format!("/delegates/{}", urlencode(&d.login));
            view! {
                <tr data-login=d.login.clone()>
                    <td><a href=href>{d.login.clone()}</a></td>
                    <td>{d.display_name.clone()}</td>
                    <td>{d.email.clone()}</td>
                    <td>{addresses(&d.archives)}</td>
                    <td class:expired=d.expired>
                        {d.expires_on.clone()}
                        {d.expired.then(|| tr(" (ended)", " (scaduto)"))}
                    </td>
                    <td>{window_text(d)}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = v.delegates.is_empty();
    view! {
        <section class="card">
            <h2>{tr("Your delegates", "I tuoi delegati")}</h2>
            {if empty {
                view! { <p class="empty" id="no-delegates">{tr("No delegates yet.", "Ancora nessun delegato.")}</p> }
                    .into_any()
            } else {
                view! {
                    <table class="list" id="delegate-list">
                        <thead>
                            <tr>
                                <th>{tr("Login", "Utente")}</th>
                                <th>{tr("Name", "Nome")}</th>
                                <th>{tr("E-mail", "E-mail")}</th>
                                <th>{tr("Archives", "Archivi")}</th>
                                <th>{tr("Access until", "Accesso fino al")}</th>
                                <th>{tr("Messages", "Messaggi")}</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
        <section class="card">
            <h2>{tr("New delegate", "Nuovo delegato")}</h2>
            <NewDelegateForm v create />
        </section>
    }
}

#[component]
fn NewDelegateForm(v: DelegatesView, create: ServerAction<CreateDelegate>) -> impl IntoView {
    let value = create.value();
    let error = action_error(value);
    let form = NodeRef::new();
    reset_on_success(value, form);
    if v.archives.is_empty() {
        return view! {
            <p class="empty" id="no-archives">
                {tr(
                    "None of your mailboxes has an archive yet: switch one on from the mailbox's page first.",
                    "Nessuna delle tue caselle ha ancora un Archivio: attivalo prima dalla pagina della casella.",
                )}
            </p>
        }
        .into_any();
    }
    view! {
        <ActionForm action=create node_ref=form attr:class="grid-form" attr:id="create-delegate">
            <FormError error=error />
            <TextField
                name="login"
                label=tr("Login", "Utente")
                error=field_error(error, "login")
                required=true
                hint=tr("Letters, digits, dots, hyphens and underscores.", "Lettere, cifre, punti, trattini e trattini bassi.")
            />
            <TextField name="display_name" label=tr("Name", "Nome") error=field_error(error, "display_name") required=true />
            <TextField
                name="email"
                label=tr("E-mail", "E-mail")
                kind="email"
                error=field_error(error, "email")
                required=true
                hint=tr("The credentials are sent here.", "Le credenziali vengono inviate qui.")
            />
            <ReachFields archives=v.archives.clone() chosen=Vec::new() expires_on=String::new() window=(String::new(), String::new()) error />
            <div class="actions">
                <button type="submit">{tr("Create delegate", "Crea delegato")}</button>
            </div>
        </ActionForm>
    }
    .into_any()
}

/// The fields of a delegate's reach: its archives, its last day, its window.
#[component]
fn ReachFields(
    archives: Vec<ArchiveChoice>,
    chosen: Vec<String>,
    expires_on: String,
    window: (String, String),
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let boxes = archives
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let ticked = chosen.contains(&a.id);
            let note = if a.active {
                String::new()
            } else {
                format!(" ({})", tr("switched off", "disattivato"))
            };
            view! {
                <label>
                    <input type="checkbox" name=format!("archives[{i}]") value=a.id.clone() checked=ticked />
                    {format!(" {}{note}", a.address)}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="checks" id="delegate-archives">
            <legend>{tr("Archives it may read", "Archivi che può consultare")}</legend>
            {boxes}
            <FieldError field="archives" message=field_error(error, "archives") />
        </fieldset>
        <TextField
            name="expires_on"
            label=tr("Access until (included)", "Accesso fino al (compreso)")
            kind="date"
            value=expires_on
            error=field_error(error, "expires_on")
            required=true
        />
        <TextField
            name="window_from"
            label=tr("Messages received from", "Messaggi ricevuti dal")
            kind="date"
            value=window.0
            error=field_error(error, "window_from")
            hint=tr("Empty: from the archive's beginning.", "Vuoto: dall'inizio dell'archivio.")
        />
        <TextField
            name="window_to"
            label=tr("to", "al")
            kind="date"
            value=window.1
            error=field_error(error, "window_to")
            hint=tr("Empty: up to now.", "Vuoto: fino a oggi.")
        />
    }
}

fn addresses(archives: &[ArchiveChoice]) -> String {
    archives
        .iter()
        .map(|a| a.address.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn window_text(d: &DelegateRow) -> String {
    match (d.window_from.as_str(), d.window_to.as_str()) {
        ("", "") => tr("All", "Tutti").to_string(),
        (from, "") => in_lang(format!("From {from}"), format!("Dal {from}")),
        ("", to) => in_lang(format!("Up to {to}"), format!("Fino al {to}")),
        (from, to) => format!("{from} – {to}"),
    }
}

#[component]
fn DelegateBody() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let login = move || params.read().get("login").unwrap_or_default();
    let update = ServerAction::<UpdateDelegate>::new();
    let reset = ServerAction::<ResetDelegatePassword>::new();
    let delete = ServerAction::<DeleteDelegate>::new();
    let delegates = Resource::new(
        move || (update.version().get(), reset.version().get()),
        |_| list_delegates(),
    );
    let reads = Resource::new(
        move || (login(), page_of(&query.read())),
        |(login, page)| delegate_reads(login, page),
    );
    let saved = Signal::derive(move || {
        if matches!(update.value().get(), Some(Ok(()))) {
            Some(tr("The delegate is saved.", "Il delegato è salvato.").to_string())
        } else if matches!(reset.value().get(), Some(Ok(()))) {
            Some(
                tr(
                    "A new password was e-mailed to the delegate.",
                    "Una nuova password è stata inviata al delegato.",
                )
                .to_string(),
            )
        } else {
            None
        }
    });
    view! {
        <p>
            <a href="/delegates" id="back-to-delegates">{tr("← All delegates", "← Tutti i delegati")}</a>
        </p>
        <FlashNotice id="delegate-saved" message=saved />
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                let wanted = login();
                match delegates.await {
                    Ok(v) => {
                        match v.delegates.iter().find(|d| d.login == wanted).cloned() {
                            Some(d) => {
                                view! { <DelegateForms d archives=v.archives update reset delete /> }
                                    .into_any()
                            }
                            None => {
                                view! { <ErrorMessage error=crate::error::AppError::NotFound /> }
                                    .into_any()
                            }
                        }
                    }
                    Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>{tr("What this delegate read", "Letture di questo delegato")}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let here = login();
                    match reads.await {
                        Ok(reads) => {
                            view! {
                                <ReadsTable
                                    reads
                                    with_mailbox=true
                                    page_link=move |page| {
                                        format!("/delegates/{}?page={page}", urlencode(&here))
                                    }
                                />
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

#[component]
fn DelegateForms(
    d: DelegateRow,
    archives: Vec<ArchiveChoice>,
    update: ServerAction<UpdateDelegate>,
    reset: ServerAction<ResetDelegatePassword>,
    delete: ServerAction<DeleteDelegate>,
) -> impl IntoView {
    let error = action_error(update.value());
    let reset_error = action_error(reset.value());
    let delete_error = action_error(delete.value());
    let chosen: Vec<String> = d.archives.iter().map(|a| a.id.clone()).collect();
    // An archive it was given that has left the manager's domains is no longer offered.
    let state = if d.expired {
        in_lang(
            format!("Its access ended on {}.", d.expires_on),
            format!("Il suo accesso è scaduto il {}.", d.expires_on),
        )
    } else if d.must_change_password {
        tr(
            "It has not signed in yet (it must change the e-mailed password first).",
            "Non ha ancora effettuato l'accesso (deve prima cambiare la password ricevuta).",
        )
        .to_string()
    } else {
        in_lang(
            format!("Its access lasts until {}.", d.expires_on),
            format!("Il suo accesso dura fino al {}.", d.expires_on),
        )
    };
    let login = d.login.clone();
    let email = d.email.clone();
    let reset_hint = in_lang(
        format!(
            "A new password is e-mailed to {email}, to be changed at the next sign-in; its sessions end."
        ),
        format!(
            "Una nuova password viene inviata a {email}, da cambiare al prossimo accesso; le sue sessioni terminano."
        ),
    );
    let confirm_label = in_lang(
        format!("Type {login} to confirm: its access ends at once; what it read stays in the log."),
        format!(
            "Scrivi {login} per confermare: il suo accesso finisce subito; le sue letture restano nel registro."
        ),
    );
    // Each form's children own their copy.
    let (login_update, login_reset, login_delete) = (login.clone(), login.clone(), login.clone());
    view! {
        <h1 id="delegate-login">{login}</h1>
        <p class="hint" id="delegate-state">{state}</p>
        <section class="card">
            <h2>{tr("Delegate", "Delegato")}</h2>
            <ActionForm action=update attr:class="grid-form" attr:id="update-delegate">
                <input type="hidden" name="login" value=login_update />
                <FormError error=error />
                <TextField name="display_name" label=tr("Name", "Nome") value=d.display_name.clone() error=field_error(error, "display_name") required=true />
                <TextField name="email" label=tr("E-mail", "E-mail") kind="email" value=email error=field_error(error, "email") required=true />
                <ReachFields archives chosen expires_on=d.expires_on.clone() window=(d.window_from.clone(), d.window_to.clone()) error />
                <div class="actions">
                    <button type="submit">{tr("Save", "Salva")}</button>
                </div>
            </ActionForm>
        </section>
        <section class="card">
            <h2>{tr("Password", "Password")}</h2>
            <ActionForm action=reset attr:class="inline-form" attr:id="reset-delegate-password">
                <input type="hidden" name="login" value=login_reset />
                <p class="hint">{reset_hint}</p>
                <button type="submit" class="secondary">{tr("Send a new password", "Invia una nuova password")}</button>
                <FormError error=reset_error />
            </ActionForm>
        </section>
        <section class="card danger">
            <h2>{tr("Delete the delegate", "Elimina il delegato")}</h2>
            <ActionForm action=delete attr:class="grid-form" attr:id="delete-delegate">
                <input type="hidden" name="login" value=login_delete />
                <FormError error=delete_error />
                <div class="field">
                    <label for="confirm">{confirm_label}</label>
                    <input id="confirm" name="confirm" type="text" autocomplete="off" required=true />
                    <FieldError field="confirm" message=field_error(delete_error, "confirm") />
                </div>
                <div class="actions">
                    <button type="submit" class="danger">{tr("Delete", "Elimina")}</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// A page of the read log: when, who, what (and of which mailbox), with older and newer pages.
#[component]
pub fn ReadsTable(
    reads: ReadsPage,
    /// Show the archived mailbox of each read (the manager's log spans several).
    with_mailbox: bool,
    page_link: impl Fn(u64) -> String + 'static,
) -> impl IntoView {
    if reads.rows.is_empty() {
        return view! {
            <p class="empty" id="reads-empty">{tr("Nobody has read anything yet.", "Ancora nessuna lettura.")}</p>
        }
        .into_any();
    }
    let newer = (reads.page > 0).then(|| page_link(reads.page - 1));
    let older = (reads.page + 1 < reads.pages).then(|| page_link(reads.page + 1));
    let rows = reads
        .rows
        .into_iter()
        .map(|r| {
            let subject = if r.subject.trim().is_empty() {
                tr("(no subject)", "(nessun oggetto)").to_string()
            } else {
                r.subject
            };
            view! {
                <tr data-reader=r.reader.clone() data-action=r.action.clone()>
                    <td>{r.at}</td>
                    <td title=r.reader.clone()>{format!("{} ({})", r.reader_name, r.reader)}</td>
                    <td>{action_text(&r.action)}</td>
                    {with_mailbox.then(|| view! { <td>{r.address}</td> })}
                    <td title=r.message_id>{subject}</td>
                    <td>{r.ip}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="list" id="reads">
            <thead>
                <tr>
                    <th>{tr("When", "Quando")}</th>
                    <th>{tr("Delegate", "Delegato")}</th>
                    <th>{tr("What", "Cosa")}</th>
                    {with_mailbox.then(|| view! { <th>{tr("Mailbox", "Casella")}</th> })}
                    <th>{tr("Message", "Messaggio")}</th>
                    <th>{tr("From address", "Da indirizzo")}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <p class="hint">{format!("{} {}", reads.total, tr("reads", "letture"))}</p>
        {(newer.is_some() || older.is_some())
            .then(|| {
                view! {
                    <p class="pager">
                        {newer.map(|href| view! { <a href=href id="reads-newer">{tr("← Newer", "← Più recenti")}</a> })}
                        " "
                        {older.map(|href| view! { <a href=href id="reads-older">{tr("Older →", "Meno recenti →")}</a> })}
                    </p>
                }
            })}
    }
    .into_any()
}

fn action_text(action: &str) -> &'static str {
    match action {
        "read" => tr("Read", "Letto"),
        "download" => tr("Downloaded (.eml)", "Scaricato (.eml)"),
        "attachment" => tr("Attachment downloaded", "Allegato scaricato"),
        "zip" => tr("Downloaded (.zip)", "Scaricato (.zip)"),
        _ => tr("Opened", "Aperto"),
    }
}

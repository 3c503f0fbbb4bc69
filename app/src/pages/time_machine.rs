// SPDX-License-Identifier: AGPL-3.0-only
//! `/time-machine`: the Mail Time Machine ("Mail Time Machine"): the signed-in mailbox as it
//! stood at 00:00 of each of the last days, every folder (subscribed or not) with its
//! messages and their flags, to read, search and download, never to change. The day, the
//! folder, the page, the search and the message opened are all in the address (plain links
//! and GET forms), so every view works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::mail::{RestoreDay, time_machine},
    components::{
        ErrorMessage, FieldError, FlashNotice, FormError, Guarded, ReloadWhileRunning,
        action_error, field_error,
    },
    dto::{
        MailFolder, MailMessage, MessageList, RestoreRow, Role, TimeMachineQuery, TimeMachineView,
    },
    format::{bytes, euros, urlencode},
    i18n::tr,
    pages::mail::{FolderItem, folder_label, time_label},
};

const OWNERS: &[Role] = &[Role::User, Role::Postmaster];

#[component]
pub fn TimeMachinePage() -> impl IntoView {
    view! {
        <Title text=tr("Mail Time Machine · Casella", "Mail Time Machine · Casella") />
        <Guarded roles=OWNERS>
            <TimeMachineBody />
        </Guarded>
    }
}

/// The address of a view of the Time Machine.
fn place(q: &TimeMachineQuery) -> String {
    let mut parts = Vec::new();
    for (key, value) in [
        ("day", q.day.as_str()),
        ("folder", q.folder.as_str()),
        ("q", q.q.as_str()),
        ("open", q.open.as_str()),
    ] {
        if !value.is_empty() {
            parts.push(format!("{key}={}", urlencode(value)));
        }
    }
    if q.page > 0 {
        parts.push(format!("page={}", q.page));
    }
    if parts.is_empty() {
        "/time-machine".to_string()
    } else {
        format!("/time-machine?{}", parts.join("&"))
    }
}

/// `2026-03-04` as people read it.
fn day_label(day: &str) -> String {
    match day.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => day.to_string(),
    }
}

#[component]
fn TimeMachineBody() -> impl IntoView {
    let query = use_query_map();
    let wanted = move || {
        let q = query.read();
        TimeMachineQuery {
            day: q.get("day").unwrap_or_default(),
            folder: q.get("folder").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
            q: q.get("q").unwrap_or_default(),
            open: q.get("open").unwrap_or_default(),
        }
    };
    let restore = ServerAction::<RestoreDay>::new();
    // While a restore runs, the page reloads itself to follow it.
    let view_of = Resource::new(
        move || (wanted(), restore.version().get()),
        |(q, _)| time_machine(q),
    );
    let started = Signal::derive(move || match restore.value().get() {
        Some(Ok(row)) => Some(format!(
            "{} {}.",
            tr("Restoring your mailbox to", "Ripristino della casella al"),
            day_label(&row.day)
        )),
        _ => None,
    });
    view! {
        <div class="time-machine-head">
            <p>
                <a href="/mail" id="back-to-mail">{tr("← Back to mail", "← Torna alla posta")}</a>
            </p>
            <h1>{tr("Mail Time Machine", "Mail Time Machine")}</h1>
        </div>
        <FlashNotice id="tm-notice" message=started />
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                match view_of.await {
                    Ok(v) => {
                        let running = v.restores.first().is_some_and(|r| r.state == "running");
                        view! {
                            {running.then(|| view! { <ReloadWhileRunning seconds=2 /> })}
                            {v.restores.first().cloned().map(|r| view! { <RestoreStatus r /> })}
                            <Day v=v.clone() wanted=wanted() />
                            <RestoreForm v restore />
                        }
                            .into_any()
                    }
                    Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A day: the day picker and its folders on the left, a folder's list or a message on the
/// right.
#[component]
fn Day(v: TimeMachineView, wanted: TimeMachineQuery) -> impl IntoView {
    let intro = format!(
        "{} {} {}",
        tr(
            "Your mailbox as it stood at midnight of each of the last",
            "La tua casella com'era alla mezzanotte di ciascuno degli ultimi",
        ),
        v.kept_days,
        tr(
            "days: every folder, read-only. Open a message to read it or download it.",
            "giorni: tutte le cartelle, in sola lettura. Apri un messaggio per leggerlo o scaricarlo.",
        ),
    );
    if v.days.is_empty() {
        return view! {
            <p class="hint">{intro}</p>
            <p class="empty" id="tm-no-days">
                {tr(
                    "There is no snapshot yet: the first is taken tonight at midnight.",
                    "Non c'è ancora nessuna istantanea: la prima sarà presa stanotte a mezzanotte.",
                )}
            </p>
        }
        .into_any();
    }
    let day = v.day.clone();
    let folder = v
        .list
        .as_ref()
        .map(|l| l.folder.id.clone())
        .unwrap_or_default();
    let reading = v.message.is_some();
    view! {
        <p class="hint">{intro}</p>
        <div class="mail time-machine" class:reading=reading>
            <nav class="folders" id="tm-folders" aria-label=tr("Folders", "Cartelle")>
                <DayPicker days=v.days.clone() day=day.clone() />
                <FolderLinks folders=v.folders.clone() day=day.clone() current=folder.clone() />
            </nav>
            {match (v.message, v.list) {
                (Some(m), _) => {
                    view! { <KeptReader m day wanted taken_at=v.taken_at.clone() /> }.into_any()
                }
                (None, Some(list)) => view! { <KeptList list day taken_at=v.taken_at.clone() /> }.into_any(),
                (None, None) => ().into_any(),
            }}
        </div>
    }
    .into_any()
}

/// The days to choose from: a GET form, so it works without JavaScript.
#[component]
fn DayPicker(days: Vec<String>, day: String) -> impl IntoView {
    view! {
        <leptos_router::components::Form method="GET" action="/time-machine" attr:id="tm-day-form" attr:class="tm-day">
            <label for="tm-day">{tr("Day", "Giorno")}</label>
            <select id="tm-day" name="day">
                {days
                    .into_iter()
                    .map(|d| {
                        let selected = d == day;
                        view! { <option value=d.clone() selected=selected>{day_label(&d)}</option> }
                    })
                    .collect_view()}
            </select>
            <button type="submit" id="tm-day-show">{tr("Show", "Mostra")}</button>
        </leptos_router::components::Form>
    }
}

/// Every folder of the day, with its counts.
#[component]
fn FolderLinks(folders: Vec<MailFolder>, day: String, current: String) -> impl IntoView {
    view! {
        <ul>
            {folders
                .into_iter()
                .map(|f| {
                    let active = f.id == current;
                    let href = place(&TimeMachineQuery {
                        day: day.clone(),
                        folder: f.id.clone(),
                        ..TimeMachineQuery::default()
                    });
                    let count = (f.total > 0).then(|| f.total.to_string());
                    view! { <FolderItem folder=f href active count count_class="count total" /> }
                })
                .collect_view()}
        </ul>
    }
}

/// A folder's page as it stood, with the search within the day.
#[component]
fn KeptList(list: MessageList, day: String, taken_at: String) -> impl IntoView {
    let folder = list.folder.id.clone();
    let here = |page: u64| {
        place(&TimeMachineQuery {
            day: day.clone(),
            folder: folder.clone(),
            page,
            q: list.query.clone(),
            open: String::new(),
        })
    };
    let newer = (list.page > 0).then(|| here(list.page - 1));
    let older = (list.page + 1 < list.pages).then(|| here(list.page + 1));
    let title = format!("{} · {}", folder_label(&list.folder), day_label(&day));
    let rows = list
        .rows
        .iter()
        .map(|r| {
            let href = place(&TimeMachineQuery {
                day: day.clone(),
                folder: folder.clone(),
                page: list.page,
                q: list.query.clone(),
                open: r.id.clone(),
            });
            let subject = if r.subject.trim().is_empty() {
                tr("(no subject)", "(nessun oggetto)").to_string()
            } else {
                r.subject.clone()
            };
            view! {
                <li class:unread=!r.seen class:flagged=r.flagged data-id=r.id.clone()>
                    <a href=href>
                        <span class="from" title=r.from_address.clone()>{r.from.clone()}</span>
                        <span class="subject">{subject}</span>
                        <span class="preview">{r.preview.clone()}</span>
                        <span class="meta">
                            {r.flagged.then(|| view! { <span class="flag" title=tr("Flagged", "Contrassegnato")>"★"</span> })}
                            <time datetime=r.received_at.clone()>{time_label(&r.received_at)}</time>
                            <span class="size">{bytes(r.size)}</span>
                        </span>
                    </a>
                </li>
            }
        })
        .collect_view();
    let empty = list.rows.is_empty();
    let searched = !list.query.is_empty();
    view! {
        <section class="messages" id="tm-messages">
            <leptos_router::components::Form
                method="GET"
                action="/time-machine"
                attr:role="search"
                attr:class="search mail-search"
                attr:id="tm-search"
            >
                <input type="hidden" name="day" value=day.clone() />
                <input type="hidden" name="folder" value=folder.clone() />
                <label class="visually-hidden" for="tm-q">{tr("Search this day", "Cerca in questo giorno")}</label>
                <input
                    type="search"
                    id="tm-q"
                    name="q"
                    value=list.query.clone()
                    maxlength="200"
                    placeholder=tr("Search sender, subject and text", "Cerca mittente, oggetto e testo")
                />
                <button type="submit" id="tm-search-button">{tr("Search", "Cerca")}</button>
            </leptos_router::components::Form>
            <h2 id="tm-list-title">{title}</h2>
            <p class="hint" id="tm-total">
                {format!(
                    "{} {}",
                    list.total,
                    if list.total == 1 { tr("message", "messaggio") } else { tr("messages", "messaggi") },
                )}
                {searched.then(|| tr(" found", " trovati"))}
                {format!(" · {} {} (UTC)", tr("snapshot of", "istantanea delle"), time_label(&taken_at))}
            </p>
            {if empty {
                view! {
                    <p class="empty" id="tm-empty">
                        {if searched {
                            tr("Nothing found in this folder that day.", "Nessun messaggio trovato in questa cartella quel giorno.")
                        } else {
                            tr("This folder was empty that day.", "Quel giorno questa cartella era vuota.")
                        }}
                    </p>
                }
                    .into_any()
            } else {
                view! { <ul class="message-list" id="tm-list">{rows}</ul> }.into_any()
            }}
            {(newer.is_some() || older.is_some())
                .then(|| {
                    view! {
                        <p class="pager">
                            {newer.map(|href| view! { <a href=href id="tm-newer">{tr("← Newer", "← Più recenti")}</a> })}
                            " "
                            {older.map(|href| view! { <a href=href id="tm-older">{tr("Older →", "Meno recenti →")}</a> })}
                        </p>
                    }
                })}
        </section>
    }
}

/// A message as it stood: its headers, its text or HTML (in the sandboxed frame), its
/// attachments and its download.
#[component]
fn KeptReader(
    m: MailMessage,
    day: String,
    wanted: TimeMachineQuery,
    taken_at: String,
) -> impl IntoView {
    let back = place(&TimeMachineQuery {
        open: String::new(),
        ..wanted
    });
    let id = urlencode(&m.row.id);
    let base = format!("/webmail/time-machine/{}/{id}", urlencode(&day));
    let subject = if m.row.subject.trim().is_empty() {
        tr("(no subject)", "(nessun oggetto)").to_string()
    } else {
        m.row.subject.clone()
    };
    let from = if m.row.from == m.row.from_address {
        m.row.from_address.clone()
    } else {
        format!("{} <{}>", m.row.from, m.row.from_address)
    };
    let line = |label: &'static str, people: Vec<String>| {
        (!people.is_empty()).then(|| {
            view! {
                <div>
                    <dt>{label}</dt>
                    <dd>{people.join(", ")}</dd>
                </div>
            }
        })
    };
    let body = if m.has_html {
        view! {
            <iframe
                class="mail-html"
                id="tm-html"
                src=format!("{base}/body")
                sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
                referrerpolicy="no-referrer"
                title=tr("Message", "Messaggio")
            ></iframe>
        }
        .into_any()
    } else {
        match m.text.clone() {
            Some(text) => view! { <crate::pages::mail_text::PlainText text=text.trim_end().to_string() /> }
                .into_any(),
            None => view! { <p class="empty">{tr("This message has no text.", "Questo messaggio non ha testo.")}</p> }
                .into_any(),
        }
    };
    let attachments = (!m.attachments.is_empty()).then(|| {
        view! {
            <ul class="attachments" id="tm-attachments">
                {m.attachments
                    .iter()
                    .map(|a| {
                        let url = format!("{base}/parts/{}", urlencode(&a.blob_id));
                        let name = if a.name.is_empty() { tr("attachment", "allegato").to_string() } else { a.name.clone() };
                        view! {
                            <li>
                                <a class="name" href=format!("{url}?download=1") download=name.clone()>{name.clone()}</a>
                                " "
                                <span class="hint">{format!("{} · {}", a.media_type, bytes(a.size))}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    view! {
        <article class="reader" id="tm-reader">
            <div class="reader-top">
                <a href=back id="tm-back-to-list">{tr("← Back to the list", "← Torna all'elenco")}</a>
            </div>
            <h1 id="tm-subject">{subject}</h1>
            <p class="notice" id="tm-read-only">
                {format!(
                    "{} {} ({} {} UTC). {}",
                    tr("As it stood on", "Com'era il"),
                    day_label(&day),
                    tr("snapshot of", "istantanea delle"),
                    time_label(&taken_at),
                    tr("Read-only: nothing here changes your mail.", "Sola lettura: qui nulla cambia la tua posta."),
                )}
            </p>
            <dl class="headers">
                <div>
                    <dt>{tr("From", "Da")}</dt>
                    <dd>{from}</dd>
                </div>
                {line(tr("To", "A"), m.to.clone())}
                {line(tr("Cc", "Cc"), m.cc.clone())}
                <div>
                    <dt>{tr("Received", "Ricevuto")}</dt>
                    <dd><time datetime=m.row.received_at.clone()>{time_label(&m.row.received_at)}</time></dd>
                </div>
            </dl>
            {attachments}
            <p class="reader-tools">
                <a href=format!("{base}/source") id="tm-download" download="">
                    {tr("Download (.eml)", "Scarica (.eml)")}
                </a>
            </p>
            {body}
            {m.truncated
                .then(|| {
                    view! {
                        <p class="hint">{tr("The message is long: only its beginning is shown.", "Il messaggio è lungo: se ne mostra solo l'inizio.")}</p>
                    }
                })}
        </article>
    }
}

/// The latest restore: how far it got, or how it ended.
#[component]
fn RestoreStatus(r: RestoreRow) -> impl IntoView {
    let mode = if r.exact {
        tr("exact rollback", "ripristino esatto")
    } else {
        tr("merge", "unione")
    };
    let head = format!(
        "{} {} ({mode})",
        tr("Restore to", "Ripristino al"),
        day_label(&r.day)
    );
    let summary = format!(
        "{} {} · {} {} · {} {}",
        tr("Messages put back:", "Messaggi rimessi:"),
        r.restored,
        tr(
            "given back their folder and flags:",
            "riportati a cartella e stato di allora:"
        ),
        r.changed,
        tr("newer ones moved aside:", "più recenti spostati a parte:"),
        r.moved,
    );
    match r.state.as_str() {
        "running" => view! {
            <section class="notice" role="status" id="tm-restore-status" data-state="running">
                <p><strong>{head}</strong>{format!(": {}…", tr("running", "in corso"))}</p>
                <progress max=r.total.max(1).to_string() value=r.done.to_string()>
                    {format!("{} / {}", r.done, r.total)}
                </progress>
                <p class="hint">{format!("{} / {}", r.done, r.total)}</p>
            </section>
        }
        .into_any(),
        "done" => view! {
            <section class="notice" role="status" id="tm-restore-status" data-state="done">
                <p><strong>{head}</strong>{format!(": {}.", tr("done", "completato"))}</p>
                <p>{summary}</p>
            </section>
        }
        .into_any(),
        _ => view! {
            <section class="notice error" role="alert" id="tm-restore-status" data-state="failed">
                <p><strong>{head}</strong>{format!(": {}.", tr("it did not finish", "non è terminato"))}</p>
                <p>{summary}</p>
                <p class="hint">{r.error}</p>
            </section>
        }
        .into_any(),
    }
}

/// "Restore this day": what it does, what it costs, and the confirmation.
#[component]
fn RestoreForm(v: TimeMachineView, restore: ServerAction<RestoreDay>) -> impl IntoView {
    if v.day.is_empty() {
        return ().into_any();
    }
    let error = action_error(restore.value());
    let day_error = field_error(error, "day");
    let price = if v.restore_price_cents > 0 {
        format!(
            "{} {} {}",
            tr("A restore costs", "Il ripristino costa"),
            euros(v.restore_price_cents),
            tr(
                "(the provider's price; it appears on your company's bill).",
                "(prezzo del fornitore; compare nei costi della tua azienda).",
            ),
        )
    } else {
        tr("A restore is free of charge.", "Il ripristino è gratuito.").to_string()
    };
    let confirm = format!(
        "{} {}",
        tr("Restore my mailbox to", "Ripristina la casella al"),
        day_label(&v.day)
    );
    view! {
        <details class="card tm-restore" id="tm-restore">
            <summary>{tr("Restore this day…", "Ripristina questo giorno…")}</summary>
            <ActionForm action=restore attr:id="tm-restore-form">
                <input type="hidden" name="day" value=v.day.clone() />
                <p>
                    {tr(
                        "Your mailbox is brought back to this day: what was deleted or changed since comes back into its folder, with its flags. Nothing is deleted.",
                        "La casella torna com'era questo giorno: ciò che è stato eliminato o cambiato da allora torna nella sua cartella, con il suo stato. Nulla viene eliminato.",
                    )}
                </p>
                <fieldset>
                    <legend>{tr("Newer mail", "Posta più recente")}</legend>
                    <label>
                        <input type="radio" name="mode" value="merge" checked=true id="tm-mode-merge" />
                        {tr(" Keep it where it is (merge)", " Lasciala dov'è (unione)")}
                    </label>
                    <label>
                        <input type="radio" name="mode" value="exact" id="tm-mode-exact" />
                        {format!(
                            "{} \"Restored after {}\" {}",
                            tr(" Move it into a folder", " Spostala in una cartella"),
                            v.day,
                            tr("(exact rollback)", "(ripristino esatto)"),
                        )}
                    </label>
                </fieldset>
                <p class="hint" id="tm-restore-price">{price}</p>
                <button type="submit" id="tm-restore-confirm">{confirm}</button>
                <FieldError field="day" message=day_error />
                <FormError error />
            </ActionForm>
        </details>
    }
    .into_any()
}

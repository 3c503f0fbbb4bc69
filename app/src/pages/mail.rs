// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail: `/mail` (the Inbox), `/mail/:folder` (a folder's messages, newest first, a
//! page at a time) and `/mail/:folder/:id` (a message). Server-rendered, so reading works
//! without JavaScript; every link is a real address. Special folders are named in the page's
//! language, whatever the engine calls them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::mail::{list_folders, list_messages, open_message},
    components::{ErrorMessage, Guarded},
    dto::{MailFolder, MailMessage, MessageList, MessageRow, Role},
    format::{bytes, urlencode},
    i18n::tr,
};

const OWNERS: &[Role] = &[Role::User, Role::Postmaster];

/// A folder's name as shown: a special folder by its role, in the page's language.
pub fn folder_label(folder: &MailFolder) -> String {
    let special = match folder.role.as_str() {
        "inbox" => tr("Inbox", "Posta in arrivo"),
        "drafts" => tr("Drafts", "Bozze"),
        "sent" => tr("Sent", "Posta inviata"),
        "archive" => tr("Archive", "Archivio"),
        "junk" => tr("Junk", "Posta indesiderata"),
        "trash" => tr("Trash", "Cestino"),
        _ => "",
    };
    if special.is_empty() {
        folder.name.clone()
    } else {
        special.to_string()
    }
}

/// `2026-12-03T09:15:00Z` as `2026-12-03 09:15`.
fn time_label(rfc3339: &str) -> String {
    rfc3339
        .get(..16)
        .map(|t| t.replace('T', " "))
        .unwrap_or_else(|| rfc3339.to_string())
}

#[component]
pub fn MailPage() -> impl IntoView {
    view! {
        <Title text=tr("Mail · Casella", "Posta · Casella") />
        <Guarded roles=OWNERS>
            <MailBody />
        </Guarded>
    }
}

#[component]
fn MailBody() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let folder_param = move || params.read().get("folder").unwrap_or_default();
    let message_param = move || params.read().get("id");
    let page_param = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let folders = Resource::new(folder_param, |_| list_folders());
    let list = Resource::new(
        move || (folder_param(), page_param(), message_param().is_none()),
        // `/mail` (no folder) is the Inbox.
        move |(folder, page, wanted)| async move {
            match wanted {
                true => Some(list_messages(folder, page).await),
                false => None,
            }
        },
    );
    let message = Resource::new(message_param, |id| async move {
        match id {
            Some(id) => Some(open_message(id).await),
            None => None,
        }
    });
    view! {
        <div class="mail">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match folders.await {
                        Ok(all) => view! { <FolderList folders=all current=folder_param() /> }.into_any(),
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    let folder = folder_param();
                    match (list.await, message.await) {
                        (_, Some(Ok(m))) => view! { <Reader message=m folder /> }.into_any(),
                        (_, Some(Err(err))) | (Some(Err(err)), _) => {
                            view! { <ErrorMessage error=err /> }.into_any()
                        }
                        (Some(Ok(l)), None) => view! { <Messages list=l /> }.into_any(),
                        (None, None) => ().into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// The folders, with their unread counts.
#[component]
fn FolderList(folders: Vec<MailFolder>, current: String) -> impl IntoView {
    view! {
        <nav class="folders" id="folders" aria-label=tr("Folders", "Cartelle")>
            <ul>
                {folders
                    .into_iter()
                    .map(|f| {
                        let active = f.id == current || (current.is_empty() && f.role == "inbox");
                        let label = folder_label(&f);
                        let href = format!("/mail/{}", urlencode(&f.id));
                        let unread = (f.unread > 0).then(|| f.unread.to_string());
                        let depth = format!("--depth: {}", f.depth.min(6));
                        view! {
                            <li style=depth>
                                <a
                                    href=href
                                    class:active=active
                                    aria-current=active.then_some("page")
                                    data-role=f.role.clone()
                                >
                                    <span class="name">{label}</span>
                                    {unread.map(|n| view! { <span class="count">{n}</span> })}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// A page of a folder.
#[component]
fn Messages(list: MessageList) -> impl IntoView {
    let label = folder_label(&list.folder);
    let base = format!("/mail/{}", urlencode(&list.folder.id));
    let pager = (list.pages > 1).then(|| {
        let newer = (list.page > 0).then(|| format!("{base}?page={}", list.page - 1));
        let older = (list.page + 1 < list.pages).then(|| format!("{base}?page={}", list.page + 1));
        view! {
            <p class="pager">
                {newer.map(|href| view! { <a href=href id="mail-newer">{tr("← Newer", "← Più recenti")}</a> })}
                <span>{format!("{} / {}", list.page + 1, list.pages)}</span>
                {older.map(|href| view! { <a href=href id="mail-older">{tr("Older →", "Meno recenti →")}</a> })}
            </p>
        }
    });
    let folder_id = list.folder.id.clone();
    view! {
        <section class="messages" id="messages">
            <h1>{label}</h1>
            <p class="hint">
                {match list.total {
                    1 => tr("1 message", "1 messaggio").to_string(),
                    n => format!("{n} {}", tr("messages", "messaggi")),
                }}
            </p>
            {if list.rows.is_empty() {
                view! { <p class="empty" id="mail-empty">{tr("No messages.", "Nessun messaggio.")}</p> }
                    .into_any()
            } else {
                view! {
                    <ul class="message-list">
                        {list
                            .rows
                            .into_iter()
                            .map(|r| view! { <Row r folder=folder_id.clone() /> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            {pager}
        </section>
    }
}

#[component]
fn Row(r: MessageRow, folder: String) -> impl IntoView {
    let href = format!("/mail/{}/{}", urlencode(&folder), urlencode(&r.id));
    let subject = if r.subject.trim().is_empty() {
        tr("(no subject)", "(nessun oggetto)").to_string()
    } else {
        r.subject.clone()
    };
    view! {
        <li class:unread=!r.seen data-id=r.id.clone()>
            <a href=href>
                <span class="from" title=r.from_address.clone()>{r.from.clone()}</span>
                <span class="subject">{subject}</span>
                <span class="preview">{r.preview.clone()}</span>
                <span class="meta">
                    {r.flagged.then(|| view! { <span class="flag" title=tr("Flagged", "Contrassegnato")>"★"</span> })}
                    {r.has_attachment.then(|| view! { <span class="clip" title=tr("Attachment", "Allegato")>"📎"</span> })}
                    <time datetime=r.received_at.clone()>{time_label(&r.received_at)}</time>
                    <span class="size">{bytes(r.size)}</span>
                </span>
            </a>
        </li>
    }
}

/// A message: its headers, its text and its attachments.
#[component]
fn Reader(message: MailMessage, folder: String) -> impl IntoView {
    let m = message;
    let subject = if m.row.subject.trim().is_empty() {
        tr("(no subject)", "(nessun oggetto)").to_string()
    } else {
        m.row.subject.clone()
    };
    let back = format!("/mail/{}", urlencode(&folder));
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
    view! {
        <article class="reader" id="reader">
            <p>
                <a href=back id="back-to-list">{tr("← Back to the list", "← Torna all'elenco")}</a>
            </p>
            <h1 id="reader-subject">{subject}</h1>
            <dl class="headers">
                <div>
                    <dt>{tr("From", "Da")}</dt>
                    <dd id="reader-from">{from}</dd>
                </div>
                {line(tr("To", "A"), m.to.clone())}
                {line("Cc", m.cc.clone())}
                {line(tr("Reply to", "Rispondi a"), m.reply_to.clone())}
                <div>
                    <dt>{tr("Date", "Data")}</dt>
                    <dd>
                        <time datetime=m.row.received_at.clone()>{time_label(&m.row.received_at)}</time>
                    </dd>
                </div>
            </dl>
            {(!m.attachments.is_empty())
                .then(|| {
                    view! {
                        <ul class="attachments" id="attachments">
                            {m
                                .attachments
                                .iter()
                                .map(|a| {
                                    let name = if a.name.is_empty() {
                                        tr("(unnamed)", "(senza nome)").to_string()
                                    } else {
                                        a.name.clone()
                                    };
                                    view! {
                                        <li>
                                            <span class="name">{name}</span>
                                            " "
                                            <span class="hint">{format!("{} · {}", a.media_type, bytes(a.size))}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            {match m.text.clone() {
                Some(text) => {
                    view! { <pre class="mail-text" id="reader-text">{text.trim_end().to_string()}</pre> }
                        .into_any()
                }
                None if m.has_html => {
                    view! {
                        <p class="hint" id="reader-html-only">
                            {tr("This message has only an HTML version.", "Questo messaggio ha solo una versione HTML.")}
                        </p>
                    }
                        .into_any()
                }
                None => view! { <p class="empty">{tr("This message has no text.", "Questo messaggio non ha testo.")}</p> }
                    .into_any(),
            }}
            {m.truncated
                .then(|| {
                    view! {
                        <p class="hint">{tr("The message is long: only its beginning is shown.", "Il messaggio è lungo: se ne mostra solo l'inizio.")}</p>
                    }
                })}
        </article>
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! `/archive`: the signed-in mailbox's archive ("Archivio"): every message it received
//! ("Posta in arrivo") or sent ("Posta inviata") since its manager switched the archive on,
//! kept even when deleted from the mailbox. Read-only: search by sender, recipient, subject,
//! text and dates, open, download as `.eml` (or a selection as a `.zip`), put back into the
//! mailbox; and who of its delegates read what ("Letture dei delegati"). A delegate sees here
//! the archives its manager gave it, within its window and until its last day, and cannot
//! put anything back. The archive, the folder, the search, the page and the message opened
//! are in the address (plain links and GET forms), so it all works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::mail::{ArchivePutBack, archive},
    components::{ErrorMessage, FlashNotice, FormError, Guarded, action_error},
    dto::{ArchiveQuery, ArchiveView, MailMessage, MessageList, ReadsPage, Role},
    format::{bytes, urlencode},
    i18n::{in_lang, tr},
    pages::{delegates::ReadsTable, mail::time_label, mailbox_archive::years_text},
};

/// Mailbox owners, and delegates.
const READERS: &[Role] = &[Role::User, Role::Postmaster, Role::Delegate];

#[component]
pub fn ArchivePage() -> impl IntoView {
    view! {
        <Title text=tr("Archive · Casella", "Archivio · Casella") />
        <Guarded roles=READERS>
            <ArchiveBody />
        </Guarded>
    }
}

/// The address of a view of the archive.
fn place(q: &ArchiveQuery) -> String {
    let mut parts = Vec::new();
    for (key, value) in [
        ("archive", q.archive.as_str()),
        ("folder", q.folder.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
        ("subject", q.subject.as_str()),
        ("q", q.q.as_str()),
        ("after", q.after.as_str()),
        ("before", q.before.as_str()),
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
        "/archive".to_string()
    } else {
        format!("/archive?{}", parts.join("&"))
    }
}

#[component]
fn ArchiveBody() -> impl IntoView {
    let query = use_query_map();
    let wanted = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        ArchiveQuery {
            folder: get("folder"),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
            from: get("from"),
            to: get("to"),
            subject: get("subject"),
            q: get("q"),
            after: get("after"),
            before: get("before"),
            open: get("open"),
            archive: get("archive"),
        }
    };
    let put_back = ServerAction::<ArchivePutBack>::new();
    let view_of = Resource::new(
        move || (wanted(), put_back.version().get()),
        |(q, _)| archive(q),
    );
    let done = Signal::derive(move || {
        matches!(put_back.value().get(), Some(Ok(()))).then(|| {
            tr(
                "The message is back in your mailbox.",
                "Il messaggio è di nuovo nella casella.",
            )
            .to_string()
        })
    });
    let owner = use_context::<crate::dto::Me>().is_none_or(|me| me.role != Role::Delegate);
    view! {
        <div class="time-machine-head">
            {owner
                .then(|| {
                    view! {
                        <p>
                            <a href="/mail" id="back-to-mail">{tr("← Back to mail", "← Torna alla posta")}</a>
                        </p>
                    }
                })}
            <h1>{tr("Archive", "Archivio")}</h1>
        </div>
        <FlashNotice id="ar-notice" message=done />
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                match view_of.await {
                    Ok(v) => view! { <Archived v put_back /> }.into_any(),
                    Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Archived(v: ArchiveView, put_back: ServerAction<ArchivePutBack>) -> impl IntoView {
    if !v.owner && !v.exists {
        return view! {
            <p class="empty" id="ar-none">
                {tr(
                    "No archive is open to you. Ask the manager who gave you this access.",
                    "Nessun archivio è aperto per te. Chiedi al manager che ti ha dato l'accesso.",
                )}
            </p>
        }
        .into_any();
    }
    if !v.exists {
        return view! {
            <p class="empty" id="ar-none">
                {tr(
                    "This mailbox has no archive. Its manager can switch one on: every message received or sent is then kept for years, even if deleted.",
                    "Questa casella non ha un archivio. Il suo manager può attivarlo: ogni messaggio ricevuto o inviato sarà conservato per anni, anche se cancellato.",
                )}
            </p>
        }
        .into_any();
    }
    let intro = if !v.owner {
        let window = match (v.window_from.as_str(), v.window_to.as_str()) {
            ("", "") => in_lang(
                "all its messages".to_string(),
                "tutti i suoi messaggi".to_string(),
            ),
            (from, "") => in_lang(
                format!("messages received from {from}"),
                format!("i messaggi ricevuti dal {from}"),
            ),
            ("", to) => in_lang(
                format!("messages received up to {to}"),
                format!("i messaggi ricevuti fino al {to}"),
            ),
            (from, to) => in_lang(
                format!("messages received from {from} to {to}"),
                format!("i messaggi ricevuti dal {from} al {to}"),
            ),
        };
        in_lang(
            format!(
                "You may read {window} until {} included. Read-only: every message you open or download is logged, and the mailbox's owner sees it.",
                v.expires_on
            ),
            format!(
                "Puoi consultare {window} fino al {} compreso. Sola lettura: ogni messaggio aperto o scaricato viene registrato, e il titolare della casella lo vede.",
                v.expires_on
            ),
        )
    } else if v.active {
        in_lang(
            format!(
                "Every message you receive or send is kept here for {}, even if you delete it. Read-only.",
                years_text(v.retention_years)
            ),
            format!(
                "Ogni messaggio ricevuto o inviato è conservato qui per {}, anche se lo cancelli. Sola lettura.",
                years_text(v.retention_years)
            ),
        )
    } else {
        in_lang(
            "The archive is switched off: what it kept stays until its retention ends. Read-only."
                .to_string(),
            "L'archivio è disattivato: quanto conservato resta fino alla scadenza. Sola lettura."
                .to_string(),
        )
    };
    let folder = v
        .list
        .as_ref()
        .map(|l| l.folder.id.clone())
        .unwrap_or_else(|| "in".into());
    let folder = if v.reads.is_some() {
        "reads".to_string()
    } else {
        folder
    };
    let reading = v.message.is_some();
    let shown = v.archive.clone();
    let link = |id: &str| {
        place(&ArchiveQuery {
            folder: id.to_string(),
            archive: shown.clone(),
            ..ArchiveQuery::default()
        })
    };
    let is_in = folder == "in";
    let is_out = folder == "out";
    let is_reads = folder == "reads";
    // A delegate names the archive it reads, and picks another when it has several.
    let picker = (!v.owner).then(|| {
        let address = v
            .archives
            .iter()
            .find(|a| a.id == v.archive)
            .map(|a| a.address.clone())
            .unwrap_or_default();
        let choices = (v.archives.len() > 1).then(|| {
            view! {
                <leptos_router::components::Form method="GET" action="/archive" attr:id="ar-archive-form" attr:class="tm-day">
                    <label for="ar-archive">{tr("Archive", "Archivio")}</label>
                    <select id="ar-archive" name="archive">
                        {v.archives
                            .iter()
                            .map(|a| {
                                let selected = a.id == v.archive;
                                view! { <option value=a.id.clone() selected=selected>{a.address.clone()}</option> }
                            })
                            .collect_view()}
                    </select>
                    <button type="submit" id="ar-archive-show">{tr("Show", "Mostra")}</button>
                </leptos_router::components::Form>
            }
        });
        view! {
            <div id="ar-archives">
                <h2 class="ar-of">{in_lang(format!("Archive of {address}"), format!("Archivio di {address}"))}</h2>
                {choices}
            </div>
        }
    });
    let reads_link = v.owner.then(|| {
        view! {
            <li class:current=is_reads>
                <a href=link("reads") id="ar-folder-reads" aria-current=is_reads.then_some("page")>
                    <span class="name">{tr("Delegates' reads", "Letture dei delegati")}</span>
                    <span class="count">{v.reads_total}</span>
                </a>
            </li>
        }
    });
    let owner = v.owner;
    view! {
        {picker}
        <p class="hint" id="ar-intro">{intro}</p>
        <div class="mail time-machine" class:reading=reading>
            <nav class="folders" id="ar-folders" aria-label=tr("Folders", "Cartelle")>
                <ul>
                    <li class:current=is_in>
                        <a href=link("in") id="ar-folder-in" aria-current=is_in.then_some("page")>
                            <span class="name">{tr("Inbox", "Posta in arrivo")}</span>
                            <span class="count">{v.received}</span>
                        </a>
                    </li>
                    <li class:current=is_out>
                        <a href=link("out") id="ar-folder-out" aria-current=is_out.then_some("page")>
                            <span class="name">{tr("Sent", "Posta inviata")}</span>
                            <span class="count">{v.sent}</span>
                        </a>
                    </li>
                    {reads_link}
                </ul>
            </nav>
            {match (v.message, v.list, v.reads) {
                (Some(m), _, _) => view! { <ArchivedReader m wanted=v.query.clone() put_back owner /> }.into_any(),
                (None, Some(list), _) => view! { <ArchivedList list wanted=v.query.clone() more=v.more /> }.into_any(),
                (None, None, Some(reads)) => view! { <OwnersReads reads wanted=v.query.clone() /> }.into_any(),
                (None, None, None) => ().into_any(),
            }}
        </div>
    }
    .into_any()
}

/// The search form and a page of a folder or of what the search found.
#[component]
fn ArchivedList(list: MessageList, wanted: ArchiveQuery, more: bool) -> impl IntoView {
    let here = |page: u64| {
        place(&ArchiveQuery {
            page,
            open: String::new(),
            ..wanted.clone()
        })
    };
    let newer = (list.page > 0).then(|| here(list.page - 1));
    let older = (list.page + 1 < list.pages).then(|| here(list.page + 1));
    let searched = wanted.is_search();
    let rows = list
        .rows
        .iter()
        .map(|r| {
            let href = place(&ArchiveQuery {
                open: r.id.clone(),
                ..wanted.clone()
            });
            let subject = if r.subject.trim().is_empty() {
                tr("(no subject)", "(nessun oggetto)").to_string()
            } else {
                r.subject.clone()
            };
            let label = format!("{} {}", tr("Select", "Seleziona"), subject);
            view! {
                <li data-id=r.id.clone()>
                    <input type="checkbox" name="id" value=r.id.clone() class="pick" aria-label=label />
                    <a href=href>
                        <span class="from" title=r.from_address.clone()>{r.from.clone()}</span>
                        <span class="subject">{subject}</span>
                        <span class="preview">{r.preview.clone()}</span>
                        <span class="meta">
                            {r.has_attachment.then(|| view! { <span class="clip" title=tr("Attachment", "Allegato")>"📎"</span> })}
                            <time datetime=r.received_at.clone()>{time_label(&r.received_at)}</time>
                            <span class="size">{bytes(r.size)}</span>
                        </span>
                    </a>
                </li>
            }
        })
        .collect_view();
    let empty = list.rows.is_empty();
    let field = |id: &'static str, label: &'static str, value: String, kind: &'static str| {
        view! {
            <div class="field">
                <label for=format!("ar-{id}")>{label}</label>
                <input type=kind id=format!("ar-{id}") name=id value=value maxlength="200" />
            </div>
        }
    };
    let count = format!(
        "{}{} {}",
        list.total,
        if more { "+" } else { "" },
        if list.total == 1 {
            tr("message", "messaggio")
        } else {
            tr("messages", "messaggi")
        },
    );
    view! {
        <section class="messages" id="ar-messages">
            <leptos_router::components::Form
                method="GET"
                action="/archive"
                attr:role="search"
                attr:class="grid-form archive-search"
                attr:id="ar-search"
            >
                <input type="hidden" name="folder" value=list.folder.id.clone() />
                {(!wanted.archive.is_empty()).then(|| view! { <input type="hidden" name="archive" value=wanted.archive.clone() /> })}
                {field("q", tr("Words", "Parole"), wanted.q.clone(), "search")}
                {field("from", tr("From", "Mittente"), wanted.from.clone(), "text")}
                {field("to", tr("To", "Destinatario"), wanted.to.clone(), "text")}
                {field("subject", tr("Subject", "Oggetto"), wanted.subject.clone(), "text")}
                {field("after", tr("From day", "Dal giorno"), wanted.after.clone(), "date")}
                {field("before", tr("To day", "Al giorno"), wanted.before.clone(), "date")}
                <div class="actions">
                    <button type="submit" id="ar-search-button">{tr("Search", "Cerca")}</button>
                    {searched.then(|| view! { <a href=place(&ArchiveQuery { folder: list.folder.id.clone(), archive: wanted.archive.clone(), ..ArchiveQuery::default() }) id="ar-clear">{tr("Clear", "Azzera")}</a> })}
                </div>
            </leptos_router::components::Form>
            <p class="hint" id="ar-total">{count} {searched.then(|| tr(" found", " trovati"))}</p>
            {if empty {
                view! {
                    <p class="empty" id="ar-empty">
                        {if searched {
                            tr("Nothing found.", "Nessun messaggio trovato.")
                        } else {
                            tr("Nothing kept here yet.", "Ancora nessun messaggio conservato qui.")
                        }}
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <form method="get" action="/webmail/archive/zip" id="ar-zip">
                        <ul class="message-list archive-list" id="ar-list">{rows}</ul>
                        <p class="reader-tools">
                            <button type="submit" class="secondary" id="ar-zip-button">
                                {tr("Download the selected (.zip)", "Scarica i selezionati (.zip)")}
                            </button>
                        </p>
                    </form>
                }
                    .into_any()
            }}
            {(newer.is_some() || older.is_some())
                .then(|| {
                    view! {
                        <p class="pager">
                            {newer.map(|href| view! { <a href=href id="ar-newer">{tr("← Newer", "← Più recenti")}</a> })}
                            " "
                            {older.map(|href| view! { <a href=href id="ar-older">{tr("Older →", "Meno recenti →")}</a> })}
                        </p>
                    }
                })}
        </section>
    }
}

/// An archived message: its headers, its text or HTML (in the sandboxed frame), its
/// attachments, its download and "put back".
#[component]
fn ArchivedReader(
    m: MailMessage,
    wanted: ArchiveQuery,
    put_back: ServerAction<ArchivePutBack>,
    /// The mailbox's owner may put the message back; a delegate may not.
    owner: bool,
) -> impl IntoView {
    let back = place(&ArchiveQuery {
        open: String::new(),
        ..wanted
    });
    let id = urlencode(&m.row.id);
    let base = format!("/webmail/archive/{id}");
    let error = action_error(put_back.value());
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
                id="ar-html"
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
            <ul class="attachments" id="ar-attachments">
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
        <article class="reader" id="ar-reader">
            <div class="reader-top">
                <a href=back id="ar-back-to-list">{tr("← Back to the list", "← Torna all'elenco")}</a>
            </div>
            <h1 id="ar-subject">{subject}</h1>
            <dl class="headers">
                <div>
                    <dt>{tr("From", "Da")}</dt>
                    <dd>{from}</dd>
                </div>
                {line(tr("To", "A"), m.to.clone())}
                {line(tr("Cc", "Cc"), m.cc.clone())}
                <div>
                    <dt>{tr("Archived", "Archiviato")}</dt>
                    <dd><time datetime=m.row.received_at.clone()>{time_label(&m.row.received_at)}</time></dd>
                </div>
            </dl>
            {attachments}
            <div class="reader-tools">
                <a href=format!("{base}/source") id="ar-download" download="">
                    {tr("Download (.eml)", "Scarica (.eml)")}
                </a>
                {owner
                    .then(|| {
                        view! {
                            <ActionForm action=put_back attr:class="inline-form" attr:id="ar-put-back">
                                <input type="hidden" name="id" value=m.row.id.clone() />
                                <button type="submit" class="secondary">
                                    {tr("Put back into the mailbox", "Rimetti nella casella")}
                                </button>
                                <FormError error=error />
                            </ActionForm>
                        }
                    })}
            </div>
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

/// The owner's view of its delegates' reads: who read what of its archive, and when.
#[component]
fn OwnersReads(reads: ReadsPage, wanted: ArchiveQuery) -> impl IntoView {
    let here = move |page: u64| {
        place(&ArchiveQuery {
            folder: "reads".into(),
            page,
            ..ArchiveQuery::default()
        })
    };
    let _ = wanted;
    view! {
        <section class="messages" id="ar-reads">
            <p class="hint">
                {tr(
                    "Every message a delegate of your manager opened or downloaded from your archive.",
                    "Ogni messaggio del tuo archivio aperto o scaricato da un delegato del tuo manager.",
                )}
            </p>
            <ReadsTable reads with_mailbox=false page_link=here />
        </section>
    }
}

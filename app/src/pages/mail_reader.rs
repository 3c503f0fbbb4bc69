// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's reader (`/mail/:folder/:id`): a message's headers, its conversation, its
//! text or its HTML (in a sandboxed frame), its attachments, and the actions on it; with
//! `?print=1`, the message alone for printing.

use leptos::prelude::*;

use crate::{
    components::{FieldError, FormError, action_error, field_error},
    dto::{MailFolder, MailMessage, MessageRow},
    format::{bytes, urlencode},
    i18n::tr,
    pages::mail::{Acting, Toolbar, time_label},
};

/// A message: its headers, its text and its attachments.
#[component]
pub fn Reader(
    message: MailMessage,
    folder: String,
    folders: Vec<MailFolder>,
    acting: Acting,
    /// The reader asked for the plain text of a message that has HTML too.
    text_only: bool,
    /// The HTML's remote images are shown (through Casella's proxy): asked for, or always
    /// for this sender.
    images: bool,
    /// The page is the message's print view.
    print: bool,
) -> impl IntoView {
    let m = message;
    let here = format!("/mail/{}/{}", urlencode(&folder), urlencode(&m.row.id));
    let part_url = |blob: &str| {
        format!(
            "/webmail/messages/{}/parts/{}",
            urlencode(&m.row.id),
            urlencode(blob)
        )
    };
    let show_html = m.has_html && (!text_only || m.text.is_none());
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
    let trust_error = action_error(acting.trust.value());
    let sender = m.row.from_address.clone();
    view! {
        <article class="reader" class:print-view=print id="reader">
            {print.then(|| view! { <PrintWhenShown /> })}
            <div class="reader-top">
                <a href=back.clone() id="back-to-list">{tr("← Back to the list", "← Torna all'elenco")}</a>
                // Search is at hand while reading, as above a list.
                <crate::pages::mail::SearchBox folder=folder.clone() query=String::new() error=None />
            </div>
            <h1 id="reader-subject">{subject}</h1>
            <p class="reader-answer">
                {
                    let id = urlencode(&m.row.id);
                    let is_draft = folders
                        .iter()
                        .any(|f| f.role == "drafts" && m.folders.contains(&f.id));
                    if is_draft {
                        view! {
                            <a href=format!("/compose?draft={id}") class="button" id="edit-draft">
                                {tr("Edit draft", "Modifica bozza")}
                            </a>
                        }
                            .into_any()
                    } else {
                        view! {
                            <a href=format!("/compose?reply={id}") class="button" id="reply">
                                {tr("Reply", "Rispondi")}
                            </a>
                            <a href=format!("/compose?reply_all={id}") class="button secondary" id="reply-all">
                                {tr("Reply all", "Rispondi a tutti")}
                            </a>
                            <a href=format!("/compose?forward={id}") class="button secondary" id="forward">
                                {tr("Forward", "Inoltra")}
                            </a>
                            <a
                                href=format!("/compose?forward_attached={id}")
                                class="button secondary"
                                id="forward-attached"
                            >
                                {tr("Forward as attachment", "Inoltra come allegato")}
                            </a>
                        }
                            .into_any()
                    }
                }
            </p>
            {
                let shown = folders
                    .iter()
                    .find(|f| f.id == folder || (folder.is_empty() && f.role == "inbox"))
                    .cloned();
                let act_error = action_error(acting.act.value());
                let id = m.row.id.clone();
                let back = back.clone();
                let folders = folders.clone();
                shown.map(move |shown| view! {
                    <ActionForm action=acting.act attr:id="reader-actions">
                        <input type="hidden" name="folder" value=shown.id.clone() />
                        <input type="hidden" name="ids[0]" value=id />
                        <input type="hidden" name="next" value=back />
                        <Toolbar folder=shown folders flagged=Some(m.row.flagged) />
                        <FormError error=act_error />
                        <FieldError field="to" message=field_error(act_error, "to") />
                    </ActionForm>
                })
            }
            <Conversation rows=m.conversation.clone() current=m.row.id.clone() folder=folder.clone() />
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
                                    let url = part_url(&a.blob_id);
                                    let preview = matches!(
                                        a.media_type.to_ascii_lowercase().as_str(),
                                        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
                                    )
                                        .then(|| {
                                            view! {
                                                <a href=url.clone() target="_blank" rel="noopener">
                                                    <img class="preview" src=url.clone() alt="" loading="lazy" />
                                                </a>
                                            }
                                        });
                                    view! {
                                        <li>
                                            {preview}
                                            <a class="name" href=format!("{url}?download=1") download=name.clone()>
                                                {name.clone()}
                                            </a>
                                            " "
                                            <span class="hint">{format!("{} · {}", a.media_type, bytes(a.size))}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            <p class="reader-tools">
                {(m.has_html && m.text.is_some())
                    .then(|| {
                        if show_html {
                            view! {
                                <a href=format!("{here}?view=text") id="view-text">
                                    {tr("Plain text", "Testo semplice")}
                                </a>
                            }
                                .into_any()
                        } else {
                            view! {
                                <a href=here.clone() id="view-html">
                                    {tr("Formatted (HTML)", "Formattato (HTML)")}
                                </a>
                            }
                                .into_any()
                        }
                    })}
                <a href=format!("/webmail/messages/{}/source", urlencode(&m.row.id)) id="download-eml">
                    {tr("Download (.eml)", "Scarica (.eml)")}
                </a>
                <a
                    href=format!("{here}?print=1{}", if images { "&images=1" } else { "" })
                    id="print"
                    target="_blank"
                >
                    {tr("Print", "Stampa")}
                </a>
            </p>
            {(show_html && m.remote_images > 0 && !images)
                .then(|| {
                    view! {
                        <p class="notice" id="remote-images">
                            {match m.remote_images {
                                1 => tr("1 remote image is hidden, so the sender cannot tell when and where you read this.", "1 immagine remota è nascosta, così il mittente non sa quando e dove leggi questo messaggio.").to_string(),
                                n => format!("{n} {}", tr("remote images are hidden, so the sender cannot tell when and where you read this.", "immagini remote sono nascoste, così il mittente non sa quando e dove leggi questo messaggio.")),
                            }}
                            " "
                            <a href=format!("{here}?images=1") id="show-images">{tr("Show images", "Mostra le immagini")}</a>
                            {(!sender.is_empty())
                                .then(|| {
                                    view! {
                                        <ActionForm action=acting.trust attr:class="row-form" attr:id="trust-images">
                                            <input type="hidden" name="address" value=sender.clone() />
                                            <button type="submit" class="link">
                                                {format!(
                                                    "{} {}",
                                                    tr("Always show images from", "Mostra sempre le immagini di"),
                                                    sender,
                                                )}
                                            </button>
                                        </ActionForm>
                                    }
                                })}
                            <FormError error=trust_error />
                        </p>
                    }
                })}
            {if show_html {
                let src = format!(
                    "/webmail/messages/{}/body{}",
                    urlencode(&m.row.id),
                    if images { "?images=1" } else { "" },
                );
                view! {
                    <iframe
                        class="mail-html"
                        id="reader-html"
                        src=src
                        sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
                        referrerpolicy="no-referrer"
                        title=tr("Message", "Messaggio")
                    ></iframe>
                }
                    .into_any()
            } else {
                match m.text.clone() {
                    Some(text) => {
                        view! { <crate::pages::mail_text::PlainText text=text.trim_end().to_string() /> }
                            .into_any()
                    }
                    None => view! { <p class="empty">{tr("This message has no text.", "Questo messaggio non ha testo.")}</p> }
                        .into_any(),
                }
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

/// The other messages of a message's conversation, oldest first, each a link; the one shown
/// is marked.
#[component]
fn Conversation(rows: Vec<MessageRow>, current: String, folder: String) -> impl IntoView {
    (!rows.is_empty()).then(|| {
        let count = rows.len();
        view! {
            <details class="conversation" id="conversation" open>
                <summary>
                    {format!("{} ({count})", tr("Conversation", "Conversazione"))}
                </summary>
                <ol>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let here = r.id == current;
                            let href = format!("/mail/{}/{}", urlencode(&folder), urlencode(&r.id));
                            view! {
                                <li class:unread=!r.seen aria-current=here.then_some("true")>
                                    <a href=href>
                                        <span class="from">{r.from.clone()}</span>
                                        <time datetime=r.received_at.clone()>{time_label(&r.received_at)}</time>
                                        <span class="preview">{r.preview.clone()}</span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            </details>
        }
    })
}

/// Opens the browser's print dialogue once the print view is on screen (with JavaScript;
/// without, the view is there to print from the browser's menu).
#[island]
fn PrintWhenShown() -> impl IntoView {
    crate::pages::mail_nav::owned_by_page();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    });
}

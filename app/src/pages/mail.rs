// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail: `/mail` (the Inbox), `/mail/:folder` (a folder's messages, newest first, a
//! page at a time) and `/mail/:folder/:id` (a message). Server-rendered, so reading works
//! without JavaScript; every link is a real address. Special folders are named in the page's
//! language, whatever the engine calls them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

use crate::{
    api::mail::{
        EmptyTrash, MailAct, TrustImages, list_folders, list_messages, open_message, quota_usage,
    },
    components::{
        ErrorMessage, FieldError, FlashNotice, FormError, Guarded, action_error, field_error,
    },
    dto::{MailFolder, MailQuota, MessageList, MessageRow, Role},
    format::{bytes, urldecode, urlencode},
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
pub fn time_label(rfc3339: &str) -> String {
    rfc3339
        .get(..16)
        .map(|t| t.replace('T', " "))
        .unwrap_or_else(|| rfc3339.to_string())
}

#[component]
pub fn MailPage() -> impl IntoView {
    view! {
        <Guarded roles=OWNERS>
            <MailBody />
        </Guarded>
        // The routes under this page draw nothing; the router still wants their place.
        <leptos_router::components::Outlet />
    }
}

/// The folder and the message a webmail address points at: `/mail` (the Inbox),
/// `/mail/<folder>`, `/mail/<folder>/<message>`.
fn mail_place(path: &str) -> (String, Option<String>) {
    let mut parts = path
        .strip_prefix("/mail")
        .unwrap_or_default()
        .split('/')
        .filter(|p| !p.is_empty())
        .map(urldecode);
    let folder = parts.next().unwrap_or_default();
    (folder, parts.next())
}

#[component]
fn MailBody() -> impl IntoView {
    // Read from the address: the page is the `/mail` route's own, the same for every folder
    // and message under it (see the route table).
    let location = use_location();
    let place = Memo::new(move |_| mail_place(&location.pathname.read()));
    let query = use_query_map();
    let folder_param = move || place.read().0.clone();
    let message_param = move || place.read().1.clone();
    let search_param = move || query.read().get("q").unwrap_or_default();
    let page_param = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // The reader's forms; the list's are its island's own.
    let acting = Acting {
        act: ServerAction::<MailAct>::new(),
        trust: ServerAction::<TrustImages>::new(),
    };
    // The page is made on the server only: each resource is asked for once.
    let folders = Resource::new(|| (), |_| list_folders());
    let quota = Resource::new(|| (), |_| quota_usage());
    let list = Resource::new(
        move || {
            (
                folder_param(),
                page_param(),
                search_param(),
                message_param().is_none(),
            )
        },
        // `/mail` (no folder) is the Inbox.
        move |(folder, page, q, wanted)| async move {
            match wanted {
                true => Some(list_messages(folder, page, q).await),
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
    // With JavaScript the compose page comes back here with `?sent=1`; without, the post
    // left its notice (and any refused recipient) in the session.
    let sent = Signal::derive(move || {
        (query.read().get("sent").as_deref() == Some("1"))
            .then(|| tr("Message sent.", "Messaggio inviato.").to_string())
    });
    view! {
        <FlashNotice id="mail-notice" message=sent />
        <div class="mail" class:reading=move || message_param().is_some()>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match folders.await {
                        Ok(all) => {
                            let quota = quota.await.ok();
                            view! {
                                <Title text=mail_title(&all) />
                                <FolderList folders=all current=folder_param() quota />
                            }
                                .into_any()
                        }
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
                {move || Suspend::new(async move {
                    let folder = folder_param();
                    let all = folders.await.unwrap_or_default();
                    match (list.await, message.await) {
                        (_, Some(Ok(m))) => {
                            let q = query.read();
                            let text_only = q.get("view").as_deref() == Some("text");
                            let images = m.images_always || q.get("images").as_deref() == Some("1");
                            let print = q.get("print").as_deref() == Some("1");
                            view! { <crate::pages::mail_reader::Reader message=m folder folders=all text_only images print acting /> }
                                .into_any()
                        }
                        // A search that is not understood: said under the search box, as typed.
                        (Some(Err(err)), None) if err.field() == Some("q") => {
                            let message = err.message();
                            view! {
                                <section class="messages" id="messages">
                                    <SearchBox folder query=search_param() error=Some(message) />
                                </section>
                            }
                                .into_any()
                        }
                        (_, Some(Err(err))) | (Some(Err(err)), _) => {
                            view! { <ErrorMessage error=err /> }.into_any()
                        }
                        (Some(Ok(l)), None) => {
                            view! { <LiveMessages list=l folders=all /> }.into_any()
                        }
                        (None, None) => ().into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// The tab's title: it counts the Inbox's unread messages.
fn mail_title(all: &[MailFolder]) -> String {
    let unread = all
        .iter()
        .find(|f| f.role == "inbox")
        .map_or(0, |inbox| inbox.unread);
    let name = tr("Mail · Casella", "Posta · Casella");
    if unread > 0 {
        format!("({unread}) {name}")
    } else {
        name.to_string()
    }
}

/// The folders, with their unread counts.
#[component]
fn FolderList(
    folders: Vec<MailFolder>,
    current: String,
    quota: Option<MailQuota>,
) -> impl IntoView {
    view! {
        <nav class="folders" id="folders" aria-label=tr("Folders", "Cartelle")>
            <p class="compose-link">
                <a href="/compose" class="button" id="compose-new">{tr("New message", "Nuovo messaggio")}</a>
            </p>
            <LiveFolders folders current />
            <p class="manage">
                <a href="/folders" id="manage-folders">{tr("Manage folders", "Gestisci cartelle")}</a>
                " · "
                <a href="/mail/rules" id="rules-link">{tr("Rules and vacation reply", "Regole e risposta automatica")}</a>
                " · "
                <a href="/mail/settings" id="settings-link">{tr("Settings", "Impostazioni")}</a>
                " · "
                <a href="/time-machine" id="time-machine-link">{tr("Mail Time Machine", "Mail Time Machine")}</a>
                " · "
                <a href="/archive" id="archive-link">{tr("Archive", "Archivio")}</a>
            </p>
            {quota.map(|q| view! { <LiveQuota q /> })}
            <crate::pages::mail_keys::ShortcutHelp />
        </nav>
    }
}

/// The folder list, following the mailbox: unread counts, new folders, and the tab's title.
#[island]
fn LiveFolders(folders: Vec<MailFolder>, current: String) -> impl IntoView {
    crate::pages::mail_nav::owned_by_page();
    let shown = RwSignal::new(folders);
    crate::pages::mail_live::on_change(move || {
        leptos::task::spawn_local(async move {
            if let Ok(all) = list_folders().await {
                document().set_title(&mail_title(&all));
                crate::pages::mail_live::folders().set(Some(all.clone()));
                shown.set(all);
            }
        });
    });
    move || view! { <FolderItems folders=shown.get() current=current.clone() /> }
}

#[component]
fn FolderItems(folders: Vec<MailFolder>, current: String) -> impl IntoView {
    view! {
        <ul>
            {folders
                .into_iter()
                .map(|f| {
                    let active = f.id == current || (current.is_empty() && f.role == "inbox");
                    let href = format!("/mail/{}", urlencode(&f.id));
                    let count = (f.unread > 0).then(|| f.unread.to_string());
                    view! { <FolderItem folder=f href active count count_class="count" /> }
                })
                .collect_view()}
        </ul>
    }
}

/// One folder of a folder column: its link (marked when it is the one shown), its name in the
/// page's language, its depth, and a count (unread in the webmail, all in the Time Machine).
#[component]
pub fn FolderItem(
    folder: MailFolder,
    href: String,
    active: bool,
    count: Option<String>,
    count_class: &'static str,
) -> impl IntoView {
    let label = folder_label(&folder);
    // A class, not a style attribute: the content policy allows no inline style.
    let depth = format!("depth-{}", folder.depth.min(6));
    view! {
        <li class=depth>
            <a
                href=href
                class:active=active
                aria-current=active.then_some("page")
                data-role=folder.role
                data-folder=folder.id
            >
                <span class="name">{label}</span>
                {count.map(|n| view! { <span class=count_class>{n}</span> })}
            </a>
        </li>
    }
}

/// The quota bar, following the mailbox.
#[island]
fn LiveQuota(q: MailQuota) -> impl IntoView {
    crate::pages::mail_nav::owned_by_page();
    let shown = RwSignal::new(q);
    crate::pages::mail_live::on_quota(move |q| shown.set(q));
    move || view! { <QuotaBar q=shown.get() /> }
}

/// How full the mailbox is; a warning from 90%.
#[component]
fn QuotaBar(q: MailQuota) -> impl IntoView {
    let percent = q.percent();
    let used = if q.total == 0 {
        format!("{} {}", bytes(q.used), tr("used", "usati"))
    } else {
        format!(
            "{} {} {} ({percent}%)",
            bytes(q.used),
            tr("of", "di"),
            bytes(q.total)
        )
    };
    view! {
        <div class="quota" class:warning=q.nearly_full() id="quota" data-used=q.used.to_string()>
            {(q.total > 0)
                .then(|| {
                    view! {
                        <progress max="100" value=percent.to_string() aria-label=tr("Space used", "Spazio usato")>
                            {format!("{percent}%")}
                        </progress>
                    }
                })}
            <p>{used}</p>
            {q.nearly_full()
                .then(|| {
                    view! {
                        <p class="hint" id="quota-warning" role="status">
                            {tr(
                                "The mailbox is almost full: empty the Trash or delete large messages, or new mail will be refused.",
                                "La casella è quasi piena: svuota il cestino o elimina i messaggi grandi, altrimenti la nuova posta sarà rifiutata.",
                            )}
                        </p>
                    }
                })}
        </div>
    }
}

/// The reader's actions on its message.
#[derive(Clone, Copy)]
pub struct Acting {
    pub act: ServerAction<MailAct>,
    pub trust: ServerAction<TrustImages>,
}

/// "Move to" choices: every folder but the one shown, after an empty choice, so that
/// "Move" never moves anywhere not chosen.
fn move_choices(folders: &[MailFolder], except: &str) -> impl IntoView + use<> {
    let choices = folders
        .iter()
        .filter(|f| f.id != except)
        .map(|f| {
            let indent = "\u{a0}\u{a0}".repeat(usize::try_from(f.depth.min(6)).unwrap_or(0));
            view! { <option value=f.id.clone()>{format!("{indent}{}", folder_label(f))}</option> }
        })
        .collect_view();
    view! {
        <option value="">{tr("(choose a folder)", "(scegli una cartella)")}</option>
        {choices}
    }
}

/// The buttons acting on selected messages of `folder`.
#[component]
pub fn Toolbar(
    folder: MailFolder,
    /// The move menu's choices (the message list's follow the mailbox).
    #[prop(into)]
    folders: Signal<Vec<MailFolder>>,
    flagged: Option<bool>,
) -> impl IntoView {
    let (spam, spam_label) = if folder.role == "junk" {
        ("not-spam", tr("Not spam", "Non è spam"))
    } else {
        ("spam", tr("Spam", "Spam"))
    };
    let delete_label = if matches!(folder.role.as_str(), "trash" | "junk") {
        tr("Delete for good", "Elimina definitivamente")
    } else {
        tr("Delete", "Elimina")
    };
    let flag_buttons = match flagged {
        Some(true) => view! { <button type="submit" name="action" value="unflag" id="act-unflag">{tr("Unflag", "Togli contrassegno")}</button> }.into_any(),
        Some(false) => view! { <button type="submit" name="action" value="flag" id="act-flag">{tr("Flag", "Contrassegna")}</button> }.into_any(),
        None => view! {
            <button type="submit" name="action" value="flag" id="act-flag">{tr("Flag", "Contrassegna")}</button>
            <button type="submit" name="action" value="unflag" id="act-unflag">{tr("Unflag", "Togli contrassegno")}</button>
        }.into_any(),
    };
    view! {
        <div class="toolbar" role="toolbar" aria-label=tr("Actions", "Azioni")>
            {flagged.is_none().then(|| view! {
                <button type="submit" name="action" value="read" id="act-read">{tr("Mark read", "Segna come letti")}</button>
            })}
            <button type="submit" name="action" value="unread" id="act-unread">{tr("Mark unread", "Segna come da leggere")}</button>
            {flag_buttons}
            <button type="submit" name="action" value=spam id="act-spam">{spam_label}</button>
            <button type="submit" name="action" value="delete" id="act-delete" class="danger">{delete_label}</button>
            <span class="move">
                <label for="move-to">{tr("Move to", "Sposta in")}</label>
                <select name="to" id="move-to">
                    {move || move_choices(&folders.read(), &folder.id)}
                </select>
                <button type="submit" name="action" value="move" id="act-move">{tr("Move", "Sposta")}</button>
            </span>
        </div>
    }
}

/// A page of a folder, following the mailbox: what arrives, what another client moves, and
/// what its own forms do show at once. Its forms post in place.
#[island]
fn LiveMessages(list: MessageList, folders: Vec<MailFolder>) -> impl IntoView {
    crate::pages::mail_nav::owned_by_page();
    let act = ServerAction::<MailAct>::new();
    let empty = ServerAction::<EmptyTrash>::new();
    let (folder, page, query) = (list.folder.id.clone(), list.page, list.query.clone());
    let shown = RwSignal::new(list);
    // The move menu's folders: as the folder column fetches them after each change.
    let targets = RwSignal::new(folders);
    crate::pages::mail_live::on_folders(move |all| targets.set(all));
    crate::pages::mail_live::on_change(move || {
        let (folder, query) = (folder.clone(), query.clone());
        leptos::task::spawn_local(async move {
            if let Ok(list) = list_messages(folder, page, query).await {
                shown.set(list);
            }
        });
    });
    // The list's own actions are changes too (the other islands follow them at once).
    Effect::new(move |seen: Option<usize>| {
        let done = act.version().get().wrapping_add(empty.version().get());
        if seen.is_some_and(|seen| seen != done) {
            crate::pages::mail_live::changed();
        }
        done
    });
    move || view! { <Messages list=shown.get() folders=targets.into() act empty /> }
}

/// A page of a folder.
#[component]
fn Messages(
    list: MessageList,
    folders: Signal<Vec<MailFolder>>,
    act: ServerAction<MailAct>,
    empty: ServerAction<EmptyTrash>,
) -> impl IntoView {
    let searching = !list.query.is_empty();
    let label = if searching {
        tr("Search results", "Risultati della ricerca").to_string()
    } else {
        folder_label(&list.folder)
    };
    let base = format!("/mail/{}", urlencode(&list.folder.id));
    let paged = if searching {
        format!("{base}?q={}&page=", urlencode(&list.query))
    } else {
        format!("{base}?page=")
    };
    let pager = (list.pages > 1).then(|| {
        let newer = (list.page > 0).then(|| format!("{paged}{}", list.page - 1));
        let older = (list.page + 1 < list.pages).then(|| format!("{paged}{}", list.page + 1));
        view! {
            <p class="pager">
                {newer.map(|href| view! { <a href=href id="mail-newer">{tr("← Newer", "← Più recenti")}</a> })}
                <span>{format!("{} / {}", list.page + 1, list.pages)}</span>
                {older.map(|href| view! { <a href=href id="mail-older">{tr("Older →", "Meno recenti →")}</a> })}
            </p>
        }
    });
    let folder_id = list.folder.id.clone();
    crate::pages::mail_drag::follow_drags(act, folder_id.clone());
    let list_ref = NodeRef::<leptos::html::Ul>::new();
    crate::pages::mail_scroll::follow_scroll(&list, list.folder.role == "drafts", list_ref);
    let act_error = action_error(act.value());
    let empty_error = action_error(empty.value());
    let is_trash = list.folder.role == "trash";
    let is_drafts = list.folder.role == "drafts";
    let has_rows = !list.rows.is_empty();
    let search_folder = list.folder.id.clone();
    view! {
        <section class="messages" id="messages">
            <SearchBox folder=search_folder query=list.query.clone() error=None />
            <h1>{label}</h1>
            <p class="hint" id="mail-count">
                {match list.total {
                    1 => tr("1 message", "1 messaggio").to_string(),
                    n => format!("{n} {}", tr("messages", "messaggi")),
                }}
                {searching
                    .then(|| {
                        view! {
                            " · "
                            <a href=base.clone() id="clear-search">{tr("Clear the search", "Annulla la ricerca")}</a>
                        }
                    })}
            </p>
            {(is_trash && has_rows)
                .then(|| {
                    view! {
                        <ActionForm action=empty attr:id="empty-trash" attr:class="row-form">
                            <button type="submit" class="danger">{tr("Empty the Trash now", "Svuota il cestino ora")}</button>
                            <FormError error=empty_error />
                        </ActionForm>
                    }
                })}
            {if has_rows {
                view! {
                    <ActionForm action=act attr:id="mail-actions">
                        <input type="hidden" name="folder" value=folder_id.clone() />
                        <Toolbar folder=list.folder.clone() folders flagged=None />
                        <FormError error=act_error />
                        <FieldError field="ids" message=field_error(act_error, "ids") />
                        <FieldError field="to" message=field_error(act_error, "to") />
                        <ul class="message-list" node_ref=list_ref>
                            {list
                                .rows
                                .into_iter()
                                .enumerate()
                                .map(|(i, r)| view! { <Row r index=i folder=folder_id.clone() drafts=is_drafts /> })
                                .collect_view()}
                        </ul>
                    </ActionForm>
                }
                    .into_any()
            } else {
                view! { <p class="empty" id="mail-empty">{tr("No messages.", "Nessun messaggio.")}</p> }
                    .into_any()
            }}
            {pager}
        </section>
    }
}

/// The search box above a list: words, and operators such as `from:` or `has:attachment`.
/// A plain GET form, so a search is an address that can be kept or shared.
#[component]
pub(crate) fn SearchBox(folder: String, query: String, error: Option<String>) -> impl IntoView {
    let action = if folder.is_empty() {
        "/mail".to_string()
    } else {
        format!("/mail/{}", urlencode(&folder))
    };
    view! {
        <form method="get" action=action role="search" class="search mail-search" id="mail-search">
            <label class="visually-hidden" for="q">{tr("Search mail", "Cerca nella posta")}</label>
            <input
                type="search"
                id="q"
                name="q"
                value=query
                maxlength="500"
                placeholder=tr(
                    "Search: words, from:, to:, subject:, has:attachment, before:, after:, in:",
                    "Cerca: parole, da:, a:, oggetto:, ha:allegato, prima:, dopo:, in:",
                )
            />
            <button type="submit" id="search-button">{tr("Search", "Cerca")}</button>
        </form>
        {error.map(|message| view! { <p class="field-error" id="q-error" role="alert">{message}</p> })}
    }
}

#[component]
pub(crate) fn Row(r: MessageRow, index: usize, folder: String, drafts: bool) -> impl IntoView {
    // A draft opens where it is written.
    let href = if drafts {
        format!("/compose?draft={}", urlencode(&r.id))
    } else {
        format!("/mail/{}/{}", urlencode(&folder), urlencode(&r.id))
    };
    let subject = if r.subject.trim().is_empty() {
        tr("(no subject)", "(nessun oggetto)").to_string()
    } else {
        r.subject.clone()
    };
    view! {
        <li class:unread=!r.seen class:flagged=r.flagged data-id=r.id.clone() draggable="true">
            <input
                type="checkbox"
                name=format!("ids[{index}]")
                value=r.id.clone()
                aria-label=format!("{} {}", tr("Select", "Seleziona"), subject)
            />
            <a href=href>
                <span class="from" title=r.from_address.clone()>
                    {r.from.clone()}
                    {(r.thread_size > 1)
                        .then(|| {
                            view! {
                                <span class="thread-size" title=tr("Messages in the conversation", "Messaggi nella conversazione")>
                                    {r.thread_size.to_string()}
                                </span>
                            }
                        })}
                </span>
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

#[cfg(test)]
mod tests {
    use super::mail_place;

    #[test]
    fn an_address_names_its_folder_and_message() {
        assert_eq!(mail_place("/mail"), (String::new(), None));
        assert_eq!(mail_place("/mail/"), (String::new(), None));
        assert_eq!(mail_place("/mail/a"), ("a".to_string(), None));
        assert_eq!(
            mail_place("/mail/a/xy%20z"),
            ("a".to_string(), Some("xy z".to_string()))
        );
    }
}

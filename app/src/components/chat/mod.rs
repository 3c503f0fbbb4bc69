// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's chat (seed 000, SmarterMail's webmail chat in seed 001): a speech-bubble
//! button at the top right opens the contact list on the right (a search box, a dot for each
//! contact's status, one's own status), and conversations open docked at the bottom right,
//! several at once, with unread counts, typing, delivered and read marks, and their history.
//!
//! It talks to the server over one WebSocket (`/chat/socket`, see `chat_wire`), as one
//! session of the same hub XMPP clients use. Without JavaScript the button opens a notice.

use leptos::prelude::*;

use crate::{
    chat_wire::{ChatContact, ChatGroupInfo, ChatLine, ChatStatus},
    i18n::tr,
};

/// One conversation of this tab.
#[derive(Clone, Debug, Default, PartialEq)]
struct Conversation {
    with: String,
    lines: Vec<ChatLine>,
    /// Messages from the contact not yet seen.
    unread: u32,
    typing: bool,
    /// In a group, who is typing.
    typist: Option<String>,
    /// Docked and shown.
    open: bool,
    /// The history has nothing older.
    complete: bool,
    /// Marks of the user's messages a client of the contact received.
    received: Vec<String>,
    /// The mark of the last of the user's messages the contact read.
    read: Option<String>,
    /// Browser ids of messages the server refused, with why.
    refused: Vec<(String, String)>,
    /// The last search of the conversation and what it found.
    found: Option<(String, Vec<ChatLine>)>,
}

/// What the chat shows; shared by the button, the panel and the docked conversations.
#[derive(Clone, Copy)]
struct Chat {
    /// The browser code runs (otherwise the notice shows).
    live: RwSignal<bool>,
    /// Chat is not active for this mailbox.
    off: RwSignal<bool>,
    me: RwSignal<String>,
    status: RwSignal<ChatStatus>,
    contacts: RwSignal<Vec<ChatContact>>,
    /// The group conversations the user is in (its domain's group aliases).
    groups: RwSignal<Vec<ChatGroupInfo>>,
    search: RwSignal<String>,
    conversations: RwSignal<Vec<Conversation>>,
    #[cfg(feature = "hydrate")]
    socket: StoredValue<Option<send_wrapper::SendWrapper<web_sys::WebSocket>>>,
}

impl Chat {
    fn unread(&self) -> u32 {
        self.conversations
            .with(|c| c.iter().map(|c| c.unread).sum())
    }

    fn is_group(&self, address: &str) -> bool {
        self.groups
            .with(|groups| groups.iter().any(|g| g.address == address))
    }

    fn name_of(&self, address: &str) -> String {
        if let Some(name) = self.groups.with(|groups| {
            groups
                .iter()
                .find(|g| g.address == address)
                .map(|g| g.name.clone())
        }) {
            return name;
        }
        self.contacts.with(|contacts| {
            contacts
                .iter()
                .find(|c| c.address == address)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| address.to_string())
        })
    }

    /// A contact's status as this tab shows it: everyone is unavailable while the user is
    /// offline here (seed 001).
    fn status_of(&self, address: &str) -> ChatStatus {
        if self.status.get() == ChatStatus::Offline {
            return ChatStatus::Offline;
        }
        // A group is as reachable as its most reachable member.
        if let Some(members) = self.groups.with(|groups| {
            groups
                .iter()
                .find(|g| g.address == address)
                .map(|g| g.members.clone())
        }) {
            return self.contacts.with(|contacts| {
                contacts
                    .iter()
                    .filter(|c| members.contains(&c.address))
                    .map(|c| c.status)
                    .max_by_key(|s| match s {
                        ChatStatus::Available => 3,
                        ChatStatus::Away => 2,
                        ChatStatus::Busy => 1,
                        ChatStatus::Offline => 0,
                    })
                    .unwrap_or(ChatStatus::Offline)
            });
        }
        self.contacts.with(|contacts| {
            contacts
                .iter()
                .find(|c| c.address == address)
                .map_or(ChatStatus::Offline, |c| c.status)
        })
    }

    fn with_conversation(&self, with: &str, change: impl FnOnce(&mut Conversation)) {
        self.conversations.update(|all| {
            if let Some(found) = all.iter_mut().find(|c| c.with == with) {
                change(found);
            } else {
                let mut new = Conversation {
                    with: with.to_string(),
                    ..Default::default()
                };
                change(&mut new);
                all.push(new);
            }
        });
    }
}

/// The search box ignores what is not a letter or a digit (`@`, `#`, `%`…), as in
/// SmarterMail; what is left must be in the contact's name or address.
fn matches(contact: &ChatContact, query: &str) -> bool {
    let query: String = query
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '.')
        .collect::<String>()
        .to_lowercase();
    let query = query.trim();
    query.is_empty()
        || contact.name.to_lowercase().contains(query)
        || contact.address.to_lowercase().contains(query)
}

fn status_class(status: ChatStatus) -> &'static str {
    match status {
        ChatStatus::Available => "dot available",
        ChatStatus::Away => "dot away",
        ChatStatus::Busy => "dot busy",
        ChatStatus::Offline => "dot offline",
    }
}

#[island]
pub fn ChatDock() -> impl IntoView {
    let chat = Chat {
        live: RwSignal::new(false),
        off: RwSignal::new(false),
        me: RwSignal::new(String::new()),
        status: RwSignal::new(ChatStatus::Available),
        contacts: RwSignal::new(Vec::new()),
        groups: RwSignal::new(Vec::new()),
        search: RwSignal::new(String::new()),
        conversations: RwSignal::new(Vec::new()),
        #[cfg(feature = "hydrate")]
        socket: StoredValue::new(None),
    };
    #[cfg(feature = "hydrate")]
    client::connect(chat);
    let labels = Labels::new();
    let status_label = move |status: ChatStatus| match status {
        ChatStatus::Available => labels.available,
        ChatStatus::Away => labels.away,
        ChatStatus::Busy => labels.busy,
        ChatStatus::Offline => labels.offline,
    };
    let open = move |address: String| {
        let mut fresh = false;
        chat.with_conversation(&address, |c| {
            c.open = true;
            c.unread = 0;
            fresh = c.lines.is_empty() && !c.complete;
        });
        #[cfg(feature = "hydrate")]
        {
            if fresh {
                client::send(
                    chat,
                    &crate::chat_wire::ChatCommand::History {
                        with: address.clone(),
                        before: None,
                    },
                );
            }
            if !chat.is_group(&address) {
                client::mark_read(chat, &address);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = fresh;
    };
    let group_rows = move || {
        let query = chat.search.get();
        chat.groups
            .get()
            .into_iter()
            .map(|g| ChatContact {
                address: g.address,
                name: g.name,
                status: ChatStatus::Offline,
            })
            .filter(|g| matches(g, &query))
            .map(|group| {
                let address = group.address.clone();
                let status = chat.status_of(&group.address);
                let unread = chat.conversations.with(|all| {
                    all.iter()
                        .find(|c| c.with == group.address)
                        .map_or(0, |c| c.unread)
                });
                view! {
                    <li>
                        <button
                            type="button"
                            class="chat-contact chat-group"
                            data-address=group.address.clone()
                            on:click=move |_| open(address.clone())
                        >
                            <span class=status_class(status) aria-hidden="true"></span>
                            <span class="name">{group.name.clone()}</span>
                            <span class="chat-state">{labels.group}</span>
                            {(unread > 0).then(|| view! { <span class="badge">{unread}</span> })}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    let contact_rows = move || {
        let query = chat.search.get();
        chat.contacts
            .get()
            .into_iter()
            .filter(|c| matches(c, &query))
            .map(|contact| {
                let address = contact.address.clone();
                let status = chat.status_of(&contact.address);
                let unread = chat.conversations.with(|all| {
                    all.iter()
                        .find(|c| c.with == contact.address)
                        .map_or(0, |c| c.unread)
                });
                view! {
                    <li>
                        <button
                            type="button"
                            class="chat-contact"
                            data-address=contact.address.clone()
                            on:click=move |_| open(address.clone())
                        >
                            <span class=status_class(status) aria-hidden="true"></span>
                            <span class="name">{contact.name.clone()}</span>
                            <span class="chat-state">{status_label(status)}</span>
                            {(unread > 0).then(|| view! { <span class="badge">{unread}</span> })}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <details class="chat" id="chat">
            <summary class="chat-button" id="chat-button" title=labels.chat>
                <svg class="chat-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <path
                        d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"
                        fill="none"
                        stroke="currentColor"
                        stroke-width="2"
                        stroke-linejoin="round"
                    />
                </svg>
                <span class="visually-hidden">{labels.chat}</span>
                {move || {
                    let n = chat.unread();
                    (n > 0).then(|| view! { <span class="badge" id="chat-unread">{n}</span> })
                }}
            </summary>
            <aside class="chat-panel" id="chat-panel" aria-label=labels.chat>
                {move || {
                    if !chat.live.get() {
                        view! { <p class="chat-notice">{labels.needs_js}</p> }.into_any()
                    } else if chat.off.get() {
                        view! { <p class="chat-notice" id="chat-off">{labels.off}</p> }.into_any()
                    } else {
                        view! {
                            <label class="chat-status">
                                {labels.my_status}
                                <select
                                    id="chat-status"
                                    on:change=move |ev| {
                                        let status = match event_target_value(&ev).as_str() {
                                            "away" => ChatStatus::Away,
                                            "busy" => ChatStatus::Busy,
                                            "offline" => ChatStatus::Offline,
                                            _ => ChatStatus::Available,
                                        };
                                        chat.status.set(status);
                                        #[cfg(feature = "hydrate")]
                                        client::send(chat, &crate::chat_wire::ChatCommand::Status { status });
                                    }
                                >
                                    <option value="available">{labels.available}</option>
                                    <option value="away">{labels.away}</option>
                                    <option value="busy">{labels.busy}</option>
                                    <option value="offline">{labels.offline}</option>
                                </select>
                            </label>
                            <input
                                type="search"
                                id="chat-search"
                                placeholder=labels.search
                                aria-label=labels.search
                                on:input=move |ev| chat.search.set(event_target_value(&ev))
                            />
                            <ul class="chat-contacts" id="chat-contacts">{group_rows} {contact_rows}</ul>
                        }
                            .into_any()
                    }
                }}
            </aside>
        </details>
        <div class="chat-dock" id="chat-dock">
            <For
                each=move || {
                    chat.conversations
                        .with(|all| all.iter().filter(|c| c.open).map(|c| c.with.clone()).collect::<Vec<_>>())
                }
                key=|with| with.clone()
                let:with
            >
                <ChatWindow chat=chat with=with labels=labels />
            </For>
        </div>
    }
}

/// Words of the chat, read once in the page's language.
#[derive(Clone, Copy)]
struct Labels {
    chat: &'static str,
    needs_js: &'static str,
    off: &'static str,
    my_status: &'static str,
    search: &'static str,
    available: &'static str,
    away: &'static str,
    busy: &'static str,
    offline: &'static str,
    close: &'static str,
    older: &'static str,
    typing: &'static str,
    write: &'static str,
    send: &'static str,
    delivered: &'static str,
    read: &'static str,
    not_sent: &'static str,
    find: &'static str,
    found: &'static str,
    back: &'static str,
    group: &'static str,
}

impl Labels {
    fn new() -> Labels {
        Labels {
            chat: "Chat",
            needs_js: tr(
                "The chat needs JavaScript. Turn it on in the browser, or use a chat app (XMPP) with your address and password.",
                "La chat richiede JavaScript. Attivalo nel browser, oppure usa un'app di messaggistica (XMPP) con il tuo indirizzo e la tua password.",
            ),
            off: tr(
                "Chat is not active for your mailbox. The postmaster can turn it on.",
                "La chat non è attiva per la tua casella. Il postmaster può attivarla.",
            ),
            my_status: tr("My status", "Il mio stato"),
            search: tr("Search contacts", "Cerca contatti"),
            available: tr("Available", "Disponibile"),
            away: tr("Away", "Assente"),
            busy: tr("Busy", "Occupato"),
            offline: "Offline",
            close: tr("Close", "Chiudi"),
            older: tr("Earlier messages", "Messaggi precedenti"),
            typing: tr("is writing…", "sta scrivendo…"),
            write: tr("Write a message", "Scrivi un messaggio"),
            send: tr("Send", "Invia"),
            delivered: tr("delivered", "consegnato"),
            read: tr("read", "letto"),
            not_sent: tr("not sent", "non inviato"),
            find: tr("Search this conversation", "Cerca nella conversazione"),
            found: tr("found", "trovati"),
            back: tr("Back to the conversation", "Torna alla conversazione"),
            group: tr("Group", "Gruppo"),
        }
    }
}

#[component]
fn ChatWindow(chat: Chat, with: String, labels: Labels) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let find = RwSignal::new(String::new());
    let with_for_back = with.clone();
    let name = {
        let with = with.clone();
        Memo::new(move |_| chat.name_of(&with))
    };
    let status = {
        let with = with.clone();
        Memo::new(move |_| chat.status_of(&with))
    };
    let conversation = {
        let with = with.clone();
        Memo::new(move |_| {
            chat.conversations
                .with(|all| all.iter().find(|c| c.with == with).cloned())
                .unwrap_or_default()
        })
    };
    let close = {
        let with = with.clone();
        move |_| chat.with_conversation(&with, |c| c.open = false)
    };
    let older = {
        let with = with.clone();
        move |_| {
            let first = chat.conversations.with(|all| {
                all.iter()
                    .find(|c| c.with == with)
                    .and_then(|c| c.lines.first().map(|l| l.id))
            });
            #[cfg(feature = "hydrate")]
            client::send(
                chat,
                &crate::chat_wire::ChatCommand::History {
                    with: with.clone(),
                    before: first,
                },
            );
            #[cfg(not(feature = "hydrate"))]
            let _ = first;
        }
    };
    let submit = {
        let with = with.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = draft.get_untracked();
            if body.trim().is_empty() {
                return;
            }
            draft.set(String::new());
            #[cfg(feature = "hydrate")]
            {
                let id = format!("w{:x}", (js_sys_random() * 1e15) as u64);
                // Shown at once; the server's echo takes its place with the kept id.
                let pending = ChatLine {
                    id: -((js_sys_random() * 1e15) as i64) - 1,
                    at: String::new(),
                    from: chat.me.get_untracked(),
                    to: with.clone(),
                    body: body.clone(),
                    mark: id.clone(),
                    client_id: Some(id.clone()),
                    waiting: false,
                };
                chat.with_conversation(&with, |c| c.lines.push(pending));
                client::send(
                    chat,
                    &crate::chat_wire::ChatCommand::Send {
                        to: with.clone(),
                        body,
                        id,
                    },
                );
                client::send(
                    chat,
                    &crate::chat_wire::ChatCommand::Typing {
                        to: with.clone(),
                        typing: false,
                    },
                );
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (body, &with);
        }
    };
    let typing = {
        let with = with.clone();
        let mut last = false;
        move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            let now = !text.is_empty();
            draft.set(text);
            if now != last {
                last = now;
                #[cfg(not(feature = "hydrate"))]
                let _ = &with;
                #[cfg(feature = "hydrate")]
                client::send(
                    chat,
                    &crate::chat_wire::ChatCommand::Typing {
                        to: with.clone(),
                        typing: now,
                    },
                );
            }
        }
    };
    let group = {
        let with = with.clone();
        Memo::new(move |_| chat.is_group(&with))
    };
    let lines = move || {
        let conversation = conversation.get();
        let me = chat.me.get();
        let in_group = group.get();
        let read_upto = conversation
            .read
            .as_ref()
            .and_then(|mark| conversation.lines.iter().position(|l| &l.mark == mark));
        conversation
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let own = line.from == me;
                let mark = if !own {
                    None
                } else if conversation
                    .refused
                    .iter()
                    .any(|(id, _)| line.client_id.as_deref() == Some(id))
                {
                    Some(labels.not_sent)
                } else if read_upto.is_some_and(|upto| i <= upto) {
                    Some(labels.read)
                } else if conversation.received.contains(&line.mark) {
                    Some(labels.delivered)
                } else {
                    None
                };
                let time = line.at.get(11..16).unwrap_or_default().to_string();
                let sender = (in_group && !own).then(|| chat.name_of(&line.from));
                view! {
                    <li class=if own { "line own" } else { "line" } data-id=line.id>
                        {sender.map(|name| view! { <span class="from">{name}</span> })}
                        <span class="body">{line.body.clone()}</span>
                        <span class="meta">
                            <time datetime=line.at.clone()>{time}</time>
                            {mark.map(|m| view! { <span class="mark">{m}</span> })}
                        </span>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="chat-window" data-with=with.clone() aria-label=move || name.get()>
            <header>
                <span class=move || status_class(status.get()) aria-hidden="true"></span>
                <strong>{move || name.get()}</strong>
                <button type="button" class="close" title=labels.close on:click=close>
                    "×"
                </button>
            </header>
            <form
                class="chat-find"
                on:submit={
                    let with = with.clone();
                    move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        let text = find.get_untracked();
                        #[cfg(feature = "hydrate")]
                        if !text.trim().is_empty() {
                            client::send(
                                chat,
                                &crate::chat_wire::ChatCommand::Search {
                                    with: with.clone(),
                                    text,
                                },
                            );
                        }
                        #[cfg(not(feature = "hydrate"))]
                        let _ = (text, &with);
                    }
                }
            >
                <input
                    type="search"
                    class="chat-find-input"
                    placeholder=labels.find
                    aria-label=labels.find
                    prop:value=move || find.get()
                    on:input=move |ev| find.set(event_target_value(&ev))
                />
            </form>
            {move || {
                conversation
                    .with(|c| c.found.clone())
                    .map(|(text, lines)| {
                        let count = lines.len();
                        let back = {
                            let with = with_for_back.clone();
                            move |_| {
                                find.set(String::new());
                                chat.with_conversation(&with, |c| c.found = None);
                            }
                        };
                        view! {
                            <div class="chat-found">
                                <p>
                                    <strong>{count}</strong> " " {labels.found} " “" {text} "” "
                                    <button type="button" class="back" on:click=back>{labels.back}</button>
                                </p>
                                <ol class="lines found">
                                    {lines
                                        .into_iter()
                                        .map(|line| {
                                            let day = line.at.get(..16).unwrap_or_default().replace('T', " ");
                                            view! {
                                                <li class="line" data-id=line.id>
                                                    <span class="body">{line.body}</span>
                                                    <span class="meta"><time>{day}</time></span>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ol>
                            </div>
                        }
                    })
            }}
            {move || {
                (!conversation.with(|c| c.complete))
                    .then(|| view! { <button type="button" class="older" on:click=older.clone()>{labels.older}</button> })
            }}
            <ol class="lines">{lines}</ol>
            {move || {
                conversation
                    .with(|c| c.typing.then(|| c.typist.clone()))
                    .map(|typist| {
                        let who = typist.map_or_else(|| name.get(), |t| chat.name_of(&t));
                        view! { <p class="typing">{who} " " {labels.typing}</p> }
                    })
            }}
            <form class="chat-write" on:submit=submit>
                <input
                    type="text"
                    class="chat-input"
                    maxlength="10000"
                    autocomplete="off"
                    placeholder=labels.write
                    aria-label=labels.write
                    prop:value=move || draft.get()
                    on:input=typing
                />
                <button type="submit">{labels.send}</button>
            </form>
        </section>
    }
}

#[cfg(feature = "hydrate")]
fn js_sys_random() -> f64 {
    // `Math.random` through the window's crypto-free path: ids only need to be unique per tab.
    thread_local!(static NEXT: std::cell::Cell<u64> = const { std::cell::Cell::new(1) });
    let n = NEXT.with(|n| {
        let v = n.get();
        n.set(v + 1);
        v
    });
    let now = web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now());
    (now * 1000.0 + n as f64) / 1e15
}

#[cfg(feature = "hydrate")]
mod client;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_ignores_what_is_not_a_letter_or_a_digit() {
        let bob = ChatContact {
            address: "bob@demo.test".into(),
            name: "Bruno Bianchi".into(),
            status: ChatStatus::Available,
        };
        assert!(matches(&bob, "bru"));
        assert!(matches(&bob, "@bob"));
        assert!(matches(&bob, "#%"));
        assert!(!matches(&bob, "alice"));
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! The chat's socket in the browser: connects (and reconnects), sends commands, applies
//! events.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};

use super::Chat;
use crate::chat_wire::{ChatCommand, ChatEvent, ChatStatus};

pub(super) fn send(chat: Chat, command: &ChatCommand) {
    let Ok(text) = serde_json::to_string(command) else {
        return;
    };
    chat.socket.with_value(|socket| {
        if let Some(socket) = socket {
            let _ = socket.send_with_str(&text);
        }
    });
}

/// Tells the contact the user saw its messages, up to the last one.
pub(super) fn mark_read(chat: Chat, with: &str) {
    let me = chat.me.get_untracked();
    let last = chat.conversations.with_untracked(|all| {
        all.iter()
            .find(|c| c.with == with)
            .and_then(|c| c.lines.iter().rev().find(|l| l.from != me))
            .map(|l| l.mark.clone())
    });
    if let Some(mark) = last {
        send(
            chat,
            &ChatCommand::Read {
                to: with.to_string(),
                mark,
            },
        );
    }
}

pub(super) fn connect(chat: Chat) {
    Effect::new(move |_| {
        chat.live.set(true);
        open(chat);
    });
    // The tab's title and icon show unread chats.
    Effect::new(move |_| {
        let n = chat.unread();
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let title = document.title();
        let base = match title.split_once(" · ") {
            Some((prefix, rest)) if prefix.starts_with('💬') => rest.to_string(),
            _ => title,
        };
        document.set_title(&if n > 0 {
            format!("💬{n} · {base}")
        } else {
            base
        });
        // And the tab's icon: the envelope with a red dot while a chat waits.
        if let Ok(Some(icon)) = document.query_selector("link[rel='icon']") {
            let _ = icon.set_attribute(
                "href",
                if n > 0 {
                    UNREAD_ICON
                } else {
                    crate::shell::ICON
                },
            );
        }
    });
}

/// The site's icon (`shell::ICON`) with a red dot at the top right.
const UNREAD_ICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
    viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%231f5fbf'/%3E%3Cpath \
    d='M6 10h20v13H6z' fill='none' stroke='%23fff' stroke-width='2'/%3E%3Cpath d='M6 10l10 8 \
    10-8' fill='none' stroke='%23fff' stroke-width='2'/%3E%3Ccircle cx='25' cy='7' r='7' \
    fill='%23d93025' stroke='%23fff' stroke-width='1.5'/%3E%3C/svg%3E";

fn open(chat: Chat) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    let Ok(host) = location.host() else { return };
    let Ok(socket) = web_sys::WebSocket::new(&format!("{scheme}://{host}/chat/socket")) else {
        return;
    };
    let opened = Closure::<dyn FnMut()>::new(move || {
        let status = chat.status.get_untracked();
        send(chat, &ChatCommand::Status { status });
    });
    let message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(text) = ev.data().as_string()
                && let Ok(event) = serde_json::from_str::<ChatEvent>(&text)
            {
                apply(chat, event);
            }
        });
    let closed = Closure::<dyn FnMut()>::new(move || {
        chat.socket.set_value(None);
        if chat.off.get_untracked() {
            return;
        }
        // Back after a moment: the server restarted, or the network came back.
        let again = Closure::once_into_js(move || open(chat));
        if let Some(window) = web_sys::window() {
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), 3000);
        }
    });
    socket.set_onopen(Some(opened.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(closed.as_ref().unchecked_ref()));
    // The handlers live as long as the page.
    opened.forget();
    message.forget();
    closed.forget();
    chat.socket
        .set_value(Some(send_wrapper::SendWrapper::new(socket)));
}

fn apply(chat: Chat, event: ChatEvent) {
    match event {
        ChatEvent::Welcome {
            me,
            contacts,
            groups,
        } => {
            chat.me.set(me);
            chat.contacts.set(contacts);
            chat.groups.set(groups);
            chat.off.set(false);
        }
        ChatEvent::Presence { address, status } => chat.contacts.update(|all| {
            if let Some(contact) = all.iter_mut().find(|c| c.address == address) {
                contact.status = status;
            }
        }),
        ChatEvent::Message { line } => {
            let me = chat.me.get_untracked();
            let own = line.from == me;
            let with = if own || chat.is_group(&line.to) {
                line.to.clone()
            } else {
                line.from.clone()
            };
            let mut seen = false;
            chat.with_conversation(&with, |c| {
                if c.lines.iter().any(|l| l.id == line.id) {
                    return;
                }
                if let Some(pending) = c
                    .lines
                    .iter_mut()
                    .find(|l| l.id < 0 && line.client_id.is_some() && l.client_id == line.client_id)
                {
                    *pending = line;
                    return;
                }
                if !own {
                    c.typing = false;
                    if c.open {
                        seen = true;
                    } else {
                        c.unread += 1;
                    }
                }
                c.lines.push(line);
            });
            if seen && chat.status.get_untracked() != ChatStatus::Offline && !chat.is_group(&with) {
                mark_read(chat, &with);
            }
        }
        ChatEvent::Typing {
            from,
            typing,
            group,
        } => {
            let with = group.clone().unwrap_or_else(|| from.clone());
            chat.conversations.update(|all| {
                if let Some(c) = all.iter_mut().find(|c| c.with == with) {
                    c.typing = typing;
                    c.typist = group.is_some().then_some(from);
                }
            });
        }
        ChatEvent::Groups { groups } => chat.groups.set(groups),
        ChatEvent::Received { from, mark } => chat.with_conversation(&from, |c| {
            if !c.received.contains(&mark) {
                c.received.push(mark);
            }
        }),
        ChatEvent::Read { from, mark } => chat.with_conversation(&from, |c| c.read = Some(mark)),
        ChatEvent::History {
            with,
            lines,
            complete,
        } => chat.with_conversation(&with, |c| {
            let mut older: Vec<_> = lines
                .into_iter()
                .filter(|l| !c.lines.iter().any(|k| k.id == l.id))
                .collect();
            older.append(&mut c.lines);
            c.lines = older;
            c.complete = complete;
        }),
        ChatEvent::Refused { id, reason } => chat.conversations.update(|all| {
            for c in all.iter_mut() {
                c.refused.push((id.clone(), reason.clone()));
            }
        }),
        ChatEvent::Contact { address, contact } => chat.contacts.update(|all| {
            all.retain(|c| c.address != address);
            if let Some(contact) = contact {
                all.push(contact);
                all.sort_by(|a, b| a.address.cmp(&b.address));
            }
        }),
        ChatEvent::Found { with, text, lines } => {
            chat.with_conversation(&with, |c| c.found = Some((text, lines)))
        }
        ChatEvent::Off => chat.off.set(true),
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! `GET /chat/socket`: the webmail's chat, one WebSocket per open webmail tab, each one
//! session of the chat hub like an XMPP client's. JSON both ways (`app::chat_wire`).
//!
//! The upgrade is a GET, which the cross-site guard lets through, so the socket checks the
//! browser's `Origin` itself: another site's page cannot open a chat in the user's name.

use std::{collections::HashSet, sync::Arc, time::Duration};

use app::{
    chat_wire::{ChatCommand, ChatContact, ChatEvent, ChatGroupInfo, ChatLine, ChatStatus},
    ports::ClientIp,
};
use axum::{
    Extension,
    extract::{
        State,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

use super::{
    exports::{caller, refusal},
    guard::{OwnOrigin, is_cross_site},
};
use crate::{
    chat::{self, ChatError, ContactChange, Delivery, Signal, Status},
    services::{Services, chat::ChatUser},
};

/// The largest command a browser may send, in bytes (a message of `MAX_BODY` characters
/// fits several times).
const MAX_COMMAND: usize = 64 * 1024;
/// How often the server pings an idle socket, so proxies keep it open.
const PING: Duration = Duration::from_secs(25);
/// Messages a history answer holds.
const HISTORY: u64 = 50;
/// Commands a second a tab may send on average, and at once (typing counts).
const COMMAND_RATE: (f64, f64) = (20.0, 100.0);

pub async fn socket(
    State((services, own)): State<(Arc<Services>, Arc<OwnOrigin>)>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    session: Session,
    upgrade: WebSocketUpgrade,
) -> Response {
    if is_cross_site(&headers, &own) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let Some(caller) = caller(&session, ip).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let user = match services.chat_caller(&caller).await {
        Ok(user) => user,
        Err(err) => return refusal(err),
    };
    upgrade
        .max_message_size(MAX_COMMAND)
        .on_upgrade(move |socket| async move {
            match user {
                Some(user) => serve(socket, services, user).await,
                None => refuse(socket).await,
            }
        })
}

/// Chat is not active for this mailbox: the page says so.
async fn refuse(mut socket: WebSocket) {
    let _ = socket.send(event(&ChatEvent::Off)).await;
    let _ = socket.send(Message::Close(None)).await;
}

fn event(event: &ChatEvent) -> Message {
    Message::Text(serde_json::to_string(event).unwrap_or_default().into())
}

async fn serve(mut socket: WebSocket, services: Arc<Services>, user: ChatUser) {
    let hub = services.chat();
    let mut session = hub.open(
        &user.address,
        &format!("webmail.{:08x}", rand::random::<u32>()),
    );
    let contacts = match services.chat_contacts(&user).await {
        Ok(contacts) => contacts,
        Err(err) => {
            tracing::warn!(%err, "chat contacts not read");
            return;
        }
    };
    let known: HashSet<String> = contacts.iter().map(|c| c.address.clone()).collect();
    let welcome = ChatEvent::Welcome {
        me: user.address.clone(),
        contacts: contacts
            .into_iter()
            .map(|c| ChatContact {
                status: wire_status(hub.status_of(&user.address, &c.address)),
                address: c.address,
                name: c.name,
            })
            .collect(),
        groups: group_infos(&hub.groups_of(&user.address)),
    };
    if socket.send(event(&welcome)).await.is_err() {
        return;
    }
    let mut rate = crate::xmpp::limits::Rate::new(COMMAND_RATE.0, COMMAND_RATE.1);
    let mut ping = tokio::time::interval(PING);
    ping.tick().await;
    let mut tab = Tab {
        services: &services,
        user: &user,
        known,
        sent: Vec::new(),
    };
    loop {
        let outgoing: Vec<ChatEvent> = tokio::select! {
            incoming = socket.recv() => {
                let command = match incoming {
                    Some(Ok(Message::Text(text))) => serde_json::from_str::<ChatCommand>(&text),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                if !rate.take() {
                    // Faster than any person types: the tab is closed (it reconnects).
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                match command {
                    Ok(command) => tab.command(&mut session, command).await,
                    Err(_) => continue,
                }
            }
            delivery = session.recv() => match delivery {
                None => return,
                Some(Delivery::ChatOff) => {
                    let _ = socket.send(event(&ChatEvent::Off)).await;
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                Some(delivery) => tab.delivery(delivery).into_iter().collect(),
            },
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
                continue;
            }
        };
        for out in outgoing {
            if socket.send(event(&out)).await.is_err() {
                return;
            }
        }
    }
}

/// One webmail tab's chat.
struct Tab<'a> {
    services: &'a Services,
    user: &'a ChatUser,
    /// The contacts when the tab connected; a message to anyone else is checked again.
    known: HashSet<String>,
    /// Ids of the messages this tab sent, with the browser's id for each (the last few).
    sent: Vec<(i64, String)>,
}

impl Tab<'_> {
    /// Whether the user may write to `address`: a contact, or a group it is in.
    async fn is_contact(&mut self, address: &str) -> bool {
        let address = address.trim().to_lowercase();
        if self.known.contains(&address) {
            return true;
        }
        if let Some(group) = self.services.chat().group(&address) {
            return group.has_member(&self.user.address);
        }
        match self.services.chat_contact(self.user, &address).await {
            Ok(Some(_)) => {
                self.known.insert(address);
                true
            }
            _ => false,
        }
    }

    async fn command(
        &mut self,
        session: &mut chat::Session,
        command: ChatCommand,
    ) -> Vec<ChatEvent> {
        match command {
            ChatCommand::Status { status } => {
                let status = match status {
                    ChatStatus::Available => Status::Available,
                    ChatStatus::Away => Status::Away,
                    ChatStatus::Busy => Status::Busy,
                    ChatStatus::Offline => Status::Offline,
                };
                let coming_online =
                    session.status() == Status::Offline && status != Status::Offline;
                match session.set_status(status, None).await {
                    Ok(waiting) => {
                        // While offline here the tab heard no presence: it gets today's.
                        let mut events: Vec<ChatEvent> = if coming_online {
                            let hub = self.services.chat();
                            self.known
                                .iter()
                                .map(|address| ChatEvent::Presence {
                                    address: address.clone(),
                                    status: wire_status(hub.status_of(&self.user.address, address)),
                                })
                                .collect()
                        } else {
                            Vec::new()
                        };
                        events.extend(waiting.iter().map(|m| ChatEvent::Message {
                            line: line(m, None, true),
                        }));
                        events
                    }
                    Err(err) => {
                        tracing::warn!(%err, "chat status not set");
                        Vec::new()
                    }
                }
            }
            ChatCommand::Send { to, body, id } => {
                let id: String = id.chars().take(64).collect();
                if !self.is_contact(&to).await {
                    return vec![refused(
                        id,
                        "That address is not one of your chat contacts.",
                    )];
                }
                match session.send(&to, &body, Some(&id)).await {
                    Ok(message) => {
                        self.sent.push((message.id, id.clone()));
                        if self.sent.len() > 200 {
                            self.sent.remove(0);
                        }
                        vec![ChatEvent::Message {
                            line: line(&message, Some(id), false),
                        }]
                    }
                    Err(ChatError::Empty) => Vec::new(),
                    Err(ChatError::TooLong) => vec![refused(id, "The message is too long.")],
                    Err(ChatError::Blocked(_)) => {
                        vec![refused(id, "This contact cannot be reached.")]
                    }
                    Err(ChatError::NotMember) => {
                        vec![refused(id, "You are no longer a member of this group.")]
                    }
                    Err(ChatError::Db(err)) => {
                        tracing::warn!(%err, "a chat message was not kept");
                        vec![refused(id, "The message was not sent; try again.")]
                    }
                }
            }
            ChatCommand::Typing { to, typing } => {
                if self.is_contact(&to).await {
                    session.signal(&to, Signal::Typing(typing));
                }
                Vec::new()
            }
            ChatCommand::Read { to, mark } => {
                if self.is_contact(&to).await {
                    session.signal(&to, Signal::Displayed(mark.chars().take(200).collect()));
                }
                Vec::new()
            }
            ChatCommand::Search { with, text } => {
                let text: String = text.chars().take(200).collect();
                if !self.is_contact(&with).await || text.trim().is_empty() {
                    return Vec::new();
                }
                let query = chat::History {
                    with: Some(with.to_lowercase()),
                    last: true,
                    max: HISTORY,
                    text: Some(text.clone()),
                    ..Default::default()
                };
                match session.history(&query).await {
                    Ok(page) => vec![ChatEvent::Found {
                        with: with.to_lowercase(),
                        text,
                        lines: page
                            .messages
                            .iter()
                            .map(|m| line(m, self.client_id(m.id), false))
                            .collect(),
                    }],
                    Err(err) => {
                        tracing::warn!(%err, "chat history not searched");
                        Vec::new()
                    }
                }
            }
            ChatCommand::History { with, before } => {
                if !self.is_contact(&with).await {
                    return Vec::new();
                }
                let query = chat::History {
                    with: Some(with.to_lowercase()),
                    before,
                    last: true,
                    max: HISTORY,
                    ..Default::default()
                };
                match session.history(&query).await {
                    Ok(page) => vec![ChatEvent::History {
                        with: with.to_lowercase(),
                        lines: page
                            .messages
                            .iter()
                            .map(|m| line(m, self.client_id(m.id), false))
                            .collect(),
                        complete: page.complete,
                    }],
                    Err(err) => {
                        tracing::warn!(%err, "chat history not read");
                        Vec::new()
                    }
                }
            }
        }
    }

    fn client_id(&self, id: i64) -> Option<String> {
        self.sent
            .iter()
            .find(|(sent, _)| *sent == id)
            .map(|(_, client)| client.clone())
    }

    fn delivery(&mut self, delivery: Delivery) -> Option<ChatEvent> {
        if let Delivery::Contact(change) = &delivery {
            if change.name.is_some() {
                self.known.insert(change.address.clone());
            } else {
                self.known.remove(&change.address);
            }
        }
        Some(match delivery {
            Delivery::Message(message) | Delivery::Sent(message) => ChatEvent::Message {
                line: line(&message, None, false),
            },
            Delivery::Presence(presence) => {
                if presence.address == self.user.address {
                    return None;
                }
                ChatEvent::Presence {
                    status: wire_status(
                        self.services
                            .chat()
                            .status_of(&self.user.address, &presence.address),
                    ),
                    address: presence.address.clone(),
                }
            }
            Delivery::Signal(told) if told.to != self.user.address => match told.signal {
                Signal::Typing(typing) => ChatEvent::Typing {
                    from: told.from.clone(),
                    typing,
                    group: Some(told.to.clone()),
                },
                _ => return None,
            },
            Delivery::Signal(told) => {
                let from = told.from.clone();
                match &told.signal {
                    Signal::Typing(typing) => ChatEvent::Typing {
                        from,
                        typing: *typing,
                        group: None,
                    },
                    Signal::Received(mark) => ChatEvent::Received {
                        from,
                        mark: mark.clone(),
                    },
                    Signal::Displayed(mark) => ChatEvent::Read {
                        from,
                        mark: mark.clone(),
                    },
                }
            }
            Delivery::Contact(change) => {
                let ContactChange { address, name } = *change;
                ChatEvent::Contact {
                    contact: name.map(|name| ChatContact {
                        address: address.clone(),
                        name,
                        status: ChatStatus::Offline,
                    }),
                    address,
                }
            }
            Delivery::ChatOff => ChatEvent::Off,
            Delivery::Groups(groups) => ChatEvent::Groups {
                groups: group_infos(&groups.0),
            },
            // Blocking is kept by chat clients; the webmail's view follows from presence.
            // Published items (avatars…) are for chat clients.
            Delivery::Blocklist(_) | Delivery::Pep(_) => return None,
        })
    }
}

fn group_infos(groups: &[Arc<chat::ChatGroup>]) -> Vec<ChatGroupInfo> {
    groups
        .iter()
        .map(|g| ChatGroupInfo {
            address: g.address.clone(),
            name: g.name.clone(),
            members: g.members.clone(),
        })
        .collect()
}

fn refused(id: String, reason: &str) -> ChatEvent {
    ChatEvent::Refused {
        id,
        reason: reason.to_string(),
    }
}

fn wire_status(status: Status) -> ChatStatus {
    match status {
        Status::Available => ChatStatus::Available,
        Status::Away => ChatStatus::Away,
        Status::Busy => ChatStatus::Busy,
        Status::Offline => ChatStatus::Offline,
    }
}

/// A kept message on the wire; its mark is the sender's id for it, as receipts name it.
fn line(message: &chat::ChatMessage, client_id: Option<String>, waiting: bool) -> ChatLine {
    ChatLine {
        id: message.id,
        at: message
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        from: message.from.clone(),
        to: message.to.clone(),
        body: message.body.clone(),
        mark: message
            .origin_id
            .clone()
            .unwrap_or_else(|| message.id.to_string()),
        client_id,
        waiting,
    }
}

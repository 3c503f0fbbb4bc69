// SPDX-License-Identifier: AGPL-3.0-only
//! Messages between two colleagues: what a client sends (kept in the history, then delivered
//! or kept for the recipient's next sign-in; a block or an unknown address is refused with
//! the stanza error it calls for), and a kept message as a client receives it.

use xmpp_parsers::{
    delay::Delay,
    jid::{BareJid, Jid},
    message::{Message, MessageType},
    minidom::Element,
    ns,
    stanza_error::DefinedCondition as StanzaCondition,
    stanza_id::{OriginId, StanzaId},
    stream_error::DefinedCondition as StreamCondition,
};

use crate::chat::{self, ChatError};

use super::{
    session::Connected,
    stream::{End, stanza_error},
    wire::Wire,
};

impl Connected {
    pub(super) async fn message(&mut self, stream: &mut Wire, message: Message) -> Result<(), End> {
        if let Some(Some(group)) = message
            .to
            .as_ref()
            .and_then(|to| super::muc::on_service(to, chat::domain_of(&self.user.address)))
        {
            return self.room_send(stream, message, group).await;
        }
        let Some((_, body)) = message.get_best_body_cloned(vec![]) else {
            return self.relay_signal(&message).await;
        };
        let reply_error = |condition, text: &str| {
            let mut error = Message::new(message.to.clone());
            error.type_ = MessageType::Error;
            error.id = message.id.clone();
            error.from = message.to.clone();
            error.payloads = vec![Element::from(stanza_error(condition, text))];
            error
        };
        if message.type_ == MessageType::Groupchat {
            stream
                .send(&reply_error(
                    StanzaCondition::NotAcceptable,
                    "Group chats are at the group chat service (conference.<domain>).",
                ))
                .await?;
            return Ok(());
        }
        let Some(to) = message.to.as_ref().map(|to| to.to_bare()) else {
            return Ok(());
        };
        let contact = self
            .service
            .services
            .chat_contact(&self.user, to.as_str())
            .await
            .map_err(|err| {
                tracing::warn!(%err, "a chat contact was not checked");
                End::with(StreamCondition::InternalServerError, "Try again later.")
            })?;
        if contact.is_none() {
            stream
                .send(&reply_error(
                    StanzaCondition::ServiceUnavailable,
                    "That address is not a chat contact of yours.",
                ))
                .await?;
            return Ok(());
        }
        let origin = origin_id(&message);
        match self.hub.send(to.as_str(), &body, origin.as_deref()).await {
            Ok(_) | Err(ChatError::Empty) => Ok(()),
            Err(ChatError::Blocked(by_sender)) => {
                // XEP-0191 §3.5 and §3.6: one's own block is named; someone else's is not.
                let mut error = if by_sender {
                    reply_error(
                        StanzaCondition::NotAcceptable,
                        "You blocked this contact: unblock it to write.",
                    )
                } else {
                    reply_error(
                        StanzaCondition::ServiceUnavailable,
                        "This contact cannot be reached.",
                    )
                };
                if by_sender {
                    let mut blocked = stanza_error(
                        StanzaCondition::NotAcceptable,
                        "You blocked this contact: unblock it to write.",
                    );
                    blocked.other = Some(Element::from(xmpp_parsers::blocking::Blocked));
                    error.payloads = vec![Element::from(blocked)];
                }
                stream.send(&error).await?;
                Ok(())
            }
            Err(ChatError::NotMember) => {
                stream
                    .send(&reply_error(
                        StanzaCondition::ServiceUnavailable,
                        "That address is not a chat contact of yours.",
                    ))
                    .await?;
                Ok(())
            }
            Err(ChatError::TooLong) => {
                stream
                    .send(&reply_error(
                        StanzaCondition::PolicyViolation,
                        "The message is too long.",
                    ))
                    .await?;
                Ok(())
            }
            Err(ChatError::Db(err)) => {
                tracing::warn!(%err, "a chat message was not kept");
                stream
                    .send(&reply_error(
                        StanzaCondition::InternalServerError,
                        "The message was not sent; try again.",
                    ))
                    .await?;
                Ok(())
            }
        }
    }

    /// A kept message as this session receives it; one kept while the user was away says
    /// when it was sent (XEP-0203).
    pub(super) fn outgoing(&self, message: &chat::ChatMessage, delayed: bool) -> Message {
        let from = sender_jid(message);
        let mut stanza = Message::chat(Some(Jid::from(self.jid.clone())))
            .with_body(String::new().into(), message.body.clone());
        stanza.from = from;
        stanza.id = Some(xmpp_parsers::message::Id(
            message
                .origin_id
                .clone()
                .unwrap_or_else(|| message.id.to_string()),
        ));
        if let Ok(by) = BareJid::new(&self.user.address) {
            stanza.payloads.push(Element::from(StanzaId {
                id: message.id.to_string(),
                by: Jid::from(by),
            }));
        }
        if let Some(origin) = &message.origin_id {
            stanza
                .payloads
                .push(Element::from(OriginId { id: origin.clone() }));
        }
        // Asks the recipient's client for receipts and read markers, which come back as
        // signals to the sender.
        stanza
            .payloads
            .push(Element::builder("request", ns::RECEIPTS).build());
        stanza
            .payloads
            .push(Element::builder("markable", ns::DISPLAYED_MARKERS).build());
        if delayed {
            stanza.payloads.push(Element::from(Delay {
                from: BareJid::new(chat::domain_of(&self.user.address))
                    .ok()
                    .map(Jid::from),
                stamp: xmpp_parsers::date::DateTime(message.at.fixed_offset()),
                data: None,
            }));
        }
        stanza
    }
}

/// The id a client gave its message (XEP-0359's origin-id, else the stanza's id), which
/// receipts and markers name it by.
pub(super) fn origin_id(message: &Message) -> Option<String> {
    message
        .payloads
        .iter()
        .find(|p| p.is("origin-id", ns::SID))
        .and_then(|p| p.attr("id"))
        .map(str::to_string)
        .or_else(|| message.id.as_ref().map(|id| id.0.clone()))
}

/// The sender of a kept message, with its resource when known.
pub(super) fn sender_jid(message: &chat::ChatMessage) -> Option<Jid> {
    BareJid::new(&message.from).ok().map(|bare| {
        if message.from_resource.is_empty() {
            Jid::from(bare)
        } else {
            bare.with_resource_str(&message.from_resource)
                .map(Jid::from)
                .unwrap_or_else(|_| Jid::from(bare))
        }
    })
}

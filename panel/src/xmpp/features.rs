// SPDX-License-Identifier: AGPL-3.0-only
//! What a bound session asks the server for besides messages and presence: the contact list
//! and its pushes (RFC 6121), the archive (XEP-0313), names (XEP-0054), copies of one's own
//! messages (XEP-0280), typing, receipts and read markers (XEP-0085, 0184, 0333), and the
//! block list (XEP-0191), and slots for shared files (XEP-0363).

use xmpp_parsers::{
    blocking::{Block, BlocklistResult, Unblock},
    delay::Delay,
    http_upload::{Get, Put, SlotRequest, SlotResult},
    iq::Iq,
    jid::{BareJid, Jid},
    message::Message,
    minidom::Element,
    ns,
    roster::{Group, Item, Roster, Subscription},
    stanza_error::{DefinedCondition as StanzaCondition, ErrorType, StanzaError},
    stream_error::DefinedCondition as StreamCondition,
};

use crate::chat::{self, Signal};

use super::{
    messages::sender_jid,
    session::Connected,
    stream::{End, stanza_error},
    wire::Wire,
};

impl Connected {
    /// A colleague joined or left the contact list (RFC 6121 §2.1.6): the server's own
    /// roster push.
    pub(super) fn roster_push(&mut self, address: &str, name: Option<String>) -> Option<Iq> {
        let jid = BareJid::new(address).ok()?;
        let item = Item {
            jid,
            subscription: if name.is_some() {
                Subscription::Both
            } else {
                Subscription::Remove
            },
            groups: if name.is_some() {
                vec![Group(chat::domain_of(&self.user.address).to_string())]
            } else {
                Vec::new()
            },
            name,
            ask: Default::default(),
            approved: None,
        };
        self.pings += 1;
        Some(
            Iq::from_set(
                format!("push-{}", self.pings),
                Roster {
                    ver: None,
                    items: vec![item],
                },
            )
            .with_to(Jid::from(self.jid.clone())),
        )
    }

    pub(super) async fn roster(&self) -> Result<Roster, StanzaError> {
        let contacts = self
            .service
            .services
            .chat_contacts(&self.user)
            .await
            .map_err(|err| {
                tracing::warn!(%err, "contacts not read");
                stanza_error(StanzaCondition::InternalServerError, "Try again later.")
            })?;
        let group = chat::domain_of(&self.user.address).to_string();
        let items = contacts
            .into_iter()
            .filter_map(|contact| {
                Some(Item {
                    jid: BareJid::new(&contact.address).ok()?,
                    name: Some(contact.name),
                    subscription: Subscription::Both,
                    ask: Default::default(),
                    groups: vec![Group(group.clone())],
                    approved: None,
                })
            })
            .collect();
        Ok(Roster { ver: None, items })
    }

    /// Typing (XEP-0085), receipts (XEP-0184) and read markers (XEP-0333) to a contact:
    /// shown, never kept.
    pub(super) async fn relay_signal(&mut self, message: &Message) -> Result<(), End> {
        let Some(to) = message.to.as_ref().map(|to| to.to_bare()) else {
            return Ok(());
        };
        let signal = message.payloads.iter().find_map(|p| {
            if p.ns() == ns::CHATSTATES {
                Some(Signal::Typing(p.name() == "composing"))
            } else if p.is("received", ns::RECEIPTS) {
                p.attr("id").map(|id| Signal::Received(id.to_string()))
            } else if p.is("displayed", ns::DISPLAYED_MARKERS) {
                p.attr("id").map(|id| Signal::Displayed(id.to_string()))
            } else {
                None
            }
        });
        let Some(signal) = signal else {
            return Ok(());
        };
        let contact = self
            .service
            .services
            .chat_contact(&self.user, to.as_str())
            .await
            .map_err(|_| End::with(StreamCondition::InternalServerError, "Try again later."))?;
        if contact.is_some() {
            self.hub.signal(to.as_str(), signal);
        }
        Ok(())
    }

    pub(super) fn signal_stanza(
        &self,
        from: &str,
        from_resource: &str,
        signal: &Signal,
    ) -> Option<Message> {
        let from = BareJid::new(from).ok()?;
        let from = from
            .with_resource_str(from_resource)
            .map(Jid::from)
            .unwrap_or_else(|_| Jid::from(from));
        let mut stanza = Message::chat(Some(Jid::from(self.jid.clone())));
        stanza.from = Some(from);
        let payload = match signal {
            Signal::Typing(true) => Element::builder("composing", ns::CHATSTATES).build(),
            Signal::Typing(false) => Element::builder("paused", ns::CHATSTATES).build(),
            Signal::Received(id) => Element::builder("received", ns::RECEIPTS)
                .attr(rxml::xml_ncname!("id").to_owned(), id.as_str())
                .build(),
            Signal::Displayed(id) => Element::builder("displayed", ns::DISPLAYED_MARKERS)
                .attr(rxml::xml_ncname!("id").to_owned(), id.as_str())
                .build(),
        };
        stanza.payloads.push(payload);
        Some(stanza)
    }

    /// A copy of what the user sent from another session (XEP-0280).
    pub(super) fn carbon(&self, message: &chat::ChatMessage) -> Message {
        let mut copy = Message::chat(Some(Jid::from(self.jid.clone())));
        copy.from = BareJid::new(&self.user.address).ok().map(Jid::from);
        let forwarded = xmpp_parsers::forwarding::Forwarded {
            delay: None,
            message: self.archived(message),
        };
        copy.payloads.push(
            Element::builder("sent", ns::CARBONS)
                .append(Element::from(forwarded))
                .build(),
        );
        copy
    }

    /// A kept message as history shows it: from the sender (with its resource when known)
    /// to the recipient.
    pub(super) fn archived(&self, message: &chat::ChatMessage) -> Message {
        let to = BareJid::new(&message.to).ok().map(Jid::from);
        let mut stanza = Message::chat(to).with_body(String::new().into(), message.body.clone());
        stanza.from = sender_jid(message);
        stanza.id = Some(xmpp_parsers::message::Id(
            message
                .origin_id
                .clone()
                .unwrap_or_else(|| message.id.to_string()),
        ));
        stanza
    }

    /// A MAM query (XEP-0313): the matching messages, each in its own `<result/>`, then the
    /// `<fin/>` for the answer.
    ///
    /// With `room` (a group alias's address), the query is to that group chat's archive:
    /// the group's history, each message as the room shows it.
    pub(super) async fn archive(
        &mut self,
        stream: &mut Wire,
        payload: Element,
        room: Option<String>,
    ) -> Result<Result<Element, StanzaError>, End> {
        let Ok(query) = xmpp_parsers::mam::Query::try_from(payload) else {
            return Ok(Err(stanza_error(
                StanzaCondition::BadRequest,
                "Not a MAM query.",
            )));
        };
        let mut history = chat::History {
            max: chat::HISTORY_PAGE,
            ..Default::default()
        };
        if let Some(form) = &query.form {
            for field in &form.fields {
                let value = field.values.first().map(String::as_str).unwrap_or_default();
                let time = || {
                    chrono::DateTime::parse_from_rfc3339(value)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .ok()
                };
                match field.var.as_deref() {
                    Some("with") => {
                        let Ok(with) = Jid::new(value) else {
                            return Ok(Err(stanza_error(
                                StanzaCondition::BadRequest,
                                "Bad 'with'.",
                            )));
                        };
                        history.with = Some(with.to_bare().to_string());
                    }
                    Some("start") => history.start = time(),
                    Some("end") => history.end = time(),
                    Some("after-id") => history.after = value.parse().ok(),
                    Some("{urn:xmpp:fulltext:0}fulltext") => history.text = Some(value.to_string()),
                    Some("before-id") => history.before = value.parse().ok(),
                    _ => {}
                }
            }
        }
        let room = match room {
            Some(group) => {
                let Some(jid) = super::muc::room_of(&group) else {
                    return Ok(Err(stanza_error(
                        StanzaCondition::ItemNotFound,
                        "No such group chat.",
                    )));
                };
                // A room's archive is its own: whatever `with` said, it is the group.
                history.with = Some(group);
                Some(jid)
            }
            None => None,
        };
        if let Some(set) = &query.set {
            if let Some(max) = set.max {
                history.max = (max as u64).min(chat::HISTORY_PAGE);
            }
            if let Some(after) = set.after.as_deref().filter(|a| !a.is_empty()) {
                let Ok(after) = after.parse() else {
                    return Ok(Err(stanza_error(
                        StanzaCondition::ItemNotFound,
                        "No such message.",
                    )));
                };
                history.after = Some(after);
            }
            match set.before.as_deref() {
                Some("") => history.last = true,
                Some(before) => {
                    let Ok(before) = before.parse() else {
                        return Ok(Err(stanza_error(
                            StanzaCondition::ItemNotFound,
                            "No such message.",
                        )));
                    };
                    history.before = Some(before);
                    history.last = true;
                }
                None => {}
            }
        }
        let page = match self.hub.history(&history).await {
            Ok(page) => page,
            Err(chat::ChatError::NotMember) => {
                return Ok(Err(stanza_error(
                    StanzaCondition::ItemNotFound,
                    "No such group chat.",
                )));
            }
            Err(err) => {
                tracing::warn!(%err, "chat history not read");
                return Ok(Err(stanza_error(
                    StanzaCondition::InternalServerError,
                    "Try again later.",
                )));
            }
        };
        for message in &page.messages {
            let result = xmpp_parsers::mam::Result_ {
                id: message.id.to_string(),
                queryid: query.queryid.clone(),
                forwarded: xmpp_parsers::forwarding::Forwarded {
                    delay: Some(Delay {
                        from: None,
                        stamp: xmpp_parsers::date::DateTime(message.at.fixed_offset()),
                        data: None,
                    }),
                    message: match &room {
                        Some(room) => self.room_message(room, message, false),
                        None => self.archived(message),
                    },
                },
            };
            let mut wrapper = Message::new(Some(Jid::from(self.jid.clone())));
            wrapper.from = room.clone().map(Jid::from);
            wrapper.payloads.push(Element::from(result));
            stream.send(&wrapper).await?;
        }
        let fin = xmpp_parsers::mam::Fin {
            complete: page.complete,
            set: xmpp_parsers::rsm::SetResult {
                first: page.messages.first().map(|m| xmpp_parsers::rsm::First {
                    index: None,
                    item: m.id.to_string(),
                }),
                last: page.messages.last().map(|m| m.id.to_string()),
                count: None,
            },
        };
        Ok(Ok(Element::from(fin)))
    }

    /// The block list (XEP-0191): asked for, added to, taken from (all of it when the
    /// request names nobody).
    pub(super) async fn blocking(
        &mut self,
        payload: Element,
        set: bool,
    ) -> Result<Option<Element>, StanzaError> {
        let hub = self.service.services.chat();
        let unavailable = |err: sea_orm::DbErr| {
            tracing::warn!(%err, "a block list was not changed");
            stanza_error(StanzaCondition::InternalServerError, "Try again later.")
        };
        let bare = |items: Vec<Jid>| -> Vec<String> {
            items
                .into_iter()
                .map(|jid| jid.to_bare().to_string())
                .collect()
        };
        if !set && payload.name() == "blocklist" {
            let items = hub
                .blocklist(&self.user.address)
                .iter()
                .filter_map(|address| Jid::new(address).ok())
                .collect();
            return Ok(Some(Element::from(BlocklistResult { items })));
        }
        if set && payload.name() == "block" {
            let Ok(block) = Block::try_from(payload) else {
                return Err(stanza_error(
                    StanzaCondition::BadRequest,
                    "Not a block request.",
                ));
            };
            if block.items.is_empty() {
                return Err(stanza_error(
                    StanzaCondition::BadRequest,
                    "Name whom to block.",
                ));
            }
            let kept = hub
                .set_blocked(&self.user.address, &bare(block.items), true)
                .await
                .map_err(unavailable)?;
            if !kept {
                return Err(StanzaError::new(
                    ErrorType::Cancel,
                    StanzaCondition::ResourceConstraint,
                    "en",
                    "The block list is full.",
                ));
            }
            return Ok(None);
        }
        if set && payload.name() == "unblock" {
            let Ok(unblock) = Unblock::try_from(payload) else {
                return Err(stanza_error(
                    StanzaCondition::BadRequest,
                    "Not an unblock request.",
                ));
            };
            if unblock.items.is_empty() {
                hub.unblock_all(&self.user.address)
                    .await
                    .map_err(unavailable)?;
            } else {
                hub.set_blocked(&self.user.address, &bare(unblock.items), false)
                    .await
                    .map_err(unavailable)?;
            }
            return Ok(None);
        }
        Err(stanza_error(
            StanzaCondition::BadRequest,
            "Not a block list request.",
        ))
    }

    /// The server's push of a block list change to the user's sessions (XEP-0191 §3.3).
    pub(super) fn blocklist_push(&mut self, addresses: Vec<String>, blocked: bool) -> Iq {
        let items: Vec<Jid> = addresses
            .iter()
            .filter_map(|address| Jid::new(address).ok())
            .collect();
        self.pings += 1;
        let id = format!("push-{}", self.pings);
        let iq = if blocked {
            Iq::from_set(id, Block { items })
        } else {
            Iq::from_set(id, Unblock { items })
        };
        iq.with_to(Jid::from(self.jid.clone()))
    }

    /// A slot for a file to share (XEP-0363): where to put it and where it will be.
    pub(super) async fn upload_slot(
        &self,
        payload: Element,
    ) -> Result<Option<Element>, StanzaError> {
        use crate::services::chat_files::SlotRefusal;
        let Ok(request) = SlotRequest::try_from(payload) else {
            return Err(stanza_error(
                StanzaCondition::BadRequest,
                "Not a slot request.",
            ));
        };
        let services = &self.service.services;
        let slot = services
            .chat_upload_slot(
                &self.user,
                &request.filename,
                request.size,
                request.content_type.as_deref(),
                self.service.max_upload_bytes,
            )
            .await
            .map_err(|err| {
                tracing::warn!(%err, "an upload slot was not made");
                stanza_error(StanzaCondition::InternalServerError, "Try again later.")
            })?;
        match slot {
            Ok(slot) => {
                let url = crate::http::chat_files::file_url(
                    &services.mail_endpoints().public_url,
                    &slot.token,
                    &slot.name,
                );
                Ok(Some(Element::from(SlotResult {
                    put: Put {
                        url: url.clone(),
                        headers: Vec::new(),
                    },
                    get: Get { url },
                })))
            }
            Err(SlotRefusal::TooLarge(max)) => {
                let mut error = StanzaError::new(
                    ErrorType::Modify,
                    StanzaCondition::NotAcceptable,
                    "en",
                    format!("The file is larger than {max} bytes, the most this server takes."),
                );
                error.other = Some(
                    Element::builder("file-too-large", ns::HTTP_UPLOAD)
                        .append(
                            Element::builder("max-file-size", ns::HTTP_UPLOAD)
                                .append(max.to_string())
                                .build(),
                        )
                        .build(),
                );
                Err(error)
            }
            Err(SlotRefusal::NoRoom(free)) => Err(StanzaError::new(
                ErrorType::Wait,
                StanzaCondition::ResourceConstraint,
                "en",
                format!(
                    "Your mailbox is full ({free} bytes free): delete some mail or files to share this one."
                ),
            )),
            Err(SlotRefusal::Invalid(reason)) => {
                Err(stanza_error(StanzaCondition::BadRequest, reason))
            }
        }
    }

    /// A contact's (or the user's own) card (XEP-0054): the name the panel has.
    pub(super) async fn vcard(&self, to: Option<&Jid>) -> Result<Option<Element>, StanzaError> {
        let name = match to {
            None => Some(self.user.name.clone()),
            Some(to) if to.as_str() == self.user.address => Some(self.user.name.clone()),
            Some(to) => self
                .service
                .services
                .chat_contact(&self.user, to.to_bare().as_str())
                .await
                .map_err(|_| {
                    stanza_error(StanzaCondition::InternalServerError, "Try again later.")
                })?
                .map(|contact| contact.name),
        };
        let Some(name) = name else {
            return Err(stanza_error(
                StanzaCondition::ServiceUnavailable,
                "Not a contact of yours.",
            ));
        };
        Ok(Some(
            Element::builder("vCard", ns::VCARD)
                .append(
                    Element::builder("FN", ns::VCARD)
                        .append(name.as_str())
                        .build(),
                )
                .build(),
        ))
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! Group chats for chat clients (XEP-0045): each group alias of the user's domain is a
//! members-only, persistent room on the domain's group chat service
//! (`conference.<domain>`): `vendite@demo.test` is the room `vendite@conference.demo.test`.
//! The room is the same conversation the webmail shows for the group, through the same hub:
//! its occupants are the members who are online (in a client or in the webmail), each named
//! by the part of its address before the `@`; its archive (XEP-0313) is the group's history;
//! and the rooms a user belongs to are its bookmarks (XEP-0402, and XEP-0048 through private
//! storage for older clients), which the server keeps: they follow the domain's group aliases.

use std::sync::Arc;

use xmpp_parsers::{
    delay::Delay,
    disco::{DiscoInfoResult, DiscoItemsResult, Identity, Item as DiscoItem},
    jid::{BareJid, FullJid, Jid},
    message::{Message, MessageType},
    minidom::Element,
    muc::user::{Affiliation, Item, MucUser, Role, Status as MucStatus},
    ns,
    presence::{Presence, Show, Type as PresenceType},
    stanza_error::{DefinedCondition as StanzaCondition, StanzaError},
    stanza_id::{OriginId, StanzaId},
};

use crate::chat::{self, ChatError, ChatGroup, Signal, Status};

use super::{
    session::Connected,
    stream::{End, stanza_error},
    wire::Wire,
};

/// Rooms answer their occupants' self-pings themselves (XEP-0410).
const SELF_PING: &str = "http://jabber.org/protocol/muc#self-ping-optimization";

/// Messages a room sends a client that joins without saying how many it wants.
const JOIN_HISTORY: u64 = 20;

/// The group chat service of a domain.
pub(super) fn service_of(domain: &str) -> String {
    format!("conference.{domain}")
}

/// The room of a group alias.
pub(super) fn room_of(group: &str) -> Option<BareJid> {
    let (local, domain) = group.rsplit_once('@')?;
    BareJid::new(&format!("{local}@{}", service_of(domain))).ok()
}

/// What a member is called in rooms: its address's part before the `@`.
pub(super) fn nick_of(address: &str) -> &str {
    address.split_once('@').map_or(address, |(local, _)| local)
}

/// An address on the group chat service of `domain`: the service itself (`None` inside) or
/// one of its rooms (the group alias's address).
pub(super) fn on_service(jid: &Jid, domain: &str) -> Option<Option<String>> {
    let service = service_of(domain);
    if jid.domain().as_str() != service {
        return None;
    }
    Some(jid.node().map(|node| format!("{}@{domain}", node.as_str())))
}

/// The room's full address of one member, as an occupant.
fn occupant(room: &BareJid, member: &str) -> Option<FullJid> {
    room.with_resource_str(nick_of(member)).ok()
}

fn muc_error(condition: StanzaCondition, text: &str) -> StanzaError {
    stanza_error(condition, text)
}

impl Connected {
    /// The group with this address, if the user is one of its members.
    fn membership(&self, group: &str) -> Option<Arc<ChatGroup>> {
        self.service
            .services
            .chat()
            .group(group)
            .filter(|g| g.has_member(&self.user.address))
    }

    /// A presence sent to a room: joining it (or changing one's presence in it), or leaving.
    pub(super) async fn room_presence(
        &mut self,
        stream: &mut Wire,
        presence: Presence,
        group: String,
    ) -> Result<(), End> {
        let Some(to) = presence.to.clone() else {
            return Ok(());
        };
        let error = |condition, text: &str| {
            let mut error = Presence::new(PresenceType::Error);
            error.from = Some(to.clone());
            error.id = presence.id.clone();
            error.payloads = vec![
                Element::builder("x", ns::MUC).build(),
                Element::from(muc_error(condition, text)),
            ];
            error
        };
        let Some(group) = self.membership(&group) else {
            // Members-only (XEP-0045 §7.2.6): who is not a member is not let in.
            if presence.type_ == PresenceType::None {
                stream
                    .send(&error(
                        StanzaCondition::RegistrationRequired,
                        "Only the members of this group alias can join its group chat.",
                    ))
                    .await?;
            }
            return Ok(());
        };
        let Some(room) = room_of(&group.address) else {
            return Ok(());
        };
        let Some(me) = occupant(&room, &self.user.address) else {
            return Ok(());
        };
        match presence.type_ {
            PresenceType::Unavailable => {
                if self.rooms.remove(&group.address) {
                    let mut gone = Presence::new(PresenceType::Unavailable);
                    gone.from = Some(Jid::from(me.clone()));
                    gone.to = Some(Jid::from(self.jid.clone()));
                    gone.payloads.push(Element::from(
                        MucUser::new()
                            .with_statuses(vec![MucStatus::SelfPresence])
                            .with_items(vec![self.item(&self.user.address, Role::None)]),
                    ));
                    stream.send(&gone).await?;
                }
                Ok(())
            }
            PresenceType::None => {
                let join = presence.payloads.iter().find(|p| p.is("x", ns::MUC));
                if join.is_none() && self.rooms.contains(&group.address) {
                    // Already in: a presence change, which the user's presence already says.
                    return Ok(());
                }
                // A join, or a client joining again (after a reconnection): it is told the
                // room afresh.
                let history = join
                    .and_then(|x| xmpp_parsers::muc::Muc::try_from(x.clone()).ok())
                    .and_then(|muc| muc.history);
                self.join(stream, &group, &room, me, &to, history).await
            }
            _ => Ok(()),
        }
    }

    /// Joins a room (XEP-0045 §7.2): the occupants, the user's own presence (with the nick
    /// the service assigns when it differs), the recent history, then the subject.
    async fn join(
        &mut self,
        stream: &mut Wire,
        group: &ChatGroup,
        room: &BareJid,
        me: FullJid,
        asked: &Jid,
        history: Option<xmpp_parsers::muc::muc::History>,
    ) -> Result<(), End> {
        let hub = self.service.services.chat();
        for member in group.members.iter().filter(|m| **m != self.user.address) {
            let status = hub.status_of(&self.user.address, member);
            if status != Status::Offline
                && let Some(presence) = self.occupant_presence(room, member, status)
            {
                stream.send(&presence).await?;
            }
        }
        let mut codes = vec![MucStatus::SelfPresence, MucStatus::ConfigRoomLoggingEnabled];
        if asked.resource().map(|r| r.as_str()) != Some(me.resource().as_str()) {
            codes.push(MucStatus::AssignedNick);
        }
        let mut own = Presence::available();
        own.from = Some(Jid::from(me));
        own.to = Some(Jid::from(self.jid.clone()));
        own.payloads.push(Element::from(
            MucUser::new()
                .with_statuses(codes)
                .with_items(vec![self.item(&self.user.address, Role::Participant)]),
        ));
        stream.send(&own).await?;
        self.rooms.insert(group.address.clone());

        let wanted = history
            .as_ref()
            .and_then(|h| h.maxstanzas)
            .map_or(JOIN_HISTORY, u64::from)
            .min(chat::HISTORY_PAGE);
        if wanted > 0 {
            let query = chat::History {
                with: Some(group.address.clone()),
                last: true,
                max: wanted,
                start: history
                    .as_ref()
                    .and_then(|h| h.since.as_ref())
                    .map(|since| since.0.with_timezone(&chrono::Utc)),
                ..Default::default()
            };
            match self.hub.history(&query).await {
                Ok(page) => {
                    for message in &page.messages {
                        stream.send(&self.room_message(room, message, true)).await?;
                    }
                }
                Err(err) => tracing::warn!(%err, "group chat history not read"),
            }
        }
        // The subject comes last: it tells the client the join is complete (§7.2.15).
        let mut subject = Message::new(Some(Jid::from(self.jid.clone())));
        subject.type_ = MessageType::Groupchat;
        subject.from = Some(Jid::from(room.clone()));
        subject
            .subjects
            .insert(String::new().into(), group.name.clone());
        Ok(stream.send(&subject).await?)
    }

    /// An occupant's presence in a room: its affiliation (member), role and real address.
    fn occupant_presence(&self, room: &BareJid, member: &str, status: Status) -> Option<Presence> {
        let from = occupant(room, member)?;
        let mut presence = match status {
            Status::Offline => Presence::new(PresenceType::Unavailable),
            Status::Available => Presence::available(),
            Status::Away => Presence::available().with_show(Show::Away),
            Status::Busy => Presence::available().with_show(Show::Dnd),
        };
        presence.from = Some(Jid::from(from));
        presence.to = Some(Jid::from(self.jid.clone()));
        let role = if status == Status::Offline {
            Role::None
        } else {
            Role::Participant
        };
        presence.payloads.push(Element::from(
            MucUser::new().with_items(vec![self.item(member, role)]),
        ));
        Some(presence)
    }

    fn item(&self, member: &str, role: Role) -> Item {
        Item::new(Affiliation::Member, role).with_nick(nick_of(member))
    }

    /// A member's presence changed: the rooms the user has joined with that member show it.
    pub(super) fn room_presences(&self, address: &str) -> Vec<Presence> {
        if address == self.user.address || self.rooms.is_empty() {
            return Vec::new();
        }
        let hub = self.service.services.chat();
        let status = hub.status_of(&self.user.address, address);
        self.rooms
            .iter()
            .filter_map(|group| hub.group(group))
            .filter(|group| group.has_member(address))
            .filter_map(|group| {
                let room = room_of(&group.address)?;
                self.occupant_presence(&room, address, status)
            })
            .collect()
    }

    /// A message of a group, as a room the user joined shows it: from the sender's
    /// occupant address, with the archive's id; one from the archive says when it was sent.
    pub(super) fn room_message(
        &self,
        room: &BareJid,
        message: &chat::ChatMessage,
        delayed: bool,
    ) -> Message {
        let mut stanza = Message::groupchat(Some(Jid::from(self.jid.clone())))
            .with_body(String::new().into(), message.body.clone());
        stanza.from = occupant(room, &message.from).map(Jid::from);
        stanza.id = Some(xmpp_parsers::message::Id(
            message
                .origin_id
                .clone()
                .unwrap_or_else(|| message.id.to_string()),
        ));
        stanza.payloads.push(Element::from(StanzaId {
            id: message.id.to_string(),
            by: Jid::from(room.clone()),
        }));
        if let Some(origin) = &message.origin_id {
            stanza
                .payloads
                .push(Element::from(OriginId { id: origin.clone() }));
        }
        if delayed {
            stanza.payloads.push(Element::from(Delay {
                from: Some(Jid::from(room.clone())),
                stamp: xmpp_parsers::date::DateTime(message.at.fixed_offset()),
                data: None,
            }));
        }
        stanza
    }

    /// Whether a kept message went to a group (rather than to a contact).
    pub(super) fn to_group(&self, message: &chat::ChatMessage) -> bool {
        message.to != self.user.address && self.service.services.chat().group(&message.to).is_some()
    }

    /// A group's message for this session: shown in the room if the user joined it.
    pub(super) fn group_delivery(&self, message: &chat::ChatMessage) -> Option<Message> {
        if !self.rooms.contains(&message.to) {
            return None;
        }
        Some(self.room_message(&room_of(&message.to)?, message, false))
    }

    /// Typing in a group, shown in its room if the user joined it.
    pub(super) fn group_typing(&self, group: &str, from: &str, typing: bool) -> Option<Message> {
        if !self.rooms.contains(group) || from == self.user.address {
            return None;
        }
        let room = room_of(group)?;
        let mut stanza = Message::groupchat(Some(Jid::from(self.jid.clone())));
        stanza.from = occupant(&room, from).map(Jid::from);
        let state = if typing { "composing" } else { "paused" };
        stanza
            .payloads
            .push(Element::builder(state, ns::CHATSTATES).build());
        Some(stanza)
    }

    /// A message the client sent to a room: kept in the group's history and delivered to
    /// every member; the sender's own copy comes back to it as the room's echo (§7.4).
    pub(super) async fn room_send(
        &mut self,
        stream: &mut Wire,
        message: Message,
        group: String,
    ) -> Result<(), End> {
        let error = |condition, text: &str| {
            let mut error = Message::new(message.from.clone());
            error.type_ = MessageType::Error;
            error.id = message.id.clone();
            error.from = message.to.clone();
            error.payloads = vec![Element::from(muc_error(condition, text))];
            error
        };
        let private = message
            .to
            .as_ref()
            .is_some_and(|to| to.resource().is_some());
        if private || message.type_ != MessageType::Groupchat {
            return Ok(stream
                .send(&error(
                    StanzaCondition::NotAcceptable,
                    "Private messages go to the colleague's own address.",
                ))
                .await?);
        }
        if !self.rooms.contains(&group) {
            return Ok(stream
                .send(&error(
                    StanzaCondition::NotAcceptable,
                    "Join the group chat before writing to it.",
                ))
                .await?);
        }
        let Some((_, body)) = message.get_best_body_cloned(vec![]) else {
            // Typing in the room.
            let typing = message.payloads.iter().find(|p| p.ns() == ns::CHATSTATES);
            if let Some(state) = typing {
                self.hub
                    .signal(&group, Signal::Typing(state.name() == "composing"));
            }
            return Ok(());
        };
        let origin = super::messages::origin_id(&message);
        match self.hub.send(&group, &body, origin.as_deref()).await {
            Ok(kept) => {
                let Some(room) = room_of(&group) else {
                    return Ok(());
                };
                let mut echo = self.room_message(&room, &kept, false);
                echo.id = message.id.clone();
                Ok(stream.send(&echo).await?)
            }
            Err(ChatError::Empty) => Ok(()),
            Err(ChatError::NotMember) => Ok(stream
                .send(&error(
                    StanzaCondition::Forbidden,
                    "You are no longer a member of this group alias.",
                ))
                .await?),
            Err(ChatError::TooLong) => Ok(stream
                .send(&error(
                    StanzaCondition::PolicyViolation,
                    "The message is too long.",
                ))
                .await?),
            Err(err) => {
                tracing::warn!(%err, "a group chat message was not kept");
                Ok(stream
                    .send(&error(
                        StanzaCondition::InternalServerError,
                        "The message was not sent; try again.",
                    ))
                    .await?)
            }
        }
    }

    /// The user's groups changed: the rooms it is no longer in are left (it was removed).
    pub(super) fn rooms_left(&mut self, groups: &[Arc<ChatGroup>]) -> Vec<Presence> {
        let mut gone = Vec::new();
        let left: Vec<String> = self
            .rooms
            .iter()
            .filter(|r| !groups.iter().any(|g| &g.address == *r))
            .cloned()
            .collect();
        for group in left {
            self.rooms.remove(&group);
            let Some(me) = room_of(&group).and_then(|room| occupant(&room, &self.user.address))
            else {
                continue;
            };
            let mut presence = Presence::new(PresenceType::Unavailable);
            presence.from = Some(Jid::from(me));
            presence.to = Some(Jid::from(self.jid.clone()));
            presence.payloads.push(Element::from(
                MucUser::new()
                    .with_statuses(vec![MucStatus::SelfPresence, MucStatus::RemovalFromRoom])
                    .with_items(vec![self.item(&self.user.address, Role::None)]),
            ));
            gone.push(presence);
        }
        gone
    }

    /// A ping to a room or one of its occupants (XEP-0199, XEP-0410). A client pings its own
    /// occupant to learn whether it is still in the room: answered here, without asking the
    /// client (self-ping optimisation); `not-acceptable` says it is not, and should join
    /// again. Other occupants' clients are not asked either.
    #[allow(clippy::result_large_err)]
    pub(super) fn room_ping(&self, to: &Jid, group: &str) -> Result<Option<Element>, StanzaError> {
        let Some(nick) = to.resource() else {
            return match self.membership(group) {
                Some(_) => Ok(None),
                None => Err(muc_error(
                    StanzaCondition::ItemNotFound,
                    "There is no such group chat for you.",
                )),
            };
        };
        if !self.rooms.contains(group) {
            return Err(muc_error(
                StanzaCondition::NotAcceptable,
                "You are not in this group chat: join it again.",
            ));
        }
        if nick.as_str() == nick_of(&self.user.address) {
            Ok(None)
        } else {
            Err(muc_error(
                StanzaCondition::ServiceUnavailable,
                "Occupants are not pinged through the room.",
            ))
        }
    }

    /// Disco on the group chat service (`None`) or one of its rooms.
    #[allow(clippy::result_large_err)]
    pub(super) fn room_disco(
        &self,
        payload: &Element,
        group: Option<String>,
    ) -> Result<Option<Element>, StanzaError> {
        let items = payload.is("query", ns::DISCO_ITEMS);
        let Some(group) = group else {
            if items {
                // The rooms the user is in.
                let hub = self.service.services.chat();
                return Ok(Some(Element::from(DiscoItemsResult {
                    node: None,
                    items: hub
                        .groups_of(&self.user.address)
                        .iter()
                        .filter_map(|g| {
                            Some(DiscoItem {
                                jid: Jid::from(room_of(&g.address)?),
                                node: None,
                                name: Some(g.name.clone()),
                            })
                        })
                        .collect(),
                    rsm: None,
                })));
            }
            return Ok(Some(Element::from(DiscoInfoResult {
                node: None,
                identities: vec![Identity::new("conference", "text", "en", "Group chats")],
                features: [ns::DISCO_INFO, ns::DISCO_ITEMS, ns::MUC]
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                extensions: Vec::new(),
            })));
        };
        let Some(group) = self.membership(&group) else {
            return Err(muc_error(
                StanzaCondition::ItemNotFound,
                "No such group chat.",
            ));
        };
        if items {
            // Occupants are not listed to non-occupants, nor needed by members (§6.5).
            return Ok(Some(Element::from(DiscoItemsResult {
                node: None,
                items: Vec::new(),
                rsm: None,
            })));
        }
        Ok(Some(Element::from(DiscoInfoResult {
            node: None,
            identities: vec![Identity::new(
                "conference",
                "text",
                "en",
                group.name.clone(),
            )],
            features: [
                ns::DISCO_INFO,
                ns::MUC,
                "muc_membersonly",
                "muc_persistent",
                "muc_semianonymous",
                "muc_hidden",
                "muc_unmoderated",
                "muc_unsecured",
                ns::MAM,
                ns::SID,
                SELF_PING,
            ]
            .into_iter()
            .map(str::to_string)
            .collect(),
            extensions: Vec::new(),
        })))
    }

    /// The user's bookmarks (XEP-0402's PEP node, or XEP-0048's private storage): a room
    /// for each group alias it is in, joined automatically. The server keeps them.
    #[allow(clippy::result_large_err)]
    pub(super) fn bookmarks(
        &self,
        payload: &Element,
        set: bool,
    ) -> Result<Option<Element>, StanzaError> {
        let hub = self.service.services.chat();
        let groups = hub.groups_of(&self.user.address);
        if set {
            return Err(muc_error(
                StanzaCondition::NotAllowed,
                "Group chats follow the domain's group aliases: the postmaster manages them.",
            ));
        }
        if payload.is("query", ns::PRIVATE) {
            let mut storage = Element::builder("storage", ns::BOOKMARKS);
            for group in &groups {
                let Some(room) = room_of(&group.address) else {
                    continue;
                };
                storage = storage.append(
                    Element::builder("conference", ns::BOOKMARKS)
                        .attr(rxml::xml_ncname!("jid").to_owned(), room.to_string())
                        .attr(rxml::xml_ncname!("name").to_owned(), group.name.clone())
                        .attr(rxml::xml_ncname!("autojoin").to_owned(), "true")
                        .append(
                            Element::builder("nick", ns::BOOKMARKS)
                                .append(nick_of(&self.user.address)),
                        ),
                );
            }
            return Ok(Some(
                Element::builder("query", ns::PRIVATE)
                    .append(storage.build())
                    .build(),
            ));
        }
        let mut items = Element::builder("items", ns::PUBSUB)
            .attr(rxml::xml_ncname!("node").to_owned(), ns::BOOKMARKS2);
        for group in &groups {
            let Some(room) = room_of(&group.address) else {
                continue;
            };
            items = items.append(
                Element::builder("item", ns::PUBSUB)
                    .attr(rxml::xml_ncname!("id").to_owned(), room.to_string())
                    .append(
                        Element::builder("conference", ns::BOOKMARKS2)
                            .attr(rxml::xml_ncname!("name").to_owned(), group.name.clone())
                            .attr(rxml::xml_ncname!("autojoin").to_owned(), "true")
                            .append(
                                Element::builder("nick", ns::BOOKMARKS2)
                                    .append(nick_of(&self.user.address)),
                            ),
                    ),
            );
        }
        Ok(Some(
            Element::builder("pubsub", ns::PUBSUB)
                .append(items.build())
                .build(),
        ))
    }
}

/// Whether an iq asks for bookmarks: XEP-0402's node through PubSub, or XEP-0048's
/// storage through private XML (XEP-0049).
pub(super) fn asks_bookmarks(payload: &Element) -> bool {
    (payload.is("pubsub", ns::PUBSUB)
        && payload
            .children()
            .any(|c| c.attr("node") == Some(ns::BOOKMARKS2)))
        || (payload.is("query", ns::PRIVATE)
            && payload.children().any(|c| c.is("storage", ns::BOOKMARKS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_alias_is_a_room_on_its_domains_service() {
        let room = room_of("vendite@demo.test").unwrap();
        assert_eq!(room.as_str(), "vendite@conference.demo.test");
        assert_eq!(nick_of("anna@demo.test"), "anna");
        let jid = Jid::new("vendite@conference.demo.test/anna").unwrap();
        assert_eq!(
            on_service(&jid, "demo.test"),
            Some(Some("vendite@demo.test".to_string()))
        );
        let service = Jid::new("conference.demo.test").unwrap();
        assert_eq!(on_service(&service, "demo.test"), Some(None));
        let elsewhere = Jid::new("vendite@conference.other.test").unwrap();
        assert_eq!(on_service(&elsewhere, "demo.test"), None);
    }
}

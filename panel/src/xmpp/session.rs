// SPDX-License-Identifier: AGPL-3.0-only
//! A bound session: the client's stanzas in and the hub's deliveries out, stream management
//! (XEP-0198), and the services a session asks for (roster, disco, MAM, vCard, carbons).

use std::sync::Arc;

use futures_util::StreamExt;
use tokio_xmpp::{
    Stanza,
    xmlstream::{FallibleStreamElement, ReadError, StreamElementError, XmppStreamElement},
};
use xmpp_parsers::{
    iq::Iq,
    jid::{BareJid, FullJid, Jid},
    message::Message,
    minidom::Element,
    ns,
    presence::{Presence, Show, Type as PresenceType},
    sm,
    stanza_error::DefinedCondition as StanzaCondition,
    stream_error::DefinedCondition as StreamCondition,
};

use crate::{
    chat::{self, Delivery, Status},
    services::chat::ChatUser,
};

use super::{
    Service,
    limits::{Meter, Rate},
    stream::{ClientElement, End, hard_error, stanza_error},
    wire::Wire,
};

/// Stanzas a second a session may send on average, and at once.
const STANZA_RATE: (f64, f64) = (20.0, 100.0);
/// Stanzas sent between the server's requests for an acknowledgement.
const ACK_EVERY: u32 = 5;
/// The legacy session establishment (RFC 3921) some clients still ask for.
pub(super) const NS_SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";

/// Serves a bound (or resumed) session until it ends; one dropped with resumption on waits,
/// parked, for its client.
///
/// Written as a function returning an `async move` block rather than an `async fn`: an
/// `async fn`'s future keeps each argument twice, as given and as the local its body uses
/// (rust-lang/rust#62958), and this one lives as long as the session.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn's future keeps its arguments twice (rust-lang/rust#62958)"
)]
pub(super) fn run_session<'a>(
    mut session: Connected,
    mut stream: Wire,
    meter: &'a Meter,
    service: &'a Arc<Service>,
) -> impl Future<Output = ()> + Send + 'a {
    async move {
        meter.negotiated();
        match session.serve(&mut stream, meter).await {
            Outcome::Lost if session.sm.as_ref().is_some_and(|sm| sm.resumable) => {
                session.park(service);
            }
            Outcome::Lost => {}
            Outcome::Closed(end) => Box::pin(stream.close(end)).await,
        }
    }
}

/// How a session's stream ended.
enum Outcome {
    /// Closed by either side, with the error to send if any.
    Closed(End),
    /// The connection broke: the client may come back and resume.
    Lost,
}

impl From<End> for Outcome {
    fn from(end: End) -> Outcome {
        Outcome::Closed(end)
    }
}

/// Stream management (XEP-0198): what was handled and what is not yet acknowledged.
pub(super) struct StreamManagement {
    id: String,
    resumable: bool,
    /// Stanzas received from the client.
    handled: u32,
    /// Stanzas sent to the client.
    sent: u32,
    /// Sent, not yet acknowledged: sequence number, stanza, and the message's history id.
    unacked: std::collections::VecDeque<(u32, Element, Option<i64>)>,
}

/// A signed-in, bound session.
pub(crate) struct Connected {
    pub(super) service: Arc<Service>,
    pub(super) hub: chat::Session,
    pub(super) user: ChatUser,
    pub(super) jid: FullJid,
    rate: Rate,
    /// Numbers the server's own requests (pings, pushes).
    pub(super) pings: u64,
    /// Copies of what the user's other sessions send (XEP-0280).
    pub(super) carbons: bool,
    sm: Option<StreamManagement>,
    /// The client said it is inactive (XEP-0352): what can wait is held.
    inactive: bool,
    held_presence: Vec<Presence>,
    held_signals: Vec<Message>,
    /// The group chats joined (XEP-0045), by group alias address.
    pub(super) rooms: std::collections::HashSet<String>,
}

impl Connected {
    /// A session for a signed-in user, bound to this full address.
    pub(super) fn new(service: &Arc<Service>, user: ChatUser, jid: FullJid) -> Connected {
        Connected {
            service: service.clone(),
            hub: service
                .services
                .chat()
                .open(&user.address, jid.resource().as_str()),
            user,
            jid,
            rate: Rate::new(STANZA_RATE.0, STANZA_RATE.1),
            pings: 0,
            carbons: false,
            sm: None,
            inactive: false,
            held_presence: Vec::new(),
            held_signals: Vec::new(),
            rooms: std::collections::HashSet::new(),
        }
    }

    /// Sends a stanza, counted and kept until acknowledged when stream management is on.
    async fn emit(
        &mut self,
        stream: &mut Wire,
        stanza: Stanza,
        archived: Option<i64>,
    ) -> Result<(), End> {
        let stanza = match stanza {
            Stanza::Iq(iq) => Element::from(iq),
            Stanza::Message(message) => Element::from(message),
            Stanza::Presence(presence) => Element::from(presence),
        };
        let ask = if let Some(sm) = self.sm.as_mut() {
            sm.sent = sm.sent.wrapping_add(1);
            sm.unacked.push_back((sm.sent, stanza.clone(), archived));
            archived.is_some() || sm.sent % ACK_EVERY == 0
        } else {
            false
        };
        stream.send(&stanza).await?;
        if ask {
            stream.send(&sm::R).await?;
        }
        Ok(())
    }

    /// Takes the client back after a dropped connection: what it handled, then what it
    /// missed, again.
    pub(super) async fn resume(&mut self, stream: &mut Wire, h: u32) -> Result<(), End> {
        let Some(sm) = self.sm.as_mut() else {
            return Err(End::quiet());
        };
        sm.unacked
            .retain(|(seq, _, _)| seq.wrapping_sub(h) as i32 > 0);
        let resumed = sm::Resumed {
            h: sm.handled,
            previd: sm::StreamId(sm.id.clone()),
        };
        let again: Vec<Element> = sm.unacked.iter().map(|(_, s, _)| s.clone()).collect();
        stream.send(&resumed).await?;
        for stanza in again {
            stream.send(&stanza).await?;
        }
        stream.send(&sm::R).await?;
        // A new connection starts active (XEP-0352); what was held goes now.
        self.inactive = false;
        self.flush_held(stream).await
    }

    /// Keeps a dropped session for its client to resume; past the window it ends, and the
    /// messages it could not be sure were delivered wait for the user's next sign-in.
    pub(super) fn park(self, service: &Arc<Service>) {
        let Some(id) = self.sm.as_ref().map(|sm| sm.id.clone()) else {
            return;
        };
        service.park(id.clone(), self);
        let service = service.clone();
        tokio::spawn(async move {
            tokio::time::sleep(service.resume_window).await;
            if let Some(session) = service.take_expired(&id) {
                session.expire().await;
            }
        });
    }

    /// The address of the session's user.
    pub(super) fn address(&self) -> &str {
        &self.user.address
    }

    async fn expire(mut self) {
        let mut ids: Vec<i64> = self
            .sm
            .take()
            .map(|sm| sm.unacked.into_iter().filter_map(|(_, _, id)| id).collect())
            .unwrap_or_default();
        while let Some(delivery) = self.hub.try_recv() {
            if let Delivery::Message(message) = delivery {
                ids.push(message.id);
            }
        }
        if let Err(err) = self.hub.keep_waiting(&ids).await {
            tracing::warn!(%err, "messages of a lost chat session not kept for later");
        }
    }

    async fn serve(&mut self, stream: &mut Wire, meter: &Meter) -> Outcome {
        loop {
            tokio::select! {
                item = stream.next() => {
                    meter.stanza_done();
                    let element = match item {
                        Some(Err(ReadError::StreamFooterReceived)) => return End::quiet().into(),
                        None => return Outcome::Lost,
                        Some(Err(ReadError::SoftTimeout)) => {
                            // Silent for a while: a ping tells a live client from a dead
                            // connection (the stream ends if no answer comes).
                            self.pings += 1;
                            let ping = Iq::from_get(format!("ping-{}", self.pings), xmpp_parsers::ping::Ping)
                                .with_to(Jid::from(self.jid.clone()));
                            if Box::pin(self.emit(stream, ping.into(), None)).await.is_err() {
                                return Outcome::Lost;
                            }
                            continue;
                        }
                        Some(Err(ReadError::ParseError(_))) => {
                            return End::with(
                                StreamCondition::UnsupportedStanzaType,
                                "Only message, presence and iq stanzas are served here.",
                            ).into()
                        }
                        Some(Err(ReadError::HardError(err))) => {
                            let end = hard_error(meter, &err);
                            return if end.0.is_none() { Outcome::Lost } else { end.into() };
                        }
                        Some(Ok(ClientElement::Csi(active))) => {
                            if let Err(end) = Box::pin(self.client_state(stream, active)).await {
                                return if end.0.is_none() { Outcome::Lost } else { end.into() };
                            }
                            continue;
                        }
                        Some(Ok(ClientElement::Std(FallibleStreamElement::Ok(element)))) => element,
                        Some(Ok(ClientElement::Std(FallibleStreamElement::Err(err)))) => {
                            if let Some(sm) = self.sm.as_mut() {
                                sm.handled = sm.handled.wrapping_add(1);
                            }
                            if let Err(end) = Box::pin(self.invalid(stream, err)).await {
                                return end.into();
                            }
                            continue;
                        }
                    };
                    if !self.rate.take() {
                        return End::with(StreamCondition::PolicyViolation, "Too many stanzas; slow down.").into();
                    }
                    if matches!(element, XmppStreamElement::Stanza(_))
                        && let Some(sm) = self.sm.as_mut()
                    {
                        sm.handled = sm.handled.wrapping_add(1);
                    }
                    let handled = match element {
                        // Handled on allocations of their own, so the idle loop stays small.
                        XmppStreamElement::Stanza(Stanza::Iq(iq)) => Box::pin(self.iq(stream, iq)).await,
                        XmppStreamElement::Stanza(Stanza::Presence(presence)) => Box::pin(self.presence(stream, presence)).await,
                        XmppStreamElement::Stanza(Stanza::Message(message)) => Box::pin(self.message(stream, message)).await,
                        XmppStreamElement::SM(nonza) => Box::pin(self.stream_management(stream, nonza)).await,
                        _ => Err(End::with(StreamCondition::UnsupportedStanzaType, "Not expected here.")),
                    };
                    if let Err(end) = handled {
                        return if end.0.is_none() { Outcome::Lost } else { end.into() };
                    }
                }
                delivery = self.hub.recv() => {
                    let delivery = match delivery {
                        None => return End::with(StreamCondition::ResourceConstraint, "This session fell too far behind.").into(),
                        Some(Delivery::ChatOff) => {
                            return End::with(StreamCondition::PolicyViolation, "Chat was switched off for this mailbox.").into()
                        }
                        Some(delivery) => delivery,
                    };
                    // On an allocation of its own too.
                    if Box::pin(self.deliver(stream, delivery)).await.is_err() {
                        return Outcome::Lost;
                    }
                }
            }
        }
    }

    /// Passes on what the hub delivered (the end of the session is the caller's).
    async fn deliver(&mut self, stream: &mut Wire, delivery: Delivery) -> Result<(), End> {
        match delivery {
            // A group's messages reach a client through its group chat.
            Delivery::Message(message) | Delivery::Sent(message) if self.to_group(&message) => {
                match self.group_delivery(&message) {
                    Some(stanza) => self.emit(stream, stanza.into(), None).await,
                    None => Ok(()),
                }
            }
            Delivery::Pep(item) => {
                let event = self.pep_event(&item);
                self.send_or_hold(stream, event).await
            }
            Delivery::Groups(groups) => {
                let mut sent = Ok(());
                for gone in self.rooms_left(&groups.0) {
                    sent = sent.and(self.emit(stream, gone.into(), None).await);
                }
                sent
            }
            Delivery::Message(message) => {
                // What waited while the client was inactive goes first.
                self.flush_held(stream).await?;
                let stanza = self.outgoing(&message, false);
                self.emit(stream, stanza.into(), Some(message.id)).await
            }
            Delivery::Sent(message) if self.carbons => {
                let stanza = self.carbon(&message);
                self.emit(stream, stanza.into(), None).await
            }
            Delivery::Sent(_) => Ok(()),
            Delivery::Blocklist(change) => {
                let push = self.blocklist_push(change.addresses, change.blocked);
                self.emit(stream, push.into(), None).await
            }
            Delivery::Contact(change) => match self.roster_push(&change.address, change.name) {
                Some(push) => self.emit(stream, push.into(), None).await,
                None => Ok(()),
            },
            // An inactive client (XEP-0352) is not woken for typing; receipts and
            // read marks wait for its next wake-up.
            Delivery::Signal(told)
                if self.inactive && matches!(told.signal, chat::Signal::Typing(_)) =>
            {
                Ok(())
            }
            Delivery::Signal(told) if told.to != self.address() => match told.signal {
                chat::Signal::Typing(typing) => match self
                    .group_typing(&told.to, &told.from, typing)
                {
                    Some(stanza) if !self.inactive => self.emit(stream, stanza.into(), None).await,
                    _ => Ok(()),
                },
                _ => Ok(()),
            },
            Delivery::Signal(told) => {
                let stanza = self.signal_stanza(&told.from, &told.from_resource, &told.signal);
                self.send_or_hold(stream, stanza).await
            }
            Delivery::Presence(presence) => {
                // The contact's presence, and the member's in the rooms joined.
                let mut stanzas: Vec<Presence> = self.presence_of(&presence).into_iter().collect();
                stanzas.extend(self.room_presences(&presence.address));
                let mut sent = Ok(());
                for stanza in stanzas {
                    if self.inactive {
                        // Only the latest presence of each matters once it wakes up.
                        self.held_presence.retain(|held| held.from != stanza.from);
                        self.held_presence.push(stanza);
                    } else {
                        sent = sent.and(self.emit(stream, stanza.into(), None).await);
                    }
                }
                sent
            }
            // Ends the session: the caller's.
            Delivery::ChatOff => Ok(()),
        }
    }

    /// Sends a receipt, read mark or published item now, or holds it while the client is
    /// inactive (XEP-0352).
    async fn send_or_hold(
        &mut self,
        stream: &mut Wire,
        stanza: Option<Message>,
    ) -> Result<(), End> {
        match stanza {
            Some(stanza) if self.inactive => {
                self.held_signals.push(stanza);
                Ok(())
            }
            Some(stanza) => self.emit(stream, stanza.into(), None).await,
            None => Ok(()),
        }
    }

    /// Client state indication (XEP-0352): while inactive, presence updates and receipts
    /// are held (the latest presence per contact), typing is dropped; a message, or the
    /// client becoming active, sends what was held first.
    async fn client_state(&mut self, stream: &mut Wire, active: bool) -> Result<(), End> {
        self.inactive = !active;
        if active {
            self.flush_held(stream).await?;
        }
        Ok(())
    }

    async fn flush_held(&mut self, stream: &mut Wire) -> Result<(), End> {
        for presence in std::mem::take(&mut self.held_presence) {
            self.emit(stream, presence.into(), None).await?;
        }
        for signal in std::mem::take(&mut self.held_signals) {
            self.emit(stream, signal.into(), None).await?;
        }
        Ok(())
    }

    /// Stream management's own elements: enabling it, and acknowledgements both ways.
    async fn stream_management(&mut self, stream: &mut Wire, nonza: sm::Nonza) -> Result<(), End> {
        match nonza {
            sm::Nonza::Enable(enable) => {
                if self.sm.is_some() {
                    stream
                        .send(&sm::Failed {
                            h: None,
                            error: Some(StanzaCondition::UnexpectedRequest),
                        })
                        .await?;
                    return Ok(());
                }
                let id = format!(
                    "{:016x}{:016x}",
                    rand::random::<u64>(),
                    rand::random::<u64>()
                );
                self.sm = Some(StreamManagement {
                    id: id.clone(),
                    resumable: enable.resume,
                    handled: 0,
                    sent: 0,
                    unacked: Default::default(),
                });
                stream
                    .send(&sm::Enabled {
                        id: enable.resume.then_some(sm::StreamId(id)),
                        location: None,
                        max: enable
                            .resume
                            .then_some(self.service.resume_window.as_secs() as u32),
                        resume: enable.resume,
                    })
                    .await?;
            }
            sm::Nonza::Req(_) => {
                if let Some(sm) = &self.sm {
                    stream.send(&sm::A { h: sm.handled }).await?;
                }
            }
            sm::Nonza::Ack(ack) => {
                if let Some(sm) = self.sm.as_mut() {
                    sm.unacked
                        .retain(|(seq, _, _)| seq.wrapping_sub(ack.h) as i32 > 0);
                    // All acknowledged: a quiet session keeps no room for what it sent.
                    if sm.unacked.is_empty() {
                        sm.unacked = Default::default();
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A stanza that did not parse: an error back to its sender where the protocol has one.
    async fn invalid(&mut self, stream: &mut Wire, err: StreamElementError) -> Result<(), End> {
        match err {
            StreamElementError::InvalidStanza { header, error, .. } => {
                let is_error = header.type_.as_deref() == Some("error");
                if let (Some(id), false) = (header.id, is_error) {
                    stream
                        .send(&Iq::from_error(
                            id,
                            stanza_error(StanzaCondition::BadRequest, &error.to_string()),
                        ))
                        .await?;
                }
                Ok(())
            }
            StreamElementError::InvalidNonza { .. } => Err(End::with(
                StreamCondition::InvalidXml,
                "That element is not valid here.",
            )),
        }
    }

    async fn iq(&mut self, stream: &mut Wire, iq: Iq) -> Result<(), End> {
        let (id, to, payload, set) = match iq {
            Iq::Get {
                id, to, payload, ..
            } => (id, to, payload, false),
            Iq::Set {
                id, to, payload, ..
            } => (id, to, payload, true),
            // Answers to our pings.
            Iq::Result { .. } | Iq::Error { .. } => return Ok(()),
        };
        let domain = chat::domain_of(&self.user.address).to_string();
        let to_server = to.as_ref().is_none_or(|to| to.as_str() == domain);
        let to_self = to
            .as_ref()
            .is_some_and(|to| to.is_bare() && to.as_str() == self.user.address);
        let to_groups = to
            .as_ref()
            .and_then(|to| super::muc::on_service(to, &domain));
        let disco = payload.is("query", ns::DISCO_INFO) || payload.is("query", ns::DISCO_ITEMS);
        // A colleague's account answers disco through the server (its PEP service, §4).
        let to_colleague = match &to {
            Some(jid)
                if disco
                    && !set
                    && !to_self
                    && jid.is_bare()
                    && jid.domain().as_str() == domain =>
            {
                self.service
                    .services
                    .chat_contact(&self.user, jid.as_str())
                    .await
                    .ok()
                    .flatten()
                    .is_some()
            }
            _ => false,
        };
        let reply = if let Some(room) = to_groups {
            if disco && !set {
                self.room_disco(&payload, room)
            } else if payload.is("query", ns::MAM) && set && room.is_some() {
                match self.archive(stream, payload, room).await? {
                    Ok(fin) => Ok(Some(fin)),
                    Err(error) => Err(error),
                }
            } else if payload.is("ping", ns::PING) && !set {
                match (&room, &to) {
                    (Some(group), Some(to)) => self.room_ping(to, group),
                    _ => Ok(None),
                }
            } else {
                Err(stanza_error(
                    StanzaCondition::ServiceUnavailable,
                    "This is not served here.",
                ))
            }
        } else if super::muc::asks_bookmarks(&payload) && (to_self || to.is_none()) {
            self.bookmarks(&payload, set)
        } else if payload.is("pubsub", ns::PUBSUB) && (to_self || to.is_none()) {
            self.pep(&payload, set, &self.user.address.clone()).await
        } else if let Some(owner) = to.as_ref().filter(|to| {
            payload.is("pubsub", ns::PUBSUB) && to.is_bare() && to.domain().as_str() == domain
        }) {
            self.pep(&payload, set, &owner.to_string()).await
        } else if payload.is("query", ns::ROSTER) && (to_server || to_self) {
            if set {
                Err(stanza_error(
                    StanzaCondition::NotAllowed,
                    "The contact list is managed by the server: it lists your colleagues who can chat.",
                ))
            } else {
                self.roster().await.map(|r| Some(Element::from(r)))
            }
        } else if (payload.is("ping", ns::PING) && (to_server || to_self))
            || (payload.is("session", NS_SESSION) && set && to_server)
        {
            Ok(None)
        } else if (payload.is("enable", ns::CARBONS) || payload.is("disable", ns::CARBONS))
            && set
            && to_server
        {
            self.carbons = payload.name() == "enable";
            Ok(None)
        } else if payload.is("query", ns::MAM) && set && (to_self || to.is_none()) {
            match self.archive(stream, payload, None).await? {
                Ok(fin) => Ok(Some(fin)),
                Err(error) => Err(error),
            }
        } else if payload.is("request", ns::HTTP_UPLOAD) && !set && to_server {
            self.upload_slot(payload).await
        } else if payload.ns() == ns::BLOCKING && (to_server || to_self) {
            self.blocking(payload, set).await
        } else if payload.is("vCard", ns::VCARD) && !set {
            self.vcard(to.as_ref()).await
        } else if disco && !set && (to_server || to_self || to_colleague) {
            super::disco::answer(&payload, to_server, &domain, self.service.max_upload_bytes)
        } else {
            Err(stanza_error(
                StanzaCondition::ServiceUnavailable,
                "This is not served here.",
            ))
        };
        let mut answer = match reply {
            Ok(payload) => Iq::Result {
                from: None,
                to: None,
                id,
                payload,
            },
            Err(error) => Iq::from_error(id, error),
        };
        if let Some(to) = to {
            *answer.from_mut() = Some(to);
        }
        stream.send(&answer).await?;
        Ok(())
    }

    async fn presence(&mut self, stream: &mut Wire, presence: Presence) -> Result<(), End> {
        // Presence to a group chat joins or leaves it. Other directed presence and
        // subscriptions: the contact list is the server's, so there is nothing to subscribe
        // to; they are accepted and dropped.
        if let Some(to) = &presence.to {
            if let Some(Some(group)) =
                super::muc::on_service(to, chat::domain_of(&self.user.address))
            {
                return self.room_presence(stream, presence, group).await;
            }
            return Ok(());
        }
        let status = match presence.type_ {
            PresenceType::None => match presence.show {
                None | Some(Show::Chat) => Status::Available,
                Some(Show::Away) | Some(Show::Xa) => Status::Away,
                Some(Show::Dnd) => Status::Busy,
            },
            PresenceType::Unavailable => Status::Offline,
            _ => return Ok(()),
        };
        let text = presence
            .statuses
            .values()
            .next()
            .map(|s| s.chars().take(500).collect::<String>());
        let first = self.hub.status() == Status::Offline && status != Status::Offline;
        if status == Status::Offline {
            // Unavailable to everyone: out of every room too (RFC 6121 §4.5.2).
            self.rooms.clear();
        }
        let waiting = self.hub.set_status(status, text).await.map_err(|err| {
            tracing::warn!(%err, "chat status not set");
            End::with(StreamCondition::InternalServerError, "Try again later.")
        })?;
        if first {
            // Coming online: who is there, then what was kept while away.
            for present in self.hub.present() {
                if let Some(presence) = self.presence_of(&present) {
                    stream.send(&presence).await?;
                }
            }
            for message in waiting.iter().filter(|m| m.to == self.address()) {
                stream.send(&self.outgoing(message, true)).await?;
            }
            // And the colleagues' avatars and nicknames (XEP-0163 §6.1.2).
            for event in self.arrival_items().await {
                stream.send(&event).await?;
            }
        }
        Ok(())
    }

    fn presence_of(&self, presence: &chat::Presence) -> Option<Presence> {
        let from = BareJid::new(&presence.address)
            .ok()?
            .with_resource_str(&presence.resource)
            .ok()?;
        let mut stanza = match presence.status {
            Status::Offline => Presence::new(PresenceType::Unavailable),
            Status::Available => Presence::available(),
            Status::Away => Presence::available().with_show(Show::Away),
            Status::Busy => Presence::available().with_show(Show::Dnd),
        };
        stanza.from = Some(Jid::from(from));
        stanza.to = Some(Jid::from(self.jid.clone()));
        if let Some(text) = &presence.text {
            stanza.statuses.insert(String::new().into(), text.clone());
        }
        Some(stanza)
    }
}

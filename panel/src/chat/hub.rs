// SPDX-License-Identifier: AGPL-3.0-only
//! The hub: the sessions of this node, the presence of every session the bus has told of,
//! and the delivery of what the bus carries. Nothing here checks who may chat with whom:
//! the services do, before they open a session or send.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::broadcast;

use super::{
    BusEvent, ChatBus, ChatMessage, Presence, SessionKey, Signal, Status, conversation_of,
    domain_of,
    groups::{ChatGroup, members_away},
    history::{History, HistoryPage, take_waiting},
    outbox,
};
use crate::db::{chat_message, chat_offline};

/// Characters a message may hold.
pub const MAX_BODY: usize = 10_000;
/// What a session may fall behind before it is ended as too slow.
const SESSION_BACKLOG: usize = 1024;

/// What a session is told. Every variant is one pointer wide: each session's channel
/// allocates room for a block of deliveries up front, idle or not.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// A message for this session's user.
    Message(Arc<ChatMessage>),
    /// A message the user sent from another of its sessions.
    Sent(Arc<ChatMessage>),
    /// A contact's typing, or its clients' receipts.
    Signal(Arc<SignalFrom>),
    /// A contact's session (or another of the user's own) changed presence.
    Presence(Arc<Presence>),
    /// Chat was switched off for this user: the session ends now.
    ChatOff,
    /// A colleague joined (`Some(name)`) or left (`None`) the contact list.
    Contact(Box<ContactChange>),
    /// The user's block list changed (from any of its sessions).
    Blocklist(Box<BlocklistChange>),
    /// The group conversations the user is in changed: these are they now.
    Groups(Box<GroupList>),
    /// The user or a colleague published an item the user may see (XEP-0163).
    Pep(Arc<super::PepItem>),
}

const _: () = assert!(std::mem::size_of::<Delivery>() <= 16);

/// A contact's typing, or its clients' receipts; `to` is the user, or a group the user is in.
#[derive(Debug)]
pub struct SignalFrom {
    pub from: String,
    pub from_resource: String,
    pub to: String,
    pub signal: Signal,
}

/// A colleague joined (`Some(name)`) or left (`None`) the contact list.
#[derive(Debug, Clone)]
pub struct ContactChange {
    pub address: String,
    pub name: Option<String>,
}

/// These addresses were blocked, or unblocked.
#[derive(Debug, Clone)]
pub struct BlocklistChange {
    pub addresses: Vec<String>,
    pub blocked: bool,
}

/// The group conversations a user is in.
#[derive(Debug, Clone)]
pub struct GroupList(pub Vec<Arc<ChatGroup>>);

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is longer than allowed")]
    TooLong,
    /// The sender blocks the recipient (`true`), or the recipient blocks the sender.
    #[error("blocked")]
    Blocked(bool),
    /// The sender is not a member of the group it wrote to.
    #[error("not a member of the group")]
    NotMember,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The chat hub of this node. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    /// This node's id on the bus.
    pub(super) node: u64,
    pub(super) db: DatabaseConnection,
    pub(super) bus: Arc<dyn ChatBus>,
    next_session: AtomicU64,
    state: Mutex<State>,
    /// Held while deciding that a recipient is offline and while a session comes online,
    /// so a message is either delivered live or kept for later, never neither.
    arrivals: tokio::sync::Mutex<()>,
}

#[derive(Default)]
pub(super) struct State {
    /// This node's sessions.
    pub(super) local: HashMap<u64, Local>,
    /// The available sessions of every node, by address.
    pub(super) present: HashMap<String, HashMap<SessionKey, Presence>>,
    /// Every group conversation, by address.
    pub(super) groups: super::groups::Groups,
    /// Every block list entry: (who blocks, whom). Nothing passes between such a pair.
    pub(super) blocks: std::collections::HashSet<(String, String)>,
}

impl State {
    /// Whether either of the two blocks the other.
    pub(super) fn blocked_between(&self, a: &str, b: &str) -> bool {
        !self.blocks.is_empty()
            && (self.blocks.contains(&(a.to_string(), b.to_string()))
                || self.blocks.contains(&(b.to_string(), a.to_string())))
    }

    /// `owner` blocks (or no longer blocks) each of `addresses`; the same change twice is
    /// the change once.
    pub(super) fn set_blocked(&mut self, owner: &str, addresses: &[String], blocked: bool) {
        for address in addresses {
            let pair = (owner.to_string(), address.clone());
            if blocked {
                self.blocks.insert(pair);
            } else {
                self.blocks.remove(&pair);
            }
        }
    }
}

pub(super) struct Local {
    pub(super) address: String,
    pub(super) tx: outbox::Sender<Delivery>,
    pub(super) available: bool,
}

impl Hub {
    /// A hub on this bus; its delivery task runs until the bus closes.
    pub fn new(db: DatabaseConnection, bus: Arc<dyn ChatBus>) -> Hub {
        let hub = Hub {
            inner: Arc::new(Inner {
                node: rand::random(),
                db,
                bus,
                next_session: AtomicU64::new(1),
                state: Mutex::new(State::default()),
                arrivals: tokio::sync::Mutex::new(()),
            }),
        };
        let events = hub.inner.bus.subscribe();
        tokio::spawn(deliver(Arc::downgrade(&hub.inner), events));
        hub
    }

    /// Opens a session for a user allowed to chat; it is not available (receives nothing)
    /// until it sets a status other than `Offline`.
    pub fn open(&self, address: &str, resource: &str) -> Session {
        let id = self.inner.next_session.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = outbox::channel(SESSION_BACKLOG);
        let address = address.to_lowercase();
        self.inner.lock().local.insert(
            id,
            Local {
                address: address.clone(),
                tx,
                available: false,
            },
        );
        Session {
            hub: self.clone(),
            id,
            address,
            resource: resource.to_string(),
            status: Status::Offline,
            rx,
        }
    }

    /// Ends every session of this address, on every node (chat was switched off).
    pub fn chat_off(&self, address: &str) {
        self.inner.bus.publish(BusEvent::ChatOff {
            address: address.to_lowercase(),
        });
    }

    /// Adds this address to its colleagues' contact lists, on every node (chat was switched
    /// on for it).
    pub fn chat_on(&self, address: &str, name: &str) {
        self.inner.bus.publish(BusEvent::ChatOn {
            address: address.to_lowercase(),
            name: name.to_string(),
        });
    }

    /// The best status of an address over all its sessions, as `viewer` sees it (offline
    /// when either blocks the other).
    pub fn status_of(&self, viewer: &str, address: &str) -> Status {
        let address = address.to_lowercase();
        let state = self.inner.lock();
        if state.blocked_between(&viewer.to_lowercase(), &address) {
            return Status::Offline;
        }
        state
            .present
            .get(&address)
            .map_or(Status::Offline, |sessions| {
                sessions
                    .values()
                    .fold(Status::Offline, |best, p| best.best(p.status))
            })
    }

    /// How many sessions of this address this node has open.
    pub fn local_sessions(&self, address: &str) -> usize {
        let address = address.to_lowercase();
        self.inner
            .lock()
            .local
            .values()
            .filter(|l| l.address == address)
            .count()
    }
}

impl Inner {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Delivers one bus event to this node's sessions.
    fn dispatch(&self, event: BusEvent) {
        let mut state = self.lock();
        let mut slow = Vec::new();
        match event {
            BusEvent::Message { message, sender } => {
                let message = Arc::new(message);
                if let Some(group) = state.groups.get(&message.to).cloned() {
                    self.group_message(&state, &group, &message, sender, &mut slow);
                } else if !state.blocked_between(&message.from, &message.to) {
                    self.pair_message(&state, &message, sender, &mut slow);
                }
            }
            BusEvent::Signal {
                from,
                from_resource,
                to,
                signal,
            } => {
                let group = state.groups.get(&to).cloned();
                if group.is_none() && state.blocked_between(&from, &to) {
                    return;
                }
                let told = Arc::new(SignalFrom {
                    from,
                    from_resource,
                    to,
                    signal,
                });
                let SignalFrom {
                    from, to, signal, ..
                } = &*told;
                for (id, local) in &state.local {
                    let reached = match &group {
                        // In a group only typing is told, to the other members.
                        Some(group) => {
                            matches!(signal, Signal::Typing(_))
                                && local.address != *from
                                && group.has_member(&local.address)
                        }
                        None => local.address == *to,
                    };
                    if local.available
                        && reached
                        && local.tx.try_send(Delivery::Signal(told.clone())).is_err()
                    {
                        slow.push(*id);
                    }
                }
            }
            BusEvent::Presence(presence) => {
                let sessions = state.present.entry(presence.address.clone()).or_default();
                if presence.status == Status::Offline {
                    sessions.remove(&presence.session);
                    if sessions.is_empty() {
                        state.present.remove(&presence.address);
                    }
                } else {
                    sessions.insert(presence.session, presence.clone());
                }
                let domain = domain_of(&presence.address).to_string();
                let presence = Arc::new(presence);
                for (id, local) in &state.local {
                    let own = presence.session.node == self.node && presence.session.id == *id;
                    if local.available
                        && !own
                        && domain_of(&local.address) == domain
                        && !state.blocked_between(&local.address, &presence.address)
                        && local
                            .tx
                            .try_send(Delivery::Presence(presence.clone()))
                            .is_err()
                    {
                        slow.push(*id);
                    }
                }
            }
            BusEvent::ChatOff { address } => {
                state.present.remove(&address);
                let domain = domain_of(&address).to_string();
                for local in state.local.values_mut() {
                    if local.address == address {
                        local.available = false;
                        let _ = local.tx.try_send(Delivery::ChatOff);
                    } else if local.available && domain_of(&local.address) == domain {
                        let _ = local.tx.try_send(Delivery::Contact(Box::new(ContactChange {
                            address: address.clone(),
                            name: None,
                        })));
                    }
                }
            }
            BusEvent::Block {
                owner,
                addresses,
                blocked,
            } => self.blocks_changed(&mut state, owner, addresses, blocked),
            BusEvent::Groups { domain, groups } => self.groups_changed(&mut state, domain, groups),
            BusEvent::Pep(item) => self.item_published(&state, item),
            BusEvent::ChatOn { address, name } => {
                let domain = domain_of(&address).to_string();
                for local in state.local.values() {
                    if local.available
                        && local.address != address
                        && domain_of(&local.address) == domain
                    {
                        let _ = local.tx.try_send(Delivery::Contact(Box::new(ContactChange {
                            address: address.clone(),
                            name: Some(name.clone()),
                        })));
                    }
                }
            }
        }
        // A session that cannot keep up loses its channel: it sees the end and closes.
        for id in slow {
            if let Some(local) = state.local.remove(&id) {
                tracing::warn!(address = %local.address, "a chat session fell too far behind and was ended");
            }
        }
    }
}

impl Inner {
    /// Delivers a message between two contacts: to the recipient's available sessions here,
    /// and to the sender's others as sent.
    fn pair_message(
        &self,
        state: &State,
        message: &Arc<ChatMessage>,
        sender: SessionKey,
        slow: &mut Vec<u64>,
    ) {
        for (id, local) in &state.local {
            if !local.available {
                continue;
            }
            let own = sender.node == self.node && sender.id == *id;
            let delivery = if local.address == message.to {
                Delivery::Message(message.clone())
            } else if local.address == message.from && !own {
                Delivery::Sent(message.clone())
            } else {
                continue;
            };
            if local.tx.try_send(delivery).is_err() {
                slow.push(*id);
            }
        }
    }

    /// A block list changed: the set follows, the owner's sessions are told (the pushes of
    /// XEP-0191), and between each pair presence goes offline (blocked) or back to what it
    /// is (unblocked), both ways.
    fn blocks_changed(
        &self,
        state: &mut State,
        owner: String,
        addresses: Vec<String>,
        blocked: bool,
    ) {
        state.set_blocked(&owner, &addresses, blocked);
        let mut told: Vec<(u64, Delivery)> = Vec::new();
        for (id, local) in &state.local {
            if !local.available {
                continue;
            }
            let others: Vec<&String> = if local.address == owner {
                told.push((
                    *id,
                    Delivery::Blocklist(Box::new(BlocklistChange {
                        addresses: addresses.clone(),
                        blocked,
                    })),
                ));
                addresses.iter().collect()
            } else if addresses.contains(&local.address) {
                vec![&owner]
            } else {
                continue;
            };
            for other in others {
                let hidden = state.blocked_between(&local.address, other);
                for presence in state
                    .present
                    .get(other)
                    .into_iter()
                    .flat_map(|s| s.values())
                {
                    let shown = if hidden {
                        Presence {
                            status: Status::Offline,
                            text: None,
                            ..presence.clone()
                        }
                    } else {
                        presence.clone()
                    };
                    told.push((*id, Delivery::Presence(Arc::new(shown))));
                }
            }
        }
        for (id, delivery) in told {
            if let Some(local) = state.local.get(&id) {
                let _ = local.tx.try_send(delivery);
            }
        }
    }
}

async fn deliver(hub: std::sync::Weak<Inner>, mut events: broadcast::Receiver<BusEvent>) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                // Clients catch up on messages from the history; presence is refreshed by
                // the next change.
                tracing::warn!(missed, "the chat hub fell behind its bus");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(hub) = hub.upgrade() else { return };
        hub.dispatch(event);
    }
}

/// One chat session of one user: a webmail tab or an XMPP client's resource. Dropping it
/// closes it, and its presence goes offline.
pub struct Session {
    hub: Hub,
    id: u64,
    address: String,
    resource: String,
    status: Status,
    rx: outbox::Receiver<Delivery>,
}

impl Session {
    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn resource(&self) -> &str {
        &self.resource
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// This session's key on the bus.
    pub fn key(&self) -> SessionKey {
        SessionKey {
            node: self.hub.inner.node,
            id: self.id,
        }
    }

    /// What this session was told and has not taken yet, without waiting.
    pub fn try_recv(&mut self) -> Option<Delivery> {
        self.rx.try_recv()
    }

    /// Keeps these messages for the user's next sign-in: a session that ended could not be
    /// sure its client had them.
    pub async fn keep_waiting(&self, ids: &[i64]) -> Result<(), ChatError> {
        if ids.is_empty() {
            return Ok(());
        }
        let rows: Vec<chat_offline::ActiveModel> = ids
            .iter()
            .map(|id| chat_offline::ActiveModel {
                recipient: Set(self.address.clone()),
                message_id: Set(*id),
                ..Default::default()
            })
            .collect();
        chat_offline::Entity::insert_many(rows)
            .exec(&self.hub.inner.db)
            .await?;
        Ok(())
    }

    /// The next thing this session is told; `None` once the hub ended it (too slow).
    pub async fn recv(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }

    /// The available sessions of the user's domain (the user's own other sessions
    /// included, this one not), as a client wants them when it comes online.
    pub fn present(&self) -> Vec<Presence> {
        let domain = domain_of(&self.address);
        let own = self.key();
        let state = self.hub.inner.lock();
        let mut all: Vec<Presence> = state
            .present
            .iter()
            .filter(|(address, _)| {
                domain_of(address) == domain && !state.blocked_between(&self.address, address)
            })
            .flat_map(|(_, sessions)| sessions.values())
            .filter(|p| p.session != own)
            .cloned()
            .collect();
        all.sort_by(|a, b| (&a.address, &a.resource).cmp(&(&b.address, &b.resource)));
        all
    }

    /// Sets this session's status. Coming online (from `Offline`) returns the messages kept
    /// while the user had no session, oldest first; they are no longer kept as waiting.
    pub async fn set_status(
        &mut self,
        status: Status,
        text: Option<String>,
    ) -> Result<Vec<ChatMessage>, ChatError> {
        let inner = &self.hub.inner;
        let coming_online = self.status == Status::Offline && status != Status::Offline;
        let _arrivals = if coming_online {
            Some(inner.arrivals.lock().await)
        } else {
            None
        };
        self.status = status;
        {
            let mut state = inner.lock();
            if let Some(local) = state.local.get_mut(&self.id) {
                local.available = status != Status::Offline;
            }
            // Known at once on this node, so a message sent right after finds it online.
            let sessions = state.present.entry(self.address.clone()).or_default();
            if status == Status::Offline {
                sessions.remove(&self.key());
            } else {
                sessions.insert(self.key(), self.presence(status, text.clone()));
            }
        }
        inner
            .bus
            .publish(BusEvent::Presence(self.presence(status, text)));
        if !coming_online {
            return Ok(Vec::new());
        }
        take_waiting(&inner.db, &self.address).await
    }

    fn presence(&self, status: Status, text: Option<String>) -> Presence {
        Presence {
            address: self.address.clone(),
            resource: self.resource.clone(),
            session: self.key(),
            status,
            text,
        }
    }

    /// Sends a message to a contact the caller checked: it is kept in the history, then
    /// delivered to the recipient's available sessions, or kept until they sign in.
    pub async fn send(
        &self,
        to: &str,
        body: &str,
        origin_id: Option<&str>,
    ) -> Result<ChatMessage, ChatError> {
        let body = body.trim_end();
        if body.trim().is_empty() {
            return Err(ChatError::Empty);
        }
        if body.chars().count() > MAX_BODY {
            return Err(ChatError::TooLong);
        }
        let inner = &self.hub.inner;
        let to = to.to_lowercase();
        let group = {
            let state = inner.lock();
            let group = state.groups.get(&to).cloned();
            match &group {
                Some(group) if !group.has_member(&self.address) => {
                    return Err(ChatError::NotMember);
                }
                Some(_) => {}
                None if state.blocks.contains(&(self.address.clone(), to.clone())) => {
                    return Err(ChatError::Blocked(true));
                }
                None if state.blocks.contains(&(to.clone(), self.address.clone())) => {
                    return Err(ChatError::Blocked(false));
                }
                None => {}
            }
            group
        };
        let at = Utc::now();
        let origin_id = origin_id
            .filter(|id| !id.is_empty() && id.len() <= 200)
            .map(str::to_string);
        let row = chat_message::ActiveModel {
            at: Set(at),
            domain: Set(domain_of(&self.address).to_string()),
            // A group's conversation is its address; a pair's, both addresses.
            conversation: Set(if group.is_some() {
                to.clone()
            } else {
                conversation_of(&self.address, &to)
            }),
            sender: Set(self.address.clone()),
            recipient: Set(to.clone()),
            body: Set(body.to_string()),
            origin_id: Set(origin_id.clone()),
            ..Default::default()
        };
        let id = chat_message::Entity::insert(row)
            .exec(&inner.db)
            .await?
            .last_insert_id;
        let message = ChatMessage {
            id,
            at,
            from: self.address.clone(),
            from_resource: self.resource.clone(),
            to: to.clone(),
            body: body.to_string(),
            origin_id,
        };
        {
            let _arrivals = inner.arrivals.lock().await;
            let away = {
                let state = inner.lock();
                match &group {
                    Some(group) => members_away(&state, group, &self.address),
                    None if state.present.get(&to).is_some_and(|s| !s.is_empty()) => Vec::new(),
                    None => vec![to],
                }
            };
            if !away.is_empty() {
                chat_offline::Entity::insert_many(away.into_iter().map(|recipient| {
                    chat_offline::ActiveModel {
                        recipient: Set(recipient),
                        message_id: Set(id),
                        ..Default::default()
                    }
                }))
                .exec(&inner.db)
                .await?;
            }
        }
        inner.bus.publish(BusEvent::Message {
            message: message.clone(),
            sender: self.key(),
        });
        Ok(message)
    }

    /// Tells a contact the caller checked of typing or a receipt; nothing is kept.
    pub fn signal(&self, to: &str, signal: Signal) {
        self.hub.inner.bus.publish(BusEvent::Signal {
            from: self.address.clone(),
            from_resource: self.resource.clone(),
            to: to.to_lowercase(),
            signal,
        });
    }

    /// A page of the user's history (with one contact or group, or with everyone), oldest
    /// first. A group's history is its members' only, and starts when the group alias was
    /// created: a group made again at an old address does not see the old one's.
    pub async fn history(&self, query: &History) -> Result<HistoryPage, ChatError> {
        let mut query = query.clone();
        let group = match &query.with {
            Some(with) => match self.hub.group(with) {
                Some(group) if group.has_member(&self.address) => {
                    query.start = Some(query.start.map_or(group.since, |s| s.max(group.since)));
                    true
                }
                Some(_) => return Err(ChatError::NotMember),
                None => false,
            },
            None => false,
        };
        super::history::read(&self.hub.inner.db, &self.address, &query, group).await
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let inner = &self.hub.inner;
        let was_available = {
            let mut state = inner.lock();
            let local = state.local.remove(&self.id);
            if let Some(sessions) = state.present.get_mut(&self.address) {
                sessions.remove(&self.key());
            }
            local.is_some_and(|l| l.available)
        };
        if was_available || self.status != Status::Offline {
            inner
                .bus
                .publish(BusEvent::Presence(self.presence(Status::Offline, None)));
        }
    }
}

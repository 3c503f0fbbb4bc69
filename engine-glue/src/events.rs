// SPDX-License-Identifier: AGPL-3.0-only
//! The engine's events the panel keeps, as typed values: sign-ins of mail clients (with their
//! outcome, protocol and address) and messages submitted by an authenticated account.
//!
//! The engine delivers events to in-process subscribers only when the events are in its
//! global interests, so the subscription adds them there too, with the connection events
//! whose spans carry the protocol and the client's address. Settings reloads done through the
//! glue leave telemetry untouched, so the subscription survives them. Nothing is dropped on
//! the way: when the panel is slow, the engine's non-lossy subscriber queue holds the rest.

use std::{
    collections::HashMap,
    net::IpAddr,
    time::{Duration, Instant},
};

use stalwart_lib::{
    AuthEvent, Collector, Event, EventDetails, EventType, ImapEvent, Key, ManageSieveEvent,
    Pop3Event, QueueEvent, SecurityEvent, SmtpEvent, Value, ipc::subscriber::SubscriberBuilder,
};
use tokio::sync::mpsc;

use crate::engine::Engine;

/// Events waiting for the panel; beyond this the forwarding task waits for the panel.
const QUEUE: usize = 4096;

/// The protocol a sign-in came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailProtocol {
    Imap,
    Pop3,
    Smtp,
    ManageSieve,
    /// A connection the subscription saw no start of.
    Unknown,
}

impl MailProtocol {
    pub fn code(self) -> &'static str {
        match self {
            MailProtocol::Imap => "imap",
            MailProtocol::Pop3 => "pop3",
            MailProtocol::Smtp => "smtp",
            MailProtocol::ManageSieve => "sieve",
            MailProtocol::Unknown => "unknown",
        }
    }
}

/// How a mail client's sign-in ended, as far as the engine's authentication says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    Ok,
    WrongPassword,
    /// The right password without the TOTP code (2FA is on).
    MissingCode,
    /// The address is banned after too many failures.
    Banned,
}

/// Something that happened in the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// A mail client tried to sign in. `account` is the login it gave; the engine does not
    /// name it when a right password came without its TOTP code. The engine checks the
    /// protocol switch only after the credentials, so an `Ok` here may still be refused for a
    /// switched-off protocol (and the engine's refusal names no connection).
    SignIn {
        account: Option<String>,
        protocol: MailProtocol,
        outcome: SignInOutcome,
        remote_ip: Option<IpAddr>,
        /// The connection, to tie a later refusal to this sign-in.
        connection: Option<u64>,
        /// Unix seconds.
        at: u64,
    },
    /// An authenticated account handed a message to the queue.
    Submitted {
        sender: String,
        recipients: Vec<String>,
    },
}

impl Engine {
    /// Starts receiving the engine's events. Call once; the stream ends when the engine stops.
    pub fn subscribe(&self) -> mpsc::Receiver<EngineEvent> {
        let builder = SubscriberBuilder::new("casella-panel".into())
            .with_lossy(false)
            .set_interests([
                EventType::Auth(AuthEvent::Success),
                EventType::Auth(AuthEvent::Failed),
                EventType::Auth(AuthEvent::MissingTotp),
                EventType::Auth(AuthEvent::TooManyAttempts),
                EventType::Security(SecurityEvent::AuthenticationBan),
                EventType::Queue(QueueEvent::QueueMessageAuthenticated),
                // Span starts and ends, so sign-in events carry their connection.
                EventType::Imap(ImapEvent::ConnectionStart),
                EventType::Imap(ImapEvent::ConnectionEnd),
                EventType::Pop3(Pop3Event::ConnectionStart),
                EventType::Pop3(Pop3Event::ConnectionEnd),
                EventType::Smtp(SmtpEvent::ConnectionStart),
                EventType::Smtp(SmtpEvent::ConnectionEnd),
                EventType::ManageSieve(ManageSieveEvent::ConnectionStart),
                EventType::ManageSieve(ManageSieveEvent::ConnectionEnd),
            ]);
        let interests = builder.interests.clone();
        let (_tx, mut batches) = builder.register();
        Collector::union_interests(interests);
        Collector::reload();

        let (out, events) = mpsc::channel(QUEUE);
        tokio::spawn(async move {
            let mut connections = Connections::default();
            loop {
                let batch = tokio::time::timeout(WAIT_FOR_CONNECTION, batches.recv()).await;
                let mut ready = Vec::new();
                match batch {
                    Ok(Some(batch)) => {
                        for event in batch {
                            connections.take(&event, &mut ready);
                        }
                    }
                    Ok(None) => return,
                    Err(_) => {}
                }
                connections.expire(&mut ready);
                for event in ready {
                    if out.send(event).await.is_err() {
                        return;
                    }
                }
            }
        });
        events
    }
}

/// How long a sign-in waits for the start of its connection, which the engine may report
/// after it (its threads queue events separately); then it goes out without one.
const WAIT_FOR_CONNECTION: Duration = Duration::from_secs(2);
/// Open connections remembered at most.
const MAX_CONNECTIONS: usize = 100_000;

/// The mail connections open now, by the engine's span id, so a sign-in whose span the
/// engine did not attach still gets its protocol and address.
#[derive(Default)]
struct Connections {
    open: HashMap<u64, (MailProtocol, Option<IpAddr>)>,
    /// Sign-ins whose connection start has not been seen yet.
    waiting: Vec<(Instant, EngineEvent)>,
}

impl Connections {
    /// Takes one engine event; what is ready for the panel goes to `ready`.
    fn take(&mut self, event: &Event<EventDetails>, ready: &mut Vec<EngineEvent>) {
        if let Some(protocol) = start_of(event.inner.typ) {
            if let Some(id) = event.span_id() {
                if self.open.len() >= MAX_CONNECTIONS {
                    self.open.clear();
                }
                self.open.insert(id, (protocol, remote_ip(event)));
                self.release(id, ready);
            }
            return;
        }
        if is_end(event.inner.typ) {
            if let Some(id) = event.span_id() {
                self.release(id, ready);
                self.open.remove(&id);
            }
            return;
        }
        let Some(mut translated) = translate(event) else {
            return;
        };
        if let EngineEvent::SignIn {
            protocol: protocol @ MailProtocol::Unknown,
            remote_ip,
            connection: Some(id),
            ..
        } = &mut translated
        {
            match self.open.get(id) {
                Some((known, ip)) => {
                    *protocol = *known;
                    *remote_ip = remote_ip.or(*ip);
                }
                None => {
                    self.waiting.push((Instant::now(), translated));
                    return;
                }
            }
        }
        ready.push(translated);
    }

    /// Completes the sign-ins waiting for connection `id`.
    fn release(&mut self, id: u64, ready: &mut Vec<EngineEvent>) {
        let Some(&(known, ip)) = self.open.get(&id) else {
            return;
        };
        let mut i = 0;
        while i < self.waiting.len() {
            let matches = matches!(
                &self.waiting[i].1,
                EngineEvent::SignIn { connection: Some(c), .. } if *c == id
            );
            if matches {
                let (_, mut event) = self.waiting.remove(i);
                if let EngineEvent::SignIn {
                    protocol,
                    remote_ip,
                    ..
                } = &mut event
                {
                    *protocol = known;
                    *remote_ip = remote_ip.or(ip);
                }
                ready.push(event);
            } else {
                i += 1;
            }
        }
    }

    /// Lets out the sign-ins that waited long enough, as they are.
    fn expire(&mut self, ready: &mut Vec<EngineEvent>) {
        let now = Instant::now();
        let (late, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(since, _)| now.duration_since(*since) >= WAIT_FOR_CONNECTION);
        self.waiting = still;
        ready.extend(late.into_iter().map(|(_, event)| event));
    }
}

/// The protocol of a connection-start event.
fn start_of(typ: EventType) -> Option<MailProtocol> {
    match typ {
        EventType::Imap(ImapEvent::ConnectionStart) => Some(MailProtocol::Imap),
        EventType::Pop3(Pop3Event::ConnectionStart) => Some(MailProtocol::Pop3),
        EventType::Smtp(SmtpEvent::ConnectionStart) => Some(MailProtocol::Smtp),
        EventType::ManageSieve(ManageSieveEvent::ConnectionStart) => {
            Some(MailProtocol::ManageSieve)
        }
        _ => None,
    }
}

fn is_end(typ: EventType) -> bool {
    matches!(
        typ,
        EventType::Imap(ImapEvent::ConnectionEnd)
            | EventType::Pop3(Pop3Event::ConnectionEnd)
            | EventType::Smtp(SmtpEvent::ConnectionEnd)
            | EventType::ManageSieve(ManageSieveEvent::ConnectionEnd)
    )
}

/// The connection span an event belongs to: its protocol and the client's address.
fn connection(event: &Event<EventDetails>) -> (MailProtocol, Option<IpAddr>) {
    let Some(span) = event.inner.span.as_ref() else {
        return (MailProtocol::Unknown, remote_ip(event));
    };
    let protocol = match span.inner.typ {
        EventType::Imap(_) => MailProtocol::Imap,
        EventType::Pop3(_) => MailProtocol::Pop3,
        EventType::Smtp(_) => MailProtocol::Smtp,
        EventType::ManageSieve(_) => MailProtocol::ManageSieve,
        _ => MailProtocol::Unknown,
    };
    (protocol, remote_ip(span).or_else(|| remote_ip(event)))
}

fn remote_ip(event: &Event<EventDetails>) -> Option<IpAddr> {
    match event.value(Key::RemoteIp)? {
        Value::Ipv4(ip) => Some(IpAddr::V4(*ip)),
        Value::Ipv6(ip) => Some(IpAddr::V6(*ip)),
        other => other.to_string().parse().ok(),
    }
}

fn translate(event: &Event<EventDetails>) -> Option<EngineEvent> {
    let sign_in = |outcome| {
        let (protocol, remote_ip) = connection(event);
        Some(EngineEvent::SignIn {
            account: event.value_as_str(Key::AccountName).map(str::to_lowercase),
            protocol,
            outcome,
            remote_ip,
            connection: event.span_id(),
            at: event.inner.timestamp,
        })
    };
    match event.inner.typ {
        EventType::Auth(AuthEvent::Success) => sign_in(SignInOutcome::Ok),
        EventType::Auth(AuthEvent::Failed) => sign_in(SignInOutcome::WrongPassword),
        EventType::Auth(AuthEvent::MissingTotp) => sign_in(SignInOutcome::MissingCode),
        EventType::Auth(AuthEvent::TooManyAttempts)
        | EventType::Security(SecurityEvent::AuthenticationBan) => sign_in(SignInOutcome::Banned),
        EventType::Queue(QueueEvent::QueueMessageAuthenticated) => {
            let recipients = match event.value(Key::To)? {
                Value::Array(list) => list
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_lowercase))
                    .collect(),
                other => other.as_str().map(str::to_lowercase).into_iter().collect(),
            };
            Some(EngineEvent::Submitted {
                sender: event.value_as_str(Key::From)?.to_lowercase(),
                recipients,
            })
        }
        _ => None,
    }
}

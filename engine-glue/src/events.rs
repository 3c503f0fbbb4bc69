// SPDX-License-Identifier: AGPL-3.0-only
//! The engine's events the panel keeps, as typed values: sign-ins of mail clients (with their
//! outcome, protocol and address) and every step of a message through the engine (taken,
//! refused, delivered, deferred, bounced), recipient by recipient, for the message trace.
//!
//! The engine delivers events to in-process subscribers only when the events are in its
//! global interests, so the subscription adds them there too, with the connection and
//! delivery-attempt events whose spans carry the protocol, the client's address and the
//! queued message. Settings reloads done through the glue leave telemetry untouched, so the
//! subscription survives them. Nothing is dropped on the way: when the panel is slow, the
//! engine's non-lossy subscriber queue holds the rest.
//!
//! The engine's threads queue their events separately, so an event can arrive before the
//! start of the span it belongs to; such an event waits here (at most two seconds) for it.
//! `EVENTS.md` lists the sequences this relies on, as observed.

use std::{
    collections::HashMap,
    net::IpAddr,
    time::{Duration, Instant},
};

use stalwart_lib::{
    AuthEvent, Collector, DeliveryEvent, Event, EventDetails, EventType, ImapEvent, Key,
    ManageSieveEvent, MessageIngestEvent, Pop3Event, QueueEvent, SecurityEvent, SmtpEvent, Value,
    common::{config::smtp::queue::DEFAULT_QUEUE_NAME, core::BuildServer},
    ipc::subscriber::SubscriberBuilder,
    smtp::queue::spool::SmtpSpool,
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

/// Where a message stands for one of its recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// In the engine's queue, not yet delivered.
    Accepted,
    /// A delivery attempt failed for now; the engine will try again.
    Deferred,
    /// Handed to the recipient's mailbox or to the receiving server.
    Delivered,
    /// Failed for good; the sender gets a bounce.
    Bounced,
    /// Refused while the sender was still connected (the recipient was never queued).
    Rejected,
}

/// How the engine came to hold a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageSource {
    /// Received from another server (the MX port, no sign-in).
    Received,
    /// Sent by a signed-in account (submission, webmail).
    Submitted,
    /// Written by the engine itself: a bounce or an automatic reply.
    Generated,
    /// Only its delivery was seen (its acceptance came too late or before the panel).
    Unknown,
}

/// One recipient's step through the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStep {
    /// Unix seconds.
    pub at: u64,
    /// The engine's queue id; none for a recipient refused before queueing.
    pub queue_id: Option<u64>,
    pub source: MessageSource,
    /// The envelope sender, lower case; empty for a bounce.
    pub sender: String,
    /// The recipient, lower case.
    pub recipient: String,
    pub size: Option<u64>,
    pub status: MessageStatus,
    /// Why (a refusal's or a failure's reason) or the receiving server's reply.
    pub detail: Option<String>,
    /// The server that answered (`localhost` for a local delivery).
    pub remote_host: Option<String>,
    /// The client that handed the message over, for a message taken over SMTP.
    pub remote_ip: Option<IpAddr>,
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
    /// A message's step for one recipient.
    Message(MessageStep),
    /// The Message-ID header of a queued message, once known.
    Identified { queue_id: u64, message_id: String },
}

impl Engine {
    /// Starts receiving the engine's events. Call once; the stream ends when the engine stops.
    pub fn subscribe(&self) -> mpsc::Receiver<EngineEvent> {
        let builder = SubscriberBuilder::new("casella-panel".into())
            .with_lossy(false)
            .set_interests(INTERESTS);
        let interests = builder.interests.clone();
        let (_tx, mut batches) = builder.register();
        Collector::union_interests(interests);
        Collector::reload();

        let (out, events) = mpsc::channel(QUEUE);
        let engine = self.inner.clone();
        tokio::spawn(async move {
            let mut tracker = Tracker::default();
            loop {
                let batch = tokio::time::timeout(WAIT_FOR_SPAN, batches.recv()).await;
                let mut ready = Vec::new();
                let mut to_identify = Vec::new();
                match batch {
                    Ok(Some(batch)) => {
                        for event in batch {
                            if event.inner.typ
                                == EventType::Queue(QueueEvent::QueueMessageAuthenticated)
                                && let Some(id) = event.value_as_uint(Key::QueueId)
                            {
                                to_identify.push(id);
                            }
                            tracker.take(&event, &mut ready);
                        }
                    }
                    Ok(None) => return,
                    Err(_) => {}
                }
                tracker.expire(&mut ready);
                // A message sent out is identified from its queued copy: no delivery event
                // names the Message-ID of a message that leaves the server.
                for queue_id in to_identify {
                    let out = out.clone();
                    let server = engine.build_server();
                    tokio::spawn(async move {
                        if let Some(message_id) = queued_message_id(&server, queue_id).await {
                            let _ = out
                                .send(EngineEvent::Identified {
                                    queue_id,
                                    message_id,
                                })
                                .await;
                        }
                    });
                }
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

/// What the subscription asks the engine for.
const INTERESTS: [EventType; 41] = [
    EventType::Auth(AuthEvent::Success),
    EventType::Auth(AuthEvent::Failed),
    EventType::Auth(AuthEvent::MissingTotp),
    EventType::Auth(AuthEvent::TooManyAttempts),
    EventType::Security(SecurityEvent::AuthenticationBan),
    // Span starts and ends, so sign-ins and messages carry their connection.
    EventType::Imap(ImapEvent::ConnectionStart),
    EventType::Imap(ImapEvent::ConnectionEnd),
    EventType::Pop3(Pop3Event::ConnectionStart),
    EventType::Pop3(Pop3Event::ConnectionEnd),
    EventType::Smtp(SmtpEvent::ConnectionStart),
    EventType::Smtp(SmtpEvent::ConnectionEnd),
    EventType::ManageSieve(ManageSieveEvent::ConnectionStart),
    EventType::ManageSieve(ManageSieveEvent::ConnectionEnd),
    // A message taken or refused in an SMTP session.
    EventType::Smtp(SmtpEvent::MailFrom),
    EventType::Smtp(SmtpEvent::MailboxDoesNotExist),
    EventType::Smtp(SmtpEvent::RelayNotAllowed),
    EventType::Smtp(SmtpEvent::RateLimitExceeded),
    EventType::Queue(QueueEvent::QueueMessage),
    EventType::Queue(QueueEvent::QueueMessageAuthenticated),
    EventType::Queue(QueueEvent::QueueDsn),
    EventType::Queue(QueueEvent::QueueAutogenerated),
    // A delivery attempt (its span) and what came of it.
    EventType::Delivery(DeliveryEvent::AttemptStart),
    EventType::Delivery(DeliveryEvent::AttemptEnd),
    EventType::MessageIngest(MessageIngestEvent::Ham),
    EventType::MessageIngest(MessageIngestEvent::Spam),
    EventType::Delivery(DeliveryEvent::DsnSuccess),
    EventType::Delivery(DeliveryEvent::DsnTempFail),
    EventType::Delivery(DeliveryEvent::DsnPermFail),
    EventType::Queue(QueueEvent::Rescheduled),
    // Why an attempt failed, for the recipients it leaves deferred.
    EventType::Delivery(DeliveryEvent::MxLookupFailed),
    EventType::Delivery(DeliveryEvent::IpLookupFailed),
    EventType::Delivery(DeliveryEvent::NullMx),
    EventType::Delivery(DeliveryEvent::ConnectError),
    EventType::Delivery(DeliveryEvent::GreetingFailed),
    EventType::Delivery(DeliveryEvent::EhloRejected),
    EventType::Delivery(DeliveryEvent::MailFromRejected),
    EventType::Delivery(DeliveryEvent::RcptToRejected),
    EventType::Delivery(DeliveryEvent::RcptToFailed),
    EventType::Delivery(DeliveryEvent::MessageRejected),
    EventType::Delivery(DeliveryEvent::StartTlsError),
    EventType::Delivery(DeliveryEvent::ConcurrencyLimitExceeded),
];

/// How long an event waits for the start of its span, which the engine may report after it;
/// then it goes out with what is known.
const WAIT_FOR_SPAN: Duration = Duration::from_secs(2);
/// How long a delivery outcome waits for the start of its attempt: without it the outcome
/// names no queued message, so it is worth a longer wait than a sign-in's.
const WAIT_FOR_ATTEMPT: Duration = Duration::from_secs(10);
/// How long a finished delivery attempt is remembered, for its late events.
const KEEP_ATTEMPT: Duration = Duration::from_secs(30);
/// Open connections (and attempts) remembered at most.
const MAX_SPANS: usize = 100_000;

/// An open mail connection.
struct Connection {
    protocol: MailProtocol,
    remote_ip: Option<IpAddr>,
    /// The engine's listener (`smtp` for the MX, `submission`, `submissions`, ...).
    listener: Option<String>,
    /// The last MAIL FROM of an SMTP session.
    sender: Option<String>,
}

/// A delivery attempt of a queued message.
#[derive(Clone)]
struct Attempt {
    queue_id: Option<u64>,
    sender: String,
    size: Option<u64>,
    /// The recipients the attempt is for.
    recipients: Vec<String>,
    /// The last failure the attempt reported (host, reason).
    failure: Option<(Option<String>, String)>,
    ended: Option<Instant>,
}

impl Attempt {
    fn from_start(event: &Event<EventDetails>) -> Attempt {
        Attempt {
            queue_id: event.value_as_uint(Key::QueueId),
            sender: sender_of(event),
            size: event.value_as_uint(Key::Size),
            recipients: addresses(event.value(Key::To)),
            failure: None,
            ended: None,
        }
    }
}

/// The spans the events refer to, and the events waiting for theirs.
#[derive(Default)]
struct Tracker {
    connections: HashMap<u64, Connection>,
    attempts: HashMap<u64, Attempt>,
    /// Events whose span start has not been seen yet: until when they wait, the span, the
    /// event.
    waiting: Vec<(Instant, u64, Event<EventDetails>)>,
}

/// What span an event needs to be understood.
enum Needs {
    Connection,
    Attempt,
    Nothing,
}

fn needs(typ: EventType) -> Needs {
    match typ {
        EventType::Auth(_)
        | EventType::Security(_)
        | EventType::Smtp(
            SmtpEvent::MailboxDoesNotExist
            | SmtpEvent::RelayNotAllowed
            | SmtpEvent::RateLimitExceeded,
        )
        | EventType::Queue(QueueEvent::QueueMessage | QueueEvent::QueueMessageAuthenticated) => {
            Needs::Connection
        }
        EventType::MessageIngest(_)
        | EventType::Delivery(_)
        | EventType::Queue(QueueEvent::Rescheduled) => Needs::Attempt,
        _ => Needs::Nothing,
    }
}

impl Tracker {
    /// Takes one engine event; what is ready for the panel goes to `ready`.
    fn take(&mut self, event: &Event<EventDetails>, ready: &mut Vec<EngineEvent>) {
        let typ = event.inner.typ;
        let span = event.span_id();
        if let Some(protocol) = start_of(typ) {
            if let Some(id) = span {
                if self.connections.len() >= MAX_SPANS {
                    self.connections.clear();
                }
                self.connections.insert(
                    id,
                    Connection {
                        protocol,
                        remote_ip: remote_ip(event),
                        listener: event.value_as_str(Key::ListenerId).map(str::to_string),
                        sender: None,
                    },
                );
                self.release(id, ready);
            }
            return;
        }
        if is_end(typ) {
            if let Some(id) = span {
                self.release(id, ready);
                self.connections.remove(&id);
            }
            return;
        }
        match typ {
            EventType::Delivery(DeliveryEvent::AttemptStart) => {
                if let Some(id) = span {
                    if self.attempts.len() >= MAX_SPANS {
                        self.attempts.clear();
                    }
                    self.attempts.insert(id, Attempt::from_start(event));
                    self.release(id, ready);
                }
                return;
            }
            EventType::Delivery(DeliveryEvent::AttemptEnd) => {
                if let Some(attempt) = span.and_then(|id| self.attempts.get_mut(&id)) {
                    attempt.ended = Some(Instant::now());
                }
                return;
            }
            EventType::Smtp(SmtpEvent::MailFrom) => {
                if let Some(connection) = span.and_then(|id| self.connections.get_mut(&id)) {
                    connection.sender = Some(sender_of(event));
                }
                return;
            }
            _ => {}
        }
        let needed = needs(typ);
        let wait = match needed {
            Needs::Attempt => WAIT_FOR_ATTEMPT,
            _ => WAIT_FOR_SPAN,
        };
        let known = match needed {
            Needs::Connection => {
                event.inner.span.is_some()
                    || span.is_none_or(|id| self.connections.contains_key(&id))
            }
            Needs::Attempt => {
                event.inner.span.is_some() || span.is_none_or(|id| self.attempts.contains_key(&id))
            }
            Needs::Nothing => true,
        };
        match span {
            Some(id) if !known => self
                .waiting
                .push((Instant::now() + wait, id, event.clone())),
            _ => self.translate(event, ready),
        }
    }

    /// Lets out the events waiting for span `id`, now that it started.
    fn release(&mut self, id: u64, ready: &mut Vec<EngineEvent>) {
        if !self.waiting.iter().any(|(_, span, _)| *span == id) {
            return;
        }
        let (now, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(_, span, _)| *span == id);
        self.waiting = still;
        for (_, _, event) in now {
            self.translate(&event, ready);
        }
    }

    /// Lets out the events that waited long enough, with what is known, and forgets the
    /// attempts finished a while ago.
    fn expire(&mut self, ready: &mut Vec<EngineEvent>) {
        let now = Instant::now();
        let (late, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(until, _, _)| now >= *until);
        self.waiting = still;
        for (_, _, event) in late {
            self.translate(&event, ready);
        }
        self.attempts
            .retain(|_, a| a.ended.is_none_or(|t| now.duration_since(t) < KEEP_ATTEMPT));
    }

    /// The connection an event happened on: from the span the engine attached, or from the
    /// connections seen.
    fn connection(&self, event: &Event<EventDetails>) -> (MailProtocol, Option<IpAddr>) {
        if let Some(span) = event.inner.span.as_ref() {
            let protocol = match span.inner.typ {
                EventType::Imap(_) => MailProtocol::Imap,
                EventType::Pop3(_) => MailProtocol::Pop3,
                EventType::Smtp(_) => MailProtocol::Smtp,
                EventType::ManageSieve(_) => MailProtocol::ManageSieve,
                _ => MailProtocol::Unknown,
            };
            return (protocol, remote_ip(span).or_else(|| remote_ip(event)));
        }
        match event.span_id().and_then(|id| self.connections.get(&id)) {
            Some(c) => (c.protocol, remote_ip(event).or(c.remote_ip)),
            None => (MailProtocol::Unknown, remote_ip(event)),
        }
    }

    /// The delivery attempt an event belongs to.
    fn attempt(&self, event: &Event<EventDetails>) -> Option<Attempt> {
        if let Some(a) = event.span_id().and_then(|id| self.attempts.get(&id)) {
            return Some(a.clone());
        }
        event
            .inner
            .span
            .as_ref()
            .filter(|s| s.inner.typ == EventType::Delivery(DeliveryEvent::AttemptStart))
            .map(|s| Attempt::from_start(s))
    }

    fn translate(&mut self, event: &Event<EventDetails>, ready: &mut Vec<EngineEvent>) {
        let typ = event.inner.typ;
        let at = event.inner.timestamp;
        let sign_in = |outcome| {
            let (protocol, remote_ip) = self.connection(event);
            EngineEvent::SignIn {
                account: event.value_as_str(Key::AccountName).map(str::to_lowercase),
                protocol,
                outcome,
                remote_ip,
                connection: event.span_id(),
                at,
            }
        };
        match typ {
            EventType::Auth(AuthEvent::Success) => ready.push(sign_in(SignInOutcome::Ok)),
            EventType::Auth(AuthEvent::Failed) => ready.push(sign_in(SignInOutcome::WrongPassword)),
            EventType::Auth(AuthEvent::MissingTotp) => {
                ready.push(sign_in(SignInOutcome::MissingCode))
            }
            EventType::Auth(AuthEvent::TooManyAttempts)
            | EventType::Security(SecurityEvent::AuthenticationBan) => {
                ready.push(sign_in(SignInOutcome::Banned))
            }
            EventType::Smtp(
                refusal @ (SmtpEvent::MailboxDoesNotExist
                | SmtpEvent::RelayNotAllowed
                | SmtpEvent::RateLimitExceeded),
            ) => {
                // The first rate-limit event of a refusal names the limiter, not a recipient.
                let Some(recipient) = event.value_as_str(Key::To) else {
                    return;
                };
                let detail = match refusal {
                    SmtpEvent::MailboxDoesNotExist => "550 5.1.2 Mailbox does not exist.",
                    SmtpEvent::RelayNotAllowed => "550 5.1.2 Relay not allowed.",
                    _ => "452 4.4.5 Rate limit exceeded, try again later.",
                };
                let (_, remote_ip) = self.connection(event);
                let connection = event.span_id().and_then(|id| self.connections.get(&id));
                ready.push(EngineEvent::Message(MessageStep {
                    at,
                    queue_id: None,
                    source: match connection.and_then(|c| c.listener.as_deref()) {
                        Some("smtp") | None => MessageSource::Received,
                        Some(_) => MessageSource::Submitted,
                    },
                    sender: connection
                        .and_then(|c| c.sender.clone())
                        .unwrap_or_default(),
                    recipient: recipient.to_lowercase(),
                    size: None,
                    status: MessageStatus::Rejected,
                    detail: Some(detail.to_string()),
                    remote_host: None,
                    remote_ip,
                }));
            }
            EventType::Queue(
                queued @ (QueueEvent::QueueMessage
                | QueueEvent::QueueMessageAuthenticated
                | QueueEvent::QueueDsn
                | QueueEvent::QueueAutogenerated),
            ) => {
                let source = match queued {
                    QueueEvent::QueueMessage => MessageSource::Received,
                    QueueEvent::QueueMessageAuthenticated => MessageSource::Submitted,
                    _ => MessageSource::Generated,
                };
                let remote_ip = match source {
                    MessageSource::Generated => None,
                    _ => self.connection(event).1,
                };
                let sender = sender_of(event);
                let recipients = addresses(event.value(Key::To));
                if source == MessageSource::Submitted {
                    ready.push(EngineEvent::Submitted {
                        sender: sender.clone(),
                        recipients: recipients.clone(),
                    });
                }
                for recipient in recipients {
                    ready.push(EngineEvent::Message(MessageStep {
                        at,
                        queue_id: event.value_as_uint(Key::QueueId),
                        source,
                        sender: sender.clone(),
                        recipient,
                        size: event.value_as_uint(Key::Size),
                        status: MessageStatus::Accepted,
                        detail: None,
                        remote_host: None,
                        remote_ip,
                    }));
                }
            }
            EventType::MessageIngest(MessageIngestEvent::Ham | MessageIngestEvent::Spam) => {
                let queue_id = self.attempt(event).and_then(|a| a.queue_id);
                if let (Some(queue_id), Some(id)) = (queue_id, event.value_as_str(Key::MessageId))
                    && !id.is_empty()
                {
                    ready.push(EngineEvent::Identified {
                        queue_id,
                        message_id: id.to_string(),
                    });
                }
            }
            EventType::Delivery(
                outcome @ (DeliveryEvent::DsnSuccess
                | DeliveryEvent::DsnTempFail
                | DeliveryEvent::DsnPermFail),
            ) => {
                let Some(recipient) = event.value_as_str(Key::To) else {
                    return;
                };
                let attempt = self.attempt(event);
                let status = match outcome {
                    DeliveryEvent::DsnSuccess => MessageStatus::Delivered,
                    DeliveryEvent::DsnTempFail => MessageStatus::Deferred,
                    _ => MessageStatus::Bounced,
                };
                let detail = event.value_as_str(Key::Details).map(|d| {
                    match event.value_as_uint(Key::Code) {
                        Some(code) if !d.starts_with(&code.to_string()) => format!("{code} {d}"),
                        _ => d.to_string(),
                    }
                });
                ready.push(step_of(
                    attempt.as_ref(),
                    at,
                    recipient.to_lowercase(),
                    status,
                    detail,
                    event.value_as_str(Key::Hostname).map(str::to_string),
                ));
            }
            EventType::Queue(QueueEvent::Rescheduled) => {
                // The recipients still pending after this attempt wait for another: each is
                // deferred (one the attempt delivered keeps its better status in the panel).
                let Some(attempt) = self.attempt(event) else {
                    return;
                };
                let (host, reason) = attempt.failure.clone().unwrap_or_default();
                for recipient in &attempt.recipients {
                    ready.push(step_of(
                        Some(&attempt),
                        at,
                        recipient.clone(),
                        MessageStatus::Deferred,
                        Some(reason.clone()).filter(|r| !r.is_empty()),
                        host.clone(),
                    ));
                }
            }
            EventType::Delivery(_) => {
                // A failure inside an attempt: remembered as the reason for what stays pending.
                let Some(attempt) = event.span_id().and_then(|id| self.attempts.get_mut(&id))
                else {
                    return;
                };
                let reason = event
                    .value_as_str(Key::Details)
                    .or_else(|| event.value_as_str(Key::Reason))
                    .map(str::to_string)
                    .unwrap_or_else(|| typ.description().to_string());
                let host = event
                    .value_as_str(Key::Hostname)
                    .or_else(|| event.value_as_str(Key::Domain))
                    .map(str::to_string);
                attempt.failure = Some((host, reason));
            }
            _ => {}
        }
    }
}

/// A recipient's step from a delivery attempt.
fn step_of(
    attempt: Option<&Attempt>,
    at: u64,
    recipient: String,
    status: MessageStatus,
    detail: Option<String>,
    remote_host: Option<String>,
) -> EngineEvent {
    EngineEvent::Message(MessageStep {
        at,
        queue_id: attempt.and_then(|a| a.queue_id),
        source: MessageSource::Unknown,
        sender: attempt.map(|a| a.sender.clone()).unwrap_or_default(),
        recipient,
        size: attempt.and_then(|a| a.size),
        status,
        detail,
        remote_host,
        remote_ip: None,
    })
}

/// The envelope sender an event names, lower case; empty for the null sender.
fn sender_of(event: &Event<EventDetails>) -> String {
    match event.value_as_str(Key::From) {
        Some("<>") | None => String::new(),
        Some(from) => from.to_lowercase(),
    }
}

/// The addresses of a `To` value (one or a list), lower case.
fn addresses(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_lowercase))
            .collect(),
        Some(other) => other.as_str().map(str::to_lowercase).into_iter().collect(),
        None => Vec::new(),
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

fn remote_ip(event: &Event<EventDetails>) -> Option<IpAddr> {
    match event.value(Key::RemoteIp)? {
        Value::Ipv4(ip) => Some(IpAddr::V4(*ip)),
        Value::Ipv6(ip) => Some(IpAddr::V6(*ip)),
        other => other.to_string().parse().ok(),
    }
}

/// How long the Message-ID lookup waits for the queue to hold the message: the engine
/// reports a message just before writing it to the queue.
const IDENTIFY_TRIES: [u64; 5] = [0, 5, 20, 100, 500];
/// The part of a message read for its headers.
const HEADER_BYTES: usize = 16 * 1024;

/// The Message-ID of a message in the queue, read from the head of its stored copy.
async fn queued_message_id(server: &stalwart_lib::Server, queue_id: u64) -> Option<String> {
    for wait in IDENTIFY_TRIES {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let Some(message) = server.read_message(queue_id, DEFAULT_QUEUE_NAME).await else {
            continue;
        };
        let head = server
            .blob_store()
            .get_blob(message.message.blob_hash.as_slice(), 0..HEADER_BYTES)
            .await
            .ok()??;
        return message_id_header(&head);
    }
    None
}

/// The Message-ID header of a message's head, without its brackets.
pub(crate) fn message_id_header(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    let headers = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .split("\n\n")
        .next()
        .unwrap_or_default();
    let mut lines = headers.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("message-id") {
            continue;
        }
        let mut value = value.trim().to_string();
        // A folded header goes on in lines that start with white space.
        while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
            value.push_str(next.trim());
            lines.next();
        }
        let id = value.trim().trim_start_matches('<');
        let id = id.split('>').next().unwrap_or_default().trim();
        return (!id.is_empty() && id.len() <= 998).then(|| id.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use stalwart_lib::{
        DeliveryEvent, Event, EventDetails, EventType, Key, Level, QueueEvent, SmtpEvent, Value,
    };

    use super::{
        EngineEvent, MessageSource, MessageStatus, MessageStep, Tracker, message_id_header,
    };

    fn event(typ: EventType, keys: Vec<(Key, Value)>) -> Event<EventDetails> {
        Event {
            inner: EventDetails {
                typ,
                timestamp: 1_700_000_000,
                level: Level::Info,
                span: None,
            },
            keys,
        }
    }

    fn text(s: &str) -> Value {
        Value::String(s.into())
    }

    fn steps(ready: Vec<EngineEvent>) -> Vec<MessageStep> {
        ready
            .into_iter()
            .filter_map(|e| match e {
                EngineEvent::Message(step) => Some(step),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_outcome_before_its_attempt_waits_for_it_and_a_retry_defers_with_the_reason() {
        let mut tracker = Tracker::default();
        let mut ready = Vec::new();
        let span = (Key::SpanId, Value::UInt(7));
        // The engine reported the delivery before the attempt's start.
        tracker.take(
            &event(
                EventType::Delivery(DeliveryEvent::DsnSuccess),
                vec![
                    span.clone(),
                    (Key::To, text("Bob@A.test")),
                    (Key::Hostname, text("localhost")),
                    (Key::Code, Value::UInt(250)),
                    (Key::Details, text("OK")),
                ],
            ),
            &mut ready,
        );
        assert!(ready.is_empty(), "it waits for its span: {ready:?}");
        tracker.take(
            &event(
                EventType::Delivery(DeliveryEvent::AttemptStart),
                vec![
                    span.clone(),
                    (Key::QueueId, Value::UInt(42)),
                    (Key::From, text("ada@a.test")),
                    (
                        Key::To,
                        Value::Array(vec![text("bob@a.test"), text("x@far.test")]),
                    ),
                    (Key::Size, Value::UInt(900)),
                ],
            ),
            &mut ready,
        );
        tracker.take(
            &event(
                EventType::Delivery(DeliveryEvent::MxLookupFailed),
                vec![
                    span.clone(),
                    (Key::Domain, text("far.test")),
                    (Key::Details, text("DNS timeout")),
                ],
            ),
            &mut ready,
        );
        tracker.take(
            &event(EventType::Queue(QueueEvent::Rescheduled), vec![span]),
            &mut ready,
        );
        let steps = steps(ready);
        assert_eq!(steps.len(), 3, "{steps:?}");
        assert_eq!(steps[0].status, MessageStatus::Delivered);
        assert_eq!(steps[0].queue_id, Some(42));
        assert_eq!(steps[0].recipient, "bob@a.test");
        assert_eq!(steps[0].sender, "ada@a.test");
        assert_eq!(steps[0].detail.as_deref(), Some("250 OK"));
        let deferred: Vec<_> = steps[1..]
            .iter()
            .map(|s| (s.recipient.as_str(), s.status))
            .collect();
        assert_eq!(
            deferred,
            [
                ("bob@a.test", MessageStatus::Deferred),
                ("x@far.test", MessageStatus::Deferred)
            ]
        );
        assert_eq!(steps[2].detail.as_deref(), Some("DNS timeout"));
        assert_eq!(steps[2].remote_host.as_deref(), Some("far.test"));
    }

    #[test]
    fn a_refused_recipient_carries_the_sessions_sender_and_address() {
        let mut tracker = Tracker::default();
        let mut ready = Vec::new();
        let span = (Key::SpanId, Value::UInt(9));
        tracker.take(
            &event(
                EventType::Smtp(SmtpEvent::ConnectionStart),
                vec![
                    span.clone(),
                    (Key::ListenerId, text("submissions")),
                    (Key::RemoteIp, Value::Ipv4(Ipv4Addr::new(192, 0, 2, 1))),
                ],
            ),
            &mut ready,
        );
        tracker.take(
            &event(
                EventType::Smtp(SmtpEvent::MailFrom),
                vec![span.clone(), (Key::From, text("Ada@A.test"))],
            ),
            &mut ready,
        );
        // The limiter's own event names no recipient and makes no row.
        tracker.take(
            &event(
                EventType::Smtp(SmtpEvent::RateLimitExceeded),
                vec![span.clone(), (Key::Id, text("send-1"))],
            ),
            &mut ready,
        );
        tracker.take(
            &event(
                EventType::Smtp(SmtpEvent::RateLimitExceeded),
                vec![span, (Key::To, text("c@ext.test"))],
            ),
            &mut ready,
        );
        let steps = steps(ready);
        assert_eq!(steps.len(), 1, "{steps:?}");
        let step = &steps[0];
        assert_eq!(step.status, MessageStatus::Rejected);
        assert_eq!(step.source, MessageSource::Submitted);
        assert_eq!(step.sender, "ada@a.test");
        assert_eq!(step.recipient, "c@ext.test");
        assert_eq!(
            step.remote_ip,
            Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
        );
        assert!(step.detail.as_deref().is_some_and(|d| d.contains("4.4.5")));
    }

    #[test]
    fn the_message_id_is_read_from_the_headers_only() {
        let head = b"From: a@b.test\r\nMessage-Id:\r\n <abc.123@b.test>\r\nSubject: x\r\n\r\nMessage-ID: <body@b.test>\r\n";
        assert_eq!(message_id_header(head).as_deref(), Some("abc.123@b.test"));
        assert_eq!(
            message_id_header(b"Subject: x\r\n\r\nMessage-ID: <body@b.test>\r\n"),
            None
        );
        assert_eq!(message_id_header(b"Message-ID: <>\r\n\r\n"), None);
    }
}

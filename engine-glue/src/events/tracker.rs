// SPDX-License-Identifier: AGPL-3.0-only
//! The spans engine events belong to (mail connections and delivery attempts) and the
//! translation of the events into what the panel keeps. The engine's threads queue their
//! events separately, so an event can arrive before the start of its span: it waits here
//! for it, a little, then goes out with what is known.

use std::{
    collections::HashMap,
    net::IpAddr,
    time::{Duration, Instant},
};

use stalwart_lib::{
    AuthEvent, DeliveryEvent, Event, EventDetails, EventType, ImapEvent, Key, ManageSieveEvent,
    MessageIngestEvent, Pop3Event, QueueEvent, SecurityEvent, SmtpEvent, Value,
};

use super::{EngineEvent, MailProtocol, MessageSource, MessageStatus, MessageStep, SignInOutcome};

/// How long an event waits for the start of its span, which the engine may report after it;
/// then it goes out with what is known.
pub(super) const WAIT_FOR_SPAN: Duration = Duration::from_secs(2);
/// How long a delivery outcome waits for the start of its attempt: without it the outcome
/// names no queued message, so it is worth a longer wait than a sign-in's.
const WAIT_FOR_ATTEMPT: Duration = Duration::from_secs(10);
/// How long a finished delivery attempt or a closed connection is remembered, for its late
/// events: the engine's threads queue their events apart, so a connection's last refusal can
/// come after its end when the machine is busy.
const KEEP_ENDED: Duration = Duration::from_secs(30);
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
    /// When the connection ended: it is remembered a while after, for its late events.
    ended: Option<Instant>,
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
pub(super) struct Tracker {
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
    pub(super) fn take(&mut self, event: &Event<EventDetails>, ready: &mut Vec<EngineEvent>) {
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
                        ended: None,
                    },
                );
                self.release(id, ready);
            }
            return;
        }
        if is_end(typ) {
            if let Some(id) = span {
                self.release(id, ready);
                if let Some(connection) = self.connections.get_mut(&id) {
                    connection.ended = Some(Instant::now());
                }
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
    pub(super) fn expire(&mut self, ready: &mut Vec<EngineEvent>) {
        let now = Instant::now();
        let (late, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(until, _, _)| now >= *until);
        self.waiting = still;
        for (_, _, event) in late {
            self.translate(&event, ready);
        }
        let kept =
            |ended: Option<Instant>| ended.is_none_or(|t| now.duration_since(t) < KEEP_ENDED);
        self.attempts.retain(|_, a| kept(a.ended));
        self.connections.retain(|_, c| kept(c.ended));
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
                let Some(recipient) = event
                    .value_as_str(Key::To)
                    .filter(|r| !crate::is_journal_address(r))
                else {
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

/// The addresses of an event's recipients, in lower case, without the archive's journal (the
/// hook's extra recipient is the archive's own bookkeeping: no Tracemail row, no message
/// counted against its sender's limit).
fn addresses(value: Option<&Value>) -> Vec<String> {
    let listed = match value {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_lowercase))
            .collect(),
        Some(other) => other.as_str().map(str::to_lowercase).into_iter().collect(),
        None => Vec::new(),
    };
    listed
        .into_iter()
        .filter(|a| !crate::is_journal_address(a))
        .collect()
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

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use stalwart_lib::{
        DeliveryEvent, Event, EventDetails, EventType, Key, Level, QueueEvent, SmtpEvent, Value,
    };

    use super::Tracker;
    use crate::events::{EngineEvent, MessageSource, MessageStatus, MessageStep};

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
    fn the_archives_journal_recipient_is_in_no_step_and_no_submission() {
        let mut tracker = Tracker::default();
        let mut ready = Vec::new();
        let session = (Key::SpanId, Value::UInt(10));
        let span = (Key::SpanId, Value::UInt(11));
        let journal = "journal+0123456789abcdef0123456789abcdef@archive.invalid";
        tracker.take(
            &event(
                EventType::Smtp(SmtpEvent::ConnectionStart),
                vec![
                    session.clone(),
                    (Key::ListenerId, text("submissions")),
                    (Key::RemoteIp, Value::Ipv4(Ipv4Addr::new(192, 0, 2, 1))),
                ],
            ),
            &mut ready,
        );
        tracker.take(
            &event(
                EventType::Queue(QueueEvent::QueueMessageAuthenticated),
                vec![
                    session,
                    (Key::QueueId, Value::UInt(43)),
                    (Key::From, text("ada@a.test")),
                    (
                        Key::To,
                        Value::Array(vec![text("bob@a.test"), text(journal)]),
                    ),
                    (Key::Size, Value::UInt(900)),
                ],
            ),
            &mut ready,
        );
        tracker.take(
            &event(
                EventType::Delivery(DeliveryEvent::AttemptStart),
                vec![
                    span.clone(),
                    (Key::QueueId, Value::UInt(43)),
                    (Key::From, text("ada@a.test")),
                    (
                        Key::To,
                        Value::Array(vec![text("bob@a.test"), text(journal)]),
                    ),
                ],
            ),
            &mut ready,
        );
        for to in ["bob@a.test", journal] {
            tracker.take(
                &event(
                    EventType::Delivery(DeliveryEvent::DsnSuccess),
                    vec![
                        span.clone(),
                        (Key::To, text(to)),
                        (Key::Code, Value::UInt(250)),
                    ],
                ),
                &mut ready,
            );
        }
        let submitted: Vec<_> = ready
            .iter()
            .filter_map(|e| match e {
                EngineEvent::Submitted { recipients, .. } => Some(recipients.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(submitted, [vec!["bob@a.test".to_string()]]);
        let steps: Vec<_> = steps(ready)
            .into_iter()
            .map(|s| (s.recipient, s.status))
            .collect();
        assert_eq!(
            steps,
            [
                ("bob@a.test".to_string(), MessageStatus::Accepted),
                ("bob@a.test".to_string(), MessageStatus::Delivered)
            ]
        );
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
                vec![span.clone(), (Key::To, text("c@ext.test"))],
            ),
            &mut ready,
        );
        // On a busy machine the session's end can come before its last refusal: the
        // connection is still known then.
        tracker.take(
            &event(
                EventType::Smtp(SmtpEvent::ConnectionEnd),
                vec![span.clone()],
            ),
            &mut ready,
        );
        tracker.expire(&mut ready);
        tracker.take(
            &event(
                EventType::Smtp(SmtpEvent::RateLimitExceeded),
                vec![span, (Key::To, text("d@ext.test"))],
            ),
            &mut ready,
        );
        let steps = steps(ready);
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert_eq!(
            (steps[1].recipient.as_str(), steps[1].sender.as_str()),
            ("d@ext.test", "ada@a.test")
        );
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
}

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
//! start of the span it belongs to; the tracker (`tracker.rs`) keeps it waiting a little for
//! it. `EVENTS.md` lists the sequences this relies on, as observed.

use std::{net::IpAddr, time::Duration};

use stalwart_lib::{
    AuthEvent, Collector, DeliveryEvent, EventType, ImapEvent, Key, ManageSieveEvent,
    MessageIngestEvent, Pop3Event, QueueEvent, SecurityEvent, SmtpEvent,
    common::{config::smtp::queue::DEFAULT_QUEUE_NAME, core::BuildServer},
    ipc::subscriber::{EventBatch, SubscriberBuilder},
    smtp::queue::spool::SmtpSpool,
};
use tokio::sync::mpsc;

use crate::engine::Engine;

mod tracker;

use tracker::{Tracker, WAIT_FOR_SPAN};

/// Events waiting for the panel; beyond this the forwarding task waits for the panel.
const QUEUE: usize = 4096;
/// How long the engine's events gather before they are taken.
const GATHER: Duration = Duration::from_millis(50);

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
                let mut take = |batch: EventBatch| {
                    for event in batch {
                        if event.inner.typ
                            == EventType::Queue(QueueEvent::QueueMessageAuthenticated)
                            && let Some(id) = event.value_as_uint(Key::QueueId)
                        {
                            to_identify.push(id);
                        }
                        tracker.take(&event, &mut ready);
                    }
                };
                match batch {
                    Ok(Some(batch)) => {
                        take(batch);
                        // What came meanwhile, without waiting.
                        while let Ok(batch) = batches.try_recv() {
                            take(batch);
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
                // The engine hands its events over as they happen, a few at a time; taken
                // every GATHER, a busy engine's events cost this task a wake-up per GATHER,
                // not one per event.
                tokio::time::sleep(GATHER).await;
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

/// How long the Message-ID lookup waits for the queue to hold the message: the engine
/// reports a message just before writing it to the queue.
const IDENTIFY_TRIES: [u64; 5] = [0, 5, 20, 100, 500];
/// The part of a message read for its headers.
pub(crate) const HEADER_BYTES: usize = 16 * 1024;

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
    use super::message_id_header;

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

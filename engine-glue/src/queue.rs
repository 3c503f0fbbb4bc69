// SPDX-License-Identifier: AGPL-3.0-only
//! What the archive's journal reads of the engine's queue: a queued message's envelope (the
//! journal address names the message by its queue id), and, after a restart, the journal
//! copies the queue still has to deliver.

use stalwart_lib::{
    common::config::smtp::queue::DEFAULT_QUEUE_NAME,
    smtp::queue::{Message, Recipient, Status, spool::SmtpSpool},
    store::{
        Deserialize, IterateParams, ValueKey,
        write::{AlignedBytes, Archive, QueueClass, ValueClass, key::DeserializeBigEndian},
    },
};

use crate::{
    Engine, GlueError,
    config::is_journal_address,
    directory::engine_err,
    events::{HEADER_BYTES, message_id_header},
};

/// A queued message's envelope, as the engine keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEnvelope {
    /// When the engine accepted it, in seconds since the Unix epoch.
    pub accepted_at: u64,
    /// Its recipients, Bcc included, in the engine's order (journal recipients left out).
    pub recipients: Vec<String>,
    /// Its journal recipients still to be delivered, in lower case.
    pub journal_due: Vec<String>,
    /// The BLAKE3 hash of the message as queued (the bytes every delivery sends).
    pub blob_hash: [u8; 32],
}

/// A message whose journal copy the engine's queue still has to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueJournalCopy {
    pub queue_id: u64,
    /// Its journal recipients still to be delivered, in lower case.
    pub addresses: Vec<String>,
    /// Its Message-ID header, without brackets, when it has one.
    pub message_id: Option<String>,
}

impl Engine {
    /// The envelope of a message in the engine's queue (accepted, and not yet delivered to
    /// every recipient). `None` when the queue does not hold it (or could not be read; the
    /// engine logs why).
    pub async fn queued_envelope(&self, queue_id: u64) -> Option<QueuedEnvelope> {
        let queued = self
            .server()
            .read_message(queue_id, DEFAULT_QUEUE_NAME)
            .await?;
        Some(envelope_of(&queued.message))
    }

    /// The messages of the engine's queue with a journal copy still to deliver: read once at
    /// start, so the archive knows which copies are on their way.
    pub async fn due_journal_copies(&self) -> Result<Vec<DueJournalCopy>, GlueError> {
        let server = self.server();
        let mut due = Vec::new();
        server
            .store()
            .iterate(
                IterateParams::new(
                    ValueKey::from(ValueClass::Queue(QueueClass::Message(0))),
                    ValueKey::from(ValueClass::Queue(QueueClass::Message(u64::MAX))),
                ),
                |key, value| {
                    let message = <Archive<AlignedBytes> as Deserialize>::deserialize(value)?
                        .deserialize::<Message>()?;
                    let envelope = envelope_of(&message);
                    if !envelope.journal_due.is_empty() {
                        due.push((
                            key.deserialize_be_u64(0)?,
                            envelope.journal_due,
                            message.blob_hash,
                        ));
                    }
                    Ok(true)
                },
            )
            .await
            .map_err(engine_err)?;
        let mut copies = Vec::with_capacity(due.len());
        for (queue_id, addresses, blob_hash) in due {
            let head = server
                .blob_store()
                .get_blob(blob_hash.as_slice(), 0..HEADER_BYTES)
                .await
                .map_err(engine_err)?;
            copies.push(DueJournalCopy {
                queue_id,
                addresses,
                message_id: head.as_deref().and_then(message_id_header),
            });
        }
        Ok(copies)
    }
}

fn envelope_of(message: &Message) -> QueuedEnvelope {
    let journal = |r: &&Recipient| is_journal_address(&r.address);
    QueuedEnvelope {
        accepted_at: message.created,
        recipients: message
            .recipients
            .iter()
            .filter(|r| !journal(r))
            .map(|r| r.address.to_lowercase())
            .collect(),
        journal_due: message
            .recipients
            .iter()
            .filter(journal)
            .filter(|r| matches!(r.status, Status::Scheduled | Status::TemporaryFailure(_)))
            .map(|r| r.address.to_lowercase())
            .collect(),
        blob_hash: {
            let mut hash = [0; 32];
            let bytes = message.blob_hash.as_slice();
            if bytes.len() == hash.len() {
                hash.copy_from_slice(bytes);
            }
            hash
        },
    }
}

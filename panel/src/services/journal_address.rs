// SPDX-License-Identifier: AGPL-3.0-only
//! The journal recipient's address, which carries what the archive needs to know of a
//! message it did not see accepted: the engine's queue id and the archived parties.
//!
//! ```text
//! journal+<queue id>.<parties>.<seal>@archive.invalid      journal+1f9a0c.12i-7o.<32 hex>@…
//! ```
//!
//! - the queue id is the engine's, in hex: the queued message holds the rest of the envelope
//!   (when it was accepted, every recipient, Bcc included), read when the copy comes;
//! - the parties are archive ids with their direction (`12i`: archive 12 receives it, `7o`:
//!   archive 7 sent it), as the hook found them when the engine was about to accept the
//!   message;
//! - the seal is an HMAC-SHA256 of both (its first 16 bytes) under a key kept in the panel
//!   database, so only the hook can name parties, and a restart (or another node of the same
//!   installation) checks the addresses queued before it.
//!
//! So the hook writes nothing and the SMTP client waits for no commit: the engine's durable
//! queue holds the envelope from the moment it accepts the message. A message with many
//! archived parties gets several journal recipients, each address within RFC 5321's path
//! limit (at most [`MAX_ADDRESS`] characters; its local part is longer than the RFC's 64, which
//! neither the engine nor the receiver's parser checks); the engine relays them in one
//! transaction.
//!
//! The receiver takes a copy only for an address the engine's queue still has to deliver, and
//! only if its bytes are the queued message's (BLAKE3, as the engine hashes them): an address
//! read from a log and sent again with other bytes adds nothing.
//!
//! Addresses of the earlier form, `journal+<32 hex>@archive.invalid`, name an envelope row
//! written by the hook of an earlier version; copies of them may still be queued.

use engine_glue::{JOURNAL_DOMAIN, is_journal_address};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::archive::Direction;

/// The local part's prefix of every journal recipient.
pub const JOURNAL_PREFIX: &str = "journal+";

/// The longest journal address made (RFC 5321's path limit is 256 with its brackets).
pub const MAX_ADDRESS: usize = 254;

/// The longest parties field of one address: the rest is the prefix, the queue id (16 hex at
/// most), the seal (32 hex), two dots and the domain.
const MAX_PARTIES: usize =
    MAX_ADDRESS - JOURNAL_PREFIX.len() - 16 - 32 - 2 - 1 - JOURNAL_DOMAIN.len();

/// What the seal is made over, before the queue id and the parties.
const SEAL_CONTEXT: &[u8] = b"casella journal address v1\0";

/// The kept key's name in `panel_settings`.
pub const KEY_SETTING: &str = "journal_address_key";

/// A journal recipient, as the receiver is given it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalRecipient {
    /// An envelope row's token (the hook of an earlier version wrote one per message).
    Envelope(String),
    /// A message in the engine's queue and its archived parties.
    Queued(QueuedCopy),
}

/// A journal recipient that names its message by queue id, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedCopy {
    pub queue_id: u64,
    pub parties: Vec<(i32, Direction)>,
    seal: [u8; 16],
}

impl JournalRecipient {
    /// Reads a journal recipient's address; `None` for any other address.
    pub fn parse(address: &str) -> Option<JournalRecipient> {
        if !is_journal_address(address) || address.len() > MAX_ADDRESS + 2 {
            return None;
        }
        let (local, _) = address.rsplit_once('@')?;
        let local = local.to_ascii_lowercase();
        let rest = local.strip_prefix(JOURNAL_PREFIX)?;
        if rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(JournalRecipient::Envelope(rest.to_string()));
        }
        let mut fields = rest.split('.');
        let (Some(queue_id), Some(parties), Some(seal), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return None;
        };
        if queue_id.is_empty() || queue_id.len() > 16 || !is_lower_hex(queue_id) {
            return None;
        }
        let queue_id = u64::from_str_radix(queue_id, 16).ok()?;
        let parties = parse_parties(parties)?;
        let seal = data_encoding::HEXLOWER.decode(seal.as_bytes()).ok()?;
        Some(JournalRecipient::Queued(QueuedCopy {
            queue_id,
            parties,
            seal: seal.try_into().ok()?,
        }))
    }
}

impl QueuedCopy {
    /// Whether the hook made this address (its seal is the one `key` gives).
    pub fn is_genuine(&self, key: &[u8]) -> bool {
        seal(key, self.queue_id, &parties_text(&self.parties))
            .ct_eq(&self.seal)
            .into()
    }

    /// The address as the hook wrote it (in lower case, as the engine's queue is read).
    pub fn address(&self) -> String {
        address(self.queue_id, &parties_text(&self.parties), &self.seal)
    }
}

/// The journal recipients for a message about to be queued as `queue_id`, with these
/// archived parties (at least one): one address, or a few when the parties do not fit.
pub fn journal_addresses(key: &[u8], queue_id: u64, parties: &[(i32, Direction)]) -> Vec<String> {
    let mut addresses = Vec::new();
    let mut rest = parties;
    while !rest.is_empty() {
        // As many parties as fit (always one: an id has 11 characters at most).
        let mut length = 0;
        let mut taken = 0;
        for party in rest {
            let more = party_text(*party).len() + usize::from(taken > 0);
            if taken > 0 && length + more > MAX_PARTIES {
                break;
            }
            length += more;
            taken += 1;
        }
        let (these, after) = rest.split_at(taken);
        let text = parties_text(these);
        addresses.push(address(queue_id, &text, &seal(key, queue_id, &text)));
        rest = after;
    }
    addresses
}

fn address(queue_id: u64, parties: &str, seal: &[u8; 16]) -> String {
    format!(
        "{JOURNAL_PREFIX}{queue_id:x}.{parties}.{}@{JOURNAL_DOMAIN}",
        data_encoding::HEXLOWER.encode(seal)
    )
}

fn seal(key: &[u8], queue_id: u64, parties: &str) -> [u8; 16] {
    let mut seal = [0; 16];
    // HMAC takes a key of any length.
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) {
        mac.update(SEAL_CONTEXT);
        mac.update(&queue_id.to_be_bytes());
        mac.update(parties.as_bytes());
        seal.copy_from_slice(&mac.finalize().into_bytes()[..16]);
    }
    seal
}

fn party_text((id, direction): (i32, Direction)) -> String {
    let letter = match direction {
        Direction::In => 'i',
        Direction::Out => 'o',
    };
    format!("{id}{letter}")
}

fn parties_text(parties: &[(i32, Direction)]) -> String {
    parties
        .iter()
        .map(|party| party_text(*party))
        .collect::<Vec<_>>()
        .join("-")
}

/// `12i-7o` as its parties; `None` unless every one is an archive id and a direction.
fn parse_parties(text: &str) -> Option<Vec<(i32, Direction)>> {
    text.split('-')
        .map(|party| {
            let direction = match party.as_bytes().last()? {
                b'i' => Direction::In,
                b'o' => Direction::Out,
                _ => return None,
            };
            let id = &party[..party.len() - 1];
            // Written as `format!` writes it: no sign, no leading zero.
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || id.starts_with('0') {
                return None;
            }
            Some((id.parse().ok()?, direction))
        })
        .collect()
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && !(text.len() > 1 && text.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn queued(address: &str) -> QueuedCopy {
        match JournalRecipient::parse(address) {
            Some(JournalRecipient::Queued(copy)) => copy,
            other => panic!("{address}: {other:?}"),
        }
    }

    #[test]
    fn an_address_carries_its_queue_id_and_parties_under_its_seal() {
        let parties = [(12, Direction::In), (7, Direction::Out)];
        let addresses = journal_addresses(KEY, 0x1f9a_0c00_dead_beef, &parties);
        assert_eq!(addresses.len(), 1);
        let address = &addresses[0];
        assert!(
            address.starts_with("journal+1f9a0c00deadbeef.12i-7o."),
            "{address}"
        );
        assert!(address.ends_with("@archive.invalid"));
        let copy = queued(address);
        assert_eq!(copy.queue_id, 0x1f9a_0c00_dead_beef);
        assert_eq!(copy.parties, parties);
        assert_eq!(&copy.address(), address);
        assert!(copy.is_genuine(KEY));
        assert!(!copy.is_genuine(b"another key"));
        // The engine may hand it back in upper case.
        assert!(queued(&address.to_uppercase()).is_genuine(KEY));
    }

    #[test]
    fn a_changed_party_or_queue_id_breaks_the_seal() {
        let address = &journal_addresses(KEY, 0xabc, &[(12, Direction::In)])[0];
        for forged in [
            address.replace(".12i.", ".13i."),
            address.replace(".12i.", ".12o."),
            address.replace(".12i.", ".12i-5i."),
            address.replace("journal+abc.", "journal+abd."),
        ] {
            assert!(!queued(&forged).is_genuine(KEY), "{forged}");
        }
    }

    #[test]
    fn many_parties_are_spread_over_addresses_of_a_length_every_parser_takes() {
        let parties: Vec<(i32, Direction)> = (1..=200)
            .map(|n| {
                let direction = if n % 2 == 0 {
                    Direction::In
                } else {
                    Direction::Out
                };
                (2_000_000_000 + n, direction)
            })
            .collect();
        let addresses = journal_addresses(KEY, u64::MAX, &parties);
        assert!(addresses.len() > 1);
        let mut found = Vec::new();
        for address in &addresses {
            assert!(address.len() <= MAX_ADDRESS, "{}", address.len());
            let copy = queued(address);
            assert!(copy.is_genuine(KEY));
            assert_eq!(copy.queue_id, u64::MAX);
            found.extend(copy.parties);
        }
        assert_eq!(found, parties);
    }

    #[test]
    fn other_addresses_are_not_journal_recipients() {
        let token = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            JournalRecipient::parse(&format!("journal+{token}@archive.invalid")),
            Some(JournalRecipient::Envelope(token.into()))
        );
        let seal = "0".repeat(32);
        for address in [
            format!("journal+{token}@demo.test"),
            "journal+short@archive.invalid".into(),
            format!("other+{token}@archive.invalid"),
            format!("journal+abc.12i.{seal}.x@archive.invalid"),
            format!("journal+abc.12x.{seal}@archive.invalid"),
            format!("journal+abc.012i.{seal}@archive.invalid"),
            format!("journal+abc.-12i.{seal}@archive.invalid"),
            format!("journal+abc..{seal}@archive.invalid"),
            format!("journal+0abc.12i.{seal}@archive.invalid"),
            format!("journal+abc.12i.{}@archive.invalid", "0".repeat(30)),
            format!("journal+{}.12i.{seal}@archive.invalid", "f".repeat(17)),
            format!("journal+abc.99999999999i.{seal}@archive.invalid"),
        ] {
            assert_eq!(JournalRecipient::parse(&address), None, "{address}");
        }
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! Chat clients' recent PLAIN sign-ins, so that a client coming back (a phone changing
//! networks, a laptop waking up, a client reconnecting after a drop) does not wait for the
//! argon2id check again, and a server with many such clients does not spend its cores on it.
//!
//! What is kept is a keyed hash (HMAC-SHA-256, with a key made at start and held in memory
//! only) of a login and the password the engine accepted for it, beside a digest of the
//! account's secrets as they stood *before* that check. A later sign-in with the same login
//! and password skips the password hash only while the account's secrets are still those
//! (no password changed or reset, no app password made or revoked, 2FA not switched on),
//! the account may sign in, and the address is not banned: the rules a SCRAM verifier
//! follows. An entry lasts [`TTL`] from its check, however often it is used, so every
//! password meets its hash at least that often. A wrong password matches no entry: it
//! always goes to the engine, where it counts towards the ban. A restart forgets everything.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use engine_glue::ClientSecrets;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How long a checked password is taken without its hash.
pub const TTL: Duration = Duration::from_secs(15 * 60);
/// Entries kept at most (about 100 bytes each); past it, new sign-ins are not kept.
const MAX_ENTRIES: usize = 50_000;

/// The recent sign-ins of this process.
pub(crate) struct RecentSignIns {
    key: [u8; 32],
    entries: Mutex<HashMap<[u8; 32], Recent>>,
}

struct Recent {
    secrets: [u8; 32],
    at: Instant,
}

impl RecentSignIns {
    pub(crate) fn new() -> RecentSignIns {
        let mut key = [0u8; 32];
        rand::fill(&mut key[..]);
        RecentSignIns {
            key,
            entries: Mutex::default(),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Recent>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The keyed hash of a login and a password.
    pub(crate) fn tag(&self, login: &str, secret: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        // Length-prefixed, so no two (login, password) pairs hash the same input.
        mac.update(&(login.len() as u64).to_be_bytes());
        mac.update(login.as_bytes());
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether this login and password were accepted less than [`TTL`] ago while the
    /// account's secrets were `secrets`. A stale entry is dropped.
    pub(crate) fn matches(&self, tag: &[u8; 32], secrets: &[u8; 32], now: Instant) -> bool {
        let mut entries = self.entries();
        let Some(recent) = entries.get(tag) else {
            return false;
        };
        if now.saturating_duration_since(recent.at) < TTL
            && bool::from(recent.secrets.ct_eq(secrets))
        {
            return true;
        }
        entries.remove(tag);
        false
    }

    /// Keeps a sign-in the engine accepted, with the secrets read before its check.
    pub(crate) fn remember(&self, tag: [u8; 32], secrets: [u8; 32], now: Instant) {
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, recent| now.saturating_duration_since(recent.at) < TTL);
            if entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        entries.insert(tag, Recent { secrets, at: now });
    }
}

/// A digest of everything an account signs in with: it changes with any password, app
/// password or 2FA change.
pub(crate) fn secrets_digest(secrets: &ClientSecrets) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(secrets.account.0.to_be_bytes());
    hash.update([u8::from(secrets.two_factor)]);
    match &secrets.main {
        Some(main) => {
            hash.update([1]);
            hash.update(main.0);
        }
        None => hash.update([0]),
    }
    let mut apps: Vec<_> = secrets.apps.iter().collect();
    apps.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, fingerprint) in apps {
        hash.update((name.len() as u64).to_be_bytes());
        hash.update(name.as_bytes());
        hash.update(fingerprint.0);
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_glue::{AccountId, SecretFingerprint};

    fn secrets(main: u8, apps: &[(&str, u8)], two_factor: bool) -> ClientSecrets {
        ClientSecrets {
            account: AccountId(7),
            enabled: true,
            two_factor,
            main: Some(SecretFingerprint([main; 32])),
            apps: apps
                .iter()
                .map(|(name, f)| (name.to_string(), SecretFingerprint([*f; 32])))
                .collect(),
        }
    }

    #[test]
    fn a_kept_sign_in_matches_only_its_password_and_the_same_secrets() {
        let recent = RecentSignIns::new();
        let now = Instant::now();
        let before = secrets_digest(&secrets(1, &[("Gajim", 2)], false));
        let tag = recent.tag("anna@chat.test", "Segreta-1");
        assert!(!recent.matches(&tag, &before, now));
        recent.remember(tag, before, now);
        assert!(recent.matches(&tag, &before, now + Duration::from_secs(60)));
        // Another password, or the same password of another login, is another tag.
        assert!(!recent.matches(&recent.tag("anna@chat.test", "Segreta-2"), &before, now));
        assert!(!recent.matches(&recent.tag("bruno@chat.test", "Segreta-1"), &before, now));
        assert_ne!(recent.tag("ab", "c"), recent.tag("a", "bc"));
        // Any change of the account's secrets ends it, and it stays ended.
        for changed in [
            secrets(3, &[("Gajim", 2)], false),
            secrets(1, &[], false),
            secrets(1, &[("Gajim", 2), ("Dino", 4)], false),
            secrets(1, &[("Gajim", 2)], true),
        ] {
            let recent = RecentSignIns::new();
            let tag = recent.tag("anna@chat.test", "Segreta-1");
            recent.remember(tag, before, now);
            assert!(!recent.matches(&tag, &secrets_digest(&changed), now));
            assert!(!recent.matches(&tag, &before, now));
        }
    }

    #[test]
    fn an_entry_ends_after_its_time_however_often_it_is_used() {
        let recent = RecentSignIns::new();
        let now = Instant::now();
        let digest = secrets_digest(&secrets(1, &[], false));
        let tag = recent.tag("anna@chat.test", "Segreta-1");
        recent.remember(tag, digest, now);
        for minute in 1..15 {
            assert!(recent.matches(&tag, &digest, now + Duration::from_secs(60 * minute)));
        }
        assert!(!recent.matches(&tag, &digest, now + TTL));
    }

    #[test]
    fn a_full_table_keeps_no_more() {
        let recent = RecentSignIns::new();
        let now = Instant::now();
        let digest = [0u8; 32];
        for i in 0..MAX_ENTRIES {
            recent.remember(recent.tag(&format!("u{i}@chat.test"), "p"), digest, now);
        }
        let extra = recent.tag("late@chat.test", "p");
        recent.remember(extra, digest, now);
        assert!(!recent.matches(&extra, &digest, now));
        // Once the old ones are past their time, room is made.
        recent.remember(extra, digest, now + TTL);
        assert!(recent.matches(&extra, &digest, now + TTL));
    }
}

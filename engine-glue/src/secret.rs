// SPDX-License-Identifier: AGPL-3.0-only
//! Password hashes as the engine stores them: argon2id PHC strings, made before they reach the
//! engine (the engine keeps secrets exactly as given and would accept clear text).

use argon2::{
    Algorithm, Argon2, KeyId, ParamsBuilder, PasswordHasher, PasswordVerifier, Version,
    password_hash::{PasswordHash as PhcHash, SaltString},
};

/// The key of first-password hashes, and the id that marks them in the PHC string. Not a
/// secret that guards anything: it only keeps the engine's verifier (which has no key) from
/// accepting these hashes.
const FIRST_KEY: &[u8] = b"casella first password: web sign-in only";
const FIRST_KEY_ID: &[u8] = b"first";

/// Whether a stored PHC string is a first password's (see [`PasswordHash::hash_first`]).
pub(crate) fn is_first(phc: &str) -> bool {
    PhcHash::new(phc).is_ok_and(|hash| {
        hash.params
            .get_str("keyid")
            .is_some_and(|id| id == "Zmlyc3Q")
    })
}

/// Checks a password against a stored argon2id PHC string, with the first-password key when
/// the string carries its id.
pub(crate) fn verify_phc(phc: &str, password: &str) -> bool {
    let Ok(hash) = PhcHash::new(phc) else {
        return false;
    };
    if is_first(phc) {
        let Ok(params) = argon2::Params::try_from(&hash) else {
            return false;
        };
        Argon2::new_with_secret(FIRST_KEY, Algorithm::Argon2id, Version::V0x13, params)
            .is_ok_and(|argon| argon.verify_password(password.as_bytes(), &hash).is_ok())
    } else {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    }
}

use crate::error::GlueError;

/// The SHA-256 of a secret as the engine stores it (a PHC string): it names that exact
/// secret without revealing it. A verifier derived elsewhere from the same password (SCRAM,
/// for chat clients) records it, and counts only while the engine still holds that secret:
/// a changed or revoked password leaves no verifier behind that still works.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretFingerprint(pub [u8; 32]);

impl SecretFingerprint {
    pub(crate) fn of(stored: &str) -> SecretFingerprint {
        use sha2::Digest;
        SecretFingerprint(sha2::Sha256::digest(stored.as_bytes()).into())
    }

    /// Lower-case hex, as kept in a database column.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for SecretFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretFingerprint({}..)", &self.to_hex()[..8])
    }
}

/// An argon2id hash of a mailbox's main password. Holds no clear text and is never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Hashes a clear-text password with argon2id and a random salt. CPU-heavy: call it from a
    /// blocking task.
    pub fn hash(password: &str) -> Result<Self, GlueError> {
        let mut salt = [0u8; 16];
        rand::fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|err| GlueError::Secret {
            reason: err.to_string(),
        })?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| PasswordHash(hash.to_string()))
            .map_err(|err| GlueError::Secret {
                reason: err.to_string(),
            })
    }

    /// Hashes a first password, the one a new account is handed and must replace at its first
    /// web sign-in. The hash is keyed with a secret the engine's own verifier does not have,
    /// so IMAP, POP3 and SMTP cannot sign in with it; only the web login (which knows the key,
    /// see [`PasswordHash::verify`]) accepts it, until the account sets a password of its own.
    pub fn hash_first(password: &str) -> Result<Self, GlueError> {
        let secret_err = |err: argon2::Error| GlueError::Secret {
            reason: err.to_string(),
        };
        let mut salt = [0u8; 16];
        rand::fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|err| GlueError::Secret {
            reason: err.to_string(),
        })?;
        let params = ParamsBuilder::new()
            .keyid(KeyId::new(FIRST_KEY_ID).map_err(secret_err)?)
            .build()
            .map_err(secret_err)?;
        Argon2::new_with_secret(FIRST_KEY, Algorithm::Argon2id, Version::V0x13, params)
            .map_err(secret_err)?
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| PasswordHash(hash.to_string()))
            .map_err(|err| GlueError::Secret {
                reason: err.to_string(),
            })
    }

    /// Accepts an argon2id PHC string made elsewhere; anything else is refused.
    pub fn from_phc(phc: &str) -> Result<Self, GlueError> {
        let parsed = PhcHash::new(phc).map_err(|err| GlueError::Secret {
            reason: err.to_string(),
        })?;
        if parsed.algorithm.as_str() != "argon2id" {
            return Err(GlueError::Secret {
                reason: format!("expected argon2id, got {}", parsed.algorithm),
            });
        }
        Ok(PasswordHash(phc.to_string()))
    }

    /// Checks a clear-text password against this hash, a first password's included.
    /// CPU-heavy: call it from a blocking task.
    pub fn verify(&self, password: &str) -> bool {
        verify_phc(&self.0, password)
    }

    /// The fingerprint of this hash as the engine will hold it.
    pub fn fingerprint(&self) -> SecretFingerprint {
        SecretFingerprint::of(&self.0)
    }

    /// The PHC string, as written into the engine's directory.
    pub(crate) fn as_phc(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_argon2id_and_verifies() {
        let hash = PasswordHash::hash("Secret-123").unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$"));
        assert!(hash.verify("Secret-123"));
        assert!(!hash.verify("secret-123"));
        assert_eq!(PasswordHash::from_phc(hash.as_phc()).unwrap(), hash);
    }

    #[test]
    fn refuses_clear_text_and_other_algorithms() {
        assert!(PasswordHash::from_phc("Secret-123").is_err());
        assert!(PasswordHash::from_phc("$6$salt$abc").is_err());
    }

    #[tokio::test]
    async fn a_first_password_verifies_here_but_never_in_the_engine() {
        let first = PasswordHash::hash_first("Printed-Once-42").unwrap();
        assert!(first.as_phc().starts_with("$argon2id$") && is_first(first.as_phc()));
        assert!(first.verify("Printed-Once-42"));
        assert!(!first.verify("printed-once-42"));
        // What IMAP, POP3 and SMTP sign-ins run.
        let engine = stalwart_lib::directory::core::secret::verify_secret_hash;
        assert!(
            !engine(first.as_phc(), "Printed-Once-42")
                .await
                .unwrap_or(false)
        );
        let own = PasswordHash::hash("Chosen-Later-42").unwrap();
        assert!(!is_first(own.as_phc()));
        assert!(engine(own.as_phc(), "Chosen-Later-42").await.unwrap());
    }

    #[test]
    fn debug_hides_the_hash() {
        let hash = PasswordHash::hash("x").unwrap();
        assert_eq!(format!("{hash:?}"), "PasswordHash(..)");
    }
}

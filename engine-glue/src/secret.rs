// SPDX-License-Identifier: AGPL-3.0-only
//! Password hashes as the engine stores them: argon2id PHC strings, made before they reach the
//! engine (the engine keeps secrets exactly as given and would accept clear text).

use argon2::{
    Argon2, PasswordHasher, PasswordVerifier,
    password_hash::{PasswordHash as PhcHash, SaltString},
};

use crate::error::GlueError;

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

    /// Checks a clear-text password against this hash. CPU-heavy: call it from a blocking task.
    pub fn verify(&self, password: &str) -> bool {
        PhcHash::new(&self.0).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
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

    #[test]
    fn debug_hides_the_hash() {
        let hash = PasswordHash::hash("x").unwrap();
        assert_eq!(format!("{hash:?}"), "PasswordHash(..)");
    }
}

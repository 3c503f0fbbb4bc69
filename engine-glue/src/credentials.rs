// SPDX-License-Identifier: AGPL-3.0-only
//! The second factor and the mail-client passwords, where the engine keeps them: in the
//! account's secrets, so IMAP, POP3 and SMTP enforce them without asking the panel.
//!
//! - TOTP: the `otpauth://` URL; with it, the engine wants `password$code` from mail
//!   clients, so in practice they use app passwords.
//! - App passwords: `$app$<name>$<argon2id PHC>`. The engine tries them before the main
//!   password and without TOTP; the web login never looks at them.

use stalwart_lib::directory::{
    PrincipalData, QueryParams, Type,
    backend::internal::{PrincipalField, PrincipalUpdate, PrincipalValue, lookup::DirectoryStore},
};

use crate::{directory::engine_err, engine::Engine, error::GlueError, secret::PasswordHash};

/// The secrets of one account that are not its main password.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecondarySecrets {
    /// The TOTP `otpauth://` URL, if 2FA is on.
    pub totp: Option<String>,
    /// The names of the account's app passwords, in the engine's order.
    pub app_passwords: Vec<String>,
}

impl std::fmt::Debug for SecondarySecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondarySecrets")
            .field("totp", &self.totp.as_ref().map(|_| ".."))
            .field("app_passwords", &self.app_passwords)
            .finish()
    }
}

/// Whether a name can label an app password: the engine splits `$app$<name>$<hash>` at the
/// first `$` after the name, so a name holds no `$` and no control characters.
pub fn valid_app_password_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 40
        && !name.chars().any(|c| c == '$' || c.is_control())
}

impl Engine {
    /// An account's TOTP secret and app-password names.
    pub async fn secondary_secrets(&self, login: &str) -> Result<SecondarySecrets, GlueError> {
        let login = login.to_lowercase();
        let principal = self
            .server()
            .store()
            .query(QueryParams::name(&login).with_return_member_of(false))
            .await
            .map_err(engine_err)?
            .filter(|p| p.typ == Type::Individual)
            .ok_or_else(|| GlueError::NotFound {
                what: login.clone(),
            })?;
        let mut secrets = SecondarySecrets::default();
        for item in principal.data {
            match item {
                PrincipalData::OtpAuth(url) => secrets.totp = Some(url),
                PrincipalData::AppPassword(secret) => {
                    if let Some((name, _)) = secret
                        .strip_prefix("$app$")
                        .and_then(|rest| rest.split_once('$'))
                    {
                        secrets.app_passwords.push(name.to_string());
                    }
                }
                _ => {}
            }
        }
        Ok(secrets)
    }

    /// Turns TOTP on with this `otpauth://` URL, replacing any earlier secret.
    pub async fn set_totp(&self, login: &str, url: &str) -> Result<(), GlueError> {
        if !url.starts_with("otpauth://totp/") {
            return Err(GlueError::Invalid {
                reason: "not an otpauth:// TOTP URL".into(),
            });
        }
        self.update_principal(
            login,
            vec![PrincipalUpdate::add_item(
                PrincipalField::Secrets,
                PrincipalValue::String(url.to_string()),
            )],
        )
        .await
    }

    /// Turns TOTP off. The app passwords stay.
    pub async fn remove_totp(&self, login: &str) -> Result<(), GlueError> {
        // A removal by prefix: every `otpauth://` secret, nothing else.
        self.update_principal(
            login,
            vec![PrincipalUpdate::remove_item(
                PrincipalField::Secrets,
                PrincipalValue::String("otpauth://".into()),
            )],
        )
        .await
    }

    /// Adds an app password under a name the account does not use yet.
    pub async fn add_app_password(
        &self,
        login: &str,
        name: &str,
        hash: &PasswordHash,
    ) -> Result<(), GlueError> {
        if !valid_app_password_name(name) {
            return Err(GlueError::Invalid {
                reason: "an app password's name holds no '$' or control characters".into(),
            });
        }
        if self
            .secondary_secrets(login)
            .await?
            .app_passwords
            .iter()
            .any(|n| n == name)
        {
            return Err(GlueError::AlreadyExists {
                what: name.to_string(),
            });
        }
        self.update_principal(
            login,
            vec![PrincipalUpdate::add_item(
                PrincipalField::Secrets,
                PrincipalValue::String(format!("$app${name}${}", hash.as_phc())),
            )],
        )
        .await
    }

    /// Revokes an app password: the next sign-in with it fails. Revoking a name the account
    /// does not have is a no-op.
    pub async fn remove_app_password(&self, login: &str, name: &str) -> Result<(), GlueError> {
        if !valid_app_password_name(name) {
            return Err(GlueError::Invalid {
                reason: "an app password's name holds no '$' or control characters".into(),
            });
        }
        // The engine removes by prefix; the closing `$` keeps "phone" from taking "phone 2".
        self.update_principal(
            login,
            vec![PrincipalUpdate::remove_item(
                PrincipalField::Secrets,
                PrincipalValue::String(format!("$app${name}$")),
            )],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_break_the_engine_format_are_refused() {
        assert!(valid_app_password_name("Thunderbird (laptop)"));
        assert!(valid_app_password_name("iPhone di Marta"));
        assert!(!valid_app_password_name(""));
        assert!(!valid_app_password_name("a$b"));
        assert!(!valid_app_password_name("line\nbreak"));
        assert!(!valid_app_password_name(&"x".repeat(41)));
    }
}

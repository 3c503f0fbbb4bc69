// SPDX-License-Identifier: AGPL-3.0-only
//! The second factor and the mail-client passwords, where the engine keeps them: in the
//! account's secrets, so IMAP, POP3 and SMTP enforce them without asking the panel.
//!
//! - TOTP: the `otpauth://` URL; with it, the engine wants `password$code` from mail
//!   clients, so in practice they use app passwords.
//! - App passwords: `$app$<name>$<argon2id PHC>`. The engine tries them before the main
//!   password and without TOTP; the web login never looks at them.

use std::net::IpAddr;

use mail_send::Credentials;
use stalwart_lib::{
    AuthEvent, EventType,
    directory::{
        Permission, PrincipalData, QueryParams, Type,
        backend::internal::{
            PrincipalField, PrincipalUpdate, PrincipalValue, lookup::DirectoryStore,
        },
        core::secret::verify_secret_hash,
    },
};

use crate::{
    directory::{AccountId, engine_err},
    engine::Engine,
    error::GlueError,
    secret::{PasswordHash, SecretFingerprint},
};

/// How a chat client's sign-in ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSignIn {
    Ok(AccountId),
    /// Unknown login or a secret that matches nothing.
    WrongPassword,
    /// The main password of an account with 2FA: such an account signs in with an app
    /// password.
    MissingCode,
    /// The address is banned for too many failures.
    Banned,
    /// The account may not sign in at all.
    Disabled,
}

/// What a chat client may sign in with, as fingerprints of the engine's own secrets (see
/// [`SecretFingerprint`]), for a verifier kept outside the engine (SCRAM) to be checked
/// against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecrets {
    pub account: AccountId,
    /// Whether the account may sign in at all.
    pub enabled: bool,
    /// Whether 2FA is on: then only app passwords sign a client in.
    pub two_factor: bool,
    /// The main password's, unless it is a first password (which only the web takes).
    pub main: Option<SecretFingerprint>,
    /// Each app password's, by name.
    pub apps: Vec<(String, SecretFingerprint)>,
}

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
    /// Whether the engine bans this address (too many failed sign-ins): its connections are
    /// closed at once.
    pub fn ip_blocked(&self, ip: IpAddr) -> bool {
        self.server().is_ip_blocked(&ip)
    }

    /// Checks a chat client's sign-in: an app password, or the main password of an account
    /// without 2FA (one with 2FA needs an app password: a chat client has no field for a
    /// code). A first password, which only the web may take, never matches. Failures count
    /// towards the engine's brute-force ban, shared with IMAP, POP3, SMTP and the web.
    pub async fn verify_client_login(
        &self,
        login: &str,
        secret: &str,
        remote_ip: IpAddr,
    ) -> Result<ClientSignIn, GlueError> {
        let server = self.server();
        if server.is_ip_blocked(&remote_ip) {
            return Ok(ClientSignIn::Banned);
        }
        let login = login.trim().to_lowercase();
        let two_factor = match self.secondary_secrets(&login).await {
            Ok(secrets) => secrets.totp.is_some(),
            Err(GlueError::NotFound { .. }) => {
                // An unknown login costs what a known one does, so timing does not tell
                // which accounts exist.
                let _ = verify_secret_hash(self.dummy_hash.as_phc(), secret).await;
                false
            }
            Err(err) => return Err(err),
        };
        let credentials = Credentials::Plain {
            username: login.clone(),
            secret: secret.to_string(),
        };
        let found = server
            .store()
            .query(
                QueryParams::credentials(&credentials)
                    .with_return_member_of(false)
                    .with_only_app_pass(two_factor),
            )
            .await;
        match found {
            Ok(Some(principal)) if principal.typ == Type::Individual => {
                let token = server
                    .get_access_token(principal.id)
                    .await
                    .map_err(engine_err)?;
                return Ok(if token.has_permission(Permission::Authenticate) {
                    ClientSignIn::Ok(AccountId(principal.id))
                } else {
                    ClientSignIn::Disabled
                });
            }
            Ok(_) => {}
            Err(err) if err.matches(EventType::Auth(AuthEvent::MissingTotp)) => {
                return Ok(ClientSignIn::MissingCode);
            }
            Err(err) => return Err(engine_err(err)),
        }
        if server.has_auth_fail2ban()
            && server
                .is_auth_fail2banned(remote_ip, Some(&login))
                .await
                .map_err(engine_err)?
        {
            return Ok(ClientSignIn::Banned);
        }
        Ok(
            if two_factor && self.main_password_matches(&login, secret).await {
                ClientSignIn::MissingCode
            } else {
                ClientSignIn::WrongPassword
            },
        )
    }

    /// The fingerprints of what a chat client may sign in with; `None` for a login that is
    /// no individual account.
    pub async fn client_secrets(&self, login: &str) -> Result<Option<ClientSecrets>, GlueError> {
        let server = self.server();
        let Some(principal) = server
            .store()
            .query(QueryParams::name(&login.trim().to_lowercase()).with_return_member_of(false))
            .await
            .map_err(engine_err)?
            .filter(|p| p.typ == Type::Individual)
        else {
            return Ok(None);
        };
        let token = server
            .get_access_token(principal.id)
            .await
            .map_err(engine_err)?;
        let mut secrets = ClientSecrets {
            account: AccountId(principal.id),
            enabled: token.has_permission(Permission::Authenticate),
            two_factor: false,
            main: None,
            apps: Vec::new(),
        };
        for item in &principal.data {
            match item {
                PrincipalData::Password(hash) if !crate::secret::is_first(hash) => {
                    secrets.main = Some(SecretFingerprint::of(hash));
                }
                PrincipalData::OtpAuth(_) => secrets.two_factor = true,
                PrincipalData::AppPassword(secret) => {
                    if let Some((name, hash)) = secret
                        .strip_prefix("$app$")
                        .and_then(|rest| rest.split_once('$'))
                    {
                        secrets
                            .apps
                            .push((name.to_string(), SecretFingerprint::of(hash)));
                    }
                }
                _ => {}
            }
        }
        Ok(Some(secrets))
    }

    /// Counts a chat client's failed sign-in checked outside the engine (SCRAM) towards the
    /// engine's brute-force ban; true once the address is banned.
    pub async fn client_login_failed(
        &self,
        login: &str,
        remote_ip: IpAddr,
    ) -> Result<bool, GlueError> {
        let server = self.server();
        if !server.has_auth_fail2ban() {
            return Ok(false);
        }
        server
            .is_auth_fail2banned(remote_ip, Some(&login.trim().to_lowercase()))
            .await
            .map_err(engine_err)
    }

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

// SPDX-License-Identifier: AGPL-3.0-only
//! The SCRAM-SHA-256 verifiers chat clients sign in against (see `chat::scram`): derived when
//! the panel hands a password to the engine (a mailbox's creation, a password change or
//! reset, an app password's creation, and, for a main password set before verifiers existed,
//! the next web sign-in), and checked against the engine at every use: a verifier counts only
//! while the engine holds the very secret it was derived with, so a changed or revoked
//! password leaves nothing behind that still signs in.

use engine_glue::{ClientSignIn, PasswordHash, SecretFingerprint};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::OnConflict};

use super::{ServiceError, Services, chat::ChatRefusal, chat::ChatUser};
use crate::{
    chat::scram::{self, Verifier},
    db::{chat_verifier, panel_setting},
};

/// PBKDF2 rounds of a new account's verifiers. Clients compute them once per sign-in (most
/// keep the result), the server only when a password is set; an account keeps the count of
/// its first verifier, so every password of it shares one salt and one count.
pub const DEFAULT_SCRAM_ITERATIONS: u32 = 100_000;
/// The panel setting holding the key of stand-in salts.
const STAND_IN_KEY: &str = "chat_scram_key";

/// Which password of an account a verifier is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    Main,
    App(&'a str),
}

impl Credential<'_> {
    fn column(&self) -> &str {
        match self {
            Credential::Main => "",
            Credential::App(name) => name,
        }
    }
}

/// What the server announces for a login, and the verifiers to try the proof against.
pub struct ScramAccount {
    pub salt: Vec<u8>,
    pub iterations: u32,
    /// By credential (empty for the main password), with the engine secret each belongs to.
    pub verifiers: Vec<(String, String, Verifier)>,
}

impl Services {
    /// Derives and keeps the verifier of a password the engine now holds as `hash`. A
    /// failure is logged and costs only SCRAM for that password (PLAIN still works).
    pub(crate) async fn keep_chat_verifier(
        &self,
        address: &str,
        credential: Credential<'_>,
        password: &str,
        hash: &PasswordHash,
    ) {
        if let Err(err) = self
            .try_keep_chat_verifier(address, credential, password, hash.fingerprint())
            .await
        {
            tracing::warn!(%err, %address, "a chat sign-in verifier was not kept");
        }
    }

    async fn try_keep_chat_verifier(
        &self,
        address: &str,
        credential: Credential<'_>,
        password: &str,
        secret: SecretFingerprint,
    ) -> Result<(), ServiceError> {
        let address = address.trim().to_lowercase();
        let existing = chat_verifier::Entity::find()
            .filter(chat_verifier::Column::Address.eq(&address))
            .one(&self.db)
            .await?;
        let (salt, iterations) = match existing {
            Some(row) => (
                data_encoding::BASE64
                    .decode(row.salt.as_bytes())
                    .map_err(|err| ServiceError::Internal(format!("a verifier's salt: {err}")))?,
                row.iterations.max(1) as u32,
            ),
            None => (scram::new_salt(), self.scram_iterations),
        };
        let password = password.to_string();
        let salt_copy = salt.clone();
        let verifier =
            tokio::task::spawn_blocking(move || scram::derive(&password, &salt_copy, iterations))
                .await
                .map_err(|err| ServiceError::Internal(err.to_string()))?;
        let Some(verifier) = verifier else {
            // Not SASLprep text: no client can send it either; PLAIN takes it.
            return Ok(());
        };
        let row = chat_verifier::ActiveModel {
            address: Set(address),
            credential: Set(credential.column().to_string()),
            salt: Set(data_encoding::BASE64.encode(&salt)),
            iterations: Set(iterations as i32),
            stored_key: Set(data_encoding::BASE64.encode(&verifier.stored_key)),
            server_key: Set(data_encoding::BASE64.encode(&verifier.server_key)),
            secret: Set(secret.to_hex()),
            ..Default::default()
        };
        chat_verifier::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    chat_verifier::Column::Address,
                    chat_verifier::Column::Credential,
                ])
                .update_columns([
                    chat_verifier::Column::StoredKey,
                    chat_verifier::Column::ServerKey,
                    chat_verifier::Column::Secret,
                ])
                .to_owned(),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// After a web sign-in with the main password: keeps its verifier if the account has
    /// none for the secret the engine holds now (a password set before verifiers existed).
    pub(crate) async fn refresh_main_chat_verifier(&self, address: &str, password: &str) {
        let current = match self.engine.client_secrets(address).await {
            Ok(Some(secrets)) => secrets.main,
            _ => None,
        };
        let Some(current) = current else {
            return;
        };
        let kept = chat_verifier::Entity::find()
            .filter(chat_verifier::Column::Address.eq(address.trim().to_lowercase()))
            .filter(chat_verifier::Column::Credential.eq(""))
            .one(&self.db)
            .await;
        if matches!(kept, Ok(Some(ref row)) if row.secret == current.to_hex()) {
            return;
        }
        if let Err(err) = self
            .try_keep_chat_verifier(address, Credential::Main, password, current)
            .await
        {
            tracing::warn!(%err, %address, "a chat sign-in verifier was not kept");
        }
    }

    /// Drops a password's verifier (an app password revoked).
    pub(crate) async fn forget_chat_verifier(&self, address: &str, credential: Credential<'_>) {
        let removed = chat_verifier::Entity::delete_many()
            .filter(chat_verifier::Column::Address.eq(address.trim().to_lowercase()))
            .filter(chat_verifier::Column::Credential.eq(credential.column()))
            .exec(&self.db)
            .await;
        if let Err(err) = removed {
            // Harmless: the engine no longer holds its secret, so it matches nothing.
            tracing::warn!(%err, %address, "a revoked password's chat verifier stays");
        }
    }

    /// The salt, rounds and verifiers of a login; for a login without verifiers, a stand-in
    /// salt (the same at every ask) and no verifiers, so the exchange runs to its end either
    /// way and tells no accounts apart.
    pub async fn chat_scram_account(&self, login: &str) -> Result<ScramAccount, ServiceError> {
        let login = login.trim().to_lowercase();
        let rows = chat_verifier::Entity::find()
            .filter(chat_verifier::Column::Address.eq(&login))
            .all(&self.db)
            .await?;
        let decode = |text: &str| data_encoding::BASE64.decode(text.as_bytes()).ok();
        let key32 = |text: &str| decode(text).and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
        let Some(first) = rows.first() else {
            return Ok(ScramAccount {
                salt: scram::stand_in_salt(&self.stand_in_key().await?, &login),
                iterations: self.scram_iterations,
                verifiers: Vec::new(),
            });
        };
        let salt = decode(&first.salt).unwrap_or_default();
        let iterations = first.iterations.max(1) as u32;
        let verifiers = rows
            .iter()
            .filter(|row| row.salt == first.salt && row.iterations == first.iterations)
            .filter_map(|row| {
                Some((
                    row.credential.clone(),
                    row.secret.clone(),
                    Verifier {
                        stored_key: key32(&row.stored_key)?,
                        server_key: key32(&row.server_key)?,
                    },
                ))
            })
            .collect();
        Ok(ScramAccount {
            salt,
            iterations,
            verifiers,
        })
    }

    /// Ends a SCRAM sign-in: `matched` is the credential and engine secret of the verifier
    /// the client's proof matched, if any. The engine decides whether that secret still
    /// signs in (held now, no first password, an app password when 2FA is on, account
    /// enabled); a failure counts towards its ban; the attempt goes into the access log.
    pub async fn chat_scram_sign_in(
        &self,
        login: &str,
        matched: Option<(String, String)>,
        remote_ip: std::net::IpAddr,
    ) -> Result<Result<ChatUser, ChatRefusal>, ServiceError> {
        let login = login.trim().to_lowercase();
        let outcome = if self.engine.ip_blocked(remote_ip) {
            ClientSignIn::Banned
        } else {
            let secrets = self.engine.client_secrets(&login).await?;
            match (secrets, matched) {
                (Some(secrets), Some((credential, secret))) => {
                    let current = if credential.is_empty() {
                        secrets.main
                    } else {
                        secrets
                            .apps
                            .iter()
                            .find(|(name, _)| *name == credential)
                            .map(|(_, fingerprint)| *fingerprint)
                    };
                    if current.is_none_or(|current| current.to_hex() != secret) {
                        ClientSignIn::WrongPassword
                    } else if !secrets.enabled {
                        ClientSignIn::Disabled
                    } else if credential.is_empty() && secrets.two_factor {
                        ClientSignIn::MissingCode
                    } else {
                        ClientSignIn::Ok(secrets.account)
                    }
                }
                _ => ClientSignIn::WrongPassword,
            }
        };
        let outcome = match outcome {
            ClientSignIn::WrongPassword
                if self.engine.client_login_failed(&login, remote_ip).await? =>
            {
                ClientSignIn::Banned
            }
            other => other,
        };
        self.chat_signed_in(&login, outcome, remote_ip).await
    }

    /// The key stand-in salts are made with: random, made once and kept, so a login
    /// without verifiers gets the same salt after a restart too.
    async fn stand_in_key(&self) -> Result<Vec<u8>, ServiceError> {
        panel_setting::kept_key(&self.db, STAND_IN_KEY)
            .await?
            .ok_or_else(|| ServiceError::Internal("the SCRAM stand-in key is unreadable".into()))
    }
}

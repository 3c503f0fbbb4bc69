// SPDX-License-Identifier: AGPL-3.0-only
//! A mailbox's own mail-client access: its IMAP, POP3 and SMTP switches, and its app
//! passwords ("password dedicate") — one per client, generated here, shown once, kept only
//! as an argon2id hash in the engine, which checks them at every IMAP, POP3 and SMTP sign-in
//! (never at the web's).

use app::i18n::Text;
use chrono::{DateTime, Utc};
use engine_glue::{GlueError, Protocols, valid_app_password_name};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::OnConflict};

use super::{
    Actor, AuditEntry, Caller, ServiceError, Services, chat_verifiers::Credential, hash_password,
};
use crate::db::app_password;

/// App passwords per mailbox at most: the engine tries each one (an argon2 verification)
/// at every mail-client sign-in before the main password.
pub const MAX_APP_PASSWORDS: usize = 10;
/// Crockford's base32 alphabet, lower case.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Groups of four characters: 28 characters of 5 bits, 140 bits in all.
const GROUPS: usize = 7;

/// An app password as its list shows it.
#[derive(Debug, Clone)]
pub struct AppPasswordInfo {
    pub name: String,
    /// Unknown for one the engine has and the panel has no record of.
    pub created_at: Option<DateTime<Utc>>,
}

/// A generated app password: `xxxx-xxxx-…`, 140 random bits.
fn generate() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..GROUPS)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[rng.random_range(0..32)]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The mailbox address of a mailbox caller; staff have no mail clients.
fn own_mailbox(caller: &Caller) -> Result<&str, ServiceError> {
    match &caller.actor {
        Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => Ok(&mailbox.address),
        Actor::Operator(_) | Actor::Manager(_) | Actor::Delegate(_) => Err(ServiceError::Forbidden),
    }
}

impl Services {
    /// The caller's app passwords: the engine's list (what actually signs in), with the
    /// creation times the panel recorded.
    pub async fn app_passwords(
        &self,
        caller: &Caller,
    ) -> Result<Vec<AppPasswordInfo>, ServiceError> {
        let login = own_mailbox(caller)?;
        let names = self.engine.secondary_secrets(login).await?.app_passwords;
        let rows = app_password::Entity::find()
            .filter(app_password::Column::Login.eq(login))
            .all(&self.db)
            .await?;
        Ok(names
            .into_iter()
            .map(|name| AppPasswordInfo {
                created_at: rows.iter().find(|r| r.name == name).map(|r| r.created_at),
                name,
            })
            .collect())
    }

    /// Creates an app password named `name`; returns it (shown once, never stored in clear).
    pub async fn create_app_password(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<String, ServiceError> {
        let login = own_mailbox(caller)?.to_string();
        let name = name.trim();
        if name.is_empty() {
            return Err(ServiceError::invalid(
                "name",
                Text::new(
                    "Name the client or device, for example \"Thunderbird on the laptop\".",
                    "Dai un nome al programma o al dispositivo, per esempio \"Thunderbird sul portatile\".",
                ),
            ));
        }
        if !valid_app_password_name(name) {
            return Err(ServiceError::invalid(
                "name",
                Text::new(
                    "Use at most 40 characters, without \"$\".",
                    "Usa al massimo 40 caratteri, senza \"$\".",
                ),
            ));
        }
        let existing = self.engine.secondary_secrets(&login).await?.app_passwords;
        if existing.iter().any(|n| n == name) {
            return Err(ServiceError::conflict(
                "name",
                Text::new(
                    "An app password with this name exists: revoke it first or choose another name.",
                    "Esiste già una password dedicata con questo nome: revocala prima o scegli un altro nome.",
                ),
            ));
        }
        if existing.len() >= MAX_APP_PASSWORDS {
            return Err(ServiceError::conflict(
                "name",
                Text::new(
                    format!(
                        "A mailbox has at most {MAX_APP_PASSWORDS} app passwords: revoke one you no longer use."
                    ),
                    format!(
                        "Una casella ha al massimo {MAX_APP_PASSWORDS} password dedicate: revocane una che non usi più."
                    ),
                ),
            ));
        }
        let password = generate();
        let hash = hash_password(password.clone()).await?;
        // The record first: should the engine step fail it goes again; should the process
        // stop in between, the list (read from the engine) does not show it.
        app_password::Entity::insert(app_password::ActiveModel {
            login: Set(login.clone()),
            name: Set(name.to_string()),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([app_password::Column::Login, app_password::Column::Name])
                .update_column(app_password::Column::CreatedAt)
                .to_owned(),
        )
        .exec(&self.db)
        .await?;
        if let Err(err) = self.engine.add_app_password(&login, name, &hash).await {
            self.forget_app_password_row(&login, name).await;
            return Err(match err {
                GlueError::AlreadyExists { .. } => ServiceError::conflict(
                    "name",
                    Text::new(
                        "An app password with this name exists.",
                        "Esiste già una password dedicata con questo nome.",
                    ),
                ),
                err => err.into(),
            });
        }
        self.keep_chat_verifier(&login, Credential::App(name), &password, &hash)
            .await;
        self.audit(
            caller,
            AuditEntry {
                action: "account.app-password.create",
                domain: caller.actor.domain_name(),
                target: &login,
                before: None,
                after: Some(name.to_string()),
            },
        )
        .await;
        Ok(password)
    }

    /// Revokes one of the caller's app passwords: the engine forgets it at once.
    pub async fn revoke_app_password(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(), ServiceError> {
        let login = own_mailbox(caller)?.to_string();
        let existing = self.engine.secondary_secrets(&login).await?.app_passwords;
        if !existing.iter().any(|n| n == name) {
            return Err(ServiceError::NotFound);
        }
        self.engine.remove_app_password(&login, name).await?;
        self.forget_app_password_row(&login, name).await;
        self.forget_chat_verifier(&login, Credential::App(name))
            .await;
        self.audit(
            caller,
            AuditEntry {
                action: "account.app-password.revoke",
                domain: caller.actor.domain_name(),
                target: &login,
                before: Some(name.to_string()),
                after: None,
            },
        )
        .await;
        Ok(())
    }

    async fn forget_app_password_row(&self, login: &str, name: &str) {
        let removed = app_password::Entity::delete_many()
            .filter(app_password::Column::Login.eq(login))
            .filter(app_password::Column::Name.eq(name))
            .exec(&self.db)
            .await;
        if let Err(err) = removed {
            tracing::warn!(%login, %err, "app password record not removed");
        }
    }

    /// The caller's own IMAP, POP3 and SMTP switches.
    pub async fn own_protocols(&self, caller: &Caller) -> Result<Protocols, ServiceError> {
        let login = own_mailbox(caller)?;
        Ok(self.engine.mailbox_state(login).await?.protocols)
    }

    /// Switches the caller's own IMAP, POP3 and SMTP access; the webmail keeps working.
    pub async fn set_own_protocols(
        &self,
        caller: &Caller,
        protocols: Protocols,
    ) -> Result<(), ServiceError> {
        let login = own_mailbox(caller)?.to_string();
        let before = self.engine.mailbox_state(&login).await?.protocols;
        self.engine.set_protocols(&login, protocols).await?;
        self.audit(
            caller,
            AuditEntry {
                action: "account.protocols",
                domain: caller.actor.domain_name(),
                target: &login,
                before: Some(super::mailbox_edit::protocols_text(before)),
                after: Some(super::mailbox_edit::protocols_text(protocols)),
            },
        )
        .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_carry_140_random_bits() {
        let a = generate();
        assert_eq!(a.len(), GROUPS * 5 - 1);
        assert!(
            a.split('-')
                .all(|g| g.len() == 4 && g.bytes().all(|b| ALPHABET.contains(&b)))
        );
        assert_ne!(a, generate());
    }
}

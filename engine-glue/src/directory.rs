// SPDX-License-Identifier: AGPL-3.0-only
//! Domains and mailboxes in the engine's directory, and the web login check.
//!
//! A domain is a `Domain` principal; a mailbox is an `Individual` principal whose name is its
//! primary address (the engine logs in by name only) with the `user` role, which the engine does
//! not add by itself. Every change is followed by a cache invalidation, or logins would keep
//! seeing the old principal.

use std::net::IpAddr;

use stalwart_lib::directory::backend::internal::lookup::DirectoryStore;
use stalwart_lib::{
    common::Server,
    directory::{
        Permission, PrincipalData, QueryBy, QueryParams, Type,
        backend::internal::{
            PrincipalField, PrincipalSet, PrincipalUpdate, PrincipalValue,
            manage::{ChangedPrincipals, ManageDirectory, UpdatePrincipal},
        },
        core::secret::verify_secret_hash,
    },
    http::management::stores::destroy_account_data,
    {EventType, ManageEvent},
};

use crate::{engine::Engine, error::GlueError, secret::PasswordHash};

/// What a staff account may not do: anything but signing in to the web panel.
const STAFF_DISABLED: [&str; 6] = [
    "imap-authenticate",
    "pop3-authenticate",
    "sieve-authenticate",
    "email-send",
    "email-receive",
    "jmap-email-get",
];

/// What a disabled account may not do: sign in by any means, or receive mail.
const DISABLED_ACCOUNT: [&str; 2] = ["authenticate", "email-receive"];

/// The engine's id of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountId(pub u32);

/// A mailbox to create.
#[derive(Debug)]
pub struct NewMailbox<'a> {
    /// Primary address, also the login name.
    pub address: &'a str,
    /// Name shown to correspondents and in the panel.
    pub display_name: &'a str,
    /// Hash of the main password.
    pub password: &'a PasswordHash,
    /// Storage quota in bytes; 0 means unlimited.
    pub quota_bytes: u64,
}

/// Changes to a mailbox; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct MailboxChanges {
    pub display_name: Option<String>,
    pub password: Option<PasswordHash>,
    pub quota_bytes: Option<u64>,
}

/// A mailbox as the engine has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    pub id: AccountId,
    pub address: String,
    pub display_name: String,
    pub quota_bytes: u64,
    /// Extra addresses that deliver to the mailbox.
    pub aliases: Vec<String>,
}

impl Engine {
    /// Registers a mail domain.
    pub async fn create_domain(&self, domain: &str) -> Result<(), GlueError> {
        let server = self.server();
        let domain = domain.to_lowercase();
        if server
            .store()
            .get_principal_id(&domain)
            .await
            .map_err(engine_err)?
            .is_some()
        {
            return Err(GlueError::AlreadyExists { what: domain });
        }
        let created = server
            .store()
            .create_principal(
                PrincipalSet::new(0, Type::Domain).with_field(PrincipalField::Name, domain.clone()),
                None,
                None,
            )
            .await
            .map_err(|err| manage_err(err, &domain))?;
        invalidate(&server, created.changed_principals).await;
        Ok(())
    }

    /// Removes a mail domain. The caller makes sure no mailbox is left in it: the engine only
    /// checks membership for tenant domains.
    pub async fn delete_domain(&self, domain: &str) -> Result<(), GlueError> {
        let server = self.server();
        let domain = domain.to_lowercase();
        let changed = server
            .store()
            .delete_principal(QueryBy::Name(&domain))
            .await
            .map_err(|err| manage_err(err, &domain))?;
        invalidate(&server, changed).await;
        Ok(())
    }

    /// Whether the engine knows this domain.
    pub async fn domain_exists(&self, domain: &str) -> Result<bool, GlueError> {
        let info = self
            .server()
            .store()
            .get_principal_info(&domain.to_lowercase())
            .await
            .map_err(engine_err)?;
        Ok(info.is_some_and(|info| info.typ == Type::Domain))
    }

    /// Creates a mailbox with the `user` role. Its domain must exist.
    pub async fn create_mailbox(&self, mailbox: NewMailbox<'_>) -> Result<AccountId, GlueError> {
        let server = self.server();
        let address = mailbox.address.to_lowercase();
        let principal = PrincipalSet::new(0, Type::Individual)
            .with_field(PrincipalField::Name, address.clone())
            .with_field(
                PrincipalField::Description,
                mailbox.display_name.to_string(),
            )
            .with_field(
                PrincipalField::Secrets,
                PrincipalValue::StringList(vec![mailbox.password.as_phc().to_string()]),
            )
            .with_field(
                PrincipalField::Emails,
                PrincipalValue::StringList(vec![address.clone()]),
            )
            .with_field(
                PrincipalField::Quota,
                PrincipalValue::Integer(mailbox.quota_bytes),
            )
            .with_field(
                PrincipalField::Roles,
                PrincipalValue::StringList(vec!["user".to_string()]),
            );
        let created = server
            .store()
            .create_principal(principal, None, None)
            .await
            .map_err(|err| manage_err(err, &address))?;
        invalidate(&server, created.changed_principals).await;
        Ok(AccountId(created.id))
    }

    /// Creates a staff account (an operator): it can sign in to the web panel only. It has no
    /// address, and every mail protocol and inbound delivery are switched off for it.
    pub async fn create_staff_account(
        &self,
        login: &str,
        display_name: &str,
        password: &PasswordHash,
    ) -> Result<AccountId, GlueError> {
        let server = self.server();
        let login = login.to_lowercase();
        let principal = PrincipalSet::new(0, Type::Individual)
            .with_field(PrincipalField::Name, login.clone())
            .with_field(PrincipalField::Description, display_name.to_string())
            .with_field(
                PrincipalField::Secrets,
                PrincipalValue::StringList(vec![password.as_phc().to_string()]),
            )
            .with_field(
                PrincipalField::Roles,
                PrincipalValue::StringList(vec!["user".to_string()]),
            )
            .with_field(
                PrincipalField::DisabledPermissions,
                PrincipalValue::StringList(STAFF_DISABLED.iter().map(|p| p.to_string()).collect()),
            );
        let created = server
            .store()
            .create_principal(principal, None, None)
            .await
            .map_err(|err| manage_err(err, &login))?;
        invalidate(&server, created.changed_principals).await;
        Ok(AccountId(created.id))
    }

    /// Names of every domain (`domains = true`) or every account in the directory.
    pub async fn directory_names(&self, domains: bool) -> Result<Vec<String>, GlueError> {
        let typ = if domains {
            Type::Domain
        } else {
            Type::Individual
        };
        let list = self
            .server()
            .store()
            .list_principals(None, None, &[typ], false, 0, 0)
            .await
            .map_err(engine_err)?;
        Ok(list.items.into_iter().map(|p| p.name).collect())
    }

    /// Removes an account whatever it is (mailbox or staff), with its data.
    pub async fn delete_account(&self, name: &str) -> Result<(), GlueError> {
        self.delete_mailbox(name).await
    }

    /// Whether the directory has an account by this name.
    pub async fn account_exists(&self, name: &str) -> Result<bool, GlueError> {
        let info = self
            .server()
            .store()
            .get_principal_info(&name.to_lowercase())
            .await
            .map_err(engine_err)?;
        Ok(info.is_some_and(|info| info.typ == Type::Individual))
    }

    /// The account (by its login name) that mail to this address is delivered to, found as
    /// the engine's own recipient check finds it: a mailbox's own address or one of its
    /// aliases, with sub-addressing (`name+tag@`); `None` for any other address.
    pub async fn recipient_account(&self, address: &str) -> Result<Option<String>, GlueError> {
        let server = self.server();
        let directory = server.get_directory_or_default("", 0).clone();
        let Some(id) = server
            .email_to_id(&directory, &address.to_lowercase(), 0)
            .await
            .map_err(engine_err)?
        else {
            return Ok(None);
        };
        server
            .store()
            .get_principal_name(id)
            .await
            .map_err(engine_err)
    }

    /// Stops an account from signing in anywhere and from receiving mail, keeping its data:
    /// the first step of a deletion, so an interrupted one never leaves a live account behind.
    pub async fn disable_account(&self, name: &str) -> Result<(), GlueError> {
        let server = self.server();
        let name = name.to_lowercase();
        let changed = server
            .store()
            .update_principal(
                UpdatePrincipal::by_name(&name).with_updates(
                    DISABLED_ACCOUNT
                        .iter()
                        .map(|p| {
                            PrincipalUpdate::add_item(
                                PrincipalField::DisabledPermissions,
                                PrincipalValue::String(p.to_string()),
                            )
                        })
                        .collect(),
                ),
            )
            .await
            .map_err(|err| manage_err(err, &name))?;
        invalidate(&server, changed).await;
        Ok(())
    }

    /// Applies changes to a mailbox.
    pub async fn update_mailbox(
        &self,
        address: &str,
        changes: MailboxChanges,
    ) -> Result<(), GlueError> {
        let address = address.to_lowercase();
        let mut updates = Vec::new();
        if let Some(name) = changes.display_name {
            updates.push(PrincipalUpdate::set(
                PrincipalField::Description,
                PrincipalValue::String(name),
            ));
        }
        if let Some(password) = changes.password {
            // Replacing the whole list would drop app passwords and the TOTP secret: swap only
            // the main password, which is the first secret without a special prefix.
            let current = self.main_password(&address).await?;
            if let Some(old) = current {
                updates.push(PrincipalUpdate::remove_item(
                    PrincipalField::Secrets,
                    PrincipalValue::String(old),
                ));
            }
            updates.push(PrincipalUpdate::add_item(
                PrincipalField::Secrets,
                PrincipalValue::String(password.as_phc().to_string()),
            ));
        }
        if let Some(quota) = changes.quota_bytes {
            updates.push(PrincipalUpdate::set(
                PrincipalField::Quota,
                PrincipalValue::Integer(quota),
            ));
        }
        if updates.is_empty() {
            return Ok(());
        }
        let server = self.server();
        let changed = server
            .store()
            .update_principal(UpdatePrincipal::by_name(&address).with_updates(updates))
            .await
            .map_err(|err| manage_err(err, &address))?;
        invalidate(&server, changed).await;
        Ok(())
    }

    /// Deletes a mailbox and destroys its mail, folders and search index.
    pub async fn delete_mailbox(&self, address: &str) -> Result<(), GlueError> {
        let server = self.server();
        let address = address.to_lowercase();
        let id = account_id(&server, &address).await?;
        let changed = server
            .store()
            .delete_principal(QueryBy::Id(id))
            .await
            .map_err(|err| manage_err(err, &address))?;
        invalidate(&server, changed).await;
        self.orders.forget(id);
        destroy_account_data(&server, id, true)
            .await
            .map_err(engine_err)?;
        Ok(())
    }

    /// Reads a mailbox back from the directory.
    pub async fn mailbox(&self, address: &str) -> Result<Option<MailboxInfo>, GlueError> {
        let principal = self
            .server()
            .store()
            .query(QueryParams::name(&address.to_lowercase()).with_return_member_of(false))
            .await
            .map_err(engine_err)?;
        Ok(principal.filter(|p| p.typ == Type::Individual).map(|p| {
            let mut info = MailboxInfo {
                id: AccountId(p.id),
                address: p.name.clone(),
                display_name: String::new(),
                quota_bytes: 0,
                aliases: Vec::new(),
            };
            for item in &p.data {
                match item {
                    PrincipalData::Description(name) => info.display_name = name.clone(),
                    PrincipalData::DiskQuota(quota) => info.quota_bytes = *quota,
                    PrincipalData::PrimaryEmail(email) | PrincipalData::EmailAlias(email)
                        if *email != info.address =>
                    {
                        info.aliases.push(email.clone())
                    }
                    _ => {}
                }
            }
            info
        }))
    }

    /// Checks a web login: the main password only, never an app password, and only for an
    /// account allowed to authenticate. Wrong credentials give `Ok(None)`. Failures count
    /// towards the engine's brute-force ban, shared with IMAP, POP3 and SMTP.
    pub async fn verify_web_login(
        &self,
        login: &str,
        password: &str,
        remote_ip: IpAddr,
    ) -> Result<Option<AccountId>, GlueError> {
        let server = self.server();
        let login = login.trim().to_lowercase();
        if server.is_ip_blocked(&remote_ip) {
            return Ok(None);
        }
        let principal = server
            .store()
            .query(QueryParams::name(&login).with_return_member_of(false))
            .await
            .map_err(engine_err)?
            .filter(|p| p.typ == Type::Individual);
        let mut verified = None;
        let hash = principal.as_ref().and_then(|principal| {
            principal.data.iter().find_map(|item| match item {
                PrincipalData::Password(hash) => Some(hash.clone()),
                _ => None,
            })
        });
        match (principal, hash) {
            (Some(principal), Some(hash)) => {
                let matches = if crate::secret::is_first(&hash) {
                    // A first password: only this path has its key (see `hash_first`).
                    let password = password.to_string();
                    tokio::task::spawn_blocking(move || crate::secret::verify_phc(&hash, &password))
                        .await
                        .unwrap_or(false)
                } else {
                    verify_secret_hash(&hash, password).await.unwrap_or(false)
                };
                if matches {
                    let token = server
                        .get_access_token(principal.id)
                        .await
                        .map_err(engine_err)?;
                    if token.has_permission(Permission::Authenticate) {
                        verified = Some(AccountId(principal.id));
                    }
                }
            }
            _ => {
                // An unknown login costs what a known one does, so timing does not tell
                // which accounts exist.
                let _ = verify_secret_hash(self.dummy_hash.as_phc(), password).await;
            }
        }
        if verified.is_none() && server.has_auth_fail2ban() {
            // Counts the failure; bans the address once the engine's rate is exceeded.
            server
                .is_auth_fail2banned(remote_ip, Some(&login))
                .await
                .map_err(engine_err)?;
        }
        Ok(verified)
    }

    /// Whether `password` is the account's main password (never its first one, which only
    /// the web login takes).
    pub(crate) async fn main_password_matches(&self, login: &str, password: &str) -> bool {
        match self.main_password(login).await {
            Ok(Some(hash)) if !crate::secret::is_first(&hash) => {
                verify_secret_hash(&hash, password).await.unwrap_or(false)
            }
            _ => false,
        }
    }

    async fn main_password(&self, address: &str) -> Result<Option<String>, GlueError> {
        let principal = self
            .server()
            .store()
            .query(QueryParams::name(address).with_return_member_of(false))
            .await
            .map_err(engine_err)?
            .ok_or_else(|| GlueError::NotFound {
                what: address.to_string(),
            })?;
        Ok(principal.data.into_iter().find_map(|item| match item {
            PrincipalData::Password(hash) => Some(hash),
            _ => None,
        }))
    }
}

async fn invalidate(server: &Server, changed: ChangedPrincipals) {
    server.invalidate_principal_caches(changed).await;
}

/// The engine's id of the account with this (lower-case) login; `NotFound` when none has it.
pub(crate) async fn account_id(server: &Server, login: &str) -> Result<u32, GlueError> {
    server
        .store()
        .get_principal_id(login)
        .await
        .map_err(engine_err)?
        .ok_or_else(|| GlueError::NotFound {
            what: login.to_string(),
        })
}

pub(crate) fn engine_err(err: stalwart_lib::Error) -> GlueError {
    GlueError::Engine {
        reason: err.to_string(),
    }
}

pub(crate) fn manage_err(err: stalwart_lib::Error, what: &str) -> GlueError {
    if err.matches(EventType::Manage(ManageEvent::AlreadyExists)) {
        GlueError::AlreadyExists {
            what: what.to_string(),
        }
    } else if err.matches(EventType::Manage(ManageEvent::NotFound)) {
        GlueError::NotFound {
            what: what.to_string(),
        }
    } else if err.matches(EventType::Manage(ManageEvent::MissingParameter))
        || err.matches(EventType::Manage(ManageEvent::NotSupported))
    {
        GlueError::Invalid {
            reason: err.to_string(),
        }
    } else {
        engine_err(err)
    }
}

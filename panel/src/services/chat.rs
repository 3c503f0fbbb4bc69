// SPDX-License-Identifier: AGPL-3.0-only
//! Who may chat, and with whom. A mailbox chats when its domain's chat service is on
//! (ATTIVO, switched by the postmaster) and its own chat switch is on; its contacts are the
//! other mailboxes of its domain that may chat. Switching either off ends the mailbox's
//! sessions at once (see `set_chat` and `set_domain_chat`).

use std::net::IpAddr;

use chrono::Utc;
use engine_glue::ClientSignIn;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{
    ServiceError, Services,
    access_log::{AccessEntry, AccessResult},
    recent_sign_ins::secrets_digest,
};
use crate::{
    chat::ChatGroup,
    db::{domain, group_alias, mailbox},
};

/// A mailbox that may chat now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatUser {
    /// Its address (bare JID), lowercase.
    pub address: String,
    /// First and last name, as the panel has them.
    pub name: String,
}

/// Why a chat client's sign-in was refused; each maps onto its SASL failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRefusal {
    WrongPassword,
    /// The account has 2FA: a chat client signs in with an app password.
    AppPasswordRequired,
    Banned,
    Disabled,
    /// Chat is off for the mailbox or its domain.
    ChatOff,
}

impl Services {
    /// The chat hub.
    pub fn chat(&self) -> &crate::chat::Hub {
        &self.chat
    }

    /// Whether the engine bans this address for failed sign-ins.
    pub fn ip_blocked(&self, ip: IpAddr) -> bool {
        self.engine.ip_blocked(ip)
    }

    /// Whether a chat client may address this domain: a domain hosted here.
    pub async fn chat_domain(&self, name: &str) -> Result<bool, ServiceError> {
        Ok(domain::Entity::find()
            .filter(domain::Column::Name.eq(name.trim().to_lowercase()))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// The mailbox at this address, if it may chat now.
    pub async fn chat_user(&self, address: &str) -> Result<Option<ChatUser>, ServiceError> {
        let address = address.trim().to_lowercase();
        let Some((mailbox, domain)) = mailbox::Entity::find()
            .filter(mailbox::Column::Address.eq(&address))
            .find_also_related(domain::Entity)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if !domain.is_some_and(|d| d.chat_enabled) || !self.engine.chat_enabled(&address).await? {
            return Ok(None);
        }
        Ok(Some(ChatUser {
            name: full_name(&mailbox),
            address,
        }))
    }

    /// The contacts of a chat user: the other mailboxes of its domain that may chat, by
    /// address.
    pub async fn chat_contacts(&self, user: &ChatUser) -> Result<Vec<ChatUser>, ServiceError> {
        let domain_name = crate::chat::domain_of(&user.address);
        let Some(domain) = domain::Entity::find()
            .filter(domain::Column::Name.eq(domain_name))
            .one(&self.db)
            .await?
        else {
            return Ok(Vec::new());
        };
        if !domain.chat_enabled {
            return Ok(Vec::new());
        }
        let mailboxes = mailbox::Entity::find()
            .filter(mailbox::Column::DomainId.eq(domain.id))
            .filter(mailbox::Column::Address.ne(&user.address))
            .order_by_asc(mailbox::Column::Address)
            .all(&self.db)
            .await?;
        let mut contacts = Vec::with_capacity(mailboxes.len());
        for mailbox in mailboxes {
            if self.engine.chat_enabled(&mailbox.address).await? {
                contacts.push(ChatUser {
                    name: full_name(&mailbox),
                    address: mailbox.address,
                });
            }
        }
        Ok(contacts)
    }

    /// A domain's group conversations: its group aliases, each with its members.
    pub(crate) async fn chat_groups(
        &self,
        domain: &domain::Model,
    ) -> Result<Vec<ChatGroup>, ServiceError> {
        let rows = group_alias::Entity::find()
            .filter(group_alias::Column::DomainId.eq(domain.id))
            .order_by_asc(group_alias::Column::Address)
            .all(&self.db)
            .await?;
        let mut groups = Vec::with_capacity(rows.len());
        for row in rows {
            match self.engine.group_members(&row.address).await {
                Ok(members) => groups.push(ChatGroup {
                    since: row.created_at,
                    address: row.address,
                    name: row.name,
                    members,
                }),
                // Reported at start-up; not a conversation.
                Err(engine_glue::GlueError::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(groups)
    }

    /// A domain's group aliases changed: every node takes the new set, and the members'
    /// sessions are told.
    pub(crate) async fn chat_groups_changed(&self, domain: &domain::Model) {
        match self.chat_groups(domain).await {
            Ok(groups) => self.chat.publish_groups(&domain.name, groups),
            Err(err) => {
                tracing::warn!(%err, domain = %domain.name, "chat groups not refreshed");
            }
        }
    }

    /// At start, before chat sessions open: every domain's group conversations.
    pub(crate) async fn load_chat_groups(&self) -> Result<(), ServiceError> {
        for domain in domain::Entity::find().all(&self.db).await? {
            let groups = self.chat_groups(&domain).await?;
            self.chat.load_groups(&domain.name, groups);
        }
        Ok(())
    }

    /// The contact `to` of a chat user, if it is one: a mailbox of the same domain that
    /// may chat now.
    pub async fn chat_contact(
        &self,
        user: &ChatUser,
        to: &str,
    ) -> Result<Option<ChatUser>, ServiceError> {
        let to = to.trim().to_lowercase();
        if to == user.address
            || crate::chat::domain_of(&to) != crate::chat::domain_of(&user.address)
        {
            return Ok(None);
        }
        self.chat_user(&to).await
    }

    /// Checks a chat client's sign-in (an app password, or the main password of an account
    /// without 2FA) and whether the mailbox may chat; the attempt goes into the access log.
    /// A login and password the engine accepted a short while ago, for the account's
    /// secrets as they still are, is not hashed again (see `recent_sign_ins`).
    pub async fn chat_sign_in(
        &self,
        login: &str,
        secret: &str,
        remote_ip: IpAddr,
    ) -> Result<Result<ChatUser, ChatRefusal>, ServiceError> {
        let login = login.trim().to_lowercase();
        let tag = self.recent_sign_ins.tag(&login, secret);
        // Read before the check: a change made while it runs leaves a digest that no
        // longer matches, never a password kept for secrets it was not checked against.
        let before = self
            .engine
            .client_secrets(&login)
            .await?
            .map(|secrets| (secrets_digest(&secrets), secrets));
        let now = std::time::Instant::now();
        if let Some((digest, secrets)) = &before
            && secrets.enabled
            && self.recent_sign_ins.matches(&tag, digest, now)
            && !self.engine.ip_blocked(remote_ip)
        {
            return self
                .chat_signed_in(&login, ClientSignIn::Ok(secrets.account), remote_ip)
                .await;
        }
        let outcome = self
            .engine
            .verify_client_login(&login, secret, remote_ip)
            .await?;
        if let (ClientSignIn::Ok(_), Some((digest, _))) = (&outcome, before) {
            self.recent_sign_ins.remember(tag, digest, now);
        }
        self.chat_signed_in(&login, outcome, remote_ip).await
    }

    /// Ends a chat client's sign-in checked by the engine (PLAIN) or against a verifier
    /// (SCRAM): whether the mailbox may chat, and the access log's row.
    pub(crate) async fn chat_signed_in(
        &self,
        login: &str,
        checked: ClientSignIn,
        remote_ip: IpAddr,
    ) -> Result<Result<ChatUser, ChatRefusal>, ServiceError> {
        let outcome = match checked {
            ClientSignIn::Ok(_) => match self.chat_user(login).await? {
                Some(user) => Ok(user),
                None => Err(ChatRefusal::ChatOff),
            },
            ClientSignIn::WrongPassword => Err(ChatRefusal::WrongPassword),
            ClientSignIn::MissingCode => Err(ChatRefusal::AppPasswordRequired),
            ClientSignIn::Banned => Err(ChatRefusal::Banned),
            ClientSignIn::Disabled => Err(ChatRefusal::Disabled),
        };
        let result = match outcome {
            Ok(_) => AccessResult::Ok,
            Err(ChatRefusal::WrongPassword) => AccessResult::WrongPassword,
            Err(ChatRefusal::AppPasswordRequired) => AccessResult::MissingCode,
            Err(ChatRefusal::Banned) => AccessResult::Banned,
            Err(ChatRefusal::Disabled | ChatRefusal::ChatOff) => AccessResult::ProtocolDisabled,
        };
        let entry = AccessEntry {
            at: Utc::now(),
            login: login.to_string(),
            protocol: "xmpp",
            result,
            ip: remote_ip.to_string(),
            connection: None,
        };
        if let Err(err) = self.log_access(vec![entry]).await {
            tracing::warn!(%err, %login, "a chat sign-in was not written to the access log");
        }
        if outcome.is_ok() {
            self.record_login(login).await;
        }
        Ok(outcome)
    }
}

fn full_name(mailbox: &mailbox::Model) -> String {
    let name = format!("{} {}", mailbox.first_name, mailbox.last_name);
    let name = name.trim();
    if name.is_empty() {
        mailbox.local_part.clone()
    } else {
        name.to_string()
    }
}

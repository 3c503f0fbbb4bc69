// SPDX-License-Identifier: AGPL-3.0-only
//! A postmaster's work on the mailboxes of one domain.

use chrono::Utc;
use engine_glue::{GlueError, NewMailbox};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::{DEFAULT_QUOTA_BYTES, ServiceError, Services, hash_password, names, passwords};
use crate::db::{domain, mailbox};

/// What may be done inside one domain. Only the services make one, for an actor allowed on
/// that domain.
pub struct DomainScope<'a> {
    services: &'a Services,
    domain: domain::Model,
}

/// A mailbox to create, as typed into the form.
pub struct MailboxInput {
    pub local_part: String,
    pub first_name: String,
    pub last_name: String,
    /// Empty: generate one.
    pub password: String,
}

/// Longest first or last name accepted.
const NAME_MAX: usize = 100;

impl<'a> DomainScope<'a> {
    pub(super) fn new(services: &'a Services, domain: domain::Model) -> Self {
        DomainScope { services, domain }
    }

    /// The domain this scope acts on.
    pub fn domain(&self) -> &domain::Model {
        &self.domain
    }

    /// The domain's mailboxes, postmaster first, then by address.
    pub async fn list_mailboxes(&self) -> Result<Vec<mailbox::Model>, ServiceError> {
        Ok(mailbox::Entity::find()
            .filter(mailbox::Column::DomainId.eq(self.domain.id))
            .order_by_desc(mailbox::Column::IsPostmaster)
            .order_by_asc(mailbox::Column::Address)
            .all(&self.services.db)
            .await?)
    }

    /// Creates a mailbox. Returns the password when it was generated.
    pub async fn create_mailbox(
        &self,
        input: MailboxInput,
    ) -> Result<(String, Option<String>), ServiceError> {
        let local = names::local_part(&input.local_part)
            .map_err(|msg| ServiceError::invalid("local_part", msg))?;
        let first_name = clean_name(&input.first_name, "first_name")?;
        let last_name = clean_name(&input.last_name, "last_name")?;
        let (password, generated) = if input.password.is_empty() {
            (passwords::generate(), true)
        } else {
            passwords::check_policy(&input.password)
                .map_err(|msg| ServiceError::invalid("password", msg))?;
            (input.password, false)
        };
        let address = format!("{local}@{}", self.domain.name);
        let taken = ServiceError::Conflict {
            field: "local_part",
            message: format!("The address {address} is already in use."),
        };
        let db = &self.services.db;
        let engine = &self.services.engine;
        if mailbox::Entity::find()
            .filter(mailbox::Column::Address.eq(&address))
            .one(db)
            .await?
            .is_some()
        {
            return Err(taken);
        }
        let hash = hash_password(password.clone()).await?;
        let display_name = format!("{first_name} {last_name}").trim().to_string();
        match engine
            .create_mailbox(NewMailbox {
                address: &address,
                display_name: &display_name,
                password: &hash,
                quota_bytes: DEFAULT_QUOTA_BYTES,
            })
            .await
        {
            Ok(_) => {}
            Err(GlueError::AlreadyExists { .. }) => return Err(taken),
            Err(err) => return Err(err.into()),
        }
        let row = mailbox::ActiveModel {
            domain_id: Set(self.domain.id),
            local_part: Set(local),
            address: Set(address.clone()),
            first_name: Set(first_name),
            last_name: Set(last_name),
            is_postmaster: Set(false),
            must_change_password: Set(false),
            quota_bytes: Set(DEFAULT_QUOTA_BYTES as i64),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        if let Err(err) = row.insert(db).await {
            let _ = engine.delete_mailbox(&address).await;
            return Err(err.into());
        }
        tracing::info!(%address, "mailbox created");
        Ok((address, generated.then_some(password)))
    }
}

fn clean_name(input: &str, field: &'static str) -> Result<String, ServiceError> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() > NAME_MAX {
        return Err(ServiceError::invalid(
            field,
            format!("At most {NAME_MAX} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            "Control characters are not allowed.",
        ));
    }
    Ok(name)
}

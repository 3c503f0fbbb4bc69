// SPDX-License-Identifier: AGPL-3.0-only
//! Group aliases of a domain: one address (`vendite@`) that delivers to several of the
//! domain's mailboxes and, in chat, is a group conversation of those mailboxes. The engine
//! holds the address and its members; the panel row says which domain it belongs to and what
//! chat calls it. Creation and deletion go through intents, like mailboxes and aliases.

use app::i18n::Text;
use chrono::Utc;
use engine_glue::GlueError;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use super::{
    DomainScope, ServiceError,
    names::{self, clean_text},
};
use crate::db::{group_alias, intent, mailbox};

/// Most group aliases one domain may have.
pub const MAX_GROUPS: u64 = 200;
/// Most members one group alias may have.
pub const MAX_MEMBERS: usize = 200;

/// A group alias with its members' addresses, sorted.
pub struct GroupAlias {
    pub row: group_alias::Model,
    pub members: Vec<String>,
}

impl DomainScope<'_> {
    /// The domain's group aliases, by address, each with its members.
    pub async fn groups(&self) -> Result<Vec<GroupAlias>, ServiceError> {
        let rows = group_alias::Entity::find()
            .filter(group_alias::Column::DomainId.eq(self.domain.id))
            .order_by_asc(group_alias::Column::Address)
            .all(&self.services.db)
            .await?;
        let mut groups = Vec::with_capacity(rows.len());
        for row in rows {
            let members = match self.services.engine.group_members(&row.address).await {
                Ok(members) => members,
                // A row whose engine list is gone (reported at start-up): shown empty.
                Err(GlueError::NotFound { .. }) => Vec::new(),
                Err(err) => return Err(err.into()),
            };
            groups.push(GroupAlias { row, members });
        }
        Ok(groups)
    }

    /// Creates a group alias `local_part@domain` named `name` (the local part when empty)
    /// with these members: addresses or local parts of the domain's mailboxes, separated by
    /// commas, spaces or new lines; at least one.
    pub async fn create_group(
        &self,
        local_part: &str,
        name: &str,
        members: &str,
    ) -> Result<String, ServiceError> {
        let local = names::local_part(local_part)
            .map_err(|msg| ServiceError::invalid("local_part", msg))?;
        let address = format!("{local}@{}", self.domain.name);
        let name = match clean_text(name, "name", 64)? {
            name if name.is_empty() => local.clone(),
            name => name,
        };
        let mut addresses = Vec::new();
        for typed in members
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|m| !m.is_empty())
        {
            let member = self.member_mailbox(typed, "members").await?;
            if !addresses.contains(&member.address) {
                addresses.push(member.address);
            }
        }
        if addresses.is_empty() {
            return Err(ServiceError::invalid(
                "members",
                Text::new(
                    "Name at least one mailbox of the domain.",
                    "Indica almeno una casella del dominio.",
                ),
            ));
        }
        if addresses.len() > MAX_MEMBERS {
            return Err(too_many_members("members"));
        }
        let taken = ServiceError::address_taken("local_part", &address);
        let db = &self.services.db;
        if self.services.login_taken(&address).await? {
            return Err(taken);
        }
        let count = group_alias::Entity::find()
            .filter(group_alias::Column::DomainId.eq(self.domain.id))
            .count(db)
            .await?;
        if count >= MAX_GROUPS {
            return Err(ServiceError::invalid(
                "local_part",
                Text::new(
                    format!("A domain has at most {MAX_GROUPS} group aliases."),
                    format!("Un dominio ha al massimo {MAX_GROUPS} alias di gruppo."),
                ),
            ));
        }
        let engine = &self.services.engine;
        let intent_id = intent::record(db, intent::Kind::CreateGroup, &address, "", None).await?;
        if let Err(err) = engine.create_group(&address, &addresses).await {
            intent::clear(db, intent_id).await?;
            return Err(match err {
                GlueError::AlreadyExists { .. } => taken,
                err => err.into(),
            });
        }
        let row = group_alias::ActiveModel {
            domain_id: Set(self.domain.id),
            address: Set(address.clone()),
            name: Set(name.clone()),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        let written = db
            .transaction::<_, (), sea_orm::DbErr>(|txn| {
                Box::pin(async move {
                    row.insert(txn).await?;
                    intent::clear(txn, intent_id).await
                })
            })
            .await;
        if let Err(err) = written {
            // Undone now if the engine allows; otherwise the intent has the next start do it.
            if engine.delete_group(&address).await.is_ok() {
                let _ = intent::clear(db, intent_id).await;
            }
            return Err(err.into());
        }
        self.audit(
            "group.create",
            &address,
            None,
            Some(format!("{name}: {}", addresses.join(", "))),
        )
        .await;
        self.services.chat_groups_changed(&self.domain).await;
        Ok(address)
    }

    /// Adds one of the domain's mailboxes (address or local part) to a group alias.
    pub async fn add_group_member(&self, group: &str, member: &str) -> Result<(), ServiceError> {
        let row = self.find_group(group).await?;
        let member = self.member_mailbox(member, "member").await?;
        let engine = &self.services.engine;
        let members = engine.group_members(&row.address).await?;
        if members.contains(&member.address) {
            return Err(ServiceError::invalid(
                "member",
                Text::new(
                    format!("{} is already a member.", member.address),
                    format!("{} è già un membro.", member.address),
                ),
            ));
        }
        if members.len() >= MAX_MEMBERS {
            return Err(too_many_members("member"));
        }
        engine
            .add_group_member(&row.address, &member.address)
            .await?;
        self.audit(
            "group.member.add",
            &row.address,
            None,
            Some(member.address.clone()),
        )
        .await;
        self.services.chat_groups_changed(&self.domain).await;
        Ok(())
    }

    /// Removes a member from a group alias; the last one stays (delete the group instead).
    pub async fn remove_group_member(&self, group: &str, member: &str) -> Result<(), ServiceError> {
        let row = self.find_group(group).await?;
        let member = member.trim().to_lowercase();
        let engine = &self.services.engine;
        let members = engine.group_members(&row.address).await?;
        if !members.contains(&member) {
            return Err(ServiceError::invalid(
                "member",
                Text::new(
                    format!("{member} is not a member of {}.", row.address),
                    format!("{member} non è un membro di {}.", row.address),
                ),
            ));
        }
        if members.len() == 1 {
            return Err(ServiceError::invalid(
                "member",
                Text::new(
                    "A group alias keeps at least one member: delete the group instead.",
                    "Un alias di gruppo ha almeno un membro: elimina il gruppo.",
                ),
            ));
        }
        engine.remove_group_member(&row.address, &member).await?;
        self.audit("group.member.remove", &row.address, Some(member), None)
            .await;
        self.services.chat_groups_changed(&self.domain).await;
        Ok(())
    }

    /// Deletes a group alias: mail to it is refused from now on; its chat history goes with
    /// it from every member's list.
    pub async fn delete_group(&self, group: &str) -> Result<(), ServiceError> {
        let row = self.find_group(group).await?;
        let db = &self.services.db;
        let intent_id =
            intent::record(db, intent::Kind::DeleteGroup, &row.address, "", None).await?;
        self.services.engine.delete_group(&row.address).await?;
        let row_id = row.id;
        db.transaction::<_, (), sea_orm::DbErr>(|txn| {
            Box::pin(async move {
                group_alias::Entity::delete_by_id(row_id).exec(txn).await?;
                intent::clear(txn, intent_id).await
            })
        })
        .await?;
        self.audit("group.delete", &row.address, Some(row.name.clone()), None)
            .await;
        self.services.chat_groups_changed(&self.domain).await;
        Ok(())
    }

    /// The group alias with this address, if it is in this domain.
    async fn find_group(&self, address: &str) -> Result<group_alias::Model, ServiceError> {
        group_alias::Entity::find()
            .filter(group_alias::Column::Address.eq(address.trim().to_lowercase()))
            .filter(group_alias::Column::DomainId.eq(self.domain.id))
            .one(&self.services.db)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// The domain's mailbox a member was typed as (its address or its local part); an error
    /// on `field` otherwise.
    async fn member_mailbox(
        &self,
        typed: &str,
        field: &'static str,
    ) -> Result<mailbox::Model, ServiceError> {
        let typed = typed.trim().to_lowercase();
        let address = if typed.contains('@') {
            typed.clone()
        } else {
            format!("{typed}@{}", self.domain.name)
        };
        mailbox::Entity::find()
            .filter(mailbox::Column::Address.eq(&address))
            .filter(mailbox::Column::DomainId.eq(self.domain.id))
            .one(&self.services.db)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid(
                    field,
                    Text::new(
                        format!("{typed} is not a mailbox of {}.", self.domain.name),
                        format!("{typed} non è una casella di {}.", self.domain.name),
                    ),
                )
            })
    }
}

fn too_many_members(field: &'static str) -> ServiceError {
    ServiceError::invalid(
        field,
        Text::new(
            format!("A group alias has at most {MAX_MEMBERS} members."),
            format!("Un alias di gruppo ha al massimo {MAX_MEMBERS} membri."),
        ),
    )
}

// SPDX-License-Identifier: AGPL-3.0-only
//! Group aliases: one address that delivers to several mailboxes of its domain. Each is a
//! `List` principal named by its address, with that address as its only e-mail and the member
//! mailboxes as its members; the engine expands it at RCPT time, so a message to the group
//! reaches every member's inbox. The engine is the only record of who is a member: deleting
//! a mailbox drops its memberships with it.

use stalwart_lib::directory::{
    QueryBy, Type,
    backend::internal::{
        PrincipalField, PrincipalSet, PrincipalUpdate, PrincipalValue,
        manage::{ManageDirectory, UpdatePrincipal},
    },
};

use crate::{
    directory::{engine_err, manage_err},
    engine::Engine,
    error::GlueError,
};

impl Engine {
    /// Creates a group alias with these members (mailbox addresses, which must exist). Fails
    /// with `AlreadyExists` when any principal or address already has the name.
    pub async fn create_group(&self, address: &str, members: &[String]) -> Result<(), GlueError> {
        let server = self.server();
        let address = address.to_lowercase();
        if server
            .store()
            .get_principal_id(&address)
            .await
            .map_err(engine_err)?
            .is_some()
        {
            return Err(GlueError::AlreadyExists { what: address });
        }
        let principal = PrincipalSet::new(0, Type::List)
            .with_field(PrincipalField::Name, address.clone())
            .with_field(
                PrincipalField::Emails,
                PrincipalValue::StringList(vec![address.clone()]),
            )
            .with_field(
                PrincipalField::Members,
                PrincipalValue::StringList(members.iter().map(|m| m.to_lowercase()).collect()),
            );
        let created = server
            .store()
            .create_principal(principal, None, None)
            .await
            .map_err(|err| manage_err(err, &address))?;
        server
            .invalidate_principal_caches(created.changed_principals)
            .await;
        Ok(())
    }

    /// The member mailboxes of a group alias, by address, sorted; `NotFound` when there is no
    /// such group.
    pub async fn group_members(&self, address: &str) -> Result<Vec<String>, GlueError> {
        let server = self.server();
        let store = server.store();
        let address = address.to_lowercase();
        let id = match store
            .get_principal_info(&address)
            .await
            .map_err(engine_err)?
        {
            Some(info) if info.typ == Type::List => info.id,
            _ => return Err(GlueError::NotFound { what: address }),
        };
        let mut names = Vec::new();
        for member in store.get_members(id).await.map_err(engine_err)? {
            if let Some(name) = store.get_principal_name(member).await.map_err(engine_err)? {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Adds a member mailbox to a group alias (a no-op when it already is one).
    pub async fn add_group_member(&self, address: &str, member: &str) -> Result<(), GlueError> {
        self.update_group(address, PrincipalUpdate::add_item, member)
            .await
    }

    /// Removes a member mailbox from a group alias (a no-op when it is not one).
    pub async fn remove_group_member(&self, address: &str, member: &str) -> Result<(), GlueError> {
        self.update_group(address, PrincipalUpdate::remove_item, member)
            .await
    }

    async fn update_group(
        &self,
        address: &str,
        change: fn(PrincipalField, PrincipalValue) -> PrincipalUpdate,
        member: &str,
    ) -> Result<(), GlueError> {
        let server = self.server();
        let address = address.to_lowercase();
        let changed = server
            .store()
            .update_principal(UpdatePrincipal::by_name(&address).with_updates(vec![change(
                PrincipalField::Members,
                PrincipalValue::String(member.to_lowercase()),
            )]))
            .await
            .map_err(|err| manage_err(err, &address))?;
        server.invalidate_principal_caches(changed).await;
        Ok(())
    }

    /// Deletes a group alias; deleting one that is not there is a no-op. Anything else by
    /// that name (a mailbox) is left alone and reported as not found.
    pub async fn delete_group(&self, address: &str) -> Result<(), GlueError> {
        let server = self.server();
        let address = address.to_lowercase();
        match server
            .store()
            .get_principal_info(&address)
            .await
            .map_err(engine_err)?
        {
            None => return Ok(()),
            Some(info) if info.typ != Type::List => {
                return Err(GlueError::NotFound { what: address });
            }
            Some(_) => {}
        }
        let changed = server
            .store()
            .delete_principal(QueryBy::Name(&address))
            .await
            .map_err(|err| manage_err(err, &address))?;
        server.invalidate_principal_caches(changed).await;
        Ok(())
    }

    /// The address of every group alias in the directory.
    pub async fn group_names(&self) -> Result<Vec<String>, GlueError> {
        let list = self
            .server()
            .store()
            .list_principals(None, None, &[Type::List], false, 0, 0)
            .await
            .map_err(engine_err)?;
        Ok(list.items.into_iter().map(|p| p.name).collect())
    }
}

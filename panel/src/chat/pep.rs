// SPDX-License-Identifier: AGPL-3.0-only
//! Personal eventing (XEP-0163): each chat user's nodes (its avatar, its nickname, what its
//! client keeps), one item each, the last one published. The item is kept in the panel
//! database, then every node tells the sessions that may see it: the owner's own, and, for
//! an open item, its colleagues' (none that blocks, or is blocked by, the owner).

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};

use super::{
    BusEvent, domain_of,
    hub::{ChatError, Delivery, Hub, Inner, State},
};
use crate::db::pep_item;

/// Nodes one user may have.
pub const MAX_NODES: u64 = 64;
/// The largest item kept, in bytes of XML (an avatar's data fits).
pub const MAX_ITEM: usize = 192 * 1024;

/// One published item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PepItem {
    /// The publisher's address, lowercase.
    pub owner: String,
    pub node: String,
    pub id: String,
    /// Serialised XML.
    pub payload: String,
    /// Readable by the owner's colleagues (otherwise by the owner alone).
    pub open: bool,
}

/// Why an item was not kept.
#[derive(Debug, thiserror::Error)]
pub enum PepError {
    #[error("the item is larger than allowed")]
    TooLarge,
    #[error("too many nodes")]
    TooManyNodes,
    #[error("{0}")]
    Chat(#[from] ChatError),
}

impl From<sea_orm::DbErr> for PepError {
    fn from(err: sea_orm::DbErr) -> Self {
        PepError::Chat(ChatError::Db(err))
    }
}

impl Hub {
    /// Keeps an item as its owner's node's only one, then tells every node.
    pub async fn publish_item(&self, item: PepItem) -> Result<(), PepError> {
        if item.payload.len() > MAX_ITEM {
            return Err(PepError::TooLarge);
        }
        let db = &self.inner.db;
        let exists = pep_item::Entity::find()
            .filter(pep_item::Column::Owner.eq(&item.owner))
            .filter(pep_item::Column::Node.eq(&item.node))
            .count(db)
            .await?
            > 0;
        if !exists {
            let nodes = pep_item::Entity::find()
                .filter(pep_item::Column::Owner.eq(&item.owner))
                .count(db)
                .await?;
            if nodes >= MAX_NODES {
                return Err(PepError::TooManyNodes);
            }
        }
        pep_item::Entity::insert(pep_item::ActiveModel {
            owner: Set(item.owner.clone()),
            node: Set(item.node.clone()),
            item_id: Set(item.id.clone()),
            payload: Set(item.payload.clone()),
            open: Set(item.open),
            published_at: Set(Utc::now()),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([pep_item::Column::Owner, pep_item::Column::Node])
                .update_columns([
                    pep_item::Column::ItemId,
                    pep_item::Column::Payload,
                    pep_item::Column::Open,
                    pep_item::Column::PublishedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
        self.inner.bus.publish(BusEvent::Pep(item));
        Ok(())
    }

    /// Removes an owner's node's item (a retraction); whether there was one.
    pub async fn retract_item(&self, owner: &str, node: &str) -> Result<bool, PepError> {
        let gone = pep_item::Entity::delete_many()
            .filter(pep_item::Column::Owner.eq(owner))
            .filter(pep_item::Column::Node.eq(node))
            .exec(&self.inner.db)
            .await?;
        Ok(gone.rows_affected > 0)
    }

    /// The item of `owner`'s node as `viewer` may see it: its own, or a colleague's open one
    /// when neither blocks the other.
    pub async fn read_item(
        &self,
        viewer: &str,
        owner: &str,
        node: &str,
    ) -> Result<Option<PepItem>, PepError> {
        let row = pep_item::Entity::find()
            .filter(pep_item::Column::Owner.eq(owner))
            .filter(pep_item::Column::Node.eq(node))
            .one(&self.inner.db)
            .await?;
        Ok(row.map(from_row).filter(|item| self.may_see(viewer, item)))
    }

    /// The open items of these nodes published by `viewer`'s colleagues that it may see:
    /// what a client coming online is told (the last published item, XEP-0163 §6.1.2).
    pub async fn colleagues_items(
        &self,
        viewer: &str,
        nodes: &[&str],
    ) -> Result<Vec<PepItem>, PepError> {
        let suffix = format!("@{}", domain_of(viewer));
        let rows = pep_item::Entity::find()
            .filter(pep_item::Column::Node.is_in(nodes.iter().copied()))
            .filter(pep_item::Column::Open.eq(true))
            .filter(pep_item::Column::Owner.ends_with(&suffix))
            .filter(pep_item::Column::Owner.ne(viewer))
            .all(&self.inner.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(from_row)
            .filter(|item| self.may_see(viewer, item))
            .collect())
    }

    fn may_see(&self, viewer: &str, item: &PepItem) -> bool {
        item.owner == viewer
            || (item.open
                && domain_of(&item.owner) == domain_of(viewer)
                && !self.inner.lock().blocked_between(viewer, &item.owner))
    }
}

fn from_row(row: pep_item::Model) -> PepItem {
    PepItem {
        owner: row.owner,
        node: row.node,
        id: row.item_id,
        payload: row.payload,
        open: row.open,
    }
}

impl Inner {
    /// An item was published (from the bus): the sessions that may see it are told.
    pub(super) fn item_published(&self, state: &State, item: PepItem) {
        let item = Arc::new(item);
        let domain = domain_of(&item.owner);
        for local in state.local.values() {
            let sees = local.address == item.owner
                || (item.open
                    && domain_of(&local.address) == domain
                    && !state.blocked_between(&local.address, &item.owner));
            if local.available && sees {
                let _ = local.tx.try_send(Delivery::Pep(item.clone()));
            }
        }
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! Block lists (XEP-0191, and the hub's own rule for every client): a user who blocks an
//! address gets no messages, typing or presence from it, and it gets none from the user; a
//! message between them is refused. Kept in the database, held in memory by every node, and
//! changed through the bus, so every node filters alike.

use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter};

use super::{BusEvent, Hub};
use crate::db::chat_block;

/// Addresses one user may block.
pub const MAX_BLOCKS: usize = 1000;

impl Hub {
    /// Reads every block list; called once at start.
    pub async fn load_blocks(&self) -> Result<(), DbErr> {
        let rows = chat_block::Entity::find().all(&self.inner.db).await?;
        let mut state = self.inner.lock();
        state.blocks = rows
            .into_iter()
            .map(|row| (row.owner, row.blocked))
            .collect();
        Ok(())
    }

    /// The addresses `owner` blocks, sorted.
    pub fn blocklist(&self, owner: &str) -> Vec<String> {
        let owner = owner.to_lowercase();
        let state = self.inner.lock();
        let mut list: Vec<String> = state
            .blocks
            .iter()
            .filter(|(who, _)| *who == owner)
            .map(|(_, whom)| whom.clone())
            .collect();
        list.sort();
        list
    }

    /// Blocks (or unblocks) these addresses for `owner`: kept first, then every node is
    /// told. `Ok(false)` when blocking them would pass [`MAX_BLOCKS`].
    pub async fn set_blocked(
        &self,
        owner: &str,
        addresses: &[String],
        blocked: bool,
    ) -> Result<bool, DbErr> {
        let owner = owner.to_lowercase();
        let mut addresses: Vec<String> = addresses
            .iter()
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty() && *a != owner)
            .collect();
        addresses.sort();
        addresses.dedup();
        if addresses.is_empty() {
            return Ok(true);
        }
        let db = &self.inner.db;
        if blocked {
            let known = self.blocklist(&owner);
            let new = addresses.iter().filter(|a| !known.contains(a)).count();
            if known.len() + new > MAX_BLOCKS {
                return Ok(false);
            }
            let rows = addresses.iter().map(|address| chat_block::ActiveModel {
                owner: Set(owner.clone()),
                blocked: Set(address.clone()),
                ..Default::default()
            });
            chat_block::Entity::insert_many(rows)
                .on_conflict_do_nothing_on([chat_block::Column::Owner, chat_block::Column::Blocked])
                .exec(db)
                .await?;
        } else {
            chat_block::Entity::delete_many()
                .filter(chat_block::Column::Owner.eq(&owner))
                .filter(chat_block::Column::Blocked.is_in(addresses.clone()))
                .exec(db)
                .await?;
        }
        // The list reads back changed at once here: the bus tells every node, this one
        // too, a moment later (with the pushes and presence), and the set takes the change
        // again unchanged.
        self.inner.lock().set_blocked(&owner, &addresses, blocked);
        self.inner.bus.publish(BusEvent::Block {
            owner,
            addresses,
            blocked,
        });
        Ok(true)
    }

    /// Empties `owner`'s block list.
    pub async fn unblock_all(&self, owner: &str) -> Result<(), DbErr> {
        let all = self.blocklist(owner);
        self.set_blocked(owner, &all, false).await.map(|_| ())
    }
}

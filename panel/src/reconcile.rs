// SPDX-License-Identifier: AGPL-3.0-only
//! The start-up reconcile pass. Creations write the engine first and the panel database last,
//! so a crash in between can only leave engine objects the panel does not know; this pass
//! removes them, so nothing stays half-created. Removals go the other way round (engine
//! first), so an alias row whose engine address is gone was being removed: its row goes too.

use std::collections::{HashMap, HashSet};

use engine_glue::Engine;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::{
    db::{alias, domain, mailbox, manager, operator},
    services::ServiceError,
};

/// What the pass removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub accounts: Vec<String>,
    pub domains: Vec<String>,
    /// Engine aliases no panel row knows (an interrupted creation).
    pub engine_aliases: Vec<String>,
    /// Panel alias rows whose engine address is gone (an interrupted removal).
    pub alias_rows: Vec<String>,
}

pub async fn run(db: &DatabaseConnection, engine: &Engine) -> Result<Reconciled, ServiceError> {
    let mut known: HashSet<String> = operator::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|op| op.login)
        .collect();
    known.extend(
        manager::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.login),
    );
    let mailboxes = mailbox::Entity::find().all(db).await?;
    known.extend(mailboxes.iter().map(|m| m.address.clone()));
    let known_domains: HashSet<String> = domain::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.name)
        .collect();

    let mut done = Reconciled::default();
    for name in engine.directory_names(false).await? {
        if !known.contains(&name) {
            tracing::warn!(account = %name, "removing engine account left by an interrupted creation");
            engine.delete_account(&name).await?;
            done.accounts.push(name);
        }
    }
    for name in engine.directory_names(true).await? {
        if !known_domains.contains(&name) {
            tracing::warn!(domain = %name, "removing engine domain left by an interrupted registration");
            engine.delete_domain(&name).await?;
            done.domains.push(name);
        }
    }
    reconcile_aliases(db, engine, &mailboxes, &mut done).await?;
    Ok(done)
}

/// Makes each mailbox's engine aliases and the panel's alias rows the same set.
async fn reconcile_aliases(
    db: &DatabaseConnection,
    engine: &Engine,
    mailboxes: &[mailbox::Model],
    done: &mut Reconciled,
) -> Result<(), ServiceError> {
    let mut rows: HashMap<i32, Vec<alias::Model>> = HashMap::new();
    for row in alias::Entity::find().all(db).await? {
        rows.entry(row.mailbox_id).or_default().push(row);
    }
    for mailbox in mailboxes {
        let Some(info) = engine.mailbox(&mailbox.address).await? else {
            continue;
        };
        let rows = rows.remove(&mailbox.id).unwrap_or_default();
        let in_panel: HashSet<&str> = rows.iter().map(|r| r.address.as_str()).collect();
        for address in info
            .aliases
            .iter()
            .filter(|a| !in_panel.contains(a.as_str()))
        {
            tracing::warn!(mailbox = %mailbox.address, alias = %address, "removing engine alias left by an interrupted creation");
            engine.remove_alias(&mailbox.address, address).await?;
            done.engine_aliases.push(address.clone());
        }
        for row in rows.iter().filter(|r| !info.aliases.contains(&r.address)) {
            tracing::warn!(mailbox = %mailbox.address, alias = %row.address, "removing alias row left by an interrupted removal");
            alias::Entity::delete_by_id(row.id).exec(db).await?;
            done.alias_rows.push(row.address.clone());
        }
    }
    Ok(())
}

// SPDX-License-Identifier: AGPL-3.0-only
//! The start-up reconcile pass. Creations write the engine first and the panel database last,
//! so a crash in between can only leave engine objects the panel does not know; this pass
//! removes them, so nothing stays half-created.

use std::collections::HashSet;

use engine_glue::Engine;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::{
    db::{domain, mailbox, manager, operator},
    services::ServiceError,
};

/// What the pass removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub accounts: Vec<String>,
    pub domains: Vec<String>,
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
    known.extend(
        mailbox::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.address),
    );
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
    Ok(done)
}

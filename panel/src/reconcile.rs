// SPDX-License-Identifier: AGPL-3.0-only
//! The start-up reconcile pass: it finishes or undoes the work that an intent row records
//! (see [`crate::db::intent`]), and nothing else.
//!
//! Every creation that spans the engine and the panel database writes its intent first, then
//! the engine object, then the panel rows together with the intent's removal; every removal
//! writes its intent, then disables or removes in the engine, then deletes the panel rows. A
//! crash at any point leaves an intent, and this pass completes the story it tells.
//!
//! What no intent accounts for is never deleted: an engine account, domain or alias without a
//! panel row, or an alias row without its engine address, is reported and left alone. And when
//! the two sides plainly belong to different installations — a panel database with no
//! identities beside an engine that holds accounts (a moved file, a typo in `database_url`),
//! or the other way round — Casella refuses to start rather than touch either.

use std::collections::{HashMap, HashSet};

use engine_glue::{Engine, GlueError};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    db::{alias, delegate, domain, group_alias, intent, mailbox, manager, operator},
    services::ServiceError,
};

/// What the pass did, and what it found and left alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Engine accounts of interrupted creations, removed.
    pub accounts: Vec<String>,
    /// Engine domains of interrupted registrations, removed.
    pub domains: Vec<String>,
    /// Engine aliases of interrupted creations, removed.
    pub engine_aliases: Vec<String>,
    /// Alias removals that were interrupted, completed.
    pub alias_rows: Vec<String>,
    /// Mailbox deletions that were interrupted, completed.
    pub deletions: Vec<String>,
    /// Group aliases: engine lists of interrupted creations removed, interrupted deletions
    /// completed.
    pub groups: Vec<String>,
    /// Engine accounts, domains and aliases the panel does not know and no intent explains:
    /// reported, never deleted.
    pub unexplained: Vec<String>,
}

impl Reconciled {
    /// Whether the pass changed anything.
    pub fn changed(&self) -> bool {
        !(self.accounts.is_empty()
            && self.domains.is_empty()
            && self.engine_aliases.is_empty()
            && self.alias_rows.is_empty()
            && self.deletions.is_empty()
            && self.groups.is_empty())
    }
}

/// Why the pass refused to run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(
        "the panel database has no accounts, but the mail engine holds {count} ({sample}). \
         This is not the panel database of this mail store: check `database_url` \
         (CASELLA_DATABASE_URL) and that the panel database file is in the data folder. \
         Nothing was changed."
    )]
    PanelDatabaseEmpty { count: usize, sample: String },
    #[error(
        "the mail engine holds none of the panel's {count} accounts ({sample}). This is not \
         the mail store of this panel database: check `engine.store` and the data folder. \
         Nothing was changed."
    )]
    EngineStoreEmpty { count: usize, sample: String },
    #[error("{0}")]
    Service(#[from] ServiceError),
}

impl From<sea_orm::DbErr> for ReconcileError {
    fn from(err: sea_orm::DbErr) -> Self {
        ReconcileError::Service(err.into())
    }
}

impl From<GlueError> for ReconcileError {
    fn from(err: GlueError) -> Self {
        ReconcileError::Service(err.into())
    }
}

pub async fn run(db: &DatabaseConnection, engine: &Engine) -> Result<Reconciled, ReconcileError> {
    let engine_accounts = engine.directory_names(false).await?;
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
    check_same_installation(db, &known, &engine_accounts).await?;

    let mut done = Reconciled::default();
    for pending in intent::all(db).await? {
        complete(db, engine, &pending, &mut done).await?;
        intent::clear(db, pending.id).await?;
    }

    // What is left unexplained is reported, never deleted.
    let known: HashSet<String> = known
        .into_iter()
        .filter(|name| !done.deletions.contains(name))
        .collect();
    for name in engine.directory_names(false).await? {
        if !known.contains(&name) {
            tracing::warn!(account = %name, "engine account without a panel row; left as it is");
            done.unexplained.push(name);
        }
    }
    let known_domains: HashSet<String> = domain::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.name)
        .collect();
    for name in engine.directory_names(true).await? {
        if !known_domains.contains(&name) {
            tracing::warn!(domain = %name, "engine domain without a panel row; left as it is");
            done.unexplained.push(name);
        }
    }
    report_alias_differences(db, engine, &mut done).await?;
    report_group_differences(db, engine, &mut done).await?;
    Ok(done)
}

/// Refuses to go on when one side is empty and the other is not: they are not each other's.
async fn check_same_installation(
    db: &DatabaseConnection,
    panel_accounts: &HashSet<String>,
    engine_accounts: &[String],
) -> Result<(), ReconcileError> {
    let sample = |names: &mut dyn Iterator<Item = &String>| {
        names.take(3).cloned().collect::<Vec<_>>().join(", ")
    };
    if panel_accounts.is_empty() && !engine_accounts.is_empty() && !intent::any(db).await? {
        return Err(ReconcileError::PanelDatabaseEmpty {
            count: engine_accounts.len(),
            sample: sample(&mut engine_accounts.iter()),
        });
    }
    if !panel_accounts.is_empty() && engine_accounts.is_empty() {
        let mut names: Vec<&String> = panel_accounts.iter().collect();
        names.sort();
        return Err(ReconcileError::EngineStoreEmpty {
            count: panel_accounts.len(),
            sample: sample(&mut names.into_iter()),
        });
    }
    Ok(())
}

/// Finishes or undoes what one intent records.
async fn complete(
    db: &DatabaseConnection,
    engine: &Engine,
    pending: &intent::Model,
    done: &mut Reconciled,
) -> Result<(), ReconcileError> {
    let subject = pending.subject.as_str();
    match pending.kind() {
        Some(intent::Kind::CreateAccount) => {
            if !identity_exists(db, subject).await? && engine.account_exists(subject).await? {
                tracing::warn!(account = %subject, "removing the engine account of an interrupted creation");
                engine.disable_account(subject).await?;
                engine.delete_account(subject).await?;
                done.accounts.push(subject.to_string());
            }
        }
        Some(intent::Kind::CreateDomain) => {
            let registered = domain::Entity::find()
                .filter(domain::Column::Name.eq(subject))
                .count(db)
                .await?
                > 0;
            if !registered && engine.domain_exists(subject).await? {
                tracing::warn!(domain = %subject, "removing the engine domain of an interrupted registration");
                engine.delete_domain(subject).await?;
                done.domains.push(subject.to_string());
            }
        }
        Some(intent::Kind::CreateAlias) => {
            let listed = alias::Entity::find()
                .filter(alias::Column::Address.eq(subject))
                .count(db)
                .await?
                > 0;
            if !listed && engine.account_exists(&pending.detail).await? {
                tracing::warn!(alias = %subject, "removing the engine alias of an interrupted creation");
                engine.remove_alias(&pending.detail, subject).await?;
                done.engine_aliases.push(subject.to_string());
            }
        }
        Some(intent::Kind::RemoveAlias) => {
            if engine.account_exists(&pending.detail).await? {
                engine.remove_alias(&pending.detail, subject).await?;
            }
            alias::Entity::delete_many()
                .filter(alias::Column::Address.eq(subject))
                .exec(db)
                .await?;
            tracing::warn!(alias = %subject, "completed an interrupted alias removal");
            done.alias_rows.push(subject.to_string());
        }
        Some(intent::Kind::DeleteAccount) => {
            if engine.account_exists(subject).await? {
                engine.disable_account(subject).await?;
            }
            mailbox::delete_rows(db, subject).await?;
            delegate::Entity::delete_many()
                .filter(delegate::Column::Login.eq(subject))
                .exec(db)
                .await?;
            if engine.account_exists(subject).await? {
                engine.delete_account(subject).await?;
            }
            tracing::warn!(account = %subject, "completed an interrupted mailbox deletion");
            done.deletions.push(subject.to_string());
        }
        Some(intent::Kind::CreateGroup) => {
            let listed = group_alias::Entity::find()
                .filter(group_alias::Column::Address.eq(subject))
                .count(db)
                .await?
                > 0;
            if !listed {
                tracing::warn!(group = %subject, "removing the engine list of an interrupted group alias creation");
                engine.delete_group(subject).await?;
                done.groups.push(subject.to_string());
            }
        }
        Some(intent::Kind::DeleteGroup) => {
            engine.delete_group(subject).await?;
            group_alias::Entity::delete_many()
                .filter(group_alias::Column::Address.eq(subject))
                .exec(db)
                .await?;
            tracing::warn!(group = %subject, "completed an interrupted group alias deletion");
            done.groups.push(subject.to_string());
        }
        None => {
            tracing::warn!(kind = %pending.kind, subject = %subject, "unknown intent dropped");
        }
    }
    Ok(())
}

/// Whether any panel identity has this login.
async fn identity_exists(db: &DatabaseConnection, login: &str) -> Result<bool, ReconcileError> {
    Ok(operator::Entity::find()
        .filter(operator::Column::Login.eq(login))
        .count(db)
        .await?
        + manager::Entity::find()
            .filter(manager::Column::Login.eq(login))
            .count(db)
            .await?
        + delegate::Entity::find()
            .filter(delegate::Column::Login.eq(login))
            .count(db)
            .await?
        + mailbox::Entity::find()
            .filter(mailbox::Column::Address.eq(login))
            .count(db)
            .await?
        > 0)
}

/// Reports aliases the two sides disagree on; intents have already settled the ones they
/// explain, so these are left for a person to look at.
async fn report_alias_differences(
    db: &DatabaseConnection,
    engine: &Engine,
    done: &mut Reconciled,
) -> Result<(), ReconcileError> {
    let mut rows: HashMap<i32, Vec<alias::Model>> = HashMap::new();
    for row in alias::Entity::find().all(db).await? {
        rows.entry(row.mailbox_id).or_default().push(row);
    }
    for mailbox in mailbox::Entity::find().all(db).await? {
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
            tracing::warn!(mailbox = %mailbox.address, alias = %address, "engine alias without a panel row; left as it is");
            done.unexplained.push(address.clone());
        }
        for row in rows.iter().filter(|r| !info.aliases.contains(&r.address)) {
            tracing::warn!(mailbox = %mailbox.address, alias = %row.address, "alias row without its engine address; left as it is");
            done.unexplained.push(row.address.clone());
        }
    }
    Ok(())
}

/// Reports group aliases only one side has: left for a person to look at.
async fn report_group_differences(
    db: &DatabaseConnection,
    engine: &Engine,
    done: &mut Reconciled,
) -> Result<(), ReconcileError> {
    let rows: HashSet<String> = group_alias::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.address)
        .collect();
    let lists: HashSet<String> = engine.group_names().await?.into_iter().collect();
    for address in lists.difference(&rows) {
        tracing::warn!(group = %address, "engine list without a panel row; left as it is");
        done.unexplained.push(address.clone());
    }
    for address in rows.difference(&lists) {
        tracing::warn!(group = %address, "group alias row without its engine list; left as it is");
        done.unexplained.push(address.clone());
    }
    Ok(())
}

// SPDX-License-Identifier: AGPL-3.0-only
//! The operator's work on domains.

use chrono::Utc;
use engine_glue::{GlueError, NewMailbox};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use super::{DEFAULT_QUOTA_BYTES, ServiceError, Services, hash_password, names, passwords};
use crate::db::{domain, mailbox};

/// What an operator may do. Only [`Services::operator_scope`] makes one.
pub struct OperatorScope<'a> {
    services: &'a Services,
}

/// A domain as the operator's list shows it.
pub struct DomainSummary {
    pub domain: domain::Model,
    pub mailboxes: u64,
}

impl<'a> OperatorScope<'a> {
    pub(super) fn new(services: &'a Services) -> Self {
        OperatorScope { services }
    }

    /// Every domain, by name, with its mailbox count.
    pub async fn list_domains(&self) -> Result<Vec<DomainSummary>, ServiceError> {
        let db = &self.services.db;
        let domains = domain::Entity::find()
            .order_by_asc(domain::Column::Name)
            .all(db)
            .await?;
        let mut out = Vec::with_capacity(domains.len());
        for domain in domains {
            let mailboxes = mailbox::Entity::find()
                .filter(mailbox::Column::DomainId.eq(domain.id))
                .count(db)
                .await?;
            out.push(DomainSummary { domain, mailboxes });
        }
        Ok(out)
    }

    /// Registers a domain in the engine with its postmaster mailbox. Returns the postmaster's
    /// address and generated password.
    pub async fn register_domain(&self, input: &str) -> Result<(String, String), ServiceError> {
        let name = names::domain(input).map_err(|msg| ServiceError::invalid("domain", msg))?;
        let taken = ServiceError::Conflict {
            field: "domain",
            message: format!("The domain {name} is already registered."),
        };
        let db = &self.services.db;
        let engine = &self.services.engine;
        if domain::Entity::find()
            .filter(domain::Column::Name.eq(&name))
            .one(db)
            .await?
            .is_some()
        {
            return Err(taken);
        }
        let postmaster = format!("postmaster@{name}");
        let password = passwords::generate();
        let hash = hash_password(password.clone()).await?;

        // Engine first, panel rows last, each step undone if a later one fails; a crash in
        // between leaves engine objects without panel rows, which the start-up reconcile removes.
        match engine.create_domain(&name).await {
            Ok(()) => {}
            Err(GlueError::AlreadyExists { .. }) => return Err(taken),
            Err(err) => return Err(err.into()),
        }
        let created = engine
            .create_mailbox(NewMailbox {
                address: &postmaster,
                display_name: "Postmaster",
                password: &hash,
                quota_bytes: DEFAULT_QUOTA_BYTES,
            })
            .await;
        if let Err(err) = created {
            let _ = engine.delete_domain(&name).await;
            return Err(err.into());
        }
        let rows = db
            .transaction::<_, (), sea_orm::DbErr>(|txn| {
                let name = name.clone();
                let postmaster = postmaster.clone();
                Box::pin(async move {
                    let now = Utc::now();
                    let domain = domain::ActiveModel {
                        name: Set(name),
                        created_at: Set(now),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                    mailbox::ActiveModel {
                        domain_id: Set(domain.id),
                        local_part: Set("postmaster".into()),
                        address: Set(postmaster),
                        first_name: Set("Postmaster".into()),
                        last_name: Set(String::new()),
                        is_postmaster: Set(true),
                        must_change_password: Set(true),
                        quota_bytes: Set(DEFAULT_QUOTA_BYTES as i64),
                        created_at: Set(now),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                    Ok(())
                })
            })
            .await;
        if let Err(err) = rows {
            let _ = engine.delete_mailbox(&postmaster).await;
            let _ = engine.delete_domain(&name).await;
            return Err(ServiceError::Internal(format!("database: {err}")));
        }
        tracing::info!(domain = %name, "domain registered");
        Ok((postmaster, password))
    }
}

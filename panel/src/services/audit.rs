// SPDX-License-Identifier: AGPL-3.0-only
//! The audit log: every administrative action, recorded after it took effect, and who may read
//! which part of it (an operator everything, a manager its domains, a postmaster its domain).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::{Actor, Caller, ServiceError, Services};
use crate::db::{audit, domain};

/// Entries per page of the audit log.
pub const AUDIT_PAGE: u64 = 50;

/// One action to record.
pub struct AuditEntry<'a> {
    pub action: &'a str,
    pub domain: Option<&'a str>,
    pub target: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Services {
    /// Records an action. The action already happened, so a failure to record it is logged,
    /// not turned into an error the user would read as "nothing was done".
    pub(crate) async fn audit(&self, caller: &Caller, entry: AuditEntry<'_>) {
        let row = audit::ActiveModel {
            at: Set(Utc::now()),
            actor: Set(caller.actor.login().to_string()),
            actor_role: Set(caller.actor.role().to_string()),
            ip: Set(caller.ip.to_string()),
            action: Set(entry.action.to_string()),
            domain: Set(entry.domain.map(str::to_string)),
            target: Set(entry.target.to_string()),
            before: Set(entry.before),
            after: Set(entry.after),
            ..Default::default()
        };
        if let Err(err) = row.insert(&self.db).await {
            tracing::error!(%err, action = entry.action, target = entry.target, "audit entry not recorded");
        }
    }

    /// A page of the audit log as the caller may see it, newest first, and the total count.
    pub async fn audit_log(
        &self,
        caller: &Caller,
        page: u64,
    ) -> Result<(Vec<audit::Model>, u64), ServiceError> {
        super::ready(caller)?;
        let mut query = audit::Entity::find();
        match &caller.actor {
            Actor::Operator(_) => {}
            Actor::Manager(manager) => {
                let domains: Vec<String> = domain::Entity::find()
                    .filter(domain::Column::ManagerId.eq(manager.id))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|d| d.name)
                    .collect();
                // Its domains' entries, and what it did outside them (its delegates).
                query = query.filter(
                    Condition::any()
                        .add(audit::Column::Domain.is_in(domains))
                        .add(
                            Condition::all()
                                .add(audit::Column::Domain.is_null())
                                .add(audit::Column::Actor.eq(manager.login.clone())),
                        ),
                );
            }
            Actor::Postmaster { domain, .. } => {
                query = query.filter(audit::Column::Domain.eq(domain.name.clone()));
            }
            Actor::User { .. } | Actor::Delegate(_) => return Err(ServiceError::Forbidden),
        }
        let total = query.clone().count(&self.db).await?;
        let mut rows = query
            .order_by_desc(audit::Column::At)
            .order_by_desc(audit::Column::Id)
            .offset(super::page_offset(page, AUDIT_PAGE))
            .limit(AUDIT_PAGE)
            .all(&self.db)
            .await?;
        if !matches!(caller.actor, Actor::Operator(_)) {
            // The provider's staff work from the provider's network: customers see that the
            // provider acted, not from where.
            for row in rows.iter_mut().filter(|r| r.actor_role == "operator") {
                row.ip = String::new();
            }
        }
        Ok((rows, total))
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! What each customer uses and what it costs a month (seed 002, "Monitor"): mailboxes created
//! against the plan's included ones and the slots bought beyond them, quota and send-limit
//! upgrades, archives, each priced by the customer's plan.
//!
//! Counting is done with grouped queries, so it costs the same for 100 or 100,000 mailboxes.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use crate::db::{customer, domain, mailbox, plan};

/// One customer's usage and monthly cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerCost {
    pub customer: customer::Model,
    pub plan: plan::Model,
    /// Mailboxes created, postmasters excluded.
    pub created: u64,
    /// Mailboxes the plan includes plus the slots bought.
    pub capacity: u64,
    /// Mailboxes on each paid quota tier: 25, 50, 100 GB.
    pub quota_upgrades: [u64; 3],
    /// Mailboxes on each paid send tier: the second, third and fourth.
    pub send_upgrades: [u64; 3],
    pub archives: u64,
    /// The resulting monthly cost in cents.
    pub monthly_cents: i64,
}

/// Mailbox counts per domain id, postmasters excluded.
pub async fn mailbox_counts(db: &DatabaseConnection) -> Result<HashMap<i32, u64>, DbErr> {
    let rows: Vec<(i32, i64)> = mailbox::Entity::find()
        .select_only()
        .column(mailbox::Column::DomainId)
        .column_as(Expr::col(mailbox::Column::Id).count(), "n")
        .filter(mailbox::Column::IsPostmaster.eq(false))
        .group_by(mailbox::Column::DomainId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(domain, n)| (domain, u64::try_from(n).unwrap_or_default()))
        .collect())
}

/// Usage and cost of every customer, by company name.
pub async fn all_customers(
    db: &DatabaseConnection,
    tiers: ([u32; 4], [u64; 4]),
) -> Result<Vec<CustomerCost>, DbErr> {
    let customers = customer::Entity::find()
        .find_also_related(plan::Entity)
        .order_by_asc(customer::Column::CompanyName)
        .all(db)
        .await?;
    let usage = usage_by_customer(db, None, tiers).await?;
    Ok(customers
        .into_iter()
        .filter_map(|(customer, plan)| {
            let plan = plan?;
            let usage = usage.get(&customer.id).cloned().unwrap_or_default();
            Some(cost(customer, plan, &usage))
        })
        .collect())
}

/// Usage and cost of one customer.
pub async fn for_customer(
    db: &DatabaseConnection,
    customer_id: i32,
    tiers: ([u32; 4], [u64; 4]),
) -> Result<Option<CustomerCost>, DbErr> {
    let Some((customer, Some(plan))) = customer::Entity::find_by_id(customer_id)
        .find_also_related(plan::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let usage = usage_by_customer(db, Some(customer_id), tiers).await?;
    let usage = usage.get(&customer_id).cloned().unwrap_or_default();
    Ok(Some(cost(customer, plan, &usage)))
}

#[derive(Debug, Clone, Default)]
struct Usage {
    created: u64,
    quota: [u64; 3],
    send: [u64; 3],
    archives: u64,
}

/// Mailboxes grouped by what they cost, per customer.
async fn usage_by_customer(
    db: &DatabaseConnection,
    only: Option<i32>,
    (tiers, quota_tiers): ([u32; 4], [u64; 4]),
) -> Result<HashMap<i32, Usage>, DbErr> {
    let mut domains = domain::Entity::find().filter(domain::Column::CustomerId.is_not_null());
    if let Some(id) = only {
        domains = domains.filter(domain::Column::CustomerId.eq(id));
    }
    let owner: HashMap<i32, i32> = domains
        .all(db)
        .await?
        .into_iter()
        .filter_map(|d| Some((d.id, d.customer_id?)))
        .collect();
    let mut query = mailbox::Entity::find()
        .select_only()
        .column(mailbox::Column::DomainId)
        .column(mailbox::Column::QuotaBytes)
        .column(mailbox::Column::SendTier)
        .column(mailbox::Column::Archive)
        .column_as(Expr::col(mailbox::Column::Id).count(), "n")
        .filter(mailbox::Column::IsPostmaster.eq(false))
        .group_by(mailbox::Column::DomainId)
        .group_by(mailbox::Column::QuotaBytes)
        .group_by(mailbox::Column::SendTier)
        .group_by(mailbox::Column::Archive);
    if only.is_some() {
        query = query.filter(mailbox::Column::DomainId.is_in(owner.keys().copied()));
    }
    let rows: Vec<(i32, i64, i32, bool, i64)> = query.into_tuple().all(db).await?;
    let mut out: HashMap<i32, Usage> = HashMap::new();
    for (domain_id, quota_bytes, send_tier, archive, n) in rows {
        let Some(customer) = owner.get(&domain_id) else {
            continue;
        };
        let n = u64::try_from(n).unwrap_or_default();
        let usage = out.entry(*customer).or_default();
        usage.created += n;
        let bytes = u64::try_from(quota_bytes).unwrap_or_default();
        for (i, tier) in quota_tiers.iter().enumerate().skip(1) {
            if bytes == *tier {
                usage.quota[i - 1] += n;
            }
        }
        for (i, tier) in tiers.iter().enumerate().skip(1) {
            if i64::from(send_tier) == i64::from(*tier) {
                usage.send[i - 1] += n;
            }
        }
        if archive {
            usage.archives += n;
        }
    }
    Ok(out)
}

fn cost(customer: customer::Model, plan: plan::Model, usage: &Usage) -> CustomerCost {
    let included = u64::try_from(plan.included_mailboxes).unwrap_or_default();
    let bought = u64::try_from(customer.extra_slots).unwrap_or_default();
    // Slots bought are paid whether used or not; mailboxes created beyond every slot (an
    // operator may lower a plan) are paid as extra mailboxes too.
    let extra = std::cmp::max(bought, usage.created.saturating_sub(included));
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let monthly = n(extra) * plan.price_extra_mailbox
        + n(usage.quota[0]) * plan.price_quota25
        + n(usage.quota[1]) * plan.price_quota50
        + n(usage.quota[2]) * plan.price_quota100
        + n(usage.send[0]) * plan.price_send1000
        + n(usage.send[1]) * plan.price_send2000
        + n(usage.send[2]) * plan.price_send5000
        + n(usage.archives) * plan.price_archive;
    CustomerCost {
        capacity: included + bought,
        created: usage.created,
        quota_upgrades: usage.quota,
        send_upgrades: usage.send,
        archives: usage.archives,
        monthly_cents: monthly,
        customer,
        plan,
    }
}

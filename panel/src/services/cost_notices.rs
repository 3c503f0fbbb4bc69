// SPDX-License-Identifier: AGPL-3.0-only
//! The end-of-day notice (seed 002): when the day's changes altered a customer's monthly cost,
//! its legal representative receives an e-mail with the new figures.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use app::format::euros;

use super::{ServiceError, Services};
use crate::{
    config::Schedule,
    costs::{self, CustomerCost},
    db::customer,
};

impl Services {
    /// Runs the notices on `schedule` until the process ends.
    pub fn spawn_cost_notices(&self, schedule: Schedule) {
        let services = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(until_next(schedule)).await;
                match services.send_cost_notices().await {
                    Ok(0) => {}
                    Ok(sent) => tracing::info!(sent, "cost change notices sent"),
                    Err(err) => tracing::error!(%err, "cost change notices failed"),
                }
            }
        });
    }

    /// E-mails every customer whose monthly cost differs from the last one notified, and
    /// records the new cost once the e-mail is handed over. Returns how many were sent.
    pub async fn send_cost_notices(&self) -> Result<usize, ServiceError> {
        let mut sent = 0;
        for cost in costs::all_customers(&self.db, self.tiers()).await? {
            let before = cost.customer.notified_cost.unwrap_or(0);
            if before == cost.monthly_cents {
                continue;
            }
            let to = cost.customer.legal_email.clone();
            let subject = format!(
                "Variazione del costo mensile / Monthly cost change: {}",
                cost.customer.company_name
            );
            if let Err(reason) = self.mailer.send(&to, &subject, notice(&cost, before)).await {
                // Not recorded: tomorrow's run tries again.
                tracing::warn!(%to, %reason, "cost notice not sent");
                continue;
            }
            let mut active: customer::ActiveModel = cost.customer.clone().into();
            active.notified_cost = Set(Some(cost.monthly_cents));
            active.update(&self.db).await?;
            sent += 1;
        }
        Ok(sent)
    }
}

fn notice(cost: &CustomerCost, before: i64) -> String {
    let [q25, q50, q100] = cost.quota_upgrades;
    let [s1, s2, s3] = cost.send_upgrades;
    format!(
        "Gentile Cliente,\n\n\
         il costo mensile del servizio Mail per {company} è cambiato oggi:\n\
         da {before} a {after}.\n\n\
         Caselle create: {created} (incluse nel piano {plan}: {included}, disponibili in tutto: {capacity})\n\
         Upgrade di quota 25/50/100 GB: {q25}/{q50}/{q100}\n\
         Upgrade del limite di invio: {s1}/{s2}/{s3}\n\
         Archivi: {archives}\n\n\
         ---\n\n\
         Dear Customer,\n\n\
         the monthly cost of the Mail service for {company} changed today:\n\
         from {before} to {after}.\n\n\
         Mailboxes created: {created} (included in plan {plan}: {included}, available in all: {capacity})\n\
         Quota upgrades 25/50/100 GB: {q25}/{q50}/{q100}\n\
         Send limit upgrades: {s1}/{s2}/{s3}\n\
         Archives: {archives}\n",
        company = cost.customer.company_name,
        before = euros(before),
        after = euros(cost.monthly_cents),
        created = cost.created,
        plan = cost.plan.name,
        included = cost.plan.included_mailboxes,
        capacity = cost.capacity,
        archives = cost.archives,
    )
}

/// How long until the schedule's next run.
fn until_next(schedule: Schedule) -> Duration {
    match schedule {
        Schedule::Every(every) => every,
        Schedule::DailyAt(at) => {
            let now = Utc::now();
            let today = now.date_naive().and_time(at).and_utc();
            let next = if today > now {
                today
            } else {
                today + chrono::Duration::days(1)
            };
            (next - now).to_std().unwrap_or(Duration::from_secs(60))
        }
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! The operator's customers, plans and managers.

use app::i18n::Text;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::{
    AuditEntry, OperatorScope, ServiceError, hash_password,
    names::{self, clean_text},
    passwords,
};
use crate::db::{customer, domain, intent, manager, plan};

/// A plan, as typed into the form. Prices are monthly, in euro cents.
pub struct PlanInput {
    pub name: String,
    pub mailbox_type: String,
    pub included_mailboxes: i64,
    pub price_extra_mailbox: i64,
    pub price_quota: [i64; 3],
    pub price_send: [i64; 3],
    pub price_archive: i64,
}

/// A customer, as typed into the form.
pub struct CustomerInput {
    pub company_name: String,
    pub legal_email: String,
    pub plan_id: i32,
}

/// Most mailboxes a plan may include (seed 002: up to 360).
const MAX_INCLUDED: i64 = 100_000;
/// Highest monthly price accepted for one item, in cents.
const MAX_PRICE: i64 = 100_000_000;

impl OperatorScope<'_> {
    /// Every plan, by name.
    pub async fn list_plans(&self) -> Result<Vec<plan::Model>, ServiceError> {
        Ok(plan::Entity::find()
            .order_by_asc(plan::Column::Name)
            .all(&self.services.db)
            .await?)
    }

    /// Creates a plan.
    pub async fn create_plan(&self, input: PlanInput) -> Result<plan::Model, ServiceError> {
        let name = clean_text(&input.name, "name", 100)?;
        if name.is_empty() {
            return Err(ServiceError::invalid(
                "name",
                Text::new("Enter the plan's name.", "Inserisci il nome del piano."),
            ));
        }
        let mailbox_type = clean_text(&input.mailbox_type, "mailbox_type", 100)?;
        if mailbox_type.is_empty() {
            return Err(ServiceError::invalid(
                "mailbox_type",
                Text::new(
                    "Enter the type of mailbox, for example Business Mail.",
                    "Inserisci il tipo di casella, per esempio Business Mail.",
                ),
            ));
        }
        if !(0..=MAX_INCLUDED).contains(&input.included_mailboxes) {
            return Err(ServiceError::invalid(
                "included_mailboxes",
                Text::new(
                    format!("Between 0 and {MAX_INCLUDED}."),
                    format!("Tra 0 e {MAX_INCLUDED}."),
                ),
            ));
        }
        let prices = [
            ("price_extra_mailbox", input.price_extra_mailbox),
            ("price_quota_25", input.price_quota[0]),
            ("price_quota_50", input.price_quota[1]),
            ("price_quota_100", input.price_quota[2]),
            ("price_send_1000", input.price_send[0]),
            ("price_send_2000", input.price_send[1]),
            ("price_send_5000", input.price_send[2]),
            ("price_archive", input.price_archive),
        ];
        for (field, price) in prices {
            if !(0..=MAX_PRICE).contains(&price) {
                return Err(ServiceError::invalid(
                    field,
                    Text::new(
                        "Enter a price of zero or more, in euro.",
                        "Inserisci un prezzo in euro, zero o più.",
                    ),
                ));
            }
        }
        let db = &self.services.db;
        if plan::Entity::find()
            .filter(plan::Column::Name.eq(&name))
            .one(db)
            .await?
            .is_some()
        {
            return Err(ServiceError::conflict(
                "name",
                Text::new(
                    format!("A plan called {name} exists already."),
                    format!("Esiste già un piano chiamato {name}."),
                ),
            ));
        }
        let created = plan::ActiveModel {
            name: Set(name.clone()),
            mailbox_type: Set(mailbox_type),
            included_mailboxes: Set(input.included_mailboxes as i32),
            price_extra_mailbox: Set(input.price_extra_mailbox),
            price_quota25: Set(input.price_quota[0]),
            price_quota50: Set(input.price_quota[1]),
            price_quota100: Set(input.price_quota[2]),
            price_send1000: Set(input.price_send[0]),
            price_send2000: Set(input.price_send[1]),
            price_send5000: Set(input.price_send[2]),
            price_archive: Set(input.price_archive),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await?;
        self.services
            .audit(
                &self.caller,
                AuditEntry {
                    action: "plan.create",
                    domain: None,
                    target: &name,
                    before: None,
                    after: Some(format!(
                        "{} · {} · + {}",
                        created.mailbox_type,
                        created.included_mailboxes,
                        app::format::euros(created.price_extra_mailbox)
                    )),
                },
            )
            .await;
        Ok(created)
    }

    /// Every customer with its plan, by company name.
    pub async fn list_customers(
        &self,
    ) -> Result<Vec<(customer::Model, Option<plan::Model>)>, ServiceError> {
        Ok(customer::Entity::find()
            .find_also_related(plan::Entity)
            .order_by_asc(customer::Column::CompanyName)
            .all(&self.services.db)
            .await?)
    }

    /// Creates a customer.
    pub async fn create_customer(
        &self,
        input: CustomerInput,
    ) -> Result<customer::Model, ServiceError> {
        let company = clean_text(&input.company_name, "company_name", 200)?;
        if company.is_empty() {
            return Err(ServiceError::invalid(
                "company_name",
                Text::new("Enter the company name.", "Inserisci la ragione sociale."),
            ));
        }
        let email = names::email(&input.legal_email)
            .map_err(|msg| ServiceError::invalid("legal_email", msg))?;
        let db = &self.services.db;
        if plan::Entity::find_by_id(input.plan_id)
            .one(db)
            .await?
            .is_none()
        {
            return Err(ServiceError::invalid(
                "plan",
                Text::new("Choose a plan.", "Scegli un piano."),
            ));
        }
        if customer::Entity::find()
            .filter(customer::Column::CompanyName.eq(&company))
            .one(db)
            .await?
            .is_some()
        {
            return Err(ServiceError::conflict(
                "company_name",
                Text::new(
                    format!("{company} is already a customer."),
                    format!("{company} è già un cliente."),
                ),
            ));
        }
        let created = customer::ActiveModel {
            company_name: Set(company.clone()),
            legal_email: Set(email.clone()),
            plan_id: Set(input.plan_id),
            extra_slots: Set(0),
            notified_cost: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await?;
        self.services
            .audit(
                &self.caller,
                AuditEntry {
                    action: "customer.create",
                    domain: None,
                    target: &company,
                    before: None,
                    after: Some(email.clone()),
                },
            )
            .await;
        Ok(created)
    }

    /// Every manager with the names of its domains, by login.
    pub async fn list_managers(&self) -> Result<Vec<(manager::Model, Vec<String>)>, ServiceError> {
        let rows = manager::Entity::find()
            .find_with_related(domain::Entity)
            .order_by_asc(manager::Column::Login)
            .all(&self.services.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(m, domains)| {
                let mut names: Vec<String> = domains.into_iter().map(|d| d.name).collect();
                names.sort();
                (m, names)
            })
            .collect())
    }

    /// Creates a manager: a web-only account in the engine's directory whose generated
    /// password is e-mailed to the manager, to be changed at first login.
    pub async fn create_manager(
        &self,
        login: &str,
        display_name: &str,
        email: &str,
    ) -> Result<manager::Model, ServiceError> {
        let login = names::staff_login(login).map_err(|msg| ServiceError::invalid("login", msg))?;
        let display_name = clean_text(display_name, "display_name", 100)?;
        if display_name.is_empty() {
            return Err(ServiceError::invalid(
                "display_name",
                Text::new(
                    "Enter the manager's name.",
                    "Inserisci il nome del manager.",
                ),
            ));
        }
        let email = names::email(email).map_err(|msg| ServiceError::invalid("email", msg))?;
        let services = self.services;
        let taken = ServiceError::conflict(
            "login",
            Text::new(
                format!("The login {login} is taken."),
                format!("Il nome utente {login} è già in uso."),
            ),
        );
        if services.login_taken(&login).await? {
            return Err(taken);
        }
        let password = passwords::generate();
        let hash = hash_password(password.clone()).await?;
        // Intent, engine, panel row, e-mail, end of intent; each failure undoes what came
        // before, and a crash leaves the intent for the start-up reconcile.
        let db = &services.db;
        let intent_id = intent::record(db, intent::Kind::CreateAccount, &login, "", None).await?;
        if let Err(err) = services
            .engine
            .create_staff_account(&login, &display_name, &hash)
            .await
        {
            intent::clear(db, intent_id).await?;
            return Err(match err {
                engine_glue::GlueError::AlreadyExists { .. } => taken,
                err => err.into(),
            });
        }
        let row = manager::ActiveModel {
            login: Set(login.clone()),
            display_name: Set(display_name),
            email: Set(email.clone()),
            must_change_password: Set(true),
            created_at: Set(Utc::now()),
            session_key: Set(crate::db::new_session_key()),
            ..Default::default()
        }
        .insert(db)
        .await;
        let row = match row {
            Ok(row) => row,
            Err(err) => {
                services.undo_account(&login, intent_id).await;
                return Err(err.into());
            }
        };
        let sent = services
            .mailer
            .send_credentials(&email, &login, &password, "manager")
            .await;
        if let Err(reason) = sent {
            let _ = manager::Entity::delete_by_id(row.id).exec(db).await;
            services.undo_account(&login, intent_id).await;
            return Err(ServiceError::invalid(
                "email",
                Text::new(
                    format!("The credentials could not be e-mailed to {email}: {reason}"),
                    format!("Non è stato possibile inviare le credenziali a {email}: {reason}"),
                ),
            ));
        }
        intent::clear(db, intent_id).await?;
        services
            .audit(
                &self.caller,
                AuditEntry {
                    action: "manager.create",
                    domain: None,
                    target: &login,
                    before: None,
                    after: Some(email.clone()),
                },
            )
            .await;
        Ok(row)
    }

    /// Gives a domain to a manager, or takes it away (`None`). A domain has at most one
    /// manager: assigning replaces the previous one.
    pub async fn assign_manager(
        &self,
        domain_name: &str,
        manager_login: Option<&str>,
    ) -> Result<(), ServiceError> {
        let db = &self.services.db;
        let found = domain::Entity::find()
            .filter(domain::Column::Name.eq(domain_name.trim().to_ascii_lowercase()))
            .one(db)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid(
                    "domain",
                    Text::new("No such domain.", "Dominio inesistente."),
                )
            })?;
        let new_manager = match manager_login.map(str::trim).filter(|l| !l.is_empty()) {
            Some(login) => Some(
                manager::Entity::find()
                    .filter(manager::Column::Login.eq(login.to_ascii_lowercase()))
                    .one(db)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "manager",
                            Text::new("No such manager.", "Manager inesistente."),
                        )
                    })?,
            ),
            None => None,
        };
        let before = match found.manager_id {
            Some(id) => manager::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|m| m.login),
            None => None,
        };
        let after = new_manager.as_ref().map(|m| m.login.clone());
        let mut active: domain::ActiveModel = found.clone().into();
        active.manager_id = Set(new_manager.map(|m| m.id));
        active.update(db).await?;
        self.services
            .audit(
                &self.caller,
                AuditEntry {
                    action: "domain.manager",
                    domain: Some(&found.name),
                    target: &found.name,
                    before,
                    after,
                },
            )
            .await;
        Ok(())
    }
}

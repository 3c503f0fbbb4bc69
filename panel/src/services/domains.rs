// SPDX-License-Identifier: AGPL-3.0-only
//! The operator's work on domains: the list, registering one for a customer, and the monitor.

use app::i18n::Text;
use std::collections::HashMap;

use chrono::Utc;
use engine_glue::{DkimKind, GlueError, NewMailbox};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

use super::{
    AuditEntry, Caller, ServiceError, Services, hash_first_password, names, passwords, search,
};
use crate::{
    costs::{self, CustomerCost},
    db::{customer, domain, intent, mailbox, manager},
};

/// What an operator may do. Only [`Services::operator_scope`] makes one.
pub struct OperatorScope<'a> {
    pub(super) services: &'a Services,
    pub(super) caller: Caller,
}

impl OperatorScope<'_> {
    /// Requires (or stops requiring) a second factor of operators and managers.
    pub async fn set_staff_two_factor(&self, required: bool) -> Result<(), ServiceError> {
        self.services
            .set_staff_two_factor(&self.caller, required)
            .await
    }

    /// Whether operators and managers must sign in with a second factor.
    pub async fn staff_two_factor(&self) -> Result<bool, ServiceError> {
        self.services.staff_two_factor().await
    }
}

/// A domain as the operator's list shows it.
pub struct DomainSummary {
    pub domain: domain::Model,
    pub customer: Option<String>,
    pub manager: Option<String>,
    pub mailboxes: u64,
}

/// A registered domain's postmaster, and where its credentials went.
pub struct Registered {
    pub postmaster: String,
    /// The password, with [`Handover::Return`].
    pub password: Option<String>,
    /// The legal representative the credentials were e-mailed to, with [`Handover::Email`].
    pub sent_to: String,
}

/// How the new postmaster's credentials reach a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// E-mailed to the customer's legal representative (the product's way).
    Email,
    /// Returned to the caller, which prints them (the demo data on a console).
    Return,
}

impl<'a> OperatorScope<'a> {
    pub(super) fn new(services: &'a Services, caller: Caller) -> Self {
        OperatorScope { services, caller }
    }

    /// Every domain, by name, with its customer, manager and mailbox count.
    pub async fn list_domains(&self) -> Result<Vec<DomainSummary>, ServiceError> {
        let db = &self.services.db;
        let domains = domain::Entity::find()
            .order_by_asc(domain::Column::Name)
            .all(db)
            .await?;
        let customers: HashMap<i32, String> = customer::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.company_name))
            .collect();
        let managers: HashMap<i32, String> = manager::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.login))
            .collect();
        let counts = costs::mailbox_counts(db).await?;
        Ok(domains
            .into_iter()
            .map(|domain| DomainSummary {
                customer: domain
                    .customer_id
                    .and_then(|id| customers.get(&id).cloned()),
                manager: domain.manager_id.and_then(|id| managers.get(&id).cloned()),
                mailboxes: counts.get(&domain.id).copied().unwrap_or_default(),
                domain,
            })
            .collect())
    }

    /// The monitor: per customer, mailboxes created against included, upgrades and the
    /// monthly cost they add up to.
    pub async fn monitor(&self) -> Result<Vec<CustomerCost>, ServiceError> {
        Ok(costs::all_customers(&self.services.db, self.services.tiers()).await?)
    }

    /// Registers a domain for a customer: the engine domain with its DKIM key, and
    /// `postmaster@<domain>` with a generated password that must be changed at first login.
    /// With [`Handover::Email`] the password goes to the customer's legal representative and
    /// is not returned; if it cannot be sent, nothing is registered.
    pub async fn register_domain(
        &self,
        input: &str,
        customer_id: i32,
        handover: Handover,
    ) -> Result<Registered, ServiceError> {
        let name = names::domain(input).map_err(|msg| ServiceError::invalid("domain", msg))?;
        let taken = ServiceError::conflict(
            "domain",
            Text::new(
                format!("The domain {name} is already registered."),
                format!("Il dominio {name} è già registrato."),
            ),
        );
        let services = self.services;
        let db = &services.db;
        let engine = &services.engine;
        let customer = customer::Entity::find_by_id(customer_id)
            .one(db)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid(
                    "customer",
                    Text::new("Choose a customer.", "Scegli un cliente."),
                )
            })?;
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
        // Only the web login takes it, until the postmaster chooses its own.
        let hash = hash_first_password(password.clone()).await?;
        let services_quota = services.quota_tiers[0];
        let first_send_tier = services.send_tiers[0] as i32;

        // Intents, engine, panel rows, e-mail, end of the intents; each step undone if a later
        // one fails, and a crash leaves the intents for the start-up reconcile.
        let (domain_intent, account_intent) = db
            .transaction::<_, (i32, i32), sea_orm::DbErr>(|txn| {
                let name = name.clone();
                let postmaster = postmaster.clone();
                Box::pin(async move {
                    let domain =
                        intent::record(txn, intent::Kind::CreateDomain, &name, "", None).await?;
                    let account =
                        intent::record(txn, intent::Kind::CreateAccount, &postmaster, "", None)
                            .await?;
                    Ok((domain, account))
                })
            })
            .await?;
        let clear_intents = || async {
            for id in [account_intent, domain_intent] {
                if let Err(err) = intent::clear(db, id).await {
                    tracing::warn!(%err, "registration intent not cleared");
                }
            }
        };
        match engine.create_domain(&name).await {
            Ok(()) => {}
            Err(err) => {
                clear_intents().await;
                return Err(match err {
                    GlueError::AlreadyExists { .. } => taken,
                    err => err.into(),
                });
            }
        }
        let undo_engine = || async {
            let account_gone = match engine.disable_account(&postmaster).await {
                Ok(()) => engine.delete_mailbox(&postmaster).await,
                Err(err) => Err(err),
            };
            let account_gone = matches!(account_gone, Ok(()) | Err(GlueError::NotFound { .. }));
            let domain_gone = matches!(
                engine.delete_domain(&name).await,
                Ok(()) | Err(GlueError::NotFound { .. })
            );
            if account_gone && domain_gone {
                clear_intents().await;
            } else {
                tracing::warn!(domain = %name, "undo of a failed registration left for the next start");
            }
        };
        if let Err(err) = engine.ensure_dkim_key(&name, DkimKind::Ed25519).await {
            undo_engine().await;
            return Err(err.into());
        }
        let created = engine
            .create_mailbox(NewMailbox {
                address: &postmaster,
                display_name: "Postmaster",
                password: &hash,
                quota_bytes: services_quota,
            })
            .await;
        if let Err(err) = created {
            undo_engine().await;
            return Err(err.into());
        }
        let rows = db
            .transaction::<_, i32, sea_orm::DbErr>(|txn| {
                let name = name.clone();
                let postmaster = postmaster.clone();
                Box::pin(async move {
                    let now = Utc::now();
                    let domain = domain::ActiveModel {
                        name: Set(name),
                        created_at: Set(now),
                        customer_id: Set(Some(customer_id)),
                        manager_id: Set(None),
                        chat_enabled: Set(false),
                        brand_name: Set(None),
                        brand_logo: Set(None),
                        brand_logo_type: Set(None),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                    let postmaster = mailbox::ActiveModel {
                        domain_id: Set(domain.id),
                        local_part: Set("postmaster".into()),
                        address: Set(postmaster),
                        first_name: Set("Postmaster".into()),
                        last_name: Set(String::new()),
                        is_postmaster: Set(true),
                        must_change_password: Set(true),
                        quota_bytes: Set(services_quota as i64),
                        created_at: Set(now),
                        send_tier: Set(first_send_tier),
                        archive: Set(false),
                        last_login_at: Set(None),
                        session_key: Set(crate::db::new_session_key()),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                    search::index(txn, &postmaster).await?;
                    Ok(domain.id)
                })
            })
            .await;
        let domain_id = match rows {
            Ok(id) => id,
            Err(err) => {
                undo_engine().await;
                return Err(err.into());
            }
        };
        let returned = match handover {
            Handover::Return => Some(password),
            Handover::Email => {
                let sent = services
                    .mailer
                    .send_credentials(&customer.legal_email, &postmaster, &password, "postmaster")
                    .await;
                if let Err(reason) = sent {
                    let _ = mailbox::Entity::delete_many()
                        .filter(mailbox::Column::DomainId.eq(domain_id))
                        .exec(db)
                        .await;
                    let _ = domain::Entity::delete_by_id(domain_id).exec(db).await;
                    undo_engine().await;
                    return Err(ServiceError::invalid(
                        "customer",
                        Text::new(
                            format!(
                                "The credentials could not be e-mailed to {}: {reason}",
                                customer.legal_email
                            ),
                            format!(
                                "Non è stato possibile inviare le credenziali a {}: {reason}",
                                customer.legal_email
                            ),
                        ),
                    ));
                }
                None
            }
        };
        clear_intents().await;
        services
            .audit(
                &self.caller,
                AuditEntry {
                    action: "domain.register",
                    domain: Some(&name),
                    target: &name,
                    before: None,
                    // The customer, and where the postmaster's credentials went.
                    after: Some(format!(
                        "{} → {}",
                        customer.company_name,
                        match handover {
                            Handover::Email => customer.legal_email.as_str(),
                            Handover::Return => "console",
                        }
                    )),
                },
            )
            .await;
        services.spawn_rsa_dkim(name.clone());
        tracing::info!(domain = %name, customer = %customer.company_name, "domain registered");
        Ok(Registered {
            postmaster,
            password: returned,
            sent_to: customer.legal_email,
        })
    }
}

impl Services {
    /// Generates a domain's RSA DKIM key on a blocking thread (it takes a while) and logs the
    /// outcome; the domain signs with Ed25519 until then, and a start-up pass makes any key
    /// that is still missing.
    pub(crate) fn spawn_rsa_dkim(&self, domain: String) {
        let engine = self.engine.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            match handle.block_on(engine.ensure_dkim_key(&domain, DkimKind::Rsa)) {
                Ok(()) => tracing::info!(%domain, "RSA DKIM key ready"),
                Err(err) => tracing::error!(%domain, %err, "RSA DKIM key not created"),
            }
        });
    }

    /// Makes the DKIM keys any domain is missing (a key whose generation was interrupted).
    pub async fn ensure_dkim_keys(&self) -> Result<(), ServiceError> {
        for d in domain::Entity::find().all(&self.db).await? {
            self.engine
                .ensure_dkim_key(&d.name, DkimKind::Ed25519)
                .await?;
            self.spawn_rsa_dkim(d.name);
        }
        Ok(())
    }
}

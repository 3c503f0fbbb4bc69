// SPDX-License-Identifier: AGPL-3.0-only
//! Work inside one domain, for its postmaster and its manager: the overview, the mailbox list,
//! creating mailboxes within the customer's slots, and the domain's chat service.

use app::i18n::Text;
use chrono::{Duration, Utc};
use engine_glue::{GlueError, NewMailbox, Protocols};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};

use super::{
    AuditEntry, Caller, ServiceError, Services,
    chat_verifiers::Credential,
    hash_password,
    names::{self, clean_text},
    passwords, search,
};
use crate::{
    costs,
    db::{self, customer, domain, intent, mailbox, outbound, plan},
};

/// Mailboxes per page of the list.
pub const MAILBOX_PAGE: u64 = 50;

/// What may be done inside one domain. Only the services make one, for an actor allowed on
/// that domain.
pub struct DomainScope<'a> {
    pub(super) services: &'a Services,
    pub(super) domain: domain::Model,
    pub(super) caller: Caller,
    /// Whether the actor is the domain's manager (rather than its postmaster).
    pub(super) managed: bool,
}

/// A mailbox to create, as typed into the form.
pub struct MailboxInput {
    pub local_part: String,
    pub first_name: String,
    pub last_name: String,
    /// Empty: generate one.
    pub password: String,
}

/// The domain's state, as the overview shows it (seed 004, "Gestione Posta Elettronica").
pub struct DomainOverview {
    pub domain: domain::Model,
    pub service_active: bool,
    pub mailbox_type: Option<String>,
    pub created: u64,
    /// Mailboxes that may still be created; `None` when the domain has no plan.
    pub available: Option<u64>,
    pub managed: bool,
}

/// A row of the mailbox list: the panel's row and what the engine knows of the mailbox.
pub struct MailboxListRow {
    pub mailbox: mailbox::Model,
    pub used_bytes: u64,
    pub protocols: Protocols,
    pub chat: bool,
    pub two_factor: bool,
    pub external_24h: u64,
}

impl<'a> DomainScope<'a> {
    pub(super) fn new(
        services: &'a Services,
        domain: domain::Model,
        caller: Caller,
        managed: bool,
    ) -> Self {
        DomainScope {
            services,
            domain,
            caller,
            managed,
        }
    }

    /// The domain this scope acts on.
    pub fn domain(&self) -> &domain::Model {
        &self.domain
    }

    /// Whether the actor is the domain's manager (rather than its postmaster).
    pub fn is_managed(&self) -> bool {
        self.managed
    }

    /// The configured send and quota tiers.
    pub fn tiers(&self) -> ([u32; 4], [u64; 4]) {
        self.services.tiers()
    }

    /// Records an administrative action on this domain.
    pub(super) async fn audit(
        &self,
        action: &str,
        target: &str,
        before: Option<String>,
        after: Option<String>,
    ) {
        self.services
            .audit(
                &self.caller,
                AuditEntry {
                    action,
                    domain: Some(&self.domain.name),
                    target,
                    before,
                    after,
                },
            )
            .await;
    }

    /// Service state, mailbox type and mailboxes created and still available.
    pub async fn overview(&self) -> Result<DomainOverview, ServiceError> {
        let db = &self.services.db;
        let cost = match self.domain.customer_id {
            Some(id) => costs::for_customer(db, id, self.services.tiers()).await?,
            None => None,
        };
        let created = mailbox::Entity::find()
            .filter(mailbox::Column::DomainId.eq(self.domain.id))
            .filter(mailbox::Column::IsPostmaster.eq(false))
            .count(db)
            .await?;
        Ok(DomainOverview {
            service_active: self
                .services
                .engine
                .domain_exists(&self.domain.name)
                .await?,
            mailbox_type: cost.as_ref().map(|c| c.plan.mailbox_type.clone()),
            available: cost.as_ref().map(|c| c.capacity.saturating_sub(c.created)),
            created,
            domain: self.domain.clone(),
            managed: self.managed,
        })
    }

    /// One page of the domain's mailboxes (postmaster first, then by address), optionally
    /// filtered by a part of the address or name, and the number of matches. Only the page's
    /// rows are read from the engine, so a page costs the same in any size of domain.
    pub async fn list_mailboxes(
        &self,
        page: u64,
        search: &str,
    ) -> Result<(Vec<MailboxListRow>, u64), ServiceError> {
        let db = &self.services.db;
        let mut query =
            mailbox::Entity::find().filter(mailbox::Column::DomainId.eq(self.domain.id));
        if !search.trim().is_empty() {
            query = query.filter(search::condition(self.domain.id, search));
        }
        let total = query.clone().count(db).await?;
        let rows = query
            .order_by_desc(mailbox::Column::IsPostmaster)
            .order_by_asc(mailbox::Column::Address)
            .offset(super::page_offset(page, MAILBOX_PAGE))
            .limit(MAILBOX_PAGE)
            .all(db)
            .await?;
        let since = Utc::now() - Duration::hours(24);
        let addresses: Vec<String> = rows.iter().map(|m| m.address.clone()).collect();
        let sent: std::collections::HashMap<String, i64> = outbound::Entity::find()
            .select_only()
            .column(outbound::Column::Address)
            .column_as(Expr::col(outbound::Column::Id).count(), "n")
            .filter(outbound::Column::Address.is_in(addresses))
            .filter(outbound::Column::At.gte(since))
            .group_by(outbound::Column::Address)
            .into_tuple::<(String, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let engine = &self.services.engine;
        let mut out = Vec::with_capacity(rows.len());
        for mailbox in rows {
            let state = engine.mailbox_state(&mailbox.address).await?;
            let external_24h =
                u64::try_from(sent.get(&mailbox.address).copied().unwrap_or_default())
                    .unwrap_or_default();
            out.push(MailboxListRow {
                used_bytes: state.used_bytes,
                protocols: state.protocols,
                chat: state.chat,
                two_factor: state.two_factor,
                external_24h,
                mailbox,
            });
        }
        Ok((out, total))
    }

    /// Creates a mailbox within the customer's free slots. Returns the password when it was
    /// generated.
    pub async fn create_mailbox(
        &self,
        input: MailboxInput,
    ) -> Result<(String, Option<String>), ServiceError> {
        let local = names::local_part(&input.local_part)
            .map_err(|msg| ServiceError::invalid("local_part", msg))?;
        let first_name = clean_text(&input.first_name, "first_name", 100)?;
        let last_name = clean_text(&input.last_name, "last_name", 100)?;
        let (password, generated) = if input.password.is_empty() {
            (passwords::generate(), true)
        } else {
            passwords::check_policy(&input.password)
                .map_err(|msg| ServiceError::invalid("password", msg))?;
            (input.password, false)
        };
        let address = format!("{local}@{}", self.domain.name);
        let taken = ServiceError::address_taken("local_part", &address);
        let db = &self.services.db;
        let engine = &self.services.engine;
        if self.services.login_taken(&address).await? {
            return Err(taken);
        }
        let hash = hash_password(password.clone()).await?;
        let display_name = format!("{first_name} {last_name}").trim().to_string();
        let services_quota = self.services.quota_tiers[0];
        // The intent holds the slot from here until the row replaces it.
        let intent_id = self.reserve_slot(&address).await?;
        match engine
            .create_mailbox(NewMailbox {
                address: &address,
                display_name: &display_name,
                password: &hash,
                quota_bytes: services_quota,
            })
            .await
        {
            Ok(_) => {}
            Err(err) => {
                intent::clear(db, intent_id).await?;
                return Err(match err {
                    GlueError::AlreadyExists { .. } => taken,
                    err => err.into(),
                });
            }
        }
        // A new mailbox follows the domain's chat service.
        if let Err(err) = engine.set_chat(&address, self.domain.chat_enabled).await {
            self.services.undo_account(&address, intent_id).await;
            return Err(err.into());
        }
        let row = mailbox::ActiveModel {
            domain_id: Set(self.domain.id),
            local_part: Set(local),
            address: Set(address.clone()),
            first_name: Set(first_name),
            last_name: Set(last_name),
            is_postmaster: Set(false),
            must_change_password: Set(false),
            quota_bytes: Set(services_quota as i64),
            created_at: Set(Utc::now()),
            send_tier: Set(self.services.send_tiers[0] as i32),
            archive: Set(false),
            last_login_at: Set(None),
            session_key: Set(db::new_session_key()),
            ..Default::default()
        };
        // The row, its search words and the end of the intent together, or none of them.
        let written = db
            .transaction::<_, (), sea_orm::DbErr>(|txn| {
                Box::pin(async move {
                    let mailbox = row.insert(txn).await?;
                    search::index(txn, &mailbox).await?;
                    intent::clear(txn, intent_id).await
                })
            })
            .await;
        if let Err(err) = written {
            self.services.undo_account(&address, intent_id).await;
            return Err(err.into());
        }
        self.services
            .keep_chat_verifier(&address, Credential::Main, &password, &hash)
            .await;
        self.audit("mailbox.create", &address, None, Some(display_name.clone()))
            .await;
        tracing::info!(%address, "mailbox created");
        Ok((address, generated.then_some(password)))
    }

    /// Records the creation's intent, which holds one of the customer's slots. The customer
    /// row is written first, so concurrent creations for one customer queue behind each other
    /// (a row lock in PostgreSQL, the write lock in SQLite); then the mailboxes created and the
    /// creations under way are counted against what the customer may have.
    async fn reserve_slot(&self, address: &str) -> Result<i32, ServiceError> {
        let customer_id = self.domain.customer_id;
        let address = address.to_string();
        let managed = self.managed;
        self.services
            .db
            .transaction::<_, i32, ServiceError>(|txn| {
                Box::pin(async move {
                    if let Some(id) = customer_id {
                        customer::Entity::update_many()
                            .col_expr(
                                customer::Column::ExtraSlots,
                                Expr::col(customer::Column::ExtraSlots),
                            )
                            .filter(customer::Column::Id.eq(id))
                            .exec(txn)
                            .await?;
                        if let Some((customer, Some(plan))) = customer::Entity::find_by_id(id)
                            .find_also_related(plan::Entity)
                            .one(txn)
                            .await?
                        {
                            let capacity = u64::try_from(plan.included_mailboxes)
                                .unwrap_or_default()
                                + u64::try_from(customer.extra_slots).unwrap_or_default();
                            let domains: Vec<i32> = domain::Entity::find()
                                .filter(domain::Column::CustomerId.eq(id))
                                .select_only()
                                .column(domain::Column::Id)
                                .into_tuple()
                                .all(txn)
                                .await?;
                            let created = mailbox::Entity::find()
                                .filter(mailbox::Column::DomainId.is_in(domains))
                                .filter(mailbox::Column::IsPostmaster.eq(false))
                                .count(txn)
                                .await?;
                            let pending = intent::pending_creations(txn, id).await?;
                            if created + pending >= capacity {
                                return Err(no_free_slot(capacity, managed));
                            }
                        }
                    }
                    Ok(
                        intent::record(txn, intent::Kind::CreateAccount, &address, "", customer_id)
                            .await?,
                    )
                })
            })
            .await
            .map_err(|err| match err {
                sea_orm::TransactionError::Connection(err) => err.into(),
                sea_orm::TransactionError::Transaction(err) => err,
            })
    }

    /// Switches the domain's chat service on or off (ATTIVO / NON ATTIVO). Postmaster only
    /// (seed 000): a manager is refused.
    pub async fn set_domain_chat(&self, enabled: bool) -> Result<(), ServiceError> {
        if self.managed {
            return Err(ServiceError::Forbidden);
        }
        let before = self.domain.chat_enabled;
        let mut active: domain::ActiveModel = self.domain.clone().into();
        active.chat_enabled = Set(enabled);
        active.update(&self.services.db).await?;
        if !enabled {
            self.end_chat_sessions().await?;
        }
        self.audit(
            "domain.chat",
            &self.domain.name,
            Some(on_off(before)),
            Some(on_off(enabled)),
        )
        .await;
        Ok(())
    }

    /// Ends the chat sessions of every mailbox of the domain, in webmail and XMPP alike.
    async fn end_chat_sessions(&self) -> Result<(), ServiceError> {
        let addresses: Vec<String> = mailbox::Entity::find()
            .filter(mailbox::Column::DomainId.eq(self.domain.id))
            .select_only()
            .column(mailbox::Column::Address)
            .into_tuple()
            .all(&self.services.db)
            .await?;
        for address in &addresses {
            self.services.chat.chat_off(address);
        }
        Ok(())
    }

    /// The services behind this scope.
    pub fn services(&self) -> &Services {
        self.services
    }

    /// The domain's name.
    pub fn domain_name(&self) -> &str {
        &self.domain.name
    }

    /// The access log's scope for this domain.
    pub fn access_scope(&self) -> super::access_log::AccessScope {
        super::access_log::AccessScope::Domain(self.domain.name.clone())
    }

    /// Requires (or stops requiring) a second factor of every user of the domain, for the
    /// postmaster and the manager alike. Users without one are sent to enrolment at their
    /// next web sign-in.
    pub async fn set_two_factor_required(&self, required: bool) -> Result<(), ServiceError> {
        let before = self.domain.require_two_factor;
        domain::Entity::update_many()
            .col_expr(
                domain::Column::RequireTwoFactor,
                sea_orm::sea_query::Expr::value(required),
            )
            .filter(domain::Column::Id.eq(self.domain.id))
            .exec(&self.services.db)
            .await?;
        self.audit(
            "domain.two-factor.required",
            &self.domain.name,
            Some(on_off(before)),
            Some(on_off(required)),
        )
        .await;
        Ok(())
    }

    /// Switches chat on or off for every mailbox of the domain (General → Chat management).
    pub async fn set_chat_for_all(&self, enabled: bool) -> Result<u64, ServiceError> {
        let addresses: Vec<String> = mailbox::Entity::find()
            .filter(mailbox::Column::DomainId.eq(self.domain.id))
            .select_only()
            .column(mailbox::Column::Address)
            .into_tuple()
            .all(&self.services.db)
            .await?;
        for address in &addresses {
            self.services.engine.set_chat(address, enabled).await?;
            if !enabled {
                self.services.chat.chat_off(address);
            }
        }
        if enabled && self.domain.chat_enabled {
            let mailboxes = mailbox::Entity::find()
                .filter(mailbox::Column::DomainId.eq(self.domain.id))
                .all(&self.services.db)
                .await?;
            for mailbox in mailboxes {
                let name = format!("{} {}", mailbox.first_name, mailbox.last_name);
                self.services.chat.chat_on(&mailbox.address, name.trim());
            }
        }
        self.audit(
            "mailbox.chat.all",
            &self.domain.name,
            None,
            Some(format!(
                "{} for {} mailboxes",
                on_off(enabled),
                addresses.len()
            )),
        )
        .await;
        Ok(addresses.len() as u64)
    }
}

/// The refusal of a creation beyond the customer's slots, with the way out for this actor.
fn no_free_slot(capacity: u64, managed: bool) -> ServiceError {
    let (how_en, how_it) = if managed {
        (
            "Buy more mailboxes from the domain overview.",
            "Acquista altre caselle dalla panoramica del dominio.",
        )
    } else {
        (
            "Ask the domain's manager or your provider to buy more mailboxes.",
            "Chiedi al manager del dominio o al tuo fornitore di acquistare altre caselle.",
        )
    };
    ServiceError::conflict(
        "slots",
        Text::new(
            format!("All {capacity} mailboxes of the plan are in use. {how_en}"),
            format!("Tutte le {capacity} caselle del piano sono in uso. {how_it}"),
        ),
    )
}

pub(super) fn on_off(on: bool) -> String {
    if on { "on" } else { "off" }.to_string()
}

// SPDX-License-Identifier: AGPL-3.0-only
//! Changing one mailbox of a domain: personal data, password, quota tier, protocols, chat,
//! aliases, and deleting it. A mailbox of another domain is "not found".

use app::{i18n::Text, ports::Address};
use chrono::Utc;
use engine_glue::{GlueError, MailboxChanges, MailboxState, Protocols};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use super::{
    DomainScope, ServiceError,
    chat_verifiers::Credential,
    hash_password,
    mailboxes::on_off,
    names::{self, clean_text},
    passwords, search,
};
use crate::db::{self, alias, intent, mailbox, outbound};

/// A mailbox with everything its page shows.
pub struct MailboxDetail {
    pub mailbox: mailbox::Model,
    pub state: MailboxState,
    pub aliases: Vec<alias::Model>,
    /// Messages sent to external recipients in the last 24 hours (messages, not recipients:
    /// the daily limit counts recipients).
    pub external_24h: u64,
}

/// Most aliases one mailbox may have.
const MAX_ALIASES: u64 = 50;

impl DomainScope<'_> {
    /// The mailbox with this address, if it is in this domain.
    pub(crate) async fn find_mailbox(
        &self,
        address: &Address,
    ) -> Result<mailbox::Model, ServiceError> {
        mailbox::Entity::find()
            .filter(mailbox::Column::Address.eq(address.as_str()))
            .filter(mailbox::Column::DomainId.eq(self.domain.id))
            .one(&self.services.db)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// A mailbox with its engine state and aliases.
    pub async fn mailbox_detail(&self, address: &Address) -> Result<MailboxDetail, ServiceError> {
        let mailbox = self.find_mailbox(address).await?;
        let state = self.services.engine.mailbox_state(&mailbox.address).await?;
        let aliases = alias::Entity::find()
            .filter(alias::Column::MailboxId.eq(mailbox.id))
            .order_by_asc(alias::Column::Address)
            .all(&self.services.db)
            .await?;
        let since = chrono::Utc::now() - chrono::Duration::hours(24);
        let external_24h = outbound::Entity::find()
            .filter(outbound::Column::Address.eq(mailbox.address.clone()))
            .filter(outbound::Column::At.gte(since))
            .count(&self.services.db)
            .await?;
        Ok(MailboxDetail {
            mailbox,
            state,
            aliases,
            external_24h,
        })
    }

    /// Changes the first and last name (seed 004: "Modifica utente di una casella").
    pub async fn update_personal(
        &self,
        address: &Address,
        first_name: &str,
        last_name: &str,
    ) -> Result<(), ServiceError> {
        let mailbox = self.find_mailbox(address).await?;
        let first = clean_text(first_name, "first_name", 100)?;
        let last = clean_text(last_name, "last_name", 100)?;
        let before = format!("{} {}", mailbox.first_name, mailbox.last_name)
            .trim()
            .to_string();
        let after = format!("{first} {last}").trim().to_string();
        self.services
            .engine
            .update_mailbox(
                &mailbox.address,
                MailboxChanges {
                    display_name: Some(after.clone()),
                    ..Default::default()
                },
            )
            .await?;
        let mut active: mailbox::ActiveModel = mailbox.clone().into();
        active.first_name = Set(first);
        active.last_name = Set(last);
        self.services
            .db
            .transaction::<_, (), sea_orm::DbErr>(|txn| {
                Box::pin(async move {
                    let updated = active.update(txn).await?;
                    search::index(txn, &updated).await
                })
            })
            .await?;
        self.audit(
            "mailbox.personal",
            &mailbox.address,
            Some(before),
            Some(after),
        )
        .await;
        Ok(())
    }

    /// Sets a new password, chosen (checked against the policy, typed twice) or generated.
    /// Returns the generated one.
    pub async fn reset_password(
        &self,
        address: &Address,
        password: &str,
        repeat: &str,
    ) -> Result<Option<String>, ServiceError> {
        let mailbox = self.find_mailbox(address).await?;
        if mailbox.address == self.caller.actor.login() {
            // One's own password changes only with the current one (the account page).
            return Err(ServiceError::invalid(
                "password",
                Text::new(
                    "Change your own password from your account, with the current one.",
                    "Cambia la tua password dal tuo account, inserendo quella attuale.",
                ),
            ));
        }
        let (password, generated) = if password.is_empty() {
            (passwords::generate(), true)
        } else {
            passwords::check_policy(password)
                .map_err(|msg| ServiceError::invalid("password", msg))?;
            if password != repeat {
                return Err(ServiceError::invalid(
                    "repeat",
                    Text::new(
                        "The two passwords are not the same.",
                        "Le due password non coincidono.",
                    ),
                ));
            }
            (password.to_string(), false)
        };
        let hash = hash_password(password.clone()).await?;
        self.services
            .engine
            .update_mailbox(
                &mailbox.address,
                MailboxChanges {
                    password: Some(hash.clone()),
                    ..Default::default()
                },
            )
            .await?;
        self.services
            .keep_chat_verifier(&mailbox.address, Credential::Main, &password, &hash)
            .await;
        // The mailbox's web sessions end with its old password.
        let mut active: mailbox::ActiveModel = mailbox.clone().into();
        active.session_key = Set(db::new_session_key());
        active.update(&self.services.db).await?;
        self.audit(
            "mailbox.password",
            &mailbox.address,
            None,
            Some(if generated { "generated" } else { "set" }.to_string()),
        )
        .await;
        Ok(generated.then_some(password))
    }

    /// Sets the quota tier (8 GB standard, 25, 50 or 100 GB), given in bytes.
    pub async fn set_quota(&self, address: &Address, bytes: u64) -> Result<(), ServiceError> {
        if !self.services.quota_tiers.contains(&bytes) {
            return Err(ServiceError::invalid(
                "quota",
                Text::new(
                    "Choose one of the quota tiers.",
                    "Scegli uno dei tagli di spazio.",
                ),
            ));
        }
        let mailbox = self.find_mailbox(address).await?;
        self.services
            .engine
            .update_mailbox(
                &mailbox.address,
                MailboxChanges {
                    quota_bytes: Some(bytes),
                    ..Default::default()
                },
            )
            .await?;
        let before = mailbox.quota_bytes;
        let mut active: mailbox::ActiveModel = mailbox.clone().into();
        active.quota_bytes = Set(bytes as i64);
        active.update(&self.services.db).await?;
        self.audit(
            "mailbox.quota",
            &mailbox.address,
            Some(app::format::bytes(before.max(0) as u64)),
            Some(app::format::bytes(bytes)),
        )
        .await;
        Ok(())
    }

    /// Switches IMAP, POP3 and SMTP on or off; webmail keeps working either way.
    pub async fn set_protocols(
        &self,
        address: &Address,
        protocols: Protocols,
    ) -> Result<(), ServiceError> {
        let mailbox = self.find_mailbox(address).await?;
        let engine = &self.services.engine;
        let before = engine.mailbox_state(&mailbox.address).await?.protocols;
        engine.set_protocols(&mailbox.address, protocols).await?;
        self.audit(
            "mailbox.protocols",
            &mailbox.address,
            Some(protocols_text(before)),
            Some(protocols_text(protocols)),
        )
        .await;
        Ok(())
    }

    /// Turns a mailbox's two-factor sign-in off (a lost phone): the engine forgets the
    /// secret, the recovery codes go, and every web session of the mailbox ends. The user
    /// can enrol again at once (and must, where the domain requires it).
    pub async fn reset_two_factor(&self, address: &Address) -> Result<(), ServiceError> {
        let mailbox = self.find_mailbox(address).await?;
        let engine = &self.services.engine;
        if engine
            .secondary_secrets(&mailbox.address)
            .await?
            .totp
            .is_none()
        {
            return Err(ServiceError::conflict(
                "address",
                Text::new(
                    "Two-factor authentication is not on for this mailbox.",
                    "L'autenticazione a due fattori non è attiva per questa casella.",
                ),
            ));
        }
        engine.remove_totp(&mailbox.address).await?;
        self.services
            .forget_second_factor_rows(&mailbox.address)
            .await;
        mailbox::Entity::update_many()
            .col_expr(
                mailbox::Column::SessionKey,
                sea_orm::sea_query::Expr::value(db::new_session_key()),
            )
            .filter(mailbox::Column::Id.eq(mailbox.id))
            .exec(&self.services.db)
            .await?;
        self.audit(
            "mailbox.two-factor.reset",
            &mailbox.address,
            Some(on_off(true)),
            Some(on_off(false)),
        )
        .await;
        Ok(())
    }

    /// Switches chat on or off for one mailbox.
    pub async fn set_chat(&self, address: &Address, enabled: bool) -> Result<(), ServiceError> {
        let mailbox = self.find_mailbox(address).await?;
        let engine = &self.services.engine;
        let before = engine.chat_enabled(&mailbox.address).await?;
        engine.set_chat(&mailbox.address, enabled).await?;
        if enabled {
            if self.domain.chat_enabled {
                let name = format!("{} {}", mailbox.first_name, mailbox.last_name);
                self.services.chat.chat_on(&mailbox.address, name.trim());
            }
        } else {
            self.services.chat.chat_off(&mailbox.address);
        }
        self.audit(
            "mailbox.chat",
            &mailbox.address,
            Some(on_off(before)),
            Some(on_off(enabled)),
        )
        .await;
        Ok(())
    }

    /// Adds an alias in this domain that delivers to the mailbox.
    pub async fn add_alias(
        &self,
        address: &Address,
        local_part: &str,
    ) -> Result<String, ServiceError> {
        let mailbox = self.find_mailbox(address).await?;
        let local =
            names::local_part(local_part).map_err(|msg| ServiceError::invalid("alias", msg))?;
        let alias_address = format!("{local}@{}", self.domain.name);
        let taken = ServiceError::address_taken("alias", &alias_address);
        let db = &self.services.db;
        if self.services.login_taken(&alias_address).await? {
            return Err(taken);
        }
        let count = alias::Entity::find()
            .filter(alias::Column::MailboxId.eq(mailbox.id))
            .count(db)
            .await?;
        if count >= MAX_ALIASES {
            return Err(ServiceError::invalid(
                "alias",
                Text::new(
                    format!("A mailbox has at most {MAX_ALIASES} aliases."),
                    format!("Una casella ha al massimo {MAX_ALIASES} alias."),
                ),
            ));
        }
        let engine = &self.services.engine;
        let intent_id = intent::record(
            db,
            intent::Kind::CreateAlias,
            &alias_address,
            &mailbox.address,
            None,
        )
        .await?;
        if let Err(err) = engine.add_alias(&mailbox.address, &alias_address).await {
            intent::clear(db, intent_id).await?;
            return Err(match err {
                GlueError::AlreadyExists { .. } => taken,
                err => err.into(),
            });
        }
        let row = alias::ActiveModel {
            mailbox_id: Set(mailbox.id),
            address: Set(alias_address.clone()),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        let written = db
            .transaction::<_, (), sea_orm::DbErr>(|txn| {
                Box::pin(async move {
                    row.insert(txn).await?;
                    intent::clear(txn, intent_id).await
                })
            })
            .await;
        if let Err(err) = written {
            // Undone now if the engine allows; otherwise the intent has the next start do it.
            if engine
                .remove_alias(&mailbox.address, &alias_address)
                .await
                .is_ok()
            {
                let _ = intent::clear(db, intent_id).await;
            }
            return Err(err.into());
        }
        self.audit(
            "mailbox.alias.add",
            &mailbox.address,
            None,
            Some(alias_address.clone()),
        )
        .await;
        Ok(alias_address)
    }

    /// Removes one of the mailbox's aliases.
    pub async fn remove_alias(
        &self,
        address: &Address,
        alias_address: &str,
    ) -> Result<(), ServiceError> {
        let mailbox = self.find_mailbox(address).await?;
        let db = &self.services.db;
        let row = alias::Entity::find()
            .filter(alias::Column::MailboxId.eq(mailbox.id))
            .filter(alias::Column::Address.eq(alias_address.trim().to_lowercase()))
            .one(db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        // Intent, engine, then the row with the intent: an interruption leaves the intent,
        // and the next start completes the removal.
        let intent_id = intent::record(
            db,
            intent::Kind::RemoveAlias,
            &row.address,
            &mailbox.address,
            None,
        )
        .await?;
        if let Err(err) = self
            .services
            .engine
            .remove_alias(&mailbox.address, &row.address)
            .await
        {
            intent::clear(db, intent_id).await?;
            return Err(err.into());
        }
        let row_id = row.id;
        db.transaction::<_, (), sea_orm::DbErr>(|txn| {
            Box::pin(async move {
                alias::Entity::delete_by_id(row_id).exec(txn).await?;
                intent::clear(txn, intent_id).await
            })
        })
        .await?;
        self.audit(
            "mailbox.alias.remove",
            &mailbox.address,
            Some(row.address),
            None,
        )
        .await;
        Ok(())
    }

    /// Deletes a mailbox and destroys its mail. `confirm` must repeat the address; the
    /// postmaster cannot be deleted.
    pub async fn delete_mailbox(
        &self,
        address: &Address,
        confirm: &str,
    ) -> Result<(), ServiceError> {
        let mailbox = self.find_mailbox(address).await?;
        if mailbox.is_postmaster {
            return Err(ServiceError::invalid(
                "confirm",
                Text::new(
                    "The postmaster cannot be deleted: every domain has one.",
                    "Il postmaster non si può eliminare: ogni dominio ne ha uno.",
                ),
            ));
        }
        if confirm.trim().to_lowercase() != mailbox.address {
            return Err(ServiceError::invalid(
                "confirm",
                Text::new(
                    format!("Type {} to confirm.", mailbox.address),
                    format!("Scrivi {} per confermare.", mailbox.address),
                ),
            ));
        }
        // Intent, then the engine account disabled (it can neither sign in nor receive from
        // here on), then the panel rows, then the engine account with its mail. Whatever
        // interrupts this, the intent makes the start-up reconcile finish the deletion, and no
        // working account is ever left without its panel row.
        let db = &self.services.db;
        let engine = &self.services.engine;
        let intent_id =
            intent::record(db, intent::Kind::DeleteAccount, &mailbox.address, "", None).await?;
        if let Err(err) = engine.disable_account(&mailbox.address).await {
            intent::clear(db, intent_id).await?;
            return Err(err.into());
        }
        // Its chat sessions end with the account.
        self.services.chat.chat_off(&mailbox.address);
        mailbox::delete_rows(db, &mailbox.address).await?;
        if let Err(err) = self.services.chat.unblock_all(&mailbox.address).await {
            tracing::warn!(%err, "a deleted mailbox's block list stays in memory until restart");
        }
        match engine.delete_mailbox(&mailbox.address).await {
            Ok(()) | Err(GlueError::NotFound { .. }) => intent::clear(db, intent_id).await?,
            Err(err) => {
                // Disabled and gone from the panel; the next start removes it and its mail.
                tracing::warn!(address = %mailbox.address, %err, "mailbox disabled but not yet removed from the engine");
            }
        }
        self.audit(
            "mailbox.delete",
            &mailbox.address,
            Some(
                format!("{} {}", mailbox.first_name, mailbox.last_name)
                    .trim()
                    .to_string(),
            ),
            None,
        )
        .await;
        tracing::info!(address = %mailbox.address, "mailbox deleted");
        Ok(())
    }
}

pub(super) fn protocols_text(p: Protocols) -> String {
    [("IMAP", p.imap), ("POP3", p.pop3), ("SMTP", p.smtp)]
        .iter()
        .map(|(name, on)| format!("{name} {}", if *on { "✓" } else { "✗" }))
        .collect::<Vec<_>>()
        .join(" · ")
}

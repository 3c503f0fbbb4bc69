// SPDX-License-Identifier: AGPL-3.0-only
//! What only a domain's manager may do (seed 002): the daily limit of messages to external
//! recipients, the webmail's branding, and buying mailbox slots.

use app::{
    i18n::Text,
    ports::{Address, DomainName},
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{DomainScope, ServiceError, Services};
use crate::db::{customer, domain};

/// The largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;
/// Most slots bought at once.
const MAX_SLOTS_AT_ONCE: i64 = 1000;

/// One of a manager's domains. Only [`super::Services::managed_domain`] makes one.
pub struct ManagedDomain<'a> {
    scope: DomainScope<'a>,
}

/// A logo as uploaded.
pub struct Logo {
    pub bytes: Vec<u8>,
    pub media_type: String,
}

impl<'a> ManagedDomain<'a> {
    pub(super) fn new(scope: DomainScope<'a>) -> Result<Self, ServiceError> {
        if scope.managed {
            Ok(ManagedDomain { scope })
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// Everything a postmaster may do on this domain.
    pub fn scope(&self) -> &DomainScope<'a> {
        &self.scope
    }

    /// Sets a mailbox's daily limit of recipients outside the domain (seed 002: 250 by
    /// default, 1,000, 2,000 or 5,000). The engine applies it from the next recipient on.
    pub async fn set_send_tier(&self, address: &Address, tier: u32) -> Result<(), ServiceError> {
        let services = self.scope.services;
        if !services.send_tiers.contains(&tier) {
            let list = services
                .send_tiers
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ServiceError::invalid(
                "send_tier",
                Text::new(
                    format!("Choose one of {list}."),
                    format!("Scegli uno tra {list}."),
                ),
            ));
        }
        let mailbox = self.scope.find_mailbox(address).await?;
        services
            .engine
            .set_send_tier(&mailbox.address, tier)
            .await?;
        let before = mailbox.send_tier;
        let mut active: crate::db::mailbox::ActiveModel = mailbox.clone().into();
        active.send_tier = Set(tier as i32);
        active.update(&services.db).await?;
        self.scope
            .audit(
                "mailbox.send_tier",
                &mailbox.address,
                Some(before.to_string()),
                Some(tier.to_string()),
            )
            .await;
        Ok(())
    }

    /// Sets the company name shown on the domain's webmail; an empty name removes it.
    pub async fn set_brand_name(&self, company_name: &str) -> Result<(), ServiceError> {
        let name = super::names::clean_text(company_name, "company_name", 100)?;
        let services = self.scope.services;
        let current = domain::Entity::find_by_id(self.scope.domain.id)
            .one(&services.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let before = current.brand_name.clone().unwrap_or_default();
        let mut active: domain::ActiveModel = current.into();
        active.brand_name = Set((!name.is_empty()).then(|| name.clone()));
        active.update(&services.db).await?;
        self.scope
            .audit(
                "domain.branding",
                &self.scope.domain.name,
                Some(before),
                Some(name),
            )
            .await;
        Ok(())
    }

    /// Sets the logo shown on the domain's webmail, or removes it with `None`.
    pub async fn set_logo(&self, logo: Option<Logo>) -> Result<(), ServiceError> {
        if let Some(logo) = &logo {
            if logo.bytes.is_empty() {
                return Err(ServiceError::invalid(
                    "logo",
                    Text::new("Choose an image file.", "Scegli un file immagine."),
                ));
            }
            if logo.bytes.len() > MAX_LOGO_BYTES {
                return Err(ServiceError::invalid(
                    "logo",
                    Text::new(
                        format!("The logo may be at most {} KB.", MAX_LOGO_BYTES / 1024),
                        format!(
                            "Il logo può essere al massimo di {} KB.",
                            MAX_LOGO_BYTES / 1024
                        ),
                    ),
                ));
            }
            if !logo_type_matches(&logo.bytes, &logo.media_type) {
                return Err(ServiceError::invalid(
                    "logo",
                    Text::new(
                        "Upload a PNG or JPEG image.",
                        "Carica un'immagine PNG o JPEG.",
                    ),
                ));
            }
        }
        let services = self.scope.services;
        let current = domain::Entity::find_by_id(self.scope.domain.id)
            .one(&services.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let before = current
            .brand_logo
            .as_ref()
            .map(|b| app::format::bytes(b.len() as u64));
        let after = logo.as_ref().map(|l| {
            format!(
                "{}, {}",
                l.media_type,
                app::format::bytes(l.bytes.len() as u64)
            )
        });
        let mut active: domain::ActiveModel = current.into();
        match logo {
            Some(logo) => {
                active.brand_logo = Set(Some(logo.bytes));
                active.brand_logo_type = Set(Some(logo.media_type));
            }
            None => {
                active.brand_logo = Set(None);
                active.brand_logo_type = Set(None);
            }
        }
        active.update(&services.db).await?;
        self.scope
            .audit("domain.logo", &self.scope.domain.name, before, after)
            .await;
        Ok(())
    }

    /// Buys mailbox slots for the domain's customer; returns the slots bought so far.
    pub async fn buy_slots(&self, count: i64) -> Result<i32, ServiceError> {
        if !(1..=MAX_SLOTS_AT_ONCE).contains(&count) {
            return Err(ServiceError::invalid(
                "count",
                Text::new(
                    format!("Buy between 1 and {MAX_SLOTS_AT_ONCE} mailboxes at once."),
                    format!("Acquista da 1 a {MAX_SLOTS_AT_ONCE} caselle per volta."),
                ),
            ));
        }
        let services = self.scope.services;
        let customer_id = self.scope.domain.customer_id.ok_or_else(|| {
            ServiceError::invalid(
                "count",
                Text::new(
                    "This domain has no plan.",
                    "Questo dominio non ha un piano.",
                ),
            )
        })?;
        let customer = customer::Entity::find_by_id(customer_id)
            .one(&services.db)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let before = customer.extra_slots;
        let after = before.saturating_add(count as i32);
        let mut active: customer::ActiveModel = customer.into();
        active.extra_slots = Set(after);
        active.update(&services.db).await?;
        self.scope
            .audit(
                "customer.slots",
                &self.scope.domain.name,
                Some(before.to_string()),
                Some(after.to_string()),
            )
            .await;
        Ok(after)
    }
}

/// Whether the bytes are the image type they claim to be. SVG is refused: it can carry
/// scripts, and the logo is served from the panel's own origin.
fn logo_type_matches(bytes: &[u8], media_type: &str) -> bool {
    match media_type {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        _ => false,
    }
}

impl Services {
    /// A domain as its public sign-in page shows it (company name, logo); anyone may ask.
    pub async fn public_domain(&self, name: &DomainName) -> Result<domain::Model, ServiceError> {
        domain::Entity::find()
            .filter(domain::Column::Name.eq(name.as_str()))
            .one(&self.db)
            .await?
            .ok_or(ServiceError::NotFound)
    }
}

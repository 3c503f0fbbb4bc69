// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's settings: the name and signature of each sender address, how the list reads
//! (page size, conversations), and the senders whose remote images are always shown. And the
//! address book the compose form suggests from: the domain's mailboxes and aliases, and the
//! people the mailbox wrote to lately.

use app::i18n::Text;
use chrono::Utc;
use engine_glue::Address;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::OnConflict,
};

use super::{
    ServiceError,
    compose::plausible_address,
    webmail::{MAIL_PAGE, MailScope, not_found},
};
use crate::db::{alias, image_sender, mail_preference, mailbox, sender_identity};

/// The page sizes the list offers.
pub const PAGE_SIZES: [u64; 4] = [25, 50, 100, 200];
/// Senders whose images are always shown, at most, per mailbox.
pub const MAX_IMAGE_SENDERS: usize = 500;
/// Suggestions the compose form gets at most for what was typed.
pub const MAX_SUGGESTIONS: usize = 8;
/// Sent messages the suggestions learn recent correspondents from.
const RECENT_SENT: u64 = 300;
/// The longest sender name, in characters.
const MAX_SENDER_NAME: usize = 200;
/// The longest signature, in characters.
pub const MAX_SIGNATURE: usize = 4000;

/// How the mailbox signs mail from one of its addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The sender address, lowercase.
    pub email: String,
    /// The name recipients see; empty for the mailbox's own name.
    pub name: String,
    /// The plain-text signature, without the `-- ` line above it.
    pub signature: String,
}

/// How the list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub page_size: u64,
    pub conversations: bool,
}

impl Default for Reading {
    fn default() -> Self {
        Reading {
            page_size: MAIL_PAGE,
            conversations: false,
        }
    }
}

impl MailScope {
    /// One identity per sender address, the mailbox's own first.
    pub async fn identities(&self) -> Result<Vec<Identity>, ServiceError> {
        let kept = sender_identity::Entity::find()
            .filter(sender_identity::Column::MailboxId.eq(self.mailbox().id))
            .all(self.db())
            .await?;
        Ok(self
            .access()
            .addresses()
            .into_iter()
            .map(|email| match kept.iter().find(|k| k.address == email) {
                Some(k) => Identity {
                    email,
                    name: k.name.clone(),
                    signature: k.signature.clone(),
                },
                None => Identity {
                    email,
                    ..Identity::default()
                },
            })
            .collect())
    }

    /// The identity of a sender address, if it is one of the mailbox's.
    pub async fn identity_of(&self, address: &str) -> Result<Option<Identity>, ServiceError> {
        Ok(self
            .identities()
            .await?
            .into_iter()
            .find(|i| i.email.eq_ignore_ascii_case(address.trim())))
    }

    /// Changes the name recipients see and the signature of one sender address; `NotFound`
    /// for an address the mailbox does not send from. The name is one line; the signature
    /// keeps its lines.
    pub async fn change_identity(
        &self,
        address: &str,
        name: &str,
        signature: &str,
    ) -> Result<(), ServiceError> {
        let address = address.trim().to_lowercase();
        if !self.access().addresses().contains(&address) {
            return Err(ServiceError::NotFound);
        }
        let name = name.trim();
        if name.chars().any(char::is_control) || name.chars().count() > MAX_SENDER_NAME {
            return Err(ServiceError::invalid(
                "name",
                Text::new(
                    format!("Enter a name of at most {MAX_SENDER_NAME} characters on one line."),
                    format!(
                        "Inserisci un nome di al massimo {MAX_SENDER_NAME} caratteri su una riga."
                    ),
                ),
            ));
        }
        let signature = signature.replace("\r\n", "\n");
        let signature = signature.trim_end();
        if signature.chars().count() > MAX_SIGNATURE
            || signature
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(ServiceError::invalid(
                "signature",
                Text::new(
                    format!("The signature is too long ({MAX_SIGNATURE} characters at most)."),
                    format!("La firma è troppo lunga (al massimo {MAX_SIGNATURE} caratteri)."),
                ),
            ));
        }
        let row = sender_identity::ActiveModel {
            mailbox_id: Set(self.mailbox().id),
            address: Set(address),
            name: Set(name.to_string()),
            signature: Set(signature.to_string()),
            ..Default::default()
        };
        sender_identity::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    sender_identity::Column::MailboxId,
                    sender_identity::Column::Address,
                ])
                .update_columns([
                    sender_identity::Column::Name,
                    sender_identity::Column::Signature,
                ])
                .to_owned(),
            )
            .exec_without_returning(self.db())
            .await?;
        Ok(())
    }

    /// How the list reads; the defaults until the user changes them.
    pub async fn reading(&self) -> Result<Reading, ServiceError> {
        Ok(mail_preference::Entity::find_by_id(self.mailbox().id)
            .one(self.db())
            .await?
            .map(|row| Reading {
                page_size: u64::try_from(row.page_size)
                    .ok()
                    .filter(|n| PAGE_SIZES.contains(n))
                    .unwrap_or(MAIL_PAGE),
                conversations: row.conversations,
            })
            .unwrap_or_default())
    }

    /// Changes how the list reads; a page size not offered is refused on its field.
    pub async fn set_reading(&self, reading: Reading) -> Result<(), ServiceError> {
        if !PAGE_SIZES.contains(&reading.page_size) {
            return Err(ServiceError::invalid(
                "page_size",
                Text::new(
                    "Choose one of the page sizes offered.",
                    "Scegli una delle dimensioni di pagina proposte.",
                ),
            ));
        }
        let row = mail_preference::ActiveModel {
            mailbox_id: Set(self.mailbox().id),
            page_size: Set(i32::try_from(reading.page_size).unwrap_or(50)),
            conversations: Set(reading.conversations),
        };
        mail_preference::Entity::insert(row)
            .on_conflict(
                OnConflict::column(mail_preference::Column::MailboxId)
                    .update_columns([
                        mail_preference::Column::PageSize,
                        mail_preference::Column::Conversations,
                    ])
                    .to_owned(),
            )
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// The senders whose remote images are always shown, by address.
    pub async fn image_senders(&self) -> Result<Vec<String>, ServiceError> {
        Ok(image_sender::Entity::find()
            .filter(image_sender::Column::MailboxId.eq(self.mailbox().id))
            .order_by_asc(image_sender::Column::Address)
            .all(self.db())
            .await?
            .into_iter()
            .map(|row| row.address)
            .collect())
    }

    /// Whether the remote images of mail from `address` are always shown.
    pub async fn shows_images_from(&self, address: &str) -> Result<bool, ServiceError> {
        let address = address.trim().to_lowercase();
        if address.is_empty() {
            return Ok(false);
        }
        Ok(image_sender::Entity::find()
            .filter(image_sender::Column::MailboxId.eq(self.mailbox().id))
            .filter(image_sender::Column::Address.eq(address))
            .one(self.db())
            .await?
            .is_some())
    }

    /// Always shows the remote images of mail from `address` (through the image proxy).
    pub async fn trust_images_from(&self, address: &str) -> Result<(), ServiceError> {
        let address = address.trim().to_lowercase();
        if !plausible_address(&address) {
            return Err(ServiceError::invalid(
                "address",
                Text::new(
                    "This is not an e-mail address.",
                    "Questo non è un indirizzo e-mail.",
                ),
            ));
        }
        if self.image_senders().await?.len() >= MAX_IMAGE_SENDERS {
            return Err(ServiceError::invalid(
                "address",
                Text::new(
                    format!(
                        "Images are already always shown for {MAX_IMAGE_SENDERS} senders: remove some in the settings first."
                    ),
                    format!(
                        "Le immagini sono già sempre mostrate per {MAX_IMAGE_SENDERS} mittenti: rimuovine qualcuno nelle impostazioni."
                    ),
                ),
            ));
        }
        let row = image_sender::ActiveModel {
            mailbox_id: Set(self.mailbox().id),
            address: Set(address),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        image_sender::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    image_sender::Column::MailboxId,
                    image_sender::Column::Address,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(self.db())
            .await?;
        Ok(())
    }

    /// Stops always showing the remote images of mail from `address`.
    pub async fn forget_images_from(&self, address: &str) -> Result<(), ServiceError> {
        let gone = image_sender::Entity::delete_many()
            .filter(image_sender::Column::MailboxId.eq(self.mailbox().id))
            .filter(image_sender::Column::Address.eq(address.trim().to_lowercase()))
            .exec(self.db())
            .await?;
        if gone.rows_affected == 0 {
            return Err(ServiceError::NotFound);
        }
        Ok(())
    }

    /// Addresses to suggest for what was typed (a part of a name or an address): people the
    /// mailbox wrote to lately, most often first, then the mailboxes and aliases of its own
    /// domain; as `Name <address>` or the bare address.
    pub async fn suggestions(&self, typed: &str) -> Result<Vec<String>, ServiceError> {
        let typed = typed.trim().to_lowercase();
        if typed.is_empty() || typed.len() > 200 {
            return Ok(Vec::new());
        }
        let fits = |name: Option<&str>, email: &str| {
            email.contains(&typed)
                || name.is_some_and(|n| {
                    let n = n.to_lowercase();
                    n.contains(&typed)
                })
        };
        // The domain's address book: its mailboxes with their names, then its aliases.
        let domain_id = self.mailbox().domain_id;
        let people = mailbox::Entity::find()
            .filter(mailbox::Column::DomainId.eq(domain_id))
            .order_by_asc(mailbox::Column::Address)
            .limit(5000)
            .all(self.db())
            .await?;
        let ids: Vec<i32> = people.iter().map(|m| m.id).collect();
        let aliases = alias::Entity::find()
            .filter(alias::Column::MailboxId.is_in(ids))
            .order_by_asc(alias::Column::Address)
            .all(self.db())
            .await?;
        let mut book: Vec<Address> = people
            .into_iter()
            .map(|m| {
                let name = format!("{} {}", m.first_name, m.last_name)
                    .trim()
                    .to_string();
                Address {
                    name: (!name.is_empty()).then_some(name),
                    email: m.address,
                }
            })
            .collect();
        book.extend(aliases.into_iter().map(|a| Address {
            name: None,
            email: a.address,
        }));
        // People written to lately come first, named as the directory names them when the
        // message did not.
        let mut candidates = self
            .access()
            .correspondents(RECENT_SENT)
            .await
            .map_err(not_found)?;
        for c in &mut candidates {
            if c.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
                c.name = book
                    .iter()
                    .find(|b| b.email == c.email)
                    .and_then(|b| b.name.clone());
            }
        }
        candidates.extend(book);
        let own = self.access().addresses();
        let mut out: Vec<Address> = Vec::new();
        for a in candidates {
            if out.len() == MAX_SUGGESTIONS {
                break;
            }
            if fits(a.name.as_deref(), &a.email)
                && !own.contains(&a.email)
                && !out.iter().any(|o| o.email == a.email)
            {
                out.push(a);
            }
        }
        Ok(out.iter().map(typed_address).collect())
    }
}

/// `Name <address>` as one types it in a recipient field (a name with a comma, a quote or
/// angle brackets is quoted), or the bare address.
fn typed_address(a: &Address) -> String {
    match a.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        None => a.email.clone(),
        Some(name) if name.contains([',', ';', '<', '>', '"', '@']) => {
            format!("\"{}\" <{}>", name.replace(['"', '\\'], ""), a.email)
        }
        Some(name) => format!("{name} <{}>", a.email),
    }
}

#[cfg(test)]
mod tests {
    use engine_glue::Address;

    use super::typed_address;

    #[test]
    fn suggestions_read_as_typed_recipients() {
        let a = |name: Option<&str>, email: &str| Address {
            name: name.map(str::to_string),
            email: email.into(),
        };
        assert_eq!(typed_address(&a(None, "x@a.test")), "x@a.test");
        assert_eq!(typed_address(&a(Some("  "), "x@a.test")), "x@a.test");
        assert_eq!(
            typed_address(&a(Some("Ada Rossi"), "ada@a.test")),
            "Ada Rossi <ada@a.test>"
        );
        assert_eq!(
            typed_address(&a(Some("Rossi, Ada \"R\""), "ada@a.test")),
            "\"Rossi, Ada R\" <ada@a.test>"
        );
    }
}

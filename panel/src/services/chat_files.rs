// SPDX-License-Identifier: AGPL-3.0-only
//! Files shared in chat (XEP-0363): a client asks for a slot (name, size, type), puts the
//! file at the slot's address, and shares the address. The file becomes a message in the
//! uploader's "Chat files" folder, so it counts in the mailbox's quota, shows in the webmail,
//! and is gone when the user deletes it there. The address is the only key to it: 128 random
//! bits, as the XEP intends (recipients fetch it without signing in).

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{ServiceError, Services, chat::ChatUser};
use crate::db::chat_upload;

/// How long a slot waits for its file.
const SLOT_LIFETIME_MINUTES: i64 = 5;
/// The folder files go to, by the mailbox's language… kept in one name, as IMAP clients
/// show it too.
pub const FILES_FOLDER: &str = "Chat files";

/// A slot handed to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub token: String,
    /// The file name as it goes into the address (path-safe).
    pub name: String,
}

/// Why a slot was not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotRefusal {
    /// Larger than the service takes: the limit.
    TooLarge(u64),
    /// The mailbox has no room for it: its free bytes.
    NoRoom(u64),
    /// A name or type that cannot be taken.
    Invalid(&'static str),
}

/// Why a file was not taken at its slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutRefusal {
    /// No such slot, or it expired, or it was used.
    NotFound,
    /// Not the size or type the slot was asked for.
    Mismatch(&'static str),
    /// The mailbox filled up meanwhile.
    NoRoom,
}

/// A file to hand out.
pub struct SharedFile {
    pub name: String,
    pub media_type: String,
    pub data: Vec<u8>,
}

impl Services {
    /// A slot for a file `user` wants to share.
    pub async fn chat_upload_slot(
        &self,
        user: &ChatUser,
        filename: &str,
        size: u64,
        media_type: Option<&str>,
        max_bytes: u64,
    ) -> Result<Result<Slot, SlotRefusal>, ServiceError> {
        if size > max_bytes {
            return Ok(Err(SlotRefusal::TooLarge(max_bytes)));
        }
        if size == 0 {
            return Ok(Err(SlotRefusal::Invalid("An empty file cannot be shared.")));
        }
        let Some(name) = safe_name(filename) else {
            return Ok(Err(SlotRefusal::Invalid("That file name cannot be used.")));
        };
        let media_type = match media_type.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) if valid_media_type(t) => t.to_ascii_lowercase(),
            Some(_) => {
                return Ok(Err(SlotRefusal::Invalid(
                    "That content type cannot be used.",
                )));
            }
            None => "application/octet-stream".to_string(),
        };
        let (used, total) = self.engine.mail_of(&user.address).await?.quota().await?;
        // A message carries the file in base64 and some headers: a third more.
        let needed = size + size / 3 + 4096;
        if total > 0 && used.saturating_add(needed) > total {
            return Ok(Err(SlotRefusal::NoRoom(total.saturating_sub(used))));
        }
        let mut random = [0u8; 16];
        rand::fill(&mut random);
        let token = data_encoding::HEXLOWER.encode(&random);
        chat_upload::ActiveModel {
            token: Set(token.clone()),
            owner: Set(user.address.clone()),
            name: Set(name.clone()),
            size: Set(size as i64),
            media_type: Set(media_type),
            created_at: Set(Utc::now()),
            email_id: Set(None),
            blob_id: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(Ok(Slot { token, name }))
    }

    /// Takes the file for a slot: the size and type it was asked with, within the slot's
    /// five minutes, once.
    pub async fn chat_upload_put(
        &self,
        token: &str,
        name: &str,
        media_type: Option<&str>,
        data: &[u8],
    ) -> Result<Result<(), PutRefusal>, ServiceError> {
        let Some(slot) = self.pending_slot(token, name).await? else {
            return Ok(Err(PutRefusal::NotFound));
        };
        if data.len() as u64 != slot.size as u64 {
            return Ok(Err(PutRefusal::Mismatch(
                "The file is not the size the slot was asked for.",
            )));
        }
        if media_type.is_some_and(|t| !t.trim().eq_ignore_ascii_case(&slot.media_type)) {
            return Ok(Err(PutRefusal::Mismatch(
                "The file is not the type the slot was asked for.",
            )));
        }
        // Taken before the engine's step, so two puts cannot both keep a file.
        let taken = chat_upload::Entity::update_many()
            .col_expr(
                chat_upload::Column::EmailId,
                sea_orm::sea_query::Expr::value(""),
            )
            .filter(chat_upload::Column::Token.eq(token))
            .filter(chat_upload::Column::EmailId.is_null())
            .exec(&self.db)
            .await?;
        if taken.rows_affected != 1 {
            return Ok(Err(PutRefusal::NotFound));
        }
        let mail = self.engine.mail_of(&slot.owner).await?;
        let text = format!(
            "{} shared in chat on {} (UTC).",
            slot.name,
            Utc::now().format("%Y-%m-%d %H:%M")
        );
        let kept = match mail
            .keep_file(
                FILES_FOLDER,
                &slot.name,
                &text,
                &slot.name,
                &slot.media_type,
                data,
            )
            .await
        {
            Ok(kept) => kept,
            Err(err) => {
                chat_upload::Entity::delete_by_id(token.to_string())
                    .exec(&self.db)
                    .await?;
                return match err {
                    engine_glue::GlueError::Refused { kind, .. } if kind == "overQuota" => {
                        Ok(Err(PutRefusal::NoRoom))
                    }
                    err => Err(err.into()),
                };
            }
        };
        let mut row: chat_upload::ActiveModel = slot.into();
        row.email_id = Set(Some(kept.email_id));
        row.blob_id = Set(Some(kept.blob_id));
        row.update(&self.db).await?;
        Ok(Ok(()))
    }

    /// The file behind a shared address, while the message holding it exists.
    pub async fn chat_shared_file(
        &self,
        token: &str,
        name: &str,
    ) -> Result<Option<SharedFile>, ServiceError> {
        let Some(row) = chat_upload::Entity::find_by_id(token.to_string())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let (Some(email_id), Some(blob_id)) = (row.email_id.as_deref(), row.blob_id.as_deref())
        else {
            return Ok(None);
        };
        if row.name != name || email_id.is_empty() {
            return Ok(None);
        }
        let mail = match self.engine.mail_of(&row.owner).await {
            Ok(mail) => mail,
            Err(engine_glue::GlueError::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        if !mail.has_message(email_id).await? {
            return Ok(None);
        }
        Ok(mail.blob(blob_id).await?.map(|data| SharedFile {
            name: row.name,
            media_type: row.media_type,
            data,
        }))
    }

    /// Forgets slots that waited past their time without a file.
    pub async fn purge_chat_slots(&self) -> Result<u64, ServiceError> {
        let cutoff = Utc::now() - Duration::minutes(SLOT_LIFETIME_MINUTES);
        Ok(chat_upload::Entity::delete_many()
            .filter(chat_upload::Column::BlobId.is_null())
            .filter(chat_upload::Column::CreatedAt.lt(cutoff))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    async fn pending_slot(
        &self,
        token: &str,
        name: &str,
    ) -> Result<Option<chat_upload::Model>, ServiceError> {
        let cutoff = Utc::now() - Duration::minutes(SLOT_LIFETIME_MINUTES);
        Ok(chat_upload::Entity::find_by_id(token.to_string())
            .one(&self.db)
            .await?
            .filter(|slot| {
                slot.name == name && slot.email_id.is_none() && slot.created_at > cutoff
            }))
    }
}

/// A file name that is safe as one path segment and as a MIME parameter: its last path
/// part, control characters and `/ \ ? # %` replaced, at most 100 characters.
fn safe_name(filename: &str) -> Option<String> {
    let last = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim();
    let name: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '%' | '"') {
                '_'
            } else {
                c
            }
        })
        .take(100)
        .collect();
    let name = name.trim_start_matches('.').to_string();
    (!name.is_empty()).then_some(name)
}

/// `type/subtype`, with the characters RFC 6838 allows.
fn valid_media_type(value: &str) -> bool {
    let allowed = |part: &str| {
        !part.is_empty()
            && part.len() <= 127
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    value
        .split_once('/')
        .is_some_and(|(kind, sub)| allowed(kind) && allowed(sub))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_one_safe_path_segment() {
        assert_eq!(safe_name("foto.png").as_deref(), Some("foto.png"));
        assert_eq!(safe_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(safe_name("C:\\tmp\\a b.pdf").as_deref(), Some("a b.pdf"));
        assert_eq!(safe_name("a?b#c%d\".txt").as_deref(), Some("a_b_c_d_.txt"));
        assert_eq!(safe_name(".hidden").as_deref(), Some("hidden"));
        assert_eq!(safe_name("dir/"), None);
        assert_eq!(safe_name(""), None);
    }

    #[test]
    fn media_types_are_type_slash_subtype() {
        assert!(valid_media_type("image/png"));
        assert!(valid_media_type("application/vnd.ms-excel"));
        assert!(!valid_media_type("text/html; charset=utf-8"));
        assert!(!valid_media_type("image"));
        assert!(!valid_media_type("a/b\r\nX: y"));
    }
}

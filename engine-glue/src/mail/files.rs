// SPDX-License-Identifier: AGPL-3.0-only
//! Files kept in the mailbox for the chat (XEP-0363 uploads): each one a message in a folder
//! of its own, so it counts in the mailbox's quota like any mail, the user sees and deletes
//! it in the webmail, and the engine refuses it when the mailbox is full.

use serde_json::{Value, json};

use super::{
    MailAccess,
    compose::{Draft, DraftPart, email_object, new_message_id},
    set_outcome,
};
use crate::error::GlueError;

/// A file kept by [`MailAccess::keep_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptFile {
    /// The message that holds it.
    pub email_id: String,
    /// The file inside that message, for download.
    pub blob_id: String,
}

impl MailAccess {
    /// Keeps `data` as the attachment of a new message in the folder `folder` (made at the
    /// top level when missing), described by `text`. Marked as read: it is the user's own.
    /// A full mailbox refuses it (`Refused` with kind `overQuota`).
    pub async fn keep_file(
        &self,
        folder: &str,
        subject: &str,
        text: &str,
        name: &str,
        media_type: &str,
        data: &[u8],
    ) -> Result<KeptFile, GlueError> {
        let folder_id = match self
            .folders()
            .await?
            .into_iter()
            .find(|f| f.parent_id.is_none() && f.name == folder)
        {
            Some(found) => found.id,
            None => self.create_folder(folder, None).await?,
        };
        let blob_id = self.upload(media_type, data).await?;
        let own = self.addresses().into_iter().next().unwrap_or_default();
        let draft = Draft {
            from: super::Address {
                name: self.display_name(),
                email: own.clone(),
            },
            subject: subject.to_string(),
            text: text.to_string(),
            attachments: vec![DraftPart {
                blob_id,
                name: name.to_string(),
                media_type: media_type.to_string(),
                size: data.len() as u64,
            }],
            ..Default::default()
        };
        let mut email = email_object(&draft, &new_message_id(&own));
        email["mailboxIds"] = json!({ folder_id: true });
        email["keywords"] = json!({ "$seen": true });
        let answers = self
            .call(&[("Email/set", json!({ "create": { "file": email } }))])
            .await?;
        set_outcome(&answers[0], "notCreated")?;
        let email_id = answers[0]["created"]["file"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| GlueError::Engine {
                reason: "a file kept without an id".into(),
            })?;
        let answers = self
            .call(&[(
                "Email/get",
                json!({ "ids": [email_id], "properties": ["attachments"] }),
            )])
            .await?;
        let blob_id = answers[0]["list"]
            .as_array()
            .and_then(|list| list.first())
            .and_then(|email| email["attachments"].as_array())
            .and_then(|parts| parts.first())
            .and_then(|part| part["blobId"].as_str())
            .map(str::to_string)
            .ok_or_else(|| GlueError::Engine {
                reason: "a kept file's message has no attachment".into(),
            })?;
        Ok(KeptFile { email_id, blob_id })
    }

    /// Whether the message holding a kept file is still there (the user may delete it).
    pub async fn has_message(&self, email_id: &str) -> Result<bool, GlueError> {
        let answers = self
            .call(&[(
                "Email/get",
                json!({ "ids": [email_id], "properties": ["id"] }),
            )])
            .await?;
        Ok(answers[0]["list"]
            .as_array()
            .is_some_and(|list| list.iter().any(|e: &Value| e["id"] == email_id)))
    }
}

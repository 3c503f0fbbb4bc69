// SPDX-License-Identifier: AGPL-3.0-only
//! The mailbox's Sieve scripts, through JMAP (RFC 9661) with the mailbox's own rights: the
//! engine runs the active one on every delivery, so rules written here work while no browser
//! is open. The engine compiles a script before it keeps it and refuses one with errors.

use serde::Deserialize;
use serde_json::json;
use stalwart_lib::{jmap::blob::download::BlobDownload, types::blob::BlobId};

use super::{MailAccess, list, set_outcome};
use crate::{directory::engine_err, error::GlueError};

/// A Sieve script of the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SieveScript {
    pub id: String,
    pub name: String,
    pub active: bool,
    /// The script's text.
    pub content: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawScript {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    blob_id: String,
    #[serde(default)]
    is_active: bool,
}

const SIEVE: &str = "urn:ietf:params:jmap:sieve";

impl MailAccess {
    /// The mailbox's scripts, with their text.
    pub async fn sieve_scripts(&self) -> Result<Vec<SieveScript>, GlueError> {
        let answers = self
            .call_using(
                &[SIEVE],
                &[(
                    "SieveScript/get",
                    json!({ "ids": null, "properties": ["id", "name", "blobId", "isActive"] }),
                )],
            )
            .await?;
        let raw: Vec<RawScript> = list(&answers[0])?;
        let mut out = Vec::with_capacity(raw.len());
        for script in raw {
            let content = match script.blob_id.parse::<BlobId>() {
                Ok(blob) => self
                    .server
                    .blob_download(&blob, &self.token)
                    .await
                    .map_err(engine_err)?
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    .unwrap_or_default(),
                Err(_) => String::new(),
            };
            out.push(SieveScript {
                id: script.id,
                name: script.name,
                active: script.is_active,
                content,
            });
        }
        Ok(out)
    }

    /// Writes the script `name` (replacing the one of that name) and makes it the mailbox's
    /// active script. A script the engine cannot compile is refused (`invalidScript`) and
    /// the one before stays as it was.
    pub async fn put_sieve_script(&self, name: &str, content: &str) -> Result<(), GlueError> {
        let existing = self
            .sieve_scripts()
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| s.id);
        let blob = self.upload("application/sieve", content.as_bytes()).await?;
        let set = match &existing {
            Some(id) => json!({
                "update": { id: { "blobId": blob } },
                "onSuccessActivateScript": id,
            }),
            None => json!({
                "create": { "rules": { "name": name, "blobId": blob } },
                "onSuccessActivateScript": "#rules",
            }),
        };
        let answers = self
            .call_using(&[SIEVE], &[("SieveScript/set", set)])
            .await?;
        set_outcome(
            &answers[0],
            if existing.is_some() {
                "notUpdated"
            } else {
                "notCreated"
            },
        )
    }
}

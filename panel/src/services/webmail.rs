// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's mail: a signed-in mailbox's own folders and messages, read through the
//! engine with the mailbox's own rights (never an administrator's), so a folder, message or
//! attachment of another mailbox is simply not there.

use engine_glue::{Folder, GlueError, MailAccess, Message, MessagePage};

use super::{Actor, Caller, ServiceError, Services};

/// Messages in a page of the webmail's list.
pub const MAIL_PAGE: u64 = 50;

/// The special folders, in the order the webmail lists them.
const ROLES: [&str; 6] = ["inbox", "drafts", "sent", "archive", "junk", "trash"];

/// The signed-in mailbox's mail: all the webmail may touch.
pub struct MailScope {
    access: MailAccess,
}

impl Services {
    /// The mail of the caller's own mailbox; staff without a mailbox have none.
    pub async fn mail_scope(&self, caller: &Caller) -> Result<MailScope, ServiceError> {
        let login = match &caller.actor {
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => &mailbox.address,
            Actor::Operator(_) | Actor::Manager(_) => return Err(ServiceError::Forbidden),
        };
        let access = self.engine.mail_of(login).await.map_err(not_found)?;
        Ok(MailScope { access })
    }
}

impl MailScope {
    /// The folders, listed as the webmail shows them: see [`ordered`].
    pub async fn folders(&self) -> Result<Vec<(Folder, u32)>, ServiceError> {
        Ok(ordered(self.access.folders().await.map_err(not_found)?))
    }

    /// A page of a folder (from 0; the Inbox when `folder_id` is empty), newest first, with
    /// the folder; `NotFound` when the mailbox has no such folder.
    pub async fn messages(
        &self,
        folder_id: &str,
        page: u64,
    ) -> Result<((Folder, u32), MessagePage), ServiceError> {
        let folder = self
            .folders()
            .await?
            .into_iter()
            .find(|(f, _)| match folder_id {
                "" => f.role.as_deref() == Some("inbox"),
                id => f.id == id,
            })
            .ok_or(ServiceError::NotFound)?;
        let position = page.saturating_mul(MAIL_PAGE);
        let messages = self
            .access
            .messages(&folder.0.id, position, MAIL_PAGE)
            .await
            .map_err(not_found)?;
        Ok((folder, messages))
    }

    /// A message for reading; `NotFound` when the mailbox has no such message (a malformed
    /// id, from an edited address, names none either).
    pub async fn message(&self, id: &str) -> Result<Message, ServiceError> {
        match self.access.message(id).await {
            Ok(Some(message)) => Ok(message),
            Ok(None) | Err(GlueError::NotFound { .. } | GlueError::Invalid { .. }) => {
                Err(ServiceError::NotFound)
            }
            Err(other) => Err(ServiceError::Engine(other)),
        }
    }
}

/// The folders in the webmail's order, each with its depth: the special folders first (Inbox,
/// Drafts, Sent, Archive, Junk, Trash), then the others by name (ignoring case), each folder
/// followed by its subfolders. A folder whose parent is missing is listed at the top.
pub fn ordered(folders: Vec<Folder>) -> Vec<(Folder, u32)> {
    let rank = |f: &Folder| {
        f.role
            .as_deref()
            .and_then(|r| ROLES.iter().position(|x| *x == r))
            .unwrap_or(ROLES.len())
    };
    let key = |f: &Folder| (rank(f), f.sort_order, f.name.to_lowercase());
    let ids: std::collections::HashSet<&str> = folders.iter().map(|f| f.id.as_str()).collect();
    let mut tops: Vec<&Folder> = folders
        .iter()
        .filter(|f| f.parent_id.as_deref().is_none_or(|p| !ids.contains(p)))
        .collect();
    tops.sort_by_key(|f| key(f));
    let mut out = Vec::with_capacity(folders.len());
    // Depth first, without recursion; the stack holds folders still to list, last first.
    let mut stack: Vec<(&Folder, u32)> = tops.into_iter().rev().map(|f| (f, 0)).collect();
    while let Some((folder, depth)) = stack.pop() {
        out.push((folder.clone(), depth));
        let mut children: Vec<&Folder> = folders
            .iter()
            .filter(|f| f.parent_id.as_deref() == Some(folder.id.as_str()))
            .collect();
        children.sort_by_key(|f| key(f));
        stack.extend(children.into_iter().rev().map(|f| (f, depth + 1)));
        if out.len() > folders.len() {
            // A cycle in the parents: never loop.
            break;
        }
    }
    out
}

/// The engine's "not found" (and a refused account) as the webmail's not found.
fn not_found(err: GlueError) -> ServiceError {
    match err {
        GlueError::NotFound { .. } => ServiceError::NotFound,
        other => ServiceError::Engine(other),
    }
}

#[cfg(test)]
mod tests {
    use engine_glue::Folder;

    use super::ordered;

    fn folder(id: &str, name: &str, role: Option<&str>, parent: Option<&str>) -> Folder {
        Folder {
            id: id.into(),
            name: name.into(),
            role: role.map(str::to_string),
            parent_id: parent.map(str::to_string),
            sort_order: 0,
            total: 0,
            unread: 0,
        }
    }

    #[test]
    fn special_folders_first_then_by_name_with_subfolders_under_their_parent() {
        let folders = vec![
            folder("t", "Deleted Items", Some("trash"), None),
            folder("p", "projects", None, None),
            folder("p2", "2026", None, Some("p")),
            folder("a", "Accounts", None, None),
            folder("i", "Inbox", Some("inbox"), None),
            folder("s", "Sent Items", Some("sent"), None),
            folder("o", "orphan", None, Some("gone")),
        ];
        let listed: Vec<(String, u32)> = ordered(folders)
            .into_iter()
            .map(|(f, depth)| (f.id, depth))
            .collect();
        let expected = [
            ("i", 0),
            ("s", 0),
            ("t", 0),
            ("a", 0),
            ("o", 0),
            ("p", 0),
            ("p2", 1),
        ];
        assert_eq!(
            listed,
            expected
                .iter()
                .map(|(id, d)| (id.to_string(), *d))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_cycle_in_the_parents_does_not_hang() {
        let folders = vec![
            folder("x", "x", None, Some("y")),
            folder("y", "y", None, Some("x")),
        ];
        assert!(ordered(folders).len() <= 2);
    }
}

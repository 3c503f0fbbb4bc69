// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's mail: a signed-in mailbox's own folders and messages, read through the
//! engine with the mailbox's own rights (never an administrator's), so a folder, message or
//! attachment of another mailbox is simply not there.

use engine_glue::{
    Folder, FolderChange, GlueError, Listing, MailAccess, MailChanges, Message, MessageChange,
    MessagePage, MessageSummary,
};

use super::{Actor, Caller, ServiceError, Services, mail_settings::Reading};

/// Messages in a page of the webmail's list.
pub const MAIL_PAGE: u64 = 50;

/// Messages one action changes at most.
pub const MAX_SELECTION: usize = 500;

/// The longest folder name.
const MAX_FOLDER_NAME: usize = 200;

/// What the webmail does to selected messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailAction {
    Read,
    Unread,
    Flag,
    Unflag,
    /// To the Trash; from the Trash (or Junk), for good.
    Delete,
    /// To Junk, marked as junk (so the filter learns).
    Spam,
    /// Back to the Inbox, marked as not junk.
    NotSpam,
    /// Into another folder (by id).
    MoveTo(String),
}

/// The special folders, in the order the webmail lists them.
const ROLES: [&str; 6] = ["inbox", "drafts", "sent", "archive", "junk", "trash"];

/// The signed-in mailbox's mail: all the webmail may touch.
pub struct MailScope {
    access: MailAccess,
    /// The panel's side: the reading preferences and the domain's address book.
    db: sea_orm::DatabaseConnection,
    mailbox: crate::db::mailbox::Model,
}

impl Services {
    /// The mail of the caller's own mailbox; staff without a mailbox have none.
    pub async fn mail_scope(&self, caller: &Caller) -> Result<MailScope, ServiceError> {
        let mailbox = match &caller.actor {
            Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } => mailbox,
            Actor::Operator(_) | Actor::Manager(_) | Actor::Delegate(_) => {
                return Err(ServiceError::Forbidden);
            }
        };
        let access = self
            .engine
            .mail_of(&mailbox.address)
            .await
            .map_err(not_found)?;
        Ok(MailScope {
            access,
            db: self.db.clone(),
            mailbox: mailbox.clone(),
        })
    }
}

impl MailScope {
    /// The engine's side of the mailbox, for the other webmail services.
    pub(super) fn access(&self) -> &MailAccess {
        &self.access
    }

    /// The panel database, for the webmail's own preferences.
    pub(super) fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.db
    }

    /// The mailbox's panel row.
    pub(super) fn mailbox(&self) -> &crate::db::mailbox::Model {
        &self.mailbox
    }

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
        reading: Reading,
    ) -> Result<((Folder, u32), MessagePage), ServiceError> {
        let folder = shown(self.folders().await?, folder_id)?;
        let messages = self
            .access
            .messages(&folder.0.id, listing(page, reading))
            .await
            .map_err(not_found)?;
        Ok((folder, messages))
    }

    /// A page of what a search finds (see [`super::mail_search`]), newest first, with the
    /// folder it was typed in (where the list's actions apply).
    pub async fn search(
        &self,
        folder_id: &str,
        typed: &str,
        page: u64,
        reading: Reading,
    ) -> Result<((Folder, u32), MessagePage), ServiceError> {
        let query = super::mail_search::parse(typed)?;
        let folders = self.folders().await?;
        let filter = query.resolve(&folders)?;
        let folder = shown(folders, folder_id)?;
        let found = self
            .access
            .search(&filter, listing(page, reading))
            .await
            .map_err(not_found)?;
        Ok((folder, found))
    }

    /// The conversation a message belongs to, oldest first, in every folder but the Trash
    /// and Junk (unless the message itself is there).
    pub async fn conversation(&self, m: &Message) -> Result<Vec<MessageSummary>, ServiceError> {
        if m.summary.thread_id.is_empty() {
            return Ok(Vec::new());
        }
        let folders = self.access.folders().await.map_err(not_found)?;
        let set_aside: Vec<&str> = folders
            .iter()
            .filter(|f| matches!(f.role.as_deref(), Some("trash" | "junk")))
            .filter(|f| !m.summary.folders.contains(&f.id))
            .map(|f| f.id.as_str())
            .collect();
        Ok(self
            .access
            .conversation(&m.summary.thread_id)
            .await
            .map_err(not_found)?
            .into_iter()
            .filter(|t| !t.folders.iter().all(|f| set_aside.contains(&f.as_str())))
            .collect())
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

impl MailScope {
    /// Applies an action to messages seen in `folder_id` (the folder the list showed);
    /// how many changed. `NotFound` if any message is not the mailbox's.
    pub async fn act(
        &self,
        ids: &[String],
        folder_id: &str,
        action: &MailAction,
    ) -> Result<usize, ServiceError> {
        if ids.is_empty() {
            return Err(ServiceError::invalid(
                "ids",
                app::i18n::Text::new(
                    "Select one or more messages first.",
                    "Seleziona prima uno o più messaggi.",
                ),
            ));
        }
        if ids.len() > MAX_SELECTION || ids.iter().any(|id| !plain_id(id)) {
            return Err(ServiceError::NotFound);
        }
        let keyword = |keyword, on| MessageChange::Keyword { keyword, on };
        let folders = self.folders().await?;
        let role = |role: &str| {
            folders
                .iter()
                .find(|(f, _)| f.role.as_deref() == Some(role))
                .map(|(f, _)| f.id.clone())
                .ok_or(ServiceError::NotFound)
        };
        let access = &self.access;
        let changed = match action {
            MailAction::Read => access.change_messages(ids, keyword("$seen", true)).await,
            MailAction::Unread => access.change_messages(ids, keyword("$seen", false)).await,
            MailAction::Flag => access.change_messages(ids, keyword("$flagged", true)).await,
            MailAction::Unflag => {
                access
                    .change_messages(ids, keyword("$flagged", false))
                    .await
            }
            MailAction::Delete => {
                let trash = role("trash")?;
                let here = folders.iter().find(|(f, _)| f.id == folder_id);
                let for_good =
                    here.is_some_and(|(f, _)| matches!(f.role.as_deref(), Some("trash" | "junk")));
                if for_good {
                    access.destroy_messages(ids).await
                } else {
                    let to = MessageChange::MoveTo { folder_id: &trash };
                    access.change_messages(ids, to).await
                }
            }
            MailAction::Spam => judge(access, ids, true, &role("junk")?).await,
            MailAction::NotSpam => judge(access, ids, false, &role("inbox")?).await,
            MailAction::MoveTo(to) => {
                if !folders.iter().any(|(f, _)| &f.id == to) {
                    return Err(ServiceError::invalid(
                        "to",
                        app::i18n::Text::new("Choose a folder.", "Scegli una cartella."),
                    ));
                }
                access
                    .change_messages(ids, MessageChange::MoveTo { folder_id: to })
                    .await
            }
        };
        changed.map_err(not_found)
    }

    /// The changes to the mailbox's messages and folders as they happen.
    pub async fn changes(&self) -> Result<MailChanges, ServiceError> {
        self.access.changes().await.map_err(not_found)
    }

    /// The space the mailbox uses and its quota, in bytes (0: no limit).
    pub async fn quota(&self) -> Result<(u64, u64), ServiceError> {
        self.access.quota().await.map_err(not_found)
    }

    /// Marks a message read (as opening it does).
    pub async fn mark_read(&self, id: &str) -> Result<(), ServiceError> {
        let seen = MessageChange::Keyword {
            keyword: "$seen",
            on: true,
        };
        self.access
            .change_messages(&[id.to_string()], seen)
            .await
            .map(|_| ())
            .map_err(not_found)
    }

    /// Deletes everything in the Trash for good; how many went.
    pub async fn empty_trash(&self) -> Result<usize, ServiceError> {
        let trash = self
            .folders()
            .await?
            .into_iter()
            .find(|(f, _)| f.role.as_deref() == Some("trash"))
            .ok_or(ServiceError::NotFound)?;
        let mut gone = 0;
        loop {
            let ids = self
                .access
                .message_ids(&trash.0.id, MAX_SELECTION as u64)
                .await
                .map_err(not_found)?;
            if ids.is_empty() {
                return Ok(gone);
            }
            gone += self
                .access
                .destroy_messages(&ids)
                .await
                .map_err(not_found)?;
        }
    }

    /// Creates a folder, at the top or under another; its id.
    pub async fn create_folder(
        &self,
        name: &str,
        parent_id: Option<&str>,
    ) -> Result<String, ServiceError> {
        let name = folder_name(name)?;
        let folders = self.folders().await?;
        if let Some(parent) = parent_id
            && !folders.iter().any(|(f, _)| f.id == parent)
        {
            return Err(ServiceError::NotFound);
        }
        if folders
            .iter()
            .any(|(f, _)| f.parent_id.as_deref() == parent_id && f.name.eq_ignore_ascii_case(&name))
        {
            return Err(name_taken());
        }
        self.access
            .create_folder(&name, parent_id)
            .await
            .map_err(folder_refused)
    }

    /// Renames one of the mailbox's own folders (not a special one).
    pub async fn rename_folder(&self, id: &str, name: &str) -> Result<(), ServiceError> {
        let name = folder_name(name)?;
        let folders = self.folders().await?;
        let (folder, _) = own_folder(&folders, id)?;
        if folders.iter().any(|(f, _)| {
            f.id != folder.id
                && f.parent_id == folder.parent_id
                && f.name.eq_ignore_ascii_case(&name)
        }) {
            return Err(name_taken());
        }
        self.access
            .change_folder(id, FolderChange::Rename { name: &name })
            .await
            .map_err(folder_refused)
    }

    /// Deletes one of the mailbox's own folders, which must be empty (nothing is lost by a
    /// slip).
    pub async fn delete_folder(&self, id: &str) -> Result<(), ServiceError> {
        let folders = self.folders().await?;
        let (folder, _) = own_folder(&folders, id)?;
        if folder.total > 0
            || folders
                .iter()
                .any(|(f, _)| f.parent_id.as_deref() == Some(id))
        {
            return Err(ServiceError::invalid(
                "folder",
                app::i18n::Text::new(
                    "The folder is not empty: move or delete its messages and subfolders first.",
                    "La cartella non è vuota: sposta o elimina prima i suoi messaggi e le sue sottocartelle.",
                ),
            ));
        }
        self.access.delete_folder(id).await.map_err(folder_refused)
    }

    /// A blob's bytes (a message's part, or a whole message); `NotFound` unless the mailbox
    /// may read it.
    pub async fn blob(&self, blob_id: &str) -> Result<Vec<u8>, ServiceError> {
        self.access
            .blob(blob_id)
            .await
            .map_err(not_found)?
            .ok_or(ServiceError::NotFound)
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

/// The folder a list shows: by id, or the Inbox for an empty id.
fn shown(folders: Vec<(Folder, u32)>, folder_id: &str) -> Result<(Folder, u32), ServiceError> {
    folders
        .into_iter()
        .find(|(f, _)| match folder_id {
            "" => f.role.as_deref() == Some("inbox"),
            id => f.id == id,
        })
        .ok_or(ServiceError::NotFound)
}

/// Marks messages as junk (or not, so the filter learns either way) and files them in
/// `folder_id`; how many moved.
async fn judge(
    access: &MailAccess,
    ids: &[String],
    junk: bool,
    folder_id: &str,
) -> Result<usize, GlueError> {
    let (set, cleared) = if junk {
        ("$junk", "$notjunk")
    } else {
        ("$notjunk", "$junk")
    };
    for (keyword, on) in [(cleared, false), (set, true)] {
        access
            .change_messages(ids, MessageChange::Keyword { keyword, on })
            .await?;
    }
    access
        .change_messages(ids, MessageChange::MoveTo { folder_id })
        .await
}

/// A folder of the mailbox's own making: special folders are neither renamed nor deleted.
fn own_folder<'f>(
    folders: &'f [(Folder, u32)],
    id: &str,
) -> Result<&'f (Folder, u32), ServiceError> {
    let found = folders
        .iter()
        .find(|(f, _)| f.id == id)
        .ok_or(ServiceError::NotFound)?;
    if found.0.role.is_some() {
        return Err(ServiceError::invalid(
            "folder",
            app::i18n::Text::new(
                "Special folders (Inbox, Sent, Trash…) cannot be renamed or deleted.",
                "Le cartelle speciali (Posta in arrivo, Inviata, Cestino…) non si rinominano né si eliminano.",
            ),
        ));
    }
    Ok(found)
}

/// A folder name as typed, trimmed; refused, on the `name` field, when empty, too long, or
/// holding a `/` (the hierarchy separator mail programs see) or control characters.
fn folder_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    let problem = if name.is_empty() {
        Some(app::i18n::Text::new("Enter a name.", "Inserisci un nome."))
    } else if name.chars().count() > MAX_FOLDER_NAME {
        Some(app::i18n::Text::new(
            "The name is too long (200 characters at most).",
            "Il nome è troppo lungo (al massimo 200 caratteri).",
        ))
    } else if name.contains('/') || name.chars().any(char::is_control) {
        Some(app::i18n::Text::new(
            "A folder name cannot contain “/”.",
            "Il nome di una cartella non può contenere «/».",
        ))
    } else {
        None
    };
    match problem {
        Some(text) => Err(ServiceError::invalid("name", text)),
        None => Ok(name.to_string()),
    }
}

fn name_taken() -> ServiceError {
    ServiceError::invalid(
        "name",
        app::i18n::Text::new(
            "There is already a folder with this name here.",
            "C'è già una cartella con questo nome qui.",
        ),
    )
}

/// The engine's refusal of a folder change, on the form's field.
fn folder_refused(err: GlueError) -> ServiceError {
    match err {
        GlueError::Refused { kind, .. }
            if kind == "mailboxHasEmail" || kind == "mailboxHasChild" =>
        {
            ServiceError::invalid(
                "folder",
                app::i18n::Text::new(
                    "The folder is not empty: move or delete its messages and subfolders first.",
                    "La cartella non è vuota: sposta o elimina prima i suoi messaggi e le sue sottocartelle.",
                ),
            )
        }
        GlueError::Refused { kind, .. } if kind == "invalidProperties" => name_taken(),
        other => not_found(other),
    }
}

/// An engine id as the webmail passes it (and puts into a path as it is): letters, digits,
/// `-` and `_`.
pub fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Page `page` (from 0) of a list as `reading` wants it.
fn listing(page: u64, reading: Reading) -> Listing {
    Listing {
        position: page.saturating_mul(reading.page_size),
        limit: reading.page_size,
        conversations: reading.conversations,
    }
}

/// The engine's "not found" (and a refused account) as the webmail's not found.
pub(super) fn not_found(err: GlueError) -> ServiceError {
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

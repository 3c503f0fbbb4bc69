// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's search box: words, and operators as in the mail programs people know,
//! in English or Italian: `from:` (`da:`), `to:` (`a:`), `subject:` (`oggetto:`),
//! `has:attachment` (`ha:allegato`), `before:` (`prima:`), `after:` (`dopo:`), `in:`,
//! `is:unread` (`è:nonletto`), `is:flagged` (`è:contrassegnato`). A value with spaces is
//! quoted: `subject:"offerta 2026"`. Everything else is searched as text.

use app::i18n::Text;
use engine_glue::{Folder, MailFilter};

use super::ServiceError;

/// The longest search, in characters.
const MAX_QUERY: usize = 500;

/// Where a search looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every folder but the Trash and Junk (no `in:` given).
    Usual,
    /// Every folder, the Trash and Junk too (`in:all`).
    All,
    /// One folder, by special role (`inbox`, `sent`, …) or by name.
    Role(&'static str),
    Named(String),
}

/// A search as typed, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub scope: Scope,
    pub filter: MailFilter,
}

/// Understands a search; an impossible date or an unknown operator value is an error on the
/// `q` field.
pub fn parse(typed: &str) -> Result<Query, ServiceError> {
    if typed.chars().count() > MAX_QUERY {
        return Err(ServiceError::invalid(
            "q",
            Text::new(
                "The search is too long (500 characters at most).",
                "La ricerca è troppo lunga (al massimo 500 caratteri).",
            ),
        ));
    }
    let mut filter = MailFilter::default();
    let mut scope = Scope::Usual;
    let mut words: Vec<String> = Vec::new();
    for token in tokens(typed) {
        let Some((key, value)) = token
            .split_once(':')
            .filter(|(k, v)| !k.is_empty() && !v.is_empty() && !k.contains('"'))
        else {
            words.push(token.replace('"', ""));
            continue;
        };
        let value = value.trim_matches('"').to_string();
        let join = |slot: &mut Option<String>, value: String| {
            *slot = Some(match slot.take() {
                Some(before) => format!("{before} {value}"),
                None => value,
            });
        };
        match key.to_lowercase().as_str() {
            "from" | "da" => join(&mut filter.from, value),
            "to" | "a" => join(&mut filter.to, value),
            "subject" | "oggetto" => join(&mut filter.subject, value),
            "has" | "ha" => match value.to_lowercase().as_str() {
                "attachment" | "attachments" | "allegato" | "allegati" => {
                    filter.has_attachment = true;
                }
                _ => return Err(unknown(&token)),
            },
            "is" | "è" | "e" => match value.to_lowercase().as_str() {
                "unread" | "nonletto" | "non-letto" | "daleggere" => filter.unread = true,
                "flagged" | "starred" | "contrassegnato" => filter.flagged = true,
                _ => return Err(unknown(&token)),
            },
            "before" | "prima" => filter.before = Some(day(&value)?),
            "after" | "dopo" => filter.after = Some(day(&value)?),
            "in" => scope = scope_of(&value),
            // Not an operator (a time, an address with a colon…): searched as written.
            _ => words.push(token.replace('"', "")),
        }
    }
    let text = words.join(" ");
    if !text.trim().is_empty() {
        filter.text = Some(text.trim().to_string());
    }
    Ok(Query { scope, filter })
}

impl Query {
    /// The filter with its folders' ids; an unknown folder name is an error on the `q` field.
    pub fn resolve(mut self, folders: &[(Folder, u32)]) -> Result<MailFilter, ServiceError> {
        let by_role = |role: &str| {
            folders
                .iter()
                .find(|(f, _)| f.role.as_deref() == Some(role))
                .map(|(f, _)| f.id.clone())
        };
        match &self.scope {
            Scope::All => {}
            Scope::Usual => {
                self.filter.not_in = ["trash", "junk"].into_iter().filter_map(by_role).collect();
            }
            Scope::Role(role) => self.filter.folder = by_role(role),
            Scope::Named(name) => {
                let found = folders
                    .iter()
                    .find(|(f, _)| f.name.to_lowercase() == name.to_lowercase())
                    .map(|(f, _)| f.id.clone());
                match found {
                    Some(id) => self.filter.folder = Some(id),
                    None => {
                        return Err(ServiceError::invalid(
                            "q",
                            Text::new(
                                format!("There is no folder called “{name}”."),
                                format!("Non c'è una cartella chiamata «{name}»."),
                            ),
                        ));
                    }
                }
            }
        }
        Ok(self.filter)
    }
}

/// `in:` names: special folders in English or Italian, `all`, or a folder's own name.
fn scope_of(value: &str) -> Scope {
    let role = match value.to_lowercase().as_str() {
        "all" | "anywhere" | "tutto" | "tutte" | "ovunque" => return Scope::All,
        "inbox" | "arrivo" | "posta" => "inbox",
        "sent" | "inviata" | "inviati" | "inviate" => "sent",
        "drafts" | "draft" | "bozze" | "bozza" => "drafts",
        "trash" | "cestino" => "trash",
        "junk" | "spam" | "indesiderata" => "junk",
        "archive" | "archivio" => "archive",
        _ => return Scope::Named(value.to_string()),
    };
    Scope::Role(role)
}

/// A day as `YYYY-MM-DD` (or with slashes) as the start of that day in UTC.
fn day(value: &str) -> Result<String, ServiceError> {
    let (y, m, d) = calendar_day(value, &['-', '/']).ok_or_else(|| {
        ServiceError::invalid(
            "q",
            Text::new(
                format!("“{value}” is not a date: write it as 2026-11-30."),
                format!("«{value}» non è una data: scrivila come 2026-11-30."),
            ),
        )
    })?;
    Ok(format!("{y:04}-{m:02}-{d:02}T00:00:00Z"))
}

/// A real calendar day from 1970 on, written year, month, day with one of `separators`.
pub(super) fn calendar_day(value: &str, separators: &[char]) -> Option<(u32, u32, u32)> {
    let parts: Vec<&str> = value.split(separators).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return None;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    ((1970..=9999).contains(&y) && d != 0 && d <= days_in).then_some((y, m, d))
}

fn unknown(token: &str) -> ServiceError {
    ServiceError::invalid(
        "q",
        Text::new(
            format!("“{token}” is not understood: try has:attachment, is:unread or is:flagged."),
            format!("«{token}» non è chiaro: prova ha:allegato, è:nonletto o è:contrassegnato."),
        ),
    )
}

/// Words, with double-quoted stretches kept together (the quotes stay, for the caller).
fn tokens(typed: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in typed.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                current.push(ch);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c if c.is_control() => {}
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_words() {
        let q = parse(r#"from:anna subject:"offerta 2026" has:attachment listino prezzi"#).unwrap();
        assert_eq!(q.scope, Scope::Usual);
        assert_eq!(q.filter.from.as_deref(), Some("anna"));
        assert_eq!(q.filter.subject.as_deref(), Some("offerta 2026"));
        assert!(q.filter.has_attachment);
        assert_eq!(q.filter.text.as_deref(), Some("listino prezzi"));

        let q = parse("da:mario oggetto:fattura ha:allegato prima:2026/11/30 dopo:2026-11-01 in:inviata è:nonletto").unwrap();
        assert_eq!(q.filter.from.as_deref(), Some("mario"));
        assert_eq!(q.filter.before.as_deref(), Some("2026-11-30T00:00:00Z"));
        assert_eq!(q.filter.after.as_deref(), Some("2026-11-01T00:00:00Z"));
        assert_eq!(q.scope, Scope::Role("sent"));
        assert!(q.filter.unread && q.filter.has_attachment);

        let q = parse("in:all is:flagged").unwrap();
        assert_eq!(q.scope, Scope::All);
        assert!(q.filter.flagged);
        assert_eq!(q.filter.text, None);

        let q = parse("in:Progetti meeting 10:30").unwrap();
        assert_eq!(q.scope, Scope::Named("Progetti".into()));
        assert_eq!(q.filter.text.as_deref(), Some("meeting 10:30"));
    }

    #[test]
    fn mistakes_are_named_on_the_search_field() {
        for bad in [
            "before:2026-02-30",
            "after:yesterday",
            "has:pizza",
            "is:maybe",
        ] {
            match parse(bad) {
                Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, "q", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(parse(&"x".repeat(501)).is_err());
        assert!(parse("before:2024-02-29").is_ok());
    }

    fn folder(id: &str, name: &str, role: Option<&str>) -> (Folder, u32) {
        let folder = Folder {
            id: id.into(),
            name: name.into(),
            role: role.map(str::to_string),
            parent_id: None,
            sort_order: 0,
            total: 0,
            unread: 0,
        };
        (folder, 0)
    }

    #[test]
    fn folders_by_role_or_name() {
        let folders = [
            folder("i", "Inbox", Some("inbox")),
            folder("t", "Deleted Items", Some("trash")),
            folder("j", "Junk Mail", Some("junk")),
            folder("p", "Progetti", None),
        ];
        let usual = parse("x").unwrap().resolve(&folders).unwrap();
        assert_eq!(usual.not_in, ["t", "j"]);
        assert_eq!(usual.folder, None);
        let named = parse("in:progetti").unwrap().resolve(&folders).unwrap();
        assert_eq!(named.folder.as_deref(), Some("p"));
        let trash = parse("in:cestino").unwrap().resolve(&folders).unwrap();
        assert_eq!(trash.folder.as_deref(), Some("t"));
        assert!(parse("in:nowhere").unwrap().resolve(&folders).is_err());
    }
}

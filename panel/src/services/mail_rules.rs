// SPDX-License-Identifier: AGPL-3.0-only
//! The mailbox's own rules: a vacation reply between two dates and simple filters (if the
//! sender, the recipients or the subject contain a text, then move to a folder, mark as read,
//! forward, or move to the Trash). They live in the engine as one Sieve script, `casella`,
//! made the active one, so they run on every delivery, with or without a browser open; the
//! script's first lines keep the settings it was made from, so the settings page reads them
//! back from the engine and there is no second store.

use app::i18n::Text;
use serde::{Deserialize, Serialize};

use super::{ServiceError, compose::plausible_address, webmail::MailScope};

/// The script Casella writes.
pub const SCRIPT_NAME: &str = "casella";
/// The line that keeps the settings in the script.
const SETTINGS_LINE: &str = "# casella-rules: ";
/// Filters one mailbox may have.
pub const MAX_FILTERS: usize = 50;
const MAX_MATCH: usize = 200;
const MAX_VACATION_SUBJECT: usize = 200;
const MAX_VACATION_TEXT: usize = 10_000;

/// What a mailbox's rules say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailRules {
    pub vacation: Vacation,
    pub filters: Vec<Filter>,
}

/// The automatic reply while away.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Vacation {
    pub on: bool,
    /// From and until which day (`YYYY-MM-DD`, both included); empty: no limit.
    pub first_day: String,
    pub last_day: String,
    pub subject: String,
    pub text: String,
}

/// One filter: when `field` contains `contains`, do `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub field: FilterField,
    pub contains: String,
    pub action: FilterAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterField {
    From,
    /// To or Cc.
    To,
    Subject,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", content = "to", rename_all = "lowercase")]
pub enum FilterAction {
    /// Into the folder with this id.
    Move(String),
    Read,
    /// A copy to this address (the message is kept too).
    Forward(String),
    Trash,
}

/// What the settings page shows: the rules, and another set of rules that a mail program
/// made active over ManageSieve, if any (saving here replaces it as the active one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesInUse {
    pub rules: MailRules,
    pub other_active: Option<String>,
}

impl MailScope {
    /// The mailbox's rules as last saved.
    pub async fn rules(&self) -> Result<RulesInUse, ServiceError> {
        let scripts = self
            .access()
            .sieve_scripts()
            .await
            .map_err(ServiceError::Engine)?;
        let rules = scripts
            .iter()
            .find(|s| s.name == SCRIPT_NAME)
            .and_then(|s| settings_of(&s.content))
            .unwrap_or_default();
        let other_active = scripts
            .into_iter()
            .find(|s| s.active && s.name != SCRIPT_NAME)
            .map(|s| s.name);
        Ok(RulesInUse {
            rules,
            other_active,
        })
    }

    /// Checks the rules, writes them into the engine as the active script.
    pub async fn set_rules(&self, rules: &MailRules) -> Result<(), ServiceError> {
        let rules = self.checked_rules(rules).await?;
        let folders = self.folders().await?;
        let names = |id: &str| {
            folders
                .iter()
                .find(|(f, _)| f.id == id)
                .map(|(f, _)| f.name.clone())
        };
        let script = script_of(&rules, names);
        self.access()
            .put_sieve_script(SCRIPT_NAME, &script)
            .await
            .map_err(|err| {
                tracing::warn!(%err, "the engine refused a rules script");
                ServiceError::invalid(
                    "rules",
                    Text::new(
                        "The mail server did not accept these rules.",
                        "Il server di posta non ha accettato queste regole.",
                    ),
                )
            })
    }

    /// The rules with each field checked and tidied.
    async fn checked_rules(&self, rules: &MailRules) -> Result<MailRules, ServiceError> {
        let v = &rules.vacation;
        let first_day = day("first_day", &v.first_day)?;
        let last_day = day("last_day", &v.last_day)?;
        if let (Some(first), Some(last)) = (&first_day, &last_day)
            && first > last
        {
            return Err(ServiceError::invalid(
                "last_day",
                Text::new(
                    "The last day comes before the first.",
                    "L'ultimo giorno viene prima del primo.",
                ),
            ));
        }
        let subject = one_line(&v.subject);
        if subject.chars().count() > MAX_VACATION_SUBJECT {
            return Err(ServiceError::invalid(
                "subject",
                Text::new(
                    "The subject is too long (200 characters at most).",
                    "L'oggetto è troppo lungo (al massimo 200 caratteri).",
                ),
            ));
        }
        let text = v.text.replace("\r\n", "\n");
        if v.on && text.trim().is_empty() {
            return Err(ServiceError::invalid(
                "text",
                Text::new(
                    "Write the reply that senders get.",
                    "Scrivi la risposta che riceveranno i mittenti.",
                ),
            ));
        }
        if text.chars().count() > MAX_VACATION_TEXT {
            return Err(ServiceError::invalid(
                "text",
                Text::new(
                    "The reply is too long (10,000 characters at most).",
                    "La risposta è troppo lunga (al massimo 10.000 caratteri).",
                ),
            ));
        }
        if rules.filters.len() > MAX_FILTERS {
            return Err(ServiceError::invalid(
                "contains",
                Text::new(
                    format!("{MAX_FILTERS} filters at most."),
                    format!("Al massimo {MAX_FILTERS} filtri."),
                ),
            ));
        }
        let folders = self.folders().await?;
        let mut filters = Vec::with_capacity(rules.filters.len());
        for f in &rules.filters {
            let contains = one_line(&f.contains);
            if contains.is_empty() || contains.chars().count() > MAX_MATCH {
                return Err(ServiceError::invalid(
                    "contains",
                    Text::new(
                        "Write the text to look for (200 characters at most).",
                        "Scrivi il testo da cercare (al massimo 200 caratteri).",
                    ),
                ));
            }
            let action = match &f.action {
                FilterAction::Move(id) => {
                    if !folders.iter().any(|(folder, _)| &folder.id == id) {
                        return Err(ServiceError::invalid(
                            "folder",
                            Text::new("Choose a folder.", "Scegli una cartella."),
                        ));
                    }
                    FilterAction::Move(id.clone())
                }
                FilterAction::Forward(to) => {
                    let to = to.trim().to_lowercase();
                    if !plausible_address(&to) {
                        return Err(ServiceError::invalid(
                            "forward",
                            Text::new(
                                "Enter the address to forward to.",
                                "Inserisci l'indirizzo a cui inoltrare.",
                            ),
                        ));
                    }
                    if self.sender_addresses().contains(&to) {
                        return Err(ServiceError::invalid(
                            "forward",
                            Text::new(
                                "Forward to another mailbox, not to this one.",
                                "Inoltra a un'altra casella, non a questa.",
                            ),
                        ));
                    }
                    FilterAction::Forward(to)
                }
                other => other.clone(),
            };
            filters.push(Filter {
                field: f.field,
                contains,
                action,
            });
        }
        Ok(MailRules {
            vacation: Vacation {
                on: v.on,
                first_day: first_day.unwrap_or_default(),
                last_day: last_day.unwrap_or_default(),
                subject,
                text,
            },
            filters,
        })
    }
}

/// A day as `YYYY-MM-DD` (a real date), or none when left empty.
fn day(field: &'static str, given: &str) -> Result<Option<String>, ServiceError> {
    let given = given.trim();
    if given.is_empty() {
        return Ok(None);
    }
    // Written in full (`2026-12-01`), as a date field sends it.
    let full = given.len() == 10 && given.as_bytes().get(4) == Some(&b'-');
    let valid = full && super::mail_search::calendar_day(given, &['-']).is_some();
    if valid {
        Ok(Some(given.to_string()))
    } else {
        Err(ServiceError::invalid(
            field,
            Text::new(
                "Enter a day as YYYY-MM-DD.",
                "Inserisci un giorno come AAAA-MM-GG.",
            ),
        ))
    }
}

/// Text on one line: control characters as spaces, trimmed.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The settings a script was made from, if it is one of Casella's.
pub fn settings_of(script: &str) -> Option<MailRules> {
    script
        .lines()
        .find_map(|l| l.strip_prefix(SETTINGS_LINE))
        .and_then(|json| serde_json::from_str(json).ok())
}

/// A Sieve string: quoted, with `"` and `\` escaped (RFC 5228 §2.4.2).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The Sieve script for the rules; `folder_name` names a folder by id (the fallback when the
/// folder is gone).
pub fn script_of(rules: &MailRules, folder_name: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::from(
        "# Written by Casella from the webmail's settings (Rules): \
         changes made here are replaced when those are saved.\r\n",
    );
    let settings = serde_json::to_string(rules).unwrap_or_else(|_| "{}".into());
    out.push_str(SETTINGS_LINE);
    out.push_str(&settings);
    out.push_str("\r\n");
    out.push_str(
        "require [\"fileinto\", \"mailbox\", \"mailboxid\", \"special-use\", \"imap4flags\", \"copy\", \
         \"vacation\", \"date\", \"relational\"];\r\n",
    );
    let v = &rules.vacation;
    if v.on {
        let mut when = Vec::new();
        if !v.first_day.is_empty() {
            when.push(format!(
                "currentdate :value \"ge\" \"date\" {}",
                quoted(&v.first_day)
            ));
        }
        if !v.last_day.is_empty() {
            when.push(format!(
                "currentdate :value \"le\" \"date\" {}",
                quoted(&v.last_day)
            ));
        }
        let reply = format!(
            "vacation :days 1{} {};",
            if v.subject.is_empty() {
                String::new()
            } else {
                format!(" :subject {}", quoted(&v.subject))
            },
            quoted(&v.text.replace('\n', "\r\n"))
        );
        if when.is_empty() {
            out.push_str(&reply);
            out.push_str("\r\n");
        } else {
            out.push_str(&format!(
                "if allof ({}) {{\r\n    {reply}\r\n}}\r\n",
                when.join(", ")
            ));
        }
    }
    // Marks and copies first, for every filter that matches; then the moves, of which the
    // first that matches wins (`stop`), so a message is never filed twice.
    let pass = |f: &&Filter| match f.action {
        FilterAction::Read => 0,
        FilterAction::Forward(_) => 1,
        FilterAction::Move(_) | FilterAction::Trash => 2,
    };
    let mut ordered: Vec<&Filter> = rules.filters.iter().collect();
    ordered.sort_by_key(pass);
    for f in ordered {
        let test = match f.field {
            FilterField::From => format!("header :contains \"from\" {}", quoted(&f.contains)),
            FilterField::To => format!("header :contains [\"to\", \"cc\"] {}", quoted(&f.contains)),
            FilterField::Subject => {
                format!("header :contains \"subject\" {}", quoted(&f.contains))
            }
        };
        let action = match &f.action {
            FilterAction::Move(id) => format!(
                "fileinto :mailboxid {} {}; stop;",
                quoted(id),
                quoted(&folder_name(id).unwrap_or_else(|| "INBOX".into()))
            ),
            FilterAction::Read => "addflag \"\\\\Seen\";".to_string(),
            FilterAction::Forward(to) => format!("redirect :copy {};", quoted(to)),
            FilterAction::Trash => {
                "fileinto :specialuse \"\\\\Trash\" \"Deleted Items\"; stop;".into()
            }
        };
        out.push_str(&format!("if {test} {{\r\n    {action}\r\n}}\r\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MailRules {
        MailRules {
            vacation: Vacation {
                on: true,
                first_day: "2026-12-20".into(),
                last_day: "2027-01-06".into(),
                subject: "Away \"till\" January".into(),
                text: "Back on the 7th.\nUrgent: call \\ the office.".into(),
            },
            filters: vec![
                Filter {
                    field: FilterField::Subject,
                    contains: "Fattura \"12\"".into(),
                    action: FilterAction::Move("b".into()),
                },
                Filter {
                    field: FilterField::From,
                    contains: "news".into(),
                    action: FilterAction::Read,
                },
                Filter {
                    field: FilterField::To,
                    contains: "sales@".into(),
                    action: FilterAction::Forward("boss@acme.it".into()),
                },
                Filter {
                    field: FilterField::Subject,
                    contains: "lottery".into(),
                    action: FilterAction::Trash,
                },
            ],
        }
    }

    #[test]
    fn rules_become_a_script_and_come_back_from_it() {
        let rules = sample();
        let script = script_of(&rules, |id| (id == "b").then(|| "Fatture".to_string()));
        assert_eq!(settings_of(&script), Some(rules));
        assert!(script.contains(
            "if allof (currentdate :value \"ge\" \"date\" \"2026-12-20\", currentdate :value \"le\" \"date\" \"2027-01-06\")"
        ));
        assert!(
            script.contains(":subject \"Away \\\"till\\\" January\""),
            "{script}"
        );
        assert!(
            script.contains("\"Back on the 7th.\r\nUrgent: call \\\\ the office.\""),
            "{script}"
        );
        assert!(script.contains(
            "if header :contains \"subject\" \"Fattura \\\"12\\\"\" {\r\n    fileinto :mailboxid \"b\" \"Fatture\"; stop;"
        ));
        assert!(script.contains("addflag \"\\\\Seen\";"));
        assert!(script.contains("redirect :copy \"boss@acme.it\";"));
        assert!(script.contains("fileinto :specialuse \"\\\\Trash\""));
        // The settings line is one line whatever the text holds.
        assert_eq!(
            script
                .lines()
                .filter(|l| l.starts_with(SETTINGS_LINE))
                .count(),
            1
        );
    }

    #[test]
    fn days_are_checked() {
        assert_eq!(day("d", "").unwrap(), None);
        assert_eq!(
            day("d", "2028-02-29").unwrap().as_deref(),
            Some("2028-02-29")
        );
        for bad in [
            "2027-02-29",
            "2026-13-01",
            "26-12-01",
            "2026-12-1",
            "tomorrow",
        ] {
            assert!(day("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_script_not_written_by_casella_has_no_settings() {
        assert_eq!(settings_of("require \"fileinto\";\r\nkeep;"), None);
        assert_eq!(settings_of("# casella-rules: {not json"), None);
    }
}

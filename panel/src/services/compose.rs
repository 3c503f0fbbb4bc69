// SPDX-License-Identifier: AGPL-3.0-only
//! Writing mail in the webmail: a new message, a reply (to the sender or to all), a forward,
//! or a draft taken up again; kept as a draft, and sent through the engine as the mailbox.
//! What was typed is never lost: a message is saved as a draft before it is sent, and stays
//! one when no recipient could be reached.

use app::i18n::Text;
use engine_glue::{Address, Draft, DraftPart, GlueError, Message, Sent};

use super::{
    ServiceError,
    webmail::{MailScope, plain_id},
};

mod quote;

pub use quote::signed;
use quote::{forwarded, prefixed, quoted, typed};

/// Recipients of one message at most (To, Cc and Bcc together), as the engine's SMTP
/// session takes them.
pub const MAX_RECIPIENTS: usize = 100;
/// The longest subject, in characters.
const MAX_SUBJECT: usize = 500;
/// The longest text, in bytes.
const MAX_TEXT: usize = 5 * 1024 * 1024;
/// Files attached to one message at most.
pub const MAX_ATTACHMENTS: usize = 50;
/// The most one message's attached files may weigh together, in bytes (as one file may):
/// what mail servers commonly take, once encoded for the way.
pub const MAX_ATTACHED_BYTES: u64 = 25 * 1024 * 1024;
/// The longest file name kept, in characters.
const MAX_FILE_NAME: usize = 200;

/// A message as the compose form holds it: recipients as typed, comma separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Composed {
    /// The draft this is a later version of, if any.
    pub draft: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub text: String,
    /// The text formatted in the editor (HTML, made safe before it is kept); empty for a
    /// plain message.
    pub html: String,
    /// The message this answers or forwards, if any.
    pub origin: String,
    /// `reply` or `forward` when `origin` is set.
    pub origin_kind: String,
    /// The files attached: uploaded, kept from the draft, or parts of a forwarded message.
    pub attachments: Vec<DraftPart>,
}

/// How a message is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start<'a> {
    New,
    Reply(&'a str),
    ReplyAll(&'a str),
    Forward(&'a str),
    /// A forward with the original attached whole (as a `.eml` file), not quoted.
    ForwardAttached(&'a str),
    Draft(&'a str),
}

impl MailScope {
    /// The addresses the mailbox sends from: its own first, then its aliases.
    pub fn sender_addresses(&self) -> Vec<String> {
        self.access().addresses()
    }

    /// A message to start writing: empty, a reply or forward filled in from the message
    /// answered, or a saved draft as it was left. `NotFound` for a message the mailbox does
    /// not have.
    pub async fn start(&self, start: Start<'_>) -> Result<Composed, ServiceError> {
        let own = self.sender_addresses();
        let mut out = Composed {
            from: own.first().cloned().unwrap_or_default(),
            ..Composed::default()
        };
        let original = match start {
            Start::New => {
                self.sign(&mut out).await?;
                return Ok(out);
            }
            Start::Reply(id)
            | Start::ReplyAll(id)
            | Start::Forward(id)
            | Start::ForwardAttached(id)
            | Start::Draft(id) => {
                if !plain_id(id) {
                    return Err(ServiceError::NotFound);
                }
                self.message(id).await?
            }
        };
        // Answer from the address the message came to, when it is one of the mailbox's.
        let addressed_to = original
            .to
            .iter()
            .chain(&original.cc)
            .map(|a| a.email.to_lowercase())
            .find(|e| own.contains(e));
        let subject = original.summary.subject.trim().to_string();
        match start {
            Start::New => {}
            Start::Draft(_) => {
                out.draft = original.summary.id.clone();
                if let Some(from) = original.summary.from.first() {
                    out.from = from.email.to_lowercase();
                }
                out.to = typed(&original.to);
                out.cc = typed(&original.cc);
                out.bcc = typed(&original.bcc);
                out.subject = subject;
                out.text = original.text.clone().unwrap_or_default();
                out.html = original
                    .html
                    .as_deref()
                    .map(crate::mail_html::written_body)
                    .unwrap_or_default();
                out.attachments = files_of(&original);
                return Ok(out);
            }
            Start::Reply(_) | Start::ReplyAll(_) => {
                let to = if original.reply_to.is_empty() {
                    &original.summary.from
                } else {
                    &original.reply_to
                };
                let mut seen: Vec<String> = to.iter().map(|a| a.email.to_lowercase()).collect();
                out.to = typed(to);
                if matches!(start, Start::ReplyAll(_)) {
                    let others: Vec<Address> = original
                        .to
                        .iter()
                        .chain(&original.cc)
                        .filter(|a| {
                            let e = a.email.to_lowercase();
                            let fresh = !own.contains(&e) && !seen.contains(&e);
                            seen.push(e);
                            fresh
                        })
                        .cloned()
                        .collect();
                    out.cc = typed(&others);
                }
                out.subject = prefixed("Re:", &subject);
                out.text = format!("\n\n{}", quoted(&original));
                out.origin_kind = "reply".into();
            }
            Start::Forward(_) => {
                out.subject = prefixed("Fwd:", &subject);
                out.text = format!("\n\n{}", forwarded(&original));
                out.origin_kind = "forward".into();
                out.attachments = files_of(&original);
            }
            Start::ForwardAttached(_) => {
                out.subject = prefixed("Fwd:", &subject);
                out.origin_kind = "forward".into();
                let name = if subject.is_empty() {
                    "message"
                } else {
                    &subject
                };
                out.attachments = vec![DraftPart {
                    blob_id: original.blob_id.clone(),
                    name: format!("{}.eml", file_name(name)),
                    media_type: "message/rfc822".into(),
                    size: original.summary.size,
                }];
            }
        }
        out.origin = original.summary.id.clone();
        if let Some(from) = addressed_to {
            out.from = from;
        }
        self.sign(&mut out).await?;
        Ok(out)
    }

    /// Puts the signature of the sender address above what the message quotes, as the
    /// mail programs of an office do; a new message gets it at its end.
    async fn sign(&self, out: &mut Composed) -> Result<(), ServiceError> {
        let signature = self
            .identity_of(&out.from)
            .await?
            .map(|i| i.signature)
            .unwrap_or_default();
        out.text = signed(&out.text, &signature);
        Ok(())
    }

    /// Keeps what was written as a draft (replacing its earlier version); the draft's id.
    pub async fn save_draft(&self, composed: &Composed) -> Result<String, ServiceError> {
        let draft = self.checked(composed, false).await?;
        self.keep(composed, &draft).await
    }

    /// Sends what was written: kept as a draft first, then given to the engine. The draft's
    /// id (the copy in Sent once any recipient was taken) and, once it was kept, what the
    /// engine said to each recipient, or why it sent nothing; the draft then stays in Drafts.
    /// An error means nothing was kept (a field to correct).
    pub async fn send(
        &self,
        composed: &Composed,
    ) -> Result<(String, Result<Sent, Text>), ServiceError> {
        let draft = self.checked(composed, true).await?;
        let id = self.keep(composed, &draft).await?;
        let sent = match self.access().send_draft(&id).await {
            Ok(sent) => sent,
            Err(GlueError::Refused { kind, reason }) if kind == "forbiddenFrom" => {
                tracing::warn!(%reason, "the engine refused a webmail sender");
                let problem = Text::new(
                    "The mail server does not let this mailbox send from that address.",
                    "Il server di posta non consente a questa casella di inviare da quell'indirizzo.",
                );
                return Ok((id, Err(problem)));
            }
            Err(GlueError::Refused { reason, .. }) => {
                let problem = Text::new(
                    format!("The mail server refused the message: {reason}"),
                    format!("Il server di posta ha rifiutato il messaggio: {reason}"),
                );
                return Ok((id, Err(problem)));
            }
            Err(GlueError::NotFound { .. }) => return Err(ServiceError::NotFound),
            Err(other) => return Err(ServiceError::Engine(other)),
        };
        if sent.went() && plain_id(&composed.origin) {
            let keyword = match composed.origin_kind.as_str() {
                "reply" => Some("$answered"),
                "forward" => Some("$forwarded"),
                _ => None,
            };
            if let Some(keyword) = keyword {
                // The original may have been deleted meanwhile: that is no reason to fail.
                let marked = self
                    .access()
                    .change_messages(
                        std::slice::from_ref(&composed.origin),
                        engine_glue::MessageChange::Keyword { keyword, on: true },
                    )
                    .await;
                match marked {
                    Ok(_) | Err(GlueError::NotFound { .. }) => {}
                    Err(err) => {
                        tracing::warn!(%err, "the answered or forwarded message was not marked");
                    }
                }
            }
        }
        Ok((id, Ok(sent)))
    }

    /// Throws a draft away for good.
    pub async fn discard_draft(&self, id: &str) -> Result<(), ServiceError> {
        if !plain_id(id) {
            return Err(ServiceError::NotFound);
        }
        self.access()
            .discard_draft(id)
            .await
            .map_err(|err| match err {
                GlueError::NotFound { .. } => ServiceError::NotFound,
                other => ServiceError::Engine(other),
            })
    }

    /// Saves the draft, replacing the earlier version named in the form.
    async fn keep(&self, composed: &Composed, draft: &Draft) -> Result<String, ServiceError> {
        let replaces = match composed.draft.trim() {
            "" => None,
            id if plain_id(id) => Some(id),
            _ => return Err(ServiceError::NotFound),
        };
        self.access()
            .save_draft(draft, replaces)
            .await
            .map_err(|err| match err {
                GlueError::NotFound { .. } => ServiceError::NotFound,
                // An upload the engine let go of, or a file that is not this mailbox's.
                GlueError::Refused { kind, .. } if kind == "blobNotFound" => gone_file(),
                GlueError::Refused { reason, .. } => ServiceError::invalid(
                    "send",
                    Text::new(
                        format!("The draft could not be saved: {reason}."),
                        format!("Non è stato possibile salvare la bozza: {reason}."),
                    ),
                ),
                other => ServiceError::Engine(other),
            })
    }

    /// The form as a draft, each field checked; recipients are required only to send.
    async fn checked(&self, c: &Composed, sending: bool) -> Result<Draft, ServiceError> {
        let from = c.from.trim().to_lowercase();
        if !self.sender_addresses().contains(&from) {
            return Err(wrong_sender());
        }
        let to = recipients("to", &c.to)?;
        let cc = recipients("cc", &c.cc)?;
        let bcc = recipients("bcc", &c.bcc)?;
        let count = to.len() + cc.len() + bcc.len();
        if sending && count == 0 {
            return Err(ServiceError::invalid(
                "to",
                Text::new(
                    "Enter at least one recipient.",
                    "Inserisci almeno un destinatario.",
                ),
            ));
        }
        if count > MAX_RECIPIENTS {
            return Err(ServiceError::invalid(
                "to",
                Text::new(
                    format!("Too many recipients: {MAX_RECIPIENTS} at most in one message."),
                    format!("Troppi destinatari: al massimo {MAX_RECIPIENTS} per messaggio."),
                ),
            ));
        }
        let subject: String = c
            .subject
            .chars()
            .map(|ch| if ch.is_control() { ' ' } else { ch })
            .collect();
        if subject.chars().count() > MAX_SUBJECT {
            return Err(ServiceError::invalid(
                "subject",
                Text::new(
                    "The subject is too long (500 characters at most).",
                    "L'oggetto è troppo lungo (al massimo 500 caratteri).",
                ),
            ));
        }
        if c.text.len() > MAX_TEXT || c.html.len() > MAX_TEXT {
            return Err(ServiceError::invalid(
                "text",
                Text::new(
                    "The text is too long (5 MB at most).",
                    "Il testo è troppo lungo (al massimo 5 MB).",
                ),
            ));
        }
        let (in_reply_to, references) = self.thread_of(c).await;
        // The name recipients see is the one set for this address, else the mailbox's.
        let name = self
            .identity_of(&from)
            .await?
            .map(|i| i.name.trim().to_string())
            .filter(|n| !n.is_empty())
            .or_else(|| self.access().display_name());
        Ok(Draft {
            from: Address { name, email: from },
            to,
            cc,
            bcc,
            subject: subject.trim().to_string(),
            // Browsers post CR LF; the engine writes the line ends itself.
            text: c.text.replace("\r\n", "\n"),
            html: Some(crate::mail_html::written(&c.html)).filter(|h| !h.is_empty()),
            in_reply_to,
            references,
            attachments: attached(&c.attachments)?,
        })
    }

    /// Keeps a file for a message being written (an attachment uploaded): the engine holds
    /// it until a draft uses it. Refused when empty or too big.
    pub async fn upload(
        &self,
        name: &str,
        media_type: &str,
        data: &[u8],
    ) -> Result<DraftPart, ServiceError> {
        if data.is_empty() {
            return Err(ServiceError::invalid(
                "attachments",
                Text::new("The file is empty.", "Il file è vuoto."),
            ));
        }
        let size = data.len() as u64;
        if size > MAX_ATTACHED_BYTES {
            return Err(too_heavy());
        }
        let media_type = media_type_or_default(media_type);
        let blob_id = self
            .access()
            .upload(&media_type, data)
            .await
            .map_err(|err| match err {
                GlueError::Refused { reason, .. } => ServiceError::invalid(
                    "attachments",
                    Text::new(
                        format!("The mail server did not take the file: {reason}."),
                        format!("Il server di posta non ha accettato il file: {reason}."),
                    ),
                ),
                other => ServiceError::Engine(other),
            })?;
        Ok(DraftPart {
            blob_id,
            name: file_name(name),
            media_type,
            size,
        })
    }

    /// The threading headers for a reply: the answered message's id, after its own
    /// references. A forward starts a thread of its own.
    async fn thread_of(&self, c: &Composed) -> (Option<String>, Vec<String>) {
        if c.origin_kind != "reply" || !plain_id(&c.origin) {
            return (None, Vec::new());
        }
        match self.message(&c.origin).await {
            Ok(Message {
                message_id: Some(parent),
                mut references,
                ..
            }) => {
                references.push(parent.clone());
                (Some(parent), references)
            }
            _ => (None, Vec::new()),
        }
    }
}

/// The files of a form, each checked: a plain blob id, a file name without path or control
/// characters, a media type of the form `type/subtype`. Whether the mailbox may use the blob
/// is the engine's to say when the draft is saved.
fn attached(files: &[DraftPart]) -> Result<Vec<DraftPart>, ServiceError> {
    if files.len() > MAX_ATTACHMENTS {
        return Err(ServiceError::invalid(
            "attachments",
            Text::new(
                format!("Too many files: {MAX_ATTACHMENTS} at most in one message."),
                format!("Troppi file: al massimo {MAX_ATTACHMENTS} per messaggio."),
            ),
        ));
    }
    let mut out: Vec<DraftPart> = Vec::with_capacity(files.len());
    for f in files {
        if !plain_id(&f.blob_id) {
            return Err(gone_file());
        }
        // The same file twice (a double click) is attached once.
        if out.iter().any(|o| o.blob_id == f.blob_id) {
            continue;
        }
        out.push(DraftPart {
            blob_id: f.blob_id.clone(),
            name: file_name(&f.name),
            media_type: media_type_or_default(&f.media_type),
            size: f.size,
        });
    }
    if out.iter().map(|f| f.size).sum::<u64>() > MAX_ATTACHED_BYTES {
        return Err(too_heavy());
    }
    Ok(out)
}

/// The files a message carries, to keep attached (a draft taken up, a forward): the ones
/// with a name, or not shown inside the text.
fn files_of(m: &Message) -> Vec<DraftPart> {
    m.attachments
        .iter()
        .filter(|a| plain_id(&a.blob_id) && (a.name.is_some() || !a.inline))
        .take(MAX_ATTACHMENTS)
        .map(|a| DraftPart {
            blob_id: a.blob_id.clone(),
            name: file_name(a.name.as_deref().unwrap_or("attachment")),
            media_type: media_type_or_default(&a.media_type),
            size: a.size,
        })
        .collect()
}

/// A file name as it goes into a message: no path, quotes or control characters, at most
/// [`MAX_FILE_NAME`] characters; `attachment` when nothing is left.
pub fn file_name(name: &str) -> String {
    // Browsers of old sent the whole path.
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base
        .chars()
        .map(|c| match c {
            '"' | ':' | '*' | '?' | '<' | '>' | '|' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .take(MAX_FILE_NAME)
        .collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    if clean.is_empty() {
        "attachment".to_string()
    } else {
        clean.to_string()
    }
}

/// `type/subtype` (lowercase, token characters only), or `application/octet-stream`.
fn media_type_or_default(given: &str) -> String {
    let essence = given
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let token = |t: &str| {
        !t.is_empty()
            && t.len() <= 100
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => essence,
        _ => "application/octet-stream".to_string(),
    }
}

fn too_heavy() -> ServiceError {
    ServiceError::invalid(
        "attachments",
        Text::new(
            "The attached files are too big: 25 MB at most in one message.",
            "I file allegati sono troppo grandi: al massimo 25 MB per messaggio.",
        ),
    )
}

fn gone_file() -> ServiceError {
    ServiceError::invalid(
        "attachments",
        Text::new(
            "An attached file is no longer available: remove it and attach it again.",
            "Un file allegato non è più disponibile: rimuovilo e allegalo di nuovo.",
        ),
    )
}

fn wrong_sender() -> ServiceError {
    ServiceError::invalid(
        "from",
        Text::new(
            "Send from one of this mailbox's own addresses.",
            "Invia da uno degli indirizzi di questa casella.",
        ),
    )
}

/// Recipients as typed (`Name <a@b.it>, c@d.it; …`), each checked; the bad one named on the
/// form's field.
pub fn recipients(field: &'static str, typed: &str) -> Result<Vec<Address>, ServiceError> {
    let mut out: Vec<Address> = Vec::new();
    for piece in split_recipients(typed) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let (name, email) = match (piece.rfind('<'), piece.ends_with('>')) {
            (Some(open), true) => {
                let name = piece[..open].trim().trim_matches('"').trim();
                let email = piece[open + 1..piece.len() - 1].trim();
                ((!name.is_empty()).then(|| name.to_string()), email)
            }
            _ => (None, piece),
        };
        if !plausible_address(email) {
            return Err(ServiceError::invalid(
                field,
                Text::new(
                    format!("“{piece}” is not an e-mail address."),
                    format!("«{piece}» non è un indirizzo e-mail."),
                ),
            ));
        }
        let email = email.to_string();
        if !out.iter().any(|a| a.email.eq_ignore_ascii_case(&email)) {
            out.push(Address { name, email });
        }
    }
    Ok(out)
}

/// Splits at commas and semicolons outside quotes and angle brackets.
fn split_recipients(typed: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut quoted, mut angled, mut start) = (false, false, 0);
    for (i, ch) in typed.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            ',' | ';' | '\n' if !quoted && !angled => {
                pieces.push(&typed[start..i]);
                start = i + ch.len_utf8();
            }
            _ => {}
        }
    }
    pieces.push(&typed[start..]);
    pieces
}

/// An address that can go into an SMTP envelope: `local@domain`, the domain made of labels
/// (letters, digits, hyphens; international names allowed) with at least one dot, nothing
/// that would need quoting.
pub fn plausible_address(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii());
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::{
        file_name, media_type_or_default, plausible_address, prefixed, quote::readable_time,
        recipients, signed,
    };

    #[test]
    fn attached_file_names_and_types() {
        assert_eq!(
            file_name("C:\\Users\\anna\\Fattura 12.pdf"),
            "Fattura 12.pdf"
        );
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("a\"b\r\nX: y.txt"), "a_b  X_ y.txt");
        assert_eq!(file_name(".."), "attachment");
        assert_eq!(media_type_or_default("Image/PNG"), "image/png");
        assert_eq!(
            media_type_or_default("text/plain; charset=utf-8"),
            "text/plain"
        );
        assert_eq!(
            media_type_or_default("text/plain\r\nX: y"),
            "application/octet-stream"
        );
        assert_eq!(media_type_or_default(""), "application/octet-stream");
    }

    #[test]
    fn times_in_quotes() {
        assert_eq!(
            readable_time("2026-12-03T14:05:09Z"),
            "2026-12-03 14:05 UTC"
        );
        assert_eq!(readable_time("yesterday"), "yesterday");
    }

    #[test]
    fn recipients_as_people_type_them() {
        let list = recipients(
            "to",
            "Anna Rossi <anna@acme.it>, bob@acme.it; \"Verdi, Carla\" <carla@esempio.test>\n",
        )
        .unwrap();
        let emails: Vec<&str> = list.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(
            emails,
            ["anna@acme.it", "bob@acme.it", "carla@esempio.test"]
        );
        assert_eq!(list[0].name.as_deref(), Some("Anna Rossi"));
        assert_eq!(list[2].name.as_deref(), Some("Verdi, Carla"));
        assert!(recipients("to", " , ").unwrap().is_empty());
        assert_eq!(
            recipients("to", "a@x.it, A@X.IT").unwrap().len(),
            1,
            "the same address twice is one recipient"
        );
        for bad in [
            "anna",
            "anna@",
            "@acme.it",
            "anna@acme",
            "a b@acme.it",
            "a@acme..it",
        ] {
            assert!(recipients("cc", bad).is_err(), "{bad} should be refused");
        }
        assert!(plausible_address("mario.rossi+fatture@città.it"));
        assert!(!plausible_address("x@-bad.it"));
        assert!(!plausible_address("x@a.it\r\nRCPT TO:<y@b.it>"));
    }

    #[test]
    fn signatures_sit_between_the_new_text_and_the_quote() {
        assert_eq!(signed("", ""), "");
        assert_eq!(signed("", "Ada\n"), "\n\n-- \nAda");
        assert_eq!(signed("\n\n> hi", ""), "\n\n> hi");
        assert_eq!(signed("\n\n> hi", "Ada"), "\n\n-- \nAda\n\n> hi");
    }

    #[test]
    fn reply_and_forward_subjects() {
        assert_eq!(prefixed("Re:", "Offerta"), "Re: Offerta");
        assert_eq!(prefixed("Re:", "RE: Offerta"), "RE: Offerta");
        assert_eq!(prefixed("Re:", "R: Offerta"), "R: Offerta");
        assert_eq!(prefixed("Fwd:", "I: Offerta"), "I: Offerta");
        assert_eq!(prefixed("Fwd:", "Re: Offerta"), "Fwd: Re: Offerta");
        assert_eq!(prefixed("Re:", ""), "Re:");
    }
}

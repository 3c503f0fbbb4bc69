// SPDX-License-Identifier: AGPL-3.0-only
//! A kept message (a Time Machine day's, an archive's) read from its own bytes: the engine
//! may no longer have it, so it is parsed here, for the same reader the webmail has.

use mail_parser::{Address, MessageParser, MimeHeaders, PartType};

/// The most of one body part read for showing, in bytes (as the webmail); a longer part is
/// cut and says so.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// A kept message, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadCopy {
    /// Recipients, as `Name <address>` or the bare address.
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub reply_to: Vec<String>,
    /// Its Date header (RFC 3339), when it has one.
    pub sent_at: Option<String>,
    pub message_id: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub truncated: bool,
    pub attachments: Vec<KeptPart>,
}

/// An attachment or inline part of a kept message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPart {
    /// Its place among the message's attachments (mail-parser's numbering), to fetch it.
    pub index: u32,
    pub name: String,
    /// `type/subtype`, lowercase.
    pub media_type: String,
    pub size: u64,
    /// The Content-ID an HTML body refers to it by, without brackets.
    pub content_id: Option<String>,
}

fn people(list: Option<&Address<'_>>) -> Vec<String> {
    list.map(|a| {
        a.iter()
            .filter_map(|addr| {
                let email = addr.address()?;
                Some(match addr.name().map(str::trim).filter(|n| !n.is_empty()) {
                    Some(name) => format!("{name} <{email}>"),
                    None => email.to_string(),
                })
            })
            .collect()
    })
    .unwrap_or_default()
}

fn media_type(part: &mail_parser::MessagePart<'_>) -> String {
    part.content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .unwrap_or_else(|| "application/octet-stream".into())
        .to_ascii_lowercase()
}

/// At most [`MAX_BODY`] bytes of `text`, cut on a character boundary; whether it was cut.
fn capped(text: &str) -> (String, bool) {
    if text.len() <= MAX_BODY {
        return (text.to_string(), false);
    }
    let mut cut = MAX_BODY;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    (text[..cut].to_string(), true)
}

/// Reads a kept message; `None` when the bytes are no message at all.
pub fn read(bytes: &[u8]) -> Option<ReadCopy> {
    let message = MessageParser::default().parse(bytes)?;
    let mut copy = ReadCopy {
        to: people(message.to()),
        cc: people(message.cc()),
        reply_to: people(message.reply_to()),
        sent_at: message.date().map(|d| d.to_rfc3339()),
        message_id: message.message_id().map(str::to_string),
        ..ReadCopy::default()
    };
    if let Some(PartType::Text(text)) = message.text_part(0).map(|p| &p.body) {
        let (text, cut) = capped(text);
        copy.text = Some(text);
        copy.truncated |= cut;
    }
    if let Some(PartType::Html(html)) = message.html_part(0).map(|p| &p.body) {
        let (html, cut) = capped(html);
        copy.html = Some(html);
        copy.truncated |= cut;
    }
    copy.attachments = message
        .attachments()
        .enumerate()
        .filter(|(_, part)| !matches!(part.body, PartType::Multipart(_)))
        .map(|(index, part)| KeptPart {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            name: part.attachment_name().unwrap_or_default().to_string(),
            media_type: media_type(part),
            size: part.contents().len() as u64,
            content_id: part
                .content_id()
                .map(|id| id.trim_matches(['<', '>']).to_string()),
        })
        .collect();
    Some(copy)
}

/// What an archive lists and indexes of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The From header, as `Name <address>` or the bare address.
    pub sender: String,
    /// The To and Cc addresses (an imported message has no envelope).
    pub recipients: Vec<String>,
    pub subject: String,
    pub message_id: String,
    /// The start of its text, on one line.
    pub preview: String,
    /// Its text for the search index (HTML as text), at most [`MAX_INDEXED`] bytes, and the
    /// names of its attachments.
    pub text: String,
    pub has_attachment: bool,
}

/// The most of a message's text the search index takes, in bytes.
pub const MAX_INDEXED: usize = 256 * 1024;

const PREVIEW_CHARS: usize = 200;

/// Reads what an archive lists of a message; bytes that are no message give an empty one.
pub fn summary(bytes: &[u8]) -> Summary {
    let Some(message) = MessageParser::default().parse(bytes) else {
        return Summary::default();
    };
    let body = message.body_text(0).unwrap_or_default();
    let preview: String = body
        .split_whitespace()
        .flat_map(|word| [" ", word])
        .skip(1)
        .collect::<String>()
        .chars()
        .take(PREVIEW_CHARS)
        .collect();
    let mut text = String::with_capacity(body.len().min(MAX_INDEXED) + 64);
    for ch in body.chars() {
        if text.len() + ch.len_utf8() > MAX_INDEXED {
            break;
        }
        text.push(ch);
    }
    let mut has_attachment = false;
    for part in message.attachments() {
        if matches!(part.body, PartType::Multipart(_)) {
            continue;
        }
        has_attachment = true;
        if let Some(name) = part.attachment_name() {
            text.push('\n');
            text.push_str(name);
        }
    }
    let recipients = [message.to(), message.cc()]
        .into_iter()
        .flatten()
        .flat_map(|list| list.iter())
        .filter_map(|addr| addr.address().map(str::to_string))
        .collect();
    Summary {
        sender: people(message.from()).join(", "),
        recipients,
        subject: message.subject().unwrap_or_default().to_string(),
        message_id: message.message_id().unwrap_or_default().to_string(),
        preview,
        text,
        has_attachment,
    }
}

/// One attachment of a kept message: its name, media type and bytes (a nested message as
/// it was written).
pub fn part(bytes: &[u8], index: u32) -> Option<(String, String, Vec<u8>)> {
    let message = MessageParser::default().parse(bytes)?;
    let part = message.attachment(index)?;
    let data = match &part.body {
        PartType::Message(nested) => nested.raw_message().to_vec(),
        PartType::Multipart(_) => return None,
        _ => part.contents().to_vec(),
    };
    Some((
        part.attachment_name().unwrap_or_default().to_string(),
        media_type(part),
        data,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_has_what_the_archive_lists_and_searches() {
        let summary = summary(MIXED);
        assert_eq!(summary.sender, "Anna <anna@example.test>");
        assert_eq!(summary.subject, "report");
        assert_eq!(summary.message_id, "r1@example.test");
        assert!(!summary.preview.contains('\n'));
        assert!(summary.has_attachment);
        assert_eq!(summary.recipients, ["bob@demo.test", "carla@demo.test"]);
        assert_eq!(super::summary(b"\xff\xfe"), Summary::default());
    }

    const MIXED: &[u8] = b"From: Anna <anna@example.test>\r\n\
To: Bruno Bianchi <bob@demo.test>, carla@demo.test\r\n\
Subject: report\r\n\
Date: Tue, 03 Mar 2026 09:15:00 +0100\r\n\
Message-ID: <r1@example.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: multipart/alternative; boundary=\"a\"\r\n\
\r\n\
--a\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
See the figures.\r\n\
--a\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>See the <b>figures</b>.</p>\r\n\
--a--\r\n\
--b\r\n\
Content-Type: text/csv; name=\"figures.csv\"\r\n\
Content-Disposition: attachment; filename=\"figures.csv\"\r\n\
\r\n\
a,b\r\n1,2\r\n\
--b--\r\n";

    #[test]
    fn a_kept_message_reads_as_the_webmail_shows_it() {
        let copy = read(MIXED).unwrap();
        assert_eq!(
            copy.to,
            ["Bruno Bianchi <bob@demo.test>", "carla@demo.test"]
        );
        assert_eq!(copy.message_id.as_deref(), Some("r1@example.test"));
        assert_eq!(copy.sent_at.as_deref(), Some("2026-03-03T09:15:00+01:00"));
        assert_eq!(
            copy.text.as_deref().map(str::trim),
            Some("See the figures.")
        );
        assert!(copy.html.as_deref().unwrap().contains("<b>figures</b>"));
        assert!(!copy.truncated);
        assert_eq!(copy.attachments.len(), 1);
        let csv = &copy.attachments[0];
        assert_eq!(
            (csv.name.as_str(), csv.media_type.as_str()),
            ("figures.csv", "text/csv")
        );
        let (name, media_type, data) = part(MIXED, csv.index).unwrap();
        assert_eq!(
            (name.as_str(), media_type.as_str()),
            ("figures.csv", "text/csv")
        );
        assert_eq!(data, b"a,b\r\n1,2");
        assert!(part(MIXED, 7).is_none());
    }

    #[test]
    fn a_plain_message_has_no_html() {
        let copy = read(b"Subject: hi\r\n\r\nhello\r\n").unwrap();
        assert_eq!(copy.text.as_deref().map(str::trim), Some("hello"));
        assert_eq!(copy.html, None);
        assert!(copy.attachments.is_empty());
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! The text a message starts with: the recipients as the form shows them, `Re:` and `Fwd:`
//! subjects, the original quoted under who wrote it, a forward's header block, and the
//! signature between what one writes and what one quotes.

use engine_glue::{Address, Message};

/// Addresses as the form shows them.
pub(super) fn typed(list: &[Address]) -> String {
    list.iter()
        .map(
            |a| match a.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(name) if name.contains([',', ';', '"', '<', '>']) => {
                    format!("\"{}\" <{}>", name.replace('"', "'"), a.email)
                }
                Some(name) => format!("{name} <{}>", a.email),
                None => a.email.clone(),
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

/// A message's starting text with a signature: an empty line to write on, then the
/// signature under its `-- ` line (RFC 3676), then what the message quotes, if anything.
pub fn signed(quoted: &str, signature: &str) -> String {
    let signature = signature.trim_end();
    let quoted = quoted.trim_start_matches('\n');
    match (signature.is_empty(), quoted.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!("\n\n{quoted}"),
        (false, true) => format!("\n\n-- \n{signature}"),
        (false, false) => format!("\n\n-- \n{signature}\n\n{quoted}"),
    }
}

/// `Re: subject` (or `Fwd: subject`), unless the subject already starts with a prefix of
/// the same kind, as mail programs write them in English or Italian.
pub(super) fn prefixed(prefix: &str, subject: &str) -> String {
    let lower = subject.to_lowercase();
    let same_kind: &[&str] = if prefix == "Re:" {
        &["re:", "r:"]
    } else {
        &["fwd:", "fw:", "i:"]
    };
    if same_kind.iter().any(|k| lower.starts_with(k)) {
        subject.to_string()
    } else if subject.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix} {subject}")
    }
}

/// Who wrote, as a reply's first line and a forward's header.
fn sender(m: &Message) -> String {
    typed(&m.summary.from)
}

/// The original's text, quoted line by line under who wrote it and when.
pub(super) fn quoted(m: &Message) -> String {
    let when = m
        .summary
        .sent_at
        .as_deref()
        .unwrap_or(&m.summary.received_at);
    let text = original_text(m);
    let body: String = text
        .lines()
        .map(|l| {
            if l.starts_with('>') {
                format!(">{l}\n")
            } else {
                format!("> {l}\n")
            }
        })
        .collect();
    format!("{}, {}:\n{body}", readable_time(when), sender(m))
}

/// An RFC 3339 time as `2026-12-03 14:05 UTC` (as given when it is not one).
pub(super) fn readable_time(when: &str) -> String {
    match (when.get(..10), when.get(11..16)) {
        (Some(day), Some(time)) if when.as_bytes().get(10) == Some(&b'T') => {
            let zone = if when.ends_with('Z') { " UTC" } else { "" };
            format!("{day} {time}{zone}")
        }
        _ => when.to_string(),
    }
}

/// The original under a forward's header block.
pub(super) fn forwarded(m: &Message) -> String {
    let mut out = String::from("-------- Forwarded message / Messaggio inoltrato --------\n");
    out.push_str(&format!("From: {}\n", sender(m)));
    if let Some(date) = m.summary.sent_at.as_deref() {
        out.push_str(&format!("Date: {}\n", readable_time(date)));
    }
    out.push_str(&format!("Subject: {}\n", m.summary.subject));
    if !m.to.is_empty() {
        out.push_str(&format!("To: {}\n", typed(&m.to)));
    }
    if !m.cc.is_empty() {
        out.push_str(&format!("Cc: {}\n", typed(&m.cc)));
    }
    out.push('\n');
    out.push_str(&original_text(m));
    out
}

/// The original's plain text, or its HTML reduced to text.
fn original_text(m: &Message) -> String {
    match (&m.text, &m.html) {
        (Some(text), _) => text.trim_end().to_string(),
        (None, Some(html)) => crate::mail_html::to_text(html),
        (None, None) => m.summary.preview.clone(),
    }
}

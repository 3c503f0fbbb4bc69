// SPDX-License-Identifier: AGPL-3.0-only
//! A plain-text message as the reader shows it: web and mail addresses made into links, and
//! quoted stretches (lines starting with `>`) folded away under a line that opens them, as
//! `<details>`, so folding works without JavaScript. Everything is text to Leptos, so
//! nothing in a message becomes markup.

use leptos::prelude::*;

use crate::i18n::tr;

/// A stretch of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// The writer's own lines.
    Text(Vec<Piece>),
    /// Quoted lines, kept as they are (with their `>`).
    Quote(Vec<Piece>),
}

/// A run of text or a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Plain(String),
    /// Where it goes (`http`, `https` or `mailto` only) and what it shows.
    Link(String, String),
}

/// Quoted stretches shorter than this stay open: folding two lines hides nothing.
const FOLD_FROM_LINES: usize = 3;

/// The message cut into the writer's text and the quoted stretches.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut own = String::new();
    let mut quoted: Vec<&str> = Vec::new();
    let flush_quote = |quoted: &mut Vec<&str>, own: &mut String, out: &mut Vec<Block>| {
        if quoted.is_empty() {
            return;
        }
        let stretch = quoted.join("\n") + "\n";
        if quoted.len() < FOLD_FROM_LINES {
            own.push_str(&stretch);
        } else {
            if !own.is_empty() {
                out.push(Block::Text(pieces(&std::mem::take(own))));
            }
            out.push(Block::Quote(pieces(&stretch)));
        }
        quoted.clear();
    };
    for line in text.lines() {
        if line.trim_start().starts_with('>') {
            quoted.push(line);
        } else {
            flush_quote(&mut quoted, &mut own, &mut out);
            own.push_str(line);
            own.push('\n');
        }
    }
    flush_quote(&mut quoted, &mut own, &mut out);
    if !own.trim().is_empty() {
        out.push(Block::Text(pieces(own.trim_end())));
    }
    out
}

/// Text with its web and mail addresses as links.
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut plain_from = 0;
    let mut i = 0;
    let lower = text.to_ascii_lowercase();
    while i < text.len() {
        let rest = &lower[i..];
        let at_word_start = i == 0
            || text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| !c.is_alphanumeric() && c != '/' && c != '@');
        let prefix = ["https://", "http://", "mailto:", "www."]
            .into_iter()
            .find(|p| at_word_start && rest.starts_with(p));
        let Some(prefix) = prefix else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let end = i + text[i..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
            .unwrap_or(text.len() - i);
        let mut candidate = &text[i..end];
        // Punctuation after an address belongs to the sentence.
        loop {
            let trimmed = candidate.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'']);
            let unbalanced = trimmed.matches(')').count() > trimmed.matches('(').count();
            let trimmed = if trimmed.ends_with(')') && unbalanced {
                &trimmed[..trimmed.len() - 1]
            } else {
                trimmed
            };
            if trimmed.len() == candidate.len() {
                break;
            }
            candidate = trimmed;
        }
        if candidate.len() <= prefix.len() {
            i += prefix.len();
            continue;
        }
        if plain_from < i {
            out.push(Piece::Plain(text[plain_from..i].to_string()));
        }
        let href = if prefix == "www." {
            format!("https://{candidate}")
        } else {
            candidate.to_string()
        };
        out.push(Piece::Link(href, candidate.to_string()));
        i += candidate.len();
        plain_from = i;
    }
    if plain_from < text.len() {
        out.push(Piece::Plain(text[plain_from..].to_string()));
    }
    out
}

fn show(pieces: Vec<Piece>) -> impl IntoView {
    pieces
        .into_iter()
        .map(|p| match p {
            Piece::Plain(text) => text.into_any(),
            Piece::Link(href, label) => view! {
                <a href=href target="_blank" rel="noopener noreferrer">{label}</a>
            }
            .into_any(),
        })
        .collect_view()
}

/// The reader's plain text.
#[component]
pub fn PlainText(text: String) -> impl IntoView {
    view! {
        <div class="mail-text" id="reader-text">
            {blocks(&text)
                .into_iter()
                .map(|b| match b {
                    Block::Text(p) => view! { <pre>{show(p)}</pre> }.into_any(),
                    Block::Quote(p) => view! {
                        <details class="quote">
                            <summary>{tr("Quoted text", "Testo citato")}</summary>
                            <pre>{show(p)}</pre>
                        </details>
                    }
                    .into_any(),
                })
                .collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(href: &str, label: &str) -> Piece {
        Piece::Link(href.into(), label.into())
    }

    #[test]
    fn addresses_become_links_and_nothing_else_does() {
        assert_eq!(
            pieces("See https://acme.it/offerta?id=3. Or www.acme.it, or mailto:info@acme.it!"),
            vec![
                Piece::Plain("See ".into()),
                link(
                    "https://acme.it/offerta?id=3",
                    "https://acme.it/offerta?id=3"
                ),
                Piece::Plain(". Or ".into()),
                link("https://www.acme.it", "www.acme.it"),
                Piece::Plain(", or ".into()),
                link("mailto:info@acme.it", "mailto:info@acme.it"),
                Piece::Plain("!".into()),
            ]
        );
        assert_eq!(
            pieces("(https://x.it/a_(b))"),
            vec![
                Piece::Plain("(".into()),
                link("https://x.it/a_(b)", "https://x.it/a_(b)"),
                Piece::Plain(")".into()),
            ]
        );
        // No scheme but these; a lone prefix is text.
        for plain in [
            "javascript:alert(1)",
            "data:text/html,x",
            "http:// nothing",
            "xhttp://a.it",
        ] {
            assert!(
                pieces(plain).iter().all(|p| !matches!(p, Piece::Link(..))),
                "{plain}"
            );
        }
        assert_eq!(
            pieces("<https://a.it>")[1],
            link("https://a.it", "https://a.it")
        );
        assert_eq!(
            pieces("città https://é.it"),
            vec![
                Piece::Plain("città ".into()),
                link("https://é.it", "https://é.it")
            ]
        );
    }

    #[test]
    fn long_quotes_fold_short_ones_stay() {
        let text = "Thanks!\n\nOn Monday Anna wrote:\n> one\n> two\n> three\nBye\n> short\n";
        let got = blocks(text);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(&got[0], Block::Text(_)));
        assert_eq!(
            got[1],
            Block::Quote(vec![Piece::Plain("> one\n> two\n> three\n".into())])
        );
        assert_eq!(
            got[2],
            Block::Text(vec![Piece::Plain("Bye\n> short".into())])
        );
    }
}

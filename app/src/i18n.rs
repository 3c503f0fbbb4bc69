// SPDX-License-Identifier: AGPL-3.0-only
//! Italian and English. The language is the one chosen with the switch (a cookie), else
//! Italian for browsers that ask for it first, else English. The server renders the page in
//! that language and writes it on `<html lang>`, where the browser side reads it back, so both
//! sides render the same words.
//!
//! Strings sit in the code in both languages, side by side (`tr("Mailboxes", "Caselle")`),
//! so a page reads as it shows and a missing translation cannot go unnoticed.

use std::fmt;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Name of the cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "casella_lang";

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    It,
    En,
}

impl Lang {
    /// The language's code, as in `<html lang>` and the switch's links.
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    /// A language from its code.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().get(..2) {
            Some("it") => Some(Lang::It),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The language for a request: the cookie's, else the first of the browser's
    /// `Accept-Language` that Casella speaks, else English.
    pub fn negotiate(cookie_header: Option<&str>, accept_language: Option<&str>) -> Lang {
        let chosen = cookie_header.and_then(|cookies| {
            cookies.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                (name.trim() == LANG_COOKIE)
                    .then(|| Lang::from_code(value))
                    .flatten()
            })
        });
        chosen
            .or_else(|| {
                accept_language?
                    .split(',')
                    .find_map(|part| Lang::from_code(part.split(';').next().unwrap_or_default()))
            })
            .unwrap_or(Lang::En)
    }
}

/// The language of the page being rendered.
pub fn current_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use axum::http::{
            header::{ACCEPT_LANGUAGE, COOKIE},
            request::Parts,
        };
        use_context::<Parts>()
            .map(|parts| {
                let header = |name| {
                    parts
                        .headers
                        .get(name)
                        .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
                };
                Lang::negotiate(header(COOKIE), header(ACCEPT_LANGUAGE))
            })
            .unwrap_or(Lang::En)
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .document_element()
            .and_then(|html| html.get_attribute("lang"))
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or(Lang::En)
    }
}

/// The language in the reactive context (provided once by the application on the server); in
/// an island in the browser, the page's own (`<html lang>`).
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_else(page_lang)
}

#[cfg(feature = "ssr")]
fn page_lang() -> Lang {
    Lang::En
}

/// Read from the page once: it does not change while the page is open.
#[cfg(not(feature = "ssr"))]
fn page_lang() -> Lang {
    thread_local! {
        static PAGE: std::cell::OnceCell<Lang> = const { std::cell::OnceCell::new() };
    }
    PAGE.with(|page| *page.get_or_init(current_lang))
}

/// The text in the page's language.
pub fn tr(en: &'static str, it: &'static str) -> &'static str {
    match use_lang() {
        Lang::En => en,
        Lang::It => it,
    }
}

/// One of two values, by the page's language (for text built with `format!`).
pub fn in_lang<T>(en: T, it: T) -> T {
    match use_lang() {
        Lang::En => en,
        Lang::It => it,
    }
}

/// The confirmation after registering a domain: a notice after a plain form post, the
/// page's own message when hydrated.
pub fn domain_registered(sent_to: &str) -> Text {
    Text::new(
        format!("Domain registered. The postmaster's credentials were e-mailed to {sent_to}."),
        format!(
            "Dominio registrato. Le credenziali del postmaster sono state inviate a {sent_to}."
        ),
    )
}

/// The confirmation after creating a manager (see [`domain_registered`]).
pub fn manager_created(sent_to: &str) -> Text {
    Text::new(
        format!("Manager created. Its credentials were e-mailed to {sent_to}."),
        format!("Manager creato. Le sue credenziali sono state inviate a {sent_to}."),
    )
}

/// Where a delegate's credentials were e-mailed (on creation and on a new password).
pub fn credentials_sent(sent_to: &str) -> Text {
    Text::new(
        format!("The credentials were e-mailed to {sent_to}."),
        format!("Le credenziali sono state inviate a {sent_to}."),
    )
}

/// A message made on the server (a field error, a notice), in both languages, so the page
/// shows it in its own language whichever side renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub en: String,
    pub it: String,
}

impl Text {
    pub fn new(en: impl Into<String>, it: impl Into<String>) -> Self {
        Text {
            en: en.into(),
            it: it.into(),
        }
    }

    /// The message in a language.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::It => &self.it,
        }
    }
}

/// Logs and non-page uses read the English text.
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_then_browser_then_english() {
        assert_eq!(
            Lang::negotiate(None, Some("it-IT,it;q=0.9,en;q=0.8")),
            Lang::It
        );
        assert_eq!(Lang::negotiate(None, Some("de-DE,en;q=0.5")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("de-DE")), Lang::En);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
        assert_eq!(
            Lang::negotiate(Some("a=b; casella_lang=en"), Some("it-IT")),
            Lang::En
        );
        assert_eq!(
            Lang::negotiate(Some("casella_lang=it"), Some("en-US")),
            Lang::It
        );
    }
}

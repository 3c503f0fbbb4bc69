// SPDX-License-Identifier: AGPL-3.0-only
//! The webmail's keyboard shortcuts, as Gmail and Roundcube users know them. Each presses a
//! control the page already has (a link or a button), so a shortcut does exactly what the
//! click does, with the same checks. The list is a disclosure in the folder column, so it can
//! be read without JavaScript too; `?` opens it.

use leptos::prelude::*;

use crate::i18n::tr;

/// A key, and the control it presses (a CSS selector; the first found is used).
#[cfg(feature = "hydrate")]
const KEYS: &[(&str, &[&str])] = &[
    ("c", &["#compose-new"]),
    ("r", &["#reply"]),
    ("a", &["#reply-all"]),
    ("f", &["#forward"]),
    ("u", &["#back-to-list"]),
    ("#", &["#reader-actions #act-delete", "#act-delete"]),
    ("Delete", &["#reader-actions #act-delete", "#act-delete"]),
    ("!", &["#reader-actions #act-spam", "#act-spam"]),
    (
        "s",
        &["#reader-actions #act-flag", "#reader-actions #act-unflag"],
    ),
    ("n", &["#mail-older"]),
    ("p", &["#mail-newer"]),
];

/// The list of shortcuts, opened by `?`.
#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let rows: [(&str, &str); 12] = [
        ("c", tr("write a new message", "scrivi un nuovo messaggio")),
        (
            "r / a / f",
            tr(
                "reply, reply all, forward",
                "rispondi, rispondi a tutti, inoltra",
            ),
        ),
        ("/", tr("search", "cerca")),
        (
            "j / k",
            tr(
                "next / previous message in the list",
                "messaggio successivo / precedente nell'elenco",
            ),
        ),
        ("Enter", tr("open the message", "apri il messaggio")),
        ("x", tr("select the message", "seleziona il messaggio")),
        ("u", tr("back to the list", "torna all'elenco")),
        ("# / Delete", tr("delete", "elimina")),
        ("!", tr("spam", "spam")),
        ("s", tr("flag or unflag", "contrassegna o togli")),
        (
            "n / p",
            tr("older / newer page", "pagina successiva / precedente"),
        ),
        ("?", tr("this list", "questo elenco")),
    ];
    view! {
        <FollowKeys />
        <details class="shortcuts" id="shortcuts">
            <summary>{tr("Keyboard shortcuts", "Scorciatoie da tastiera")}</summary>
            <dl>
                {rows
                    .into_iter()
                    .map(|(key, what)| view! { <dt><kbd>{key}</kbd></dt><dd>{what}</dd> })
                    .collect_view()}
            </dl>
        </details>
    }
}

/// Listens to the keyboard while the page is open (in the browser only).
#[island]
fn FollowKeys() -> impl IntoView {
    crate::pages::mail_nav::owned_by_page();
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, on_key);
        on_cleanup(move || handle.remove());
    }
}

#[cfg(feature = "hydrate")]
fn on_key(ev: leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;

    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.default_prevented() {
        return;
    }
    // Typing is typing: no shortcut in a field.
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.has_attribute("contenteditable")
        });
    if typing {
        return;
    }
    let document = document();
    let find = |selector: &str| -> Option<web_sys::HtmlElement> {
        document
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    };
    let key = ev.key();
    match key.as_str() {
        "?" => {
            if let Some(help) = find("#shortcuts") {
                let open = help.has_attribute("open");
                let _ = if open {
                    help.remove_attribute("open")
                } else {
                    help.set_attribute("open", "")
                };
                if !open {
                    help.scroll_into_view();
                }
            }
        }
        "/" => {
            if let Some(search) = find("#q") {
                ev.prevent_default();
                let _ = search.focus();
            }
        }
        "j" | "k" | "x" => {
            let rows = document.query_selector_all("#messages li").ok();
            let Some(rows) = rows else { return };
            let links: Vec<web_sys::HtmlElement> = (0..rows.length())
                .filter_map(|i| rows.item(i))
                .filter_map(|row| row.dyn_into::<web_sys::Element>().ok())
                .filter_map(|row| row.query_selector("a").ok().flatten())
                .filter_map(|a| a.dyn_into::<web_sys::HtmlElement>().ok())
                .collect();
            if links.is_empty() {
                return;
            }
            let active = document.active_element();
            let at = links
                .iter()
                .position(|l| active.as_ref().is_some_and(|a| a.is_same_node(Some(l))));
            if key == "x" {
                // Ticks the box of the focused row.
                if let Some(box_) = at
                    .and_then(|i| links[i].parent_element())
                    .and_then(|row| row.query_selector("input[type=checkbox]").ok().flatten())
                    .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    box_.click();
                }
                return;
            }
            let next = match (at, key.as_str()) {
                (None, _) => 0,
                (Some(i), "j") => (i + 1).min(links.len() - 1),
                (Some(i), _) => i.saturating_sub(1),
            };
            let _ = links[next].focus();
        }
        _ => {
            let Some((_, selectors)) = KEYS.iter().find(|(k, _)| *k == key) else {
                return;
            };
            if let Some(control) = selectors.iter().find_map(|s| find(s)) {
                ev.prevent_default();
                control.click();
            }
        }
    }
}

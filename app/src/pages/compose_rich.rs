// SPDX-License-Identifier: AGPL-3.0-only
//! Simple formatting for a message being written (with JavaScript): bold, italic, underline,
//! lists, quotes and links, in an editable area that replaces the text field while it is on.
//! The text field keeps the plain text in step (it is what recipients without HTML read, and
//! what a page without JavaScript edits); the HTML goes in `form[html]`, and the server keeps
//! only what this toolbar can make before it stores or sends it.

use leptos::prelude::*;

use crate::i18n::tr;

/// The toolbar's commands: the editing command, its label, its accessible name.
#[cfg(feature = "hydrate")]
const COMMANDS: [(&str, &str, (&str, &str)); 7] = [
    ("bold", "B", ("Bold", "Grassetto")),
    ("italic", "I", ("Italic", "Corsivo")),
    ("underline", "U", ("Underline", "Sottolineato")),
    (
        "insertUnorderedList",
        "•",
        ("Bulleted list", "Elenco puntato"),
    ),
    (
        "insertOrderedList",
        "1.",
        ("Numbered list", "Elenco numerato"),
    ),
    ("formatBlock", "❝", ("Quote", "Citazione")),
    (
        "removeFormat",
        "⌫",
        ("Remove formatting", "Rimuovi formattazione"),
    ),
];

/// Plain text as HTML: escaped, each line break a `<br>`.
pub fn text_as_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            other => out.push(other),
        }
    }
    out
}

/// The plain text of the editable area's rendered text: the browser drops a line's trailing
/// spaces, so the signature's `-- ` separator comes back as `--`, and is put back here.
pub fn rendered_as_plain(rendered: &str) -> String {
    let mut out = String::with_capacity(rendered.len() + 4);
    for (i, line) in rendered.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(if line == "--" { "-- " } else { line });
    }
    out
}

/// The formatting switch, its toolbar and the editable area; nothing without JavaScript.
#[component]
pub fn Formatting(
    text_ref: NodeRef<leptos::html::Textarea>,
    html_ref: NodeRef<leptos::html::Input>,
    /// The formatted text a draft was left with (made safe by the server); empty for none.
    initial: String,
) -> impl IntoView {
    let alive = RwSignal::new(false);
    let rich = RwSignal::new(false);
    let editor = NodeRef::<leptos::html::Div>::new();
    // Effects run only in the browser: there the switch appears.
    Effect::new(move |_| alive.set(true));
    let sync = move || {
        if let (Some(area), Some(html), Some(div)) = (
            text_ref.get_untracked(),
            html_ref.get_untracked(),
            editor.get_untracked(),
        ) {
            html.set_value(&div.inner_html());
            area.set_value(&rendered_as_plain(&div.inner_text()));
        }
    };
    let switch = move |on: bool, start: Option<String>| {
        let (Some(area), Some(html), Some(div)) = (
            text_ref.get_untracked(),
            html_ref.get_untracked(),
            editor.get_untracked(),
        ) else {
            return;
        };
        if on {
            div.set_inner_html(&start.unwrap_or_else(|| text_as_html(&area.value())));
            html.set_value(&div.inner_html());
            area.set_hidden(true);
            let _ = div.focus();
        } else {
            area.set_value(&rendered_as_plain(&div.inner_text()));
            html.set_value("");
            area.set_hidden(false);
        }
        rich.set(on);
    };
    // A draft written with formatting opens with it.
    Effect::new(move |_| {
        if editor.get().is_some() && !initial.is_empty() && !rich.get_untracked() {
            switch(true, Some(initial.clone()));
        }
    });
    let toolbar = move || {
        #[cfg(feature = "hydrate")]
        {
            COMMANDS
                .into_iter()
                .map(|(command, label, (en, it))| {
                    view! {
                        <button
                            type="button"
                            class="secondary"
                            aria-label=tr(en, it)
                            title=tr(en, it)
                            data-command=command
                            on:mousedown=move |ev: leptos::ev::MouseEvent| {
                                // The selection stays in the text.
                                ev.prevent_default();
                                let value = (command == "formatBlock").then_some("blockquote");
                                run(command, value);
                                sync();
                            }
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view()
                .into_any()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            ().into_any()
        }
    };
    let link = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let asked = window()
                .prompt_with_message(tr(
                    "Link address (https://…)",
                    "Indirizzo del link (https://…)",
                ))
                .ok()
                .flatten()
                .unwrap_or_default();
            let asked = asked.trim();
            let lower = asked.to_ascii_lowercase();
            if ["https://", "http://", "mailto:"]
                .iter()
                .any(|p| lower.starts_with(p))
            {
                run("createLink", Some(asked));
                sync();
            }
        }
    };
    view! {
        {move || {
            alive
                .get()
                .then(|| {
                    view! {
                        <div class="rich-bar" role="toolbar" aria-label=tr("Formatting", "Formattazione")>
                            <button
                                type="button"
                                class="secondary"
                                id="rich-switch"
                                aria-pressed=move || rich.get().to_string()
                                on:click=move |_| switch(!rich.get_untracked(), None)
                            >
                                {move || {
                                    if rich.get() {
                                        tr("Plain text", "Testo semplice")
                                    } else {
                                        tr("Formatting", "Formattazione")
                                    }
                                }}
                            </button>
                            <span class="rich-tools" hidden=move || !rich.get()>
                                {toolbar}
                                <button
                                    type="button"
                                    class="secondary"
                                    data-command="createLink"
                                    aria-label=tr("Link", "Link")
                                    title=tr("Link", "Link")
                                    on:mousedown=link
                                >
                                    {tr("Link", "Link")}
                                </button>
                            </span>
                        </div>
                        // Made in the browser, not on the server, so its attributes follow.
                        <div
                            class="rich-text"
                            id="compose-rich"
                            node_ref=editor
                            contenteditable="true"
                            role="textbox"
                            aria-multiline="true"
                            aria-label=tr("Message", "Messaggio")
                            hidden=move || !rich.get()
                            on:input=move |_| sync()
                        ></div>
                    }
                })
        }}
    }
}

/// While formatting is on, changes the signature `old` under its `-- ` line in the editable
/// text to `new` (none: taken out), and keeps the text field and `form[html]` in step. Says
/// whether formatting is on; a signature edited out of its plain form is left as it is.
pub fn resign_rich(
    text_ref: NodeRef<leptos::html::Textarea>,
    html_ref: NodeRef<leptos::html::Input>,
    old: &str,
    new: &str,
) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;

        let Some(div) = document()
            .get_element_by_id("compose-rich")
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            .filter(|div| !div.hidden())
        else {
            return false;
        };
        let (Some(area), Some(html)) = (text_ref.get_untracked(), html_ref.get_untracked()) else {
            return true;
        };
        let signed = |s: &str| text_as_html(&format!("-- \n{s}"));
        let now = div.inner_html();
        if old.is_empty() {
            return true;
        }
        if let Some(at) = now.rfind(&signed(old)) {
            let mut changed = now.clone();
            let replacement = if new.is_empty() {
                String::new()
            } else {
                signed(new)
            };
            changed.replace_range(at..at + signed(old).len(), &replacement);
            div.set_inner_html(&changed);
            html.set_value(&div.inner_html());
            area.set_value(&rendered_as_plain(&div.inner_text()));
        }
        true
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (text_ref, html_ref, old, new);
        false
    }
}

/// Runs an editing command on the selection.
#[cfg(feature = "hydrate")]
fn run(command: &str, value: Option<&str>) {
    use wasm_bindgen::JsCast;

    if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
        let _ = match value {
            Some(value) => doc.exec_command_with_show_ui_and_value(command, false, value),
            None => doc.exec_command(command),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::{rendered_as_plain, text_as_html};

    #[test]
    fn the_signature_separator_keeps_its_space() {
        assert_eq!(
            rendered_as_plain("Hello\n--\nBob\n-- x\n---"),
            "Hello\n-- \nBob\n-- x\n---"
        );
        assert_eq!(rendered_as_plain(""), "");
    }

    #[test]
    fn plain_text_becomes_safe_html() {
        assert_eq!(
            text_as_html("a < b & \"c\"\r\n<script>"),
            "a &lt; b &amp; &quot;c&quot;<br>&lt;script&gt;"
        );
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! A recipient field (To, Cc, Bcc) that suggests addresses as one types: the people the
//! mailbox wrote to lately and the mailboxes and aliases of its domain. The suggestion is for
//! the address being typed, after the last comma; picking one puts it there and leaves a
//! comma for the next. A combobox as WAI-ARIA describes it: arrows move, Enter or Tab picks,
//! Escape closes. Without JavaScript it is a plain text field.

use leptos::prelude::*;

/// Where the address being typed starts: after the last comma or semicolon that is not
/// inside quotes or angle brackets.
pub fn last_address_start(typed: &str) -> usize {
    let (mut quoted, mut angled, mut start) = (false, false, 0);
    for (i, ch) in typed.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            ',' | ';' if !quoted && !angled => start = i + ch.len_utf8(),
            _ => {}
        }
    }
    start
}

/// The field's text with the address being typed replaced by `chosen`, ready for the next.
pub fn with_chosen(typed: &str, chosen: &str) -> String {
    let kept = typed[..last_address_start(typed)].trim_end();
    if kept.is_empty() {
        format!("{chosen}, ")
    } else {
        format!("{kept} {chosen}, ")
    }
}

#[component]
pub fn RecipientInput(
    id: &'static str,
    name: &'static str,
    value: String,
    node_ref: NodeRef<leptos::html::Input>,
    #[prop(optional)] described_by: Option<&'static str>,
) -> impl IntoView {
    let list_id = format!("{id}-suggestions");
    let found = RwSignal::new(Vec::<String>::new());
    let active = RwSignal::new(None::<usize>);
    // Answers to older keystrokes that arrive late are dropped.
    let asked = StoredValue::new(0u32);
    let open = move || !found.with(Vec::is_empty);
    let pick = move |n: usize| {
        let Some(chosen) = found.with_untracked(|f| f.get(n).cloned()) else {
            return;
        };
        if let Some(input) = node_ref.get_untracked() {
            input.set_value(&with_chosen(&input.value(), &chosen));
            let _ = input.focus();
        }
        found.set(Vec::new());
        active.set(None);
    };
    let on_input = move |_| {
        let Some(input) = node_ref.get_untracked() else {
            return;
        };
        let typed = input.value();
        let word = typed[last_address_start(&typed)..].trim().to_string();
        asked.update_value(|n| *n = n.wrapping_add(1));
        let ticket = asked.get_value();
        if word.chars().count() < 2 {
            found.set(Vec::new());
            return;
        }
        leptos::task::spawn_local(async move {
            let answer = crate::api::mail::recipient_suggestions(word)
                .await
                .unwrap_or_default();
            if asked.get_value() == ticket {
                active.set(None);
                found.set(answer);
            }
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if !open() {
            return;
        }
        let count = found.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                active.update(|a| *a = Some(a.map_or(0, |n| (n + 1) % count)));
            }
            "ArrowUp" => {
                ev.prevent_default();
                active.update(|a| *a = Some(a.map_or(count - 1, |n| (n + count - 1) % count)));
            }
            "Enter" | "Tab" => {
                if let Some(n) = active.get_untracked() {
                    ev.prevent_default();
                    pick(n);
                }
            }
            "Escape" => {
                ev.prevent_default();
                found.set(Vec::new());
            }
            _ => {}
        }
    };
    let option_id = move |n: usize| format!("{id}-option-{n}");
    view! {
        <div class="recipient">
            <input
                id=id
                name=name
                value=value
                autocomplete="off"
                node_ref=node_ref
                role="combobox"
                aria-autocomplete="list"
                aria-controls=list_id.clone()
                aria-expanded=move || open().to_string()
                aria-activedescendant=move || active.get().map(option_id)
                aria-describedby=described_by
                on:input=on_input
                on:keydown=on_key
                on:blur=move |_| found.set(Vec::new())
            />
            <ul
                id=list_id
                role="listbox"
                class="suggestions"
                hidden=move || !open()
                aria-label=crate::i18n::tr("Suggested addresses", "Indirizzi suggeriti")
            >
                {move || {
                    found
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(n, address)| {
                            view! {
                                <li
                                    id=option_id(n)
                                    role="option"
                                    aria-selected=move || (active.get() == Some(n)).to_string()
                                    on:mousedown=move |ev: leptos::ev::MouseEvent| {
                                        // Before the field's blur closes the list.
                                        ev.prevent_default();
                                        pick(n);
                                    }
                                >
                                    {address}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{last_address_start, with_chosen};

    #[test]
    fn the_address_being_typed_is_after_the_last_separator() {
        assert_eq!(last_address_start("ada"), 0);
        assert_eq!(last_address_start("a@x.it, bo"), 7);
        assert_eq!(last_address_start("\"Rossi, Ada\" <a@x.it>; bo"), 22);
        assert_eq!(last_address_start("\"Rossi, Ad"), 0);
    }

    #[test]
    fn a_chosen_address_replaces_what_was_typed() {
        assert_eq!(with_chosen("bo", "Bob <bob@x.it>"), "Bob <bob@x.it>, ");
        assert_eq!(
            with_chosen("a@x.it, bo", "Bob <bob@x.it>"),
            "a@x.it, Bob <bob@x.it>, "
        );
    }
}

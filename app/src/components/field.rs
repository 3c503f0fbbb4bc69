// SPDX-License-Identifier: AGPL-3.0-only
//! One form field: label, input, hint and the error that belongs to it.

use leptos::prelude::*;

use crate::i18n::tr;

use crate::components::FieldError;

/// A labelled text input whose error, if the last submission had one for `name`, sits under
/// it and marks it invalid.
#[component]
pub fn TextField(
    /// The form field's name (also its id and the error's field).
    name: &'static str,
    label: &'static str,
    /// The error for this field, if any.
    error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] value: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let described = if hint.is_some() {
        format!("{name}-error {name}-hint")
    } else {
        format!("{name}-error")
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <input
                id=name
                name=name
                type=kind
                value=value
                placeholder=placeholder
                autocomplete=autocomplete
                required=required
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described
            />
            {hint.map(|hint| view! { <p class="hint" id=format!("{name}-hint")>{hint}</p> })}
            <FieldError field=name message=error />
        </div>
    }
}

/// A yes/no state shown as ATTIVO / NON ATTIVO, as the seeds name it.
#[component]
pub fn OnOff(on: bool) -> impl IntoView {
    if on {
        view! { <span class="state on">{tr("ACTIVE", "ATTIVO")}</span> }
    } else {
        view! { <span class="state off">{tr("NOT ACTIVE", "NON ATTIVO")}</span> }
    }
}

/// The IMAP, POP3 and SMTP checkboxes of a protocols form; a box left unticked is posted as
/// absent, which the server reads as off.
#[component]
pub fn ProtocolChecks(switches: crate::dto::ProtocolSwitches) -> impl IntoView {
    [
        ("imap", "IMAP", switches.imap),
        ("pop3", "POP3", switches.pop3),
        ("smtp", "SMTP", switches.smtp),
    ]
    .into_iter()
    .map(|(name, label, on)| {
        view! {
            <label>
                <input type="checkbox" name=name value="on" checked=on />
                " "
                {label}
            </label>
        }
    })
    .collect_view()
}

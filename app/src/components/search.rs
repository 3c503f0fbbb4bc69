// SPDX-License-Identifier: AGPL-3.0-only
//! The search form of a log (the access log, the message trace): a plain GET form, so every
//! view has its own address and works without JavaScript, with the days to search between,
//! the button, and the CSV export of what the form finds. A field the search refused shows
//! why under it.

use leptos::prelude::*;

use super::{ErrorMessage, FieldError, field_error};
use crate::{error::AppError, i18n::tr};

/// The form: the log's own fields (`children`), then the first and last day.
#[component]
pub fn SearchForm(
    id: &'static str,
    /// Why the search was refused, if it was.
    error: Option<AppError>,
    from: String,
    to: String,
    button: &'static str,
    /// The CSV of the same search.
    export: String,
    /// The id of the export link.
    export_id: &'static str,
    children: Children,
) -> impl IntoView {
    let error = Signal::derive(move || error.clone());
    view! {
        <form method="get" class="filters" id=id>
            {children()}
            <div class="field">
                <label for="from">{tr("From", "Dal")}</label>
                <input id="from" name="from" type="date" value=from />
                <FieldError field="from" message=field_error(error, "from") />
            </div>
            <div class="field">
                <label for="to">{tr("To", "Al")}</label>
                <input id="to" name="to" type="date" value=to />
                <FieldError field="to" message=field_error(error, "to") />
            </div>
            <div class="actions">
                <button type="submit">{button}</button>
            </div>
        </form>
        <p>
            <a class="button secondary" id=export_id rel="external" href=export>
                {tr("Export CSV", "Esporta CSV")}
            </a>
        </p>
    }
}

/// An option of a filter, selected when it is the current value.
pub fn choice(value: &'static str, label: &'static str, current: &str) -> impl IntoView + use<> {
    view! { <option value=value selected=current == value>{label}</option> }
}

/// How long a log keeps its rows, for the hint above it.
pub fn kept_for(days: u32) -> String {
    match days {
        1 => tr("Kept for one day.", "Conservato per un giorno.").to_string(),
        n => format!(
            "{} {n} {}",
            tr("Kept for", "Conservato per"),
            tr("days.", "giorni.")
        ),
    }
}

/// What a log search came to, for its page: the hint above the form (what the log holds and
/// for how long) and what goes below the form (the rows, or an error that names no field),
/// when it ran; the error for the form's fields when it did not.
pub struct Outcome {
    pub hint: Option<String>,
    pub error: Option<AppError>,
    pub below: AnyView,
}

impl Outcome {
    /// `about` says what the log holds; `kept_days` and `rows` read the found page.
    pub fn of<T>(
        result: Result<T, AppError>,
        about: &'static str,
        kept_days: impl Fn(&T) -> u32,
        rows: impl FnOnce(T) -> AnyView,
    ) -> Outcome {
        match result {
            Ok(page) => Outcome {
                hint: Some(format!("{about} {}", kept_for(kept_days(&page)))),
                error: None,
                below: rows(page),
            },
            Err(err) => Outcome {
                hint: None,
                below: match err.field() {
                    None => view! { <ErrorMessage error=err.clone() /> }.into_any(),
                    Some(_) => ().into_any(),
                },
                error: Some(err),
            },
        }
    }
}

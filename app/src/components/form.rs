// SPDX-License-Identifier: AGPL-3.0-only
//! Form errors: a field's error sits under that field; anything else above the form.

use leptos::prelude::*;

use crate::error::AppError;

/// The error of an action's last submission, if it failed.
pub fn action_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || match value.get() {
        Some(Err(err)) => Some(err),
        _ => None,
    })
}

/// The message for `field`, if the error belongs to it.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        error
            .get()
            .filter(|err| err.field() == Some(field))
            .map(|err| err.message())
    })
}

/// The message under a form field.
#[component]
pub fn FieldError(field: &'static str, message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|message| {
            view! {
                <p class="field-error" id=format!("{field}-error") role="alert">
                    {message}
                </p>
            }
        })
    }
}

/// An error where a list or a page would be.
#[component]
pub fn ErrorMessage(error: AppError) -> impl IntoView {
    view! {
        <p class="form-error" role="alert">
            {error.message()}
        </p>
    }
}

/// The message above a form for errors that belong to no field.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|err| err.field().is_none())
            .map(|error| view! { <ErrorMessage error /> })
    }
}

/// Empties a form once its action succeeded. Without JavaScript the page comes back fresh
/// after a post; with it, the typed values would otherwise stay and invite a second submit.
pub fn reset_on_success<T, S>(value: S, form: NodeRef<leptos::html::Form>)
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if matches!(value.get(), Some(Ok(_)))
            && let Some(form) = form.get()
        {
            form.reset();
        }
    });
}

// SPDX-License-Identifier: AGPL-3.0-only
//! `/postmaster/mailboxes`: the mailboxes of the postmaster's domain, and creating one.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{
        auth::take_credentials,
        mailboxes::{CreateMailbox, list_mailboxes},
    },
    components::{
        CredentialsNotice, ErrorMessage, FieldError, FormError, Guarded, action_error, field_error,
    },
    dto::{Me, Role},
};

#[component]
pub fn PostmasterMailboxes() -> impl IntoView {
    view! {
        <Title text="Mailboxes · Casella" />
        <Guarded roles=&[Role::Postmaster]>
            <MailboxesBody />
        </Guarded>
    }
}

fn format_quota(bytes: u64) -> String {
    if bytes == 0 {
        "unlimited".to_string()
    } else {
        format!("{} GB", bytes / 1_000_000_000)
    }
}

#[component]
fn MailboxesBody() -> impl IntoView {
    let create = ServerAction::<CreateMailbox>::new();
    let value = create.value();
    let error = action_error(value);
    let errors =
        ["local_part", "first_name", "last_name", "password"].map(|f| field_error(error, f));
    let [
        local_part_error,
        first_name_error,
        last_name_error,
        password_error,
    ] = errors;
    let domain = use_context::<Me>()
        .and_then(|me| me.domain)
        .unwrap_or_default();
    let mailboxes = Resource::new(move || create.version().get(), |_| list_mailboxes());
    let handed_over = Resource::new(|| (), |_| take_credentials());
    let created_with_own_password = move || matches!(value.get(), Some(Ok(None)));
    view! {
        <h1>"Mailboxes of " {domain.clone()}</h1>
        // With JavaScript the result is the action's value; after a plain form post it waits
        // in the session for this render.
        {move || match value.get() {
            Some(Ok(credentials)) => credentials,
            _ => None,
        }
            .map(|credentials| view! { <CredentialsNotice credentials title="Mailbox created" /> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                handed_over
                    .await
                    .ok()
                    .flatten()
                    .map(|credentials| view! { <CredentialsNotice credentials title="Mailbox created" /> })
            })}
        </Suspense>
        <Show when=created_with_own_password>
            <p class="notice" role="status">
                "Mailbox created with the password you chose."
            </p>
        </Show>
        <section class="card">
            <h2>"New mailbox"</h2>
            <ActionForm action=create attr:class="grid-form" attr:id="create-mailbox">
                <FormError error=error />
                <div class="field">
                    <label for="local_part">"Address"</label>
                    <div class="input-suffix">
                        <input
                            id="local_part"
                            name="local_part"
                            type="text"
                            placeholder="name"
                            autocomplete="off"
                            required
                            aria-invalid=move || local_part_error.get().is_some().to_string()
                            aria-describedby="local_part-error"
                        />
                        <span class="suffix">"@" {domain.clone()}</span>
                    </div>
                    <FieldError field="local_part" message=local_part_error />
                </div>
                <div class="field">
                    <label for="first_name">"First name"</label>
                    <input
                        id="first_name"
                        name="first_name"
                        type="text"
                        autocomplete="off"
                        aria-invalid=move || first_name_error.get().is_some().to_string()
                        aria-describedby="first_name-error"
                    />
                    <FieldError field="first_name" message=first_name_error />
                </div>
                <div class="field">
                    <label for="last_name">"Last name"</label>
                    <input
                        id="last_name"
                        name="last_name"
                        type="text"
                        autocomplete="off"
                        aria-invalid=move || last_name_error.get().is_some().to_string()
                        aria-describedby="last_name-error"
                    />
                    <FieldError field="last_name" message=last_name_error />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        aria-invalid=move || password_error.get().is_some().to_string()
                        aria-describedby="password-error password-hint"
                    />
                    <p class="hint" id="password-hint">
                        "At least 8 characters with upper and lower case letters, a digit and a special character. Leave empty to generate one."
                    </p>
                    <FieldError field="password" message=password_error />
                </div>
                <div class="actions">
                    <button type="submit">"Create mailbox"</button>
                </div>
            </ActionForm>
        </section>
        <section class="card">
            <h2>"Mailboxes of the domain"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match mailboxes.await {
                        Ok(rows) => {
                            view! {
                                <table class="list" id="mailbox-list">
                                    <thead>
                                        <tr>
                                            <th>"Address"</th>
                                            <th>"Name"</th>
                                            <th class="num">"Quota"</th>
                                            <th>"Created"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|row| {
                                                let name = format!("{} {}", row.first_name, row.last_name);
                                                view! {
                                                    <tr>
                                                        <td class="mailbox-address">
                                                            {row.address}
                                                            {row
                                                                .is_postmaster
                                                                .then(|| view! { <span class="tag">"postmaster"</span> })}
                                                        </td>
                                                        <td>{name}</td>
                                                        <td class="num">{format_quota(row.quota_bytes)}</td>
                                                        <td>{row.created_at}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                        Err(err) => {
                            view! { <ErrorMessage error=err /> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

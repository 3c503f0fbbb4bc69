// SPDX-License-Identifier: AGPL-3.0-only
//! `/account/security`: everyone's own sign-in security: two-factor authentication (TOTP)
//! with its recovery codes, signing out everywhere, and for operators whether staff must use
//! a second factor. The only page (with the password page) an identity that must enrol can
//! reach.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{
        account::{
            BeginTwoFactor, CancelTwoFactor, ConfirmTwoFactor, DisableTwoFactor, NewRecoveryCodes,
            SignOutEverywhere, get_two_factor, own_access_log,
        },
        auth::take_shown_once,
        operator::{SetStaffTwoFactor, staff_two_factor},
    },
    components::{
        ErrorMessage, FieldError, FlashNotice, FormError, Guarded, OnOff, SecretNotice,
        action_error, field_error,
    },
    dto::{AccessQuery, Me, Role, ShownOnce, TwoFactorView},
    i18n::{in_lang, tr},
    pages::access_log::AccessTable,
};

#[component]
pub fn SecurityPage() -> impl IntoView {
    view! {
        <Title text=tr("Security · Casella", "Sicurezza · Casella") />
        <Guarded
            roles=&[Role::Operator, Role::Manager, Role::Delegate, Role::Postmaster, Role::User]
            security_page=true
        >
            <SecurityBody />
        </Guarded>
    }
}

/// Every form of the page, so that any change reloads the two-factor state.
#[derive(Clone, Copy)]
struct Actions {
    begin: ServerAction<BeginTwoFactor>,
    confirm: ServerAction<ConfirmTwoFactor>,
    cancel: ServerAction<CancelTwoFactor>,
    disable: ServerAction<DisableTwoFactor>,
    codes: ServerAction<NewRecoveryCodes>,
}

#[component]
fn SecurityBody() -> impl IntoView {
    let me = use_context::<Me>();
    let enrolling = me.as_ref().is_some_and(|me| me.must_enrol_two_factor);
    let operator = me.as_ref().is_some_and(|me| me.role == Role::Operator);
    let actions = Actions {
        begin: ServerAction::new(),
        confirm: ServerAction::new(),
        cancel: ServerAction::new(),
        disable: ServerAction::new(),
        codes: ServerAction::new(),
    };
    let state = Resource::new(
        move || {
            (
                actions.begin.version().get(),
                actions.confirm.version().get(),
                actions.cancel.version().get(),
                actions.disable.version().get(),
                actions.codes.version().get(),
            )
        },
        |_| get_two_factor(),
    );
    let handed_over = Resource::new(|| (), |_| take_shown_once());
    let confirmed = actions.confirm.value();
    let renewed = actions.codes.value();
    let disabled = Signal::derive(move || {
        matches!(actions.disable.value().get(), Some(Ok(()))).then(|| {
            tr(
                "Two-factor authentication is off.",
                "L'autenticazione a due fattori è disattivata.",
            )
            .to_string()
        })
    });
    let sign_out_all = ServerAction::<SignOutEverywhere>::new();
    let sign_out_error = action_error(sign_out_all.value());
    view! {
        <h1>{tr("Security", "Sicurezza")}</h1>
        {enrolling
            .then(|| {
                view! {
                    <p class="notice" role="status" id="two-factor-required">
                        {tr("Two-factor authentication is required for your account: set it up to continue.", "L'autenticazione a due fattori è obbligatoria per il tuo account: attivala per continuare.")}
                    </p>
                }
            })}
        <FlashNotice id="security-notice" message=disabled />
        {move || {
            confirmed
                .get()
                .and_then(Result::ok)
                .or_else(|| renewed.get().and_then(Result::ok))
                .map(|codes| view! { <CodesShown secret=ShownOnce::RecoveryCodes(codes) /> })
        }}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                handed_over
                    .await
                    .ok()
                    .flatten()
                    .map(|secret| view! { <CodesShown secret /> })
            })}
        </Suspense>
        <Transition fallback=|| view! { <p>{tr("Loading…", "Caricamento…")}</p> }>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(view) => view! { <TwoFactorCard view actions /> }.into_any(),
                    Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card" id="sessions">
            <h2>{tr("Sessions", "Sessioni")}</h2>
            <p class="hint">
                {tr("Signs you out of this panel on every computer and phone, this one included. Mail programs are not affected: change your password or revoke app passwords for them.", "Esci dal pannello su tutti i computer e telefoni, compreso questo. I programmi di posta non ne sono toccati: per loro cambia la password o revoca le password dedicate.")}
            </p>
            <ActionForm action=sign_out_all attr:id="sign-out-everywhere">
                <FormError error=sign_out_error />
                <button type="submit" class="secondary">
                    {tr("Sign out everywhere", "Esci da tutti i dispositivi")}
                </button>
            </ActionForm>
        </section>
        {(!enrolling).then(|| view! { <OwnSignIns /> })}
        {operator.then(|| view! { <StaffTwoFactor /> })}
    }
}

/// One's own recent sign-ins, from the web and from mail programs.
#[component]
fn OwnSignIns() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let q = move || AccessQuery {
        before: query.read().get("before").and_then(|b| b.parse().ok()),
        ..Default::default()
    };
    let page = Resource::new(q, own_access_log);
    view! {
        <section class="card" id="own-sign-ins">
            <h2>{tr("Recent sign-ins", "Accessi recenti")}</h2>
            <p class="hint">
                {tr("If you see an address or a time that was not you, change your password and turn on two-factor authentication. You get an e-mail when a sign-in from a new address follows failed attempts.", "Se vedi un indirizzo o un orario che non riconosci, cambia la password e attiva l'autenticazione a due fattori. Ricevi un'e-mail quando un accesso da un indirizzo nuovo segue tentativi non riusciti.")}
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            view! {
                                <AccessTable page=p base="/account/security".to_string() q=AccessQuery::default() />
                            }
                                .into_any()
                        }
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                    }
                })}
            </Transition>
            <p>
                <a class="button secondary" rel="external" href="/account/access-log.csv" id="own-access-csv">
                    {tr("Export CSV", "Esporta CSV")}
                </a>
            </p>
        </section>
    }
}

/// Recovery codes just made, and the way on (a full page load, so the menu comes back
/// after a required enrolment).
#[component]
fn CodesShown(secret: ShownOnce) -> impl IntoView {
    view! {
        <SecretNotice secret />
        <p>
            <a class="button" href="/" rel="external" id="continue">
                {tr("I have saved them: continue", "Li ho salvati: continua")}
            </a>
        </p>
    }
}

#[component]
fn TwoFactorCard(view: TwoFactorView, actions: Actions) -> impl IntoView {
    let confirm_error = action_error(actions.confirm.value());
    let confirm_code_error = field_error(confirm_error, "code");
    let disable_error = action_error(actions.disable.value());
    let disable_code_error = field_error(disable_error, "code");
    let codes_error = action_error(actions.codes.value());
    let codes_code_error = field_error(codes_error, "code");
    let begin_error = action_error(actions.begin.value());
    let mailbox_hint = view.mailbox.then(|| {
        view! {
            <p class="hint">
                {tr("With two-factor authentication on, mail programs (Thunderbird, Outlook, Apple Mail, phones) sign in with app passwords: create one per program under My mailbox.", "Con l'autenticazione a due fattori attiva, i programmi di posta (Thunderbird, Outlook, Apple Mail, telefoni) accedono con password dedicate: creane una per programma in La mia casella.")}
                " "
                <a href="/account">{tr("My mailbox", "La mia casella")}</a>
            </p>
        }
    });
    let body = if view.enabled {
        view! {
            <dl class="facts">
                <dt>{tr("State", "Stato")}</dt>
                <dd id="two-factor-state">
                    <OnOff on=true />
                </dd>
                <dt>{tr("Turned on", "Attivata il")}</dt>
                <dd>{view.enabled_at.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{tr("Recovery codes left", "Codici di recupero rimasti")}</dt>
                <dd id="recovery-left">{view.recovery_left}</dd>
            </dl>
            <ActionForm action=actions.codes attr:class="inline-form" attr:id="new-codes-form">
                <label for="new-codes-code">{tr("Code from the app", "Codice dell'app")}</label>
                <input
                    id="new-codes-code"
                    name="code"
                    type="text"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    required
                    aria-invalid=move || codes_code_error.get().is_some().to_string()
                />
                <button type="submit" class="secondary">
                    {tr("New recovery codes", "Nuovi codici di recupero")}
                </button>
                <FormError error=codes_error />
                <FieldError field="code" message=codes_code_error />
            </ActionForm>
            <ActionForm action=actions.disable attr:class="inline-form" attr:id="disable-form">
                <label for="disable-code">{tr("Code or recovery code", "Codice o codice di recupero")}</label>
                <input
                    id="disable-code"
                    name="code"
                    type="text"
                    autocomplete="one-time-code"
                    required
                    aria-invalid=move || disable_code_error.get().is_some().to_string()
                />
                <button type="submit" class="secondary">
                    {tr("Turn off", "Disattiva")}
                </button>
                <FormError error=disable_error />
                <FieldError field="code" message=disable_code_error />
            </ActionForm>
            {view
                .required
                .then(|| {
                    view! {
                        <p class="hint">
                            {tr("It is required for your account: once off, you will be asked to set it up again.", "È obbligatoria per il tuo account: una volta disattivata ti sarà chiesto di attivarla di nuovo.")}
                        </p>
                    }
                })}
        }
        .into_any()
    } else if let Some(enrolment) = view.enrolment.clone() {
        view! {
            <ol class="steps">
                <li>
                    {tr("Open an authenticator app on your phone (for example Google Authenticator, Microsoft Authenticator, FreeOTP or 2FAS) and scan this code:", "Apri un'app di autenticazione sul telefono (per esempio Google Authenticator, Microsoft Authenticator, FreeOTP o 2FAS) e inquadra questo codice:")}
                    <img class="qr" id="totp-qr" src=enrolment.qr alt=tr("QR code of the secret", "Codice QR del segreto") />
                    <p class="hint">
                        {tr("Or type this secret into the app, for ", "Oppure inserisci nell'app questo segreto, per ")}
                        <strong>{enrolment.label}</strong>
                        ":"
                    </p>
                    <p>
                        <code id="totp-secret" class="secret">{enrolment.secret}</code>
                    </p>
                </li>
                <li>
                    {tr("Enter the 6-digit code the app shows:", "Inserisci il codice di 6 cifre mostrato dall'app:")}
                    <ActionForm action=actions.confirm attr:class="inline-form" attr:id="confirm-form">
                        <label for="confirm-code">{tr("Code", "Codice")}</label>
                        <input
                            id="confirm-code"
                            name="code"
                            type="text"
                            inputmode="numeric"
                            autocomplete="one-time-code"
                            required
                            aria-invalid=move || confirm_code_error.get().is_some().to_string()
                            aria-describedby="code-error"
                        />
                        <button type="submit">{tr("Turn on", "Attiva")}</button>
                        <FormError error=confirm_error />
                        <FieldError field="code" message=confirm_code_error />
                    </ActionForm>
                </li>
            </ol>
            <ActionForm action=actions.cancel>
                <button type="submit" class="secondary">
                    {tr("Cancel", "Annulla")}
                </button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <p>
                {tr("State: ", "Stato: ")} <span id="two-factor-state">
                    <OnOff on=false />
                </span>
            </p>
            <p class="hint">
                {tr("After your password, the sign-in asks for a code from an app on your phone, so a stolen password alone is not enough.", "Dopo la password, l'accesso chiede un codice generato da un'app sul telefono: una password rubata da sola non basta.")}
            </p>
            <ActionForm action=actions.begin attr:id="begin-form">
                <FormError error=begin_error />
                <button type="submit">
                    {tr("Set up two-factor authentication", "Attiva l'autenticazione a due fattori")}
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <section class="card" id="two-factor">
            <h2>{tr("Two-factor authentication", "Autenticazione a due fattori")}</h2>
            {view
                .required
                .then(|| {
                    view! {
                        <p class="tag">{tr("Required", "Obbligatoria")}</p>
                    }
                })}
            {body}
            {mailbox_hint}
        </section>
    }
}

/// Operators: whether staff (operators and managers) must use a second factor.
#[component]
fn StaffTwoFactor() -> impl IntoView {
    let set = ServerAction::<SetStaffTwoFactor>::new();
    let error = action_error(set.value());
    let required = Resource::new(move || set.version().get(), |_| staff_two_factor());
    view! {
        <section class="card" id="staff-two-factor">
            <h2>{tr("Staff sign-in", "Accesso del personale")}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match required.await {
                        Ok(on) => {
                            view! {
                                <p>
                                    {tr("Second factor required for operators and managers: ", "Secondo fattore obbligatorio per operatori e manager: ")}
                                    <span id="staff-two-factor-state">
                                        <OnOff on=on />
                                    </span>
                                </p>
                                <ActionForm action=set>
                                    <FormError error=error />
                                    <input type="hidden" name="required" value=(!on).to_string() />
                                    <button type="submit" id="toggle-staff-two-factor">
                                        {if on {
                                            in_lang("Make it optional", "Rendi facoltativo")
                                        } else {
                                            in_lang("Require it", "Rendi obbligatorio")
                                        }}
                                    </button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        Err(err) => view! { <ErrorMessage error=err /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! Two-factor web sign-in (TOTP, RFC 6238) and its recovery codes.
//!
//! The secret lives in the engine, so IMAP, POP3 and SMTP see it too (and want app
//! passwords from then on); the web login checks the code here, after the password, with
//! its own throttle. A code is good once: the last accepted time step is kept per identity.
//! Turning 2FA on or off, resetting it, and signing out everywhere renew the identity's
//! session key, which ends its other sessions.

use std::net::IpAddr;

use app::{
    i18n::Text,
    ports::{PendingSignIn, SessionActor},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

use super::{Actor, AuditEntry, Caller, ServiceError, Services, access_log::AccessResult};
use crate::db::{
    delegate, mailbox, manager, new_session_key, operator, panel_setting, recovery_code,
    second_factor,
};

/// How long the code step may follow the password step.
const PENDING_SECONDS: i64 = 5 * 60;
/// Recovery codes handed out at a time.
const RECOVERY_CODES: usize = 10;
/// Crockford's base32 alphabet, lower case: no i, l, o or u to misread.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters of a recovery code (5 bits each: 60 bits).
const RECOVERY_LEN: usize = 12;

/// Where an identity's two-factor sign-in stands.
#[derive(Debug, Clone)]
pub struct TwoFactorState {
    pub enabled: bool,
    pub enabled_at: Option<DateTime<Utc>>,
    pub required: bool,
    pub recovery_left: u64,
}

/// A TOTP secret offered for enrolment.
pub struct Enrolment {
    pub secret_base32: String,
    pub url: String,
    pub label: String,
}

/// What a code typed at a prompt is.
enum Code {
    Totp(String),
    Recovery(String),
}

fn parse_code(code: &str) -> Option<Code> {
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Code::Totp(compact));
    }
    recovery_digest(&compact).map(Code::Recovery)
}

/// The stored digest of a recovery code, read leniently (case, dashes, spaces, and the
/// letters Crockford's alphabet leaves out for the digits they look like).
fn recovery_digest(code: &str) -> Option<String> {
    let normal: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect();
    if normal.len() != RECOVERY_LEN || !normal.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        return None;
    }
    let digest = Sha256::digest(normal.as_bytes());
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Fresh recovery codes as shown to the user (`xxxx-xxxx-xxxx`), and their digests as
/// stored.
fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    use rand::Rng;
    let mut rng = rand::rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..RECOVERY_LEN)
                .map(|_| char::from(RECOVERY_ALPHABET[rng.random_range(0..32)]))
                .collect();
            format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
        })
        .collect();
    let digests = codes.iter().filter_map(|c| recovery_digest(c)).collect();
    (codes, digests)
}

/// Replaces an identity's recovery codes with these digests, in the caller's transaction.
async fn replace_codes(
    txn: &sea_orm::DatabaseTransaction,
    login: &str,
    digests: Vec<String>,
) -> Result<(), sea_orm::DbErr> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::Login.eq(login))
        .exec(txn)
        .await?;
    recovery_code::Entity::insert_many(digests.into_iter().map(|digest| {
        recovery_code::ActiveModel {
            login: Set(login.to_string()),
            code_hash: Set(digest),
            used_at: Set(None),
            ..Default::default()
        }
    }))
    .exec(txn)
    .await?;
    Ok(())
}

/// The time step whose code `code` is, among the steps the TOTP's skew allows around `now`.
fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let step = now / totp.step;
    let skew = u64::from(totp.skew);
    (step.saturating_sub(skew)..=step + skew).find_map(|s| {
        let expected = totp.generate(s * totp.step);
        constant_time_eq(expected.as_bytes(), code.as_bytes()).then(|| i64::try_from(s).ok())?
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn now_secs() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or_default()
}

fn wrong_code() -> ServiceError {
    ServiceError::invalid(
        "code",
        Text::new(
            "That code is not right. Codes change every 30 seconds; each works once.",
            "Il codice non è corretto. I codici cambiano ogni 30 secondi e valgono una volta sola.",
        ),
    )
}

fn stored_totp(url: &str) -> Result<TOTP, ServiceError> {
    TOTP::from_url(url).map_err(|err| ServiceError::Internal(format!("stored TOTP secret: {err}")))
}

impl Services {
    /// The name authenticator apps show above the account: the mail service's host name.
    fn totp_issuer(&self) -> String {
        self.mail.hostname.replace(':', "")
    }

    /// A fresh TOTP secret for `login`, as an `otpauth://` URL (160 random bits).
    pub fn draft_totp(&self, login: &str) -> Result<String, ServiceError> {
        use rand::Rng;
        let secret: [u8; 20] = rand::rng().random();
        let totp = TOTP::new(
            Algorithm::SHA1,
            6,
            1,
            30,
            secret.to_vec(),
            Some(self.totp_issuer()),
            login.to_string(),
        )
        .map_err(|err| ServiceError::Internal(format!("TOTP secret: {err}")))?;
        Ok(totp.get_url())
    }

    /// A drafted secret as the enrolment page shows it; a draft for someone else is refused.
    pub fn enrolment(&self, login: &str, draft: &str) -> Result<Enrolment, ServiceError> {
        let totp = TOTP::from_url(draft).map_err(|_| ServiceError::NotFound)?;
        if totp.account_name != login {
            return Err(ServiceError::NotFound);
        }
        let secret = totp.get_secret_base32();
        let grouped = secret
            .as_bytes()
            .chunks(4)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Enrolment {
            secret_base32: grouped,
            url: draft.to_string(),
            label: format!("{}: {}", totp.issuer.unwrap_or_default(), totp.account_name),
        })
    }

    /// Whether the identity must sign in with a second factor: a mailbox when its domain
    /// requires it, staff when the provider does.
    pub async fn two_factor_required(&self, actor: &Actor) -> Result<bool, ServiceError> {
        Ok(match actor {
            Actor::Postmaster { domain, .. } | Actor::User { domain, .. } => {
                domain.require_two_factor
            }
            Actor::Operator(_) | Actor::Manager(_) | Actor::Delegate(_) => {
                panel_setting::flag(&self.db, panel_setting::STAFF_TWO_FACTOR).await?
            }
        })
    }

    /// Whether the identity has TOTP on (the engine holds the secret).
    pub async fn has_totp(&self, login: &str) -> Result<bool, ServiceError> {
        Ok(self.engine.secondary_secrets(login).await?.totp.is_some())
    }

    /// Where the caller's two-factor sign-in stands.
    pub async fn two_factor_state(&self, caller: &Caller) -> Result<TwoFactorState, ServiceError> {
        let login = caller.actor.login();
        let enabled = self.has_totp(login).await?;
        let row = second_factor::Entity::find_by_id(login.to_string())
            .one(&self.db)
            .await?;
        let recovery_left = if enabled {
            recovery_code::Entity::find()
                .filter(recovery_code::Column::Login.eq(login))
                .filter(recovery_code::Column::UsedAt.is_null())
                .count(&self.db)
                .await?
        } else {
            0
        };
        Ok(TwoFactorState {
            enabled,
            enabled_at: row.filter(|_| enabled).map(|r| r.enabled_at),
            required: self.two_factor_required(&caller.actor).await?,
            recovery_left,
        })
    }

    /// Turns TOTP on with a drafted secret, once `code` shows the authenticator has it.
    /// Returns the recovery codes and the identity's new session key.
    pub async fn confirm_totp(
        &self,
        caller: &Caller,
        draft: &str,
        code: &str,
    ) -> Result<(Vec<String>, String), ServiceError> {
        let login = caller.actor.login().to_string();
        if self.has_totp(&login).await? {
            return Err(ServiceError::conflict(
                "code",
                Text::new(
                    "Two-factor authentication is already on.",
                    "L'autenticazione a due fattori è già attiva.",
                ),
            ));
        }
        let totp = TOTP::from_url(draft).map_err(|_| ServiceError::NotFound)?;
        if totp.account_name != login {
            return Err(ServiceError::NotFound);
        }
        self.code_throttle.check(&login, caller.ip)?;
        let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let Some(step) = matching_step(&totp, &compact, now_secs()) else {
            self.code_throttle.failed(&login, caller.ip);
            return Err(wrong_code());
        };
        self.code_throttle.succeeded(&login, caller.ip);
        let (codes, digests) = new_recovery_codes();
        // Panel rows first: if the engine step fails they are removed again; if the process
        // stops in between, the engine (which has no secret) says 2FA is off and the rows
        // are unused until the next enrolment replaces them.
        let rows_login = login.clone();
        self.db
            .transaction::<_, (), sea_orm::DbErr>(|txn| {
                Box::pin(async move {
                    replace_codes(txn, &rows_login, digests).await?;
                    second_factor::Entity::insert(second_factor::ActiveModel {
                        login: Set(rows_login.clone()),
                        enabled_at: Set(Utc::now()),
                        last_step: Set(step),
                    })
                    .on_conflict(
                        OnConflict::column(second_factor::Column::Login)
                            .update_columns([
                                second_factor::Column::EnabledAt,
                                second_factor::Column::LastStep,
                            ])
                            .to_owned(),
                    )
                    .exec(txn)
                    .await?;
                    Ok(())
                })
            })
            .await?;
        if let Err(err) = self.engine.set_totp(&login, draft).await {
            self.forget_second_factor_rows(&login).await;
            return Err(err.into());
        }
        let key = self.renew_session_key(&caller.actor).await?;
        self.audit(
            caller,
            AuditEntry {
                action: "account.two-factor.on",
                domain: caller.actor.domain_name(),
                target: &login,
                before: None,
                after: None,
            },
        )
        .await;
        Ok((codes, key))
    }

    /// Turns the caller's TOTP off after a current code or a recovery code; returns the new
    /// session key.
    pub async fn disable_totp(&self, caller: &Caller, code: &str) -> Result<String, ServiceError> {
        let login = caller.actor.login().to_string();
        if !self.has_totp(&login).await? {
            return Err(ServiceError::conflict(
                "code",
                Text::new(
                    "Two-factor authentication is already off.",
                    "L'autenticazione a due fattori è già disattivata.",
                ),
            ));
        }
        self.checked_code(&login, code, caller.ip).await?;
        self.engine.remove_totp(&login).await?;
        self.forget_second_factor_rows(&login).await;
        let key = self.renew_session_key(&caller.actor).await?;
        self.audit(
            caller,
            AuditEntry {
                action: "account.two-factor.off",
                domain: caller.actor.domain_name(),
                target: &login,
                before: None,
                after: None,
            },
        )
        .await;
        Ok(key)
    }

    /// Replaces the caller's recovery codes after a current TOTP code.
    pub async fn replace_recovery_codes(
        &self,
        caller: &Caller,
        code: &str,
    ) -> Result<Vec<String>, ServiceError> {
        let login = caller.actor.login().to_string();
        if !self.has_totp(&login).await? {
            return Err(ServiceError::conflict(
                "code",
                Text::new(
                    "Turn two-factor authentication on first.",
                    "Prima attiva l'autenticazione a due fattori.",
                ),
            ));
        }
        if !matches!(parse_code(code), Some(Code::Totp(_))) {
            return Err(ServiceError::invalid(
                "code",
                Text::new(
                    "Enter the 6-digit code from your authenticator app.",
                    "Inserisci il codice di 6 cifre dell'app di autenticazione.",
                ),
            ));
        }
        self.checked_code(&login, code, caller.ip).await?;
        let (codes, digests) = new_recovery_codes();
        let rows_login = login.clone();
        self.db
            .transaction::<_, (), sea_orm::DbErr>(|txn| {
                Box::pin(async move {
                    replace_codes(txn, &rows_login, digests).await?;
                    Ok(())
                })
            })
            .await?;
        self.audit(
            caller,
            AuditEntry {
                action: "account.two-factor.recovery-codes",
                domain: caller.actor.domain_name(),
                target: &login,
                before: None,
                after: None,
            },
        )
        .await;
        Ok(codes)
    }

    /// The second step of a web sign-in: a TOTP code or a recovery code, within minutes of
    /// the password, for an identity whose session key has not changed since.
    pub async fn complete_sign_in(
        &self,
        pending: &PendingSignIn,
        code: &str,
        ip: IpAddr,
    ) -> Result<SessionActor, ServiceError> {
        let age = Utc::now().timestamp().saturating_sub(pending.at);
        if !(0..=PENDING_SECONDS).contains(&age) {
            return Err(ServiceError::Unauthorized);
        }
        let actor = self.resolve(&pending.login).await?;
        if pending.key.is_empty() || actor.session_key() != pending.key {
            return Err(ServiceError::Unauthorized);
        }
        if code.trim().is_empty() {
            return Err(ServiceError::invalid(
                "code",
                Text::new(
                    "Enter the code from your authenticator app, or a recovery code.",
                    "Inserisci il codice dell'app di autenticazione o un codice di recupero.",
                ),
            ));
        }
        if let Err(err) = self.checked_code(&pending.login, code, ip).await {
            self.log_web_access(&pending.login, AccessResult::WrongCode, ip)
                .await;
            return Err(err);
        }
        if let Actor::Postmaster { mailbox, .. } | Actor::User { mailbox, .. } = &actor {
            self.record_login(&mailbox.address).await;
        }
        self.log_web_access(&pending.login, AccessResult::Ok, ip)
            .await;
        Ok(SessionActor {
            login: pending.login.clone(),
            key: pending.key.clone(),
            since: Utc::now().timestamp(),
            enrol: false,
        })
    }

    /// Checks a TOTP code or a recovery code for `login`, throttled; a wrong one is an
    /// error on the form's `code` field.
    async fn checked_code(&self, login: &str, code: &str, ip: IpAddr) -> Result<(), ServiceError> {
        self.code_throttle.check(login, ip)?;
        if self.second_factor_matches(login, code).await? {
            self.code_throttle.succeeded(login, ip);
            Ok(())
        } else {
            self.code_throttle.failed(login, ip);
            Err(wrong_code())
        }
    }

    /// Whether `code` is a current TOTP code not used before, or an unused recovery code
    /// (which it then uses up).
    async fn second_factor_matches(&self, login: &str, code: &str) -> Result<bool, ServiceError> {
        let Some(url) = self.engine.secondary_secrets(login).await?.totp else {
            return Ok(false);
        };
        match parse_code(code) {
            Some(Code::Totp(code)) => {
                let totp = stored_totp(&url)?;
                match matching_step(&totp, &code, now_secs()) {
                    Some(step) => self.accept_step(login, step).await,
                    None => Ok(false),
                }
            }
            Some(Code::Recovery(digest)) => {
                let used = recovery_code::Entity::update_many()
                    .col_expr(recovery_code::Column::UsedAt, Expr::value(Utc::now()))
                    .filter(recovery_code::Column::Login.eq(login))
                    .filter(recovery_code::Column::CodeHash.eq(digest))
                    .filter(recovery_code::Column::UsedAt.is_null())
                    .exec(&self.db)
                    .await?;
                Ok(used.rows_affected == 1)
            }
            None => Ok(false),
        }
    }

    /// Records `step` as the identity's last accepted one, if it is later than the last:
    /// a code is good once, even when two requests race with it.
    async fn accept_step(&self, login: &str, step: i64) -> Result<bool, ServiceError> {
        let moved = second_factor::Entity::update_many()
            .col_expr(second_factor::Column::LastStep, Expr::value(step))
            .filter(second_factor::Column::Login.eq(login))
            .filter(second_factor::Column::LastStep.lt(step))
            .exec(&self.db)
            .await?;
        if moved.rows_affected == 1 {
            return Ok(true);
        }
        if second_factor::Entity::find_by_id(login.to_string())
            .one(&self.db)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        // The secret is in the engine but the panel has no row (a stop between the two
        // writes): this code starts the record.
        let inserted = second_factor::Entity::insert(second_factor::ActiveModel {
            login: Set(login.to_string()),
            enabled_at: Set(Utc::now()),
            last_step: Set(step),
        })
        .on_conflict(
            OnConflict::column(second_factor::Column::Login)
                .do_nothing()
                .to_owned(),
        )
        .exec(&self.db)
        .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(sea_orm::DbErr::RecordNotInserted) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// Removes the panel's second-factor rows of an identity (best effort: without the
    /// engine's secret they are never consulted).
    pub(crate) async fn forget_second_factor_rows(&self, login: &str) {
        let removed = async {
            recovery_code::Entity::delete_many()
                .filter(recovery_code::Column::Login.eq(login))
                .exec(&self.db)
                .await?;
            second_factor::Entity::delete_by_id(login.to_string())
                .exec(&self.db)
                .await
        }
        .await;
        if let Err(err) = removed {
            tracing::warn!(%login, %err, "second-factor rows not removed");
        }
    }

    /// Gives an identity a new session key, which ends every session signed in with the old
    /// one; returns the new key.
    pub(crate) async fn renew_session_key(&self, actor: &Actor) -> Result<String, ServiceError> {
        let key = new_session_key();
        let value = || Expr::value(key.clone());
        match actor {
            Actor::Operator(op) => {
                operator::Entity::update_many()
                    .col_expr(operator::Column::SessionKey, value())
                    .filter(operator::Column::Id.eq(op.id))
                    .exec(&self.db)
                    .await?;
            }
            Actor::Manager(m) => {
                manager::Entity::update_many()
                    .col_expr(manager::Column::SessionKey, value())
                    .filter(manager::Column::Id.eq(m.id))
                    .exec(&self.db)
                    .await?;
            }
            Actor::Delegate(d) => {
                delegate::Entity::update_many()
                    .col_expr(delegate::Column::SessionKey, value())
                    .filter(delegate::Column::Id.eq(d.id))
                    .exec(&self.db)
                    .await?;
            }
            Actor::Postmaster { mailbox: m, .. } | Actor::User { mailbox: m, .. } => {
                mailbox::Entity::update_many()
                    .col_expr(mailbox::Column::SessionKey, value())
                    .filter(mailbox::Column::Id.eq(m.id))
                    .exec(&self.db)
                    .await?;
            }
        }
        Ok(key)
    }

    /// Ends every web session of the caller, the current one included.
    pub async fn sign_out_everywhere(&self, caller: &Caller) -> Result<(), ServiceError> {
        self.renew_session_key(&caller.actor).await?;
        self.audit(
            caller,
            AuditEntry {
                action: "account.sign-out-everywhere",
                domain: caller.actor.domain_name(),
                target: caller.actor.login(),
                before: None,
                after: None,
            },
        )
        .await;
        Ok(())
    }

    /// Requires (or not) a second factor of operators and managers (operators only, through
    /// their scope).
    pub(crate) async fn set_staff_two_factor(
        &self,
        caller: &Caller,
        required: bool,
    ) -> Result<(), ServiceError> {
        let before = panel_setting::flag(&self.db, panel_setting::STAFF_TWO_FACTOR).await?;
        panel_setting::set_flag(&self.db, panel_setting::STAFF_TWO_FACTOR, required).await?;
        self.audit(
            caller,
            AuditEntry {
                action: "staff.two-factor.required",
                domain: None,
                target: "staff",
                before: Some(before.to_string()),
                after: Some(required.to_string()),
            },
        )
        .await;
        Ok(())
    }

    /// Whether staff must sign in with a second factor.
    pub async fn staff_two_factor(&self) -> Result<bool, ServiceError> {
        Ok(panel_setting::flag(&self.db, panel_setting::STAFF_TWO_FACTOR).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_sixty_random_bits_read_leniently() {
        let (codes, digests) = new_recovery_codes();
        assert_eq!(digests.len(), codes.len());
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut seen = std::collections::HashSet::new();
        for code in &codes {
            assert_eq!(code.len(), 14);
            let digest = recovery_digest(code).unwrap();
            assert!(seen.insert(digest.clone()));
            assert_eq!(recovery_digest(&code.to_uppercase()), Some(digest.clone()));
            assert_eq!(recovery_digest(&code.replace('-', " ")), Some(digest));
        }
        assert_eq!(recovery_digest("abcd-efgh-jk"), None);
        assert_eq!(recovery_digest("abcd-efgh-jkm!"), None);
        // Crockford: o reads as 0, i and l as 1.
        assert_eq!(
            recovery_digest("0000-1111-abcd"),
            recovery_digest("oooo-IlIl-ABCD")
        );
    }

    #[test]
    fn a_code_matches_its_step_and_the_skew_around_it_only() {
        let totp = TOTP::new(
            Algorithm::SHA1,
            6,
            1,
            30,
            vec![7; 20],
            Some("mail.test".into()),
            "a@b.test".into(),
        )
        .unwrap();
        let now = 1_800_000_000;
        let code = totp.generate(now);
        let step = i64::try_from(now / 30).unwrap();
        assert_eq!(matching_step(&totp, &code, now), Some(step));
        assert_eq!(matching_step(&totp, &code, now + 30), Some(step));
        assert_eq!(matching_step(&totp, &code, now + 90), None);
        assert_eq!(
            matching_step(&totp, "000000", now).is_some(),
            code == "000000"
        );
        assert!(matches!(parse_code(" 123 456 "), Some(Code::Totp(c)) if c == "123456"));
        assert!(parse_code("12345").is_none());
    }
}

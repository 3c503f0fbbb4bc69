// SPDX-License-Identifier: AGPL-3.0-only
//! What stands between a password guesser and the web login: a throttle on failed sign-ins
//! per account and address, per address, and per account from anywhere, checked before any
//! password is verified; and a bound on the argon2 work running at once, so a flood of
//! sign-ins queues instead of starving the server.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use app::i18n::Text;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::ServiceError;

/// How far back failures count.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures one address may make on one account within the window.
const PER_ACCOUNT_AND_IP: usize = 5;
/// Failures one address may make on any accounts within the window.
const PER_IP: usize = 20;
/// Failures one account may take from all addresses within the window (a spread attack).
const PER_ACCOUNT: usize = 50;
/// Keys remembered at most; the oldest are dropped beyond it, so memory stays bounded.
const MAX_KEYS: usize = 100_000;
/// How long a sign-in waits for a free argon2 slot before it is told to try again.
const ARGON_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    AccountAndIp(String, IpAddr),
    Ip(IpAddr),
    Account(String),
}

/// Failures allowed within the window, and the form field a refusal is shown on.
#[derive(Debug, Clone, Copy)]
struct Limits {
    per_account_and_ip: usize,
    per_ip: usize,
    per_account: usize,
    field: &'static str,
}

impl Key {
    fn limit(&self, limits: &Limits) -> usize {
        match self {
            Key::AccountAndIp(..) => limits.per_account_and_ip,
            Key::Ip(_) => limits.per_ip,
            Key::Account(_) => limits.per_account,
        }
    }
}

/// Failed web sign-ins, remembered for [`WINDOW`].
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
    limits: Limits,
}

impl Default for LoginThrottle {
    /// The password step's throttle.
    fn default() -> Self {
        LoginThrottle {
            failures: Mutex::default(),
            limits: Limits {
                per_account_and_ip: PER_ACCOUNT_AND_IP,
                per_ip: PER_IP,
                per_account: PER_ACCOUNT,
                field: "password",
            },
        }
    }
}

impl LoginThrottle {
    /// The second-factor step's throttle: whoever reaches it has the password, so an account
    /// takes few wrong codes from anywhere (ten in the window: about one chance in 30 000
    /// of guessing a 6-digit code, whose ±1 step makes three codes valid at a time).
    pub fn for_codes() -> Self {
        LoginThrottle {
            failures: Mutex::default(),
            limits: Limits {
                per_account_and_ip: PER_ACCOUNT_AND_IP,
                per_ip: PER_IP,
                per_account: 10,
                field: "code",
            },
        }
    }

    fn keys(login: &str, ip: IpAddr) -> [Key; 3] {
        [
            Key::AccountAndIp(login.to_string(), ip),
            Key::Ip(ip),
            Key::Account(login.to_string()),
        ]
    }

    /// Refuses a sign-in while any of its counters is full, saying when to try again.
    pub fn check(&self, login: &str, ip: IpAddr) -> Result<(), ServiceError> {
        let now = Instant::now();
        let Ok(mut failures) = self.failures.lock() else {
            return Ok(());
        };
        let mut wait = Duration::ZERO;
        for key in Self::keys(login, ip) {
            if let Some(times) = failures.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > WINDOW)
                {
                    times.pop_front();
                }
                if times.len() >= key.limit(&self.limits)
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(*oldest)));
                }
            }
        }
        if wait.is_zero() {
            return Ok(());
        }
        let minutes = wait.as_secs().div_ceil(60).max(1);
        Err(ServiceError::invalid(
            self.limits.field,
            Text::new(
                format!(
                    "Too many failed sign-ins. For your security, try again in {minutes} minutes."
                ),
                format!(
                    "Troppi accessi non riusciti. Per sicurezza, riprova tra {minutes} minuti."
                ),
            ),
        ))
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, login: &str, ip: IpAddr) {
        let now = Instant::now();
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) <= WINDOW)
            });
        }
        for key in Self::keys(login, ip) {
            if failures.len() >= MAX_KEYS && !failures.contains_key(&key) {
                continue;
            }
            let limit = key.limit(&self.limits);
            let times = failures.entry(key).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// A successful sign-in clears what this address did wrong on this account.
    pub fn succeeded(&self, login: &str, ip: IpAddr) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&Key::AccountAndIp(login.to_string(), ip));
        }
    }
}

/// Waits for one of the argon2 slots (one per core): every password hashed or verified for
/// the web holds one while it works.
pub async fn argon_permit() -> Result<SemaphorePermit<'static>, ServiceError> {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    match tokio::time::timeout(ARGON_WAIT, permits.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(ServiceError::invalid(
            "password",
            Text::new(
                "The server is busy; try again in a moment.",
                "Il server è occupato; riprova tra qualche istante.",
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_throttled_per_address_and_a_success_clears_it() {
        let throttle = LoginThrottle::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        for _ in 0..PER_ACCOUNT_AND_IP {
            throttle.check("alice@x.test", ip).unwrap();
            throttle.failed("alice@x.test", ip);
        }
        let err = throttle.check("alice@x.test", ip).unwrap_err();
        assert!(err.to_string().contains("15 minutes"), "{err}");
        // Another address, or another account from this address, is not held back.
        throttle.check("alice@x.test", other).unwrap();
        throttle.check("bob@x.test", ip).unwrap();
        throttle.succeeded("alice@x.test", ip);
        throttle.check("alice@x.test", ip).unwrap();
    }

    #[tokio::test]
    async fn argon2_work_is_bounded_by_the_cores() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut held = Vec::new();
        for _ in 0..cores {
            held.push(argon_permit().await.unwrap());
        }
        let waits = tokio::time::timeout(Duration::from_millis(200), argon_permit()).await;
        assert!(waits.is_err(), "one more than the cores waits");
        held.pop();
        let goes = tokio::time::timeout(Duration::from_millis(200), argon_permit()).await;
        assert!(goes.is_ok(), "a freed slot is taken at once");
    }

    #[test]
    fn one_address_is_throttled_across_accounts() {
        let throttle = LoginThrottle::default();
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        for n in 0..PER_IP {
            throttle.failed(&format!("user{n}@x.test"), ip);
        }
        assert!(throttle.check("someone-else@x.test", ip).is_err());
    }
}

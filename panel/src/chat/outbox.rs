// SPDX-License-Identifier: AGPL-3.0-only
//! A chat session's deliveries: what the hub tells it, in order, until the hub lets it go.
//!
//! The hub sends only without waiting, from under its own lock, and one task receives.
//! tokio's bounded channel allocates its shared state and a first block of 32 slots when it
//! is made (about 1 KiB), whether anything is ever sent or not; a session mostly waits (an
//! idle XMPP client, a webmail tab in the background), so this one keeps room for
//! deliveries only while some are waiting.

use std::{
    collections::VecDeque,
    future::poll_fn,
    sync::{Arc, Mutex, MutexGuard},
    task::{Poll, Waker},
};

struct Shared<T> {
    waiting: VecDeque<T>,
    /// The receiver's task, while it waits.
    waker: Option<Waker>,
    sender_gone: bool,
    receiver_gone: bool,
}

/// The hub's end: one per session.
pub(super) struct Sender<T> {
    shared: Arc<Mutex<Shared<T>>>,
    limit: usize,
}

/// The session's end.
pub(super) struct Receiver<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

/// A channel that holds at most `limit` deliveries waiting.
pub(super) fn channel<T>(limit: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(Shared {
        waiting: VecDeque::new(),
        waker: None,
        sender_gone: false,
        receiver_gone: false,
    }));
    (
        Sender {
            shared: shared.clone(),
            limit,
        },
        Receiver { shared },
    )
}

fn lock<T>(shared: &Mutex<Shared<T>>) -> MutexGuard<'_, Shared<T>> {
    // Nothing here can panic while holding the lock; a poisoned one is still consistent.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<T> Sender<T> {
    /// Queues `item`; given back when `limit` deliveries wait already (the session fell
    /// behind) or the session is gone.
    pub(super) fn try_send(&self, item: T) -> Result<(), T> {
        let waker = {
            let mut shared = lock(&self.shared);
            if shared.receiver_gone || shared.waiting.len() >= self.limit {
                return Err(item);
            }
            shared.waiting.push_back(item);
            shared.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut shared = lock(&self.shared);
            shared.sender_gone = true;
            shared.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// The next delivery waiting, without waiting.
    pub(super) fn try_recv(&mut self) -> Option<T> {
        next(&mut lock(&self.shared))
    }

    /// The next delivery; `None` once the hub let the session go and nothing waits.
    pub(super) async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| {
            let mut shared = lock(&self.shared);
            if let Some(item) = next(&mut shared) {
                return Poll::Ready(Some(item));
            }
            if shared.sender_gone {
                return Poll::Ready(None);
            }
            match &mut shared.waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let waiting = {
            let mut shared = lock(&self.shared);
            shared.receiver_gone = true;
            shared.waker = None;
            std::mem::take(&mut shared.waiting)
        };
        // Dropped outside the lock.
        drop(waiting);
    }
}

/// The first delivery waiting; the room goes with the last one.
fn next<T>(shared: &mut Shared<T>) -> Option<T> {
    let item = shared.waiting.pop_front()?;
    if shared.waiting.is_empty() {
        shared.waiting = VecDeque::new();
    }
    Some(item)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn deliveries_come_in_order_up_to_the_limit() {
        let (tx, mut rx) = channel(3);
        for n in 1..=3 {
            assert!(tx.try_send(n).is_ok());
        }
        assert_eq!(tx.try_send(4), Err(4), "a session that fell behind");
        assert_eq!(rx.recv().await, Some(1));
        assert!(tx.try_send(5).is_ok(), "room again");
        assert_eq!(rx.try_recv(), Some(2));
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.recv().await, Some(5));
        assert_eq!(rx.try_recv(), None);
        // Nothing waits: nothing is kept.
        assert_eq!(lock(&rx.shared).waiting.capacity(), 0);
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_and_ends_after_what_was_sent() {
        let (tx, mut rx) = channel(8);
        let receiving = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(n) = rx.recv().await {
                got.push(n);
            }
            got
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(tx.try_send(1).is_ok());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(tx.try_send(2).is_ok());
        assert!(tx.try_send(3).is_ok());
        // Let go by the hub: what was sent is still received, then the end.
        drop(tx);
        let got = tokio::time::timeout(Duration::from_secs(5), receiving)
            .await
            .expect("woken")
            .expect("received");
        assert_eq!(got, [1, 2, 3]);
    }

    #[test]
    fn nothing_is_sent_to_a_session_gone() {
        let (tx, rx) = channel(8);
        assert!(tx.try_send(1).is_ok());
        drop(rx);
        assert_eq!(tx.try_send(2), Err(2));
    }
}

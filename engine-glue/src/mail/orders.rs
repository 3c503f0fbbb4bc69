// SPDX-License-Identifier: AGPL-3.0-only
//! The order of a folder's messages, kept between pages.
//!
//! The engine sorts a query by reading the account's whole received-date index, so asking
//! for a page of a 50,000-message folder costs as much as sorting 50,000 messages, every
//! time. The order it gave is kept here with the state of the mail it was made at; a later
//! page is read from it when the mail's state is still that one, which the engine tells
//! with the messages themselves (`Email/get` answers with the same state as
//! `Email/query`), so a stale order is never shown: any change (a delivery, a move, a flag)
//! makes a new one.
//!
//! Only listings the engine answers from its message cache are kept (a folder, or folders
//! left out, unread, flagged). A text or date search reads the search index, which the
//! engine fills in the background: its answer can change without the state changing.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

/// Messages of one order kept at most (the engine's most for one query): a deeper page is
/// asked of the engine directly.
pub(super) const DEPTH: u64 = 5_000;
/// Messages asked for past the page wanted, so the next pages are there too.
pub(super) const AHEAD: u64 = 1_000;
/// Messages of all orders kept together (about 40 bytes each).
const CAPACITY: usize = 400_000;

/// Which listing: an account, its filter (as JMAP) and whether by conversation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct OrderKey {
    pub account: u32,
    pub filter: String,
    pub conversations: bool,
}

/// A listing's first messages (or conversations), in the engine's order, at one state.
#[derive(Debug)]
pub(super) struct Order {
    /// The state of the account's mail the order was made at.
    pub state: String,
    /// Message ids (by conversation, one message of each), newest first: all of them, or
    /// the first ones.
    pub ids: Vec<String>,
    /// The ids are all of the listing's, not only its first ones.
    pub complete: bool,
    /// Messages in the listing, all together (by conversation too, as the engine counts).
    pub total: u64,
}

impl Order {
    /// The ids of the page from `position` to `end` (exclusive), when the order holds it.
    pub fn page(&self, position: u64, end: u64) -> Option<&[String]> {
        let kept = self.ids.len() as u64;
        if end > kept && !self.complete {
            return None;
        }
        let from = usize::try_from(position.min(kept)).ok()?;
        let to = usize::try_from(end.min(kept)).ok()?;
        self.ids.get(from..to)
    }
}

/// What changed in the mail since an order's state, as the engine tells it.
#[derive(Debug, Default)]
pub(super) struct Changes {
    /// The state they lead to.
    pub state: String,
    pub destroyed: Vec<String>,
    /// Messages changed (flags, folders), and whether the listing takes them now.
    pub updated: Vec<(String, bool)>,
    /// New messages the listing takes, with their arrival times (RFC 3339, UTC).
    pub created: Vec<(String, String)>,
    /// When the order's first message arrived (none when it is gone, or the order empty).
    pub top_received: Option<String>,
}

impl Order {
    /// The order at the changes' state, when they can be placed without sorting again:
    /// messages changed in place, messages that left the listing, and new messages newer
    /// than every one it holds. None when a message must be placed among the others, or
    /// when the order holds only the first messages and a change may concern the rest.
    pub fn advanced(&self, changes: &Changes) -> Option<Order> {
        let complete = self.complete;
        let held: HashSet<&str> = self.ids.iter().map(String::as_str).collect();
        let mut gone: HashSet<&str> = HashSet::new();
        for id in &changes.destroyed {
            if held.contains(id.as_str()) {
                gone.insert(id);
            } else if !complete {
                return None;
            }
        }
        for (id, taken) in &changes.updated {
            match (held.contains(id.as_str()), taken) {
                (true, true) => {}
                (true, false) => {
                    gone.insert(id);
                }
                (false, true) => return None,
                (false, false) if !complete => return None,
                (false, false) => {}
            }
        }
        let mut new: Vec<&(String, String)> = changes.created.iter().collect();
        if !new.is_empty() {
            if !self.ids.is_empty() {
                let top = changes.top_received.as_deref()?;
                if new.iter().any(|(_, received)| received.as_str() <= top) {
                    return None;
                }
            }
            new.sort_by(|a, b| b.1.cmp(&a.1));
            if new.windows(2).any(|pair| pair[0].1 == pair[1].1) {
                return None;
            }
        }
        let total = (self.total + new.len() as u64).checked_sub(gone.len() as u64)?;
        let mut ids: Vec<String> = new.into_iter().map(|(id, _)| id.clone()).collect();
        ids.extend(
            self.ids
                .iter()
                .filter(|id| !gone.contains(id.as_str()))
                .cloned(),
        );
        let depth = usize::try_from(DEPTH).unwrap_or(usize::MAX);
        let complete = complete && ids.len() <= depth;
        ids.truncate(depth);
        Some(Order {
            state: changes.state.clone(),
            ids,
            complete,
            total,
        })
    }
}

/// The orders kept, the least recently used going first when they hold too many messages.
#[derive(Debug, Default)]
pub(crate) struct Orders {
    inner: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    orders: HashMap<OrderKey, (Arc<Order>, u64)>,
    /// Ids held by all orders.
    held: usize,
    /// Counts uses, for the least recently used.
    clock: u64,
}

impl Orders {
    pub(super) fn get(&self, key: &OrderKey) -> Option<Arc<Order>> {
        let mut kept = self.inner.lock().ok()?;
        kept.clock += 1;
        let now = kept.clock;
        let (order, used) = kept.orders.get_mut(key)?;
        *used = now;
        Some(order.clone())
    }

    pub(super) fn put(&self, key: OrderKey, order: Arc<Order>) {
        let Ok(mut kept) = self.inner.lock() else {
            return;
        };
        kept.clock += 1;
        let now = kept.clock;
        let size = order.ids.len();
        if let Some((old, _)) = kept.orders.insert(key, (order, now)) {
            kept.held -= old.ids.len();
        }
        kept.held += size;
        while kept.held > CAPACITY {
            let Some(oldest) = kept
                .orders
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            if let Some((gone, _)) = kept.orders.remove(&oldest) {
                kept.held -= gone.ids.len();
            }
        }
    }

    /// Forgets an account's orders (its mail is gone, or its rights changed).
    pub(crate) fn forget(&self, account: u32) {
        if let Ok(mut kept) = self.inner.lock() {
            let mut freed = 0;
            kept.orders.retain(|key, (order, _)| {
                let keep = key.account != account;
                if !keep {
                    freed += order.ids.len();
                }
                keep
            });
            kept.held -= freed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(ids: usize, total: u64) -> Arc<Order> {
        Arc::new(Order {
            state: "s1".into(),
            ids: (0..ids).map(|i| format!("m{i}")).collect(),
            complete: ids as u64 >= total,
            total,
        })
    }

    fn key(account: u32, filter: &str) -> OrderKey {
        OrderKey {
            account,
            filter: filter.into(),
            conversations: false,
        }
    }

    #[test]
    fn a_page_comes_from_the_order_only_when_it_holds_it() {
        let whole = order(120, 120);
        assert_eq!(whole.page(0, 50).map(<[String]>::len), Some(50));
        assert_eq!(whole.page(100, 150).map(<[String]>::len), Some(20));
        assert_eq!(
            whole
                .page(100, 150)
                .and_then(|p| p.first())
                .map(String::as_str),
            Some("m100")
        );
        // Past the end of a complete order: an empty page, not a question to the engine.
        assert_eq!(whole.page(200, 250).map(<[String]>::len), Some(0));

        // By conversation the engine counts messages: 6 of them in 4 conversations, all kept.
        let conversations = Order {
            state: "s1".into(),
            ids: vec!["m0".into(), "m1".into(), "m2".into(), "m3".into()],
            complete: true,
            total: 6,
        };
        assert_eq!(conversations.page(0, 25).map(<[String]>::len), Some(4));

        let prefix = order(1000, 50_000);
        assert_eq!(prefix.page(950, 1000).map(<[String]>::len), Some(50));
        assert!(prefix.page(960, 1010).is_none());
        assert!(prefix.page(4000, 4050).is_none());
    }

    fn ids(order: &Order) -> Vec<&str> {
        order.ids.iter().map(String::as_str).collect()
    }

    fn listed(names: &[&str], total: u64) -> Order {
        Order {
            state: "s1".into(),
            ids: names.iter().map(|n| n.to_string()).collect(),
            complete: names.len() as u64 >= total,
            total,
        }
    }

    #[test]
    fn changes_in_place_and_departures_keep_the_order() {
        let order = listed(&["c", "b", "a"], 3);
        let next = order
            .advanced(&Changes {
                state: "s2".into(),
                destroyed: vec!["a".into(), "elsewhere".into()],
                updated: vec![("b".into(), false), ("c".into(), true), ("x".into(), false)],
                ..Changes::default()
            })
            .expect("placed");
        assert_eq!(ids(&next), ["c"]);
        assert_eq!((next.total, next.state.as_str()), (1, "s2"));
    }

    #[test]
    fn new_messages_newer_than_all_go_on_top_and_others_ask_for_a_new_order() {
        let order = listed(&["b", "a"], 2);
        let newer = |created: Vec<(&str, &str)>, top: Option<&str>| Changes {
            state: "s2".into(),
            created: created
                .into_iter()
                .map(|(id, at)| (id.to_string(), at.to_string()))
                .collect(),
            top_received: top.map(str::to_string),
            ..Changes::default()
        };
        let next = order
            .advanced(&newer(
                vec![("d", "2026-12-04T10:00:02Z"), ("e", "2026-12-04T10:00:03Z")],
                Some("2026-12-04T10:00:01Z"),
            ))
            .expect("placed");
        assert_eq!(ids(&next), ["e", "d", "b", "a"]);
        assert_eq!(next.total, 4);
        // As old as the newest held, or older: it belongs among them.
        for at in ["2026-12-04T10:00:01Z", "2026-12-03T00:00:00Z"] {
            assert!(
                order
                    .advanced(&newer(vec![("d", at)], Some("2026-12-04T10:00:01Z")))
                    .is_none()
            );
        }
        // Two new ones at the same second: their order is the engine's to say.
        assert!(
            order
                .advanced(&newer(
                    vec![("d", "2026-12-05T00:00:00Z"), ("e", "2026-12-05T00:00:00Z")],
                    Some("2026-12-04T10:00:01Z"),
                ))
                .is_none()
        );
        // The first held message gone: nothing to compare with.
        assert!(
            order
                .advanced(&newer(vec![("d", "2026-12-05T00:00:00Z")], None))
                .is_none()
        );
        // An empty listing takes them as they come.
        let empty = listed(&[], 0);
        let next = empty
            .advanced(&newer(vec![("d", "2026-12-05T00:00:00Z")], None))
            .expect("placed");
        assert_eq!(ids(&next), ["d"]);
    }

    #[test]
    fn a_message_joining_the_listing_or_unknown_to_a_partial_order_asks_for_a_new_one() {
        let complete = listed(&["b", "a"], 2);
        let joined = Changes {
            updated: vec![("x".into(), true)],
            ..Changes::default()
        };
        assert!(complete.advanced(&joined).is_none());

        let partial = listed(&["b", "a"], 10);
        for changes in [
            Changes {
                updated: vec![("deep".into(), false)],
                ..Changes::default()
            },
            Changes {
                destroyed: vec!["deep".into()],
                ..Changes::default()
            },
        ] {
            assert!(partial.advanced(&changes).is_none(), "{changes:?}");
        }
        // What it holds, it can still follow.
        let next = partial
            .advanced(&Changes {
                updated: vec![("a".into(), false), ("b".into(), true)],
                ..Changes::default()
            })
            .expect("placed");
        assert_eq!((ids(&next), next.total), (vec!["b"], 9));
    }

    #[test]
    fn the_least_recently_used_order_goes_first() {
        let orders = Orders::default();
        orders.put(key(1, "a"), order(CAPACITY / 2, 1));
        orders.put(key(2, "b"), order(CAPACITY / 2, 1));
        assert!(orders.get(&key(1, "a")).is_some());
        orders.put(key(3, "c"), order(10, 1));
        assert!(orders.get(&key(1, "a")).is_some(), "used last, kept");
        assert!(orders.get(&key(2, "b")).is_none(), "used least, gone");
        assert!(orders.get(&key(3, "c")).is_some());

        orders.forget(1);
        assert!(orders.get(&key(1, "a")).is_none());
        assert!(orders.get(&key(3, "c")).is_some());
        let held = orders.inner.lock().map(|k| k.held).unwrap_or_default();
        assert_eq!(held, 10);
    }
}

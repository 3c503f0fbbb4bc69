// SPDX-License-Identifier: AGPL-3.0-only
//! The operation id: one per HTTP request, made by a layer (see `http::guard`), carried by
//! every log line of the request and shown to the user when something fails on our side, so
//! the cause is found from what the user reports.

use std::{fmt, future::Future};

tokio::task_local! {
    static CURRENT: OpId;
}

/// One request's operation id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpId(u64);

impl OpId {
    #[allow(clippy::new_without_default)]
    pub fn new() -> OpId {
        OpId(rand::random())
    }

    /// The id of the request being served, or a fresh one outside any request.
    pub fn current() -> OpId {
        CURRENT.try_with(|op| *op).unwrap_or_else(|_| OpId::new())
    }

    /// Runs `work` as the operation `op`.
    pub async fn scope<F: Future>(op: OpId, work: F) -> F::Output {
        CURRENT.scope(op, work).await
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

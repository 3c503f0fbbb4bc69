// SPDX-License-Identifier: AGPL-3.0-only
//! Per-connection limits: the bytes one stanza may take, and the rate of stanzas. And one
//! repair of what goes out during negotiation (see [`EMPTY_MECHANISMS`]).

use std::{
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Instant,
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Counts the bytes read since the last complete stanza; past the limit, reading fails and
/// the meter remembers why, so the stream ends with `policy-violation`.
#[derive(Clone)]
pub(super) struct Meter(Arc<MeterState>);

struct MeterState {
    read: AtomicUsize,
    limit: usize,
    exceeded: AtomicBool,
    /// Still negotiating: the stream features are written now.
    negotiating: AtomicBool,
}

/// What tokio-xmpp's stream features always hold, even with no mechanism in it: an empty
/// SASL feature, which tells a client that SASL is offered (before TLS, and again after
/// sign-in, which RFC 6120 §6.4.6 forbids), so some (Pidgin, xmpp.js) try to sign in again
/// with nothing to choose from. It is never meaningful, so it is not sent.
const EMPTY_MECHANISMS: &[u8] =
    b"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'></mechanisms>";

impl Meter {
    pub(super) fn new(limit: usize) -> Meter {
        Meter(Arc::new(MeterState {
            read: AtomicUsize::new(0),
            limit,
            exceeded: AtomicBool::new(false),
            negotiating: AtomicBool::new(true),
        }))
    }

    /// The session is bound: no more stream features go out.
    pub(super) fn negotiated(&self) {
        self.0.negotiating.store(false, Ordering::Relaxed);
    }

    /// A stanza was read whole: the next one starts from zero.
    pub(super) fn stanza_done(&self) {
        self.0.read.store(0, Ordering::Relaxed);
    }

    pub(super) fn exceeded(&self) -> bool {
        self.0.exceeded.load(Ordering::Relaxed)
    }
}

/// A connection whose reads go through a [`Meter`].
pub(super) struct Metered<T> {
    inner: T,
    meter: Meter,
}

impl<T> Metered<T> {
    pub(super) fn new(inner: T, meter: Meter) -> Metered<T> {
        Metered { inner, meter }
    }

    pub(super) fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Metered<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.meter.exceeded() {
            return Poll::Ready(Err(too_big()));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let got = buf.filled().len() - before;
            let total = self.meter.0.read.fetch_add(got, Ordering::Relaxed) + got;
            if total > self.meter.0.limit {
                self.meter.0.exceeded.store(true, Ordering::Relaxed);
                // A read that fails hands over nothing.
                buf.set_filled(before);
                return Poll::Ready(Err(too_big()));
            }
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Metered<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.meter.0.negotiating.load(Ordering::Relaxed)
            && let Some(at) = buf
                .windows(EMPTY_MECHANISMS.len())
                .position(|w| w == EMPTY_MECHANISMS)
        {
            // What comes before it is written; it is taken as written without being sent.
            if at == 0 {
                return Poll::Ready(Ok(EMPTY_MECHANISMS.len()));
            }
            return Pin::new(&mut self.inner).poll_write(cx, &buf[..at]);
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn too_big() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "stanza larger than allowed")
}

/// A token bucket: `rate` stanzas a second on average, `burst` at once.
pub(crate) struct Rate {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl Rate {
    pub(crate) fn new(rate: f64, burst: f64) -> Rate {
        Rate {
            tokens: burst,
            rate,
            burst,
            last: Instant::now(),
        }
    }

    /// Takes one stanza's token; `false` when the client sends faster than allowed.
    pub(crate) fn take(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn a_read_past_the_limit_fails_and_is_remembered() {
        let meter = Meter::new(10);
        let mut small = Metered::new(&b"<a/><b/>"[..], meter.clone());
        let mut buf = Vec::new();
        small.read_to_end(&mut buf).await.unwrap();
        assert!(!meter.exceeded());
        meter.stanza_done();
        let mut big = Metered::new(&b"<message>0123456789</message>"[..], meter.clone());
        assert!(big.read_to_end(&mut Vec::new()).await.is_err());
        assert!(meter.exceeded());
    }

    #[tokio::test]
    async fn empty_sasl_features_are_not_sent_while_negotiating() {
        use tokio::io::AsyncWriteExt;
        let features = b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
            <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'></mechanisms><sm/></stream:features>";
        let meter = Meter::new(1000);
        let mut out = Metered::new(Vec::new(), meter.clone());
        out.write_all(features).await.unwrap();
        assert_eq!(
            String::from_utf8(out.into_inner()).unwrap(),
            "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm/></stream:features>"
        );
        // Once bound, nothing is touched.
        meter.negotiated();
        let mut out = Metered::new(Vec::new(), meter);
        out.write_all(EMPTY_MECHANISMS).await.unwrap();
        assert_eq!(out.into_inner(), EMPTY_MECHANISMS);
    }

    #[test]
    fn a_burst_is_allowed_then_the_rate() {
        let mut rate = Rate::new(1.0, 3.0);
        assert!(rate.take() && rate.take() && rate.take());
        assert!(!rate.take());
    }
}

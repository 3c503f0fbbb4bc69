// SPDX-License-Identifier: AGPL-3.0-only
//! A connection's reading side, buffered only while it holds unread bytes: an idle session
//! (most are, most of the time) keeps no read buffer at all. Writes go straight through: the
//! XML stream gathers what it writes already, and hands it over in one piece.

use std::{
    io,
    mem::MaybeUninit,
    pin::Pin,
    task::{Context, Poll, ready},
};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

/// The most one read takes from the connection.
const READ_CHUNK: usize = 4096;

/// Bytes waiting to be read, from a read position; the buffer is let go once all are read.
#[derive(Default)]
pub(super) struct Unread {
    bytes: Vec<u8>,
    at: usize,
}

impl Unread {
    /// Bytes that arrived, kept once nothing is left of what came before.
    pub(super) fn set(&mut self, bytes: Vec<u8>) {
        self.bytes = bytes;
        self.at = 0;
    }

    pub(super) fn extend(&mut self, more: &[u8]) {
        self.bytes.extend_from_slice(more);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        self.bytes.get(self.at..).unwrap_or_default()
    }

    /// `n` bytes were read.
    pub(super) fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.bytes.len());
        if self.at == self.bytes.len() {
            self.bytes = Vec::new();
            self.at = 0;
        }
    }

    /// Gives `buf` what fits of the waiting bytes.
    pub(super) fn read_into(&mut self, buf: &mut ReadBuf<'_>) {
        let n = buf.remaining().min(self.as_slice().len());
        buf.put_slice(&self.as_slice()[..n]);
        self.consume(n);
    }

    /// The room held, for the tests of what an idle connection keeps.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.bytes.capacity()
    }
}

/// Reads into a buffer made for what arrived, and freed once it is all taken.
pub(super) struct OnDemand<T> {
    inner: T,
    unread: Unread,
}

impl<T> OnDemand<T> {
    pub(super) fn new(inner: T) -> OnDemand<T> {
        OnDemand {
            inner,
            unread: Unread::default(),
        }
    }

    /// The connection; what was read and not yet taken is dropped (so nothing sent before
    /// TLS starts is ever taken as if it came over TLS).
    pub(super) fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> AsyncBufRead for OnDemand<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.unread.is_empty() {
            let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut read = ReadBuf::uninit(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            this.unread.set(read.filled().to_vec());
        }
        Poll::Ready(Ok(this.unread.as_slice()))
    }

    fn consume(self: Pin<&mut Self>, taken: usize) {
        self.get_mut().unread.consume(taken);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for OnDemand<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.unread.is_empty() {
            this.unread.read_into(buf);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for OnDemand<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn reads_whole_and_keeps_no_buffer_once_all_is_taken() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut reader = OnDemand::new(server);
        client.write_all(b"<a/><b/>").await.unwrap();
        let got = reader.fill_buf().await.unwrap().to_vec();
        assert_eq!(got, b"<a/><b/>");
        reader.consume(4);
        assert_eq!(reader.fill_buf().await.unwrap(), b"<b/>");
        reader.consume(4);
        assert_eq!(reader.unread.capacity(), 0);
        client.write_all(b"<c/>").await.unwrap();
        drop(client);
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"<c/>");
        assert_eq!(reader.unread.capacity(), 0);
    }

    #[tokio::test]
    async fn writes_go_straight_through() {
        let (client, server) = tokio::io::duplex(64);
        let mut writer = OnDemand::new(server);
        writer.write_all(b"<ok/>").await.unwrap();
        writer.flush().await.unwrap();
        let mut got = [0u8; 5];
        let mut client = client;
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"<ok/>");
    }
}

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

/// Reads into a buffer made for what arrived, and freed once it is all taken.
pub(super) struct OnDemand<T> {
    inner: T,
    unread: Vec<u8>,
    at: usize,
}

impl<T> OnDemand<T> {
    pub(super) fn new(inner: T) -> OnDemand<T> {
        OnDemand {
            inner,
            unread: Vec::new(),
            at: 0,
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
        if this.at >= this.unread.len() {
            let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut read = ReadBuf::uninit(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            this.unread = read.filled().to_vec();
            this.at = 0;
        }
        Poll::Ready(Ok(&this.unread[this.at..]))
    }

    fn consume(self: Pin<&mut Self>, taken: usize) {
        let this = self.get_mut();
        this.at = (this.at + taken).min(this.unread.len());
        if this.at == this.unread.len() {
            this.unread = Vec::new();
            this.at = 0;
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for OnDemand<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.at < this.unread.len() {
            let n = buf.remaining().min(this.unread.len() - this.at);
            buf.put_slice(&this.unread[this.at..this.at + n]);
            Pin::new(this).consume(n);
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

// SPDX-License-Identifier: AGPL-3.0-only
//! TLS for chat connections, holding no buffer while a connection is idle.
//!
//! rustls' buffered connection (the one `tokio-rustls` wraps) keeps a 4 KiB receive buffer for
//! the whole life of a connection, pending bytes or not. A chat client's connection waits
//! nearly all the time, so across thousands of them that buffer is most of what TLS costs.
//! [`LeanTls`] drives rustls' unbuffered state machine instead, over a TCP socket: the bytes
//! received and not yet decrypted, decrypted and not yet read, and encrypted and not yet sent
//! each live in a buffer of their own that exists only while it holds something.

use std::{
    future::poll_fn,
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};

use super::reader::Unread;
use tokio_rustls::rustls::{
    ServerConfig,
    server::UnbufferedServerConnection,
    unbuffered::{ConnectionState, EncodeError, EncryptError},
};

/// Bytes taken from the socket at once.
const READ_SIZE: usize = 4096;
/// The most received bytes kept waiting for the rest of a TLS message: a handshake message
/// joined from several records may take up to 64 KiB, a record 16 KiB and its overhead.
const MAX_RECEIVED: usize = 0x1_0000 + 0x4800;
/// Encrypted bytes queued before a writer waits for the socket to take some.
const MAX_QUEUED: usize = 0x1_0000;
/// Plaintext encrypted at once: one record's worth.
const RECORD: usize = 0x4000;

/// A TLS server connection over TCP (see the module's documentation).
pub(super) struct LeanTls {
    tcp: TcpStream,
    conn: UnbufferedServerConnection,
    /// Received, not yet processed: `received[..filled]`.
    received: Vec<u8>,
    filled: usize,
    /// Decrypted, not yet read.
    plain: Unread,
    /// Encrypted (or handshake) bytes not yet sent: `queued[sent..]`.
    queued: Vec<u8>,
    sent: usize,
    /// The socket reached its end.
    tcp_ended: bool,
    /// The peer sent its close_notify: nothing more comes.
    peer_closed: bool,
    /// Asked to close: a close_notify goes out at the next chance, and nothing after it.
    closing: bool,
    /// The close_notify is queued.
    close_queued: bool,
    /// rustls refused the connection: nothing more is processed.
    failed: bool,
}

/// Where rustls rests once it has done all it can with the bytes it has.
enum Rest {
    /// Mid-handshake, it needs more bytes from the peer.
    Blocked,
    /// Application data may be written (and more may be received).
    Open,
    /// Both sides have sent close_notify.
    Closed,
}

impl LeanTls {
    /// Runs the server's side of a TLS handshake over `tcp`.
    pub(super) async fn accept(tcp: TcpStream, config: Arc<ServerConfig>) -> io::Result<LeanTls> {
        let conn = UnbufferedServerConnection::new(config).map_err(invalid)?;
        let mut tls = LeanTls {
            tcp,
            conn,
            received: Vec::new(),
            filled: 0,
            plain: Unread::default(),
            queued: Vec::new(),
            sent: 0,
            tcp_ended: false,
            peer_closed: false,
            closing: false,
            close_queued: false,
            failed: false,
        };
        poll_fn(|cx| tls.poll_handshake(cx)).await?;
        Ok(tls)
    }

    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let (rest, _) = self.advance(&[])?;
            ready!(self.poll_send(cx))?;
            if !self.conn.is_handshaking() {
                return Poll::Ready(Ok(()));
            }
            if matches!(rest, Rest::Closed) || self.peer_closed {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            ready!(self.poll_receive(cx))?;
        }
    }

    /// Lets rustls process the bytes received, keeping what it decrypts and queueing what it
    /// has to send, until it rests; on the way, encrypts up to a record of `data` (how much is
    /// the second value) once application data may be written.
    fn advance(&mut self, data: &[u8]) -> io::Result<(Rest, usize)> {
        if self.failed {
            return Err(invalid("the TLS connection failed"));
        }
        let mut written = 0;
        loop {
            let status = self
                .conn
                .process_tls_records(&mut self.received[..self.filled]);
            let mut discard = status.discard;
            let state = match status.state {
                Ok(state) => state,
                Err(err) => {
                    self.discard(discard);
                    return Err(self.failed(err));
                }
            };
            let rest = match state {
                ConnectionState::ReadTraffic(mut traffic) => {
                    while let Some(record) = traffic.next_record() {
                        let record = record.map_err(invalid)?;
                        discard += record.discard;
                        self.plain.extend(record.payload);
                    }
                    None
                }
                ConnectionState::EncodeTlsData(mut encode) => {
                    append(&mut self.queued, 0, |out| {
                        encode.encode(out).map_err(encode_needs)
                    })?;
                    None
                }
                // What was encoded is in the queue, which goes out before anything is waited
                // for: rustls may count it as sent.
                ConnectionState::TransmitTlsData(transmit) => {
                    transmit.done();
                    None
                }
                ConnectionState::BlockedHandshake => Some(Rest::Blocked),
                ConnectionState::PeerClosed => {
                    self.peer_closed = true;
                    None
                }
                ConnectionState::Closed => Some(Rest::Closed),
                ConnectionState::WriteTraffic(mut traffic) => {
                    if self.closing {
                        if !self.close_queued {
                            append(&mut self.queued, 64, |out| {
                                traffic.queue_close_notify(out).map_err(needs)
                            })?;
                            self.close_queued = true;
                        }
                    } else if written < data.len() {
                        let chunk = &data[..data.len().min(RECORD)];
                        append(&mut self.queued, chunk.len() + 64, |out| {
                            traffic.encrypt(chunk, out).map_err(needs)
                        })?;
                        written = chunk.len();
                    }
                    Some(Rest::Open)
                }
                // Early data is not enabled, so not accepted.
                _ => return Err(invalid("unexpected TLS state")),
            };
            self.discard(discard);
            if let Some(rest) = rest {
                return Ok((rest, written));
            }
        }
    }

    /// A failed connection: the alert rustls queued for the peer goes out if the socket takes
    /// it now, and the error is the connection's. (The alert is all rustls has queued: what it
    /// had before is always encoded before it reads on. Asked once more it would read on, and
    /// fail again.)
    fn failed(&mut self, err: tokio_rustls::rustls::Error) -> io::Error {
        self.failed = true;
        let status = self
            .conn
            .process_tls_records(&mut self.received[..self.filled]);
        if let Ok(ConnectionState::EncodeTlsData(mut encode)) = status.state {
            let _ = append(&mut self.queued, 0, |out| {
                encode.encode(out).map_err(encode_needs)
            });
        }
        if let Some(unsent) = self.queued.get(self.sent..) {
            let _ = self.tcp.try_write(unsent);
        }
        self.queued = Vec::new();
        self.sent = 0;
        self.received = Vec::new();
        self.filled = 0;
        invalid(err)
    }

    /// Drops `n` processed bytes from the front of what was received.
    fn discard(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.received.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    /// Reads what the socket has; `Ready(())` when something came or the socket ended.
    fn poll_receive(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.tcp_ended {
            return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
        }
        if self.filled >= MAX_RECEIVED {
            return Poll::Ready(Err(invalid("TLS message too large")));
        }
        loop {
            ready!(self.tcp.poll_read_ready(cx))?;
            if self.received.len() < self.filled + READ_SIZE {
                self.received.resize(self.filled + READ_SIZE, 0);
            }
            match self.tcp.try_read(&mut self.received[self.filled..]) {
                Ok(0) => {
                    self.tcp_ended = true;
                    self.rest_buffers();
                    return Poll::Ready(Ok(()));
                }
                Ok(n) => {
                    self.filled += n;
                    return Poll::Ready(Ok(()));
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => self.rest_buffers(),
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
    }

    /// Nothing is arriving: the receive buffer keeps only a partial message, if any.
    fn rest_buffers(&mut self) {
        if self.filled == 0 {
            self.received = Vec::new();
        } else {
            self.received.truncate(self.filled);
            self.received.shrink_to_fit();
        }
    }

    /// Sends what is queued; `Ready(())` once nothing is.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(unsent) = self.queued.get(self.sent..).filter(|u| !u.is_empty()) {
            match ready!(Pin::new(&mut self.tcp).poll_write(cx, unsent))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => self.sent += n,
            }
        }
        self.queued = Vec::new();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }

    fn queued_len(&self) -> usize {
        self.queued.len() - self.sent
    }
}

impl AsyncRead for LeanTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.plain.is_empty() {
                this.plain.read_into(buf);
                return Poll::Ready(Ok(()));
            }
            let (rest, _) = this.advance(&[])?;
            // A key update or session tickets may be waiting to go; the read goes on while
            // the socket does not take them yet.
            if let Poll::Ready(Err(err)) = this.poll_send(cx) {
                return Poll::Ready(Err(err));
            }
            if !this.plain.is_empty() {
                continue;
            }
            if this.peer_closed || matches!(rest, Rest::Closed) {
                return Poll::Ready(Ok(()));
            }
            // The socket's end without a close_notify: whatever was said may be cut short.
            ready!(this.poll_receive(cx))?;
        }
    }
}

impl AsyncWrite for LeanTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.queued_len() >= MAX_QUEUED {
            ready!(this.poll_send(cx))?;
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if this.closing {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            }
            match this.advance(data)? {
                (_, written) if written > 0 => {
                    if let Poll::Ready(Err(err)) = this.poll_send(cx) {
                        return Poll::Ready(Err(err));
                    }
                    return Poll::Ready(Ok(written));
                }
                (Rest::Blocked, _) => {
                    ready!(this.poll_send(cx))?;
                    ready!(this.poll_receive(cx))?;
                }
                (Rest::Open | Rest::Closed, _) => {
                    return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.closing {
            this.closing = true;
            this.advance(&[])?;
        }
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.tcp).poll_shutdown(cx)
    }
}

/// Appends to `out` what `write` puts into the room it is given, starting with `guess` bytes
/// of room and growing to what rustls says it needs (`Err(Some(size))`; `Err(None)`: failed).
fn append(
    out: &mut Vec<u8>,
    guess: usize,
    mut write: impl FnMut(&mut [u8]) -> Result<usize, Option<usize>>,
) -> io::Result<()> {
    let start = out.len();
    let mut room = guess;
    loop {
        out.resize(start + room, 0);
        match write(&mut out[start..]) {
            Ok(n) => {
                out.truncate(start + n);
                return Ok(());
            }
            Err(Some(needed)) if needed > room => room = needed,
            Err(_) => {
                out.truncate(start);
                return Err(invalid("TLS record could not be written"));
            }
        }
    }
}

/// The room rustls needs to encode a handshake record, if room is what it lacks.
fn encode_needs(err: EncodeError) -> Option<usize> {
    match err {
        EncodeError::InsufficientSize(size) => Some(size.required_size),
        _ => None,
    }
}

/// The room rustls needs to encrypt, if room is what it lacks.
fn needs(err: EncryptError) -> Option<usize> {
    match err {
        EncryptError::InsufficientSize(size) => Some(size.required_size),
        _ => None,
    }
}

fn invalid<E: Into<Box<dyn std::error::Error + Send + Sync>>>(err: E) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::TcpListener,
    };
    use tokio_rustls::{
        TlsConnector,
        client::TlsStream,
        rustls::{
            ClientConfig, RootCertStore, SupportedCipherSuite,
            crypto::ring::default_provider,
            pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName},
        },
    };

    use super::*;

    type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

    /// Client and server configurations around a fresh self-signed certificate.
    fn configs(
        suite: Option<SupportedCipherSuite>,
    ) -> Result<(Arc<ServerConfig>, Arc<ClientConfig>)> {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
        let der = CertificateDer::from(cert.serialize_der()?);
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.serialize_private_key_der()));
        // The service's own provider on the server's side, ring's on the client's, which
        // offers `suite` only when one is given.
        let server =
            ServerConfig::builder_with_provider(Arc::new(super::super::tls_keys::provider()))
                .with_safe_default_protocol_versions()?
                .with_no_client_auth()
                .with_single_cert(vec![der.clone()], key)?;
        let mut roots = RootCertStore::empty();
        roots.add(der)?;
        let mut client_provider = default_provider();
        if let Some(suite) = suite {
            client_provider.cipher_suites = vec![suite];
        }
        let client = ClientConfig::builder_with_provider(Arc::new(client_provider))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok((Arc::new(server), Arc::new(client)))
    }

    /// A server connection and a rustls client connected to it over loopback.
    async fn pair() -> Result<(LeanTls, TlsStream<TcpStream>)> {
        pair_with(None).await
    }

    async fn pair_with(
        suite: Option<SupportedCipherSuite>,
    ) -> Result<(LeanTls, TlsStream<TcpStream>)> {
        let (server, client) = configs(suite)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let accepting = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await?;
            LeanTls::accept(tcp, server).await
        });
        let tcp = TcpStream::connect(address).await?;
        let name = ServerName::try_from("localhost")?;
        let client = TlsConnector::from(client).connect(name, tcp).await?;
        Ok((accepting.await??, client))
    }

    /// Waits briefly for bytes that do not come: the connection is then idle.
    async fn idle(server: &mut LeanTls) {
        let mut byte = [0u8; 1];
        let waited = tokio::time::timeout(Duration::from_millis(50), server.read(&mut byte)).await;
        assert!(waited.is_err(), "nothing was sent, so nothing is read");
    }

    fn held(server: &LeanTls) -> [usize; 3] {
        [
            server.received.capacity(),
            server.plain.capacity(),
            server.queued.capacity(),
        ]
    }

    #[tokio::test]
    async fn talks_both_ways_and_holds_no_buffer_while_idle() -> Result<()> {
        let (mut server, mut client) = pair().await?;
        client.write_all(b"<stream:stream>").await?;
        client.flush().await?;
        let mut header = [0u8; 15];
        server.read_exact(&mut header).await?;
        assert_eq!(&header, b"<stream:stream>");
        idle(&mut server).await;
        assert_eq!(held(&server), [0, 0, 0]);

        // Longer than a record, and than the queue, both ways.
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let writing = {
            let big = big.clone();
            async move {
                server.write_all(&big).await?;
                server.flush().await?;
                Ok::<_, io::Error>(server)
            }
        };
        let mut echoed = vec![0u8; big.len()];
        let (server_back, read) = tokio::join!(writing, client.read_exact(&mut echoed));
        let mut server = server_back?;
        read?;
        assert!(
            echoed == big,
            "what the server wrote is what the client read"
        );

        client.write_all(&big).await?;
        client.flush().await?;
        let mut received = vec![0u8; big.len()];
        server.read_exact(&mut received).await?;
        assert!(
            received == big,
            "what the client wrote is what the server read"
        );
        idle(&mut server).await;
        assert_eq!(
            held(&server),
            [0, 0, 0],
            "an idle connection holds no buffer"
        );
        Ok(())
    }

    #[tokio::test]
    async fn every_tls13_suite_talks_with_its_keys_kept_as_bytes_through_key_updates() -> Result<()>
    {
        let suites: Vec<_> = default_provider()
            .cipher_suites
            .into_iter()
            .filter(|suite| suite.tls13().is_some())
            .collect();
        assert_eq!(suites.len(), 3);
        for suite in suites {
            let (mut server, mut client) = pair_with(Some(suite)).await?;
            assert_eq!(client.get_ref().1.negotiated_cipher_suite(), Some(suite));
            for round in 0..3 {
                let said = format!("<message id='{round}'/>");
                client.write_all(said.as_bytes()).await?;
                client.flush().await?;
                let mut heard = vec![0u8; said.len()];
                server.read_exact(&mut heard).await?;
                assert_eq!(heard, said.as_bytes(), "{suite:?}");

                server.write_all(said.as_bytes()).await?;
                server.flush().await?;
                client.read_exact(&mut heard).await?;
                assert_eq!(heard, said.as_bytes(), "{suite:?}");
                // The client moves to new keys, asking the server to do the same.
                client.get_mut().1.refresh_traffic_keys()?;
            }
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_close_notify_ends_the_stream_and_a_cut_does_not() -> Result<()> {
        let (mut server, mut client) = pair().await?;
        client.write_all(b"bye").await?;
        client.shutdown().await?;
        let mut all = Vec::new();
        server.read_to_end(&mut all).await?;
        assert_eq!(all, b"bye");
        // The server's own close: the client sees a clean end.
        server.shutdown().await?;
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await?;
        assert!(rest.is_empty());

        // The client's socket ends without a close_notify (once it has taken what the
        // server sent, its session tickets, so that the end is a FIN and not a reset).
        let (mut server, client) = pair().await?;
        let (mut tcp, _) = client.into_inner();
        let mut drain = [0u8; 4096];
        while let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(100), tcp.read(&mut drain)).await
        {
            if n == 0 {
                break;
            }
        }
        tcp.shutdown().await?;
        let mut byte = [0u8; 1];
        let cut = server.read(&mut byte).await.err().map(|err| err.kind());
        assert_eq!(cut, Some(io::ErrorKind::UnexpectedEof));
        Ok(())
    }

    #[tokio::test]
    async fn a_client_that_does_not_speak_tls_gets_an_alert() -> Result<()> {
        let (server, _) = configs(None)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let accepting = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await?;
            LeanTls::accept(tcp, server).await.map(|_| ())
        });
        let mut tcp = TcpStream::connect(address).await?;
        tcp.write_all(b"<?xml version='1.0'?><stream:stream to='demo.test'>")
            .await?;
        let refused = accepting.await?.err().map(|err| err.kind());
        assert_eq!(refused, Some(io::ErrorKind::InvalidData));
        let mut answer = Vec::new();
        tcp.read_to_end(&mut answer).await?;
        // A TLS alert record: content type 21.
        assert_eq!(answer.first(), Some(&21));
        Ok(())
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! The journal receiver: a small LMTP server (RFC 2033) on loopback that only the engine's
//! queue talks to. Commands are parsed by `smtp-proto` (the engine's own parser); the message
//! is read with its dot-stuffing undone, so its bytes are exactly the queued bytes. Each
//! journal recipient gets its own answer, sent only after its rows are committed.

use std::time::Duration;

use smtp_proto::{Request, request::receiver::DataReceiver};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

use super::JournalFault;
use crate::services::{
    Services,
    archive::{JournalRefusal, journal_token},
};

/// The largest message taken: above the engine's own limit, so it never refuses one the
/// engine accepted.
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// The longest command line.
const MAX_LINE: usize = 4096;

/// How long a silent connection is kept.
const IDLE: Duration = Duration::from_secs(300);

pub(super) async fn serve(listener: TcpListener, services: Services, fault: Option<JournalFault>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(%err, "journal receiver: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if !peer.ip().is_loopback() {
            continue;
        }
        let services = services.clone();
        tokio::spawn(async move {
            if let Err(err) = session(stream, services, fault).await {
                tracing::debug!(%err, "journal receiver: connection ended");
            }
        });
    }
}

async fn session(
    stream: TcpStream,
    services: Services,
    fault: Option<JournalFault>,
) -> std::io::Result<()> {
    // Each reply is one write, sent at once.
    stream.set_nodelay(true)?;
    let accepted = std::time::Instant::now();
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(b"220 casella journal LMTP ready\r\n")
        .await?;
    let mut in_mail = false;
    let mut tokens: Vec<String> = Vec::new();
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        let read = tokio::time::timeout(IDLE, read_line(&mut reader, &mut line)).await;
        match read {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) | Err(_) => return Ok(()),
            Ok(Err(err)) => return Err(err),
        }
        let reply: &[u8] = match Request::parse(&mut line.iter()) {
            Ok(Request::Lhlo { .. }) => {
                in_mail = false;
                tokens.clear();
                b"250-casella journal\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 PIPELINING\r\n"
            }
            Ok(Request::Mail { .. }) => {
                in_mail = true;
                tokens.clear();
                b"250 2.1.0 OK\r\n"
            }
            Ok(Request::Rcpt { to }) if in_mail => match journal_token(&to.address) {
                Some(token) => {
                    tokens.push(token.to_ascii_lowercase());
                    b"250 2.1.5 OK\r\n"
                }
                None => b"550 5.1.1 Not a journal recipient\r\n",
            },
            Ok(Request::Rcpt { .. }) => b"503 5.5.1 MAIL first\r\n",
            Ok(Request::Data) if tokens.is_empty() => b"503 5.5.1 No valid recipients\r\n",
            Ok(Request::Data) => {
                write.write_all(b"354 Go ahead\r\n").await?;
                let data_from = accepted.elapsed();
                let message = read_data(&mut reader).await?;
                let data_to = accepted.elapsed();
                let replies = match message {
                    Some(bytes) => take(&services, &tokens, bytes, fault).await,
                    None => vec![b"552 5.3.4 Message too big\r\n".to_vec(); tokens.len()],
                };
                write.write_all(&replies.concat()).await?;
                tracing::debug!(
                    data_from_us = data_from.as_micros() as u64,
                    data_to_us = data_to.as_micros() as u64,
                    answered_us = accepted.elapsed().as_micros() as u64,
                    "journal copy answered"
                );
                in_mail = false;
                tokens.clear();
                continue;
            }
            Ok(Request::Rset) => {
                in_mail = false;
                tokens.clear();
                b"250 2.0.0 OK\r\n"
            }
            Ok(Request::Noop { .. }) => b"250 2.0.0 OK\r\n",
            Ok(Request::Quit) => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            Ok(_) => b"502 5.5.1 Not supported\r\n",
            Err(_) => b"500 5.5.2 Syntax error\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// Keeps the copy for each token; one reply per token, in their order (RFC 2033 §4.2).
async fn take(
    services: &Services,
    tokens: &[String],
    bytes: Vec<u8>,
    fault: Option<JournalFault>,
) -> Vec<Vec<u8>> {
    if fault == Some(JournalFault::Refuse) {
        tracing::warn!(count = tokens.len(), "journal fault: copy refused");
        return vec![b"451 4.3.0 Try again later\r\n".to_vec(); tokens.len()];
    }
    match services.journal_copy(tokens, bytes).await {
        Ok(_) if fault == Some(JournalFault::LoseReply) => {
            tracing::warn!(count = tokens.len(), "journal fault: copy kept, reply lost");
            vec![b"451 4.3.0 Try again later\r\n".to_vec(); tokens.len()]
        }
        Ok(outcomes) => outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Ok(()) => b"250 2.0.0 Archived\r\n".to_vec(),
                Err(JournalRefusal::UnknownToken) => {
                    b"550 5.1.1 Unknown journal envelope\r\n".to_vec()
                }
            })
            .collect(),
        Err(err) => {
            tracing::error!(%err, "journal copy not kept; the engine tries again");
            vec![b"451 4.3.0 Try again later\r\n".to_vec(); tokens.len()]
        }
    }
}

/// One command line (up to CRLF) into `line`; false at the end of the connection.
async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    line: &mut Vec<u8>,
) -> std::io::Result<bool> {
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(false);
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(at) => (&buf[..=at], true),
            None => (buf, false),
        };
        if line.len() + chunk.len() > MAX_LINE {
            return Err(std::io::Error::other("command line too long"));
        }
        line.extend_from_slice(chunk);
        let used = chunk.len();
        reader.consume(used);
        if done {
            return Ok(true);
        }
    }
}

/// Has what arrives next acknowledged at once rather than after the kernel's delay (up to
/// 40 ms). The engine's client does not turn Nagle's algorithm off, so the final
/// `<CRLF>.<CRLF>` of a message, a small write, waits until the body before it is
/// acknowledged; the receiver says nothing until it has that dot, and with delayed
/// acknowledgements every journal copy stalled for the delay (a delivery attempt took some
/// 100 ms, and the local queue's threads were all busy). The switch does not last, so it is
/// set before each read of a message from the socket (none while the buffer still holds
/// bytes). Commands need none: the engine waits for each one's reply, which carries the
/// acknowledgement.
fn ack_at_once(reader: &BufReader<tokio::net::tcp::OwnedReadHalf>) {
    #[cfg(target_os = "linux")]
    if reader.buffer().is_empty() {
        use std::os::fd::AsRawFd;

        let stream: &TcpStream = reader.get_ref().as_ref();
        let on: libc::c_int = 1;
        // SAFETY: the descriptor is the stream's, open while `reader` is borrowed; the
        // option's value is a live `c_int` of the size given.
        #[allow(unsafe_code)]
        let done = unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                std::ptr::from_ref(&on).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if done != 0 {
            tracing::debug!(err = %std::io::Error::last_os_error(), "journal receiver: no quick acknowledgements");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = reader;
}

/// The message after DATA, dot-stuffing undone, up to the lone dot; `None` when it was
/// larger than [`MAX_MESSAGE`] (read to its end all the same).
async fn read_data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut receiver = DataReceiver::new();
    let mut message = Vec::with_capacity(64 * 1024);
    let mut too_big = false;
    loop {
        ack_at_once(reader);
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Err(std::io::Error::other("connection ended inside DATA"));
        }
        let mut bytes = buf.iter();
        let done = receiver.ingest(&mut bytes, &mut message);
        let used = buf.len() - bytes.len();
        reader.consume(used);
        if message.len() > MAX_MESSAGE {
            too_big = true;
            message.clear();
        }
        if done {
            return Ok((!too_big).then_some(message));
        }
    }
}

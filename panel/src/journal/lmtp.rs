// SPDX-License-Identifier: AGPL-3.0-only
//! The journal receiver: a small LMTP server (RFC 2033) on loopback that only the engine's
//! queue talks to. Commands are parsed by `smtp-proto` (the engine's own parser). It offers
//! CHUNKING (RFC 3030), which the engine's client then uses: `BDAT <size> LAST` followed at
//! once by the queued bytes as they are, with no `354` to wait for and no dot-stuffing to
//! add and undo. A client that sends `DATA` instead is read with its dot-stuffing undone,
//! so the bytes kept are the queued bytes either way. Each journal recipient gets its own
//! answer, sent only after its rows are committed.

use std::{future::Future, time::Duration};

use smtp_proto::{
    Request,
    request::receiver::{BdatReceiver, DataReceiver},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

use super::JournalFault;
use crate::services::{Services, archive::JournalRefusal, journal_address::JournalRecipient};

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
            let keep = |recipients: Vec<JournalRecipient>, bytes: Vec<u8>| {
                let services = services.clone();
                async move { take(&services, &recipients, bytes, fault).await }
            };
            if let Err(err) = session(stream, keep).await {
                tracing::debug!(%err, "journal receiver: connection ended");
            }
        });
    }
}

/// One connection: commands until QUIT or the end; each message (after `DATA`, or in
/// `BDAT` chunks) goes to `keep` with its journal recipients, which answers one reply per
/// recipient.
async fn session<K, F>(stream: TcpStream, keep: K) -> std::io::Result<()>
where
    K: Fn(Vec<JournalRecipient>, Vec<u8>) -> F,
    F: Future<Output = Vec<Vec<u8>>>,
{
    // Each reply is one write, sent at once.
    stream.set_nodelay(true)?;
    let accepted = std::time::Instant::now();
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(b"220 casella journal LMTP ready\r\n")
        .await?;
    let mut in_mail = false;
    let mut tokens: Vec<JournalRecipient> = Vec::new();
    // The chunks of a message sent with BDAT so far; `None` until the first (and after the
    // last); a message grown past the limit is read on and refused at its last chunk.
    let mut chunks: Option<Vec<u8>> = None;
    let mut chunks_too_big = false;
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        let read = tokio::time::timeout(IDLE, read_line(&mut reader, &mut line)).await;
        match read {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) | Err(_) => return Ok(()),
            Ok(Err(err)) => return Err(err),
        }
        let request = Request::parse(&mut line.iter());
        // A transaction whose BDAT chunks have begun takes only more chunks, RSET or QUIT
        // (RFC 3030 §2).
        if chunks.is_some()
            && !matches!(
                request,
                Ok(Request::Bdat { .. } | Request::Rset | Request::Quit | Request::Noop { .. })
            )
        {
            write
                .write_all(b"503 5.5.1 BDAT chunks under way\r\n")
                .await?;
            continue;
        }
        let reply: &[u8] = match request {
            Ok(Request::Lhlo { .. }) => {
                in_mail = false;
                tokens.clear();
                b"250-casella journal\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250 PIPELINING\r\n"
            }
            Ok(Request::Mail { .. }) => {
                in_mail = true;
                tokens.clear();
                b"250 2.1.0 OK\r\n"
            }
            Ok(Request::Rcpt { to }) if in_mail => match JournalRecipient::parse(&to.address) {
                Some(recipient) => {
                    tokens.push(recipient);
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
                    Some(bytes) => keep(std::mem::take(&mut tokens), bytes).await,
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
            Ok(Request::Bdat {
                chunk_size,
                is_last,
            }) => {
                // The chunk is read whatever the state, so the stream stays in step.
                let data_from = accepted.elapsed();
                let mut message = chunks.take().unwrap_or_default();
                let fits =
                    !chunks_too_big && message.len().saturating_add(chunk_size) <= MAX_MESSAGE;
                read_chunk(&mut reader, chunk_size, fits.then_some(&mut message)).await?;
                if !fits {
                    chunks_too_big = true;
                    message = Vec::new();
                }
                if tokens.is_empty() {
                    chunks_too_big = false;
                    b"503 5.5.1 No valid recipients\r\n"
                } else if !is_last {
                    chunks = Some(message);
                    b"250 2.0.0 Chunk received\r\n"
                } else {
                    let replies = if chunks_too_big {
                        vec![b"552 5.3.4 Message too big\r\n".to_vec(); tokens.len()]
                    } else {
                        keep(std::mem::take(&mut tokens), message).await
                    };
                    write.write_all(&replies.concat()).await?;
                    tracing::debug!(
                        data_from_us = data_from.as_micros() as u64,
                        answered_us = accepted.elapsed().as_micros() as u64,
                        "journal copy answered"
                    );
                    in_mail = false;
                    tokens.clear();
                    chunks_too_big = false;
                    continue;
                }
            }
            Ok(Request::Rset) => {
                in_mail = false;
                tokens.clear();
                chunks = None;
                chunks_too_big = false;
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

/// Keeps the copy for each recipient; one reply per recipient, in their order (RFC 2033 §4.2).
async fn take(
    services: &Services,
    tokens: &[JournalRecipient],
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
                Err(JournalRefusal::UnknownToken | JournalRefusal::NotDue) => {
                    b"550 5.1.1 Unknown journal envelope\r\n".to_vec()
                }
                // Never for the engine's own copy as it delivers it; kept queued, not lost.
                Err(JournalRefusal::NotGenuine | JournalRefusal::NotQueued) => {
                    b"451 4.3.0 Journal copy not verified, try again later\r\n".to_vec()
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
    feed(reader, "DATA", |bytes| {
        let done = receiver.ingest(bytes, &mut message);
        if message.len() > MAX_MESSAGE {
            too_big = true;
            message.clear();
        }
        done
    })
    .await?;
    Ok((!too_big).then_some(message))
}

/// A BDAT chunk of `size` bytes, appended to `into`, or read and dropped when it is `None`.
async fn read_chunk(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    size: usize,
    mut into: Option<&mut Vec<u8>>,
) -> std::io::Result<()> {
    if size == 0 {
        return Ok(());
    }
    let mut chunk = BdatReceiver::new(size, true);
    let mut scratch = Vec::new();
    if let Some(into) = into.as_deref_mut() {
        into.reserve(size);
    }
    feed(reader, "BDAT", |bytes| match into.as_deref_mut() {
        Some(into) => chunk.ingest(bytes, into),
        None => {
            scratch.clear();
            chunk.ingest(bytes, &mut scratch)
        }
    })
    .await
}

/// Hands what arrives to `ingest` until it says the message (or chunk) is whole; the bytes it
/// leaves stay in the reader for the next command. The connection ending first is an error
/// (`inside` names what it cut).
async fn feed(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    inside: &str,
    mut ingest: impl FnMut(&mut std::slice::Iter<'_, u8>) -> bool,
) -> std::io::Result<()> {
    loop {
        ack_at_once(reader);
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Err(std::io::Error::other(format!(
                "connection ended inside {inside}"
            )));
        }
        let mut bytes = buf.iter();
        let done = ingest(&mut bytes);
        let used = buf.len() - bytes.len();
        reader.consume(used);
        if done {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use engine_glue::JOURNAL_DOMAIN;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::services::{
        archive::Direction,
        journal_address::{JOURNAL_PREFIX, journal_addresses},
    };

    type Kept = Arc<Mutex<Vec<(Vec<JournalRecipient>, Vec<u8>)>>>;

    /// A receiver on a free loopback port whose every copy is kept in `Kept` and answered
    /// `250` per token; and a client connected to it, past the greeting.
    async fn connected() -> (TcpStream, Kept) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let kept: Kept = Arc::default();
        let into = kept.clone();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let keep = |tokens: Vec<JournalRecipient>, bytes: Vec<u8>| {
                let into = into.clone();
                async move {
                    let replies = vec![b"250 2.0.0 Archived\r\n".to_vec(); tokens.len()];
                    into.lock().unwrap().push((tokens, bytes));
                    replies
                }
            };
            session(stream, keep).await.unwrap();
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        assert!(reply(&mut client).await.starts_with("220 "));
        (client, kept)
    }

    /// What the server has sent so far (waiting until some arrives).
    async fn reply(client: &mut TcpStream) -> String {
        let mut buf = vec![0; 4096];
        let n = client.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    async fn says(client: &mut TcpStream, what: &[u8]) -> String {
        client.write_all(what).await.unwrap();
        let mut got = reply(client).await;
        // A multi-line reply may come in pieces: read until its last line.
        while !is_whole(&got) {
            got.push_str(&reply(client).await);
        }
        got
    }

    /// Whether a reply has come to its last line (a space after the code, not a dash).
    fn is_whole(reply: &str) -> bool {
        reply
            .lines()
            .last()
            .is_some_and(|line| line.as_bytes().get(3) == Some(&b' '))
    }

    fn rcpt(token: &str) -> Vec<u8> {
        format!("RCPT TO:<{JOURNAL_PREFIX}{token}@{JOURNAL_DOMAIN}>\r\n").into_bytes()
    }

    const A: &str = "0123456789abcdef0123456789abcdef";

    #[tokio::test]
    async fn bdat_chunks_are_kept_as_sent_with_one_reply_per_recipient() {
        let (mut c, kept) = connected().await;
        assert!(
            says(&mut c, b"LHLO engine\r\n")
                .await
                .contains("250-CHUNKING")
        );
        assert!(
            says(&mut c, b"MAIL FROM:<a@b.test>\r\n")
                .await
                .starts_with("250")
        );
        assert!(says(&mut c, &rcpt(A)).await.starts_with("250"));
        let queued = &journal_addresses(b"key", 0x1f, &[(12, Direction::In)])[0];
        let sent = format!("RCPT TO:<{queued}>\r\n").into_bytes();
        assert!(says(&mut c, &sent).await.starts_with("250"));
        // A dot alone on a line is content in a chunk, never an end.
        let first = b"Subject: x\r\n\r\n.\r\n..two\r\n";
        let mut cmd = format!("BDAT {}\r\n", first.len()).into_bytes();
        cmd.extend_from_slice(first);
        assert!(says(&mut c, &cmd).await.starts_with("250 2.0.0 Chunk"));
        let last = b"end\r\n";
        let mut cmd = format!("BDAT {} LAST\r\n", last.len()).into_bytes();
        cmd.extend_from_slice(last);
        let answers = says(&mut c, &cmd).await;
        let answers = if answers.lines().count() < 2 {
            answers + reply(&mut c).await.as_str()
        } else {
            answers
        };
        assert_eq!(answers, "250 2.0.0 Archived\r\n250 2.0.0 Archived\r\n");
        let kept = kept.lock().unwrap().clone();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept[0].0,
            [
                JournalRecipient::Envelope(A.into()),
                JournalRecipient::parse(queued).unwrap()
            ]
        );
        assert_eq!(
            kept[0].1,
            b"Subject: x\r\n\r\n.\r\n..two\r\nend\r\n".to_vec()
        );
    }

    #[tokio::test]
    async fn data_has_its_dot_stuffing_undone() {
        let (mut c, kept) = connected().await;
        says(&mut c, b"LHLO engine\r\n").await;
        says(&mut c, b"MAIL FROM:<>\r\n").await;
        says(&mut c, &rcpt(A)).await;
        assert!(says(&mut c, b"DATA\r\n").await.starts_with("354"));
        assert_eq!(
            says(&mut c, b"Subject: y\r\n\r\n..dot\r\n.\r\n").await,
            "250 2.0.0 Archived\r\n"
        );
        assert_eq!(
            kept.lock().unwrap()[0].1,
            b"Subject: y\r\n\r\n.dot\r\n".to_vec()
        );
    }

    #[tokio::test]
    async fn out_of_order_chunks_are_refused_and_the_stream_stays_in_step() {
        let (mut c, kept) = connected().await;
        says(&mut c, b"LHLO engine\r\n").await;
        // A chunk with no recipient: refused, its bytes read all the same.
        assert!(
            says(&mut c, b"BDAT 4 LAST\r\nNOOP")
                .await
                .starts_with("503")
        );
        assert!(says(&mut c, b"NOOP\r\n").await.starts_with("250"));
        says(&mut c, b"MAIL FROM:<>\r\n").await;
        says(&mut c, &rcpt(A)).await;
        assert!(says(&mut c, b"BDAT 2\r\nab").await.starts_with("250"));
        // DATA in the middle of chunks is out of sequence; RSET ends the transaction.
        assert!(says(&mut c, b"DATA\r\n").await.starts_with("503"));
        assert!(says(&mut c, b"RSET\r\n").await.starts_with("250"));
        assert!(says(&mut c, b"QUIT\r\n").await.starts_with("221"));
        assert!(kept.lock().unwrap().is_empty());
    }
}

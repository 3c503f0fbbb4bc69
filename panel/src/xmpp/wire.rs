// SPDX-License-Identifier: AGPL-3.0-only
//! The XML stream of a signed-in client, from the stream restart after SASL to its end:
//! `rxml` parses it, `xso` builds each element, `rxml`'s encoder writes. It holds only what
//! its present moment needs — an element's builder while one is being read, the parser's
//! working buffers while bytes arrive, nothing written, the encoder while it writes — so a
//! session that waits (most do, most of the time) keeps the parser's bare state and its
//! connection, and no more.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use rxml::{Event, Parse, writer::SimpleNamespaces, xml_ncname};
use tokio::{io::AsyncWriteExt, time::Instant};
use tokio_xmpp::xmlstream::ReadError;
use xmpp_parsers::{ns, stream_error::StreamError};
use xso::{AsXml, FromEventsBuilder, FromXml};

use super::stream::{Boxed, ClientElement, End, timeouts};

/// What reads an element: failing as a whole (the element is skipped) or yielding it.
type Building = <Result<ClientElement, xso::error::Error> as FromXml>::Builder;

/// The stream's own namespace (RFC 6120 §4.8.1).
const NS_STREAM: &str = "http://etherx.jabber.org/streams";

/// What the client said in its stream header.
pub(super) struct Header {
    pub(super) to: Option<String>,
}

/// How long the client has been silent.
#[derive(Clone, Copy, PartialEq)]
enum Silence {
    /// Within the read timeout.
    Short,
    /// Past it: the session was told (it pings), and the answer is awaited.
    Asked,
}

/// The stream's writer.
type Encoder = rxml::writer::Encoder<SimpleNamespaces>;

/// A client's XML stream after the restart that follows SASL.
pub(super) struct Wire {
    reader: rxml::AsyncReader<Boxed>,
    /// The writer, while it has written since the stream last rested; once the stream is
    /// open, the writer between two elements is always in the same state (inside the
    /// stream's header), and one is made again in that state when needed.
    encoder: Option<Encoder>,
    /// The stream's header was sent.
    opened: bool,
    /// The element being read, while one is.
    building: Option<Box<Building>>,
    /// The language the client's header declared, inherited by its elements.
    lang: Option<Box<str>>,
    timer: Pin<Box<tokio::time::Sleep>>,
    silence: Silence,
    /// The parser's working buffers were let go since the last byte arrived.
    rested: bool,
    /// The client closed its stream.
    footer: bool,
}

impl Wire {
    /// The stream of a connection just past SASL, before the client's new header.
    pub(super) fn new(io: Boxed) -> Wire {
        Wire {
            reader: rxml::AsyncReader::new(io),
            encoder: Some(encoder()),
            opened: false,
            building: None,
            lang: None,
            timer: Box::pin(tokio::time::sleep(timeouts().read_timeout)),
            silence: Silence::Short,
            rested: false,
            footer: false,
        }
    }

    /// Reads the client's new stream header.
    pub(super) async fn header(&mut self) -> Result<Header, End> {
        tokio::time::timeout(timeouts().response_timeout, self.read_header())
            .await
            .map_err(|_| End::quiet())?
    }

    async fn read_header(&mut self) -> Result<Header, End> {
        loop {
            let event = std::future::poll_fn(|cx| Pin::new(&mut self.reader).poll_read(cx))
                .await
                .map_err(|err| bad_xml(&err))?;
            match event {
                Some(Event::XmlDeclaration(..)) => continue,
                Some(Event::Text(_, text)) if xso::is_xml_whitespace(text.as_bytes()) => continue,
                Some(Event::StartElement(_, (namespace, name), mut attrs)) => {
                    if namespace != NS_STREAM || name != "stream" {
                        return Err(End::with(
                            xmpp_parsers::stream_error::DefinedCondition::InvalidNamespace,
                            "A stream header was expected.",
                        ));
                    }
                    if attrs
                        .remove(rxml::Namespace::none(), "version")
                        .is_none_or(|version| version != "1.0")
                    {
                        return Err(End::with(
                            xmpp_parsers::stream_error::DefinedCondition::UnsupportedVersion,
                            "This server speaks XMPP 1.0.",
                        ));
                    }
                    self.lang = attrs
                        .remove(rxml::Namespace::xml(), "lang")
                        .map(|lang| lang.into_boxed_str());
                    let to = attrs.remove(rxml::Namespace::none(), "to");
                    return Ok(Header { to });
                }
                Some(_) | None => return Err(End::quiet()),
            }
        }
    }

    /// Answers the client's header: the stream is opened from `domain`, under a fresh id.
    pub(super) async fn open(&mut self, domain: &str) -> io::Result<()> {
        let id = format!("{:016x}", rand::random::<u64>());
        let mut out = Vec::new();
        let encoder = self.encoder()?;
        for item in header(domain, &id) {
            encoder.encode(item, &mut out).map_err(invalid)?;
        }
        self.opened = true;
        self.write(&out).await
    }

    /// Sends one element, whole.
    pub(super) async fn send<T: AsXml + ?Sized>(&mut self, element: &T) -> io::Result<()> {
        let mut out = Vec::new();
        let encoder = self.encoder()?;
        for item in element.as_xml_iter().map_err(invalid)? {
            encoder
                .encode(item.map_err(invalid)?.as_rxml_item(), &mut out)
                .map_err(invalid)?;
        }
        self.write(&out).await
    }

    /// The writer: the one in use, or one made again as the open stream leaves it.
    fn encoder(&mut self) -> io::Result<&mut Encoder> {
        let encoder = match self.encoder.take() {
            Some(encoder) => encoder,
            None => {
                let mut encoder = encoder();
                let mut discarded = Vec::new();
                for item in header("", "") {
                    encoder.encode(item, &mut discarded).map_err(invalid)?;
                }
                encoder
            }
        };
        Ok(self.encoder.insert(encoder))
    }

    async fn write(&mut self, out: &[u8]) -> io::Result<()> {
        let io = self.reader.inner_mut();
        io.write_all(out).await?;
        io.flush().await
    }

    /// Sends the stream error, if any, and the closing tag, and shuts the connection down.
    pub(super) async fn close(&mut self, end: End) {
        if let End(Some(error)) = end {
            let _ = self.send::<StreamError>(&error).await;
        }
        let mut footer = Vec::new();
        if self
            .encoder()
            .and_then(|encoder| {
                encoder
                    .encode(rxml::Item::ElementFoot, &mut footer)
                    .map_err(invalid)
            })
            .is_ok()
        {
            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                self.write(&footer).await?;
                self.reader.inner_mut().shutdown().await
            })
            .await;
        }
    }

    /// The next element, as `tokio-xmpp`'s streams report it: `None` when the connection
    /// ended without the stream's closing tag.
    fn poll_element(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ClientElement, ReadError>>> {
        if self.footer {
            return Poll::Ready(Some(Err(ReadError::StreamFooterReceived)));
        }
        loop {
            // Whitespace between elements (keepalives) is not gathered up.
            self.reader
                .parser_mut()
                .set_text_buffering(self.building.is_some());
            let read = match Pin::new(&mut self.reader).poll_read(cx) {
                Poll::Ready(read) => read,
                Poll::Pending => return self.poll_silence(cx),
            };
            self.heard();
            let event = match read {
                Ok(Some(event)) => event,
                Ok(None) => return Poll::Ready(None),
                Err(err) if ended(&err) => return Poll::Ready(None),
                Err(err) => {
                    self.building = None;
                    return Poll::Ready(Some(Err(ReadError::HardError(err))));
                }
            };
            let ctx = xso::Context::empty().with_language(self.lang.as_deref());
            if self.building.is_none() {
                match event {
                    Event::XmlDeclaration(..) => {}
                    Event::Text(_, text) if xso::is_xml_whitespace(text.as_bytes()) => {}
                    Event::Text(..) => {
                        return Poll::Ready(Some(Err(ReadError::HardError(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "text between stanzas",
                        )))));
                    }
                    Event::StartElement(_, name, attrs) => {
                        match <Result<ClientElement, xso::error::Error> as FromXml>::from_events(
                            name, attrs, &ctx,
                        ) {
                            Ok(builder) => self.building = Some(Box::new(builder)),
                            Err(err) => {
                                return Poll::Ready(Some(Err(ReadError::HardError(
                                    io::Error::new(io::ErrorKind::InvalidData, err),
                                ))));
                            }
                        }
                    }
                    Event::EndElement(_) => {
                        self.footer = true;
                        return Poll::Ready(Some(Err(ReadError::StreamFooterReceived)));
                    }
                }
                continue;
            }
            let Some(builder) = self.building.as_mut() else {
                continue;
            };
            match builder.feed(event, &ctx) {
                Ok(None) => {}
                Ok(Some(done)) => {
                    self.building = None;
                    return Poll::Ready(Some(done.map_err(ReadError::ParseError)));
                }
                Err(err) => {
                    self.building = None;
                    return Poll::Ready(Some(Err(ReadError::HardError(io::Error::new(
                        io::ErrorKind::InvalidData,
                        err,
                    )))));
                }
            }
        }
    }

    /// Nothing to read: the parser lets its working buffers go, and a silence too long is
    /// reported once (the session pings), then ends the stream.
    fn poll_silence(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ClientElement, ReadError>>> {
        if !self.rested && self.building.is_none() {
            self.reader.parser_mut().release_temporaries();
            if self.opened {
                self.encoder = None;
            }
            self.rested = true;
        }
        ready!(self.timer.as_mut().poll(cx));
        if self.silence == Silence::Short && self.building.is_none() {
            self.silence = Silence::Asked;
            self.timer
                .as_mut()
                .reset(Instant::now() + timeouts().response_timeout);
            return Poll::Ready(Some(Err(ReadError::SoftTimeout)));
        }
        self.building = None;
        Poll::Ready(Some(Err(ReadError::HardError(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client stopped answering",
        )))))
    }

    /// Something arrived: the silence starts again.
    fn heard(&mut self) {
        self.rested = false;
        self.silence = Silence::Short;
        self.timer
            .as_mut()
            .reset(Instant::now() + timeouts().read_timeout);
    }
}

impl futures_util::Stream for Wire {
    type Item = Result<ClientElement, ReadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_element(cx)
    }
}

/// The items of the stream's header, from `domain` under `id`.
fn header<'a>(domain: &'a str, id: &'a str) -> [rxml::Item<'a>; 6] {
    [
        rxml::Item::XmlDeclaration(rxml::XmlVersion::V1_0),
        rxml::Item::ElementHeadStart(NS_STREAM.into(), xml_ncname!("stream")),
        rxml::Item::Attribute(rxml::Namespace::NONE, xml_ncname!("from"), domain),
        rxml::Item::Attribute(rxml::Namespace::NONE, xml_ncname!("id"), id),
        rxml::Item::Attribute(rxml::Namespace::NONE, xml_ncname!("version"), "1.0"),
        rxml::Item::ElementHeadEnd,
    ]
}

fn invalid(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, err)
}

/// The writer of a client stream: `stream:` and the client namespace are the header's.
fn encoder() -> Encoder {
    use rxml::writer::TrackNamespace;
    let mut encoder = rxml::writer::Encoder::new();
    encoder
        .ns_tracker_mut()
        .declare_fixed(Some(xml_ncname!("stream")), NS_STREAM.into());
    encoder
        .ns_tracker_mut()
        .declare_fixed(None, ns::JABBER_CLIENT.into());
    encoder
}

/// The connection ended (without the stream's closing tag): lost, not malformed.
fn ended(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::UnexpectedEof
        || err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rxml::Error>())
            .is_some_and(|inner| matches!(inner, rxml::Error::InvalidEof(_)))
}

fn bad_xml(err: &io::Error) -> End {
    if err.kind() == io::ErrorKind::InvalidData && !ended(err) {
        End::with(
            xmpp_parsers::stream_error::DefinedCondition::NotWellFormed,
            "The XML is not well-formed.",
        )
    } else {
        End::quiet()
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
    use tokio_xmpp::{Stanza, xmlstream::FallibleStreamElement};

    use super::*;
    use crate::xmpp::reader::OnDemand;

    const HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' to='chat.test' version='1.0' \
        xml:lang='it'>";

    fn pair() -> (DuplexStream, Wire) {
        let (client, server) = tokio::io::duplex(4096);
        (client, Wire::new(Box::new(OnDemand::new(server))))
    }

    async fn received(client: &mut DuplexStream) -> String {
        let mut out = vec![0u8; 4096];
        let n = client.read(&mut out).await.unwrap();
        String::from_utf8(out[..n].to_vec()).unwrap()
    }

    #[tokio::test]
    async fn reads_the_header_answers_it_and_reads_stanzas_until_the_footer() {
        let (mut client, mut wire) = pair();
        client.write_all(HEADER).await.unwrap();
        let header = wire.header().await.ok().unwrap();
        assert_eq!(header.to.as_deref(), Some("chat.test"));
        assert_eq!(wire.lang.as_deref(), Some("it"));
        wire.open("chat.test").await.unwrap();
        let opened = received(&mut client).await;
        assert!(opened.contains("<stream:stream"), "{opened}");
        assert!(opened.contains("from='chat.test'"), "{opened}");
        assert!(opened.contains("xmlns='jabber:client'"), "{opened}");
        // Nothing to read: the stream rests, and lets its writer go.
        assert!(
            tokio::time::timeout(Duration::from_millis(20), wire.next())
                .await
                .is_err()
        );
        assert!(wire.encoder.is_none());

        // Whitespace keepalives between stanzas, and a stanza that arrives in pieces.
        client
            .write_all(b" \n <message to='b@chat.test' type='chat'><bo")
            .await
            .unwrap();
        let reading = tokio::spawn(async move {
            let first = wire.next().await;
            (wire, first)
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        client.write_all(b"dy>ciao</body></message>").await.unwrap();
        let (mut wire, first) = reading.await.unwrap();
        let Some(Ok(ClientElement::Std(FallibleStreamElement::Ok(
            tokio_xmpp::xmlstream::XmppStreamElement::Stanza(Stanza::Message(message)),
        )))) = first
        else {
            panic!("a message was expected");
        };
        assert_eq!(message.bodies.get("it").map(|b| b.as_str()), Some("ciao"));
        assert!(wire.building.is_none());

        // Written with the header's namespaces: no repeated declaration.
        wire.send(&message).await.unwrap();
        let sent = received(&mut client).await;
        assert!(sent.starts_with("<message"), "{sent}");
        assert!(!sent.contains("jabber:client"), "{sent}");

        client.write_all(b"</stream:stream>").await.unwrap();
        assert!(matches!(
            wire.next().await,
            Some(Err(ReadError::StreamFooterReceived))
        ));
        // Closed by a writer made again after a rest, too.
        wire.encoder = None;
        wire.close(End::quiet()).await;
        assert_eq!(received(&mut client).await, "</stream:stream>");
    }

    #[tokio::test]
    async fn a_connection_that_drops_is_lost_not_malformed() {
        let (mut client, mut wire) = pair();
        client.write_all(HEADER).await.unwrap();
        wire.header().await.ok().unwrap();
        client.write_all(b"<presence/>").await.unwrap();
        assert!(matches!(wire.next().await, Some(Ok(_))));
        drop(client);
        assert!(wire.next().await.is_none());
    }

    #[tokio::test]
    async fn bad_xml_and_unknown_elements_are_errors_of_their_own() {
        let (mut client, mut wire) = pair();
        client.write_all(HEADER).await.unwrap();
        wire.header().await.ok().unwrap();
        client
            .write_all(b"<x xmlns='urn:example:unknown'/>")
            .await
            .unwrap();
        let Some(Err(ReadError::HardError(err))) = wire.next().await else {
            panic!("an unknown element ends the stream");
        };
        assert!(
            err.get_ref()
                .is_some_and(|inner| inner.is::<xso::error::FromEventsError>())
        );

        let (mut client, mut wire) = pair();
        client.write_all(HEADER).await.unwrap();
        wire.header().await.ok().unwrap();
        client
            .write_all(b"<message><body>a</wrong></message>")
            .await
            .unwrap();
        let Some(Err(ReadError::HardError(err))) = wire.next().await else {
            panic!("mismatched tags end the stream");
        };
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[tokio::test]
    async fn a_header_in_another_namespace_is_refused() {
        let (mut client, mut wire) = pair();
        client
            .write_all(b"<stream xmlns='urn:example' version='1.0'>")
            .await
            .unwrap();
        let Err(End(Some(error))) = wire.header().await else {
            panic!("refused");
        };
        assert!(matches!(
            error.condition,
            xmpp_parsers::stream_error::DefinedCondition::InvalidNamespace
        ));
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! The XML stream of a signed-in client, from the stream restart after SASL to its end:
//! `rxml` parses it, `xso` builds each element, `rxml`'s encoder writes. It holds only what
//! its present moment needs — an element's builder while one is being read, the parser while
//! bytes arrive, the encoder while it writes — so a session that waits (most do, most of the
//! time) keeps its connection and the bytes of the client's stream header, and no more.
//!
//! Between two elements, a parser is in the state the client's header left it in: inside
//! the stream's root element, with the header's namespace declarations. A waiting stream
//! lets its parser go (about 2.5 KiB of tables and buffers) and makes one again when bytes
//! arrive, by giving a new parser the header the client sent.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use rxml::{Event, Parse, error::EndOrError, writer::SimpleNamespaces, xml_ncname};
use tokio::{
    io::{AsyncBufRead, AsyncWriteExt},
    time::Instant,
};
use tokio_xmpp::xmlstream::ReadError;
use xmpp_parsers::{ns, stream_error::StreamError};
use xso::{AsXml, FromEventsBuilder, FromXml};

use super::stream::{Boxed, ClientElement, End, timeouts};

/// What reads an element: failing as a whole (the element is skipped) or yielding it.
type Building = <Result<ClientElement, xso::error::Error> as FromXml>::Builder;

/// The stream's own namespace (RFC 6120 §4.8.1).
const NS_STREAM: &str = "http://etherx.jabber.org/streams";

/// The longest client header kept to make a parser again: a longer one (a client's header
/// is 150 to 250 bytes) keeps its parser instead.
const MOST_HEADER: usize = 1024;

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
    io: Boxed,
    /// The parser, while bytes arrive or an element is being read; see the module's
    /// documentation.
    parser: Option<Box<rxml::Parser>>,
    /// The bytes of the client's stream header (and the XML declaration before it), from which
    /// a parser is made again; kept while the header is read.
    header: Option<Box<[u8]>>,
    /// The parser took bytes since its last event: it is inside a token, and stays.
    partial: bool,
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
    /// The stream let go of what it rests without since the last byte arrived.
    rested: bool,
    /// The client closed its stream.
    footer: bool,
}

impl Wire {
    /// The stream of a connection just past SASL, before the client's new header.
    pub(super) fn new(io: Boxed) -> Wire {
        Wire {
            io,
            parser: Some(Box::default()),
            header: None,
            partial: false,
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
        let mut kept = Vec::new();
        loop {
            let event = std::future::poll_fn(|cx| self.poll_event(cx, Some(&mut kept)))
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
                    self.header = (kept.len() <= MOST_HEADER).then(|| kept.into_boxed_slice());
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
        self.io.write_all(out).await?;
        self.io.flush().await
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
                self.io.shutdown().await
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
            let read = match self.poll_event(cx, None) {
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

    /// The parser's next event from the bytes that arrived; `kept` gathers the bytes the
    /// parser takes (for the stream's header). A parser let go is made again once bytes
    /// arrive.
    fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
        mut kept: Option<&mut Vec<u8>>,
    ) -> Poll<io::Result<Option<Event>>> {
        loop {
            let arrived = match Pin::new(&mut self.io).poll_fill_buf(cx) {
                Poll::Ready(Ok(arrived)) => arrived,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                // The parser may hold events of bytes it took already (an empty element's
                // end follows its start).
                Poll::Pending => match self.parser.as_mut() {
                    Some(parser) => {
                        return match parser.parse(&mut &[][..], false) {
                            Err(EndOrError::NeedMoreData) => Poll::Pending,
                            result => Poll::Ready(self.parsed(result)),
                        };
                    }
                    None => return Poll::Pending,
                },
            };
            let parser = match self.parser.as_mut() {
                Some(parser) => parser,
                None => self.parser.insert(parser_after(self.header.as_deref())?),
            };
            // Whitespace between elements (keepalives) is not gathered up.
            parser.set_text_buffering(self.building.is_some());
            let arrived_nothing = arrived.is_empty();
            let mut rest = arrived;
            let result = parser.parse(&mut rest, arrived_nothing);
            let taken = arrived.len() - rest.len();
            if let Some(kept) = kept.as_deref_mut() {
                kept.extend_from_slice(&arrived[..taken]);
            }
            Pin::new(&mut self.io).consume(taken);
            match result {
                Err(EndOrError::NeedMoreData) if arrived_nothing => {
                    return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
                }
                Err(EndOrError::NeedMoreData) => self.partial |= taken > 0,
                result => return Poll::Ready(self.parsed(result)),
            }
        }
    }

    /// What the parser gave: an event, the end, or an error (never a wait: the callers
    /// handle that one).
    fn parsed(&mut self, result: Result<Option<Event>, EndOrError>) -> io::Result<Option<Event>> {
        match result {
            Ok(event) => {
                self.partial = false;
                Ok(event)
            }
            Err(EndOrError::Error(err)) => Err(io::Error::new(io::ErrorKind::InvalidData, err)),
            Err(EndOrError::NeedMoreData) => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Nothing to read: the stream lets go of what it can make again (the parser between
    /// elements, the encoder), and a silence too long is reported once (the session pings),
    /// then ends the stream.
    fn poll_silence(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ClientElement, ReadError>>> {
        if !self.rested && self.building.is_none() {
            if !self.partial && self.header.is_some() {
                self.parser = None;
            } else if let Some(parser) = self.parser.as_mut() {
                parser.release_temporaries();
            }
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

/// A parser in the state a client's `header` leaves one in (or a new one, before the header).
fn parser_after(header: Option<&[u8]>) -> io::Result<Box<rxml::Parser>> {
    let mut parser = Box::<rxml::Parser>::default();
    let mut header = header.unwrap_or_default();
    while !header.is_empty() {
        match parser.parse(&mut header, false) {
            Ok(Some(_)) => {}
            Ok(None) | Err(EndOrError::NeedMoreData) => break,
            Err(EndOrError::Error(err)) => {
                return Err(io::Error::new(io::ErrorKind::InvalidData, err));
            }
        }
    }
    Ok(parser)
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
        // Nothing to read: the stream rests, and lets its writer and its parser go.
        assert!(
            tokio::time::timeout(Duration::from_millis(20), wire.next())
                .await
                .is_err()
        );
        assert!(wire.encoder.is_none());
        assert!(wire.parser.is_none());
        assert_eq!(wire.header.as_deref(), Some(HEADER));

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

    /// Waits for the stream to rest (nothing more to read).
    async fn rest(wire: &mut Wire) {
        assert!(
            tokio::time::timeout(Duration::from_millis(20), wire.next())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_connection_that_drops_is_lost_not_malformed() {
        let (mut client, mut wire) = pair();
        client.write_all(HEADER).await.unwrap();
        wire.header().await.ok().unwrap();
        client.write_all(b"<presence/>").await.unwrap();
        assert!(matches!(wire.next().await, Some(Ok(_))));
        rest(&mut wire).await;
        assert!(wire.parser.is_none());
        drop(client);
        assert!(wire.next().await.is_none());
    }

    #[tokio::test]
    async fn a_parser_made_again_knows_the_headers_prefixes_and_one_inside_a_token_stays() {
        let (mut client, mut wire) = pair();
        client
            .write_all(
                b"<stream:stream xmlns='jabber:client' xmlns:c='jabber:client' \
                xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
            )
            .await
            .unwrap();
        wire.header().await.ok().unwrap();
        rest(&mut wire).await;
        assert!(wire.parser.is_none());

        // A prefix only the header declared, read by a parser made after the rest.
        client
            .write_all(b"<c:presence type='unavailable'/>")
            .await
            .unwrap();
        let Some(Ok(ClientElement::Std(FallibleStreamElement::Ok(
            tokio_xmpp::xmlstream::XmppStreamElement::Stanza(Stanza::Presence(presence)),
        )))) = wire.next().await
        else {
            panic!("a presence was expected");
        };
        assert_eq!(presence.type_, xmpp_parsers::presence::Type::Unavailable);

        // Half a tag: the parser holds it through the rest.
        client.write_all(b"\n<pres").await.unwrap();
        rest(&mut wire).await;
        assert!(wire.parser.is_some());
        client.write_all(b"ence/>").await.unwrap();
        assert!(matches!(
            wire.next().await,
            Some(Ok(ClientElement::Std(FallibleStreamElement::Ok(
                tokio_xmpp::xmlstream::XmppStreamElement::Stanza(Stanza::Presence(_))
            ))))
        ));
        rest(&mut wire).await;
        assert!(wire.parser.is_none());

        // A parser made again still refuses what is not well-formed.
        client.write_all(b"<message></iq>").await.unwrap();
        let Some(Err(ReadError::HardError(err))) = wire.next().await else {
            panic!("mismatched tags end the stream");
        };
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
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

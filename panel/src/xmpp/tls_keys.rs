// SPDX-License-Identifier: AGPL-3.0-only
//! TLS 1.3 record keys kept as their bytes, for connections that wait far more than they talk.
//!
//! rustls' ring provider keeps each direction's key expanded, as ring's `LessSafeKey`: an AES
//! key schedule with its GHASH table, about 560 bytes (the type is sized for AES-GCM whatever
//! the cipher), two per connection, for the connection's life. A chat connection sends and
//! receives a record now and then, so this provider keeps the 16 or 32 key bytes instead and
//! expands them for each record; expanding is well under a microsecond with AES-NI, next to
//! the record's own work. Everything else (key exchange, signatures, HKDF, TLS 1.2) is the ring
//! provider's own.

use std::sync::LazyLock;

use ring::aead;
use tokio_rustls::rustls::{
    self, ConnectionTrafficSecrets, ContentType, ProtocolVersion, SupportedCipherSuite,
    Tls13CipherSuite,
    crypto::ring as ring_provider,
    crypto::{
        CipherSuiteCommon, CryptoProvider,
        cipher::{
            AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, MessageDecrypter,
            MessageEncrypter, Nonce, OutboundOpaqueMessage, OutboundPlainMessage, PrefixedPayload,
            Tls13AeadAlgorithm, UnsupportedOperationError, make_tls13_aad,
        },
    },
};

/// The ring provider, its TLS 1.3 suites keeping their keys as bytes, in the same order.
pub(crate) fn provider() -> CryptoProvider {
    let base = ring_provider::default_provider();
    let cipher_suites = base
        .cipher_suites
        .iter()
        .map(|suite| {
            LEAN.iter()
                .find(|lean| lean.common.suite == suite.suite())
                .map_or(*suite, SupportedCipherSuite::Tls13)
        })
        .collect();
    CryptoProvider {
        cipher_suites,
        ..base
    }
}

/// ring's TLS 1.3 suites with their records sealed and opened by [`Lean`] (and no QUIC).
static LEAN: LazyLock<Vec<Tls13CipherSuite>> = LazyLock::new(|| {
    [
        (
            ring_provider::cipher_suite::TLS13_AES_256_GCM_SHA384,
            &AES_256_GCM,
        ),
        (
            ring_provider::cipher_suite::TLS13_AES_128_GCM_SHA256,
            &AES_128_GCM,
        ),
        (
            ring_provider::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            &CHACHA20_POLY1305,
        ),
    ]
    .into_iter()
    .filter_map(|(suite, aead_alg)| match suite {
        SupportedCipherSuite::Tls13(base) => Some(Tls13CipherSuite {
            common: CipherSuiteCommon {
                suite: base.common.suite,
                hash_provider: base.common.hash_provider,
                confidentiality_limit: base.common.confidentiality_limit,
            },
            hkdf_provider: base.hkdf_provider,
            aead_alg,
            quic: None,
        }),
        SupportedCipherSuite::Tls12(_) => None,
    })
    .collect()
});

static AES_128_GCM: Lean = Lean(&aead::AES_128_GCM);
static AES_256_GCM: Lean = Lean(&aead::AES_256_GCM);
static CHACHA20_POLY1305: Lean = Lean(&aead::CHACHA20_POLY1305);

/// An AEAD whose keys are expanded per record.
struct Lean(&'static aead::Algorithm);

/// One direction's key and IV, as bytes.
struct LeanKey {
    algorithm: &'static aead::Algorithm,
    key: AeadKey,
    iv: Iv,
}

impl LeanKey {
    fn expanded(&self) -> Result<aead::LessSafeKey, rustls::Error> {
        aead::UnboundKey::new(self.algorithm, self.key.as_ref())
            .map(aead::LessSafeKey::new)
            .map_err(|_| rustls::Error::General("a TLS key of the wrong length".into()))
    }

    fn nonce(&self, seq: u64) -> aead::Nonce {
        aead::Nonce::assume_unique_for_key(Nonce::new(&self.iv, seq).0)
    }
}

impl Tls13AeadAlgorithm for Lean {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(LeanKey {
            algorithm: self.0,
            key,
            iv,
        })
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(LeanKey {
            algorithm: self.0,
            key,
            iv,
        })
    }

    fn key_len(&self) -> usize {
        self.0.key_len()
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(if *self.0 == aead::AES_128_GCM {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv }
        } else if *self.0 == aead::AES_256_GCM {
            ConnectionTrafficSecrets::Aes256Gcm { key, iv }
        } else {
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv }
        })
    }
}

impl MessageEncrypter for LeanKey {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, rustls::Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_chunks(&msg.payload);
        payload.extend_from_slice(&msg.typ.to_array());
        self.expanded()?
            .seal_in_place_append_tag(
                self.nonce(seq),
                aead::Aad::from(make_tls13_aad(total_len)),
                &mut payload,
            )
            .map_err(|_| rustls::Error::EncryptError)?;
        // TLS 1.3 records carry TLS 1.2's version on the wire (RFC 8446 §5.1).
        Ok(OutboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + self.algorithm.tag_len()
    }
}

impl MessageDecrypter for LeanKey {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, rustls::Error> {
        let payload = &mut msg.payload;
        if payload.len() < self.algorithm.tag_len() {
            return Err(rustls::Error::DecryptError);
        }
        let plain_len = self
            .expanded()?
            .open_in_place(
                self.nonce(seq),
                aead::Aad::from(make_tls13_aad(payload.len())),
                payload,
            )
            .map_err(|_| rustls::Error::DecryptError)?
            .len();
        payload.truncate(plain_len);
        msg.into_tls13_unpadded_message()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls13_suites_are_replaced_in_place_and_their_keys_are_small() {
        let base = ring_provider::default_provider();
        let lean = provider();
        let names = |suites: &[SupportedCipherSuite]| -> Vec<_> {
            suites.iter().map(|suite| suite.suite()).collect()
        };
        assert_eq!(names(&lean.cipher_suites), names(&base.cipher_suites));
        for suite in &lean.cipher_suites {
            if let SupportedCipherSuite::Tls13(suite) = suite {
                assert!(suite.quic.is_none());
                assert!(LEAN.iter().any(|lean| std::ptr::eq(lean, *suite)));
            }
        }
        // ring's expanded key alone is over 500 bytes.
        assert!(std::mem::size_of::<LeanKey>() <= 64);
    }
}

// SPDX-License-Identifier: AGPL-3.0-only
//! SCRAM-SHA-256 (RFC 5802, RFC 7677) on the server's side: the verifier kept for a password,
//! and one exchange, from the client's first message to the server's signature. A client
//! proves it holds the password without sending it; the server keeps only `StoredKey` and
//! `ServerKey`, from which the password cannot be sent back.
//!
//! An account has one salt and one verifier per password it may sign in with (the main
//! password, each app password), so the exchange can name the salt before it knows which
//! password the client holds, and then tries each verifier against the proof.
//!
//! Channel binding (`-PLUS`) is not offered; a client that asks for it is refused, and one
//! that says it could bind (`y`) is accepted, since nothing was offered to downgrade from.

use data_encoding::BASE64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The mechanism's name as SASL lists it.
pub const MECHANISM: &str = "SCRAM-SHA-256";

/// What a password's verifier holds.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub stored_key: [u8; 32],
    pub server_key: [u8; 32],
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(..)")
    }
}

/// Why an exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramError {
    /// A message that does not follow the grammar.
    Malformed,
    /// The client wants channel binding, which is not offered.
    ChannelBinding,
    /// The proof matches none of the account's passwords.
    WrongProof,
}

/// A random salt for an account's first verifier.
pub fn new_salt() -> Vec<u8> {
    let mut salt = vec![0u8; 16];
    rand::fill(&mut salt[..]);
    salt
}

/// The verifier of a password: `None` when the password is not valid SASLprep text (no
/// client could send it either). CPU-heavy by design: call it from a blocking task.
pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Option<Verifier> {
    let password = stringprep::saslprep(password).ok()?;
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
    let client_key = hmac(&salted, b"Client Key");
    Some(Verifier {
        stored_key: Sha256::digest(client_key).into(),
        server_key: hmac(&salted, b"Server Key"),
    })
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The client's first message, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFirst {
    /// The user name as sent (SASLname escapes undone).
    pub user: String,
    gs2_header: String,
    bare: String,
    nonce: String,
}

impl ClientFirst {
    /// `gs2-header client-first-message-bare`: `n,,n=user,r=nonce`.
    pub fn parse(data: &[u8]) -> Result<ClientFirst, ScramError> {
        let text = std::str::from_utf8(data).map_err(|_| ScramError::Malformed)?;
        let mut parts = text.splitn(3, ',');
        let (flag, authzid, bare) = (
            parts.next().ok_or(ScramError::Malformed)?,
            parts.next().ok_or(ScramError::Malformed)?,
            parts.next().ok_or(ScramError::Malformed)?,
        );
        match flag {
            "n" | "y" => {}
            flag if flag.starts_with("p=") => return Err(ScramError::ChannelBinding),
            _ => return Err(ScramError::Malformed),
        }
        let header_authzid = authzid;
        let authzid = match authzid {
            "" => None,
            a => Some(sasl_name(
                a.strip_prefix("a=").ok_or(ScramError::Malformed)?,
            )?),
        };
        let mut fields = bare.split(',');
        let user = fields
            .next()
            .and_then(|f| f.strip_prefix("n="))
            .ok_or(ScramError::Malformed)?;
        let nonce = fields
            .next()
            .and_then(|f| f.strip_prefix("r="))
            .filter(|n| valid_nonce(n))
            .ok_or(ScramError::Malformed)?;
        // Mandatory extensions (`m=`) are not known here; optional ones (`x=...`) are ignored.
        if fields.any(|f| f.starts_with("m=") || f.as_bytes().get(1) != Some(&b'=')) {
            return Err(ScramError::Malformed);
        }
        let user = sasl_name(user)?;
        if user.is_empty() || authzid.is_some_and(|a| !a.eq_ignore_ascii_case(&user)) {
            return Err(ScramError::Malformed);
        }
        Ok(ClientFirst {
            user,
            gs2_header: format!("{flag},{header_authzid},"),
            bare: bare.to_string(),
            nonce: nonce.to_string(),
        })
    }
}

/// A SASLname with its `=2C` and `=3D` escapes undone; any other `=` is an error.
fn sasl_name(name: &str) -> Result<String, ScramError> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3).ok_or(ScramError::Malformed)?;
        out.push(match escape {
            "=2C" => ',',
            "=3D" => '=',
            _ => return Err(ScramError::Malformed),
        });
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Printable ASCII but `,`.
fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// One exchange after the server's first message.
#[derive(Debug, Clone)]
pub struct Exchange {
    first: ClientFirst,
    server_first: String,
    nonce: String,
}

impl Exchange {
    /// Answers the client's first message with the account's salt and iteration count (or
    /// stand-ins for an unknown account, so the answer does not tell accounts apart).
    pub fn start(first: ClientFirst, salt: &[u8], iterations: u32) -> (Exchange, Vec<u8>) {
        let mut ours = [0u8; 18];
        rand::fill(&mut ours[..]);
        let nonce = format!("{}{}", first.nonce, BASE64.encode(&ours));
        let server_first = format!("r={nonce},s={},i={iterations}", BASE64.encode(salt));
        let answer = server_first.clone().into_bytes();
        (
            Exchange {
                first,
                server_first,
                nonce,
            },
            answer,
        )
    }

    /// Checks the client's final message against the account's verifiers: the key of the
    /// one the proof matches, and the server's final message (its signature).
    pub fn finish<'a, K>(
        &self,
        data: &[u8],
        verifiers: impl IntoIterator<Item = (K, &'a Verifier)>,
    ) -> Result<(K, Vec<u8>), ScramError> {
        let text = std::str::from_utf8(data).map_err(|_| ScramError::Malformed)?;
        let (without_proof, proof) = text.rsplit_once(",p=").ok_or(ScramError::Malformed)?;
        let proof = BASE64
            .decode(proof.as_bytes())
            .map_err(|_| ScramError::Malformed)?;
        let mut fields = without_proof.split(',');
        let binding = fields
            .next()
            .and_then(|f| f.strip_prefix("c="))
            .ok_or(ScramError::Malformed)?;
        let nonce = fields
            .next()
            .and_then(|f| f.strip_prefix("r="))
            .ok_or(ScramError::Malformed)?;
        if BASE64.decode(binding.as_bytes()).ok().as_deref()
            != Some(self.first.gs2_header.as_bytes())
            || nonce != self.nonce
            || proof.len() != 32
        {
            return Err(ScramError::Malformed);
        }
        let auth_message = format!("{},{},{without_proof}", self.first.bare, self.server_first);
        for (key, verifier) in verifiers {
            let signature = hmac(&verifier.stored_key, auth_message.as_bytes());
            let client_key: Vec<u8> = proof.iter().zip(signature).map(|(p, s)| p ^ s).collect();
            let stored: [u8; 32] = Sha256::digest(&client_key).into();
            if bool::from(stored.ct_eq(&verifier.stored_key)) {
                let server_signature = hmac(&verifier.server_key, auth_message.as_bytes());
                let last = format!("v={}", BASE64.encode(&server_signature));
                return Ok((key, last.into_bytes()));
            }
        }
        Err(ScramError::WrongProof)
    }
}

/// A stand-in salt for a login without verifiers: the same every time for that login (so
/// asking twice does not tell it apart from a real account), unguessable without `key`.
pub fn stand_in_salt(key: &[u8], login: &str) -> Vec<u8> {
    hmac(key, login.as_bytes())[..16].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 §3: user "user", password "pencil".
    #[test]
    fn the_rfc_7677_exchange_checks_out() {
        let salt = BASE64.decode(b"W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let verifier = derive("pencil", &salt, 4096).unwrap();
        let first = ClientFirst::parse(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        assert_eq!(first.user, "user");
        // The RFC's server nonce, in place of a random one.
        let exchange = Exchange {
            server_first: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                           s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
                .into(),
            nonce: "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into(),
            first,
        };
        let last = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                     p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        let other = derive("crayon", &salt, 4096).unwrap();
        let (which, answer) = exchange
            .finish(last, [("crayon", &other), ("pencil", &verifier)])
            .unwrap();
        assert_eq!(which, "pencil");
        assert_eq!(
            answer,
            b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".to_vec()
        );
        assert_eq!(
            exchange.finish(last, [("crayon", &other)]).unwrap_err(),
            ScramError::WrongProof
        );
        // A replayed proof under another nonce is no proof.
        let (fresh, _) = Exchange::start(exchange.first.clone(), &salt, 4096);
        assert_eq!(
            fresh.finish(last, [("pencil", &verifier)]).unwrap_err(),
            ScramError::Malformed
        );
    }

    #[test]
    fn first_messages_follow_the_grammar() {
        let first = ClientFirst::parse(b"n,a=al=2Cice,n=al=2Cice,r=abc").unwrap();
        assert_eq!(first.user, "al,ice");
        assert!(ClientFirst::parse(b"y,,n=a=3Db,r=x").is_ok());
        assert_eq!(
            ClientFirst::parse(b"p=tls-exporter,,n=u,r=x").unwrap_err(),
            ScramError::ChannelBinding
        );
        for bad in [
            &b"n,,n=u"[..],
            b"n,,r=x,n=u",
            b"x,,n=u,r=x",
            b"n,,n=a=2Xb,r=x",
            b"n,,n=u,r=a,b",
            b"n,,m=ext,n=u,r=x",
            b"n,a=bob,n=alice,r=x",
            b"n,,n=,r=x",
        ] {
            assert!(ClientFirst::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stand_in_salts_are_stable_per_login() {
        assert_eq!(stand_in_salt(b"k", "a@x"), stand_in_salt(b"k", "a@x"));
        assert_ne!(stand_in_salt(b"k", "a@x"), stand_in_salt(b"k", "b@x"));
        assert_eq!(stand_in_salt(b"k", "a@x").len(), 16);
    }
}

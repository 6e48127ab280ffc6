//! grantd's callout signing key: an ECDSA P-256 key (ES256) that signs a short-lived JWT on
//! every callout, published as a JWKS so receivers can verify it, and the optional HMAC-SHA256
//! of the body for receivers that prefer a shared secret. The private key never leaves this
//! type (its `Debug` shows only the key id).
use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::hmac;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("the callout signing key is not a PKCS#8 ECDSA P-256 key")]
    BadKey,
    #[error("could not generate a signing key")]
    Generate,
    #[error("could not sign a callout token: {0}")]
    Sign(String),
}

pub struct Signer {
    kid: String,
    x: String,
    y: String,
    key: EncodingKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The claims of a callout token.
#[derive(Debug, Serialize)]
struct CalloutClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
    tid: String,
}

/// How long a callout token is valid.
pub const TOKEN_LIFETIME_SECS: i64 = 300;

impl Signer {
    /// A new PKCS#8 (DER) P-256 private key.
    pub fn generate_pkcs8() -> Result<Vec<u8>, SignerError> {
        let k = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| SignerError::Generate)?;
        Ok(k.to_pkcs8v1().map_err(|_| SignerError::Generate)?.as_ref().to_vec())
    }

    pub fn from_pkcs8(der: &[u8]) -> Result<Signer, SignerError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(|_| SignerError::BadKey)?;
        let public = pair.public_key().as_ref();
        // Uncompressed point: 0x04 || X (32) || Y (32).
        if public.len() != 65 || public[0] != 4 {
            return Err(SignerError::BadKey);
        }
        let kid = URL_SAFE_NO_PAD.encode(&digest(&SHA256, public).as_ref()[..16]);
        Ok(Signer {
            kid,
            x: URL_SAFE_NO_PAD.encode(&public[1..33]),
            y: URL_SAFE_NO_PAD.encode(&public[33..65]),
            key: EncodingKey::from_ec_der(der),
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JSON Web Key Set.
    pub fn jwks(&self) -> Value {
        json!({"keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
            "kid": self.kid, "x": self.x, "y": self.y,
        }]})
    }

    /// A token for one callout: issued by `issuer` for `audience`, naming the tenant, with the
    /// callout instance and attempt as its unique id.
    pub fn token(
        &self,
        issuer: &str,
        audience: &str,
        tenant: &str,
        jti: String,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String, SignerError> {
        let iat = now.timestamp();
        let claims = CalloutClaims {
            iss: issuer,
            aud: audience,
            sub: "grantd",
            iat,
            nbf: iat - 60,
            exp: iat + TOKEN_LIFETIME_SECS,
            jti,
            tid: tenant.to_string(),
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| SignerError::Sign(e.to_string()))
    }
}

/// `sha256=<hex>` of HMAC-SHA256(key, `{timestamp}.{body}`), the value of `X-Grantd-Signature`.
pub fn hmac_signature(key: &[u8], timestamp: i64, body: &[u8]) -> String {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&k);
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    let tag = ctx.sign();
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_against_the_published_key() {
        let s = Signer::from_pkcs8(&Signer::generate_pkcs8().unwrap()).unwrap();
        let jwks = s.jwks();
        let k = &jwks["keys"][0];
        let dk =
            jsonwebtoken::DecodingKey::from_ec_components(k["x"].as_str().unwrap(), k["y"].as_str().unwrap()).unwrap();
        let t = s.token("http://grantd", "api://receiver", "t1", "j1".into(), chrono::Utc::now()).unwrap();
        let mut v = jsonwebtoken::Validation::new(Algorithm::ES256);
        v.set_audience(&["api://receiver"]);
        v.set_issuer(&["http://grantd"]);
        let data = jsonwebtoken::decode::<Value>(&t, &dk, &v).unwrap();
        assert_eq!(data.claims["jti"], "j1");
        assert_eq!(jsonwebtoken::decode_header(&t).unwrap().kid.as_deref(), Some(s.kid()));
        assert!(format!("{s:?}").contains(s.kid()));
    }

    #[test]
    fn hmac_matches_a_known_vector() {
        // HMAC-SHA256("key", "1.{}"), computed independently.
        let sig = hmac_signature(b"key", 1, b"{}");
        assert_eq!(sig, "sha256=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224");
        assert_ne!(sig, hmac_signature(b"key", 2, b"{}"));
    }
}

//! Bearer tokens bound to one member: `base64url(payload) "." base64url(HMAC-SHA256(secret, payload))`
//! with payload `{"sub": memberId, "iat": ms, "exp": ms}`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Tokens are valid 30 days.
pub const TOKEN_TTL_MS: i64 = 30 * 86_400_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl Signer {
    pub fn new(secret: impl Into<Vec<u8>>) -> Signer {
        Signer { secret: secret.into() }
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(payload);
        mac
    }

    pub fn issue(&self, member_id: &str, now: i64) -> String {
        let claims = Claims { sub: member_id.to_string(), iat: now, exp: now + TOKEN_TTL_MS };
        let payload = serde_json::to_vec(&claims).expect("claims serialize");
        let sig = self.mac(&payload).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(sig))
    }

    /// The member a token is bound to, if it is genuine and not expired at `now`.
    pub fn verify(&self, token: &str, now: i64) -> Option<String> {
        let (payload, sig) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        self.mac(&payload).verify_slice(&sig).ok()?;
        let claims: Claims = serde_json::from_slice(&payload).ok()?;
        (claims.exp > now && valid_member_id(&claims.sub)).then_some(claims.sub)
    }
}

/// Member and client ids: 1–64 characters of `A-Z a-z 0-9 _ - . :` (the authority's rule).
pub use siyu_sync::authority::valid_id;

pub fn valid_member_id(id: &str) -> bool {
    valid_id(id)
}

/// Constant-time comparison for the admin token. Both sides are hashed first, so the time taken
/// depends neither on where they differ nor on their lengths (an early return on a length
/// mismatch would tell an attacker the token's length).
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    use sha2::Digest;
    let (da, db) = (Sha256::digest(a), Sha256::digest(b));
    da.iter().zip(db.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random secret from the operating system.
pub fn random_secret() -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = vec![0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf)
}

/// The signing secret: env SIYU_SECRET, else `secret` in the data folder (created at random).
pub fn load_secret(data_dir: &std::path::Path) -> std::io::Result<Vec<u8>> {
    if let Ok(s) = std::env::var("SIYU_SECRET") {
        if !s.is_empty() {
            return Ok(s.into_bytes());
        }
    }
    let path = data_dir.join("secret");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Ok(bytes) = URL_SAFE_NO_PAD.decode(text.trim()) {
            if bytes.len() >= 16 {
                return Ok(bytes);
            }
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = random_secret()?;
    std::fs::write(&path, URL_SAFE_NO_PAD.encode(&secret))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_refuse_tampering() {
        let s = Signer::new(b"k".to_vec());
        let t = s.issue("loyal", 1_000);
        assert_eq!(s.verify(&t, 2_000).as_deref(), Some("loyal"));
        assert_eq!(s.verify(&t, 1_000 + TOKEN_TTL_MS), None);
        assert_eq!(Signer::new(b"other".to_vec()).verify(&t, 2_000), None);
        let (p, sig) = t.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"new","iat":1000,"exp":99999999999999}"#);
        assert_eq!(s.verify(&format!("{forged}.{sig}"), 2_000), None);
        assert_eq!(s.verify(p, 2_000), None);
    }

    #[test]
    fn admin_secrets_compare_by_content_only() {
        assert!(same_secret(b"admin-secret", b"admin-secret"));
        assert!(!same_secret(b"admin-secret", b"admin-secreT"));
        assert!(!same_secret(b"admin", b"admin-secret"));
        assert!(!same_secret(b"admin-secret-and-more", b"admin-secret"));
        assert!(!same_secret(b"", b"admin-secret"));
        assert!(same_secret(b"", b""));
    }
}

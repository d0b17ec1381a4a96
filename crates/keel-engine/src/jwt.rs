//! The Engine API's JWT: the shared secret, read from a hex file as op-node reads it, and
//! HS256 tokens whose `iat` claim is a time handed in.
//!
//! Spec: execution-apis `src/engine/authentication.md` (HS256, `iat` within ±60 s of the
//! server's clock); protocol/exec-engine.md (the rollup node authenticates to the engine).

use std::path::{Path, PathBuf};

use alloy_primitives::hex;
use alloy_rpc_types_engine::{Claims, JwtSecret};

/// Length of the secret in bytes (256 bits).
pub const JWT_SECRET_LEN: usize = 32;

/// Largest secret file read: a 64-digit hex secret with a prefix and whitespace fits many
/// times over; anything bigger is not a secret file.
pub const MAX_JWT_FILE_BYTES: u64 = 4096;

/// Why a JWT secret could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwtFileError {
    /// The file could not be read (missing, unreadable).
    #[error("cannot read JWT secret file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_JWT_FILE_BYTES`].
    #[error("JWT secret file {path} has {len} bytes, at most {MAX_JWT_FILE_BYTES} expected")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        len: u64,
    },
    /// The trimmed content is not hex.
    #[error("JWT secret is not hex: {0}")]
    NotHex(hex::FromHexError),
    /// The content decodes to the wrong number of bytes.
    #[error("JWT secret has {got} bytes, {JWT_SECRET_LEN} expected")]
    WrongLength {
        /// Bytes found.
        got: usize,
    },
}

/// Parses a secret the way op-node does: surrounding whitespace trimmed, an optional `0x`,
/// then exactly 32 bytes of hex.
pub fn parse_jwt_secret(text: &str) -> Result<JwtSecret, JwtFileError> {
    let trimmed = text.trim();
    let digits = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let bytes = hex::decode(digits).map_err(JwtFileError::NotHex)?;
    if bytes.len() != JWT_SECRET_LEN {
        return Err(JwtFileError::WrongLength { got: bytes.len() });
    }
    JwtSecret::from_hex(digits).map_err(|_| JwtFileError::WrongLength { got: bytes.len() })
}

/// Reads a secret file (`--l2.jwt-secret`), bounded by [`MAX_JWT_FILE_BYTES`].
pub fn read_jwt_secret(path: &Path) -> Result<JwtSecret, JwtFileError> {
    let read_err = |source| JwtFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(read_err)?.len();
    if len > MAX_JWT_FILE_BYTES {
        return Err(JwtFileError::TooLarge {
            path: path.to_path_buf(),
            len,
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    parse_jwt_secret(&text)
}

/// Why a token could not be made (the JWT library failed to sign).
#[derive(Debug, thiserror::Error)]
#[error("cannot sign Engine API JWT: {0}")]
pub struct JwtSignError(String);

/// An HS256 token with only the `iat` claim, `now` in seconds since the Unix epoch. The
/// caller reads the clock; the engine rejects tokens more than 60 s off its own clock, so a
/// token is made per request.
pub fn token(secret: &JwtSecret, now: u64) -> Result<String, JwtSignError> {
    token_with_claims(
        secret,
        &Claims {
            iat: now,
            exp: None,
        },
    )
}

/// An HS256 token over the given claims (header `{"typ":"JWT","alg":"HS256"}`).
pub fn token_with_claims(secret: &JwtSecret, claims: &Claims) -> Result<String, JwtSignError> {
    secret
        .encode(claims)
        .map_err(|e| JwtSignError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "f79ae8046bc11c9927afe911db7143c51a806c4a537cc08e0d37140b0192f430";

    #[test]
    fn accepts_prefix_and_whitespace() {
        let a = parse_jwt_secret(SECRET).unwrap();
        let b = parse_jwt_secret(&format!("  0x{SECRET}\n")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_bytes(), hex::decode(SECRET).unwrap().as_slice());
    }

    #[test]
    fn rejects_short_long_and_non_hex() {
        assert!(matches!(
            parse_jwt_secret(&SECRET[..62]),
            Err(JwtFileError::WrongLength { got: 31 })
        ));
        assert!(matches!(
            parse_jwt_secret(&format!("{SECRET}00")),
            Err(JwtFileError::WrongLength { got: 33 })
        ));
        assert!(matches!(
            parse_jwt_secret(&SECRET[..63]),
            Err(JwtFileError::NotHex(_))
        ));
        let bad = format!("zz{}", &SECRET[2..]);
        assert!(matches!(
            parse_jwt_secret(&bad),
            Err(JwtFileError::NotHex(_))
        ));
        assert!(matches!(
            parse_jwt_secret(""),
            Err(JwtFileError::WrongLength { got: 0 })
        ));
    }

    #[test]
    fn reads_files() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("jwt.hex");
        std::fs::write(&ok, format!("0x{SECRET}\n")).unwrap();
        assert!(read_jwt_secret(&ok).is_ok());

        let missing = dir.path().join("missing.hex");
        assert!(matches!(
            read_jwt_secret(&missing),
            Err(JwtFileError::Read { .. })
        ));

        let big = dir.path().join("big.hex");
        std::fs::write(&big, vec![b'0'; 5000]).unwrap();
        assert!(matches!(
            read_jwt_secret(&big),
            Err(JwtFileError::TooLarge { len: 5000, .. })
        ));
    }

    #[test]
    fn token_round_trips_through_validation_shape() {
        let secret = parse_jwt_secret(SECRET).unwrap();
        let t = token(&secret, 1_700_000_000).unwrap();
        assert_eq!(t.split('.').count(), 3);
        // Same claims, same token: HS256 is deterministic.
        assert_eq!(t, token(&secret, 1_700_000_000).unwrap());
        assert_ne!(t, token(&secret, 1_700_000_001).unwrap());
    }
}

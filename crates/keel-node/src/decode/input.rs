//! Reading a decoder's input: a file path or `-` for stdin, as raw bytes or hex text.

use std::io::Read;

use super::DecodeError;

/// Upper bound on what `keel decode` reads, so a mistaken path (a disk image, `/dev/zero`)
/// fails cleanly instead of exhausting memory. The largest legitimate input, a Fjord
/// channel at the 100 MB RLP limit, stays below it even as hex text.
pub(crate) const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Reads `path` (or stdin for `-`) with the [`MAX_INPUT_BYTES`] bound.
pub(crate) fn read_source(path: &str) -> Result<Vec<u8>, DecodeError> {
    let mut buf = Vec::new();
    let read = if path == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut buf))
    };
    read.map_err(|source| DecodeError::Io {
        path: path.to_owned(),
        source,
    })?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(DecodeError::InputTooLarge {
            path: path.to_owned(),
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(buf)
}

/// Turns the content of an input into bytes: if, once surrounding whitespace and an
/// optional `0x` are removed, it is made only of hex digits, it is hex text; otherwise
/// it is taken as raw bytes.
///
/// Binary OP data is never all hex digits in practice (batcher data starts with the
/// version byte 0x00, channels with a zlib or brotli header, blobs with zero bytes), so
/// the rule does not misread real input.
pub(crate) fn bytes_from_content(content: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let trimmed = content.trim_ascii();
    let body = trimmed
        .strip_prefix(b"0x")
        .or_else(|| trimmed.strip_prefix(b"0X"))
        .unwrap_or(trimmed);
    let looks_hex = !body.is_empty() && body.iter().all(u8::is_ascii_hexdigit);
    if looks_hex || (trimmed.len() != body.len() && body.is_empty()) {
        if !body.len().is_multiple_of(2) {
            return Err(DecodeError::OddHex { digits: body.len() });
        }
        return hex::decode(body).map_err(|e| DecodeError::BadHex(e.to_string()));
    }
    if trimmed.len() != body.len() && body.iter().all(|b| b.is_ascii_alphanumeric()) {
        // "0x" followed by text that is not hex: clearly meant as hex, so say where it breaks.
        let at = body
            .iter()
            .position(|b| !b.is_ascii_hexdigit())
            .unwrap_or(0);
        return Err(DecodeError::BadHex(format!(
            "non-hex character at offset {}",
            at + 2
        )));
    }
    Ok(content.to_vec())
}

/// Reads `path` and decodes its content to bytes.
pub(crate) fn read_bytes(path: &str) -> Result<Vec<u8>, DecodeError> {
    let content = read_source(path)?;
    if content.is_empty() {
        return Err(DecodeError::EmptyInput {
            path: path.to_owned(),
        });
    }
    bytes_from_content(&content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_with_and_without_prefix_and_whitespace() {
        assert_eq!(
            bytes_from_content(b"  0xdeadBEEF\n").unwrap(),
            vec![0xde, 0xad, 0xbe, 0xef]
        );
        assert_eq!(bytes_from_content(b"00ff").unwrap(), vec![0x00, 0xff]);
    }

    #[test]
    fn raw_bytes_pass_through() {
        let raw = [0x00u8, 0x01, 0xff, b'\n'];
        assert_eq!(bytes_from_content(&raw).unwrap(), raw.to_vec());
    }

    #[test]
    fn odd_and_broken_hex_are_errors() {
        assert!(matches!(
            bytes_from_content(b"0xabc"),
            Err(DecodeError::OddHex { digits: 3 })
        ));
        assert!(matches!(
            bytes_from_content(b"0xabzz"),
            Err(DecodeError::BadHex(_))
        ));
        assert!(bytes_from_content(b"0x").unwrap().is_empty());
    }
}

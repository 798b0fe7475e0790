//! Bytes to text: gzip, BOM, strict UTF-8 first and GB18030 (a superset of GBK) for lines
//! that are not UTF-8. Never guesses silently: the encoding found and the number of
//! undecodable sequences are reported.

use std::io::Read;

use encoding_rs::GB18030;

/// What was found while decoding a text file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// `utf-8`, `utf-8-bom`, `gb18030`, or `mixed(utf-8+gb18030)`.
    pub encoding: &'static str,
    /// Sequences that decoded to U+FFFD.
    pub replacement_chars: usize,
}

/// Decompresses a gzip stream.
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// Decodes CSV bytes. Lines are decoded one by one so that a file stitched together from a
/// UTF-8 and a GBK export still reads; GB18030 bytes never contain `\n`, so splitting is safe.
pub fn decode_text(bytes: &[u8]) -> Decoded {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    if let Some(rest) = bytes.strip_prefix(BOM) {
        if let Ok(text) = std::str::from_utf8(rest) {
            return Decoded {
                text: text.to_string(),
                encoding: "utf-8-bom",
                replacement_chars: 0,
            };
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: text.to_string(),
            encoding: "utf-8",
            replacement_chars: 0,
        };
    }
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 2);
    let (mut utf8_lines, mut gb_lines, mut replacement_chars) = (0usize, 0usize, 0usize);
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if let Some(utf8) = plausible_utf8(line) {
            if !line.is_ascii() {
                utf8_lines += 1;
            }
            text.push_str(utf8);
        } else {
            gb_lines += 1;
            let (decoded, _) = GB18030.decode_without_bom_handling(line);
            replacement_chars += decoded.matches('\u{FFFD}').count();
            text.push_str(&decoded);
        }
    }
    let encoding = if utf8_lines > 0 && gb_lines > 0 {
        "mixed(utf-8+gb18030)"
    } else {
        "gb18030"
    };
    Decoded {
        text,
        encoding,
        replacement_chars,
    }
}

/// A line of a file that is not all UTF-8 counts as UTF-8 only if it decodes and has no
/// characters in U+0100..U+07FF: short GBK names are often valid two-byte UTF-8 by accident
/// (叶强霞 in GBK reads as `Ҷǿϼ`), while Chinese text in UTF-8 uses three-byte sequences.
fn plausible_utf8(line: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(line).ok()?;
    let two_byte_letters = text.chars().any(|c| ('\u{100}'..='\u{7FF}').contains(&c));
    (!two_byte_letters).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode_text("姓名\n".as_bytes()).encoding, "utf-8");
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), "姓名\n".as_bytes()].concat();
        let decoded = decode_text(&with_bom);
        assert_eq!(
            (decoded.text.as_str(), decoded.encoding),
            ("姓名\n", "utf-8-bom")
        );
    }

    #[test]
    fn gbk_bytes_decode_as_gb18030() {
        let (gbk, _, _) = GB18030.encode("姓名,张三\n");
        let decoded = decode_text(&gbk);
        assert_eq!(
            (decoded.text.as_str(), decoded.encoding),
            ("姓名,张三\n", "gb18030")
        );
    }

    #[test]
    fn mixed_lines_decode_each_in_its_own_encoding() {
        let (gbk, _, _) = GB18030.encode("李四\n");
        let bytes = ["张三\n".as_bytes(), &gbk].concat();
        let decoded = decode_text(&bytes);
        assert_eq!(decoded.text, "张三\n李四\n");
        assert_eq!(decoded.encoding, "mixed(utf-8+gb18030)");
    }

    #[test]
    fn gbk_line_that_happens_to_be_valid_utf8_still_reads_as_gbk() {
        let (line, _, _) = GB18030.encode("R-1,叶强霞\n");
        assert!(
            std::str::from_utf8(&line).is_ok(),
            "the premise: these GBK bytes are valid UTF-8"
        );
        let (other, _, _) = GB18030.encode("R-2,张三\n");
        let decoded = decode_text(&[other.as_ref(), line.as_ref()].concat());
        assert_eq!(decoded.text, "R-2,张三\nR-1,叶强霞\n");
        assert_eq!(decoded.encoding, "gb18030");
    }

    #[test]
    fn undecodable_bytes_are_counted() {
        let decoded = decode_text(b"a,\xFF\xFF\n");
        assert!(decoded.replacement_chars > 0);
    }
}

//! Bytes to text: gzip, BOM, strict UTF-8 first and GB18030 (a superset of GBK) for lines
//! that are not UTF-8. Never guesses silently: the encoding found and the number of
//! undecodable sequences are reported.

use std::borrow::Cow;
use std::io::Read;

use encoding_rs::GB18030;

/// What was found while decoding a text file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Borrowed from the bytes when they are UTF-8 already.
    pub text: Cow<'a, str>,
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
pub fn decode_text(bytes: &[u8]) -> Decoded<'_> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    if let Some(rest) = bytes.strip_prefix(BOM) {
        if let Ok(text) = std::str::from_utf8(rest) {
            return Decoded {
                text: Cow::Borrowed(text),
                encoding: "utf-8-bom",
                replacement_chars: 0,
            };
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: Cow::Borrowed(text),
            encoding: "utf-8",
            replacement_chars: 0,
        };
    }
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    let non_ascii = lines.iter().filter(|l| !l.is_ascii()).count();
    let utf8_like = lines
        .iter()
        .filter(|l| !l.is_ascii() && plausible_utf8(l).is_some())
        .count();
    // A GBK file has the odd line that is also valid UTF-8 by accident; a mixed file has a
    // block of real UTF-8 lines. Below 1% of the non-ASCII lines, it is all GB18030.
    let mixed = utf8_like * 100 > non_ascii;
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut replacement_chars = 0;
    for line in lines {
        if let Some(utf8) = plausible_utf8(line).filter(|_| mixed || line.is_ascii()) {
            text.push_str(utf8);
        } else {
            let (decoded, _) = GB18030.decode_without_bom_handling(line);
            replacement_chars += decoded.matches('\u{FFFD}').count();
            text.push_str(&decoded);
        }
    }
    let encoding = if mixed {
        "mixed(utf-8+gb18030)"
    } else {
        "gb18030"
    };
    Decoded {
        text: Cow::Owned(text),
        encoding,
        replacement_chars,
    }
}

/// A line of a file that is not all UTF-8 counts as UTF-8 only if it decodes and every
/// non-ASCII character is one Chinese records use: GBK bytes are often valid UTF-8 by
/// accident, but then read as Cyrillic, Yi or other scripts (叶强霞 → `Ҷǿϼ`, 陳紅 → `ꐼt`).
fn plausible_utf8(line: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(line).ok()?;
    text.chars()
        .all(|c| c.is_ascii() || is_chinese_text_char(c))
        .then_some(text)
}

fn is_chinese_text_char(c: char) -> bool {
    matches!(c,
        '\u{00B7}' | '\u{2010}'..='\u{2027}' | '\u{3000}'..='\u{303F}' | '\u{30FB}'
        | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FFEF}' | '\u{FEFF}' | '\u{20000}'..='\u{2FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` decode to `text`, found to be in `encoding`.
    fn check(bytes: &[u8], text: &str, encoding: &str) {
        let decoded = decode_text(bytes);
        assert_eq!((decoded.text.as_ref(), decoded.encoding), (text, encoding));
    }

    #[test]
    fn utf8_with_and_without_bom() {
        check("姓名\n".as_bytes(), "姓名\n", "utf-8");
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), "姓名\n".as_bytes()].concat();
        check(&with_bom, "姓名\n", "utf-8-bom");
    }

    #[test]
    fn gbk_bytes_decode_as_gb18030() {
        let (gbk, _, _) = GB18030.encode("姓名,张三\n");
        check(&gbk, "姓名,张三\n", "gb18030");
    }

    #[test]
    fn mixed_lines_decode_each_in_its_own_encoding() {
        let (gbk, _, _) = GB18030.encode("李四\n");
        let bytes = ["张三\n".as_bytes(), &gbk].concat();
        check(&bytes, "张三\n李四\n", "mixed(utf-8+gb18030)");
    }

    #[test]
    fn gbk_line_that_happens_to_be_valid_utf8_still_reads_as_gbk() {
        let (line, _, _) = GB18030.encode("R-1,叶强霞\n");
        assert!(
            std::str::from_utf8(&line).is_ok(),
            "the premise: these GBK bytes are valid UTF-8"
        );
        let (other, _, _) = GB18030.encode("R-2,张三\n");
        let bytes = [other.as_ref(), line.as_ref()].concat();
        check(&bytes, "R-2,张三\nR-1,叶强霞\n", "gb18030");
    }

    #[test]
    fn gbk_that_reads_as_three_byte_utf8_still_reads_as_gbk() {
        let (line, _, _) = GB18030.encode("R-9,陳紅\n");
        assert_eq!(
            std::str::from_utf8(&line).ok(),
            Some("R-9,ꐼt\n"),
            "the premise"
        );
        let (other, _, _) = GB18030.encode("R-2,张三\n");
        let bytes = [other.as_ref(), line.as_ref()].concat();
        let decoded = decode_text(&bytes);
        assert_eq!(decoded.text, "R-2,张三\nR-9,陳紅\n");
    }

    #[test]
    fn a_rare_accidental_utf8_line_in_a_gbk_file_is_still_gbk() {
        let mut bytes = Vec::new();
        for i in 0..200 {
            bytes.extend_from_slice(&GB18030.encode(&format!("R-{i},张三\n")).0);
        }
        // Valid, plausible UTF-8 (these bytes are also two GBK characters): one line in 201.
        let accident = "R-x,中文\n".as_bytes();
        assert!(plausible_utf8(accident).is_some(), "the premise");
        bytes.extend_from_slice(accident);
        let decoded = decode_text(&bytes);
        assert_eq!(decoded.encoding, "gb18030");
        assert!(
            !decoded.text.contains("中文"),
            "the lone line was read as GB18030"
        );
    }

    #[test]
    fn undecodable_bytes_are_counted() {
        let decoded = decode_text(b"a,\xFF\xFF\n");
        assert!(decoded.replacement_chars > 0);
    }
}

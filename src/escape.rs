//! Escaping text for HTML (Markdown's output, every value a template prints) and for XML (feeds
//! and the OpenSearch description). Both hand the text on in runs: the stretches between the
//! bytes to replace whole, and each such byte's replacement. Pushing one character at a time was
//! 2% of a build, and feeds escape whole pages (decoding every character was 9% of a 1,000-page
//! build).

/// What a byte `stops` marks becomes, from where it stands in the text: `Some((replacement,
/// bytes replaced))`, or `None` when it stays after all.
type Replace = fn(&[u8], usize) -> Option<(&'static str, usize)>;

/// Hands `text` on to `emit` in runs, replacing what `replace` replaces at the bytes `stops`
/// marks. Every marked byte is ASCII or the first byte of a character, so runs are whole
/// characters.
fn runs(text: &str, stops: &[bool; 256], replace: Replace, mut emit: impl FnMut(&str)) {
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        at = next_stop(bytes, at, stops);
        if at == bytes.len() {
            break;
        }
        let Some((replacement, len)) = replace(bytes, at) else {
            at += 1;
            continue;
        };
        if copied < at {
            emit(&text[copied..at]);
        }
        if !replacement.is_empty() {
            emit(replacement);
        }
        at += len;
        copied = at;
    }
    if copied < bytes.len() {
        emit(&text[copied..]);
    }
}

/// The first byte from `at` that `stops` marks, or the end. Text between markup is mostly
/// plain: eight bytes are tested with one branch (their table entries ORed together).
fn next_stop(bytes: &[u8], mut at: usize, stops: &[bool; 256]) -> usize {
    while let Some(chunk) = bytes.get(at..at + 8) {
        let any = chunk.iter().fold(false, |any, &b| any | stops[b as usize]);
        if any {
            break;
        }
        at += 8;
    }
    while at < bytes.len() && !stops[bytes[at] as usize] {
        at += 1;
    }
    at
}

const fn table_of(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

/// The bytes HTML escaping stops at: markup, and what HTML calls a parse error in the input
/// stream, which browsers show as boxes or not at all: control characters other than tab,
/// newline, form feed and return, DEL, and 0xEF, the first byte of U+FFFE and U+FFFF.
const HTML_STOPS: [bool; 256] = {
    let mut table = table_of(b"&<>\"'\x7F\xEF");
    let mut b = 0;
    while b < 0x20 {
        table[b] = !matches!(b as u8, b'\t' | b'\n' | 0x0C | b'\r');
        b += 1;
    }
    table
};

fn html_entity(bytes: &[u8], at: usize) -> Option<(&'static str, usize)> {
    let entity = match bytes[at] {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        b'"' => "&quot;",
        b'\'' => "&#39;",
        0xEF => {
            return matches!(bytes.get(at + 1..at + 3), Some([0xBF, 0xBE | 0xBF]))
                .then_some(("", 3));
        }
        _ => "",
    };
    Some((entity, 1))
}

/// The bytes of what HTML forbids in its input: `HTML_STOPS` without the markup.
const HTML_FORBIDDEN: [bool; 256] = {
    let mut table = HTML_STOPS;
    let markup = b"&<>\"'";
    let mut i = 0;
    while i < markup.len() {
        table[markup[i] as usize] = false;
        i += 1;
    }
    table
};

/// Whether `text` may hold a character HTML forbids in its input (see `HTML_STOPS`; also true
/// for other characters starting with 0xEF, such as full-width forms). Branch-free within each
/// 32 bytes, so the compiler vectorises it: Markdown is passed over at memory speed.
pub fn may_hold_html_forbidden(text: &str) -> bool {
    let forbidden =
        |b: u8| (b < 0x20) & !matches!(b, b'\t' | b'\n' | 0x0C | b'\r') | (b == 0x7F) | (b == 0xEF);
    let chunks = text.as_bytes().chunks_exact(32);
    let rest = chunks.remainder();
    chunks
        .map(|chunk| chunk.iter().fold(false, |any, &b| any | forbidden(b)))
        .chain(rest.iter().map(|&b| forbidden(b)))
        .any(|any| any)
}

/// `text` without the characters HTML forbids in its input, or `None` when it holds none.
pub fn without_html_forbidden(text: &str) -> Option<String> {
    if next_stop(text.as_bytes(), 0, &HTML_FORBIDDEN) == text.len() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    runs(text, &HTML_FORBIDDEN, html_entity, |run| out.push_str(run));
    (out.len() < text.len()).then_some(out)
}

/// The bytes XML escaping stops at: markup, the control characters XML 1.0 forbids (all but
/// tab, newline and return), and 0xEF, the first byte of U+FFFE and U+FFFF.
const XML_STOPS: [bool; 256] = {
    let mut table = table_of(b"&<>\"'\xEF");
    let mut b = 0;
    while b < 0x20 {
        table[b] = !matches!(b as u8, b'\t' | b'\n' | b'\r');
        b += 1;
    }
    table
};

fn xml_entity(bytes: &[u8], at: usize) -> Option<(&'static str, usize)> {
    match bytes[at] {
        b'&' => Some(("&amp;", 1)),
        b'<' => Some(("&lt;", 1)),
        b'>' => Some(("&gt;", 1)),
        b'"' => Some(("&quot;", 1)),
        b'\'' => Some(("&apos;", 1)),
        0xEF => matches!(bytes.get(at + 1..at + 3), Some([0xBF, 0xBE | 0xBF])).then_some(("", 3)),
        _ => Some(("", 1)),
    }
}

/// `text` with `& < > " '` as HTML entities, and the characters HTML forbids in its input
/// (see `HTML_STOPS`) dropped.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    runs(text, &HTML_STOPS, html_entity, |run| out.push_str(run));
    out
}

/// [`escape_html`] into a writer: Tera escapes every value it prints with this.
pub fn write_escaped_html(text: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut result = Ok(());
    runs(text, &HTML_STOPS, html_entity, |run| {
        if result.is_ok() {
            result = out.write_all(run.as_bytes());
        }
    });
    result
}

/// `text` for XML content and attribute values: markup escaped, characters XML 1.0 forbids
/// dropped.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_xml_into(text, &mut out);
    out
}

/// [`escape_xml`] appended to `out`.
pub fn escape_xml_into(text: &str, out: &mut String) {
    runs(text, &XML_STOPS, xml_entity, |run| out.push_str(run));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_found_anywhere_and_dropped() {
        let plain = "a".repeat(100);
        assert!(!may_hold_html_forbidden(&plain));
        assert!(!may_hold_html_forbidden(
            "tab\t, lines\r\n and feed\u{c} & <markup>"
        ));
        for at in [0, 31, 32, 63, 99] {
            let mut text = plain.clone();
            text.replace_range(at..at + 1, "\u{7}");
            assert!(may_hold_html_forbidden(&text), "at {at}");
            assert_eq!(without_html_forbidden(&text).unwrap().len(), 99);
        }
        assert_eq!(
            without_html_forbidden("x\u{FFFF}y\u{7f}\u{FF08}").as_deref(),
            Some("xy\u{FF08}")
        );
        assert_eq!(without_html_forbidden("full\u{FF08}width <b>"), None);
    }

    #[test]
    fn html_is_escaped_around_multibyte_text() {
        assert_eq!(
            escape_html("<a href=\"x\">é & 'ü'</a>"),
            "&lt;a href=&quot;x&quot;&gt;é &amp; &#39;ü&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html(""), "");
        assert_eq!(escape_html("日本語"), "日本語");
    }

    #[test]
    fn html_drops_control_characters_and_noncharacters_but_keeps_whitespace() {
        assert_eq!(
            escape_html("a\u{0}b\u{1}\u{b}\u{1f}\u{7f}c\t\n\r\u{c}d\u{FFFE}\u{FFFF}\u{FF01}é"),
            "abc\t\n\r\u{c}d\u{FF01}é"
        );
    }

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_forbids() {
        assert_eq!(
            escape_xml("a<b>&\"c\"'d'\u{1}\te\u{FFFE}é\u{FFFF}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;\teé\n"
        );
        assert_eq!(escape_xml(""), "");
        assert_eq!(escape_xml("plain ünïcode"), "plain ünïcode");
        // U+FFFD and U+FEFF share U+FFFE's first byte and are kept; the text can end inside
        // the check for a dropped character.
        assert_eq!(escape_xml("\u{FFFD}\u{FEFF}x\u{FFFF}"), "\u{FFFD}\u{FEFF}x");
        assert_eq!(escape_xml("\u{1F600}&\u{7}"), "\u{1F600}&amp;");
    }

    /// Character by character, as the escaping must come out.
    fn reference(text: &str, xml: bool) -> String {
        let mut out = String::new();
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' if xml => out.push_str("&apos;"),
                '\'' => out.push_str("&#39;"),
                '\u{FFFE}' | '\u{FFFF}' => {}
                c if xml && c < ' ' && !matches!(c, '\t' | '\n' | '\r') => {}
                c if !xml
                    && (c < ' ' || c == '\u{7f}')
                    && !matches!(c, '\t' | '\n' | '\r' | '\u{c}') => {}
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn escaping_matches_a_character_loop_at_every_position() {
        // Each special character, a dropped one and a kept look-alike, at every offset around
        // the eight-byte steps, among ASCII and multibyte text.
        let specials = [
            "&", "<", ">", "\"", "'", "\u{1}", "\u{FFFE}", "\u{FFFF}", "\u{FFFD}",
        ];
        let fillers = ["abcdefghijklmnopq", "é日本語ü\u{1F600}x", "\t\n\r  "];
        for filler in fillers {
            for special in specials {
                for cut in 0..=filler.len() {
                    if !filler.is_char_boundary(cut) {
                        continue;
                    }
                    let text = format!("{}{special}{}{special}", &filler[..cut], &filler[cut..]);
                    assert_eq!(escape_html(&text), reference(&text, false), "{text:?}");
                    assert_eq!(escape_xml(&text), reference(&text, true), "{text:?}");
                    let mut written = Vec::new();
                    write_escaped_html(&text, &mut written).unwrap();
                    assert_eq!(String::from_utf8(written).unwrap(), reference(&text, false));
                }
            }
        }
    }
}

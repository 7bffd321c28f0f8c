//! Untrusted text made safe to show: control characters, bidi overrides and zero-width
//! characters become visible escapes, so a value cannot move the cursor, set the title,
//! change colours or reorder what the user reads.

use std::borrow::Cow;

/// True for characters that must not reach a terminal raw.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'                 // soft hyphen (invisible)
            | '\u{034F}'               // combining grapheme joiner
            | '\u{061C}'               // Arabic letter mark (bidi)
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers: blank "letters"
            | '\u{180E}'               // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM/RLM
            | '\u{2028}' | '\u{2029}' // line/paragraph separators
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'              // BOM / zero-width no-break space
            | '\u{E0000}'..='\u{E007F}' // tag characters (invisible text)
        )
}

/// Escape unsafe characters as `\n`, `\t`, `\r`, `\e`, or `\u{XXXX}`. Borrowed when nothing changes.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{1b}' => out.push_str("\\e"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A writer for a terminal: every unsafe character of the text passing through is escaped as
/// [`escape`] does, except the line ends that separate rows. Machine formats (csv, ndjson,
/// json) go through it when standard output is a terminal, so a server's bytes cannot set the
/// title or move the cursor; files and pipes get the exact bytes.
pub struct TerminalSafe<W: std::io::Write> {
    inner: W,
    /// The start of a character cut between two writes.
    partial: Vec<u8>,
}

impl<W: std::io::Write> TerminalSafe<W> {
    pub fn new(inner: W) -> Self {
        TerminalSafe { inner, partial: Vec::new() }
    }

    fn put(&mut self, text: &str) -> std::io::Result<()> {
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
            out.push_str(&escape(body));
            out.push_str(end);
        }
        self.inner.write_all(out.as_bytes())
    }
}

impl<W: std::io::Write> std::io::Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        let mut bytes = std::mem::take(&mut self.partial);
        let mut start = 0;
        while start < bytes.len() {
            match std::str::from_utf8(&bytes[start..]) {
                Ok(text) => {
                    self.put(text)?;
                    start = bytes.len();
                }
                Err(e) => {
                    let good = start + e.valid_up_to();
                    self.put(std::str::from_utf8(&bytes[start..good]).unwrap_or_default())?;
                    match e.error_len() {
                        // Cut short: the rest comes with the next write.
                        None => {
                            self.partial = bytes.split_off(good);
                            return Ok(buf.len());
                        }
                        Some(n) => {
                            let shown: String = bytes[good..good + n].iter().map(|b| format!("\\x{b:02X}")).collect();
                            self.inner.write_all(shown.as_bytes())?;
                            start = good + n;
                        }
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Surrounding spaces made visible: a text that starts or ends with whitespace (or is empty)
/// is shown quoted, `"vip "`, so it does not read as `vip`. Borrowed otherwise.
pub fn edges_shown(s: &str) -> Cow<'_, str> {
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        Cow::Owned(format!("{s:?}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Display width in terminal cells (CJK and emoji take two).
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Pad with spaces to `w` cells (no truncation).
pub fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(width(s))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences_and_invisible_characters() {
        assert_eq!(escape("plain 张小红 😀"), "plain 张小红 😀");
        assert_eq!(escape("\u{1b}]0;pwned\u{7}"), "\\e]0;pwned\\u{7}");
        assert_eq!(escape("a\u{202E}b\u{200B}c\u{9b}"), "a\\u{202E}b\\u{200B}c\\u{9B}");
        assert_eq!(escape("l1\r\nl2\t"), "l1\\r\\nl2\\t");
    }

    #[test]
    fn invisible_and_bidi_characters_outside_the_usual_blocks_are_escaped() {
        for c in ['\u{061C}', '\u{00AD}', '\u{3164}', '\u{E0000}', '\u{E0041}', '\u{E007F}', '\u{115F}', '\u{180E}'] {
            assert!(is_unsafe(c), "U+{:04X}", c as u32);
            assert_eq!(escape(&format!("a{c}b")), format!("a\\u{{{:X}}}b", c as u32));
        }
        assert!(!is_unsafe('张') && !is_unsafe('é') && !is_unsafe('😀'));
    }

    #[test]
    fn a_terminal_gets_escaped_text_with_its_line_ends_whatever_the_writes_cut() {
        use std::io::Write;
        let text = "{\"city\":\"\u{1b}]0;pwned\u{7}\",\"x\":\"a\u{9b}b\u{202E}张\"}\nnext\n";
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            let mut t = TerminalSafe::new(Vec::new());
            t.write_all(&bytes[..cut]).unwrap();
            t.write_all(&bytes[cut..]).unwrap();
            let out = String::from_utf8(t.inner).unwrap();
            assert_eq!(out, "{\"city\":\"\\e]0;pwned\\u{7}\",\"x\":\"a\\u{9B}b\\u{202E}张\"}\nnext\n", "cut at {cut}");
        }
        let mut t = TerminalSafe::new(Vec::new());
        t.write_all(b"a\xffb\n").unwrap();
        assert_eq!(t.inner, b"a\\xFFb\n");
    }

    #[test]
    fn surrounding_spaces_are_shown_quoted() {
        assert_eq!(edges_shown("vip"), "vip");
        assert_eq!(edges_shown("big  spender"), "big  spender", "inner spaces need no quotes");
        assert_eq!(edges_shown("vip "), "\"vip \"");
        assert_eq!(edges_shown("\u{3000}会员"), "\"\\u{3000}会员\"", "a wide space is spelled out");
        assert_eq!(edges_shown(""), "\"\"");
    }

    #[test]
    fn pads_by_display_width() {
        assert_eq!(pad("会员", 6), "会员  ");
        assert_eq!(pad("abc", 2), "abc");
    }
}

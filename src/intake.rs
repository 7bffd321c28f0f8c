//! A file read as it streams (`apply -f`, `-f -`): what a whole-file read checked, checked on
//! the way instead — at most a cap of bytes, valid UTF-8 (the first bad byte named by its line
//! and offset), lines of bounded length — and hashed as it goes, so the job that applies it
//! can be named without the file ever being held whole.

use std::io::{self, Read};

use sha2::Digest;

/// What stopped the stream: said as it is, not wrapped in a parser's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

pub struct Intake<R> {
    inner: R,
    what: String,
    cap: u64,
    line_cap: Option<usize>,
    /// Bytes handed out so far.
    read: u64,
    /// Newlines among them.
    lines: usize,
    /// Length of the line being read.
    line_len: usize,
    /// The start of a character cut by the end of the last read.
    partial: Vec<u8>,
    hash: sha2::Sha256,
    refused: Option<Refused>,
}

impl<R: Read> Intake<R> {
    /// `what` names the source in messages (a path, "standard input").
    pub fn new(inner: R, what: &str, cap: u64) -> Intake<R> {
        Intake {
            inner,
            what: what.to_owned(),
            cap,
            line_cap: None,
            read: 0,
            lines: 0,
            line_len: 0,
            partial: Vec::new(),
            hash: sha2::Sha256::new(),
            refused: None,
        }
    }

    /// Refuse a line longer than `n` bytes (a row of a line-based file is far shorter).
    pub fn line_cap(mut self, n: usize) -> Intake<R> {
        self.line_cap = Some(n);
        self
    }

    /// Why the stream stopped, if it was refused (a parser sees only an I/O error).
    pub fn refused(&self) -> Option<&Refused> {
        self.refused.as_ref()
    }

    /// The short hash of every byte read (call once the stream is read to its end).
    pub fn hash(&self) -> String {
        crate::write::file_head::short_hash(&self.hash.clone().finalize())
    }

    fn refuse(&mut self, why: String) -> io::Error {
        self.refused = Some(Refused(why.clone()));
        io::Error::new(io::ErrorKind::InvalidData, why)
    }

    fn not_utf8(&mut self, at: u64, line: usize) -> io::Error {
        let what = crate::text::escape(&self.what).into_owned();
        self.refuse(format!("{what} is not UTF-8 at line {line} (byte offset {at}): save it as UTF-8"))
    }

    /// Check `chunk` (the bytes about to be handed out) as UTF-8 continuing the last chunk.
    fn check_utf8(&mut self, chunk: &[u8]) -> io::Result<()> {
        let mut rest = chunk;
        if !self.partial.is_empty() {
            let need = utf8_width(self.partial[0]).saturating_sub(self.partial.len());
            let take = need.min(rest.len());
            self.partial.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if take == need {
                if std::str::from_utf8(&self.partial).is_err() {
                    let at = self.read - (self.partial.len() - take) as u64;
                    return Err(self.not_utf8(at, self.lines + 1));
                }
                self.partial.clear();
            } else if std::str::from_utf8(&self.partial).is_err_and(|e| e.error_len().is_some()) {
                let at = self.read - (self.partial.len() - take) as u64;
                return Err(self.not_utf8(at, self.lines + 1));
            }
        }
        if let Err(e) = std::str::from_utf8(rest) {
            let ok = e.valid_up_to();
            if e.error_len().is_some() {
                let at = (chunk.len() - rest.len() + ok) as u64;
                let line = self.lines + 1 + count_newlines(&chunk[..at as usize]);
                return Err(self.not_utf8(self.read + at, line));
            }
            // A character cut by the end of the chunk: checked with the next one.
            self.partial.extend_from_slice(&rest[ok..]);
        }
        Ok(())
    }

    /// Count lines, refusing one over the line cap.
    fn count_lines(&mut self, chunk: &[u8]) -> io::Result<()> {
        for part in chunk.split_inclusive(|b| *b == b'\n') {
            let ends = part.last() == Some(&b'\n');
            self.line_len += part.len() - usize::from(ends);
            if let Some(cap) = self.line_cap
                && self.line_len > cap
            {
                let what = crate::text::escape(&self.what).into_owned();
                let why = format!("{what}: line {} is longer than {cap} bytes: not a row timx wrote", self.lines + 1);
                return Err(self.refuse(why));
            }
            if ends {
                self.lines += 1;
                self.line_len = 0;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Intake<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(Refused(why)) = &self.refused {
            return Err(io::Error::new(io::ErrorKind::InvalidData, why.clone()));
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            if !self.partial.is_empty() {
                let at = self.read - self.partial.len() as u64;
                return Err(self.not_utf8(at, self.lines + 1));
            }
            return Ok(0);
        }
        if self.read + n as u64 > self.cap {
            let what = crate::text::escape(&self.what).into_owned();
            return Err(self
                .refuse(format!("{what} is larger than {}: timx stops reading there", crate::paths::size(self.cap))));
        }
        let chunk = &buf[..n];
        self.check_utf8(chunk)?;
        self.count_lines(chunk)?;
        self.hash.update(chunk);
        self.read += n as u64;
        Ok(n)
    }
}

/// The length of the UTF-8 sequence `lead` starts (1 for a byte that starts none, so it is
/// refused where it stands).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

fn count_newlines(b: &[u8]) -> usize {
    b.iter().filter(|c| **c == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `bytes` in chunks of `step` (so characters are cut between reads).
    struct Chunked<'a>(&'a [u8], usize);
    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(self.0.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn drain(bytes: &[u8], step: usize, cap: u64) -> (Result<Vec<u8>, String>, Intake<Chunked<'_>>) {
        let mut i = Intake::new(Chunked(bytes, step), "x.csv", cap);
        let mut out = Vec::new();
        let r = i.read_to_end(&mut out).map(|_| out).map_err(|e| e.to_string());
        (r, i)
    }

    #[test]
    fn valid_text_passes_whole_in_any_chunks_and_is_hashed_as_a_whole() {
        let text = "account,city\n张三,深圳\n🙂,x\n".as_bytes();
        let whole = drain(text, 1 << 16, 1 << 20).1.hash();
        for step in 1..8 {
            let (r, i) = drain(text, step, 1 << 20);
            assert_eq!(r.unwrap(), text, "step {step}");
            assert_eq!(i.hash(), whole, "the hash does not depend on how it was read");
        }
        assert_ne!(drain(b"account\n", 3, 99).1.hash(), whole);
    }

    #[test]
    fn the_first_bad_byte_is_named_by_line_and_offset_wherever_the_reads_cut() {
        let bytes = b"account\nbob\nb\xffd\n";
        for step in 1..6 {
            let (r, i) = drain(bytes, step, 1 << 20);
            let want = "x.csv is not UTF-8 at line 3 (byte offset 13): save it as UTF-8";
            assert_eq!(r.unwrap_err(), want, "step {step}");
            assert_eq!(i.refused().unwrap().0, want);
        }
        // A character cut short: by a bad continuation, and by the end of the file.
        for step in 1..5 {
            let e = drain(b"account\n\xe5\xbcx\n", step, 99).0.unwrap_err();
            assert_eq!(e, "x.csv is not UTF-8 at line 2 (byte offset 8): save it as UTF-8", "step {step}");
            let e = drain(b"account\n\xe5\xbc", step, 99).0.unwrap_err();
            assert_eq!(e, "x.csv is not UTF-8 at line 2 (byte offset 8): save it as UTF-8", "step {step}");
        }
    }

    #[test]
    fn the_caps_stop_the_read_with_what_was_passed() {
        let e = drain(&[b'a'; 100], 7, 64).0.unwrap_err();
        assert_eq!(e, "x.csv is larger than 64 bytes: timx stops reading there");
        let mut i = Intake::new(Chunked(b"ok\nabcdefgh\nz\n", 3), "x.ndjson", 1 << 20).line_cap(5);
        let e = i.read_to_end(&mut Vec::new()).unwrap_err().to_string();
        assert_eq!(e, "x.ndjson: line 2 is longer than 5 bytes: not a row timx wrote");
        assert!(i.read(&mut [0; 4]).is_err(), "refused once, refused after");
        let mut i = Intake::new(Chunked(b"abcde\nabcde", 4), "x", 99).line_cap(5);
        assert!(i.read_to_end(&mut Vec::new()).is_ok(), "at the cap is fine");
    }
}

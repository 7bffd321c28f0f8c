//! Copy through the terminal with OSC 52, which works over SSH. tmux and screen need the
//! sequence wrapped in a passthrough; the payload is capped. OSC 52 cannot be confirmed, so the
//! app says "sent to terminal", never "copied".

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Largest base64 payload sent (the cap k9s uses; many terminals drop larger ones).
pub const MAX_BASE64: usize = 74_994;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mux {
    None,
    Tmux,
    Screen,
}

impl Mux {
    pub fn detect() -> Mux {
        if std::env::var_os("TMUX").is_some() {
            Mux::Tmux
        } else if std::env::var("TERM").is_ok_and(|t| t.starts_with("screen")) {
            Mux::Screen
        } else {
            Mux::None
        }
    }
}

/// Whether `text` fits the cap once base64-encoded, or why not.
pub fn check_size(text: &str) -> Result<(), String> {
    let b64_len = text.len().div_ceil(3) * 4;
    if b64_len > MAX_BASE64 {
        return Err(format!(
            "{} bytes is too large for the terminal clipboard (limit {} base64 bytes); export to a file instead",
            text.len(),
            MAX_BASE64
        ));
    }
    Ok(())
}

/// The bytes to write, or why not (too large).
pub fn osc52(text: &str, mux: Mux) -> Result<String, String> {
    check_size(text)?;
    let b64 = STANDARD.encode(text.as_bytes());
    let seq = format!("\x1b]52;c;{b64}\x07");
    Ok(match mux {
        Mux::None => seq,
        // tmux passthrough: ESC doubled inside DCS (needs `allow-passthrough on` or `set-clipboard on`).
        Mux::Tmux => format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b")),
        // GNU screen limits a DCS string's length: send the sequence in chunks.
        Mux::Screen => {
            seq.as_bytes().chunks(700).map(|c| format!("\x1bP{}\x1b\\", String::from_utf8_lossy(c))).collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_for_each_multiplexer_and_caps_size() {
        assert_eq!(osc52("hi", Mux::None).unwrap(), "\x1b]52;c;aGk=\x07");
        assert_eq!(osc52("hi", Mux::Tmux).unwrap(), "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\");
        assert!(osc52("hi", Mux::Screen).unwrap().starts_with("\x1bP\x1b]52;c;"));
        assert!(osc52(&"x".repeat(60_000), Mux::None).is_err());
        // The cap is on the encoded size: 56,244 bytes encode to 74,992, 56,245 to 74,996.
        assert!(check_size(&"x".repeat(56_244)).is_ok());
        assert!(check_size(&"x".repeat(56_245)).is_err());
    }
}

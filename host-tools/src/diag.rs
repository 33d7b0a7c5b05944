//! The one path for what `tabletalk` tells the user on standard error:
//! warnings (the run goes on), notes (what was written where) and the
//! final error line. Everything printed here passes through
//! [`printable`], so a label or file name holding terminal escapes cannot
//! reach the terminal raw.

use std::borrow::Cow;
use std::fmt::Display;

/// Prints `tabletalk: warning: MESSAGE` on standard error.
pub fn warn(message: impl Display) {
    eprintln!("tabletalk: warning: {}", printable(&message.to_string()));
}

/// Prints `tabletalk: MESSAGE` on standard error: a summary of what a
/// command did, kept off standard output so that output stays data.
pub fn note(message: impl Display) {
    eprintln!("tabletalk: {}", printable(&message.to_string()));
}

/// Prints `tabletalk: MESSAGE` for the error a command ended with.
pub fn error(message: impl Display) {
    note(message);
}

/// `text` with every control character (C0, DEL, C1) written as a visible
/// escape: `\n`, `\r`, `\t`, `\e` for ESC, `\xNN` otherwise. Text without
/// control characters is returned as it is, without a copy.
///
/// ```
/// use tabletalk::diag::printable;
/// assert_eq!(printable("Ana"), "Ana");
/// assert_eq!(printable("A\x1b[2Jna\nB"), "A\\e[2Jna\\nB");
/// assert_eq!(printable("\u{9b}x\x7f"), "\\x9bx\\x7f");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x1b' => out.push_str("\\e"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

//! Stdin, read once, in order, and never past a bound: a passphrase takes one line, a
//! token or a JSON body takes the rest, each refused as soon as it passes its limit
//! (a 1.5 GB stdin must not become a 1.5 GB buffer before the limit is checked).

use std::io::{IsTerminal, Read};

use vaultstore::Error;
use zeroize::Zeroizing;

use crate::exit::{usage, Failure};

/// The longest passphrase line read: far beyond any real passphrase, but bounded.
pub const LINE_MAX: usize = 64 << 10;

/// std's stdin buffer size: a read at least this large bypasses that buffer, so no
/// copy of a secret stays in it unzeroized.
const STD_BUF: usize = 8 << 10;

/// What stdin held so far; `taken` bytes of it are handed out already.
#[derive(Default)]
pub struct Stdin {
    buf: Zeroizing<Vec<u8>>,
    taken: usize,
    started: bool,
    ended: bool,
}

impl Stdin {
    /// On a terminal a secret is asked for without echo rather than read as typed.
    pub fn is_terminal(&self) -> bool {
        !self.started && std::io::stdin().is_terminal()
    }

    /// The unread bytes, read until stdin ends, holds more than `max` unread bytes, or
    /// (with `line`) holds a newline.
    pub fn unread(&mut self, what: &str, max: usize, line: bool) -> Result<&[u8], Failure> {
        if !self.started && std::io::stdin().is_terminal() {
            eprintln!("vaultstore: reading {what} from the terminal; end with Ctrl-D");
        }
        self.started = true;
        let want = self.taken + max + 1; // one byte past the limit shows the excess
        let mut stdin = std::io::stdin().lock();
        loop {
            let unread = &self.buf[self.taken..];
            if self.ended || self.buf.len() >= want || (line && unread.contains(&b'\n')) {
                break;
            }
            let ask = want.saturating_sub(self.buf.len());
            let read = read_some(&mut stdin, &mut self.buf, ask)
                .map_err(|e| usage(format!("cannot read {what} from stdin: {e}")))?;
            self.ended = read == 0;
        }
        Ok(&self.buf[self.taken..])
    }

    /// Marks `n` more bytes as handed out.
    pub fn take(&mut self, n: usize) {
        self.taken += n;
    }
}

/// All of `reader` in a new buffer; `None` once it passes `max` bytes (the rest is not
/// read).
pub fn read_bounded(
    reader: &mut impl Read,
    max: usize,
) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let mut buf = Zeroizing::new(Vec::new());
    while buf.len() <= max {
        let ask = max + 1 - buf.len();
        if read_some(reader, &mut buf, ask)? == 0 {
            return Ok(Some(buf));
        }
    }
    Ok(None)
}

/// One read of up to `ask` bytes (at least `STD_BUF`) appended to `buf`. The buffer
/// grows by copying into a new zeroizing one, never by a reallocation that would leave
/// the old bytes behind.
fn read_some(
    reader: &mut impl Read,
    buf: &mut Zeroizing<Vec<u8>>,
    ask: usize,
) -> std::io::Result<usize> {
    let start = buf.len();
    let end = start + ask.max(STD_BUF);
    if buf.capacity() < end {
        let mut bigger = Zeroizing::new(Vec::with_capacity(end));
        bigger.extend_from_slice(buf);
        *buf = bigger;
    }
    buf.resize(end, 0);
    let read = loop {
        match reader.read(&mut buf[start..]) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    buf.truncate(start + *read.as_ref().unwrap_or(&0));
    read
}

/// The error for an input past its limit: the store would refuse it anyway.
pub fn too_large(field: &str, message: String) -> Failure {
    Failure::Store(Error::InvalidRequest {
        field: field.to_owned(),
        message,
    })
}

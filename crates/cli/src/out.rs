//! Writing to standard output: a closed pipe (`yardstick evaluate … | head -1`) ends the
//! command quietly with success for what was written, instead of a panic; any other
//! write error (disk full, file size limit) is a clean error.

use std::io::Write;

/// Writes text to standard output. On a closed pipe the process exits with code 0: the
/// reader has what it wanted. Other failures are returned.
///
/// # Errors
/// A write error other than a closed pipe (no space left, file too large).
pub fn write(text: &str) -> Result<(), yardstick_app::Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(yardstick_app::Error::internal("error.io.stdout").detail(e.to_string())),
    }
}

/// Writes bytes (an Excel file) to standard output, as [`write`] does text.
///
/// # Errors
/// A write error other than a closed pipe.
pub fn write_bytes(bytes: &[u8]) -> Result<(), yardstick_app::Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(yardstick_app::Error::internal("error.io.stdout").detail(e.to_string())),
    }
}

/// `print!` through [`write`]; evaluates to `Result<(), yardstick_app::Error>`.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write(&format!($($arg)*))
    };
}

/// `println!` through [`write`]; evaluates to `Result<(), yardstick_app::Error>`.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::out::write("\n")
    };
    ($($arg:tt)*) => {
        $crate::out::write(&format!("{}\n", format_args!($($arg)*)))
    };
}

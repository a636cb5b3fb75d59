//! The `yardstick` binary: parses arguments and calls the crates. Nothing else.
//!
//! Exit codes: 0 success, 2 invalid input (a file, flag or value the user can fix),
//! 1 internal error.

mod guideline_cmd;
mod table;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Yardstick (度量尺): one measuring rod for telecom front-line service sites.
#[derive(Parser)]
#[command(name = "yardstick", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate, show and compare guideline versions.
    #[command(subcommand)]
    Guideline(guideline_cmd::GuidelineCommand),
}

/// An error in what the user gave (exit code 2), as opposed to an internal failure.
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Guideline(cmd) => guideline_cmd::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<InputError>().is_some() => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("internal error: {e:#}");
            ExitCode::from(1)
        }
    }
}

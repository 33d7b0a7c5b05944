use std::process::ExitCode;

use clap::Parser;
use tabletalk::{cli, error};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::from(error::exit::OK),
        Err(err) => {
            let code = error::exit_code(&err);
            eprintln!("tabletalk: {err:#}");
            ExitCode::from(code)
        }
    }
}

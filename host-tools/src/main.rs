use std::process::ExitCode;

use clap::Parser;
use tabletalk::{cli, error};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::from(error::exit::OK),
        Err(err) => {
            let code = err
                .downcast_ref::<error::CliError>()
                .map_or(error::exit::FAILURE, |e| e.code);
            tabletalk::diag::error(format_args!("{err:#}"));
            ExitCode::from(code)
        }
    }
}

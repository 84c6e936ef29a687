use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = lore::cli::Cli::parse();
    match lore::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

use clap::Parser;
use std::process::ExitCode;

// mimalloc: a tenth less CPU than glibc's malloc for a 10k build, whose many small strings
// and event vectors put malloc/free at 15% of the samples.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = lore::cli::Cli::parse();
    // Warnings from libraries always; with -v, the pipeline's stage timings too. RUST_LOG wins.
    let level = if cli.verbose { "lore=debug" } else { "warn" };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp(None)
        .init();
    match lore::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

//! One module per subcommand; each has `run(args, ui) -> anyhow::Result<ExitCode>`.

pub mod build;
pub mod check;
pub mod init;
pub mod list;
pub mod new;
pub mod serve;

use crate::cli::{Cli, Command};
use crate::error::Diagnostic;
use std::io::IsTerminal;
use std::process::ExitCode;

/// How much to print, and whether in colour.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub quiet: bool,
    pub verbose: bool,
    pub color: bool,
}

impl Ui {
    pub fn from_cli(cli: &Cli) -> Ui {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Ui {
            quiet: cli.quiet,
            verbose: cli.verbose,
            color,
        }
    }

    /// Prints diagnostics to stderr, errors in red and warnings in yellow on a terminal.
    pub fn report(&self, diagnostics: &[Diagnostic], base: &std::path::Path) {
        for d in diagnostics {
            if self.quiet && !d.is_error() {
                continue;
            }
            let text = d.clone().relative_to(base).to_string();
            if self.color {
                let code = if d.is_error() { "31" } else { "33" };
                eprintln!("\x1b[{code}m{text}\x1b[0m");
            } else {
                eprintln!("{text}");
            }
        }
    }
}

impl Ui {
    /// Prints warnings kept as text (from the last build's stamp), like [`Ui::report`].
    pub fn report_text(&self, warnings: &[String]) {
        if self.quiet {
            return;
        }
        for text in warnings {
            if self.color {
                eprintln!("\x1b[33m{text}\x1b[0m");
            } else {
                eprintln!("{text}");
            }
        }
    }

    /// With `-v`: which folders Lore decided to read and write, the answer zero config owes.
    pub fn describe(&self, config: &crate::config::SiteConfig) {
        if !self.verbose {
            return;
        }
        let mode = if config.zero_config {
            " (zero config: no lore.yaml, no content/)"
        } else {
            ""
        };
        eprintln!("site:    {}{mode}", config.root.display());
        eprintln!("content: {}", config.content_dir.display());
        for root in &config.adr_roots {
            let package = root
                .package
                .as_deref()
                .map(|p| format!(" (package {p})"))
                .unwrap_or_default();
            eprintln!("ADRs:    {}{package}", root.path.display());
        }
        eprintln!("output:  {}", config.output_dir.display());
        eprintln!("base:    {}", config.base_url);
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ui = Ui::from_cli(&cli);
    match &cli.command {
        Command::Build(args) => build::run(args, ui),
        Command::Check(args) => check::run(args, ui),
        Command::List(args) => list::run(args, ui),
        Command::New(args) => new::run(args, ui),
        Command::Init(args) => init::run(args, ui),
        Command::Serve(args) => serve::run(args, ui),
    }
}

/// Groups digits: 1203 → "1,203".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

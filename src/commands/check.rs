//! `lore check`: the site's problems, one per line (or JSON), and an exit code for CI.

use super::Ui;
use crate::check::{self, ExternalOptions, Report};
use crate::cli::{CheckArgs, CheckFormat};
use crate::config::{Overrides, SiteConfig};
use std::process::ExitCode;

/// Exit codes: 0 no errors (warnings allowed unless `--strict`), 1 problems found.
pub fn run(args: &CheckArgs, ui: Ui) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let overrides = Overrides {
        drafts: args.drafts,
        ..Overrides::default()
    };
    let report = match SiteConfig::load(&args.root, &overrides) {
        Ok(config) => {
            ui.describe(&config);
            check::check(config, args.external.then(ExternalOptions::default))
        }
        Err(err) => Report::new(err.diagnostics),
    };
    let report = report.relative_to(&cwd);
    match args.format {
        CheckFormat::Json => println!("{}", serde_json::to_string_pretty(&report.to_json())?),
        CheckFormat::Text => print_text(&report, ui),
    }
    Ok(if report.failed(args.strict) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Problems on stdout (they are what the command is for); `-q` leaves out warnings.
fn print_text(report: &Report, ui: Ui) {
    for d in &report.diagnostics {
        if !ui.quiet || d.is_error() {
            println!("{d}");
        }
    }
    println!("{}", report.summary());
}

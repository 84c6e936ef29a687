//! `lore build`: the site into its output folder, atomically, with one summary line.

use super::{Ui, thousands};
use crate::cli::BuildArgs;
use crate::config::{Overrides, SiteConfig};
use crate::document::Kind;
use std::process::ExitCode;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// A bar on a terminal that appears only once a build has taken a second (a fast build
/// should not flicker); none when stderr is not a terminal or with `-q`.
fn progress_bar(ui: Ui) -> Option<ProgressBar> {
    if ui.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    let style = ProgressStyle::with_template("{spinner} rendering {pos}/{len} pages [{bar:30}] {eta}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let shown = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        if !shown.is_finished() {
            shown.set_draw_target(ProgressDrawTarget::stderr());
            shown.enable_steady_tick(Duration::from_millis(120));
        }
    });
    Some(bar)
}

pub fn run(args: &BuildArgs, ui: Ui) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let cwd = std::env::current_dir()?;
    let overrides = Overrides {
        output_dir: args.output.clone(),
        base_url: args.base_url.clone(),
        drafts: args.drafts,
    };
    let result = SiteConfig::load(&args.root, &overrides)
        .inspect(|config| ui.describe(config))
        .and_then(|config| crate::pipeline::build_to_disk(config, progress_bar(ui)));
    match result {
        Ok(built) => {
            ui.report(&built.warnings, &cwd);
            if !ui.quiet {
                let count = |k: Kind| {
                    built
                        .site
                        .pages
                        .iter()
                        .filter(|p| p.doc.kind == k && p.is_listed())
                        .count()
                };
                let pages = built.site.pages.iter().filter(|p| p.is_listed()).count();
                let out = built
                    .site
                    .config
                    .output_dir
                    .strip_prefix(&cwd)
                    .unwrap_or(&built.site.config.output_dir)
                    .display()
                    .to_string();
                println!(
                    "Built {} pages ({} posts, {} ADRs, {} docs) in {} ms -> {}/",
                    thousands(pages),
                    thousands(count(Kind::Post)),
                    thousands(count(Kind::Adr)),
                    thousands(count(Kind::Doc)),
                    started.elapsed().as_millis(),
                    out.trim_end_matches('/')
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            ui.report(&err.diagnostics, &cwd);
            eprintln!(
                "Build failed with {} error(s); the previous output is untouched.",
                err.diagnostics.iter().filter(|d| d.is_error()).count()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

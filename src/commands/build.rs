//! `lore build`: the site into its output folder, atomically, with one summary line.

use super::{Ui, thousands};
use crate::cli::BuildArgs;
use crate::config::{Overrides, SiteConfig};
use crate::error::{BuildError, BuildResult, Diagnostic, Location};
use crate::pipeline::Outcome;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// A bar on a terminal that appears only once a build has taken a second (a fast build
/// should not flicker); none when stderr is not a terminal or with `-q`.
fn progress_bar(ui: Ui) -> Option<ProgressBar> {
    if ui.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    let style =
        ProgressStyle::with_template("{spinner} rendering {pos}/{len} pages [{bar:30}] {eta}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let shown = bar.clone();
    // The delay can be set (in milliseconds) so that tests need no build lasting a second.
    let delay = std::env::var("LORE_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis);
    std::thread::spawn(move || {
        std::thread::sleep(delay);
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
        .and_then(|config| {
            let conventional = config.output_dir == config.root.join(crate::config::OUTPUT_DIR);
            if args.output.is_some() && !conventional && !args.force {
                refuse_foreign_output(&config.output_dir)?;
            }
            let out = config.output_dir.clone();
            crate::pipeline::build_to_disk(config, progress_bar(ui), !args.force)
                .map(|outcome| (outcome, out))
        });
    match result {
        Ok((outcome, out)) => {
            let out = out.strip_prefix(&cwd).unwrap_or(&out).display().to_string();
            let (counts, verb) = match &outcome {
                Outcome::Built(written) => {
                    ui.report(&written.warnings, &cwd);
                    (crate::pipeline::counts(&written.site), "Built")
                }
                Outcome::Unchanged(stamp) => {
                    ui.report_text(&stamp.warnings);
                    (stamp.counts, "Unchanged since the last build:")
                }
            };
            if !ui.quiet {
                let [pages, posts, adrs, docs] = counts.map(thousands);
                println!(
                    "{verb} {pages} pages ({posts} posts, {adrs} ADRs, {docs} docs) in {} ms -> {}/",
                    started.elapsed().as_millis(),
                    out.trim_end_matches('/')
                );
            }
            // The process ends here and the system takes its memory back at once: freeing the
            // site page by page was the last 27 ms of a 10k build.
            std::mem::forget(outcome);
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

/// A build replaces its output folder whole. A folder named with `-o` that has files and that
/// Lore did not build (no stamp beside it) is left alone unless `--force` says otherwise: `-o`
/// mistyped as a folder of documents would lose them. `public/` (however it is named) and
/// `output_dir` are build folders by convention or by configuration, as in Zola.
fn refuse_foreign_output(output: &Path) -> BuildResult<()> {
    // Hidden entries (`.git` of a fresh gh-pages checkout) stay through builds: they do not count.
    let has_files = std::fs::read_dir(output).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| !crate::output::is_hidden(&e.file_name()))
    });
    if !has_files || crate::cache::built_here(output) {
        return Ok(());
    }
    Err(BuildError::one(
        Diagnostic::error(
            Location::file(output),
            "the output folder has files and was not made by Lore; building would replace them all",
        )
        .with_help("choose an empty or new folder with -o, or pass --force to replace this one"),
    ))
}

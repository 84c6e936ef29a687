//! The whole pipeline as functions the commands and tests call: load a site, render it, write it.

use crate::config::SiteConfig;
use crate::discover;
use crate::document::{self, Document};
use crate::error::{BuildError, BuildResult, Diagnostic};
use crate::output::{self, OutputSet};
use crate::render;
use crate::site::{self, Site};
use crate::theme::Theme;
use rayon::prelude::*;

/// A rendered site with what it is made of, ready to write or serve.
pub struct Built {
    pub site: Site,
    pub output: OutputSet,
    pub warnings: Vec<Diagnostic>,
}

/// Discovers and parses every file, then assembles the site. All parse errors are reported together.
pub fn load_site(config: SiteConfig) -> BuildResult<Site> {
    let found = discover::discover(&config);
    let results: Vec<Result<Document, Vec<Diagnostic>>> =
        found.sources.into_par_iter().map(document::load).collect();
    let mut docs = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(doc) => docs.push(doc),
            Err(mut diagnostics) => errors.append(&mut diagnostics),
        }
    }
    if !errors.is_empty() {
        return Err(BuildError::new(errors));
    }
    let mut site = site::assemble(config, docs, found.assets)?;
    let mut warnings = found.warnings;
    warnings.append(&mut site.warnings);
    site.warnings = warnings;
    Ok(site)
}

/// Loads and renders the site in memory.
pub fn build_site(config: SiteConfig) -> BuildResult<Built> {
    let theme = Theme::load(&config)?;
    let site = load_site(config)?;
    let output = render::render_site(&site, &theme)?;
    let mut warnings = site.warnings.clone();
    if let (_, Some(message)) = crate::search::Analyzer::for_language(&site.config.language) {
        let location =
            crate::error::Location::file(site.config.root.join(crate::config::CONFIG_FILE));
        warnings.push(
            Diagnostic::warning(location, message)
                .with_help("search still works, without stemming"),
        );
    }
    Ok(Built {
        site,
        output,
        warnings,
    })
}

/// Builds and writes the site to its output folder, atomically.
pub fn build_to_disk(config: SiteConfig) -> BuildResult<Built> {
    let dir = config.output_dir.clone();
    let built = build_site(config)?;
    output::write_atomic(&built.output, &dir)?;
    Ok(built)
}

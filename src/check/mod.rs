//! `lore check`: every problem of a site, found in what the build pipeline already computed
//! (the parsed documents, the resolved links, the decision graph), without writing output.
//!
//! Parse errors stop loading exactly as they stop `lore build`, so `check` never reports a
//! problem the build would not have, nor misses one that would make the build fail.

mod external;
mod graph;
mod links;

use crate::config::SiteConfig;
use crate::error::{Diagnostic, Location, Severity};
use crate::site::Site;
use std::path::Path;

pub use external::{ExternalOptions, check_external};

/// Everything found, sorted by file and position.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn new(mut diagnostics: Vec<Diagnostic>) -> Report {
        diagnostics.sort_by(|a, b| a.location.cmp(&b.location).then(a.cmp(b)));
        diagnostics.dedup();
        Report { diagnostics }
    }

    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// Errors fail the check; with `strict`, warnings do too.
    pub fn failed(&self, strict: bool) -> bool {
        self.errors() > 0 || (strict && self.warnings() > 0)
    }

    /// Paths relative to `base`, as printed.
    pub fn relative_to(self, base: &Path) -> Report {
        Report {
            diagnostics: self
                .diagnostics
                .into_iter()
                .map(|d| d.relative_to(base))
                .collect(),
        }
    }

    /// One line per problem (`path:line:col: severity: message`, then its help), and a count.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for d in &self.diagnostics {
            text.push_str(&d.to_string());
            text.push('\n');
        }
        text.push_str(&self.summary());
        text.push('\n');
        text
    }

    pub fn summary(&self) -> String {
        format!(
            "{} error{}, {} warning{}",
            self.errors(),
            plural(self.errors()),
            self.warnings(),
            plural(self.warnings())
        )
    }

    /// The same as JSON: `{"problems": [{path, line, column, severity, message, help}], "errors", "warnings"}`.
    pub fn to_json(&self) -> serde_json::Value {
        let problems: Vec<serde_json::Value> = self
            .diagnostics
            .iter()
            .map(|d| {
                serde_json::json!({
                    "path": crate::discover::slash_path(&d.location.path),
                    "line": d.location.line,
                    "column": d.location.line.map(|_| d.location.col.unwrap_or(1)),
                    "severity": d.severity,
                    "message": d.message,
                    "help": d.help,
                })
            })
            .collect();
        serde_json::json!({
            "problems": problems,
            "errors": self.errors(),
            "warnings": self.warnings(),
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Loads the site and its theme as `lore build` does and checks them; external links only with
/// `external`. Load errors are the report: the checks below need a loaded site.
pub fn check(config: SiteConfig, external: Option<ExternalOptions>) -> Report {
    let theme = crate::theme::Theme::load(&config);
    match crate::pipeline::load_site(config) {
        Ok(site) => {
            let mut found = check_site(&site);
            match &theme {
                Ok(theme) => found.extend(crate::render::template_problems(&site, theme)),
                Err(err) => found.extend(err.diagnostics.iter().cloned()),
            }
            if let Some(options) = external {
                found.extend(check_external(&site, options));
            }
            Report::new(found)
        }
        Err(err) => Report::new(err.diagnostics),
    }
}

/// What `lore build` warns of beyond loading: relations naming no decision, which leave the
/// graph without a word otherwise (`lore check` reports them as errors).
pub fn build_warnings(site: &Site) -> Vec<Diagnostic> {
    graph::dangling_as_warnings(site)
}

/// The problems of a loaded site: its load warnings, its links, its decision graph.
pub fn check_site(site: &Site) -> Vec<Diagnostic> {
    let mut found = site.warnings.clone();
    found.extend(relative_base_url(&site.config));
    found.extend(links::check_links(site));
    found.extend(graph::check_graph(site));
    found
}

/// A site with `lore.yaml` whose `base_url` is a path: its feeds, sitemap and robots.txt cannot
/// give the whole URLs feed readers and crawlers need (a folder without `lore.yaml` is not
/// taken for a site set up to publish).
fn relative_base_url(config: &SiteConfig) -> Option<Diagnostic> {
    let file = config.root.join(crate::config::CONFIG_FILE);
    if config.has_absolute_base() || !file.is_file() {
        return None;
    }
    let line = config
        .fingerprint
        .lines()
        .position(|l| l.starts_with("base_url:"));
    let location = match line {
        Some(i) => Location::at(&file, i + 1, 1),
        None => Location::file(&file),
    };
    Some(
        Diagnostic::warning(
            location,
            format!(
                "base_url `{}` is not a whole URL: the feeds, sitemap and robots.txt link by path, which feed readers and search engines cannot follow",
                config.base_url
            ),
        )
        .with_help("set base_url in lore.yaml to the address the site is published at (https://docs.example.org/), or pass --base-url to lore build"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(path: &str, line: usize, severity: Severity) -> Diagnostic {
        Diagnostic {
            severity,
            location: Location::at(path, line, 2),
            message: "m".into(),
            help: Some("h".into()),
        }
    }

    #[test]
    fn report_counts_sorts_and_fails_on_errors_only_unless_strict() {
        let report = Report::new(vec![
            diag("b.md", 1, Severity::Warning),
            diag("a.md", 3, Severity::Error),
            diag("a.md", 3, Severity::Error),
        ]);
        assert_eq!((report.errors(), report.warnings()), (1, 1));
        assert_eq!(report.diagnostics[0].location.path, Path::new("a.md"));
        assert!(report.failed(false));
        let warnings_only = Report::new(vec![diag("b.md", 1, Severity::Warning)]);
        assert!(!warnings_only.failed(false));
        assert!(warnings_only.failed(true));
    }

    #[test]
    fn text_and_json_carry_the_same_problems() {
        let report = Report::new(vec![diag("a.md", 3, Severity::Error)]);
        assert_eq!(
            report.to_text(),
            "a.md:3:2: error: m\n  help: h\n1 error, 0 warnings\n"
        );
        let json = report.to_json();
        assert_eq!(json["problems"][0]["path"], "a.md");
        assert_eq!(json["problems"][0]["line"], 3);
        assert_eq!(json["problems"][0]["column"], 2);
        assert_eq!(json["problems"][0]["severity"], "error");
        assert_eq!(json["errors"], 1);
    }
}

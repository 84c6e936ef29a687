//! The theme: the default one embedded in the binary, with a site's own templates and assets
//! laid over it file by file, so a site overrides one template or block without copying the rest.

use crate::config::{SiteConfig, TEMPLATES_DIR, THEMES_DIR};
use crate::error::{BuildError, BuildResult, Diagnostic, Location};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tera::{Kwargs, State, Tera, TeraResult};

#[derive(rust_embed::RustEmbed)]
#[folder = "themes/default/"]
struct DefaultTheme;

/// The default theme's components (Tera 2's successor to macros), overridden as a whole.
const COMPONENTS: &str = "components.html";

pub struct Theme {
    pub tera: Tera,
    /// Files served under `/assets/`: name relative to that folder, and bytes.
    pub assets: BTreeMap<String, Vec<u8>>,
    /// Where each template came from, to name the file in errors.
    pub sources: BTreeMap<String, PathBuf>,
    /// Hash of every template and asset, part of cache keys.
    pub fingerprint: String,
}

impl Theme {
    pub fn load(config: &SiteConfig) -> BuildResult<Theme> {
        let mut templates: BTreeMap<String, (String, PathBuf)> = BTreeMap::new();
        let mut assets: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for name in DefaultTheme::iter() {
            let Some(file) = DefaultTheme::get(&name) else {
                continue;
            };
            if let Some(template) = name.strip_prefix("templates/") {
                let text = String::from_utf8_lossy(&file.data).into_owned();
                let source = PathBuf::from("themes/default").join(name.as_ref());
                // Also under `lore/`, so an override can `{% extends "lore/page.html" %}` the
                // original; not the components, which are global and may be defined only once.
                if template != COMPONENTS {
                    templates.insert(format!("lore/{template}"), (text.clone(), source.clone()));
                }
                templates.insert(template.to_string(), (text, source));
            } else if let Some(asset) = name.strip_prefix("assets/") {
                assets.insert(asset.to_string(), file.data.into_owned());
            }
        }
        for dir in override_dirs(config) {
            read_overrides(&dir.join(TEMPLATES_DIR), &mut templates, &mut assets, true)?;
            read_overrides(&dir.join("assets"), &mut templates, &mut assets, false)?;
        }
        read_overrides(
            &config.root.join(TEMPLATES_DIR),
            &mut templates,
            &mut assets,
            true,
        )?;
        let fingerprint = fingerprint(&templates, &assets);
        let sources = templates
            .iter()
            .map(|(k, (_, p))| (k.clone(), p.clone()))
            .collect();
        let tera = compile(&templates)?;
        Ok(Theme {
            tera,
            assets,
            sources,
            fingerprint,
        })
    }

    fn source_of(&self, template: &str) -> PathBuf {
        self.sources
            .get(template)
            .cloned()
            .unwrap_or_else(|| PathBuf::from(template))
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.tera.get_template_names().any(|n| n == name)
    }

    /// Renders a template, turning Tera's error chain into a diagnostic on the template file.
    /// `size_hint`: the bytes the output is expected to take. Tera's own buffer starts at 2 KB
    /// and doubles, copying the page three or four times over (2% of a build's instructions).
    pub fn render(
        &self,
        template: &str,
        context: &tera::Context,
        page: Option<&Path>,
        size_hint: usize,
    ) -> BuildResult<String> {
        let mut out = Vec::with_capacity(size_hint);
        self.tera.render_to(template, context, &mut out).map_err(|err| {
            let (location, cause) = match err.kind() {
                tera::ErrorKind::RenderingError(report) => {
                    let span = report.span();
                    let file = self.source_of(report.filename());
                    (Location::at(file, span.start_line, span.start_col + 1), report.message().to_string())
                }
                _ => (Location::file(self.source_of(template)), error_chain(&err)),
            };
            let mut message = format!("cannot render template `{template}`: {cause}");
            if let Some(page) = page {
                message.push_str(&format!("{WHILE_RENDERING}{})", page.display()));
            }
            BuildError::one(Diagnostic::error(location, message).with_help("fix the template; the README's \"Template variables\" lists what each template receives"))
        })?;
        // Tera writes only strings.
        Ok(String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}

/// How a render error names the page it failed on: `… (while rendering content/x.md)`.
pub const WHILE_RENDERING: &str = " (while rendering ";

fn override_dirs(config: &SiteConfig) -> Vec<PathBuf> {
    match &config.theme {
        Some(name) if name != "default" => vec![config.root.join(THEMES_DIR).join(name)],
        _ => Vec::new(),
    }
}

fn read_overrides(
    dir: &Path,
    templates: &mut BTreeMap<String, (String, PathBuf)>,
    assets: &mut BTreeMap<String, Vec<u8>>,
    are_templates: bool,
) -> BuildResult<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file()
            || crate::discover::is_temp_or_hidden(&entry.file_name().to_string_lossy())
        {
            continue;
        }
        let path = entry.path();
        let name = crate::discover::slash_path(path.strip_prefix(dir).unwrap_or(path));
        let bytes = std::fs::read(path)
            .map_err(|e| BuildError::one(crate::error::io_diagnostic(path, "read", &e)))?;
        if are_templates {
            let text = String::from_utf8(bytes).map_err(|_| {
                BuildError::one(
                    Diagnostic::error(Location::file(path), "template is not valid UTF-8")
                        .with_help("re-save it as UTF-8"),
                )
            })?;
            templates.insert(name, (text, path.to_path_buf()));
        } else {
            assets.insert(name, bytes);
        }
    }
    Ok(())
}

fn compile(templates: &BTreeMap<String, (String, PathBuf)>) -> BuildResult<Tera> {
    let mut tera = Tera::new();
    tera.autoescape_on([".html", ".xml", ".htm"]);
    // Tera's default leaves `'` as it is; Lore's escapes it too, for single-quoted attributes.
    tera.set_escape_fn(crate::escape::write_escaped_html);
    // Filters are registered before templates: Tera checks every filter a template names.
    tera.register_filter("truncate", truncate);
    tera.register_filter("date", date);
    let list = templates.iter().map(|(name, (text, _))| (name, text));
    if let Err(err) = tera.add_raw_templates(list) {
        return Err(BuildError::new(template_errors(&err, templates)));
    }
    Ok(tera)
}

/// `truncate`: cuts a text to `length` grapheme clusters (default 255) and appends `end`
/// (default "…"). Tera's own counts chars, which can split an accent from its letter or an
/// emoji sequence; collecting every grapheme first was 1.7% of a 10,000-page build's CPU (each
/// card truncates its excerpt), so ASCII text is cut by bytes.
fn truncate(text: &str, kwargs: Kwargs, _: &State) -> TeraResult<String> {
    use unicode_segmentation::UnicodeSegmentation;
    let length = kwargs.get::<usize>("length")?.unwrap_or(255);
    let end = kwargs.get::<&str>("end")?.unwrap_or("…");
    // Each grapheme takes at least a byte; in ASCII each byte is one, but for "\r\n".
    let cut = if text.len() <= length {
        None
    } else if text.is_ascii() && !text.as_bytes()[..=length].contains(&b'\r') {
        Some(length)
    } else {
        text.grapheme_indices(true).nth(length).map(|(at, _)| at)
    };
    Ok(match cut {
        Some(at) => format!("{}{end}", &text[..at]),
        None => text.to_string(),
    })
}

/// `date`: formats a `YYYY-MM-DD` date, or an RFC 3339 date-time, with a strftime `format`
/// (default `%Y-%m-%d`), as Tera 1's filter did (Tera 2 leaves dates to its add-ons).
fn date(text: &str, kwargs: Kwargs, _: &State) -> TeraResult<String> {
    let format = kwargs.get::<&str>("format")?.unwrap_or("%Y-%m-%d");
    let formatted = if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        day.format(format)
    } else if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return checked_format(at.format(format));
    } else {
        return Err(tera::Error::message(format!(
            "filter `date` needs a date like 2024-05-31 or 2024-05-31T09:30:00Z, not `{text}`"
        )));
    };
    checked_format(formatted)
}

/// A chrono format, or an error for a bad `format` (chrono's `to_string` would panic).
fn checked_format(formatted: impl std::fmt::Display) -> TeraResult<String> {
    use std::fmt::Write;
    let mut out = String::new();
    write!(out, "{formatted}").map_err(|_| {
        tera::Error::message("filter `date`: the `format` is not a valid strftime format")
    })?;
    Ok(out)
}

/// Locates a Tera error in its template files: syntax and rendering errors carry the
/// template's name and the span of the fault; checks of the filters, tests and functions a
/// template calls come as one text of reports (`error: Unknown filter …\n --> page.html:3:17`),
/// each made an error at its place here.
fn template_errors(
    err: &tera::Error,
    templates: &BTreeMap<String, (String, PathBuf)>,
) -> Vec<Diagnostic> {
    let path_of = |name: &str| {
        templates
            .get(name)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| PathBuf::from(TEMPLATES_DIR).join(name))
    };
    let help = "fix the Tera syntax here; tags are {% … %}, expressions {{ … }}, components {{<name … />}}";
    let at =
        |location: Location, message: String| Diagnostic::error(location, message).with_help(help);
    match err.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            let span = report.span();
            let location = Location::at(
                path_of(report.filename()),
                span.start_line,
                span.start_col + 1,
            );
            vec![at(
                location,
                format!("template error: {}", report.message()),
            )]
        }
        tera::ErrorKind::MissingParent { current, parent } => {
            let (line, column) = templates
                .get(current)
                .and_then(|(text, _)| crate::error::position_of(text, &format!("\"{parent}\"")))
                .unwrap_or((1, 1));
            vec![
                Diagnostic::error(
                    Location::at(path_of(current), line, column),
                    format!("`{current}` extends `{parent}`, which is no template"),
                )
                .with_help("extend one of the theme's templates by its name under `lore/` (`lore/page.html`), or a template of your own"),
            ]
        }
        _ => {
            let chain = error_chain(err);
            let reports: Vec<Diagnostic> = TERA_REPORT
                .captures_iter(&chain)
                .map(|c| {
                    let number = |i: usize| c[i].parse().unwrap_or(1);
                    at(
                        Location::at(path_of(&c[2]), number(3), number(4)),
                        format!("template error: {}", &c[1]),
                    )
                })
                .collect();
            if !reports.is_empty() {
                return reports;
            }
            let named = templates.keys().find(|name| {
                chain.contains(&format!("'{name}'")) || chain.contains(&format!("`{name}`"))
            });
            let location =
                Location::file(named.map_or_else(|| PathBuf::from(TEMPLATES_DIR), |n| path_of(n)));
            vec![at(
                location,
                format!("template error: {}", chain.replace('\n', " ")),
            )]
        }
    }
}

/// One report in Tera's text: `error: <message>` then ` --> <template>:<line>:<column>`.
static TERA_REPORT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?m)^error: (.+)\n\s*--> (.+):(\d+):(\d+)$").expect("valid regex")
});

pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn fingerprint(
    templates: &BTreeMap<String, (String, PathBuf)>,
    assets: &BTreeMap<String, Vec<u8>>,
) -> String {
    let mut hasher = blake3::Hasher::new();
    for (name, (text, _)) in templates {
        hasher.update(name.as_bytes());
        hasher.update(text.as_bytes());
    }
    for (name, bytes) in assets {
        hasher.update(name.as_bytes());
        hasher.update(bytes);
    }
    hasher.finalize().to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests {
    /// Renders `template` with `text` as `text`, with Lore's filters.
    fn render(template: &str, text: &str) -> Result<String, String> {
        let mut context = tera::Context::new();
        context.insert("text", text);
        let mut tera = tera::Tera::new();
        tera.register_filter("truncate", super::truncate);
        tera.register_filter("date", super::date);
        tera.add_raw_template("t", template)
            .map_err(|e| e.to_string())?;
        tera.render("t", &context).map_err(|e| e.to_string())
    }

    /// What `truncate` must give: the first `length` grapheme clusters, then `end`.
    fn by_graphemes(text: &str, length: usize, end: &str) -> String {
        use unicode_segmentation::UnicodeSegmentation;
        let graphemes: Vec<&str> = text.graphemes(true).collect();
        if graphemes.len() <= length {
            text.to_string()
        } else {
            graphemes[..length].concat() + end
        }
    }

    #[test]
    fn truncate_cuts_whole_graphemes() {
        let long = "word ".repeat(80);
        let cases = [
            "",
            "short",
            long.as_str(),
            "a\r\nb\r\nc\r\nd\r\ne",
            "ab\r\ncd",
            "e\u{301}e\u{301}e\u{301}e\u{301}",
            "👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦",
            "Ærø Straße naïve café",
        ];
        for text in cases {
            for (args, length, end) in [
                ("length=3", 3, "…"),
                ("length=4", 4, "…"),
                ("length=0", 0, "…"),
                ("length=240", 240, "…"),
                ("", 255, "…"),
                ("length=5, end=\"...\"", 5, "..."),
            ] {
                let template = format!("{{{{ text | truncate({args}) | safe }}}}");
                let ours = render(&template, text).unwrap();
                assert_eq!(
                    ours,
                    by_graphemes(text, length, end),
                    "{text:?} | truncate({args})"
                );
            }
        }
        assert_eq!(
            render("{{ text | truncate(length=7) }}", &long).unwrap(),
            "word wo…"
        );
    }

    #[test]
    fn date_formats_days_and_times_and_names_bad_input() {
        let long = "{{ text | date(format=\"%-d %B %Y\") }}";
        assert_eq!(render(long, "2024-05-03").unwrap(), "3 May 2024");
        assert_eq!(
            render(long, "2024-05-03T23:30:00+02:00").unwrap(),
            "3 May 2024"
        );
        assert_eq!(
            render("{{ text | date }}", "2024-05-03").unwrap(),
            "2024-05-03"
        );
        let err = render(long, "last Tuesday").unwrap_err();
        assert!(err.contains("`last Tuesday`"), "{err}");
        let err = render("{{ text | date(format=\"%Q\") }}", "2024-05-03").unwrap_err();
        assert!(err.contains("strftime"), "{err}");
    }
}

//! Site configuration: `lore.yaml` read strictly, then resolved (with command-line overrides and
//! zero-config inference) into a `SiteConfig` that every later stage takes as given.

use crate::adr::locate::{AdrRoot, find_adr_roots};
use crate::error::{BuildError, BuildResult, Diagnostic, Location};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "lore.yaml";

/// The folders a site keeps beside `lore.yaml`, by the names Lore knows them by: content (unless
/// `content_dir` names another), output (unless `output_dir` does), files copied as they are,
/// template overrides, and themes. A theme keeps its own templates in a `TEMPLATES_DIR` too.
pub const CONTENT_DIR: &str = "content";
pub const OUTPUT_DIR: &str = "public";
pub const STATIC_DIR: &str = "static";
pub const TEMPLATES_DIR: &str = "templates";
pub const THEMES_DIR: &str = "themes";

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    description: Option<String>,
    base_url: Option<String>,
    language: Option<String>,
    author: Option<String>,
    theme: Option<String>,
    content_dir: Option<PathBuf>,
    output_dir: Option<PathBuf>,
    adr_dirs: Option<Vec<PathBuf>>,
    paginate: Option<usize>,
    feed_limit: Option<usize>,
    repository: Option<String>,
    edit_url: Option<String>,
    nav: Option<Vec<NavLink>>,
    markdown: MarkdownConfig,
    extra: serde_yaml::Mapping,
}

/// A link in the main navigation, as written in `lore.yaml`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NavLink {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct MarkdownConfig {
    /// Escape raw HTML in Markdown instead of passing it through.
    pub safe: bool,
    pub smart_punctuation: bool,
    /// `:warning:` as ⚠️, as GitHub shows it.
    pub emoji: bool,
    pub highlight: bool,
    pub highlight_theme: String,
    pub highlight_theme_dark: String,
}

impl Default for MarkdownConfig {
    fn default() -> Self {
        MarkdownConfig {
            safe: false,
            smart_punctuation: true,
            emoji: true,
            highlight: true,
            highlight_theme: "InspiredGitHub".into(),
            highlight_theme_dark: "base16-ocean.dark".into(),
        }
    }
}

/// What the command line may override.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub output_dir: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
}

/// The resolved configuration every stage reads.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub root: PathBuf,
    pub content_dir: PathBuf,
    pub output_dir: PathBuf,
    pub adr_roots: Vec<AdrRoot>,
    pub title: String,
    pub description: String,
    /// Ends with `/`: a URL (`https://example.org/kb/`) or, by default, a path (`/`).
    pub base_url: String,
    /// The path part of `base_url`, starts and ends with `/`.
    pub base_path: String,
    pub language: String,
    pub author: Option<String>,
    pub theme: Option<String>,
    pub paginate: usize,
    pub feed_limit: usize,
    pub repository: Option<String>,
    pub edit_url: Option<String>,
    pub nav: Option<Vec<NavLink>>,
    pub markdown: MarkdownConfig,
    pub extra: serde_json::Value,
    pub drafts: bool,
    /// True when there was neither `lore.yaml` nor `content/`: the folder was read as it is.
    pub zero_config: bool,
    /// The raw bytes of `lore.yaml`, part of cache keys.
    pub fingerprint: String,
}

impl SiteConfig {
    /// Reads `ROOT/lore.yaml` if there is one and resolves everything else.
    pub fn load(root: &Path, overrides: &Overrides) -> BuildResult<SiteConfig> {
        let root = absolute(root);
        if !root.is_dir() {
            return Err(BuildError::one(
                Diagnostic::error(Location::file(&root), "this folder does not exist").with_help(
                    "pass the folder of your site, e.g. `lore build .` or `lore build docs/adr`",
                ),
            ));
        }
        let config_path = root.join(CONFIG_FILE);
        let (raw, fingerprint) = if config_path.is_file() {
            let text = std::fs::read_to_string(&config_path).map_err(|e| {
                BuildError::one(crate::error::io_diagnostic(&config_path, "read", &e))
            })?;
            (parse_raw(&config_path, &text)?, text)
        } else {
            (RawConfig::default(), String::new())
        };
        resolve(root, raw, overrides, fingerprint, config_path.is_file())
    }
}

fn parse_raw(path: &Path, text: &str) -> BuildResult<RawConfig> {
    if text.trim().is_empty() {
        return Ok(RawConfig::default());
    }
    serde_yaml::from_str(text).map_err(|err| {
        let message = err.to_string();
        let at = err.location().map_or(1, |loc| loc.line());
        let twice = crate::front_matter::duplicate_key(text, &message, at);
        // The position serde_yaml gives is the mapping's, not the key's.
        let message = if twice.is_some() {
            crate::front_matter::strip_position(&message)
        } else {
            message
        };
        let location = match (&twice, err.location()) {
            (Some(twice), _) => Location::at(path, twice.line, twice.column),
            (None, Some(loc)) => Location::at(path, loc.line(), loc.column()),
            (None, None) => Location::file(path),
        };
        let help = if let Some(twice) = &twice {
            twice.help(1)
        } else if message.contains("unknown field") {
            "remove the key or fix its spelling; the README lists every key lore.yaml accepts"
                .into()
        } else {
            "fix the YAML at this position".into()
        };
        BuildError::one(
            Diagnostic::error(location, format!("invalid {CONFIG_FILE}: {message}"))
                .with_help(help),
        )
    })
}

fn resolve(
    root: PathBuf,
    raw: RawConfig,
    overrides: &Overrides,
    fingerprint: String,
    has_config: bool,
) -> BuildResult<SiteConfig> {
    let unusable = unusable_values(&root, &raw, &fingerprint);
    if !unusable.is_empty() {
        return Err(BuildError::new(unusable));
    }
    let RawConfig {
        title,
        description,
        base_url,
        language,
        author,
        theme,
        content_dir,
        output_dir,
        adr_dirs,
        paginate,
        feed_limit,
        repository,
        edit_url,
        nav,
        markdown,
        extra,
    } = raw;
    let config_path = root.join(CONFIG_FILE);
    let conventional_content = root.join(CONTENT_DIR);
    let zero_config = !has_config && content_dir.is_none() && !conventional_content.is_dir();
    let content_dir = match content_dir {
        Some(dir) => root.join(dir),
        None if zero_config => root.clone(),
        None => conventional_content,
    };
    if !content_dir.is_dir() {
        return Err(BuildError::one(
            Diagnostic::error(Location::file(&config_path), format!("the content folder {} does not exist", content_dir.display()))
                .with_help("create it, or set `content_dir` in lore.yaml to the folder that holds your Markdown"),
        ));
    }
    let output_dir = match overrides.output_dir.clone().or(output_dir) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => std::env::current_dir()
            .map(|cwd| cwd.join(&dir))
            .unwrap_or(dir),
        None => root.join(OUTPUT_DIR),
    };
    let output_dir = absolute(&output_dir);
    // A link (`public -> /var/www/kb`) is built where it points: swapping a new folder in for
    // the link would leave the place it served from behind.
    let output_dir = match output_dir.symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(&output_dir).unwrap_or(output_dir)
        }
        _ => output_dir,
    };
    refuse_output_over(&output_dir, "content", &content_dir)?;
    let adr_roots = match adr_dirs {
        Some(dirs) => dirs
            .into_iter()
            .map(|d| AdrRoot {
                path: root.join(d),
                package: None,
            })
            .collect(),
        None if content_dir.join("adr").is_dir() && !zero_config => {
            vec![AdrRoot {
                path: content_dir.join("adr"),
                package: None,
            }]
        }
        // Outside zero-config mode, only ADR folders beside the content count: the file-name
        // heuristic would take a folder of dated posts for a decision log.
        None if zero_config => find_adr_roots(&root),
        None => find_adr_roots(&root)
            .into_iter()
            .filter(|r| !r.path.starts_with(&content_dir))
            .collect(),
    };
    for folder in [STATIC_DIR, TEMPLATES_DIR, THEMES_DIR] {
        refuse_output_over(&output_dir, folder, &root.join(folder))?;
    }
    for adr_root in &adr_roots {
        refuse_output_over(&output_dir, "decision records'", &adr_root.path)?;
    }
    let base_url = normalise_base_url(overrides.base_url.clone().or(base_url).as_deref());
    let base_path = base_path_of(&base_url);
    let log4brains_name = || {
        zero_config
            .then(|| crate::adr::locate::log4brains_project_name(&root))
            .flatten()
    };
    let title =
        (title.or_else(log4brains_name)).unwrap_or_else(|| default_title(&root, zero_config));
    Ok(SiteConfig {
        content_dir,
        output_dir,
        adr_roots,
        title,
        description: description.unwrap_or_default(),
        base_path,
        base_url,
        language: language.unwrap_or_else(|| "en".into()),
        author,
        theme,
        paginate: paginate.unwrap_or(20),
        feed_limit: feed_limit.unwrap_or(20),
        repository,
        edit_url,
        nav,
        markdown,
        extra: serde_json::to_value(&extra).unwrap_or(serde_json::Value::Null),
        drafts: overrides.drafts,
        zero_config,
        fingerprint,
        root,
    })
}

/// Values of the right type that still cannot be used, each an error at its key: read as
/// something else, they would quietly change the site (no highlighting, the default theme,
/// links to `not a url/posts/`).
fn unusable_values(root: &Path, raw: &RawConfig, text: &str) -> Vec<Diagnostic> {
    let config_path = root.join(CONFIG_FILE);
    let at = |key: &str, message: String, help: String| {
        let (line, column) = key_position(text, key);
        Diagnostic::error(Location::at(&config_path, line, column), message).with_help(help)
    };
    let mut errors = Vec::new();
    if let Some(url) = raw.base_url.as_deref().map(str::trim)
        && !url.is_empty()
        && !is_usable_base_url(url)
    {
        errors.push(at(
            "base_url",
            format!("`base_url: {url}` is neither a web address nor a path"),
            "give the address the site is published at, e.g. `https://example.org/kb/`, or a path such as `/kb/`".into(),
        ));
    }
    for (key, value) in [("paginate", raw.paginate), ("feed_limit", raw.feed_limit)] {
        if value == Some(0) {
            errors.push(at(
                key,
                format!("`{key}: 0` would list nothing"),
                format!("give `{key}` a number of at least 1, or remove it for the default (20)"),
            ));
        }
    }
    if let Some(theme) = raw.theme.as_deref().filter(|t| *t != "default")
        && !root.join(THEMES_DIR).join(theme).is_dir()
    {
        errors.push(at(
            "theme",
            format!("there is no theme `{theme}`: {THEMES_DIR}/{theme} is not a folder"),
            format!(
                "put the theme in {THEMES_DIR}/{theme}/, or remove `theme` to use the built-in one"
            ),
        ));
    }
    let markdown = &raw.markdown;
    for (key, name) in [
        ("highlight_theme", &markdown.highlight_theme),
        ("highlight_theme_dark", &markdown.highlight_theme_dark),
    ] {
        if !crate::highlight::THEMES.contains(&name.as_str()) {
            errors.push(at(
                key,
                format!("there is no highlight theme `{name}`"),
                format!("choose one of: {}", crate::highlight::THEMES.join(", ")),
            ));
        }
    }
    errors
}

/// `https://host/…` (or `http://`), or a path from the server's root (`/kb/`).
fn is_usable_base_url(url: &str) -> bool {
    let has_space = url.chars().any(char::is_whitespace);
    let host = ["https://", "http://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme));
    let good_host = host.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    !has_space && (good_host || url.starts_with('/'))
}

/// Line and column (1-based) of `key:` in the YAML text; the file's start when absent.
fn key_position(text: &str, key: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let rest = line.trim_start();
        let is_key = rest
            .strip_prefix(key)
            .is_some_and(|after| after.trim_start().starts_with(':'));
        if is_key {
            return (i + 1, indent + 1);
        }
    }
    (1, 1)
}

impl SiteConfig {
    /// Whether `base_url` names a host (`https://…`): feeds, the sitemap and robots.txt need
    /// absolute URLs, which a path alone (`/`, the default) cannot give them.
    pub fn has_absolute_base(&self) -> bool {
        self.base_url.contains("://")
    }
}

/// A build replaces its output folder whole, so it must not be, or hold, a folder Lore reads.
fn refuse_output_over(output_dir: &Path, what: &str, source: &Path) -> BuildResult<()> {
    if !absolute(source).starts_with(output_dir) || !source.exists() {
        return Ok(());
    }
    Err(BuildError::one(
        Diagnostic::error(
            Location::file(output_dir),
            format!("the output folder contains the {what} folder; building would overwrite your sources"),
        )
        .with_help("choose another output folder with -o or `output_dir`"),
    ))
}

fn default_title(root: &Path, zero_config: bool) -> String {
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if zero_config && !name.is_empty() {
        let looks_like_adr_folder =
            matches!(name.as_str(), "adr" | "adrs" | "decisions" | "architecture");
        if looks_like_adr_folder {
            "Architecture decisions".into()
        } else {
            format!("{name} knowledge base")
        }
    } else if name.is_empty() {
        "Knowledge base".into()
    } else {
        name
    }
}

/// Ensures an absolute URL ending in `/`; without one, pages link by site-absolute paths.
fn normalise_base_url(url: Option<&str>) -> String {
    let url = url.map(str::trim).filter(|u| !u.is_empty()).unwrap_or("/");
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

fn base_path_of(base_url: &str) -> String {
    let after_scheme = base_url.split_once("://").map(|(_, rest)| rest);
    match after_scheme {
        Some(rest) => match rest.find('/') {
            Some(i) => rest[i..].to_string(),
            None => "/".to_string(),
        },
        None if base_url.starts_with('/') => base_url.to_string(),
        None => format!("/{base_url}"),
    }
}

/// Makes a path absolute and lexically clean without touching the file system's symlinks.
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    normalise_path(&joined)
}

/// Resolves `.` and `..` lexically.
pub fn normalise_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_from_sub_path_url() {
        assert_eq!(base_path_of("https://example.org/kb/"), "/kb/");
        assert_eq!(base_path_of("https://example.org/"), "/");
        assert_eq!(
            normalise_base_url(Some("https://example.org/kb")),
            "https://example.org/kb/"
        );
        assert_eq!(normalise_base_url(None), "/");
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let err = parse_raw(Path::new("site/lore.yaml"), "title: x\ntitel: y\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("site/lore.yaml:2:"), "{text}");
        assert!(text.contains("titel"), "{text}");
    }
}

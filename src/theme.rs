//! The theme: the default one embedded in the binary, with a site's own templates and assets
//! laid over it file by file, so a site overrides one template or block without copying the rest.

use crate::config::SiteConfig;
use crate::error::{BuildError, BuildResult, Diagnostic, Location};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tera::Tera;

#[derive(rust_embed::RustEmbed)]
#[folder = "themes/default/"]
struct DefaultTheme;

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
                // Also under `lore/`, so an override can `{% extends "lore/page.html" %}` the original.
                templates.insert(format!("lore/{template}"), (text.clone(), source.clone()));
                templates.insert(template.to_string(), (text, source));
            } else if let Some(asset) = name.strip_prefix("assets/") {
                assets.insert(asset.to_string(), file.data.into_owned());
            }
        }
        for dir in override_dirs(config) {
            read_overrides(&dir.join("templates"), &mut templates, &mut assets, true)?;
            read_overrides(&dir.join("assets"), &mut templates, &mut assets, false)?;
        }
        read_overrides(
            &config.root.join("templates"),
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
            let file = self.sources.get(template).cloned().unwrap_or_else(|| PathBuf::from(template));
            let mut message = format!("cannot render template `{template}`: {}", error_chain(&err));
            if let Some(page) = page {
                message.push_str(&format!(" (while rendering {})", page.display()));
            }
            BuildError::one(Diagnostic::error(Location::file(file), message).with_help("fix the template; the README's \"Template variables\" lists what each template receives"))
        })?;
        // Tera writes only strings.
        Ok(String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}

fn override_dirs(config: &SiteConfig) -> Vec<PathBuf> {
    match &config.theme {
        Some(name) if name != "default" => vec![config.root.join("themes").join(name)],
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
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".xml", ".htm"]);
    // Tera's default also escapes `/`, which bloats every URL; these five suffice in text and quoted attributes.
    tera.set_escape_fn(crate::markdown::escape_html);
    tera.register_filter("truncate", truncate);
    let list: Vec<(&str, &str)> = templates
        .iter()
        .map(|(name, (text, _))| (name.as_str(), text.as_str()))
        .collect();
    if let Err(err) = tera.add_raw_templates(list) {
        return Err(BuildError::one(template_error(&err, templates)));
    }
    Ok(tera)
}

/// Tera's `truncate` filter, same rules (`length` in grapheme clusters, default 255; `end`
/// appended, default "…"), without first collecting every grapheme of the text: profiling
/// the 10,000-page build showed that collection at 1.7% of its CPU (each card truncates its
/// excerpt).
fn truncate(
    value: &tera::Value,
    args: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    use unicode_segmentation::UnicodeSegmentation;
    let wrong = |what: &str, got: &tera::Value, expected: &str| {
        tera::Error::msg(format!(
            "Filter `truncate` received an incorrect type for arg `{what}`: got `{got}` but expected {expected}"
        ))
    };
    let text = value.as_str().ok_or_else(|| {
        tera::Error::msg(format!(
            "Filter `truncate` was called on an incorrect value: got `{value}` but expected a String"
        ))
    })?;
    let length = match args.get("length") {
        Some(l) => l.as_u64().ok_or_else(|| wrong("length", l, "a usize"))? as usize,
        None => 255,
    };
    let end = match args.get("end") {
        Some(e) => e.as_str().ok_or_else(|| wrong("end", e, "a String"))?,
        None => "…",
    };
    // Each grapheme takes at least a byte; in ASCII each byte is one, but for "\r\n".
    let cut = if text.len() <= length {
        None
    } else if text.is_ascii() && !text.as_bytes()[..=length].contains(&b'\r') {
        Some(length)
    } else {
        text.grapheme_indices(true).nth(length).map(|(at, _)| at)
    };
    Ok(match cut {
        Some(at) => tera::Value::String(format!("{}{end}", &text[..at])),
        None => value.clone(),
    })
}

/// Locates a Tera parse error in its template file (Tera reports ` --> line:col`).
fn template_error(
    err: &tera::Error,
    templates: &BTreeMap<String, (String, PathBuf)>,
) -> Diagnostic {
    let chain = error_chain(err);
    let named = templates.iter().find(|(name, _)| {
        chain.contains(&format!("'{name}'")) || chain.contains(&format!("`{name}`"))
    });
    let path = named
        .map(|(_, (_, p))| p.clone())
        .unwrap_or_else(|| PathBuf::from("templates"));
    let position = regex::Regex::new(r"--> (\d+):(\d+)").ok().and_then(|re| {
        let caps = re.captures(&chain)?;
        Some((caps[1].parse().ok()?, caps[2].parse().ok()?))
    });
    let location = match position {
        Some((line, col)) => Location::at(path, line, col),
        None => Location::file(path),
    };
    Diagnostic::error(
        location,
        format!("template error: {}", chain.replace('\n', " ")),
    )
    .with_help("fix the Tera syntax here; tags are {% … %}, expressions {{ … }}")
}

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
    /// Renders `{{ text | truncate(...) }}` with Tera's own filter and with Lore's.
    fn both(text: &str, args: &str) -> (String, String) {
        let template = format!("{{{{ text | truncate({args}) }}}}");
        let mut context = tera::Context::new();
        context.insert("text", text);
        let mut builtin = tera::Tera::default();
        builtin.add_raw_template("t", &template).unwrap();
        let mut ours = tera::Tera::default();
        ours.register_filter("truncate", super::truncate);
        ours.add_raw_template("t", &template).unwrap();
        (
            builtin.render("t", &context).unwrap(),
            ours.render("t", &context).unwrap(),
        )
    }

    #[test]
    fn truncate_matches_teras_own() {
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
            for args in [
                "length=3",
                "length=4",
                "length=0",
                "length=240",
                "",
                "length=5, end=\"...\"",
            ] {
                let (builtin, ours) = both(text, args);
                assert_eq!(ours, builtin, "{text:?} | truncate({args})");
            }
        }
        let (builtin, ours) = both(&long, "length=7");
        assert_eq!(ours, "word wo…");
        assert_eq!(ours, builtin);
    }
}

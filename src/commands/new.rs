//! `lore new post|adr "Title"`: a new file from a template, never overwriting; with
//! `--supersedes N` the old decision is marked superseded in its own dialect.

use super::Ui;
use crate::cli::{AdrFormat, NewArgs, NewKind};
use crate::config::{Overrides, SiteConfig};
use crate::site::slugify;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(args: &NewArgs, _ui: Ui) -> anyhow::Result<ExitCode> {
    let config =
        SiteConfig::load(&args.root, &Overrides::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let today = chrono::Local::now().date_naive().to_string();
    let path = match args.kind {
        NewKind::Post => new_post(&config, &args.title, &today)?,
        NewKind::Adr => new_adr(&config, args, &today)?,
    };
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Most characters of a title's slug kept in a file name: file systems stop at 255 bytes, and
/// the URL reads better short.
const MAX_FILE_SLUG: usize = 80;

/// The file-name part made from `title`: its slug, cut at a hyphen within [`MAX_FILE_SLUG`]. A
/// title with no letter or digit would name the file `page`, whatever it said.
fn file_slug(title: &str) -> anyhow::Result<String> {
    if !title.chars().any(char::is_alphanumeric) {
        bail!(
            "the title {title:?} has no letter or digit to name the file after; write the title in words, e.g. `lore new post \"Caching without tears\"`"
        );
    }
    let slug = slugify(title);
    if slug.len() <= MAX_FILE_SLUG {
        return Ok(slug);
    }
    // The slug is ASCII: any byte is a character boundary.
    let cut = &slug[..MAX_FILE_SLUG];
    Ok(cut
        .rsplit_once('-')
        .map_or(cut, |(head, _)| head)
        .to_string())
}

fn new_post(config: &SiteConfig, title: &str, today: &str) -> anyhow::Result<PathBuf> {
    if config.zero_config {
        bail!(
            "{} has no lore.yaml, so it is read as a decision log, which holds no posts; run `lore init` to make a site with posts, or write a decision with `lore new adr \"{title}\"`",
            config.root.display()
        );
    }
    let path = (config.content_dir.join("posts")).join(format!("{today}-{}.md", file_slug(title)?));
    let text = fill(
        &template(config, "post.md", DEFAULT_POST),
        title,
        today,
        "",
        "",
    );
    write_new(&path, &text)?;
    Ok(path)
}

fn new_adr(config: &SiteConfig, args: &NewArgs, today: &str) -> anyhow::Result<PathBuf> {
    let root = config
        .adr_roots
        .first()
        .map(|r| r.path.clone())
        .unwrap_or_else(|| config.content_dir.join("adr"));
    let log = DecisionLog::read(&root);
    let name = log.file_name_for(file_slug(&args.title)?, today);
    let path = log.folder.join(&name);
    let old = match &args.supersedes {
        Some(id) => Some(log.find(id).with_context(|| {
            format!(
                "there is no decision {id:?} in {}; give its number or its file name (`lore list --kind adr` lists them)",
                root.display()
            )
        })?),
        None => None,
    };
    let format = args.format.unwrap_or_else(|| log.dialect());
    let dash_bullets = format == AdrFormat::Madr && log.bullets_are_dashes();
    let relation = old.as_ref().map(|old| Relation {
        id: old.id(),
        link: relative_link(&log.folder, &old.path),
        title: title_of(&old.path),
    });
    let text = adr_text(
        config,
        format,
        &args.title,
        today,
        &log.next_number_text(),
        relation.as_ref(),
    );
    // Log4brains writes `- Status:` where MADR 2 writes `* Status:`.
    let text = if dash_bullets {
        let lines = text.split_inclusive('\n');
        lines
            .map(|l| {
                l.strip_prefix("* ")
                    .map_or(l.to_string(), |rest| format!("- {rest}"))
            })
            .collect()
    } else {
        text
    };
    write_new(&path, &text)?;
    if let Some(old) = &old {
        let new_link = relative_link(old.path.parent().unwrap_or(&root), &path);
        let title = match log.next {
            Some(n) => format!("{n}. {}", args.title),
            None => args.title.clone(),
        };
        mark_superseded(&old.path, &new_link, &title)?;
    }
    Ok(path)
}

/// A decision already in the log.
#[derive(Debug, Clone)]
struct Record {
    path: PathBuf,
    number: Option<u32>,
}

impl Record {
    /// How a front matter `supersedes:` names it: its number, else its file's stem.
    fn id(&self) -> String {
        match self.number {
            Some(n) => n.to_string(),
            None => stem(&self.path),
        }
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What the records of a decision log say about how the next one is named and written: the
/// folder and file name of the latest (adr-tools' `0042-x.md`, cometbft's `adr-119-x.md`,
/// PowerShell's `RFC0065-x.md` in the folder of its stage, Log4brains' `20240105-x.md`).
#[derive(Debug)]
struct DecisionLog {
    records: Vec<Record>,
    latest: Option<Record>,
    folder: PathBuf,
    /// The next number, or `None` for a log named by dates.
    next: Option<u32>,
}

impl DecisionLog {
    fn read(root: &Path) -> DecisionLog {
        let records: Vec<Record> = walkdir::WalkDir::new(root)
            .max_depth(crate::adr::locate::SCAN_DEPTH)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy();
                let is_record = crate::adr::locate::is_adr_candidate(&name)
                    && crate::adr::locate::looks_like_adr_file_name(&name);
                is_record.then(|| Record {
                    number: crate::adr::locate::number_from_file_name(&name),
                    path: e.path().to_path_buf(),
                })
            })
            .collect();
        let numbered = records.iter().filter(|r| r.number.is_some());
        let latest = match numbered.clone().max_by_key(|r| r.number) {
            Some(r) => Some(r.clone()),
            // Named by dates: the name sorts by date.
            None => records.iter().max_by_key(|r| stem(&r.path)).cloned(),
        };
        let next = match &latest {
            Some(r) => r.number.map(|n| n + 1),
            None => Some(1),
        };
        let folder = (latest.as_ref())
            .and_then(|r| r.path.parent())
            .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
        DecisionLog {
            records,
            latest,
            folder,
            next,
        }
    }

    /// The new record's file name, as the latest record's is made.
    fn file_name_for(&self, slug: String, today: &str) -> String {
        let latest = self
            .latest
            .as_ref()
            .map(|r| stem(&r.path))
            .unwrap_or_default();
        let Some(next) = self.next else {
            // Thanos names its proposals by month (`202203-x.md`), Log4brains by day.
            let digits = latest.bytes().take_while(u8::is_ascii_digit).count();
            let date = today.replace('-', "");
            return format!("{}-{slug}.md", &date[..if digits == 6 { 6 } else { 8 }]);
        };
        let digits_at = latest.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let prefix = &latest[..digits_at];
        let width = latest[digits_at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count()
            .max(if latest.is_empty() { 4 } else { 1 });
        format!("{prefix}{next:0width$}-{slug}.md")
    }

    fn next_number_text(&self) -> String {
        self.next
            .unwrap_or(self.records.len() as u32 + 1)
            .to_string()
    }

    /// A decision by number (`3`, `ADR-3`, `RFC0003`) or by file name, with or without its
    /// extension (`20200102-use-markdown`).
    fn find(&self, id: &str) -> Option<Record> {
        let number =
            crate::adr::locate::number_from_file_name(id).or_else(|| id.trim().parse().ok());
        let by_number = number.and_then(|n| self.records.iter().find(|r| r.number == Some(n)));
        let id = id.trim().trim_end_matches(".md");
        let by_name = || (self.records.iter()).find(|r| stem(&r.path).eq_ignore_ascii_case(id));
        by_number.or_else(by_name).cloned()
    }

    /// Whether the latest record's `Status:` bullet is `- ` rather than `* `.
    fn bullets_are_dashes(&self) -> bool {
        let text = (self.latest.as_ref())
            .and_then(|r| std::fs::read_to_string(&r.path).ok())
            .unwrap_or_default();
        text.lines().any(|l| {
            let lower = l.trim_start().to_ascii_lowercase();
            lower.starts_with("- status:") || lower.starts_with("- **status")
        })
    }

    /// The dialect most records are written in, for a new one without `--format` (Lore's
    /// when as many are in another).
    fn dialect(&self) -> AdrFormat {
        let mut counts = [0usize; 3];
        for record in &self.records {
            let text = std::fs::read_to_string(&record.path).unwrap_or_default();
            counts[dialect_of(&text) as usize] += 1;
        }
        let most = counts.iter().max().copied().unwrap_or(0);
        [AdrFormat::Lore, AdrFormat::Madr, AdrFormat::Nygard]
            .into_iter()
            .find(|&format| counts[format as usize] == most)
            .unwrap_or(AdrFormat::Lore)
    }
}

/// Front matter is Lore's (and MADR 3/4's); a `## Status` section adr-tools'; `* Status:`
/// bullets MADR 2's and Log4brains'.
fn dialect_of(text: &str) -> AdrFormat {
    let text = text.trim_start_matches('\u{feff}');
    if text.starts_with("---") {
        return AdrFormat::Lore;
    }
    for line in text.lines().map(str::trim) {
        let lower = line.to_ascii_lowercase();
        if is_status_heading(&lower) {
            return AdrFormat::Nygard;
        }
        if is_status_bullet(&lower) {
            return AdrFormat::Madr;
        }
    }
    AdrFormat::Lore
}

/// `## Status` (adr-tools), of a line trimmed and lower-cased.
fn is_status_heading(lower: &str) -> bool {
    lower.starts_with('#') && lower.trim_start_matches('#').trim() == "status"
}

/// `* Status: …` or `- Status: …` (MADR 2, Log4brains), of a line trimmed and lower-cased.
fn is_status_bullet(lower: &str) -> bool {
    lower.starts_with(['*', '-'])
        && lower
            .trim_start_matches(['*', '-', ' '])
            .starts_with("status:")
}

/// The Markdown link from a file in `from_folder` to `to`.
fn relative_link(from_folder: &Path, to: &Path) -> String {
    let from: Vec<_> = from_folder.components().collect();
    let target: Vec<_> = to.components().collect();
    let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n("..".to_string(), from.len() - common);
    let downs = target[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    ups.chain(downs).collect::<Vec<_>>().join("/")
}

/// The decision a new one supersedes, as the new one's text names it.
struct Relation {
    id: String,
    link: String,
    title: String,
}

fn title_of(path: &Path) -> String {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| {
            crate::document::parse(
                crate::discover::SourceFile {
                    path: path.to_path_buf(),
                    rel: String::new(),
                    role: crate::discover::Role::Adr { root: 0 },
                },
                &bytes,
            )
            .ok()
        })
        .map(|d| d.title)
        .unwrap_or_else(|| crate::document::title_from_file_name(path))
}

fn adr_text(
    config: &SiteConfig,
    format: AdrFormat,
    title: &str,
    today: &str,
    number: &str,
    supersedes: Option<&Relation>,
) -> String {
    let (name, default) = match format {
        AdrFormat::Lore => ("adr.md", DEFAULT_ADR_LORE),
        AdrFormat::Madr => ("adr-madr.md", DEFAULT_ADR_MADR),
        AdrFormat::Nygard => ("adr-nygard.md", DEFAULT_ADR_NYGARD),
    };
    let relation = match (format, supersedes) {
        (AdrFormat::Lore, Some(old)) => match old.id.parse::<u32>() {
            Ok(n) => format!("supersedes: [{n}]\n"),
            Err(_) => format!("supersedes: [{}]\n", yaml_scalar(&old.id)),
        },
        (AdrFormat::Madr, Some(old)) => {
            format!("\n## Links\n\n* Supersedes [{}]({})\n", old.title, old.link)
        }
        (AdrFormat::Nygard, Some(old)) => {
            format!("\nSupersedes [{}. {}]({})\n", old.id, old.title, old.link)
        }
        (_, None) => String::new(),
    };
    fill(
        &template(config, name, default),
        title,
        today,
        number,
        &relation,
    )
}

fn yaml_scalar(text: &str) -> String {
    serde_yaml::to_string(text)
        .map(|t| t.trim_end().to_string())
        .unwrap_or_else(|_| format!("{text:?}"))
}

/// A site's own `templates/new/<name>` wins over the built-in one.
fn template(config: &SiteConfig, name: &str, default: &str) -> String {
    std::fs::read_to_string(config.root.join("templates/new").join(name))
        .unwrap_or_else(|_| default.to_string())
}

fn fill(template: &str, title: &str, date: &str, number: &str, relation: &str) -> String {
    let yaml_title = yaml_scalar(title);
    template
        .replace("{{title_yaml}}", &yaml_title)
        .replace("{{title}}", title)
        .replace("{{date}}", date)
        .replace("{{number}}", number)
        .replace("{{relation}}", relation)
}

/// Marks an old decision superseded, in the dialect it is written in, touching nothing else.
pub fn mark_superseded(path: &Path, new_file: &str, new_title: &str) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let link = format!("[{new_title}]({new_file})");
    let Some(updated) = supersede_text(&text, &link) else {
        bail!(
            "{}: found no status to update; add `status: superseded` to it by hand",
            path.display()
        );
    };
    write_atomic(path, &updated)
}

/// The text with its status changed to superseded, or `None` when it has no status to change.
pub fn supersede_text(text: &str, link: &str) -> Option<String> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let in_front_matter = front_matter_end(&lines);
    for (i, line) in lines.iter().enumerate() {
        let content = line.trim_end_matches(['\r', '\n']);
        let lower = content.trim_start().to_ascii_lowercase();
        if i < in_front_matter && lower.starts_with("status:") {
            // The key as written: PowerShell's is `Status:`.
            let key = &content.trim_start()[..content.trim_start().find(':').unwrap_or(0)];
            let indent = &content[..content.len() - content.trim_start().len()];
            return Some(replace_line(
                &lines,
                i,
                &format!("{indent}{key}: superseded{newline}"),
            ));
        }
        let bullet = lower.trim_start_matches(['*', '-', ' ']);
        if i >= in_front_matter && is_status_bullet(&lower) {
            let prefix = &content
                [..content.to_ascii_lowercase().find("status:").unwrap_or(0) + "status:".len()];
            // Superseded by another already: that link stays, the new one is added.
            let already = is_superseded_by(bullet.trim_start_matches("status:"));
            let status = if already {
                format!("{}, {link}", content.trim_end())
            } else {
                format!("{prefix} superseded by {link}")
            };
            return Some(replace_line(&lines, i, &format!("{status}{newline}")));
        }
        if i >= in_front_matter && is_status_heading(&lower) {
            let start = (i + 1..lines.len()).find(|&j| !lines[j].trim().is_empty())?;
            let end = (start..lines.len())
                .find(|&j| lines[j].trim().is_empty() || lines[j].starts_with('#'))
                .unwrap_or(lines.len());
            let already = is_superseded_by(&lines[start].to_ascii_lowercase());
            let mut out: String = lines[..if already { end } else { start }].concat();
            out.push_str(&format!("Superseded by {link}{newline}"));
            out.push_str(&lines[end..].concat());
            return Some(out);
        }
    }
    if in_front_matter > 0 {
        return Some(replace_line(
            &lines,
            in_front_matter,
            &format!("status: superseded{newline}{}", lines[in_front_matter]),
        ));
    }
    None
}

/// A status that already names the decision superseding this one (adr-tools' `Superceded by`).
fn is_superseded_by(status: &str) -> bool {
    let status = status
        .trim()
        .trim_start_matches(['*', '_'])
        .to_ascii_lowercase();
    status.starts_with("superseded by") || status.starts_with("superceded by")
}

fn front_matter_end(lines: &[&str]) -> usize {
    if lines
        .first()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        != Some("---")
    {
        return 0;
    }
    (1..lines.len())
        .find(|&i| lines[i].trim() == "---")
        .unwrap_or(0)
}

fn replace_line(lines: &[&str], i: usize, with: &str) -> String {
    let mut out: String = lines[..i].concat();
    out.push_str(with);
    out.push_str(&lines[i + 1..].concat());
    out
}

/// Creates `path` with `text`, refusing to overwrite.
pub fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; choose another title or remove the file",
            path.display()
        );
    }
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let temp = temp_file_in(parent)?;
    std::fs::write(temp.path(), text)?;
    temp.persist_noclobber(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// A temporary file to rename into place, made as `open` makes a new file (0666 less the
/// umask, so `-rw-r--r--` as a rule): tempfile's own 0600 stayed on the renamed file, and a
/// post made by `lore new` was unreadable to the web server or a teammate.
fn temp_file_in(parent: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(parent)
}

/// Replaces a file's content so that a crash leaves the old or the new file, never a torn one.
pub fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let temp = temp_file_in(parent)?;
    std::fs::write(temp.path(), text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(temp.path(), meta.permissions());
    }
    temp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

const DEFAULT_POST: &str = "---\ntitle: {{title_yaml}}\ndate: {{date}}\ntags: []\nexcerpt: \"\"\n---\n\nWrite the first paragraph here: it becomes the excerpt when `excerpt` is empty.\n";

const DEFAULT_ADR_LORE: &str = "---\ntitle: {{title_yaml}}\ndate: {{date}}\nstatus: proposed\ndeciders: []\ntags: []\n{{relation}}---\n\n## Context and Problem Statement\n\nWhat is the issue that motivates this decision?\n\n## Considered Options\n\n* Option 1\n* Option 2\n\n## Decision Outcome\n\nChosen option: \"Option 1\", because …\n\n### Consequences\n\n* Good, because …\n* Bad, because …\n";

const DEFAULT_ADR_MADR: &str = "# {{title}}\n\n* Status: proposed\n* Date: {{date}}\n* Deciders: \n\n## Context and Problem Statement\n\nWhat is the issue that motivates this decision?\n\n## Considered Options\n\n* Option 1\n* Option 2\n\n## Decision Outcome\n\nChosen option: \"Option 1\", because …\n{{relation}}";

const DEFAULT_ADR_NYGARD: &str = "# {{number}}. {{title}}\n\nDate: {{date}}\n\n## Status\n\nProposed\n{{relation}}\n## Context\n\nWhat is the issue that motivates this decision?\n\n## Decision\n\nWhat we will do.\n\n## Consequences\n\nWhat becomes easier or harder.\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supersedes_in_each_dialect() {
        let front = supersede_text(
            "---\ntitle: A\nstatus: accepted\n---\nBody status: x\n",
            "[2. B](0002-b.md)",
        )
        .unwrap();
        assert_eq!(
            front,
            "---\ntitle: A\nstatus: superseded\n---\nBody status: x\n"
        );
        let nygard = supersede_text(
            "# 1. A\n\n## Status\n\nAccepted\n\n## Context\n\nX\n",
            "[2. B](0002-b.md)",
        )
        .unwrap();
        assert_eq!(
            nygard,
            "# 1. A\n\n## Status\n\nSuperseded by [2. B](0002-b.md)\n\n## Context\n\nX\n"
        );
        let madr = supersede_text(
            "# A\n\n* Status: accepted\n* Date: 2020-01-01\n",
            "[B](0002-b.md)",
        )
        .unwrap();
        assert_eq!(
            madr,
            "# A\n\n* Status: superseded by [B](0002-b.md)\n* Date: 2020-01-01\n"
        );
        let crlf = supersede_text("---\r\nstatus: accepted\r\n---\r\n", "x").unwrap();
        assert_eq!(crlf, "---\r\nstatus: superseded\r\n---\r\n");
        assert_eq!(
            supersede_text("---\ntitle: A\n---\n", "x").unwrap(),
            "---\ntitle: A\nstatus: superseded\n---\n"
        );
        assert!(supersede_text("# Just a title\n\nText.\n", "x").is_none());
        // PowerShell writes `Status:`; the key keeps its case.
        assert_eq!(
            supersede_text("---\r\nRFC: '0045'\r\nStatus: Final\r\n---\r\n", "x").unwrap(),
            "---\r\nRFC: '0045'\r\nStatus: superseded\r\n---\r\n"
        );
        // Superseded by another already: both links stay.
        assert_eq!(
            supersede_text(
                "# 1. A\n\n## Status\n\nSuperceded by [3. C](0003-c.md)\n\n## Context\n",
                "[4. D](0004-d.md)"
            )
            .unwrap(),
            "# 1. A\n\n## Status\n\nSuperceded by [3. C](0003-c.md)\nSuperseded by [4. D](0004-d.md)\n\n## Context\n"
        );
        assert_eq!(
            supersede_text(
                "# A\n\n* Status: superseded by [C](0003-c.md)\n",
                "[D](0004-d.md)"
            )
            .unwrap(),
            "# A\n\n* Status: superseded by [C](0003-c.md), [D](0004-d.md)\n"
        );
    }
}

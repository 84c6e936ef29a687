//! `lore init [DIR]`: a new site with `lore.yaml`, a first post and a first decision record.

use super::Ui;
use super::new::write_new;
use crate::cli::InitArgs;
use anyhow::bail;
use std::process::ExitCode;

pub fn run(args: &InitArgs, _ui: Ui) -> anyhow::Result<ExitCode> {
    let dir = &args.dir;
    let occupied = std::fs::read_dir(dir)
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false);
    if occupied && !args.force {
        bail!(
            "{} is not empty; run `lore init` in an empty folder, or pass --force to add the starter files (existing files are never overwritten)",
            dir.display()
        );
    }
    let today = chrono::Local::now().date_naive().to_string();
    let name = crate::config::absolute(dir)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Knowledge base".into());
    let files = [
        ("lore.yaml".to_string(), format!("title: {}\ndescription: Our engineering posts and architecture decisions.\n# The address the site is published at (https://docs.example.org/): feeds and the sitemap need it.\nbase_url: /\nlanguage: en\n", serde_yaml::to_string(&name)?.trim_end())),
        ("content/_index.md".to_string(), "---\ntitle: Welcome\n---\nOur engineering knowledge base: posts, and the decisions that shaped our systems.\n".to_string()),
        (format!("content/posts/{today}-hello-lore.md"), format!("---\ntitle: Hello, Lore\ndate: {today}\ntags: [meta]\n---\nThis site is built with Lore. Write posts in `content/posts/`, decisions in `content/adr/`.\n\nSee the first decision: [ADR 1](../adr/0001-record-architecture-decisions.md).\n")),
        ("content/adr/0001-record-architecture-decisions.md".to_string(), format!("---\ntitle: Record architecture decisions\ndate: {today}\nstatus: accepted\ndeciders: []\ntags: [process]\n---\n\n## Context and Problem Statement\n\nWe need to record the architectural decisions made on this project, so that people joining later can find out what was decided, why, and what it replaced.\n\n## Decision Outcome\n\nWe use Architecture Decision Records, as described by Michael Nygard, in `content/adr/`. A new one is started with `lore new adr \"Title\"`; one that replaces another with `lore new adr \"Title\" --supersedes N`.\n\n### Consequences\n\n* Good, because decisions and their context are searchable and linked.\n* Bad, because writing them takes a little time.\n")),
    ];
    let mut written = 0;
    for (rel, text) in files {
        let path = dir.join(&rel);
        if path.exists() {
            continue;
        }
        write_new(&path, &text)?;
        println!("{}", path.display());
        written += 1;
    }
    eprintln!(
        "Created {written} file(s). Next: `lore build {}`",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

//! The command line, declared with clap.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "lore",
    version,
    about = "A static site generator for engineering knowledge bases: posts and architecture decision records."
)]
pub struct Cli {
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more about what is done.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into a folder (default `public/`).
    Build(BuildArgs),
    /// List pages and decision records, as a table or as JSON.
    List(ListArgs),
    /// Create a new post or decision record from a template.
    New(NewArgs),
    /// Create a new site.
    Init(InitArgs),
    /// Check links, the decision graph and front matter without writing anything; fails on errors.
    Check(CheckArgs),
    /// Build the site in memory, serve it on 127.0.0.1 and reload the browser on every change.
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewKind {
    Post,
    Adr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AdrFormat {
    /// YAML front matter with status, deciders, supersedes.
    #[default]
    Lore,
    /// MADR 2 bullets under the title.
    Madr,
    /// Nygard / adr-tools: a `## Status` section.
    Nygard,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What to create.
    #[arg(value_enum)]
    pub kind: NewKind,
    /// Its title.
    pub title: String,
    /// The site's folder.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// For decisions: the number or file name of the decision this one supersedes (marked
    /// superseded in its own dialect).
    #[arg(long)]
    pub supersedes: Option<String>,
    /// For decisions: the dialect to write; by default the latest decision's.
    #[arg(long, value_enum)]
    pub format: Option<AdrFormat>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to create the site in.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Add the starter files to a folder that is not empty (never overwriting a file).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The site's folder (with lore.yaml or content/), or any folder of Markdown or ADRs.
    #[arg(default_value = ".")]
    pub root: PathBuf,
    /// Port to listen on; if it is taken, the next free one is used.
    #[arg(short, long, default_value_t = 1111)]
    pub port: u16,
    /// Address to listen on. Other machines can reach the server only if this is not a loopback address.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Include pages marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// Open the site in the default browser once it is served.
    #[arg(long)]
    pub open: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The site's folder (with lore.yaml or content/), or any folder of Markdown or ADRs.
    #[arg(default_value = ".")]
    pub root: PathBuf,
    /// Output folder (default: ROOT/public, or `output_dir` in lore.yaml).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Include pages marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
    /// Absolute URL the site is served from, e.g. https://example.org/kb/.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Build even when nothing changed since the last build of this output folder; replace an
    /// output folder that has files Lore did not make.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CheckFormat {
    /// One line per problem, `path:line:col: severity: message`, then a count.
    #[default]
    Text,
    /// `{"problems": [...], "errors": N, "warnings": N}`.
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The site's folder (with lore.yaml or content/), or any folder of Markdown or ADRs.
    #[arg(default_value = ".")]
    pub root: PathBuf,
    /// How to print the problems.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Also request every http(s) link (HEAD, then GET), 8 at a time, 10 s each.
    #[arg(long)]
    pub external: bool,
    /// Fail on warnings too.
    #[arg(long, alias = "deny-warnings")]
    pub strict: bool,
    /// Include pages marked `draft: true`.
    #[arg(long)]
    pub drafts: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Adr,
    Post,
    Doc,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The site's folder, an ADR folder, or a repository that has one.
    #[arg(default_value = ".")]
    pub root: PathBuf,
    /// Only pages of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Only decisions with this status (e.g. accepted, superseded, unknown).
    #[arg(long)]
    pub status: Option<String>,
    /// Only pages with this tag (case-insensitive).
    #[arg(long)]
    pub tag: Option<String>,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Include drafts.
    #[arg(long)]
    pub drafts: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}

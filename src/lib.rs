//! Lore: a static site generator for engineering knowledge bases.
//!
//! Data flows one way: files (`discover`) → documents (`document`, `front_matter`, `adr`) →
//! site (`site`, `markdown`) → rendered output (`render`, `theme`) → disk or memory (`output`).

pub mod adr;
pub mod cache;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod discover;
pub mod document;
pub mod error;
pub mod escape;
pub mod front_matter;
pub mod highlight;
pub mod markdown;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod search;
pub mod serve;
pub mod site;
pub mod theme;

pub use config::{Overrides, SiteConfig};
pub use error::{BuildError, Diagnostic};
pub use pipeline::{
    Built, DocumentCache, build_site, build_site_cached, load_site, load_site_cached,
};

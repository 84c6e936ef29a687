//! The dialect-independent model of one decision record.

use serde::Serialize;

/// Everything Lore knows about one ADR, whatever dialect it was written in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdrRecord {
    /// Number taken from the file name only (`0003-x.md`, `adr-017-x.md`,
    /// `RFC0038-x.md`); date prefixes (`20201028-x.md`) are not numbers.
    pub number: Option<u32>,
    /// Number written in the H1 (`# 12. Title`, `# ADR 020: Title`).
    pub heading_number: Option<u32>,
    /// H1 without numbering prefix, else the front matter title.
    pub title: Option<String>,
    /// Normalised status (see [`super::status::normalise_status`]); `None` = unknown.
    pub status: Option<String>,
    /// Status as written (first paragraph, trimmed).
    pub status_text: Option<String>,
    /// Date as written.
    pub date: Option<String>,
    pub deciders: Vec<String>,
    pub consulted: Vec<String>,
    pub informed: Vec<String>,
    pub tags: Vec<String>,
    pub relations: Vec<Relation>,
    /// Template file or a record made of placeholders.
    pub is_template: bool,
    /// The title is the H2 opening a record without an H1, which leaves the body as an H1 would.
    #[serde(skip)]
    pub title_from_h2: bool,
    /// The record opens with an H1 naming a section (`# Motivation`), which stays in the body.
    #[serde(skip)]
    pub leading_h1_is_section: bool,
}

/// A typed link from this record to another one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relation {
    pub kind: RelationKind,
    pub target: RelationTarget,
    /// Label as written, e.g. `Superseded by` or `see-also`.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RelationKind {
    Supersedes,
    SupersededBy,
    Amends,
    AmendedBy,
    RelatesTo,
}

impl RelationKind {
    /// The relation as seen from the target record.
    pub fn inverse(self) -> RelationKind {
        match self {
            RelationKind::Supersedes => RelationKind::SupersededBy,
            RelationKind::SupersededBy => RelationKind::Supersedes,
            RelationKind::Amends => RelationKind::AmendedBy,
            RelationKind::AmendedBy => RelationKind::Amends,
            RelationKind::RelatesTo => RelationKind::RelatesTo,
        }
    }
}

/// What a relation points at, kept as written so the caller can resolve it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum RelationTarget {
    /// Markdown link href as written, e.g. `0005-x.md` or `../adr/x.md`.
    Link(String),
    /// A plain number, e.g. `3` in `supersedes: [3]` or `ADR-0123`.
    Number(u32),
    /// Any other identifier as written, e.g. `TEP-0050`, `RFC0037` or `0050`.
    Id(String),
}

//! One small fixture per dialect the reader supports.

use lore::adr::dialects::{AdrInput, read_adr};
use lore::adr::record::{AdrRecord, Relation, RelationKind, RelationTarget};

fn read(file_name: &str, body: &str) -> AdrRecord {
    read_adr(&AdrInput {
        file_name,
        body,
        ..AdrInput::default()
    })
}

fn read_with_front_matter(file_name: &str, raw: &str, body: &str) -> AdrRecord {
    let mapping: Option<serde_yaml::Mapping> = serde_yaml::from_str(raw).ok();
    read_adr(&AdrInput {
        file_name,
        front_matter: mapping.as_ref(),
        front_matter_raw: Some(raw),
        body,
        ..AdrInput::default()
    })
}

fn rel(kind: RelationKind, target: RelationTarget, text: &str) -> Relation {
    Relation {
        kind,
        target,
        text: text.to_string(),
    }
}

fn link(href: &str) -> RelationTarget {
    RelationTarget::Link(href.to_string())
}

#[test]
fn nygard_status_section_anywhere() {
    let body = "# 12. Use Rust\n\nDate: 2018-02-01\n\n## Context\n\nText.\n\n## Decision\n\nWe will.\n\n### status\n\nAccepted\n\n## Consequences\n\nMore.\n";
    let r = read("0012-use-rust.md", body);
    assert_eq!(r.number, Some(12));
    assert_eq!(r.heading_number, Some(12));
    assert_eq!(r.title.as_deref(), Some("Use Rust"));
    assert_eq!(r.date.as_deref(), Some("2018-02-01"));
    assert_eq!(r.status.as_deref(), Some("accepted"));
    assert_eq!(r.status_text.as_deref(), Some("Accepted"));
    assert!(r.relations.is_empty());
    assert!(!r.is_template);
}

#[test]
fn adr_tools_supercedes_spelling_and_link_lines() {
    let body = "# 5. New\n\nDate: 2020-01-01\n\n## Status\n\nAccepted\n\nSupercedes [3. Old](0003-old.md)\n\nAmended by [6. Tweak](0006-tweak.md)\n\nClarifies [4. Other](0004-other.md)\n\n## Context\n";
    let r = read("0005-new.md", body);
    assert_eq!(r.status.as_deref(), Some("accepted"));
    assert_eq!(r.status_text.as_deref(), Some("Accepted"));
    assert_eq!(
        r.relations,
        vec![
            rel(RelationKind::Supersedes, link("0003-old.md"), "Supercedes"),
            rel(RelationKind::AmendedBy, link("0006-tweak.md"), "Amended by"),
            rel(RelationKind::RelatesTo, link("0004-other.md"), "Clarifies"),
        ]
    );
}

#[test]
fn adr_tools_superseded_status_paragraph() {
    let body = "# 3. Old\n\n## Status\n\nSuperceded by [5. New](0005-new.md)\n\n## Context\n";
    let r = read("0003-old.md", body);
    assert_eq!(r.status.as_deref(), Some("superseded"));
    assert_eq!(
        r.relations,
        vec![rel(
            RelationKind::SupersededBy,
            link("0005-new.md"),
            "Superceded by"
        )]
    );
}

#[test]
fn madr2_bullets_under_title() {
    let body = "# Use X\n\n* Status: accepted\n* Deciders: Ann, Bob\n* Date: 2020-01-01\n* Tags: a, b\n\nTechnical Story: ticket 12\n\n## Context and Problem Statement\n\nStatus: rejected is not metadata here.\n";
    let r = read("0001-use-x.md", body);
    assert_eq!(r.status.as_deref(), Some("accepted"));
    assert_eq!(r.date.as_deref(), Some("2020-01-01"));
    assert_eq!(r.deciders, vec!["Ann", "Bob"]);
    assert_eq!(r.tags, vec!["a", "b"]);
    assert_eq!(r.title.as_deref(), Some("Use X"));
}

#[test]
fn log4brains_superseded_status_and_links_section() {
    let old = "# Old\n\n- Status: superseded by [20201029-new](20201029-new.md)\n- Date: 2020-10-28\n\n## Context\n";
    let r = read("20201028-old.md", old);
    assert_eq!(r.number, None, "date prefixes are not numbers");
    assert_eq!(r.status.as_deref(), Some("superseded"));
    assert_eq!(
        r.relations,
        vec![rel(
            RelationKind::SupersededBy,
            link("20201029-new.md"),
            "superseded by"
        )]
    );

    let new = "# New\n\n- Status: accepted\n\n## Decision\n\n- Relates to [x](../x/20200101-x.md)\n\n## Links\n\n- Supersedes [old](20201028-old.md)\n- Refined by [r](20201101-r.md)\n- [External](https://example.com/) used to compare\n";
    let r = read("20201029-new.md", new);
    assert_eq!(
        r.relations,
        vec![
            rel(
                RelationKind::RelatesTo,
                link("../x/20200101-x.md"),
                "Relates to"
            ),
            rel(
                RelationKind::Supersedes,
                link("20201028-old.md"),
                "Supersedes"
            ),
            rel(RelationKind::RelatesTo, link("20201101-r.md"), "Refined by"),
        ]
    );
}

#[test]
fn madr4_front_matter_and_fenced_examples() {
    let raw = "status: accepted\ndate: 2024-03-01\ndecision-makers: [Ann, Bob]\nconsulted: Carl\ninformed:\n  - Dora\n";
    let body = "# Use YAML\n\n## Options\n\n```markdown\n---\nstatus: rejected\n---\n# Not the title\n## Status\n\nRejected\n```\n";
    let r = read_with_front_matter("0013-use-yaml.md", raw, body);
    assert_eq!(r.status.as_deref(), Some("accepted"));
    assert_eq!(r.date.as_deref(), Some("2024-03-01"));
    assert_eq!(r.deciders, vec!["Ann", "Bob"]);
    assert_eq!(r.consulted, vec!["Carl"]);
    assert_eq!(r.informed, vec!["Dora"]);
    assert_eq!(r.title.as_deref(), Some("Use YAML"));
}

#[test]
fn code_fence_only_metadata_is_ignored() {
    let body = "# Example\n\n```\n## Status\n\nAccepted\n```\n\n~~~\n- Status: rejected\n~~~\n";
    let r = read("0002-example.md", body);
    assert_eq!(r.status, None);
    assert_eq!(r.status_text, None);
}

#[test]
fn superseded_by_adr_number_without_link() {
    let r = read_with_front_matter("0007-x.md", "status: superseded by ADR-0123\n", "# X\n");
    assert_eq!(r.status.as_deref(), Some("superseded"));
    assert_eq!(
        r.relations,
        vec![rel(
            RelationKind::SupersededBy,
            RelationTarget::Number(123),
            "superseded by"
        )]
    );
}

#[test]
fn tekton_style_relation_keys() {
    let raw = "title: Feature Gates\nstatus: implemented\nsuperseded-by:\n- TEP-0138\nreplaces: TEP-0007\nsee-also:\n- TEP-0044\n- TEP-0050\nlast-updated: '2022-01-01'\n";
    let r = read_with_front_matter("0033-feature-gates.md", raw, "# TEP-0033: Feature Gates\n");
    assert_eq!(r.number, Some(33));
    assert_eq!(r.heading_number, Some(33));
    assert_eq!(r.title.as_deref(), Some("Feature Gates"));
    assert_eq!(r.status.as_deref(), Some("implemented"));
    assert_eq!(
        r.date.as_deref(),
        Some("2022-01-01"),
        "the last edit, when alone"
    );
    let written = format!("{raw}creation-date: '2020-11-20'\n");
    let r2 = read_with_front_matter("0033-feature-gates.md", &written, "# TEP-0033\n");
    assert_eq!(
        r2.date.as_deref(),
        Some("2020-11-20"),
        "when it was written"
    );
    let id = |s: &str| RelationTarget::Id(s.to_string());
    assert_eq!(
        r.relations,
        vec![
            rel(RelationKind::SupersededBy, id("TEP-0138"), "superseded-by"),
            rel(RelationKind::Supersedes, id("TEP-0007"), "replaces"),
            rel(RelationKind::RelatesTo, id("TEP-0044"), "see-also"),
            rel(RelationKind::RelatesTo, id("TEP-0050"), "see-also"),
        ]
    );
}

#[test]
fn powershell_keys_with_spaces_and_superceded_by() {
    let raw = "RFC: RFC0022\nAuthor: Someone\nStatus: Rejected\nSupercededBy: RFC0037\nComments Due: July 21, 2019\nPlan to implement: Maybe\n";
    let r = read_with_front_matter("RFC0022-Test-Connection.md", raw, "# Test-Connection\r\n");
    assert_eq!(r.number, Some(22));
    assert_eq!(r.status.as_deref(), Some("rejected"));
    assert_eq!(
        r.relations,
        vec![rel(
            RelationKind::SupersededBy,
            RelationTarget::Id("RFC0037".into()),
            "SupercededBy"
        )]
    );
    for none in ["N/A", "n/a", "none", ""] {
        let raw = format!("Status: Final\nSupercededBy: {none}\n");
        let r = read_with_front_matter("RFC0001-x.md", &raw, "# X\n");
        assert!(r.relations.is_empty(), "{none:?}");
    }
}

#[test]
fn lore_front_matter_relations() {
    let raw = "status: accepted\ndate: 2024-05-01\ndeciders: [Ann]\ntags: [build]\nsupersedes: [3, 0004-old.md]\namends: ADR-2\nrelates_to: [TEP-0050]\nsuperseded_by: 9\n";
    let r = read_with_front_matter("0008-new.md", raw, "# New\n");
    assert_eq!(r.tags, vec!["build"]);
    assert_eq!(
        r.relations,
        vec![
            rel(
                RelationKind::Supersedes,
                RelationTarget::Number(3),
                "supersedes"
            ),
            rel(RelationKind::Supersedes, link("0004-old.md"), "supersedes"),
            rel(RelationKind::Amends, RelationTarget::Number(2), "amends"),
            rel(
                RelationKind::RelatesTo,
                RelationTarget::Id("TEP-0050".into()),
                "relates_to"
            ),
            rel(
                RelationKind::SupersededBy,
                RelationTarget::Number(9),
                "superseded_by"
            ),
        ]
    );
}

#[test]
fn octal_looking_ids_are_kept_as_written() {
    let raw = "RFC: 0050\nstatus: draft\nsupersedes: 0050\nrelates-to: [0010, '0012']\n";
    let r = read_with_front_matter("RFC0051-x.md", raw, "# X\n");
    let id = |s: &str| RelationTarget::Id(s.to_string());
    let targets: Vec<_> = r.relations.iter().map(|r| r.target.clone()).collect();
    assert_eq!(targets, vec![id("0050"), id("0010"), id("0012")]);
}

#[test]
fn unparsable_yaml_falls_back_to_raw_front_matter() {
    let raw = "Status: Accepted\nTitle: A: B: C\n  bad: [indent\n";
    let r = read_adr(&AdrInput {
        file_name: "RFC0009-x.md",
        front_matter: None,
        front_matter_raw: Some(raw),
        body: "Body only.\n",
        ..AdrInput::default()
    });
    assert_eq!(r.status.as_deref(), Some("accepted"));
    assert_eq!(r.title.as_deref(), Some("A: B: C"));
}

#[test]
fn folder_implied_status_only_when_file_states_none() {
    let with_hint = |hint: &str, raw: Option<&str>| {
        let mapping: Option<serde_yaml::Mapping> = raw.and_then(|r| serde_yaml::from_str(r).ok());
        read_adr(&AdrInput {
            file_name: "202012-x.md",
            folder_hint: Some(hint),
            front_matter: mapping.as_ref(),
            front_matter_raw: raw,
            body: "# X\n",
        })
    };
    assert_eq!(
        with_hint("proposals-accepted", None).status.as_deref(),
        Some("accepted")
    );
    assert_eq!(
        with_hint("proposals-rejected", None).status.as_deref(),
        Some("rejected")
    );
    assert_eq!(
        with_hint("Draft-Accepted", None).status.as_deref(),
        Some("draft-accepted")
    );
    assert_eq!(
        with_hint("Rejected", None).status.as_deref(),
        Some("rejected")
    );
    assert_eq!(with_hint("docs", None).status, None);
    let r = with_hint("proposals-done", Some("status: in-progress\n"));
    assert_eq!(r.status.as_deref(), Some("in-progress"));
    assert_eq!(r.number, None);
}

#[test]
fn front_matter_title_when_no_h1() {
    let r = read_with_front_matter("202012-x.md", "title: From YAML\n", "### Summary\n\nText\n");
    assert_eq!(r.title.as_deref(), Some("From YAML"));
    let late_h1 = "## Why\n\nText\n\n# Alternatives\n";
    let r = read_with_front_matter("202108-x.md", "title: Real Title\n", late_h1);
    assert_eq!(r.title.as_deref(), Some("Real Title"));
    let r = read("RFC0056-x.md", "#PowerShell Application Mode\n\nText\n");
    assert_eq!(r.title.as_deref(), Some("PowerShell Application Mode"));
    let r = read("20201028-no-title.md", "## Context\n\nText\n");
    assert_eq!(r.title, None);
}

#[test]
fn architecture_decision_record_prefix_and_upper_case_status() {
    let body =
        "# Architecture Decision Record: Use ADRs\n\n## Context\n\nX\n\n## Status\n\nPROPOSED\n";
    let r = read("adr-001-use-adrs.md", body);
    assert_eq!(r.number, Some(1));
    assert_eq!(r.title.as_deref(), Some("Use ADRs"));
    assert_eq!(r.status.as_deref(), Some("proposed"));
}

#[test]
fn crlf_and_bom_body() {
    let body = "\u{feff}# 2. Windows\r\n\r\nDate: 2021-01-01\r\n\r\n## Status\r\n\r\nAccepted\r\n\r\nSupersedes [1. Old](0001-old.md)\r\n";
    let r = read("0002-windows.md", body);
    assert_eq!(r.title.as_deref(), Some("Windows"));
    assert_eq!(r.date.as_deref(), Some("2021-01-01"));
    assert_eq!(r.status.as_deref(), Some("accepted"));
    assert_eq!(
        r.relations,
        vec![rel(
            RelationKind::Supersedes,
            link("0001-old.md"),
            "Supersedes"
        )]
    );
}

#[test]
fn empty_and_garbage_inputs_do_not_panic() {
    for body in [
        "",
        "\u{feff}",
        "#",
        "# ",
        "##\n",
        "```",
        "<!--",
        "- Status:",
        "## Status",
        "## Status\n\n>",
        "[](",
        "\r\r\r",
        "\u{0}\u{1}\u{fffd}\u{fffd}# é\n## Status\n\n\u{0}",
        "# 99999999999999. Big\n",
        "===\n---\n",
    ] {
        let r = read("", body);
        assert!(!r.is_template || body.contains('{'));
    }
    let r = read_with_front_matter("x.md", ": : :\n- - -\n[\n", "");
    assert_eq!(r, read_with_front_matter("x.md", ": : :\n- - -\n[\n", ""));
    let r = read("0001-empty.md", "");
    assert_eq!(r.number, Some(1));
    assert_eq!(r.title, None);
    assert_eq!(r.status, None);
}

#[test]
fn templates_are_detected() {
    assert!(read("template.md", "# Title\n").is_template);
    assert!(read("adr-template.md", "# Title\n").is_template);
    assert!(read("RFCNNNN-New-RFC-Template.md", "# Title\n").is_template);
    let madr2 = "# [short title of solved problem and solution]\n\n* Status: [proposed | rejected | accepted | deprecated | … | superseded by [ADR-0005](0005-example.md)]\n";
    let r = read("whatever.md", madr2);
    assert!(r.is_template);
    assert_eq!(r.status, None);
    let madr4 = read(
        "x.md",
        "# {short title, representative of solved problem and found solution}\n",
    );
    assert!(madr4.is_template);
    let nygard = read(
        "x.md",
        "# ADR {ADR-NUMBER}: {TITLE}\n\n## Status\n\nAccepted | Rejected | Deprecated | Superseded by\n",
    );
    assert!(nygard.is_template);
    assert_eq!(nygard.status, None);
    assert!(!read("0005-use-a-template-engine.md", "# Use a template engine\n").is_template);
    let unfilled = read(
        "adr-036-x.md",
        "# ADR 036: Real\n\n## Status\n\n{Deprecated|Proposed|Accepted|Declined}\n",
    );
    assert!(!unfilled.is_template);
    assert_eq!(unfilled.status, None);
    // Braces or brackets in a numbered record's title, with a real status, are its title.
    for title in [
        "Interpolate ${ENV} variables in config",
        "[not, a, list]",
        "{x}",
    ] {
        let front = format!("title: {title:?}\nstatus: accepted\n");
        let r = read_with_front_matter("0001-interpolate-env.md", &front, "## Context\n\nx\n");
        assert!(!r.is_template, "{title}");
        assert_eq!(r.title.as_deref(), Some(title));
        let nygard = read(
            "0002-x.md",
            &format!("# 2. {title}\n\n## Status\n\nAccepted\n"),
        );
        assert!(!nygard.is_template, "{title}");
    }
    // Without a status, such a title still marks a copied, unfilled template.
    assert!(read("0007-new.md", "# {short title of solved problem}\n").is_template);
}

#[test]
fn prose_mentions_are_not_relations() {
    let body = "# X\n\n## Context\n\n[ADR-0008](0008-add-status-field.md) reasons on metadata.\nNote: this ADR supersedes some aspects of [ADR-15](adr-015-x.md).\n- Classic link: [a](a.md)\n  - ClusterTask will be replaced by [remote resolution](./0060-x.md),\n\n> Superseded by [ADR 123](./adr-123.md)\n";
    assert!(read("0009-x.md", body).relations.is_empty());
}

#[test]
fn inline_status_heading_and_bold_bullets() {
    let r = read(
        "0001-x.md",
        "# X\n\n## Status\n\nDeprecated, superseded by [2. Y](0002-y.md)\n",
    );
    assert_eq!(r.status.as_deref(), Some("deprecated"));
    assert_eq!(r.relations[0].kind, RelationKind::SupersededBy);
    let r = read("0001-x.md", "# X\n\n## Status: Accepted\n");
    assert_eq!(r.status.as_deref(), Some("accepted"));
    let r = read(
        "0001-x.md",
        "# X\n\n**Status:** Proposed\n**Date:** 2022-02-02\n\n## Context\n",
    );
    assert_eq!(r.status.as_deref(), Some("proposed"));
    assert_eq!(r.date.as_deref(), Some("2022-02-02"));
}

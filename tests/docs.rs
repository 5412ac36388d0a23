//! The documentation against the code: every relative link in README.md and docs/ resolves (file
//! and, where one is named, heading), and docs/configuration.md and .env.example list exactly the
//! settings of `config::DEFAULTS`, in its order, with its defaults.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jwt_auth_server::config::DEFAULTS;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("bench/README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files
}

/// The targets of `[text](target)` links, outside code blocks.
fn links(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    found
}

/// GitHub's anchors of a document's headings: lowercase, punctuation dropped, spaces to hyphens.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut in_code = false;
    markdown
        .lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
            }
            !in_code && line.starts_with('#')
        })
        .map(|line| {
            line.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

#[test]
fn every_relative_link_in_the_documentation_resolves() {
    let mut broken = Vec::new();
    for document in documents() {
        let text = std::fs::read_to_string(&document).unwrap();
        for link in links(&text) {
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            let (path, anchor) = link
                .split_once('#')
                .map_or((link.as_str(), None), |(p, a)| (p, Some(a)));
            let target = if path.is_empty() {
                document.clone()
            } else {
                document.parent().unwrap().join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link} (no such file)", document.display()));
                continue;
            }
            if let Some(anchor) = anchor.filter(|_| target.extension().is_some_and(|e| e == "md")) {
                let headings = anchors(&std::fs::read_to_string(&target).unwrap());
                if !headings.contains(anchor) {
                    broken.push(format!("{}: {link} (no such heading)", document.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// `NAME=VALUE` lines of .env.example, in order.
fn env_example() -> Vec<(String, String)> {
    std::fs::read_to_string(root().join(".env.example"))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#') && line.contains('='))
        .map(|line| {
            let (name, value) = line.split_once('=').unwrap();
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect()
}

/// (variable, default column) of the settings table in docs/configuration.md, in order.
fn configuration_table() -> Vec<(String, String)> {
    std::fs::read_to_string(root().join("docs/configuration.md"))
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_owned(), cells[2].to_owned())
        })
        .collect()
}

#[test]
fn env_example_lists_every_setting_with_its_default_in_order() {
    let expected: Vec<(String, String)> = DEFAULTS
        .iter()
        .map(|(n, d)| (n.to_string(), d.to_string()))
        .collect();
    assert_eq!(env_example(), expected);
}

#[test]
fn the_configuration_reference_lists_every_setting_with_its_default_in_order() {
    let table = configuration_table();
    let names: Vec<&str> = table.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<&str> = DEFAULTS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, expected);
    for ((name, shown), (_, default)) in table.iter().zip(DEFAULTS) {
        if !default.is_empty() {
            assert_eq!(shown, &format!("`{default}`"), "{name}");
        } else {
            assert!(
                !shown.is_empty(),
                "{name} says what happens when it is unset"
            );
        }
    }
}

#[test]
fn the_readme_stays_a_front_door() {
    let size = std::fs::metadata(root().join("README.md")).unwrap().len();
    assert!(
        size < 10 * 1024,
        "README.md is {size} bytes: move the detail to docs/"
    );
    assert!(Path::new(&root().join("docs/architecture.md")).exists());
}

//! The layout's rules, read from the source: no import circle between the top-level modules of
//! `src/` (a folder counts as one), and only the entry points (main.rs, console/) reach `startup`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/auth/guard.rs` → `auth`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// Which top-level modules each top-level module names as `crate::x`, outside comments.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let name: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name != from && modules.contains(&name) {
                    graph.entry(from.clone()).or_default().insert(name);
                }
            }
        }
    }
    graph
}

#[test]
fn no_two_top_level_modules_import_each_other_even_through_others() {
    let graph = imports();
    // Depth-first search for a back edge; the path in progress names the circle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let circle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(
            circle.is_none(),
            "import circle: {}",
            circle.unwrap().join(" -> ")
        );
    }
}

#[test]
fn only_the_entry_points_reach_startup() {
    let reaching: Vec<String> = imports()
        .into_iter()
        .filter(|(_, targets)| targets.contains("startup"))
        .map(|(from, _)| from)
        .collect();
    assert_eq!(reaching, ["console"]);
}

/// Every line of the `.rs` files under `src/{folder}` that contains one of `words`, outside
/// comments and outside `except` (file names), as "file:line: text".
fn lines_naming(folder: &str, words: &[&str], except: &[&str]) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder);
    let mut files = Vec::new();
    source_files(&dir, &mut files);
    assert!(files.len() > 5, "src/{folder} is where it was");
    let mut found = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if except.contains(&name.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            if words.iter().any(|word| line.contains(word)) {
                found.push(format!(
                    "{}:{}: {}",
                    file.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn no_controller_opens_a_write_transaction_or_writes_audit_lines_or_metrics() {
    let writes = ["write_transaction", ".transaction(", "build_transaction"];
    let events = [
        "audit",
        "Metrics",
        "crate::metrics",
        "AuthEvent",
        ".metrics.",
    ];
    // The metrics listener's handler renders the registry; it records nothing.
    let found = lines_naming(
        "controllers",
        &[&writes[..], &events[..]].concat(),
        &["metrics_controller.rs"],
    );
    assert!(
        found.is_empty(),
        "the login owner (auth::sessions) does this, not a controller:\n{}",
        found.join("\n")
    );
    let found = lines_naming("oauth", &[&writes[..], &events[..]].concat(), &[]);
    assert!(
        found.is_empty(),
        "the OAuth grants hand this to the login owner (auth::sessions):\n{}",
        found.join("\n")
    );
}

//! Keeps the layers of `src/lib.rs` true: every top-level module is placed
//! in a layer there, and uses only the modules of the layers below it and
//! those named before it in its own. This reads the layer list from the
//! crate's documentation and every source file as text, so the list a
//! newcomer reads is the list that is enforced.

mod common;

use std::collections::HashMap;
use std::path::Path;

/// The modules in the order the layers allow: each may use those before it.
fn layer_order(lib: &str) -> Vec<String> {
    let mut order = Vec::new();
    for line in lib.lines() {
        let Some(item) = line.strip_prefix("//! ") else {
            continue;
        };
        let numbered = item
            .split_once(". **")
            .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()));
        if !numbered {
            continue;
        }
        order.extend(
            item.split("[`")
                .skip(1)
                .filter_map(|s| s.split_once("`]"))
                .map(|(m, _)| m.to_owned()),
        );
    }
    order
}

/// The modules `lib.rs` declares.
fn declared_modules(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| {
            ["pub mod ", "pub(crate) mod ", "mod "]
                .iter()
                .find_map(|prefix| l.strip_prefix(prefix))
        })
        .filter_map(|l| l.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

/// The top-level modules a source text names through `crate::`, comments
/// left out. `crate::Error` and `crate::Result` are the error module's.
fn used_modules(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut used = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let boundary = at == 0 || !rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if !boundary {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            used.extend(group_heads(group));
        } else {
            used.push(identifier(rest).to_owned());
        }
    }
    used.into_iter()
        .map(|m| {
            if m == "Error" || m == "Result" {
                "error".to_owned()
            } else {
                m
            }
        })
        .collect()
}

/// The first path element of each item of a `{a, b::c, d::{e, f}}` group
/// (the text after its opening brace).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expecting = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && depth == 0 && (c.is_alphabetic() || c == '_') => {
                heads.push(identifier(&group[i..]).to_owned());
                expecting = false;
            }
            _ => {}
        }
    }
    heads
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Each import against the order, as `file: what`.
fn violations(src: &Path, order: &[String]) -> Vec<String> {
    let rank: HashMap<&str, usize> = order.iter().enumerate().map(|(n, m)| (m.as_str(), n)).collect();
    let files = common::rust_files(src);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str().to_string_lossy();
        let module = first.trim_end_matches(".rs");
        let Some(&own) = rank.get(module) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        for used in used_modules(&text) {
            match rank.get(used.as_str()) {
                Some(&other) if other > own => found.push(format!(
                    "src/{}: `{module}` uses `{used}`, which sits above it in the layers of src/lib.rs",
                    relative.display()
                )),
                _ => {}
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn every_module_sits_in_one_layer() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let mut order = layer_order(&lib);
    let mut declared = declared_modules(&lib);
    assert!(
        order.len() > 10,
        "the layer list of src/lib.rs was not found: {order:?}"
    );
    order.sort();
    declared.sort();
    assert_eq!(
        order, declared,
        "the layers of src/lib.rs must name every module it declares, once"
    );
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let found = violations(&root.join("src"), &layer_order(&lib));
    assert!(
        found.is_empty(),
        "imports against the layers (move the code down, or pass what it needs as an argument):\n{}",
        found.join("\n")
    );
}

#[test]
fn an_import_against_the_layers_is_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("store")).unwrap();
    std::fs::write(
        dir.path().join("store/mod.rs"),
        "// crate::http in a comment is no import\nuse crate::{error::Result, vocab};\nfn f() { crate::index::x(); }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("index.rs"), "use crate::store::{self, Store};\n").unwrap();
    let order: Vec<String> = ["error", "vocab", "store", "index", "http"].map(String::from).to_vec();
    assert_eq!(
        violations(dir.path(), &order),
        ["src/store/mod.rs: `store` uses `index`, which sits above it in the layers of src/lib.rs"]
    );
    assert_eq!(
        used_modules("use crate::{a::{b, c}, d, Result};\nx = crate::e::f;"),
        ["a", "d", "error", "e"]
    );
}

//! Finds the named reports: every `queries/*.rq` is compiled into the
//! binary (see `src/reports/mod.rs`), so a report is added by adding its
//! file, and none can be forgotten in a hand-kept list.

use std::path::Path;

fn main() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("queries");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("queries/ holds the named reports")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let is_query = path.extension().is_some_and(|e| e == "rq");
            is_query
                .then(|| path.file_stem()?.to_str().map(str::to_owned))
                .flatten()
        })
        .collect();
    names.sort();
    let mut out = String::from(
        "/// The files of `queries/`, by name, sorted (found by build.rs).\nconst FILES: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        let path = dir.join(format!("{name}.rq"));
        out += &format!("    ({name:?}, include_str!({:?})),\n", path.display().to_string());
    }
    out += "];\n";
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets it")).join("reports.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}

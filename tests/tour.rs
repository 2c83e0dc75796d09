//! The README's five-minute tour and the examples of docs/SEARCH.md, run
//! as a reader runs them: every command of their `sh` blocks goes to
//! `bash` (with `curl` and `jq`) against `serve --demo`, and its output must
//! be the `# →` lines under it. An example that fails or answers
//! differently fails the build, so these pages cannot drift from the
//! service.
//!
//! Skipped with a notice where `curl` or `jq` is missing, except under CI.

mod common;

use common::{skip_or_fail, Served};
use std::path::Path;
use std::process::Command;

/// One command of the tour and the answer it shows.
#[derive(Debug)]
struct Step {
    command: String,
    expected: Vec<String>,
}

/// The `sh` blocks between the tour's heading and the next section.
fn tour_steps(readme: &str) -> Vec<Step> {
    let start = readme.find("## A five-minute tour").expect("the README has a tour");
    let tour = &readme[start..];
    steps(&tour[..tour[3..].find("\n## ").map_or(tour.len(), |end| end + 3)])
}

/// The commands of a page's `sh` blocks, each with the answer it shows.
fn steps(page: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_block = false;
    let mut open = false; // the last step still takes command lines
    for line in page.lines() {
        if line.starts_with("```") {
            in_block = line == "```sh";
            open = false;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(answer) = line.strip_prefix("# →") {
            steps
                .last_mut()
                .expect("an answer follows a command")
                .expected
                .push(answer.trim().to_owned());
            open = false;
        } else if line.starts_with('#') || line.trim().is_empty() {
            open = false;
        } else if open {
            let step = steps.last_mut().unwrap();
            step.command.push('\n');
            step.command.push_str(line);
        } else {
            steps.push(Step {
                command: line.to_owned(),
                expected: Vec::new(),
            });
            open = true;
        }
    }
    steps
}

fn has(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(command: &str, data: &Path) -> (bool, String, String) {
    let output = Command::new("bash")
        .args(["-c", &format!("set -euo pipefail\n{command}")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("ASSETGRAPH_DATA", data)
        .env_remove("ASSETGRAPH_API_KEYS")
        .env_remove("ASSETGRAPH_CONFIG")
        .output()
        .unwrap();
    (
        output.status.success(),
        // SPARQL's CSV ends lines with CRLF; a terminal shows the same.
        String::from_utf8_lossy(&output.stdout)
            .replace("\r\n", "\n")
            .trim_end()
            .to_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs the steps in order against a fresh `serve --demo`; the number of
/// answers compared.
fn run_against_the_demo(steps: &[Step]) -> usize {
    let mut served = Served::start("", &["--demo"]);
    let data = served.dir.path().join("data");
    let binary = env!("CARGO_BIN_EXE_assetgraph");
    let mut checked = 0;
    for step in steps {
        if step.command.starts_with("make ") {
            continue; // the server is already running
        }
        let command = match step.command.strip_prefix("cargo run -- ") {
            // The command line opens the store once the server has let go.
            Some(rest) => {
                if served.alive() {
                    assert!(served.terminate(std::time::Duration::from_secs(30)).is_some());
                }
                format!("{binary} {rest}")
            }
            None => step.command.replace("localhost:7878", &served.address),
        };
        let (ok, stdout, stderr) = run(&command, &data);
        assert!(ok, "the command failed:\n{}\n{stderr}", step.command);
        if step.expected.is_empty() {
            assert!(!stdout.is_empty(), "the command answered nothing:\n{}", step.command);
        } else {
            assert_eq!(
                stdout,
                step.expected.join("\n"),
                "the command answers differently from its page:\n{}",
                step.command
            );
            checked += 1;
        }
    }
    checked
}

fn page(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn the_readme_tour_answers_what_it_shows() {
    if !(has("curl") && has("jq")) {
        skip_or_fail("the tour needs curl and jq");
        return;
    }
    let steps = tour_steps(&page("README.md"));
    assert!(steps.len() >= 10, "the tour lost its steps: {steps:#?}");
    let checked = run_against_the_demo(&steps);
    assert!(checked >= 10, "only {checked} answers were checked");
}

#[test]
fn the_search_reference_answers_what_it_shows() {
    if !(has("curl") && has("jq")) {
        skip_or_fail("the examples need curl and jq");
        return;
    }
    let steps = steps(&page("docs/SEARCH.md"));
    let checked = run_against_the_demo(&steps);
    assert!(checked >= 6, "only {checked} answers were checked: {steps:#?}");
}

#[test]
fn tour_steps_take_multi_line_commands_and_their_answers() {
    let readme = "## A five-minute tour\n```sh\n# a\ncurl -s x \\\n  y | jq .a\n# → 1\n# → 2\nmake demo\n```\n## Next\n```sh\nnot this\n```\n";
    let steps = tour_steps(readme);
    assert_eq!(steps.len(), 2, "{steps:#?}");
    assert_eq!(steps[0].command, "curl -s x \\\n  y | jq .a");
    assert_eq!(steps[0].expected, ["1", "2"]);
    assert_eq!(steps[1].command, "make demo");
}

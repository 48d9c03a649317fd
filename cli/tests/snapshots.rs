//! Snapshots (in the repository's top-level `snapshots/`): the Markdown report of every corpus
//! block, and the `--help` of the command line. Wall times are masked; nothing else varies.
//! Review changes with `cargo insta review`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn lanes(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("lanes runs");
    assert!(
        out.status.success(),
        "lanes {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Replaces the cells of Markdown table columns whose header is a wall time with `[time]`.
fn mask_times(markdown: &str) -> String {
    const TIMED: [&str; 5] = [
        "analysis s",
        "sequential s",
        "cost",
        "execution s",
        "vs execution",
    ];
    let mut masked: Vec<usize> = Vec::new();
    let mut out = String::new();
    for line in markdown.lines() {
        if !line.starts_with('|') {
            masked.clear();
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let cells: Vec<&str> = line.split('|').collect();
        if masked.is_empty() && cells.iter().any(|c| TIMED.contains(&c.trim())) {
            masked = (0..cells.len())
                .filter(|&i| TIMED.contains(&cells[i].trim()))
                .collect();
            out.push_str(line);
        } else if cells
            .iter()
            .all(|c| c.trim().chars().all(|ch| "-: ".contains(ch)))
        {
            out.push_str(line);
        } else {
            let row: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if masked.contains(&i) {
                        " [time] ".to_owned()
                    } else {
                        (*c).to_owned()
                    }
                })
                .collect();
            out.push_str(&row.join("|"));
        }
        out.push('\n');
    }
    out
}

#[test]
fn time_columns_are_masked_and_nothing_else() {
    let md = "| block | txs | analysis s | cost |\n| --- | ---: | ---: | ---: |\n| 7 | 2 | 0.0123 | 1.50 |\n\n| a |\n| --- |\n| 0.5 |\n";
    assert_eq!(
        mask_times(md),
        "| block | txs | analysis s | cost |\n| --- | ---: | ---: | ---: |\n| 7 | 2 | [time] | [time] |\n\n| a |\n| --- |\n| 0.5 |\n"
    );
}

#[test]
fn markdown_report_of_every_corpus_block() {
    let blocks = root().join("corpus/blocks");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&blocks)
        .expect("corpus/blocks")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("block.json").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "corpus/blocks holds {} blocks",
        dirs.len()
    );
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let relative = format!("corpus/blocks/{name}");
        let report = mask_times(&lanes(&["analyze", &relative, "--format", "markdown"]));
        insta::with_settings!({
            snapshot_path => "../../snapshots/analyze",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("lanes analyze {relative} --format markdown"),
        }, {
            insta::assert_snapshot!(name, report);
        });
    }
}

#[test]
fn help_of_every_command() {
    for command in ["", "analyze", "bal", "bench", "verify", "fetch"] {
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.push("--help");
        let help = lanes(&args);
        let name = if command.is_empty() { "lanes" } else { command };
        insta::with_settings!({
            snapshot_path => "../../snapshots/help",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("lanes {}", args.join(" ")),
        }, {
            insta::assert_snapshot!(name, help);
        });
    }
}

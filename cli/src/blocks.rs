//! Finding block directories and running per-block work in parallel with a progress bar.

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lanes_analyzer::input::BLOCK_FILE;
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Every block directory (one holding `block.json`) in or under `roots`, in a stable order:
/// per directory, numeric names by value, then other names alphabetically.
pub(crate) fn find_block_dirs(roots: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for root in roots {
        if !root.is_dir() {
            bail!("{}: not a directory", root.display());
        }
        let before = found.len();
        walk(root, &mut found)?;
        if found.len() == before {
            bail!(
                "{}: no block directories (directories holding {BLOCK_FILE}) found",
                root.display()
            );
        }
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if dir.join(BLOCK_FILE).is_file() {
        found.push(dir.to_path_buf());
        return Ok(());
    }
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list directory", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    children.sort_by_key(|p| sort_key(p));
    for child in children {
        walk(&child, found)?;
    }
    Ok(())
}

fn sort_key(path: &Path) -> (u8, u64, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.parse::<u64>() {
        Ok(n) => (0, n, name),
        Err(_) => (1, 0, name),
    }
}

/// Runs `work` on every item on `jobs` threads (0: all cores), keeping the input order, with a
/// progress bar on stderr when there are several items and stderr is a terminal.
pub(crate) fn run_parallel<T, R, F>(items: &[T], jobs: usize, label: &str, work: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let bar = if items.len() > 1 && std::io::stderr().is_terminal() {
        let bar =
            ProgressBar::with_draw_target(Some(items.len() as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {elapsed}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_string());
        bar
    } else {
        ProgressBar::hidden()
    };
    let run = || {
        items
            .par_iter()
            .map(|item| {
                let result = work(item);
                bar.inc(1);
                result
            })
            .collect()
    };
    let results = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    bar.finish_and_clear();
    results
}

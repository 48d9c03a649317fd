//! `lanes fetch`: block directories (DESIGN.md, "Inputs") from any JSON-RPC node with the debug
//! API: `block.json`, `prestate.json` and, when the block calls BLOCKHASH, `block_hashes.json`.

mod block;
mod block_hashes;
mod node;
mod prestate;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use node::{Node, RetryPolicy};
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `lanes fetch`.
#[derive(Debug, clap::Args)]
pub(crate) struct FetchArgs {
    /// JSON-RPC endpoint of a node that serves the `debug` namespace, e.g. http://127.0.0.1:8545.
    #[arg(long, value_name = "URL")]
    rpc: String,
    /// One block: a number (decimal or 0x-hex), `latest`, `safe` or `finalized`.
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "range",
        required_unless_present = "range"
    )]
    block: Option<BlockTag>,
    /// Many blocks: `A..B` (B excluded) or `A..=B` (B included).
    #[arg(long, value_name = "A..B")]
    range: Option<BlockRange>,
    /// Directory that receives one `<number>/` block directory per block.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// Blocks fetched at once with `--range` (each has one request in flight at a time).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: u16,
    /// Attempts per request before a transient failure (connection, timeout, 429, 5xx) is final.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    attempts: u32,
    /// Seconds one request may take before it counts as a transient failure.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    timeout: u64,
}

/// A block as `eth_getBlockByNumber` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlockTag {
    /// A block number.
    Number(u64),
    /// `latest`, `safe` or `finalized`.
    Named(&'static str),
}

impl BlockTag {
    /// The JSON-RPC parameter.
    fn param(self) -> String {
        match self {
            Self::Number(n) => format!("{n:#x}"),
            Self::Named(name) => name.to_owned(),
        }
    }
}

impl fmt::Display for BlockTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Named(name) => f.write_str(name),
        }
    }
}

impl FromStr for BlockTag {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "latest" => Ok(Self::Named("latest")),
            "safe" => Ok(Self::Named("safe")),
            "finalized" => Ok(Self::Named("finalized")),
            _ => parse_number(s).map(Self::Number),
        }
    }
}

/// Block numbers `start..end` (end excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockRange {
    start: u64,
    end: u64,
}

impl FromStr for BlockRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b, inclusive) = if let Some((a, b)) = s.split_once("..=") {
            (a, b, true)
        } else if let Some((a, b)) = s.split_once("..") {
            (a, b, false)
        } else {
            return Err(format!(
                "`{s}` is not a range: write A..B (B excluded) or A..=B"
            ));
        };
        let start = parse_number(a)?;
        let last = parse_number(b)?;
        let end = if inclusive {
            last.checked_add(1).ok_or("range end too large")?
        } else {
            last
        };
        if end <= start {
            return Err(format!("`{s}` is empty"));
        }
        Ok(Self { start, end })
    }
}

fn parse_number(s: &str) -> Result<u64, String> {
    let parsed = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| format!("`{s}` is not a block number (decimal, 0x-hex or `latest`)"))
}

/// Runs `lanes fetch`.
pub(crate) fn run(args: &FetchArgs) -> anyhow::Result<ExitCode> {
    let retry = RetryPolicy {
        attempts: args.attempts,
        first_backoff: Duration::from_millis(250),
        timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let node = Node::new(&args.rpc, retry)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if let Some(tag) = args.block {
        let dir = runtime.block_on(block::fetch(&node, tag, &args.out))?;
        println!("{}", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    let Some(range) = args.range else {
        bail!("give --block or --range");
    };
    runtime.block_on(fetch_range(node, range, args.out.clone(), args.jobs.into()))?;
    Ok(ExitCode::SUCCESS)
}

/// Fetches every block of `range` with at most `jobs` blocks (so requests) in flight; stops at
/// the first error.
async fn fetch_range(
    node: Node,
    range: BlockRange,
    out: PathBuf,
    jobs: usize,
) -> anyhow::Result<()> {
    let count = range.end - range.start;
    let progress = ProgressBar::new(count).with_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} blocks ({eta}) {msg}",
        )
        .expect("a valid progress template"),
    );
    let node = Arc::new(node);
    let out = Arc::new(out);
    // At most `jobs` blocks are in flight; the next starts when one finishes.
    let mut tasks = tokio::task::JoinSet::new();
    let mut numbers = range.start..range.end;
    loop {
        while tasks.len() < jobs
            && let Some(number) = numbers.next()
        {
            let (node, out) = (Arc::clone(&node), Arc::clone(&out));
            tasks.spawn(async move { block::fetch(&node, BlockTag::Number(number), &out).await });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        // An error returns here, and dropping `tasks` aborts the blocks still in flight.
        let dir = joined.context("a fetch task panicked")??;
        progress.set_message(dir.display().to_string());
        progress.inc(1);
    }
    progress.finish_with_message("done");
    eprintln!(
        "fetched {count} blocks from {} into {}",
        node.url(),
        out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rust_syntax() {
        assert_eq!("5..8".parse(), Ok(BlockRange { start: 5, end: 8 }));
        assert_eq!("5..=8".parse(), Ok(BlockRange { start: 5, end: 9 }));
        assert_eq!("0x10..0x12".parse(), Ok(BlockRange { start: 16, end: 18 }));
        assert!("8..5".parse::<BlockRange>().is_err());
        assert!("5..5".parse::<BlockRange>().is_err());
        assert!("5".parse::<BlockRange>().is_err());
    }

    #[test]
    fn block_tags() {
        assert_eq!("latest".parse(), Ok(BlockTag::Named("latest")));
        assert_eq!("0x1f".parse(), Ok(BlockTag::Number(31)));
        assert_eq!("31".parse(), Ok(BlockTag::Number(31)));
        assert!("pending".parse::<BlockTag>().is_err());
        assert_eq!(BlockTag::Number(31).param(), "0x1f");
    }
}

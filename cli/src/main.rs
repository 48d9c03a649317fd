//! The `lanes` command line.

mod analyze;
mod bal;
mod bench;
mod blocks;
mod execute;
mod fetch;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

// Execution allocates and frees many small maps, often on different threads (a speculative
// run's state is built on one worker and committed on another): glibc's allocator serializes
// on that, mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Predict, schedule and run Ethereum block transactions in parallel.
#[derive(Debug, Parser)]
#[command(name = "lanes", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Predict every transaction's accesses and measure the predictions against execution.
    Analyze(analyze::AnalyzeArgs),
    /// Execute blocks sequentially and check receipts root, logs bloom and gas used against
    /// their headers.
    Verify(verify::VerifyArgs),
    /// Fetch blocks and their pre-state from a JSON-RPC node into block directories.
    Fetch(fetch::FetchArgs),
    /// The block's EIP-7928 block access list from executing it (JSON with its RLP and hash);
    /// with --predicted, the list the predictions give and how it compares.
    Bal(bal::BalArgs),
    /// Execute blocks sequentially and in parallel, check that the results are identical and
    /// time both.
    Execute(execute::ExecuteArgs),
    /// Time sequential execution, analysis and parallel execution over block directories or a
    /// generated workload (--workload raw|erc20|amm|mixed).
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Fetch(args) => fetch::run(&args),
        Command::Bal(args) => bal::run(&args),
        Command::Execute(args) => execute::run(&args),
        Command::Bench(args) => bench::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A closed stdout (`lanes verify ... | head`) is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

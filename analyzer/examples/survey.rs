//! Runs the analyzer over block directories and prints widening, causes and time.
//!
//! `cargo run --release -p lanes-analyzer --example survey -- ../shared/mainnet/*`
//!
//! Environment: `REPEAT=n` analyses each block n times (for profiling); `TX=i` prints
//! transaction i's prediction against the pre-block state, `BLOCKTX=i` its prediction within
//! the block.

use lanes_analyzer::{BlockInput, Limits, analyze_block};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    let (mut txs, mut widened, mut total) = (0usize, 0usize, 0f64);
    for dir in std::env::args().skip(1) {
        let Ok(input) = BlockInput::load(&dir) else {
            continue;
        };
        if let Ok(i) = std::env::var("BLOCKTX") {
            let i: usize = i.parse().unwrap_or_default();
            let p = analyze_block(&input, &Limits::default());
            println!("{:#?}", p[i]);
            continue;
        }
        if let Ok(i) = std::env::var("TX") {
            let i: usize = i.parse().unwrap_or_default();
            let env = lanes_analyzer::BlockEnv::from_input(&input);
            let tx = &input.transactions()[i];
            let p = lanes_analyzer::analyze_tx(tx, &env, &input.prestate, &Limits::default());
            println!("{p:#?}");
            continue;
        }
        let repeat: usize = std::env::var("REPEAT")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        let start = Instant::now();
        let mut predictions = analyze_block(&input, &Limits::default());
        for _ in 1..repeat {
            predictions = analyze_block(&input, &Limits::default());
        }
        let secs = start.elapsed().as_secs_f64();
        total += secs;
        let w = predictions.iter().filter(|p| p.is_widened()).count();
        println!(
            "{:>9} txs {:>5} widened {:>4} time {:.3}s",
            input.number(),
            predictions.len(),
            w,
            secs
        );
        txs += predictions.len();
        widened += w;
        for p in &predictions {
            for w in p.widened.iter().filter(|w| w.scope.is_coarse()) {
                let cause = w.reason.split(" at pc").next().unwrap_or_default();
                *causes.entry(format!("{cause} [{}]", w.reason)).or_default() += 1;
            }
        }
    }
    println!("txs {txs} widened {widened} time {total:.3}s");
    let mut sorted: Vec<_> = causes.into_iter().collect();
    sorted.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    for (cause, n) in sorted.iter().take(40) {
        println!("{n:>6} {cause}");
    }
}

//! Blocks of the project's corpus (mined on anvil): independent token transfers, swaps on one
//! hot pair, and the realistic mix.

use crate::stages;
use criterion::Criterion;
use lanes_analyzer::BlockInput;
use std::path::Path;

const BLOCKS: [&str; 3] = ["erc20-transfers", "amm-swaps", "mixed"];

fn corpus(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/blocks");
    for name in BLOCKS {
        let input = BlockInput::load(root.join(name)).expect("corpus blocks load");
        stages::block(c, name, &input);
    }
}

criterion::criterion_group! {
    name = benches;
    config = stages::config();
    targets = corpus
}

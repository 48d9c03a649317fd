//! The analyzer's integration tests, one binary: hand-assembled and compiled bytecode, real
//! mainnet blocks, adversarial contracts and a fuzz target.

mod adversarial;
mod block;
mod calls;
mod common;
mod mainnet;
mod solidity;
mod storage;
mod transfers;

//! Results of pure functions the analyses of one block share: keccak256 of short preimages
//! (mapping slots are hashed again by every transaction, path and re-analysis that touches
//! them) and precompile calls (ECRECOVER is costly).

use alloy_primitives::map::HashMap;
use alloy_primitives::{Address, Bytes, U256, keccak256};
use std::sync::{Mutex, PoisonError};

/// Longest preimage kept (two words and a little more).
const MAX_PREIMAGE: usize = 96;

/// A precompile call's result: success, the gas it charged, and output.
pub(crate) type Called = Option<(bool, u64, Bytes)>;

/// Precompile calls by target and input.
type Calls = HashMap<(Address, Box<[u8]>), Called>;

/// Shared results, safe to use from every thread analysing the block.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    hashes: Mutex<HashMap<Box<[u8]>, U256>>,
    calls: Mutex<Calls>,
}

impl Memo {
    /// keccak256 of `preimage`.
    pub(crate) fn keccak(&self, preimage: &[u8]) -> U256 {
        if preimage.len() > MAX_PREIMAGE {
            return U256::from_be_bytes(keccak256(preimage).0);
        }
        let hashes = self.hashes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hash) = hashes.get(preimage) {
            return *hash;
        }
        drop(hashes);
        let hash = U256::from_be_bytes(keccak256(preimage).0);
        self.hashes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(preimage.into(), hash);
        hash
    }

    /// The result of calling precompile `target` with `input`, computed by `run` the first
    /// time.
    pub(crate) fn call(
        &self,
        target: Address,
        input: &[u8],
        run: impl FnOnce() -> Called,
    ) -> Called {
        let key = (target, Box::<[u8]>::from(input));
        if let Some(called) = self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return called.clone();
        }
        let called = run();
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, called.clone());
        called
    }
}

//! The analyzer's budgets, in one place. A path cut by a budget widens the prediction (with a
//! reason naming the budget); it is never dropped.

/// Budgets that bound the analysis of one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Opcodes interpreted per transaction, over all paths (default 3,000,000: a 30M-gas
    /// transaction of cheap opcodes runs about 10M steps; real ones far fewer).
    pub steps: u64,
    /// Paths explored per transaction: a branch on an unknown condition forks the path
    /// (default 32: over the mainnet blocks from Byzantium on, 64 leave 5 of 12,326
    /// transactions less widened and cost 5% more instructions, spent on paths cut anyway).
    pub paths: usize,
    /// Nested calls followed (default 24; the EVM's own limit is 1024).
    pub call_depth: usize,
    /// Highest memory offset (in bytes) a frame may touch, and the most memory (over all its
    /// frames) a path may hold when it forks (default 2 MiB: expanding memory to 2 MiB costs
    /// about 8.6M gas, to 4 MiB more than a 30M-gas block). So a path holds at most
    /// `call_depth * memory_bytes` and a forked one `memory_bytes`.
    pub memory_bytes: usize,
    /// Forks one path may take at the same branch before it is cut: bounds loops whose exit
    /// depends on an unknown value (default 4).
    pub loop_forks: u32,
    /// Bytes of return data kept from a followed call (default 1 MiB).
    pub return_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            steps: 3_000_000,
            paths: 32,
            call_depth: 24,
            memory_bytes: 2 << 20,
            loop_forks: 4,
            return_bytes: 1 << 20,
        }
    }
}

//! Helpers shared by the analyzer's integration tests.

use std::path::PathBuf;

/// The shared mainnet block directory, or `None` (with a printed note) when it is absent.
pub(crate) fn mainnet_dir(block: u64) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/mainnet")
        .join(block.to_string());
    let dir = if dir.exists() {
        dir
    } else {
        PathBuf::from("/work/shared/mainnet").join(block.to_string())
    };
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!("note: {} absent, mainnet test skipped", dir.display());
        None
    }
}

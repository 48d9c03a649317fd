//! lanes-scheduler: conflict graph, ordered batches, metrics and the parallel runtime.

/// What a transaction really read, wrote and incremented.
pub mod record;

pub use record::{ActualAccess, Recorder};

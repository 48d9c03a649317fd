//! lanes-scheduler: conflict graph, ordered batches, metrics and the parallel runtime.

/// Prediction quality: coverage, precision, widening, causes.
pub mod quality;
/// What a transaction really read, wrote and incremented.
pub mod record;

pub use quality::{BlockQuality, Quality, TxQuality};
pub use record::{ActualAccess, Recorder};

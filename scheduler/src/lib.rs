//! lanes-scheduler: conflict graph, ordered batches, metrics and the parallel runtime.

/// EIP-7928 block access lists: actual, predicted, graded.
pub mod bal;
/// Conflict-free batches in block order.
pub mod batches;
/// Sequential block execution on revm, receipts and header checks (the ground truth).
pub mod exec;
/// The conflict DAG of a block's transactions.
pub mod graph;
/// Critical path and parallelism.
pub mod metrics;
/// The entry point: `plan`.
pub mod plan;
/// Prediction quality: coverage, precision, widening, causes.
pub mod quality;
/// What a transaction really read, wrote and incremented.
pub mod record;
/// Schedule reports: explanations and renderings.
pub mod report;
/// The parallel runtime: speculative execution, validation, ordered commit.
pub mod runtime;
/// Simulated makespans on k workers.
pub mod simulate;
#[cfg(test)]
mod testgen;
/// Generated benchmark blocks over the project's own contracts.
pub mod workload;

pub use batches::Batches;
pub use exec::{
    BlockContext, BlockOutcome, ExecError, HeaderCheck, PostState, check_header,
    execute_sequential, execute_sequential_with,
};
pub use graph::{Accesses, Cause, ConflictClass, ConflictGraph, Dependency, Target};
pub use metrics::CriticalPath;
pub use plan::{Plan, PlanError, parallelism_ratio, plan};
pub use quality::{BlockQuality, Quality, TxQuality};
pub use record::{ActualAccess, Recorder};
pub use report::{BlockReport, BlockSchedule, GraphKind, ParallelismSummary, ReportInput, TxInfo};
pub use simulate::{Schedule, Slot, WORKERS};
pub use workload::{Workload, WorkloadError, WorkloadKind};

//! lanes-scheduler: conflict graph, ordered batches, metrics and the parallel runtime.

//! The `lanes` command line.
fn main() {}

//! Benchmark corpus generation shared by the criterion benches.

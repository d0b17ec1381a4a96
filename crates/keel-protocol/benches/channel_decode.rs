//! Channel decode throughput: written once the batch and compression modules land.

fn main() {}

//! Implementations of the driver's source traits.

pub mod in_process;
pub mod in_process_l1;
pub mod rpc;

//! TODO(issue 2): batches — being written.

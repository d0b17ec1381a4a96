//! TODO(issue 2): deposit — being written.

//! TODO(issue 2): channel — being written.

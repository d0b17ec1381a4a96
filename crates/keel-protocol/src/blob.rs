//! TODO(issue 2): blob — being written.

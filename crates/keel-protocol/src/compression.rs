//! TODO(issue 2): compression — being written.

//! TODO(issue 2): frame — being written.

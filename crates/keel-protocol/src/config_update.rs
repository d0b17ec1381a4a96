//! TODO(issue 2): config_update — being written.

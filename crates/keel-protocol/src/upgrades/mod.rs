//! TODO(issue 2): upgrades — being written.

//! TODO(issue 2): presets — being written.

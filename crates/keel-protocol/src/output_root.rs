//! TODO(issue 2): output_root — being written.

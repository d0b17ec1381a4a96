//! TODO(issue 2): l1_info — being written.

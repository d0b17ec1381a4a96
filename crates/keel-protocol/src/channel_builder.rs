//! TODO(issue 2): channel_builder — being written.

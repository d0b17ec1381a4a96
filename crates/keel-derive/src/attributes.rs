//! TODO: the payload-attributes builder.

//! TODO: the narrow L2 chain view the pipeline needs.

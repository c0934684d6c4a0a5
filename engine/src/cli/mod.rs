//! The `ferry` command line (being written).

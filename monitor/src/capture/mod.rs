//! Capture sources. Being written.

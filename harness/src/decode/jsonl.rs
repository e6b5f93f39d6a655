//! JSON lines output.

//! MRT archives (RFC 6396). Being written.

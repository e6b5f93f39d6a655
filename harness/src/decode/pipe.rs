//! `bgpdump -m` compatible pipe output. Being written.

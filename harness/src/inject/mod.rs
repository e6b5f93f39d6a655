//! `bgpstorm inject`.

//! `bgpstorm decode`: MRT and pcap files to text.

pub mod pipe;

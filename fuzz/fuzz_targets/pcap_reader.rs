//! Capture input. Byte 0 even: a pcap/pcapng file (optionally gzip) read from memory to the
//! end. Byte 0 odd: one frame of the link type picked by byte 1, straight to the frame parser
//! (so the link, IP and TCP header parsers are reached without a valid file header).

#![no_main]

use bgpstorm_monitor::capture::{LinkType, PcapSource, parse_frame};
use libfuzzer_sys::fuzz_target;

/// The link types the parser knows (tcpdump.org LINKTYPE_ numbers) and one it does not.
const LINK_TYPES: [u32; 14] = [0, 1, 9, 50, 101, 12, 14, 104, 108, 113, 178, 228, 229, 276];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode & 1 == 1 {
        let Some((&link, frame)) = rest.split_first() else { return };
        let link = LinkType::from_number(LINK_TYPES[link as usize % LINK_TYPES.len()]);
        let _ = parse_frame(link, frame);
        return;
    }
    let Ok(source) = PcapSource::from_reader("fuzz", std::io::Cursor::new(rest.to_vec())) else {
        return;
    };
    for event in source {
        let _ = event;
    }
});

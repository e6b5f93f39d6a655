//! An MRT archive (plain, gzip or bzip2, recognized by content) read from memory to the end:
//! every record parsed, errors included.

#![no_main]

use bgpstorm_wire::mrt::MrtReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = MrtReader::new(std::io::Cursor::new(data.to_vec())) else { return };
    for record in reader {
        let _ = record;
    }
});

//! Compiles the C eBPF programs in bpf/ with clang `-target bpf -g -O2` (DESIGN.md) into
//! OUT_DIR, where src/lib.rs embeds them.

use std::env;
use std::path::PathBuf;
use std::process::Command;

const SOURCES: &[&str] = &["bgp_capture"];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let clang = env::var("BGPSTORM_CLANG").unwrap_or_else(|_| "clang".to_owned());
    println!("cargo:rerun-if-env-changed=BGPSTORM_CLANG");
    println!("cargo:rerun-if-changed=bpf/bgp_capture.h");
    for name in SOURCES {
        let src = format!("bpf/{name}.bpf.c");
        println!("cargo:rerun-if-changed={src}");
        let obj = out.join(format!("{name}.bpf.o"));
        let status = Command::new(&clang)
            .args(["-target", "bpf", "-g", "-O2", "-Wall", "-Werror"])
            // libbpf-dev's <bpf/bpf_helpers.h>; <asm/types.h> lives in the multiarch dir.
            .args(["-I/usr/include", "-I/usr/include/x86_64-linux-gnu", "-Ibpf"])
            .arg("-c")
            .arg(&src)
            .arg("-o")
            .arg(&obj)
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => fail(&format!("{clang} failed ({s}) compiling {src}; see its errors above")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail(&format!(
                "`{clang}` not found: the eBPF programs need clang with the BPF target and \
                 libbpf-dev's headers; run `bash ci/setup` (installs clang, llvm, libbpf-dev, \
                 bpftool), or set BGPSTORM_CLANG to a clang binary"
            )),
            Err(e) => fail(&format!("cannot run `{clang}`: {e}; run `bash ci/setup`")),
        }
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: bgpstorm-ebpf: {msg}");
    std::process::exit(1);
}

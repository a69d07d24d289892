//! Generates Rust from `v1/*.proto` with the vendored `protoc` (nothing to install).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=v1");
    prost_build::Config::new()
        .protoc_executable(protoc_bin_vendored::protoc_bin_path()?)
        .compile_protos(&["v1/lp.proto"], &["v1"])?;
    Ok(())
}

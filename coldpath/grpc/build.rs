//! Generates the gRPC messages, servers and clients of `proto/v1` (and the internal `proto/internal/v1`) with the vendored `protoc`,
//! and the file descriptor set that server reflection serves.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=../../proto/v1");
    println!("cargo:rerun-if-changed=../../proto/internal/v1");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("orion_v1_descriptor.bin"))
        .compile_with_config(
            config,
            &[
                "../../proto/v1/common.proto",
                "../../proto/v1/marketdata.proto",
                "../../proto/v1/orders.proto",
                "../../proto/v1/rfq.proto",
                "../../proto/v1/execution.proto",
                "../../proto/v1/posttrade.proto",
                "../../proto/v1/admin.proto",
            ],
            &["../../proto/v1"],
        )?;
    // The link between Orion's own processes: generated apart, never in the public descriptors.
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure().compile_with_config(
        config,
        &["../../proto/internal/v1/link.proto"],
        &["../../proto/internal/v1"],
    )?;
    Ok(())
}

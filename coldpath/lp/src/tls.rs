//! The gateway's TLS identity. In development a self-signed certificate for `localhost` is
//! generated once into the data dir (`lp-gateway.crt.der`, `lp-gateway.key.der`) and LP bots trust
//! exactly that certificate; in production point `--quic-cert`/`--quic-key` (`ORION_QUIC_CERT`,
//! `ORION_QUIC_KEY`, DER files) at real ones.

use std::path::Path;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate chain and its key.
pub struct Identity {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The key.
    pub key: PrivateKeyDer<'static>,
}

/// Loads `configured` (certificate, PKCS#8 key; DER) when given, else the data dir's development
/// identity (created once).
pub fn load_or_create(
    data_dir: &Path,
    configured: Option<(&Path, &Path)>,
) -> anyhow::Result<Identity> {
    let (cert_path, key_path) = match configured {
        Some((cert, key)) => (cert.to_path_buf(), key.to_path_buf()),
        None => (
            data_dir.join("lp-gateway.crt.der"),
            data_dir.join("lp-gateway.key.der"),
        ),
    };
    if configured.is_none() && !(cert_path.exists() && key_path.exists()) {
        let generated =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])?;
        std::fs::write(&cert_path, generated.cert.der())?;
        std::fs::write(&key_path, generated.signing_key.serialize_der())?;
    }
    let cert = CertificateDer::from(std::fs::read(&cert_path)?);
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(std::fs::read(&key_path)?));
    Ok(Identity {
        chain: vec![cert],
        key,
    })
}

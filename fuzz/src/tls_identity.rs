//! `tls_identity`: the compiled TLS identity (`xenolith_tls::Identity::from_compiled`: its
//! header, lengths and checksum, then the key and certificate checks), which may arrive as an
//! untrusted boot module.
//!
//! Input: one mode byte, then the blob. Mode bit 0 sets the blob's `total_len` and bit 1 its
//! checksum before parsing (see [`crate::fix_blob_header`]). Property: a blob that loads is
//! written back identically by `to_compiled`.

use xenolith_tls::Identity;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&mode, blob)) = data.split_first() else {
        return;
    };
    let mut blob = blob.to_vec();
    crate::fix_blob_header(&mut blob, mode & 1 != 0, mode & 2 != 0);
    if let Ok(identity) = Identity::from_compiled(&blob) {
        assert_eq!(
            identity.to_compiled(),
            blob,
            "a loaded identity is not written back as it was read"
        );
        assert!(!identity.chain().is_empty());
    }
}

/// The https app's identity (its certificate and key, compiled), exact and with the header
/// left for the harness to fix.
#[cfg(feature = "seeds")]
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let app = crate::repository().join("apps/https");
    let manifest = xenolith_manifest::Manifest::read(&app.join("Unikernel.toml"))
        .expect("the https manifest reads");
    let (cert, key) = manifest
        .tls_identity()
        .expect("the https manifest names its files");
    let blob = tls_keygen::compile_pem_files(&cert, &key).expect("the https identity compiles");
    vec![
        ("https-identity".into(), [&[0][..], &blob[..]].concat()),
        (
            "https-identity-fixed".into(),
            [&[3][..], &blob[..]].concat(),
        ),
    ]
}

#[cfg(all(test, feature = "seeds"))]
mod tests {
    use super::*;

    /// The seeds reach the round trip: they load.
    #[test]
    fn seeds_load() {
        for (name, input) in seeds() {
            let mut blob = input[1..].to_vec();
            crate::fix_blob_header(&mut blob, input[0] & 1 != 0, input[0] & 2 != 0);
            assert!(Identity::from_compiled(&blob).is_ok(), "{name}");
        }
    }
}

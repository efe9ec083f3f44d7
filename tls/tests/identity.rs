//! The certificate/key check and the compiled identity format: good pairs load, mismatched or
//! unsupported keys and damaged blobs are refused with the right error.

use xenolith_tls::identity::{HEADER_LEN, checksum};
use xenolith_tls::{Error, Identity};

const P256_CERT: &[u8] = include_bytes!("data/p256-cert.der");
const P256_KEY: &[u8] = include_bytes!("data/p256-key.der");
const P256_KEY_SEC1: &[u8] = include_bytes!("data/p256-key.sec1.der");
const OTHER_P256_KEY: &[u8] = include_bytes!("data/other-p256-key.der");
const ED25519_CERT: &[u8] = include_bytes!("data/ed25519-cert.der");
const ED25519_KEY: &[u8] = include_bytes!("data/ed25519-key.der");
const RSA_KEY: &[u8] = include_bytes!("data/rsa-key.der");

fn identity(cert: &[u8], key: &[u8]) -> Result<Identity, Error> {
    Identity::from_der(vec![cert.to_vec()], key.to_vec())
}

#[test]
fn matching_pairs_load() {
    identity(P256_CERT, P256_KEY).unwrap();
    identity(P256_CERT, P256_KEY_SEC1).unwrap();
    #[cfg(feature = "ed25519")]
    identity(ED25519_CERT, ED25519_KEY).unwrap();
}

#[cfg(not(feature = "ed25519"))]
#[test]
fn ed25519_keys_need_the_feature() {
    let error = identity(ED25519_CERT, ED25519_KEY).unwrap_err();
    assert!(matches!(error, Error::UnsupportedKey(_)), "{error:?}");
}

#[test]
fn a_key_of_another_certificate_is_a_mismatch() {
    let mut pairs = vec![(P256_CERT, OTHER_P256_KEY)];
    if cfg!(feature = "ed25519") {
        pairs.extend([(P256_CERT, ED25519_KEY), (ED25519_CERT, P256_KEY)]);
    }
    for (cert, key) in pairs {
        let error = identity(cert, key).unwrap_err();
        assert!(matches!(error, Error::KeyMismatch), "{error:?}");
        assert!(
            error
                .to_string()
                .contains("does not belong to the certificate")
        );
    }
}

#[test]
fn unsupported_and_broken_inputs_are_refused() {
    assert!(matches!(
        identity(P256_CERT, RSA_KEY),
        Err(Error::UnsupportedKey(_))
    ));
    assert!(matches!(
        identity(P256_CERT, b"not a key"),
        Err(Error::UnsupportedKey(_))
    ));
    assert!(matches!(
        identity(&P256_CERT[..100], P256_KEY),
        Err(Error::BadCertificate(_))
    ));
    assert!(matches!(
        identity(b"junk", P256_KEY),
        Err(Error::BadCertificate(_))
    ));
    assert!(matches!(
        Identity::from_der(Vec::new(), P256_KEY.to_vec()),
        Err(Error::NoCertificate)
    ));
}

#[test]
fn compiled_form_round_trips() {
    let original = Identity::from_der(
        vec![P256_CERT.to_vec(), ED25519_CERT.to_vec()],
        P256_KEY.to_vec(),
    )
    .unwrap();
    let blob = original.to_compiled();
    assert_eq!(&blob[..4], b"XTLS");
    let loaded = Identity::from_compiled(&blob).unwrap();
    assert_eq!(loaded.chain(), original.chain());
    assert_eq!(loaded.to_compiled(), blob);
}

#[test]
fn damaged_compiled_forms_are_refused() {
    let blob = identity(P256_CERT, P256_KEY).unwrap().to_compiled();
    // Every truncation.
    for len in 0..blob.len() {
        assert!(matches!(
            Identity::from_compiled(&blob[..len]),
            Err(Error::BadIdentity(_))
        ));
    }
    // A flipped bit anywhere: the header checks or the checksum catch it.
    for at in 0..blob.len() {
        let mut bad = blob.clone();
        bad[at] ^= 0x10;
        assert!(
            Identity::from_compiled(&bad).is_err(),
            "flip at {at} accepted"
        );
    }
    // Trailing octets.
    let mut long = blob.clone();
    long.push(0);
    assert!(matches!(
        Identity::from_compiled(&long),
        Err(Error::BadIdentity(_))
    ));
    // A consistent header and checksum around lengths that lie.
    let mut lying = blob.clone();
    lying[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let sum = checksum(&lying[HEADER_LEN..]);
    lying[12..16].copy_from_slice(&sum.to_be_bytes());
    assert!(matches!(
        Identity::from_compiled(&lying),
        Err(Error::BadIdentity(_))
    ));
    // A well-formed blob holding a mismatched pair.
    let mut swapped = identity(P256_CERT, P256_KEY).unwrap().to_compiled();
    // Rebuild by hand: another key, the first certificate.
    let key = OTHER_P256_KEY;
    let mut body = Vec::new();
    body.extend_from_slice(&(key.len() as u32).to_be_bytes());
    body.extend_from_slice(key);
    body.extend_from_slice(&(P256_CERT.len() as u32).to_be_bytes());
    body.extend_from_slice(P256_CERT);
    swapped.truncate(HEADER_LEN);
    swapped[8..12].copy_from_slice(&((HEADER_LEN + body.len()) as u32).to_be_bytes());
    swapped[12..16].copy_from_slice(&checksum(&body).to_be_bytes());
    swapped.extend_from_slice(&body);
    assert!(matches!(
        Identity::from_compiled(&swapped),
        Err(Error::KeyMismatch)
    ));
}

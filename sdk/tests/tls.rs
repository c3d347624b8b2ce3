//! TLS: a server with a certificate from an unknown CA is rejected by default, accepted when
//! that CA is configured (or, for that client only, with verify_ssl = false).
mod common;

use std::sync::Arc;

use looker_sdk::reqwest::Method;
use looker_sdk::{Error, LookerSdk};
use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

/// Starts an HTTPS server on 127.0.0.1 answering every request with `{"tls":true}`;
/// returns (base URL, CA certificate PEM).
async fn tls_server() -> (String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Distinct subject names: OpenSSL (native-tls) treats issuer == subject as self-signed.
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "looker-sdk test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    leaf_params.distinguished_name = DistinguishedName::new();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();

    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return; // client rejected our certificate
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = br#"{"tls":true}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(body).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://127.0.0.1:{}", addr.port()), ca.pem())
}

fn builder(base: &str) -> looker_sdk::LookerSdkBuilder {
    LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(base)
        .access_token("t")
        .proxy("none")
        .retry(common::fast_retry())
}

#[tokio::test]
async fn self_signed_rejected_by_default_accepted_with_ca() {
    let (base, ca_pem) = tls_server().await;

    let strict = builder(&base).build().unwrap();
    assert!(strict.settings().verify_ssl());
    let err = strict
        .request(Method::GET, "/user")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");

    let with_ca = builder(&base).ca_cert_pem(ca_pem.clone()).build().unwrap();
    let v: serde_json::Value = with_ca.get_json("/user").await.unwrap();
    assert_eq!(v["tls"], true);

    // The CA from a file, as LOOKERSDK_CA_CERT_FILE / ca_cert_file would give it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, &ca_pem).unwrap();
    let from_file = builder(&base).ca_cert_file(&path).build().unwrap();
    let v: serde_json::Value = from_file.get_json("/user").await.unwrap();
    assert_eq!(v["tls"], true);

    // verify_ssl = false affects that client only: the strict client still rejects.
    let lax = builder(&base).verify_ssl(false).build().unwrap();
    let v: serde_json::Value = lax.get_json("/user").await.unwrap();
    assert_eq!(v["tls"], true);
    assert!(strict.request(Method::GET, "/user").send().await.is_err());
}

#[test]
fn invalid_ca_is_a_config_error() {
    let err = builder("https://127.0.0.1:1")
        .ca_cert_pem("not a pem")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
}

//! Webhooks: each notice's JSON POSTed to the customer's URL, with `Idempotency-Key` (the notice
//! id, the same on every attempt) and `X-Patchplan-Signature-256: sha256=HEX`, the HMAC-SHA256
//! of the exact body under the customer's shared secret, as GitHub signs its webhooks. Redirects
//! are not followed (a POST must not turn into a GET somewhere else).

use hmac::{Hmac, KeyInit, Mac};
use reqwest::blocking::Client;
use sha2::Sha256;

use super::Failure;

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "X-Patchplan-Signature-256";

/// `sha256=HEX`: the HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex = crate::digest::hex(&digest);
    format!("sha256={hex}")
}

/// The HTTP client of a `send` run.
pub fn client(timeout: std::time::Duration) -> Result<Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .user_agent(concat!("patchplan/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot set up HTTP: {e}"))
}

/// POSTs `body` to `url`. 2xx is delivered; 408, 429 and 5xx may pass on a later attempt; any
/// other answer is permanent.
pub fn post(
    client: &Client,
    url: &str,
    secret: &str,
    key: &str,
    body: &str,
) -> Result<(), Failure> {
    let response = client
        .post(url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .header(
            SIGNATURE_HEADER,
            signature(secret.as_bytes(), body.as_bytes()),
        )
        .body(body.to_string())
        .send();
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            let what = if e.is_timeout() {
                "timed out"
            } else {
                "failed"
            };
            return Err(Failure {
                error: super::one_line(&format!("HTTP: {what}: {}", error_chain(&e))),
                permanent: false,
                connection: true,
            });
        }
    };
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let code = status.as_u16();
    let permanent = !(code == 408 || code == 429 || status.is_server_error());
    let hint = if status.is_redirection() {
        " (redirects are not followed: put the final URL in the inventory)"
    } else {
        ""
    };
    Err(Failure {
        error: super::one_line(&format!("HTTP {status}{hint}")),
        permanent,
        connection: false,
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    #[test]
    fn signature_matches_rfc_4231() {
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

//! Early refusal of internal token endpoints. Behind the server, whoever holds an admin
//! key chooses `token_endpoint`, and the server then POSTs to it: an address inside the
//! network must not be reachable that way. The real guard is at connect time
//! ([`HttpRefresher::public_only`](crate::HttpRefresher::public_only), on the addresses
//! actually connected to); this check answers 400 at create time when the URL itself
//! already names an internal host (an IP literal or `localhost`).

use crate::api::request::{CreateCredential, CredentialAuth, Shape};
use crate::store::refresh::is_public;

/// `Err(message)` if the credential's token endpoint names an internal host; `prefix`
/// is the credential's place in the body (`credentials[0].` or empty).
pub(crate) fn check(request: &CreateCredential, prefix: &str) -> Result<(), String> {
    let field = match request.shape {
        Shape::Auth => format!("{prefix}auth.refresh.token_endpoint"),
        Shape::Flat => format!("{prefix}refresh.token_endpoint"),
    };
    let CredentialAuth::McpOauth(tokens) = &request.auth else {
        return Ok(());
    };
    let Some(refresh) = &tokens.refresh else {
        return Ok(());
    };
    let Ok(url) = url::Url::parse(&refresh.token_endpoint) else {
        return Ok(()); // the library's own validation names what is wrong
    };
    let internal = match url.host() {
        Some(url::Host::Ipv4(ip)) => !is_public(ip.into()),
        Some(url::Host::Ipv6(ip)) => !is_public(ip.into()),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    };
    if internal {
        return Err(format!(
            "{field}: names a loopback, private or otherwise internal host, which this server \
             does not send refresh requests to (start it with --allow-private-token-endpoints \
             for local development)"
        ));
    }
    Ok(())
}

//! Signed embed URLs: `@looker/embed-sdk`'s published test vectors byte for byte, the checks
//! made before signing, the secret kept out of `Debug` and errors, and properties of
//! `verify(sign(x))` over generated inputs.

use looker_sdk::embed::{verify, Algorithm, EmbedError, EmbedSecret, SignedUrl, SignedUrlBuilder};
use looker_sdk::Error;
use proptest::prelude::*;
use serde_json::json;

/// The common inputs of the embed SDK's `tests/auth_utils.spec.ts`.
fn vector_base() -> SignedUrlBuilder {
    SignedUrl::builder("test.looker.com", "/embed/dashboards/1")
        .nonce("abc123")
        .time(1561486800)
        .external_user_id("user1")
        .permissions(["access_data", "see_looks", "see_user_dashboards"])
        .models(["powered_by", "thelook"])
        .session_length(3600)
}

fn hunter2() -> EmbedSecret {
    EmbedSecret::new("hunter2")
}

fn param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}

#[test]
fn official_vector_with_groups_attributes_and_filters() {
    let signed = vector_base()
        .group_ids([1, 2, 3])
        .external_group_id("group1")
        .user_attributes(json!({"locale": "en_US"}))
        .access_filters(json!({"powered_by": {"products.brand": "Allegra K"}}))
        .first_name("Embed Steve")
        .last_name("Krouse")
        .user_timezone("America/Los_Angeles")
        .sign(&hunter2())
        .unwrap();
    let url = signed.url();
    assert_eq!(
        param(url, "signature"),
        Some("jcMKWo4eb4Y34CV7dpC6hAgi8oM%3D"),
        "{url}"
    );
    assert!(url.starts_with("https://test.looker.com/login/embed/%2Fembed%2Fdashboards%2F1?"));
    assert_eq!(param(url, "external_user_id"), Some("%22user1%22"));
    assert_eq!(param(url, "group_ids"), Some("%5B1%2C2%2C3%5D"));
    assert_eq!(param(url, "time"), Some("1561486800"));
    assert_eq!(param(url, "nonce"), Some("%22abc123%22"));
    assert_eq!(
        param(url, "user_timezone"),
        Some("%22America%2FLos_Angeles%22")
    );
    assert_eq!(
        signed.string_to_sign(),
        "test.looker.com\n/login/embed/%2Fembed%2Fdashboards%2F1\n\"abc123\"\n1561486800\n3600\n\
         \"user1\"\n[\"access_data\",\"see_looks\",\"see_user_dashboards\"]\n[\"powered_by\",\"thelook\"]\n\
         [1,2,3]\n\"group1\"\n{\"locale\":\"en_US\"}\n{\"powered_by\":{\"products.brand\":\"Allegra K\"}}"
    );
}

#[test]
fn official_vector_without_the_optional_fields() {
    let signed = vector_base().sign(&hunter2()).unwrap();
    let url = signed.url();
    assert_eq!(
        param(url, "signature"),
        Some("RXMPyKsQerTI%2FfbPIwgoTqUsvio%3D"),
        "{url}"
    );
    assert_eq!(param(url, "access_filters"), Some("%7B%7D"));
    assert_eq!(param(url, "group_ids"), None);
}

#[test]
fn unsigned_extras_do_not_change_the_signature() {
    let with_names = vector_base()
        .first_name("Ada")
        .last_name("Lovelace")
        .user_timezone("Europe/London")
        .force_logout_login(false)
        .sign(&hunter2())
        .unwrap();
    assert_eq!(
        param(with_names.url(), "signature"),
        Some("RXMPyKsQerTI%2FfbPIwgoTqUsvio%3D")
    );
    assert_eq!(param(with_names.url(), "first_name"), Some("%22Ada%22"));
    assert_eq!(param(with_names.url(), "force_logout_login"), Some("false"));
}

/// EMBED.md's derived vector (computed with the algorithm, not published by Looker): a target
/// with a query, a space, a URL inside it, and non-ASCII user attributes.
#[test]
fn derived_vector_with_a_query_and_non_ascii_attributes() {
    let base = || {
        SignedUrl::builder(
            "test.looker.com",
            "/embed/dashboards/7?Date=1 years&embed_domain=https://app.example.com&sdk=3",
        )
        .nonce("n0nce")
        .time(1700000000)
        .external_user_id("user1")
        .permissions(["access_data", "see_user_dashboards"])
        .models(["thelook"])
        .session_length(600)
        .user_attributes(json!({"city": "Zürich"}))
    };
    let sha1 = base().sign(&hunter2()).unwrap();
    assert!(sha1.url().starts_with(
        "https://test.looker.com/login/embed/%2Fembed%2Fdashboards%2F7%3FDate%3D1%20years%26embed_domain%3Dhttps%3A%2F%2Fapp.example.com%26sdk%3D3?"
    ));
    assert_eq!(
        param(sha1.url(), "signature"),
        Some("ZwDCuPvLP0tpskWUL%2BvH1W34ymI%3D")
    );
    let sha256 = base()
        .sign(&hunter2().with_algorithm(Algorithm::HmacSha256))
        .unwrap();
    assert_eq!(
        param(sha256.url(), "signature"),
        Some("2gF49DRpfPu69Cb%2F%2Bz%2B7aVqgbBxIxd9zeRByP6omAXY%3D")
    );
    assert_eq!(
        param(sha1.url(), "user_attributes"),
        Some("%7B%22city%22%3A%22Z%C3%BCrich%22%7D")
    );
}

#[test]
fn default_nonce_and_time_are_random_and_current() {
    let a = vector_base_without_nonce().sign(&hunter2()).unwrap();
    let b = vector_base_without_nonce().sign(&hunter2()).unwrap();
    assert_ne!(a.nonce(), b.nonce());
    assert_eq!(a.nonce().len(), 16);
    assert!(a.nonce().bytes().all(|c| c.is_ascii_alphanumeric()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(a.time().abs_diff(now) <= 5, "{} vs {now}", a.time());
    verify(a.url(), &hunter2()).unwrap();
}

fn vector_base_without_nonce() -> SignedUrlBuilder {
    SignedUrl::builder("test.looker.com", "/embed/dashboards/1")
        .external_user_id("user1")
        .permissions(["access_data"])
        .models(["thelook"])
}

fn invalid_field(result: looker_sdk::Result<SignedUrl>) -> (&'static str, String) {
    match result {
        Err(Error::Embed(EmbedError::InvalidInput { field, message })) => (field, message),
        other => panic!("expected an invalid input, got {other:?}"),
    }
}

#[test]
fn checks_before_signing() {
    let s = hunter2();
    let (field, message) = invalid_field(
        SignedUrl::builder("test.looker.com", "/dashboards/1")
            .external_user_id("u")
            .permissions(["access_data"])
            .models(["m"])
            .sign(&s),
    );
    assert_eq!(field, "target");
    assert!(message.contains("/embed/"), "{message}");
    let (field, _) = invalid_field(vector_base().session_length(2_592_001).sign(&s));
    assert_eq!(field, "session_length");
    let (field, _) = invalid_field(vector_base().session_length(0).sign(&s));
    assert_eq!(field, "session_length");
    vector_base().session_length(2_592_000).sign(&s).unwrap();
    let (field, message) = invalid_field(
        SignedUrl::builder("test.looker.com", "/embed/dashboards/1")
            .external_user_id("u")
            .permissions(["access_data"])
            .sign(&s),
    );
    assert_eq!(field, "permissions");
    assert!(message.contains("group_ids"), "{message}");
    // group ids alone are enough; permissions and models are then signed as [].
    let groups = SignedUrl::builder("test.looker.com", "/embed/dashboards/1")
        .external_user_id("u")
        .group_ids(["4"])
        .sign(&s)
        .unwrap();
    assert_eq!(param(groups.url(), "models"), Some("%5B%5D"));
    let (field, _) = invalid_field(
        SignedUrl::builder("https://test.looker.com", "/embed/dashboards/1")
            .external_user_id("u")
            .group_ids(["4"])
            .sign(&s),
    );
    assert_eq!(field, "host");
    let (field, _) = invalid_field(
        SignedUrl::builder("test.looker.com", "/embed/dashboards/1")
            .group_ids(["4"])
            .sign(&s),
    );
    assert_eq!(field, "external_user_id");
    let (field, message) = invalid_field(vector_base().user_attributes(json!(["x"])).sign(&s));
    assert_eq!(field, "user_attributes");
    assert!(message.contains("an array"), "{message}");
    let (field, _) = invalid_field(vector_base().permissions(json!("access_data")).sign(&s));
    assert_eq!(field, "permissions");
}

#[test]
fn the_secret_is_never_shown() {
    let secret = EmbedSecret::new("hunter2-very-secret");
    assert!(!format!("{secret:?}").contains("hunter2"));
    let bad = vector_base().session_length(0).sign(&secret).unwrap_err();
    assert!(!format!("{bad} {bad:?}").contains("hunter2"));
    let url = vector_base().sign(&secret).unwrap();
    assert!(!format!("{url:?}").contains("hunter2"));
    let mismatch = verify(url.url(), &EmbedSecret::new("other-secret-value")).unwrap_err();
    assert!(!format!("{mismatch} {mismatch:?}").contains("secret-value"));
    assert!(matches!(
        mismatch,
        Error::Embed(EmbedError::SignatureMismatch)
    ));
}

#[test]
fn verify_reads_back_the_parameters() {
    let signed = vector_base()
        .group_ids([1, 2, 3])
        .user_timezone("America/Los_Angeles")
        .sign(&hunter2())
        .unwrap();
    let v = verify(signed.url(), &hunter2()).unwrap();
    assert_eq!(v.host(), "test.looker.com");
    assert_eq!(v.target(), "/embed/dashboards/1");
    assert_eq!(v.time(), 1561486800);
    assert_eq!(v.param("group_ids"), Some("[1,2,3]"));
    assert_eq!(v.param("user_timezone"), Some("\"America/Los_Angeles\""));
    // The same URL under SHA-256 does not verify: the algorithm is part of the secret.
    assert!(verify(
        signed.url(),
        &hunter2().with_algorithm(Algorithm::HmacSha256)
    )
    .is_err());
}

#[test]
fn verify_rejects_what_is_not_a_signed_url() {
    let s = hunter2();
    for (url, needle) in [
        ("ftp://x/login/embed/a?b=c", "https://"),
        (
            "https://test.looker.com/embed/dashboards/1?x=1",
            "/login/embed/",
        ),
        ("https://test.looker.com/login/embed/%2Fembed", "query"),
        (
            "https://test.looker.com/login/embed/%2Fembed?nonce=%22a%22",
            "time",
        ),
    ] {
        match verify(url, &s) {
            Err(Error::Embed(EmbedError::NotSignedUrl { message })) => {
                assert!(message.contains(needle), "{url}: {message}")
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    let signed = vector_base().sign(&s).unwrap();
    let twice = format!("{}&nonce=%22x%22", signed.url());
    assert!(matches!(
        verify(&twice, &s),
        Err(Error::Embed(EmbedError::NotSignedUrl { .. }))
    ));
}

// ---- properties ----

/// One generated set of inputs.
#[derive(Debug, Clone)]
struct Inputs {
    host: String,
    target: String,
    user: String,
    permissions: Vec<String>,
    models: Vec<String>,
    group_ids: Option<Vec<u32>>,
    attributes: Option<(String, String)>,
    filters: bool,
    session_length: u64,
    nonce: String,
    time: u64,
}

impl Inputs {
    fn builder(&self) -> SignedUrlBuilder {
        let mut b = SignedUrl::builder(&self.host, &self.target)
            .external_user_id(self.user.clone())
            .permissions(self.permissions.clone())
            .models(self.models.clone())
            .session_length(self.session_length)
            .nonce(self.nonce.clone())
            .time(self.time)
            .first_name("First Name");
        if let Some(g) = &self.group_ids {
            b = b.group_ids(g.clone());
        }
        if let Some((k, v)) = &self.attributes {
            b = b.user_attributes(json!({ k: v }));
        }
        if self.filters {
            b = b.access_filters(json!({"thelook": {"orders.region": "EMEA & Asia"}}));
        }
        b
    }
}

fn inputs() -> impl Strategy<Value = Inputs> {
    (
        "[a-z]{1,10}\\.looker\\.com(:[0-9]{2,5})?",
        "/embed/(dashboards|looks|explore)/[a-z0-9_]{1,8}(\\?[a-zA-Z =&%/:]{0,20})?",
        "[^\\x00-\\x1f]{1,12}",
        proptest::collection::vec("[a-z_]{1,12}", 1..4),
        proptest::collection::vec("[a-z_]{1,12}", 1..3),
        proptest::option::of(proptest::collection::vec(0u32..1000, 0..4)),
        proptest::option::of(("[a-z]{1,6}", "[^\\x00-\\x1f]{0,10}")),
        any::<bool>(),
        1u64..=2_592_000,
        "[A-Za-z0-9]{1,20}",
        0u64..4_000_000_000,
    )
        .prop_map(
            |(
                host,
                target,
                user,
                permissions,
                models,
                group_ids,
                attributes,
                filters,
                session_length,
                nonce,
                time,
            )| Inputs {
                host,
                target,
                user,
                permissions,
                models,
                group_ids,
                attributes,
                filters,
                session_length,
                nonce,
                time,
            },
        )
}

/// The URL with its query parameters in another order.
fn reorder(url: &str, seed: u64) -> String {
    let (head, query) = url.split_once('?').unwrap();
    let mut params: Vec<&str> = query.split('&').collect();
    // A deterministic shuffle from the seed (Fisher–Yates with an LCG).
    let mut state = seed | 1;
    for i in (1..params.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (state >> 33) as usize % (i + 1);
        params.swap(i, j);
    }
    format!("{head}?{}", params.join("&"))
}

/// The URL with one query parameter's value replaced.
fn replace_param(url: &str, name: &str, value: &str) -> String {
    let (head, query) = url.split_once('?').unwrap();
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((n, _)) if n == name => format!("{n}={value}"),
            _ => p.to_string(),
        })
        .collect();
    format!("{head}?{}", params.join("&"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn verify_accepts_what_sign_made(x in inputs()) {
        let secret = EmbedSecret::new("prop-secret");
        let signed = x.builder().sign(&secret).unwrap();
        let v = verify(signed.url(), &secret).unwrap();
        prop_assert_eq!(v.target(), x.target.as_str());
        prop_assert_eq!(v.host(), x.host.as_str());
        prop_assert_eq!(v.time(), x.time);
    }

    #[test]
    fn parameter_order_never_changes_the_verdict(x in inputs(), seed in any::<u64>()) {
        let secret = EmbedSecret::new("prop-secret");
        let url = x.builder().sign(&secret).unwrap().into_url();
        prop_assert!(verify(&reorder(&url, seed), &secret).is_ok());
        let tampered = replace_param(&url, "external_user_id", "%22someone-else%22");
        prop_assert!(verify(&tampered, &secret).is_err());
        prop_assert!(verify(&reorder(&tampered, seed), &secret).is_err());
    }

    #[test]
    fn any_changed_signed_field_fails(x in inputs(), which in 0usize..10) {
        let secret = EmbedSecret::new("prop-secret");
        let url = x.builder().sign(&secret).unwrap().into_url();
        let changed = match which {
            0 => replace_param(&url, "nonce", "%22other%22"),
            1 => replace_param(&url, "time", &(x.time + 1).to_string()),
            2 => replace_param(&url, "session_length", &(x.session_length % 2_592_000 + 1).to_string()),
            3 => replace_param(&url, "external_user_id", &format!("%22{}x%22", x.user.len())),
            4 => replace_param(&url, "permissions", "%5B%22admin%22%5D"),
            5 => replace_param(&url, "models", "%5B%22other_model%22%5D"),
            6 => replace_param(&url, "access_filters", "%7B%22m%22%3A%7B%7D%7D"),
            // The target in the path.
            7 => url.replacen("%2Fembed%2F", "%2Fembed%2Fx", 1),
            // The host.
            8 => url.replacen(".looker.com", ".looker.org", 1),
            // A signed field the URL did not have.
            _ => if x.group_ids.is_some() {
                replace_param(&url, "group_ids", "%5B999999%5D")
            } else {
                format!("{url}&group_ids=%5B1%5D")
            },
        };
        prop_assert_ne!(&changed, &url);
        prop_assert!(
            matches!(verify(&changed, &secret), Err(Error::Embed(EmbedError::SignatureMismatch))),
            "{} verified", changed
        );
        // Unsigned extras can change freely.
        let renamed = replace_param(&url, "first_name", "%22Other%22");
        prop_assert!(verify(&renamed, &secret).is_ok());
    }
}

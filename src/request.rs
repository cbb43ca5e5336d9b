//! The request as the signer sees it: borrowed parts, no copies.

use http::uri::Uri;

use crate::inline_vec::InlineList;

/// A streaming payload's sentinel, which stands in the canonical request for the payload
/// hash of an `aws-chunked` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamingPayload {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk signed.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: every chunk and the trailer signed.
    SignedWithTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: chunks unsigned, a trailing checksum.
    UnsignedWithTrailer,
}

impl StreamingPayload {
    /// Whether each chunk carries a signature (all but `UnsignedWithTrailer`).
    pub fn chunks_signed(self) -> bool {
        self != Self::UnsignedWithTrailer
    }

    /// Whether the body ends with trailing headers (all but `Signed`).
    pub fn has_trailer(self) -> bool {
        self != Self::Signed
    }

    /// The sentinel as it appears in the canonical request and `x-amz-content-sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signed => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            Self::SignedWithTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            Self::UnsignedWithTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        }
    }
}

/// What the signature says of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// The body itself, hashed with SHA-256 while signing.
    Bytes(&'a [u8]),
    /// The hex SHA-256 of the body, computed elsewhere (64 hex digits).
    Precomputed(&'a str),
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature.
    Unsigned,
    /// An `aws-chunked` body whose chunks carry their own signatures.
    Streaming(StreamingPayload),
}

impl Default for Payload<'_> {
    fn default() -> Self {
        Payload::Bytes(&[])
    }
}

/// The literal that stands for an unsigned payload.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// A request to sign or verify: method, path, query, headers and payload, all borrowed.
///
/// The path and query are taken as they are sent on the wire (percent-encoded or not);
/// canonicalization decides what to encode.
#[derive(Debug, Clone)]
pub struct SignableRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: InlineList<(&'a str, &'a [u8]), INLINE_HEADERS>,
    pub(crate) payload: Payload<'a>,
    /// Every header name is a lower-case token already, as `http::HeaderName` guarantees:
    /// set by `from_http`, cleared by any header added by hand.
    pub(crate) names_checked: bool,
}

/// How many headers a request holds before they move to the heap.
const INLINE_HEADERS: usize = 12;

/// What fills the unused inline header slots.
const NO_HEADER: (&str, &[u8]) = ("", b"");

impl<'a> SignableRequest<'a> {
    /// A request with the given method and request target (`/path?query`) and no headers yet.
    #[inline]
    pub fn new(method: &'a str, path_and_query: &'a str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        Self {
            method,
            path,
            query,
            headers: InlineList::new(NO_HEADER),
            payload: Payload::default(),
            names_checked: true,
        }
    }

    /// Adds a header. Repeated names are kept, in order, as HTTP allows.
    #[inline]
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.push_header(name, value.as_bytes());
        self
    }

    /// Adds a header whose value is raw bytes.
    #[inline]
    pub fn push_header(&mut self, name: &'a str, value: &'a [u8]) {
        self.headers.push((name, value));
        self.names_checked = false;
    }

    /// Sets what the signature says of the body (the hash of an empty body by default).
    #[inline]
    pub fn payload(mut self, payload: Payload<'a>) -> Self {
        self.payload = payload;
        self
    }

    /// Borrows an `http` request. The `host` header is taken from the headers, or from the
    /// URI's authority (without a default port) when the request has none, as HTTP/1.1
    /// clients send it.
    pub fn from_http<B>(request: &'a http::Request<B>, payload: Payload<'a>) -> Self {
        Self::from_http_parts(request.method(), request.uri(), request.headers(), payload)
    }

    /// [`SignableRequest::from_http`] from the request's parts.
    pub(crate) fn from_http_parts(
        method: &'a http::Method,
        uri: &'a Uri,
        header_map: &'a http::HeaderMap,
        payload: Payload<'a>,
    ) -> Self {
        let mut headers = InlineList::new(NO_HEADER);
        for (name, value) in header_map {
            headers.push((name.as_str(), value.as_bytes()));
        }
        if !header_map.contains_key(http::header::HOST) {
            if let Some(host) = host_from_uri(uri) {
                headers.push(("host", host.as_bytes()));
            }
        }
        Self {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query(),
            headers,
            payload,
            // `http::HeaderName`s are lower-case tokens, and so is `host`.
            names_checked: true,
        }
    }

    /// The method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The path, as given.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The query string without its `?`, as given.
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// The headers, in the order given.
    pub fn headers(&self) -> &[(&'a str, &'a [u8])] {
        &self.headers
    }

    /// The payload.
    pub fn payload_kind(&self) -> Payload<'a> {
        self.payload
    }
}

/// The authority as a `Host` header carries it: without user info, and without the port
/// when it is the scheme's default.
fn host_from_uri(uri: &Uri) -> Option<&str> {
    let authority = uri.authority()?.as_str();
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let default_port = match uri.scheme_str() {
        Some("http") => Some(":80"),
        Some("https") => Some(":443"),
        _ => None,
    };
    match default_port {
        Some(port) => Some(authority.strip_suffix(port).unwrap_or(authority)),
        None => Some(authority),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_names_skip_the_name_check() {
        let req = http::Request::get("https://example.com/")
            .header("X-Custom", "a")
            .body(())
            .expect("valid request");
        let borrowed = SignableRequest::from_http(&req, Payload::Unsigned);
        assert!(borrowed.names_checked);
        assert!(borrowed.headers().iter().all(|(name, _)| {
            crate::canonical::headers::is_token(name)
                && !name.bytes().any(|b| b.is_ascii_uppercase())
        }));
        let mut by_hand = SignableRequest::new("GET", "/");
        by_hand.push_header("host", b"example.com");
        assert!(!by_hand.names_checked);
        assert!(
            !SignableRequest::new("GET", "/")
                .header("Host", "x")
                .names_checked
        );
        let mut added = borrowed.clone();
        added.push_header("Bad Name", b"x");
        assert!(!added.names_checked);
    }

    #[test]
    fn host_comes_from_the_uri_without_default_port() {
        for (uri, host) in [
            ("https://example.com:443/x", "example.com"),
            ("http://example.com:80/x", "example.com"),
            ("https://example.com:8443/x", "example.com:8443"),
            ("http://example.com:443/x", "example.com:443"),
        ] {
            let req = http::Request::get(uri).body(()).expect("valid request");
            let signable = SignableRequest::from_http(&req, Payload::Unsigned);
            assert_eq!(signable.headers(), &[("host", host.as_bytes())], "{uri}");
        }
    }

    #[test]
    fn splits_path_and_query() {
        let r = SignableRequest::new("GET", "/a/b?x=1&y");
        assert_eq!((r.path(), r.query()), ("/a/b", Some("x=1&y")));
        let r = SignableRequest::new("GET", "/a");
        assert_eq!((r.path(), r.query()), ("/a", None));
    }
}

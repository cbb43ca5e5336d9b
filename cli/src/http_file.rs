//! Raw HTTP/1.1 requests in the form of the AWS signing test suite's `request.txt`, and the
//! signed request written back in the same form.

use std::fmt;
use std::ops::Range;

use sigv4::{Payload, SignableRequest};

/// A request read from text. Header lines are kept as written so that the signed request
/// can be printed back byte for byte.
#[derive(Debug)]
pub struct RawRequest {
    text: String,
    method: Range<usize>,
    target: Range<usize>,
    version: Range<usize>,
    headers: Vec<RawHeader>,
    body: Vec<u8>,
}

#[derive(Debug)]
struct RawHeader {
    name: Range<usize>,
    /// The value, with any folded continuation lines.
    value: Range<usize>,
    /// The header's lines, without the final line break.
    lines: Range<usize>,
}

/// Why a request file could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

impl RawRequest {
    /// Parses `METHOD TARGET HTTP/x.y`, header lines (`Name:value`, with continuation lines
    /// that start with a space or tab), an empty line, and the body. Lines may end in LF or
    /// CRLF. The target may hold spaces, as some suite cases do.
    pub fn parse(input: &[u8]) -> Result<Self, ParseError> {
        let (head, body) = split_head(input);
        let text = std::str::from_utf8(head)
            .map_err(|e| {
                error(
                    line_of(head, e.valid_up_to()),
                    "the request head is not UTF-8",
                )
            })?
            .to_owned();
        let mut lines = line_ranges(&text);
        let (n, first) = lines
            .next()
            .ok_or_else(|| error(1, "the request is empty"))?;
        let request_line = &text[first.clone()];
        let (method_end, version_start) = match (request_line.find(' '), request_line.rfind(' ')) {
            (Some(a), Some(b)) if a < b => (a, b + 1),
            _ => return Err(error(n, "expected `METHOD TARGET HTTP/1.1`")),
        };
        if !request_line[version_start..].starts_with("HTTP/") {
            return Err(error(n, "the request line does not end in an HTTP version"));
        }
        let method = first.start..first.start + method_end;
        let target = first.start + method_end + 1..first.start + version_start - 1;
        let version = first.start + version_start..first.end;
        if text[method.clone()].is_empty() || text[target.clone()].is_empty() {
            return Err(error(n, "expected `METHOD TARGET HTTP/1.1`"));
        }
        if !text[target.clone()].starts_with('/') {
            return Err(error(n, "the request target must start with '/'"));
        }

        let mut headers: Vec<RawHeader> = Vec::new();
        for (n, line) in lines {
            let content = &text[line.clone()];
            if content.starts_with([' ', '\t']) {
                let last = headers
                    .last_mut()
                    .ok_or_else(|| error(n, "a continuation line comes before any header"))?;
                last.value.end = line.end;
                last.lines.end = line.end;
                continue;
            }
            let colon = content
                .find(':')
                .ok_or_else(|| error(n, format!("expected `Name:value`, got {content:?}")))?;
            let name = &content[..colon];
            if name.is_empty() || !name.bytes().all(is_tchar) {
                return Err(error(n, format!("{name:?} is not a valid header name")));
            }
            headers.push(RawHeader {
                name: line.start..line.start + colon,
                value: line.start + colon + 1..line.end,
                lines: line,
            });
        }
        Ok(Self {
            text,
            method,
            target,
            version,
            headers,
            body: body.to_vec(),
        })
    }

    pub fn method(&self) -> &str {
        &self.text[self.method.clone()]
    }

    pub fn target(&self) -> &str {
        &self.text[self.target.clone()]
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| self.text[h.name.clone()].eq_ignore_ascii_case(name))
            .map(|h| self.text[h.value.clone()].trim())
    }

    /// The request as the signer sees it.
    pub fn signable<'a>(&'a self, payload: Payload<'a>) -> SignableRequest<'a> {
        self.signable_except(payload, &[])
    }

    /// The request as the signer sees it, without the headers named in `skip`.
    pub fn signable_except<'a>(
        &'a self,
        payload: Payload<'a>,
        skip: &[&str],
    ) -> SignableRequest<'a> {
        let mut request = SignableRequest::new(self.method(), self.target()).payload(payload);
        for h in &self.headers {
            let name = &self.text[h.name.clone()];
            if skip.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                continue;
            }
            request.push_header(name, self.text[h.value.clone()].as_bytes());
        }
        request
    }

    /// Writes the request with `target` as its request target and `added` headers after
    /// the original ones (an original header with the same name as an added one is left
    /// out), then an empty line and the body.
    pub fn render(&self, target: &str, added: &[(&str, &str)]) -> Vec<u8> {
        self.render_with_body(target, added, &self.body)
    }

    /// [`render`](Self::render) with another body.
    pub fn render_with_body(&self, target: &str, added: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len() + body.len() + 512);
        out.extend_from_slice(self.method().as_bytes());
        out.push(b' ');
        out.extend_from_slice(target.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.text[self.version.clone()].as_bytes());
        out.push(b'\n');
        for h in &self.headers {
            let name = &self.text[h.name.clone()];
            if added.iter().any(|(a, _)| a.eq_ignore_ascii_case(name)) {
                continue;
            }
            for line in self.text[h.lines.clone()].split('\n') {
                out.extend_from_slice(line.trim_end_matches('\r').as_bytes());
                out.push(b'\n');
            }
        }
        for (name, value) in added {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(body);
        out
    }

    /// The header lines as (name, value) pairs, values with folded lines joined by a space.
    pub fn header_pairs(&self) -> impl Iterator<Item = (&str, String)> {
        self.headers.iter().map(|h| {
            let value = self.text[h.value.clone()]
                .split('\n')
                .map(|l| l.trim())
                .collect::<Vec<_>>()
                .join(" ");
            (&self.text[h.name.clone()], value)
        })
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Splits at the first empty line; without one, everything is head.
fn split_head(input: &[u8]) -> (&[u8], &[u8]) {
    let mut at = 0;
    while at < input.len() {
        let end = input[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |p| at + p);
        let line = &input[at..end];
        if (line.is_empty() || line == b"\r") && at > 0 {
            let body_at = (end + 1).min(input.len());
            return (&input[..at], &input[body_at..]);
        }
        at = end + 1;
    }
    (input, &[])
}

/// Numbered line ranges (LF or CRLF endings, the break itself excluded).
fn line_ranges(text: &str) -> impl Iterator<Item = (usize, Range<usize>)> + '_ {
    let mut at = 0;
    let mut n = 0;
    std::iter::from_fn(move || {
        if at >= text.len() {
            return None;
        }
        let end = text[at..].find('\n').map_or(text.len(), |p| at + p);
        let start = at;
        at = end + 1;
        n += 1;
        let end = if text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        Some((n, start..end))
    })
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_suite_requests() {
        let text = "GET /example space/?a=b HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n     value3\n";
        let r = RawRequest::parse(text.as_bytes()).expect("valid");
        assert_eq!(r.method(), "GET");
        assert_eq!(r.target(), "/example space/?a=b");
        assert_eq!(
            r.header("my-header1"),
            Some("value1\n  value2\n     value3")
        );
        let out = r.render(r.target(), &[("X-Amz-Date", "20150830T123600Z")]);
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            format!("{text}X-Amz-Date:20150830T123600Z\n\n")
        );
    }

    #[test]
    fn body_follows_the_empty_line() {
        let r = RawRequest::parse(b"POST / HTTP/1.1\r\nHost:a\r\nContent-Length:3\r\n\r\nabc")
            .expect("valid");
        assert_eq!(r.body(), b"abc");
        assert_eq!(r.header("content-length"), Some("3"));
    }

    #[test]
    fn reports_the_line_of_an_error() {
        for (input, line) in [
            ("", 1),
            ("GET\n", 1),
            ("GET / FTP\n", 1),
            ("GET / HTTP/1.1\nHost:a\nno colon here\n", 3),
            (" folded\n", 1),
            ("GET / HTTP/1.1\n folded\n", 2),
            ("GET / HTTP/1.1\nBad Name:x\n", 2),
        ] {
            let err = RawRequest::parse(input.as_bytes()).expect_err(input);
            assert_eq!(err.line, line, "{input:?}: {err}");
        }
    }
}

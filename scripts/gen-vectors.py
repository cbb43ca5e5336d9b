#!/usr/bin/env python3
"""Generate sigv4's conformance vectors in test-vectors/ with botocore.

Usage (from the repository root):

    python3 -m venv .venv
    .venv/bin/pip install -r scripts/requirements.txt
    .venv/bin/python scripts/gen-vectors.py          # (re)write the generated folders
    .venv/bin/python scripts/gen-vectors.py --check  # verify, write nothing
    .venv/bin/python scripts/gen-vectors.py --check --aws-suite DIR/v4

Every generated case is signed twice:

* by botocore (SigV4Auth, S3SigV4Auth, SigV4QueryAuth, S3SigV4QueryAuth) with
  its clock frozen at the case's timestamp. The canonical request, string to
  sign and signature written to the folder are the ones botocore computed.
* by `Rules`, a small model of the canonicalization rules our crate
  implements, reading the request.txt and context.json that were just written.

The two must agree byte for byte, so a case is only written when botocore and
our rules agree on it, and the inputs on disk are exactly what was signed.
The signed-request files are composed by the model in our signer's output
format, and checked against the headers / URL botocore produced.

The `chunked-unsigned-trailer-*` cases go through a botocore S3 client
instead (`put_object` / `upload_part` with the HTTP send stubbed out), so the
request is the one botocore builds for a trailing checksum: its headers, its
STREAMING-UNSIGNED-PAYLOAD-TRAILER seed signature and its AwsChunkedWrapper
body. request.txt is that request minus what our runner adds itself; the
model must then reproduce botocore's canonical request, signature, framing
headers and encoded body byte for byte.

The hand-made `aws-docs-*` folders are never written here. They are verified:
botocore and the model must both reproduce the values AWS published.

Output is deterministic: no wall clock, no randomness, sorted JSON keys.
"""

import argparse
import base64
import contextlib
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import sys
import tempfile
import types
import urllib.parse
import zlib
from pathlib import Path
from unittest import mock

import botocore
import botocore.session
from botocore import auth as botocore_auth
from botocore import httpchecksum
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "test-vectors"
MANIFEST = "GENERATED.md"

# ---------------------------------------------------------------------------
# Credentials used by the cases (AWS's documented example keys).
# ---------------------------------------------------------------------------
SUITE_KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
S3_KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
# Session tokens with '/', '+' and '=' so the query form has to encode them.
TOKEN_A = (
    "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDEXAMPLE"
    "+TokenValue/With+Slashes/AndPadding=="
)
TOKEN_B = "FwoGZXIvYXdzEXAMPLETOKEN/2dhcmJhZ2U+c2Vzc2lvbg=="

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
S3_HOST = "examplebucket.s3.amazonaws.com"


def case(name, family, forms, method, target, headers, body=b"", **kw):
    """Describe one generated case.

    family: "s3" (S3SigV4Auth / S3SigV4QueryAuth: no normalization, single
    URI encoding, x-amz-content-sha256 signed in the header form, presigned
    payload UNSIGNED-PAYLOAD) or "sigv4" (SigV4Auth / SigV4QueryAuth).
    forms: subset of ("header", "query").
    """
    spec = {
        "name": name,
        "family": family,
        "forms": tuple(forms),
        "method": method,
        "target": target,
        "headers": list(headers),
        "body": body,
        "key": kw.pop("key", S3_KEY if family == "s3" else SUITE_KEY),
        "token": kw.pop("token", None),
        "omit_token": kw.pop("omit_token", False),
        "region": kw.pop("region", "us-east-1"),
        "service": kw.pop("service", "s3" if family == "s3" else "service"),
        "timestamp": kw.pop("timestamp", "2015-08-30T12:36:00Z"),
        "expires": kw.pop("expires", 3600),
        "unsigned_payload": kw.pop("unsigned_payload", False),
    }
    if kw:
        raise TypeError(f"{name}: unknown options {sorted(kw)}")
    for header, value in spec["headers"]:
        if header.lower() == "content-length":
            assert int(value) == len(body), f"{name}: Content-Length"
    return spec


def host(value=S3_HOST):
    return ("Host", value)


def chunked_case(name, operation, params, body=None, **kw):
    """Describe one aws-chunked case: an S3 `operation` called on a botocore
    client with `params` (Bucket, Key, ...) and `body` (None: no Body
    parameter). botocore chooses the headers, the checksum trailer and the
    framing; request.txt is derived from the request it builds.

    chunk_size: None keeps botocore's AwsChunkedWrapper default (1 MiB);
    a number patches that default (botocore's client has no setting for it,
    the wrapper takes it as an argument), to have several chunks without
    megabytes of vectors.
    """
    spec = {
        "name": name,
        "family": "s3-chunked",
        "forms": ("header",),
        "operation": operation,
        "params": dict(params),
        "body": body,
        "key": kw.pop("key", S3_KEY),
        "token": kw.pop("token", None),
        "region": kw.pop("region", "us-east-1"),
        "service": "s3",
        "timestamp": kw.pop("timestamp", "2024-05-06T07:08:09Z"),
        "expires": 3600,
        "chunk_size": kw.pop("chunk_size", None),
    }
    if kw:
        raise TypeError(f"{name}: unknown options {sorted(kw)}")
    return spec


def pattern(length):
    """`length` bytes that run through all 256 values, CR and LF included."""
    return bytes((i * 31 + (i >> 8) + 7) & 0xFF for i in range(length))


XML_COMPLETE = (
    b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>'
    b'<ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part>'
    b"</CompleteMultipartUpload>"
)
DYNAMO_BODY = (
    b'{"TableName":"Music","Key":{"Artist":{"S":"No One You Know"},'
    b'"SongTitle":{"S":"Call Me Today"}}}'
)
UPLOAD_ID = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA--"

# Inputs kept out of CASES because botocore and our rules sign them
# differently (each was tried; the self-check rejects it):
# * S3 paths with bytes that are not percent-encoded on the wire ("$", " ",
#   raw UTF-8): S3SigV4Auth signs the path exactly as given, we encode them.
# * Query strings not already in canonical form (raw space, lowercase %2f,
#   unencoded "/"): botocore's header signers sort the raw pairs without
#   re-encoding, we decode and re-encode.
# * "+" in a presigned query: botocore's query signers parse the query with
#   parse_qs, which turns "+" into a space. Repeated names in a presigned
#   query: parse_qs keeps only the first.
# * Headers botocore never signs but we do: baggage, proxy-authenticate,
#   traceparent, tracestate, trailer.
# * Header values with non-ASCII whitespace (U+00A0...): botocore's
#   str.split() collapses them, we only collapse spaces and tabs.
# * A Date header: botocore's add_auth replaces its value with its own
#   timestamp ("... -0000") and adds no X-Amz-Date; we sign it verbatim and
#   add X-Amz-Date (see the aws-docs-s3-put-object check below).
# * A body in the query form: botocore's query signers move it into the URL.
# * aws-chunked with a Content-Encoding of the caller's (put_object
#   ContentEncoding="gzip"): botocore sends and signs
#   "content-encoding:gzip,aws-chunked"; our runner replaces the header with
#   its own "aws-chunked".
# * A CRC32C (or CRC64NVME) trailer: botocore computes it only with awscrt
#   installed (botocore[crt]), which scripts/requirements.txt does not pin;
#   without it botocore raises MissingDependencyException.
CASES = [
    # --- S3, header form, signed payload ----------------------------------
    case("s3-get-object", "s3", ["header"], "GET", "/photos/2024/cat.jpg",
         [host()], timestamp="2024-05-06T07:08:09Z"),
    case("s3-get-object-space-key", "s3", ["header"], "GET",
         "/my%20folder/my%20file.txt", [host()],
         timestamp="2024-05-06T07:08:09Z"),
    case("s3-get-object-unicode-key", "s3", ["header"], "GET",
         "/%E6%97%A5%E6%9C%AC%E8%AA%9E/caf%C3%A9%20%F0%9F%93%B7.txt",
         [host()], timestamp="2024-05-06T07:08:09Z", region="ap-northeast-1",
         key=SUITE_KEY),
    case("s3-get-object-unreserved-key", "s3", ["header"], "GET",
         "/~user/file-name_v1.2.txt", [host()],
         timestamp="2024-05-06T07:08:09Z"),
    case("s3-get-object-double-slash-key", "s3", ["header"], "GET",
         "/logs//2024/./05/../06/app.log", [host()],
         timestamp="2024-05-06T07:08:09Z"),
    case("s3-put-object-plus-equals-key", "s3", ["header"], "PUT",
         "/a%2Bb%3Dc.txt",
         [host(), ("Content-Type", "text/plain"), ("Content-Length", "12")],
         body=b"Hello, S3!\r\n", timestamp="2024-05-06T07:08:09Z"),
    case("s3-put-object-reserved-chars-key", "s3", ["header"], "PUT",
         "/reports/Q1%20%24%40%2C%3B%3A%21%27%28%29%2A%26%20100%25.csv",
         [host(), ("Content-Type", "text/csv"), ("Content-Length", "15"),
          ("Expect", "100-continue")],
         body=b"month,total\n1,2", timestamp="2023-12-31T23:59:59Z",
         region="us-west-2"),
    case("s3-put-object-metadata-headers", "s3", ["header"], "PUT",
         "/notes/today.txt",
         [host(), ("Content-Type", "text/plain; charset=utf-8"),
          ("Content-Length", "5"),
          ("X-Amz-Meta-Note", " keep   only   single   spaces"),
          ("x-amz-meta-tag", "alpha"), ("X-AMZ-META-TAG", "beta"),
          ("User-Agent", "example-client/1.0"),
          ("x-amz-storage-class", "STANDARD_IA")],
         body=b"notes", timestamp="2024-02-29T12:00:00Z"),
    case("s3-put-object-empty-body", "s3", ["header"], "PUT",
         "/folder/placeholder/",
         [host(), ("Content-Length", "0")],
         timestamp="2024-05-06T07:08:09Z"),
    case("s3-delete-object", "s3", ["header"], "DELETE",
         "/archive/old%20report%20%282019%29.pdf", [host()],
         timestamp="2024-05-06T07:08:09Z"),
    case("s3-head-object", "s3", ["header"], "HEAD", "/index.html",
         [host(), ("If-None-Match", '"9b2cf535f27731c974343645a3985328"')],
         timestamp="2024-05-06T07:08:09Z"),
    case("s3-path-style-eu-west-1", "s3", ["header"], "GET",
         "/examplebucket/key%20with%20spaces.txt",
         [host("s3.eu-west-1.amazonaws.com")],
         timestamp="2024-05-06T07:08:09Z", region="eu-west-1"),
    case("s3-list-objects-v2-prefix", "s3", ["header"], "GET",
         "/?list-type=2&prefix=photos%2F2024%2F&delimiter=%2F", [host()],
         timestamp="2024-05-06T07:08:09Z"),
    case("s3-list-objects-v2-continuation", "s3", ["header"], "GET",
         "/?max-keys=100&list-type=2&start-after=caf%C3%A9&continuation-token="
         "1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D",
         [host()], timestamp="2024-05-06T07:08:09Z"),
    case("s3-get-object-version-and-response-params", "s3", ["header"], "GET",
         "/report.pdf?versionId=3HL4kqtJlcpXroDTDmJ%2Bro3pM0yLvaP7&"
         "response-content-disposition=attachment%3B%20filename%3D%22r.pdf%22",
         [host()], timestamp="2024-05-06T07:08:09Z"),
    case("s3-create-multipart-upload", "s3", ["header"], "POST",
         "/videos/movie.m2ts?uploads",
         [host(), ("Content-Type", "video/MP2T")],
         timestamp="2024-05-06T07:08:09Z"),
    case("s3-upload-part", "s3", ["header"], "PUT",
         f"/videos/movie.m2ts?partNumber=2&uploadId={UPLOAD_ID}",
         [host(), ("Content-Length", "13")], body=b"part two data",
         timestamp="2024-05-06T07:08:09Z"),
    case("s3-complete-multipart-upload", "s3", ["header"], "POST",
         f"/videos/movie.m2ts?uploadId={UPLOAD_ID}",
         [host(), ("Content-Type", "application/xml"),
          ("Content-Length", str(len(XML_COMPLETE)))],
         body=XML_COMPLETE, timestamp="2024-05-06T07:08:09Z"),
    # --- S3, header form, UNSIGNED-PAYLOAD --------------------------------
    case("s3-put-object-unsigned-payload", "s3", ["header"], "PUT",
         "/uploads/big%20file.bin",
         [host(), ("Content-Type", "application/octet-stream"),
          ("Content-Length", "16")],
         body=b"\x00\x01\x02\x03binary\xff\xfe\r\n\x7f\x80",
         unsigned_payload=True, timestamp="2024-05-06T07:08:09Z"),
    case("s3-get-object-unsigned-payload", "s3", ["header", "query"], "GET",
         "/shared/read%20me.txt", [host()],
         unsigned_payload=True, timestamp="2024-05-06T07:08:09Z"),
    # --- S3, presigned URLs ------------------------------------------------
    case("presign-s3-get", "s3", ["query"], "GET", "/photos/2024/cat.jpg",
         [host()], timestamp="2024-05-06T07:08:09Z"),
    case("presign-s3-get-expires-1", "s3", ["query"], "GET",
         "/my%20folder/my%20file.txt", [host()], expires=1,
         timestamp="2024-05-06T07:08:09Z"),
    case("presign-s3-get-expires-604800", "s3", ["query"], "GET",
         "/%E6%97%A5%E6%9C%AC%E8%AA%9E/caf%C3%A9.txt", [host()],
         expires=604800, timestamp="2024-02-29T23:59:59Z",
         region="eu-central-1"),
    case("presign-s3-get-response-params", "s3", ["query"], "GET",
         "/report.pdf?response-content-type=application%2Fpdf&"
         "versionId=3HL4kqtJlcpXroDTDmJ%2Bro3pM0yLvaP7",
         [host()], expires=900, timestamp="2024-05-06T07:08:09Z"),
    case("presign-s3-put", "s3", ["query"], "PUT", "/uploads/avatar.png",
         [host(), ("Content-Type", "image/png")],
         timestamp="2024-05-06T07:08:09Z"),
    case("presign-s3-upload-part", "s3", ["query"], "PUT",
         f"/videos/movie.m2ts?partNumber=3&uploadId={UPLOAD_ID}",
         [host()], expires=900, timestamp="2024-05-06T07:08:09Z"),
    # --- session tokens ----------------------------------------------------
    case("token-s3-get-object", "s3", ["header"], "GET",
         "/private/data%20set.json", [host()], token=TOKEN_A,
         timestamp="2024-05-06T07:08:09Z"),
    case("token-s3-put-object", "s3", ["header"], "PUT", "/private/new.json",
         [host(), ("Content-Type", "application/json"),
          ("Content-Length", "11")],
         body=b'{"ok":true}', token=TOKEN_B,
         timestamp="2024-05-06T07:08:09Z"),
    case("token-presign-s3-get", "s3", ["query"], "GET",
         "/private/data%20set.json", [host()], token=TOKEN_A,
         expires=3600, timestamp="2024-05-06T07:08:09Z"),
    case("token-sts-post", "sigv4", ["header"], "POST", "/",
         [host("sts.amazonaws.com"),
          ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
          ("Content-Length", "43")],
         body=b"Action=GetCallerIdentity&Version=2011-06-15",
         token=TOKEN_A, service="sts", timestamp="2024-05-06T07:08:09Z"),
    case("token-presign-sts-get-caller-identity", "sigv4", ["query"], "GET",
         "/?Action=GetCallerIdentity&Version=2011-06-15",
         [host("sts.amazonaws.com"), ("x-k8s-aws-id", "my-cluster")],
         token=TOKEN_B, service="sts", expires=60,
         timestamp="2024-05-06T07:08:09Z"),
    case("token-execute-api-get", "sigv4", ["header", "query"], "GET",
         "/prod/pets/42?type=dog&page=2",
         [host("abc123defg.execute-api.eu-west-1.amazonaws.com"),
          ("Accept", "application/json")],
         token=TOKEN_A, service="execute-api", region="eu-west-1",
         timestamp="2024-05-06T07:08:09Z"),
    case("token-dynamodb-post-json", "sigv4", ["header"], "POST", "/",
         [host("dynamodb.us-west-2.amazonaws.com"),
          ("Content-Type", "application/x-amz-json-1.0"),
          ("X-Amz-Target", "DynamoDB_20120810.GetItem"),
          ("Content-Length", str(len(DYNAMO_BODY))),
          ("User-Agent", "aws-cli/2.15.0 Python/3.11.6"),
          ("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")],
         body=DYNAMO_BODY, token=TOKEN_B, service="dynamodb",
         region="us-west-2", timestamp="2024-05-06T07:08:09Z"),
    case("token-omitted-execute-api-get", "sigv4", ["header", "query"], "GET",
         "/prod/status",
         [host("abc123defg.execute-api.us-east-1.amazonaws.com")],
         token=TOKEN_B, omit_token=True, service="execute-api",
         timestamp="2024-05-06T07:08:09Z"),
    # --- non-S3: form bodies, paths ------------------------------------------
    case("form-sqs-send-message", "sigv4", ["header"], "POST", "/",
         [host("sqs.us-east-1.amazonaws.com"),
          ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
          ("Content-Length", "137")],
         body=(b"Action=SendMessage&MessageBody=hello%20world%21&QueueUrl="
               b"https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F123456789012%2Fq1"
               b"&Version=2012-11-05"),
         service="sqs"),
    case("form-ec2-describe-instances", "sigv4", ["header"], "POST", "/",
         [host("ec2.ap-southeast-2.amazonaws.com"),
          ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
         body=(b"Action=DescribeInstances&Version=2016-11-15"
               b"&Filter.1.Name=instance-state-name&Filter.1.Value.1=running"),
         service="ec2", region="ap-southeast-2",
         timestamp="2023-12-31T23:59:59Z"),
    case("apigw-get-double-encoded-path", "sigv4", ["header", "query"], "GET",
         "/prod/items/a%20b/caf%C3%A9",
         [host("abc123defg.execute-api.us-east-1.amazonaws.com")],
         service="execute-api"),
    case("apigw-get-raw-reserved-path", "sigv4", ["header", "query"], "GET",
         "/prod/users/me@example.com/k=v;x$y:z",
         [host("abc123defg.execute-api.us-east-1.amazonaws.com")],
         service="execute-api"),
    case("apigw-get-query-encoded-sort", "sigv4", ["header", "query"], "GET",
         "/prod/search?a.b=1&a%2Fb=2&a-b=3&A=4&a=&%E2%9C%93=5",
         [host("abc123defg.execute-api.us-east-1.amazonaws.com")],
         service="execute-api"),
    case("apigw-get-normalized-path", "sigv4", ["header", "query"], "GET",
         "/prod//v1/./items/../orders/",
         [host("abc123defg.execute-api.us-east-1.amazonaws.com")],
         service="execute-api"),
    # --- S3 aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER, from botocore's
    # client (no ChecksumAlgorithm: botocore's default CRC32) ----------------
    chunked_case("chunked-unsigned-trailer-crc32-empty", "put_object",
                 {"Bucket": "examplebucket", "Key": "folder/empty.txt"}),
    chunked_case("chunked-unsigned-trailer-sha256-1-byte", "put_object",
                 {"Bucket": "examplebucket", "Key": "notes/one byte.txt",
                  "ContentType": "text/plain",
                  "Metadata": {"note": "single  byte"},
                  "ChecksumAlgorithm": "SHA256"},
                 body=b"A"),
    chunked_case("chunked-unsigned-trailer-crc32-100000-chunk-65536",
                 "put_object",
                 {"Bucket": "examplebucket", "Key": "uploads/big file.bin",
                  "ContentType": "application/octet-stream"},
                 body=pattern(100000), chunk_size=65536, region="us-west-2"),
    chunked_case("chunked-unsigned-trailer-sha1-upload-part-16384-chunk-8192",
                 "upload_part",
                 {"Bucket": "examplebucket", "Key": "videos/movie.m2ts",
                  "UploadId": UPLOAD_ID, "PartNumber": 2,
                  "ChecksumAlgorithm": "SHA1"},
                 body=pattern(16384), chunk_size=8192, token=TOKEN_A),
]

# ---------------------------------------------------------------------------
# Published values of the hand-made aws-docs-* folders. The self-check makes
# botocore and the model reproduce each of them, and the folder's file must
# hold exactly this text.
# ---------------------------------------------------------------------------
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
DOC_CASES = {
    "aws-docs-iam-list-users": {
        "header-canonical-request.txt": "\n".join([
            "GET", "/", "Action=ListUsers&Version=2010-05-08",
            "content-type:application/x-www-form-urlencoded; charset=utf-8",
            "host:iam.amazonaws.com", "x-amz-date:20150830T123600Z", "",
            "content-type;host;x-amz-date", EMPTY_SHA256]),
        "header-string-to-sign.txt": "\n".join([
            "AWS4-HMAC-SHA256", "20150830T123600Z",
            "20150830/us-east-1/iam/aws4_request",
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"]),
        "header-signature.txt":
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    },
    "aws-docs-s3-get-object": {
        "header-canonical-request.txt": "\n".join([
            "GET", "/test.txt", "", "host:examplebucket.s3.amazonaws.com",
            "range:bytes=0-9", f"x-amz-content-sha256:{EMPTY_SHA256}",
            "x-amz-date:20130524T000000Z", "",
            "host;range;x-amz-content-sha256;x-amz-date", EMPTY_SHA256]),
        "header-string-to-sign.txt": "\n".join([
            "AWS4-HMAC-SHA256", "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"]),
        "header-signature.txt":
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    },
    "aws-docs-s3-put-object": {
        "header-signature.txt":
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    },
    "aws-docs-s3-get-bucket-lifecycle": {
        "header-signature.txt":
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    },
    "aws-docs-s3-list-objects": {
        "header-signature.txt":
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    },
    "aws-docs-s3-presigned-get": {
        "query-signature.txt":
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    },
}


# ---------------------------------------------------------------------------
# Model of our crate's rules. Reads request.txt + context.json as written.
# ---------------------------------------------------------------------------
UNRESERVED = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
NEVER_SIGNED = frozenset({
    "authorization", "user-agent", "x-amzn-trace-id", "transfer-encoding",
    "connection", "expect", "keep-alive", "te", "upgrade",
    "proxy-authorization",
})
ALGORITHM = "AWS4-HMAC-SHA256"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
# The headers of an aws-chunked body. Our runner drops any request.txt has and
# writes its own (content-length is signed only with "content_length": true).
CHUNKED_FRAMING = frozenset({
    "content-encoding", "content-length", "x-amz-decoded-content-length",
    "x-amz-trailer",
})
CHECKSUMS = {
    "x-amz-checksum-crc32": lambda data: zlib.crc32(data).to_bytes(4, "big"),
    "x-amz-checksum-sha1": lambda data: hashlib.sha1(data).digest(),
    "x-amz-checksum-sha256": lambda data: hashlib.sha256(data).digest(),
}


def uri_encode(data, keep=b""):
    return "".join(chr(b) if b in UNRESERVED or b in keep else "%%%02X" % b
                   for b in data)


class Request:
    """A request.txt split into its parts (header lines kept verbatim)."""

    def __init__(self, raw):
        head, sep, body = raw.partition(b"\n\n")
        if not sep:
            head, body = raw.rstrip(b"\n"), b""
        lines = head.decode("utf-8").split("\n")
        self.request_line = lines[0]
        # The target may hold a raw space (AWS suite: get-space-*).
        self.method, rest = self.request_line.split(" ", 1)
        self.target, version = rest.rsplit(" ", 1)
        assert version == "HTTP/1.1", self.request_line
        self.header_lines = lines[1:]
        self.headers = []
        for line in self.header_lines:
            if line[:1] in (" ", "\t"):  # obsolete line folding
                name, value = self.headers.pop()
                self.headers.append((name, value + " " + line.strip(" \t")))
                continue
            name, _, value = line.partition(":")
            self.headers.append((name, value))
        self.body = body
        self.path, _, self.query = self.target.partition("?")

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name:
                return v.strip()
        return None


def remove_dot_segments(path):
    # Dot segments removed and empty segments (repeated slashes) dropped, as
    # botocore does. A trailing "/" survives only when the input ends in "/"
    # (so "/a/b/.." gives "/a", where RFC 3986 would give "/a/"; no case
    # relies on it).
    out = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
        else:
            out.append(seg)
    trailing = "/" if path.endswith("/") and out else ""
    return "/" + "/".join(out) + trailing


def query_pairs(query):
    """Decode a raw query into (name, value) byte pairs."""
    pairs = []
    for piece in query.split("&") if query else []:
        name, _, value = piece.partition("=")
        pairs.append((urllib.parse.unquote_to_bytes(name),
                      urllib.parse.unquote_to_bytes(value)))
    return pairs


def canonical_query(pairs):
    # Sorted by encoded name, then encoded value (byte order). Sorting the
    # decoded bytes gives another order when a name holds an escaped byte
    # (AWS suite get-vanilla-query-order-encoded: "%E1%88%B4" < "Param").
    encoded = sorted((uri_encode(n), uri_encode(v)) for n, v in pairs)
    return "&".join(f"{n}={v}" for n, v in encoded)


def hmac_sha256(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


class Rules:
    """Our signer's rules, applied to one case folder's inputs."""

    def __init__(self, context, request):
        self.ctx = context
        self.req = request
        creds = context["credentials"]
        self.akid = creds["access_key_id"]
        self.secret = creds["secret_access_key"]
        self.token = creds.get("token")
        self.omit_token = context.get("omit_session_token", False)
        ts = datetime.datetime.strptime(context["timestamp"],
                                        "%Y-%m-%dT%H:%M:%SZ")
        self.amz_date = ts.strftime("%Y%m%dT%H%M%SZ")
        self.date = ts.strftime("%Y%m%d")
        self.scope = "/".join([self.date, context["region"],
                               context["service"], "aws4_request"])

    def payload_hash(self):
        if "signed_body_value" in self.ctx:
            return self.ctx["signed_body_value"]
        return hashlib.sha256(self.req.body).hexdigest()

    def own_headers(self):
        """The request's (name, value) pairs and header lines; in an
        aws-chunked case without the framing headers, which the signer writes
        itself."""
        if "chunked" not in self.ctx:
            return self.req.headers, self.req.header_lines

        def keep(name):
            return name.strip().lower() not in CHUNKED_FRAMING
        return ([(n, v) for n, v in self.req.headers if keep(n)],
                [line for line in self.req.header_lines
                 if keep(line.partition(":")[0])])

    def encode_chunked(self):
        """The body as our runner encodes it (unsigned trailer mode only: the
        signed modes' chunk signatures are not modelled here)."""
        chunked = self.ctx["chunked"]
        if self.payload_hash() != STREAMING_UNSIGNED_TRAILER:
            raise NotImplementedError("only STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        size, body = chunked["chunk_size"], self.req.body
        out = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                       for part in (body[i:i + size]
                                    for i in range(0, len(body), size)))
        out += b"0\r\n"
        trailer = chunked.get("trailer")
        if trailer:
            digest = CHECKSUMS[trailer.lower()](body)
            out += f"{trailer}:{base64.b64encode(digest).decode()}\r\n".encode()
        return out + b"\r\n"

    def framing(self):
        """aws-chunked: (header lines written, headers signed, encoded body)."""
        chunked = self.ctx["chunked"]
        encoded = self.encode_chunked()
        written = [("Content-Encoding", "aws-chunked"),
                   ("Content-Length", str(len(encoded))),
                   ("X-Amz-Decoded-Content-Length", str(len(self.req.body)))]
        if chunked.get("trailer"):
            written.append(("X-Amz-Trailer", chunked["trailer"]))
        signed = [(n.lower(), v) for n, v in written
                  if n != "Content-Length" or chunked.get("content_length")]
        return written, signed, encoded

    def canonical_path(self):
        path = self.req.path or "/"
        if self.ctx["normalize"]:
            path = remove_dot_segments(path)
        raw = path.encode("utf-8")
        if self.ctx.get("double_uri_encode", True):
            return uri_encode(raw, keep=b"/")
        return uri_encode(raw, keep=b"/%")

    def signed_headers(self, extra):
        values = {}
        for name, value in self.own_headers()[0] + extra:
            lname = name.lower()
            if lname in NEVER_SIGNED:
                continue
            value = re.sub(r"[ \t]+", " ", value.strip(" \t"))
            values.setdefault(lname, []).append(value)
        names = sorted(values)
        canon = "".join(f"{n}:{','.join(values[n])}\n" for n in names)
        return canon, ";".join(names)

    def sign(self, canonical_request):
        sts = "\n".join([
            ALGORITHM, self.amz_date, self.scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
        key = hmac_sha256(("AWS4" + self.secret).encode("utf-8"), self.date)
        for part in (self.ctx["region"], self.ctx["service"], "aws4_request"):
            key = hmac_sha256(key, part)
        signature = hmac.new(key, sts.encode("utf-8"),
                             hashlib.sha256).hexdigest()
        return sts, signature

    def signed_request(self, request_line, added_lines, body=None):
        lines = [request_line] + self.own_headers()[1] + added_lines
        body = self.req.body if body is None else body
        return "\n".join(lines).encode("utf-8") + b"\n\n" + body

    def header_form(self):
        extra, added, body = [], [], None
        if "chunked" in self.ctx:
            written, signed, body = self.framing()
            extra += signed
            added += [f"{n}:{v}" for n, v in written]
        if self.token and not self.omit_token:
            extra.append(("x-amz-security-token", self.token))
        extra.append(("x-amz-date", self.amz_date))
        payload = self.payload_hash()
        if self.ctx["sign_body"]:
            extra.append(("x-amz-content-sha256", payload))
        canon_headers, signed = self.signed_headers(extra)
        cr = "\n".join([self.req.method, self.canonical_path(),
                        canonical_query(query_pairs(self.req.query)),
                        canon_headers, signed, payload])
        sts, sig = self.sign(cr)
        if self.token:
            added.append(f"X-Amz-Security-Token:{self.token}")
        added.append(f"X-Amz-Date:{self.amz_date}")
        if self.ctx["sign_body"]:
            added.append(f"x-amz-content-sha256:{payload}")
        authorization = (f"{ALGORITHM} Credential={self.akid}/{self.scope}, "
                         f"SignedHeaders={signed}, Signature={sig}")
        added.append(f"Authorization:{authorization}")
        return {
            "canonical-request": cr, "string-to-sign": sts, "signature": sig,
            "signed-request": self.signed_request(self.req.request_line, added,
                                                  body),
            "authorization": authorization,
            "added": added,
            "encoded-body": body,
        }

    def query_form(self):
        canon_headers, signed = self.signed_headers([])
        expires = str(self.ctx["expiration_in_seconds"])
        auth = [
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", f"{self.akid}/{self.scope}"),
            ("X-Amz-Date", self.amz_date),
            ("X-Amz-SignedHeaders", signed),
            ("X-Amz-Expires", expires),
        ]
        token_param = [("X-Amz-Security-Token", self.token)] if self.token else []
        signed_params = auth + ([] if self.omit_token else token_param)
        pairs = query_pairs(self.req.query) + [
            (n.encode(), v.encode()) for n, v in signed_params]
        cr = "\n".join([self.req.method, self.canonical_path(),
                        canonical_query(pairs), canon_headers, signed,
                        self.payload_hash()])
        sts, sig = self.sign(cr)
        added = auth + token_param + [("X-Amz-Signature", sig)]
        query = "&".join(f"{n}={uri_encode(v.encode())}" for n, v in added)
        if self.req.query:
            query = self.req.query + "&" + query
        line = f"{self.req.method} {self.req.path}?{query} HTTP/1.1"
        return {
            "canonical-request": cr, "string-to-sign": sts, "signature": sig,
            "signed-request": self.signed_request(line, []),
            "auth_params": dict(added),
        }


# ---------------------------------------------------------------------------
# botocore side
# ---------------------------------------------------------------------------
def capturing(signer_cls):
    """A subclass of a botocore signer that records what it computed."""

    class Capturing(signer_cls):
        def string_to_sign(self, request, canonical_request):
            self.captured_cr = canonical_request
            self.captured_sts = super().string_to_sign(request,
                                                       canonical_request)
            return self.captured_sts

        def signature(self, string_to_sign, request):
            self.captured_sig = super().signature(string_to_sign, request)
            return self.captured_sig

    Capturing.__name__ = "Capturing" + signer_cls.__name__
    return Capturing


def botocore_request(req):
    headers = HTTPHeaders()
    for name, value in req.headers:
        headers[name] = value
    url = "https://" + req.header("host") + req.target
    return AWSRequest(method=req.method, url=url, headers=headers,
                      data=req.body)


def botocore_sign(context, req, form, family, unsigned_payload):
    """Sign with botocore's own add_auth under a frozen clock."""
    creds = context["credentials"]
    token = creds.get("token")
    if context.get("omit_session_token"):
        token = None  # botocore signs without it; it is added afterwards
    credentials = Credentials(creds["access_key_id"],
                              creds["secret_access_key"], token)
    region, service = context["region"], context["service"]
    if form == "header":
        cls = botocore_auth.S3SigV4Auth if family == "s3" else \
            botocore_auth.SigV4Auth
        signer = capturing(cls)(credentials, service, region)
    else:
        cls = botocore_auth.S3SigV4QueryAuth if family == "s3" else \
            botocore_auth.SigV4QueryAuth
        signer = capturing(cls)(credentials, service, region,
                                expires=context["expiration_in_seconds"])
    request = botocore_request(req)
    if unsigned_payload:
        request.context["client_config"] = types.SimpleNamespace(
            s3={"payload_signing_enabled": False})
    now = datetime.datetime.strptime(context["timestamp"],
                                     "%Y-%m-%dT%H:%M:%SZ")
    with mock.patch.object(botocore_auth, "get_current_datetime",
                           return_value=now):
        signer.add_auth(request)
    return signer, request


def botocore_sign_preset(context, req, preset_headers):
    """Sign a request whose X-Amz-Date (and payload hash) headers are
    already set, through botocore's canonical_request / string_to_sign /
    signature methods. Used for the S3 PUT doc example: botocore's add_auth
    rewrites a Date header, which our signer (and the doc) sign verbatim."""
    creds = context["credentials"]
    credentials = Credentials(creds["access_key_id"],
                              creds["secret_access_key"], creds.get("token"))
    signer = botocore_auth.S3SigV4Auth(credentials, context["service"],
                                       context["region"])
    request = botocore_request(req)
    for name, value in preset_headers:
        request.headers[name] = value
    amz_date = dict(preset_headers)["X-Amz-Date"]
    request.context["timestamp"] = amz_date
    cr = signer.canonical_request(request)
    sts = signer.string_to_sign(request, cr)
    return cr, sts, signer.signature(sts, request)


def check_against_botocore(name, rules, form, signer, request):
    """Our model and botocore must agree on every byte we write."""
    model = rules.header_form() if form == "header" else rules.query_form()
    for label, ours, theirs in [
        ("canonical request", model["canonical-request"], signer.captured_cr),
        ("string to sign", model["string-to-sign"], signer.captured_sts),
        ("signature", model["signature"], signer.captured_sig),
    ]:
        if ours != theirs:
            raise SystemExit(f"{name} ({form}): {label} differs\n"
                             f"--- our rules\n{ours}\n--- botocore\n{theirs}")
    if form == "header":
        expected = {"Authorization": model["authorization"],
                    "X-Amz-Date": rules.amz_date}
        if rules.token and not rules.omit_token:
            expected["X-Amz-Security-Token"] = rules.token
        if rules.ctx["sign_body"]:
            expected["X-Amz-Content-SHA256"] = rules.payload_hash()
        for header, value in expected.items():
            got = request.headers.get(header)
            assert got == value, f"{name}: botocore {header}={got!r}"
    else:
        query = urllib.parse.urlsplit(request.url).query
        got = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        want = dict(model["auth_params"])
        if rules.omit_token:
            want.pop("X-Amz-Security-Token", None)
        for key, value in want.items():
            assert got.get(key) == value, f"{name}: botocore {key}={got.get(key)!r}"
    return model


# ---------------------------------------------------------------------------
# botocore side, aws-chunked: a real S3 client, the HTTP send stubbed out
# ---------------------------------------------------------------------------
# Headers of botocore's request that request.txt leaves out: the framing ones
# and the ones the signer adds (our runner writes both itself), and transport
# ones our signer never sees: Transfer-Encoding (botocore sends the aws-chunked
# bytes in HTTP chunked transfer coding, with no Content-Length; our format
# writes Content-Length instead), User-Agent (names this machine's OS) and the
# per-attempt amz-sdk-invocation-id (random) / amz-sdk-request. None of the
# transport ones is signed by botocore or by us.
CHUNKED_SIGNER_ADDED = frozenset({
    "authorization", "x-amz-date", "x-amz-content-sha256",
    "x-amz-security-token",
})
CHUNKED_TRANSPORT = frozenset({
    "transfer-encoding", "user-agent", "amz-sdk-invocation-id",
    "amz-sdk-request",
})


class _EmptyRaw:
    """The body of the stubbed response."""

    def stream(self, *args, **kwargs):
        return iter([b""])


def botocore_chunked_upload(spec):
    """Call spec's operation on a botocore S3 client, clock frozen, and
    return what it built: the prepared request (headers as str), the bytes of
    its AwsChunkedWrapper body, the wrapper's chunk size, and the canonical
    request, string to sign and signature S3SigV4Auth computed."""
    captured = {"signed": []}
    base_sts = botocore_auth.SigV4Auth.string_to_sign
    base_sig = botocore_auth.SigV4Auth.signature

    def string_to_sign(self, request, canonical_request):
        sts = base_sts(self, request, canonical_request)
        captured["signed"].append([canonical_request, sts])
        return sts

    def signature(self, string_to_sign, request):
        sig = base_sig(self, string_to_sign, request)
        captured["signed"][-1].append(sig)
        return sig

    def before_send(request, **kwargs):
        wrapper = request.body
        assert isinstance(wrapper, httpchecksum.AwsChunkedWrapper), \
            f"{spec['name']}: botocore's body is {type(wrapper).__name__}"
        captured["request"] = request
        captured["chunk_size"] = wrapper._chunk_size
        captured["encoded"] = wrapper.read()
        return AWSResponse(request.url, 200, {}, _EmptyRaw())

    akid, secret = spec["key"]
    # No config file, credentials file or AWS_* variable of this machine.
    env = {"AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true"}
    now = datetime.datetime.strptime(spec["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    params = dict(spec["params"])
    if spec["body"] is not None:
        params["Body"] = spec["body"]
    patches = [
        mock.patch.dict(os.environ, env, clear=True),
        mock.patch.object(botocore_auth, "get_current_datetime",
                          return_value=now),
        mock.patch.object(botocore_auth.S3SigV4Auth, "string_to_sign",
                          string_to_sign),
        mock.patch.object(botocore_auth.S3SigV4Auth, "signature", signature),
    ]
    if spec["chunk_size"] is not None:
        patches.append(mock.patch.object(httpchecksum.AwsChunkedWrapper,
                                         "_DEFAULT_CHUNK_SIZE",
                                         spec["chunk_size"]))
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        client = botocore.session.Session().create_client(
            "s3", region_name=spec["region"], aws_access_key_id=akid,
            aws_secret_access_key=secret, aws_session_token=spec["token"])
        client.meta.events.register("before-send", before_send)
        getattr(client, spec["operation"])(**params)
    assert len(captured["signed"]) == 1, \
        f"{spec['name']}: signed {len(captured['signed'])} times"
    request = captured["request"]
    headers = HTTPHeaders()
    for name, value in request.headers.items():
        headers[name] = value.decode("ascii") if isinstance(value, bytes) \
            else value
    cr, sts, sig = captured["signed"][0]
    return {"url": request.url, "method": request.method, "headers": headers,
            "encoded": captured["encoded"], "chunk_size": captured["chunk_size"],
            "signer": types.SimpleNamespace(captured_cr=cr, captured_sts=sts,
                                            captured_sig=sig)}


def chunked_inputs(spec, sent):
    """context.json and request.txt for the request botocore built: its
    headers minus the framing, signer-added and transport ones."""
    url = urllib.parse.urlsplit(sent["url"])
    target = url.path + (f"?{url.query}" if url.query else "")
    lines = [f"{sent['method']} {target} HTTP/1.1", f"Host:{url.netloc}"]
    for name, value in sent["headers"].items():
        lname = name.lower()
        if lname in CHUNKED_FRAMING | CHUNKED_SIGNER_ADDED | CHUNKED_TRANSPORT:
            continue
        assert lname != "host", f"{spec['name']}: botocore set Host"
        lines.append(f"{name}:{value}")
    body = spec["body"] or b""
    request = "\n".join(lines).encode("utf-8") + b"\n" + \
        (b"\n" + body if body else b"")
    akid, secret = spec["key"]
    credentials = {"access_key_id": akid, "secret_access_key": secret}
    if spec["token"]:
        credentials["token"] = spec["token"]
    context = {
        "chunked": {"chunk_size": sent["chunk_size"], "content_length": False,
                    "trailer": sent["headers"]["X-Amz-Trailer"]},
        "credentials": credentials,
        "double_uri_encode": False,
        "expiration_in_seconds": spec["expires"],
        "normalize": False,
        "region": spec["region"],
        "service": spec["service"],
        "sign_body": True,
        "signed_body_value": sent["headers"]["X-Amz-Content-SHA256"],
        "timestamp": spec["timestamp"],
    }
    return dump_json(context), request


def build_chunked_case(spec):
    """Return {filename: bytes} for one aws-chunked case."""
    name = spec["name"]
    sent = botocore_chunked_upload(spec)
    headers = sent["headers"]
    # What the runner assumes of a STREAMING-UNSIGNED-PAYLOAD-TRAILER request.
    assert headers["X-Amz-Content-SHA256"] == STREAMING_UNSIGNED_TRAILER, name
    assert headers["Content-Encoding"] == "aws-chunked", \
        f"{name}: botocore Content-Encoding={headers['Content-Encoding']!r}"
    # The transport framing our signed-request format does not copy (see
    # CHUNKED_TRANSPORT): HTTP chunked coding instead of Content-Length.
    assert "Content-Length" not in headers, f"{name}: botocore Content-Length"
    assert headers["Transfer-Encoding"] == "chunked", \
        f"{name}: botocore Transfer-Encoding={headers['Transfer-Encoding']!r}"
    files = {}
    files["context.json"], files["request.txt"] = chunked_inputs(spec, sent)
    context = json.loads(files["context.json"])
    rules = Rules(context, Request(files["request.txt"]))
    model = check_against_botocore(name, rules, "header", sent["signer"],
                                   types.SimpleNamespace(headers=headers))
    # The framing: botocore's headers and body against our runner's rules.
    written = dict(rules.framing()[0])
    for header in ("Content-Encoding", "X-Amz-Decoded-Content-Length",
                   "X-Amz-Trailer"):
        assert headers[header] == written[header], \
            f"{name}: botocore {header}={headers[header]!r}, " \
            f"ours {written[header]!r}"
    if model["encoded-body"] != sent["encoded"]:
        raise SystemExit(f"{name}: encoded body differs\n--- our rules\n"
                         f"{model['encoded-body']!r}\n--- botocore\n"
                         f"{sent['encoded']!r}")
    signer = sent["signer"]
    files["header-canonical-request.txt"] = signer.captured_cr.encode()
    files["header-string-to-sign.txt"] = signer.captured_sts.encode()
    files["header-signature.txt"] = signer.captured_sig.encode()
    # Our format, the encoded body being botocore's own bytes.
    files["header-signed-request.txt"] = rules.signed_request(
        rules.req.request_line, model["added"], sent["encoded"])
    return files


# ---------------------------------------------------------------------------
# Writing the generated folders
# ---------------------------------------------------------------------------
def context_for(spec):
    akid, secret = spec["key"]
    credentials = {"access_key_id": akid, "secret_access_key": secret}
    if spec["token"]:
        credentials["token"] = spec["token"]
    s3 = spec["family"] == "s3"
    ctx = {
        "credentials": credentials,
        "expiration_in_seconds": spec["expires"],
        "normalize": not s3,
        "region": spec["region"],
        "service": spec["service"],
        "sign_body": s3 and "header" in spec["forms"],
        "timestamp": spec["timestamp"],
    }
    if s3:
        ctx["double_uri_encode"] = False
        if spec["unsigned_payload"] or "query" in spec["forms"]:
            ctx["signed_body_value"] = UNSIGNED_PAYLOAD
    if spec["omit_token"]:
        ctx["omit_session_token"] = True
    return ctx


def request_txt(spec):
    lines = [f"{spec['method']} {spec['target']} HTTP/1.1"]
    lines += [f"{n}:{v}" for n, v in spec["headers"]]
    head = "\n".join(lines).encode("utf-8") + b"\n"
    return head + (b"\n" + spec["body"] if spec["body"] else b"")


def dump_json(obj):
    return json.dumps(obj, indent=4, sort_keys=True).encode("utf-8")


def build_case(spec):
    """Return {filename: bytes} for one generated case."""
    if spec["family"] == "s3-chunked":
        return build_chunked_case(spec)
    files = {
        "context.json": dump_json(context_for(spec)),
        "request.txt": request_txt(spec),
    }
    # Sign what was written, not the spec, so the files are what is tested.
    context = json.loads(files["context.json"])
    req = Request(files["request.txt"])
    rules = Rules(context, req)
    for form in spec["forms"]:
        signer, request = botocore_sign(context, req, form, spec["family"],
                                        spec["unsigned_payload"])
        model = check_against_botocore(spec["name"], rules, form, signer,
                                       request)
        files[f"{form}-canonical-request.txt"] = signer.captured_cr.encode()
        files[f"{form}-string-to-sign.txt"] = signer.captured_sts.encode()
        files[f"{form}-signature.txt"] = signer.captured_sig.encode()
        files[f"{form}-signed-request.txt"] = model["signed-request"]
    return files


def manifest_text(names):
    lines = [
        "# Generated vectors",
        "",
        "Written by `scripts/gen-vectors.py`; do not edit these folders by "
        "hand, change the script and run it again.",
        "",
        f"botocore version: {botocore.__version__}",
        "",
        "Folders:",
        "",
    ]
    lines += [f"- `{n}`" for n in names]
    return ("\n".join(lines) + "\n").encode("utf-8")


def previous_generated(root):
    path = root / MANIFEST
    if not path.exists():
        return []
    return re.findall(r"^- `([^`]+)`$", path.read_text(), flags=re.M)


def generate(root):
    names = [spec["name"] for spec in CASES]
    assert len(set(names)) == len(names), "duplicate case name"
    assert not any(n.startswith("aws-docs-") for n in names)
    outputs = {spec["name"]: build_case(spec) for spec in CASES}
    for stale in previous_generated(root):
        if stale not in outputs and not stale.startswith("aws-docs-"):
            shutil.rmtree(root / stale, ignore_errors=True)
    for name, files in outputs.items():
        folder = root / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for filename, data in sorted(files.items()):
            (folder / filename).write_bytes(data)
    (root / MANIFEST).write_bytes(manifest_text(names))
    return outputs


# ---------------------------------------------------------------------------
# Self-check of the hand-made aws-docs-* folders
# ---------------------------------------------------------------------------
def check_doc_cases(root):
    for name, published in DOC_CASES.items():
        folder = root / name
        context = json.loads((folder / "context.json").read_text())
        req = Request((folder / "request.txt").read_bytes())
        rules = Rules(context, req)
        family = "s3" if context["service"] == "s3" else "sigv4"
        forms = sorted({f.split("-")[0] for f in published})
        for form in forms:
            model = rules.header_form() if form == "header" else \
                rules.query_form()
            if form == "header" and req.header("date") is not None:
                extra = [("X-Amz-Date", rules.amz_date),
                         ("X-Amz-Content-SHA256", rules.payload_hash())]
                cr, sts, sig = botocore_sign_preset(context, req, extra)
            else:
                signer, _ = botocore_sign(
                    context, req, form, family,
                    context.get("signed_body_value") == UNSIGNED_PAYLOAD
                    and form == "header")
                cr, sts, sig = (signer.captured_cr, signer.captured_sts,
                                signer.captured_sig)
            want_sig = published[f"{form}-signature.txt"]
            assert sig == want_sig, f"{name}: botocore signature {sig}"
            assert model["signature"] == want_sig, \
                f"{name}: our rules give {model['signature']}"
            assert model["canonical-request"] == cr, f"{name}: CR differs"
            on_disk = (folder / f"{form}-signature.txt").read_text()
            assert on_disk == want_sig, f"{name}: {form}-signature.txt"
            for part, computed in (("canonical-request", cr),
                                   ("string-to-sign", sts)):
                filename = f"{form}-{part}.txt"
                if filename in published:
                    assert published[filename] == computed, \
                        f"{name}: published {part} not reproduced"
                    assert (folder / filename).read_text() == computed, \
                        f"{name}: {filename} on disk"
                else:
                    assert not (folder / filename).exists(), \
                        f"{name}: {filename} is not a published value"
        print(f"ok  {name} (published signature reproduced by botocore "
              f"and by our rules)")


def check_aws_suite(suite):
    """Run the model over AWS's own suite (read in place, never copied):
    every expected file there must come out byte for byte. This is what
    makes the model, and so the signed-request files it composes, trusted."""
    count = 0
    for folder in sorted(p for p in Path(suite).iterdir() if p.is_dir()):
        context = json.loads((folder / "context.json").read_text())
        rules = Rules(context, Request((folder / "request.txt").read_bytes()))
        for form in ("header", "query"):
            if not any(folder.glob(f"{form}-*.txt")):
                continue
            model = rules.header_form() if form == "header" else \
                rules.query_form()
            for part in ("canonical-request", "string-to-sign", "signature",
                         "signed-request"):
                path = folder / f"{form}-{part}.txt"
                if not path.exists():
                    continue
                got = model[part]
                got = got if isinstance(got, bytes) else got.encode("utf-8")
                assert got == path.read_bytes(), \
                    f"AWS suite {folder.name}: {path.name} differs"
                count += 1
    print(f"ok  our rules reproduce {count} expected files of {suite}")


def compare_trees(expected, actual):
    """List differences between two vector roots (generated parts only)."""
    problems = []
    for name in [spec["name"] for spec in CASES] + [MANIFEST]:
        a, b = expected / name, actual / name
        if a.is_file() or b.is_file():
            if not b.is_file() or a.read_bytes() != b.read_bytes():
                problems.append(name)
            continue
        files_a = {p.name for p in a.iterdir()} if a.is_dir() else set()
        files_b = {p.name for p in b.iterdir()} if b.is_dir() else set()
        for f in sorted(files_a | files_b):
            if f not in files_a or f not in files_b or \
                    (a / f).read_bytes() != (b / f).read_bytes():
                problems.append(f"{name}/{f}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="verify test-vectors/ is up to date; write nothing")
    parser.add_argument("--aws-suite", metavar="DIR",
                        help="also check the rules model against AWS's "
                             "signing test suite (its v4/ folder)")
    args = parser.parse_args()
    assert hasattr(botocore_auth, "get_current_datetime"), \
        "this botocore has no get_current_datetime; use the pinned version"

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            problems = compare_trees(Path(tmp), VECTORS)
        if problems:
            print("out of date:", *problems, sep="\n  ")
            return 1
        print(f"ok  {len(CASES)} generated cases are up to date")
    else:
        generate(VECTORS)
        print(f"wrote {len(CASES)} cases with botocore {botocore.__version__}")
    check_doc_cases(VECTORS)
    if args.aws_suite:
        check_aws_suite(args.aws_suite)
    return 0


if __name__ == "__main__":
    sys.exit(main())

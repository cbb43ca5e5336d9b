#!/usr/bin/env python3
"""End-to-end checks of `sigv4 serve` with the real AWS CLI and boto3.

Usage (from the repository root, after `cargo build --release -p sigv4-cli`):

    python3 -m venv .venv-e2e
    .venv-e2e/bin/pip install -r scripts/e2e-requirements.txt
    .venv-e2e/bin/python scripts/e2e.py [--binary target/release/sigv4] [--load 20000]

It starts `serve` on a loopback port with a configuration of its own, runs every check, and
ends with `N passed, N failed`. With --load it then sends that many presigned GETs over 32
connections, and as many unauthenticated health checks, and prints both throughputs.
"""

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
USER1 = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
BOB = ("AKIABOBEXAMPLE000001", "bobsecretbobsecretbobsecretbobsecret0001")
ROLE = f"arn:aws:iam::{ACCOUNT}:role/marketing/marketingadminrole"
CHAINED = f"arn:aws:iam::{ACCOUNT}:role/chained"
PARTNER = f"arn:aws:iam::{ACCOUNT}:role/partner"

CONFIG = f'''
[server]
allow_short_sessions = true

[[users]]
arn = "arn:aws:iam::{ACCOUNT}:user/user1"
access_keys = [{{ access_key_id = "{USER1[0]}", secret_access_key = "{USER1[1]}" }}]
policies = [\'\'\'{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow",
  "Action": "sts:AssumeRole", "Resource": "{PARTNER}"}}}}\'\'\']

[[users]]
arn = "arn:aws:iam::{ACCOUNT}:user/bob"
access_keys = [{{ access_key_id = "{BOB[0]}", secret_access_key = "{BOB[1]}" }}]

[[roles]]
arn = "{ROLE}"
trust_policy = \'\'\'{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Principal": {{"AWS": "arn:aws:iam::{ACCOUNT}:user/user1"}}, "Action": "sts:AssumeRole"}}]}}\'\'\'
max_session_duration = 3600

[[roles]]
arn = "{CHAINED}"
trust_policy = \'\'\'{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Principal": {{"AWS": "{ROLE}"}}, "Action": "sts:AssumeRole"}}]}}\'\'\'
max_session_duration = 7200

# Trusts the whole account, with an external id: the caller's own policy must allow too.
[[roles]]
arn = "{PARTNER}"
trust_policy = \'\'\'{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Principal": {{"AWS": "arn:aws:iam::{ACCOUNT}:root"}}, "Action": "sts:AssumeRole",
  "Condition": {{"StringEquals": {{"sts:ExternalId": "ext-123"}}}}}}]}}\'\'\'
'''

RESULTS = []


def check(name, condition, detail=""):
    RESULTS.append((name, bool(condition)))
    print(f"{'PASS' if condition else 'FAIL'} {name}" + ("" if condition else f": {detail}"))


def start_server(binary, workdir):
    config = workdir / "serve.toml"
    config.write_text(CONFIG)
    server = subprocess.Popen(
        [binary, "serve", "--config", str(config), "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=open(workdir / "serve.log", "w"),
        text=True,
    )
    line = server.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if not match:
        server.kill()
        sys.exit(f"serve did not start: {line!r}")
    return server, match.group(1)


def aws(args, env):
    result = subprocess.run(["aws", *args], env=env, capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout, result.stderr


def cli_checks(endpoint, workdir):
    (workdir / "credentials").write_text(
        f"[user1]\naws_access_key_id = {USER1[0]}\naws_secret_access_key = {USER1[1]}\n"
        f"[wrong]\naws_access_key_id = {USER1[0]}\naws_secret_access_key = not-the-secret\n"
        f"[bob]\naws_access_key_id = {BOB[0]}\naws_secret_access_key = {BOB[1]}\n"
    )
    # The role profile of the AWS CLI documentation, pointed at the server.
    (workdir / "config").write_text(
        f"[default]\nregion = us-east-1\nendpoint_url = {endpoint}\n"
        f"[profile user1]\nregion = us-east-1\nendpoint_url = {endpoint}\n"
        f"[profile wrong]\nregion = us-east-1\nendpoint_url = {endpoint}\n"
        f"[profile bob]\nregion = us-east-1\nendpoint_url = {endpoint}\n"
        f"[profile marketingadmin]\nrole_arn = {ROLE}\nsource_profile = user1\n"
        f"region = us-east-1\nendpoint_url = {endpoint}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        # The CLI caches assumed-role credentials under ~/.aws/cli/cache; a cache from an
        # earlier server (with another sealing key) must not be reused.
        HOME=str(workdir),
        AWS_SHARED_CREDENTIALS_FILE=str(workdir / "credentials"),
        AWS_CONFIG_FILE=str(workdir / "config"),
        AWS_PAGER="",
    )

    code, out, err = aws(["sts", "get-caller-identity", "--profile", "marketingadmin"], env)
    arn = json.loads(out)["Arn"] if code == 0 else ""
    check(
        "aws sts get-caller-identity --profile marketingadmin prints the assumed-role ARN",
        arn.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/marketingadminrole/"),
        f"{code} {out} {err}",
    )

    code, out, err = aws(
        ["sts", "assume-role", "--role-arn", ROLE, "--role-session-name", "test_session", "--profile", "user1"],
        env,
    )
    ok = code == 0
    check("aws sts assume-role prints credentials", ok, err)
    if ok:
        creds = json.loads(out)["Credentials"]
        session_env = {k: v for k, v in env.items() if k != "AWS_SHARED_CREDENTIALS_FILE"}
        session_env.update(
            AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
            AWS_SESSION_TOKEN=creds["SessionToken"],
            AWS_SHARED_CREDENTIALS_FILE=str(workdir / "none"),
        )
        code, out, err = aws(["sts", "get-caller-identity"], session_env)
        check(
            "the assumed credentials work through the environment variables",
            code == 0 and json.loads(out)["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/marketingadminrole/test_session",
            f"{code} {out} {err}",
        )
        tampered = dict(session_env, AWS_SESSION_TOKEN=creds["SessionToken"][:-2] + "AA")
        code, out, err = aws(["sts", "get-caller-identity"], tampered)
        check("a tampered session token is refused", code != 0 and "InvalidClientTokenId" in err, err)

    code, out, err = aws(["sts", "get-caller-identity", "--profile", "wrong"], env)
    check("a wrong secret gives SignatureDoesNotMatch", code != 0 and "SignatureDoesNotMatch" in err, err)

    code, out, err = aws(
        ["sts", "assume-role", "--role-arn", ROLE, "--role-session-name", "bobs", "--profile", "bob"], env
    )
    check("an untrusted caller gets AccessDenied", code != 0 and "AccessDenied" in err, err)

    code, out, err = aws(
        ["sts", "assume-role", "--role-arn", ROLE, "--role-session-name", "long",
         "--duration-seconds", "7200", "--profile", "user1"],
        env,
    )
    check("a duration above the role's maximum gives ValidationError", code != 0 and "ValidationError" in err, err)


def client(service, endpoint, keys, **config):
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        aws_session_token=keys[2] if len(keys) > 2 else None,
        config=Config(signature_version="s3v4", retries={"max_attempts": 1}, **config),
    )


def error_code(call):
    try:
        call()
    except Exception as e:  # botocore's ClientError
        return getattr(e, "response", {}).get("Error", {}).get("Code", repr(e))
    return None


def boto3_checks(endpoint):
    sts = client("sts", endpoint, USER1, parameter_validation=False)
    # A session shorter than STS's minimum, allowed by this server's configuration.
    short = sts.assume_role(RoleArn=ROLE, RoleSessionName="short", DurationSeconds=2)["Credentials"]
    keys = (short["AccessKeyId"], short["SecretAccessKey"], short["SessionToken"])
    time.sleep(3)
    check(
        "an expired session gets ExpiredToken",
        error_code(lambda: client("sts", endpoint, keys).get_caller_identity()) == "ExpiredToken",
    )

    # A role session that assumes another role is capped at one hour.
    first = sts.assume_role(RoleArn=ROLE, RoleSessionName="first")["Credentials"]
    chain = client("sts", endpoint, (first["AccessKeyId"], first["SecretAccessKey"], first["SessionToken"]))
    check(
        "role chaining is capped at one hour",
        error_code(lambda: chain.assume_role(RoleArn=CHAINED, RoleSessionName="second", DurationSeconds=3601))
        == "ValidationError",
    )
    second = chain.assume_role(RoleArn=CHAINED, RoleSessionName="second", DurationSeconds=3600)
    check(
        "a role session assumes a role that trusts its role",
        second["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/chained/second",
    )

    # A role that trusts the account: the external id and the caller's own policy decide.
    check(
        "an account-trusting role needs its external id",
        error_code(lambda: sts.assume_role(RoleArn=PARTNER, RoleSessionName="partner-session")) == "AccessDenied",
    )
    partner = sts.assume_role(RoleArn=PARTNER, RoleSessionName="partner-session", ExternalId="ext-123")
    check(
        "with it, a caller whose policy allows sts:AssumeRole gets the role",
        partner["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/partner/partner-session",
    )
    bob = client("sts", endpoint, BOB)
    check(
        "a caller of the account without such a policy does not",
        error_code(lambda: bob.assume_role(RoleArn=PARTNER, RoleSessionName="partner-session", ExternalId="ext-123"))
        == "AccessDenied",
    )

    s3 = client("s3", endpoint, USER1)
    body = os.urandom(100_000)
    put = s3.put_object(Bucket="bucket", Key="data.bin", Body=body)
    headers = put["ResponseMetadata"]["HTTPHeaders"]
    check(
        "boto3 put_object succeeds and the server counts the bytes",
        put["ResponseMetadata"]["HTTPStatusCode"] == 200 and headers.get("x-sigv4-body-bytes") == "100000",
        headers,
    )

    url = s3.generate_presigned_url("get_object", Params={"Bucket": "bucket", "Key": "a b/ሴ.txt"}, ExpiresIn=300)
    with urllib.request.urlopen(url) as response:
        check("a presigned S3 GET is admitted", response.status == 200)
    changed = 0
    for i in range(len(endpoint) + 1, len(url)):
        c = url[i]
        if c in "&=?":
            continue
        altered = url[:i] + ("B" if c != "B" else "C") + url[i + 1:]
        try:
            urllib.request.urlopen(altered)
        except urllib.error.HTTPError as e:
            if e.code in (400, 403):
                changed += 1
                continue
        print(f"  not refused: byte {i} of {url}")
    positions = sum(1 for c in url[len(endpoint) + 1:] if c not in "&=?")
    check(f"every changed byte of a presigned URL is refused ({changed}/{positions})", changed == positions)

    short_url = s3.generate_presigned_url("get_object", Params={"Bucket": "bucket", "Key": "k"}, ExpiresIn=1)
    time.sleep(2.5)
    try:
        urllib.request.urlopen(short_url)
        check("an expired presigned URL is refused", False, "admitted")
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        check("an expired presigned URL gets 403 Request has expired", e.code == 403 and "Request has expired" in text, text)
    return s3


def load(endpoint, s3, count, connections=32):
    url = urllib.parse.urlsplit(
        s3.generate_presigned_url("get_object", Params={"Bucket": "bucket", "Key": "load"}, ExpiresIn=3600)
    )
    target = url.path + "?" + url.query

    def run(path):
        failures = []
        per = count // connections

        def worker():
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            for _ in range(per):
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failures.append(response.status)
            conn.close()

        threads = [threading.Thread(target=worker) for _ in range(connections)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        return per * connections, failures, elapsed

    done, failures, elapsed = run(target)
    check(f"{done} presigned GETs over {connections} connections, none failed", not failures, failures[:5])
    print(f"load: presigned GET {done / elapsed:.0f} requests/s ({done} in {elapsed:.2f} s)")
    done, failures, elapsed = run("/health")
    check(f"{done} health checks, none failed", not failures, failures[:5])
    print(f"load: health {done / elapsed:.0f} requests/s ({done} in {elapsed:.2f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=str(ROOT / "target" / "release" / "sigv4"))
    parser.add_argument("--load", type=int, default=0, help="presigned GETs to send after the checks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server, endpoint = start_server(args.binary, workdir)
        try:
            cli_checks(endpoint, workdir)
            s3 = boto3_checks(endpoint)
            if args.load:
                load(endpoint, s3, args.load)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(timeout=10)
                check("serve shuts down cleanly on SIGTERM", code == 0, f"exit {code}")
            except subprocess.TimeoutExpired:
                server.kill()
                check("serve shuts down cleanly on SIGTERM", False, "still running")
            log = (workdir / "serve.log").read_text()
            if os.environ.get("E2E_SHOW_LOG"):
                print(log)
            secrets = [USER1[1], BOB[1]]
            check("the server's log holds no secret", not any(s in log for s in secrets))
    passed = sum(1 for _, ok in RESULTS if ok)
    failed = len(RESULTS) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

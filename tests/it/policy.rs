//! IAM policy evaluation: the rules of the IAM policy evaluation logic, and trust policies
//! as `AssumeRole` reads them.

use std::collections::BTreeMap;

use sigv4::policy::{
    evaluate, evaluate_resource_policy, Decision, Policy, PrincipalMatch, RequestContext,
};

fn request<'a>(
    arn: &'a str,
    account: &'a str,
    action: &'a str,
    resource: &'a str,
) -> RequestContext<'a> {
    RequestContext {
        principal_arn: arn,
        principal_account: account,
        action,
        resource,
        keys: BTreeMap::new(),
    }
}

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

#[test]
fn an_explicit_deny_wins_over_any_allow() {
    let allow = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    )
    .expect("valid");
    let deny = Policy::parse(r#"{"Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::prod/*"}]}"#)
        .expect("valid");
    let delete_prod = request(
        ALICE,
        "111122223333",
        "s3:DeleteObject",
        "arn:aws:s3:::prod/key",
    );
    assert_eq!(
        evaluate(&[&allow, &deny], &delete_prod),
        Decision::ExplicitDeny
    );
    let delete_dev = request(
        ALICE,
        "111122223333",
        "s3:DeleteObject",
        "arn:aws:s3:::dev/key",
    );
    assert_eq!(evaluate(&[&allow, &deny], &delete_dev), Decision::Allow);
    // Nothing applies: implicit deny.
    let iam = request(ALICE, "111122223333", "iam:CreateUser", "*");
    assert_eq!(evaluate(&[&allow, &deny], &iam), Decision::ImplicitDeny);
    assert_eq!(evaluate(&[], &iam), Decision::ImplicitDeny);
}

#[test]
fn not_action_and_not_resource() {
    // "Deny everything but IAM": the documentation's NotAction-with-Deny pattern.
    let policy = Policy::parse(
        r#"{"Statement":[
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","NotAction":"iam:*","Resource":"*"}]}"#,
    )
    .expect("valid");
    assert_eq!(
        evaluate(&[&policy], &request(ALICE, "1", "iam:ListUsers", "*")),
        Decision::Allow
    );
    assert_eq!(
        evaluate(&[&policy], &request(ALICE, "1", "s3:GetObject", "*")),
        Decision::ExplicitDeny
    );
    let only_other = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}}"#,
    )
    .expect("valid");
    assert_eq!(
        evaluate(
            &[&only_other],
            &request(ALICE, "1", "s3:GetObject", "arn:aws:s3:::public/a")
        ),
        Decision::Allow
    );
    assert_eq!(
        evaluate(
            &[&only_other],
            &request(ALICE, "1", "s3:GetObject", "arn:aws:s3:::secret/a")
        ),
        Decision::ImplicitDeny
    );
    // Actions ignore case; resources do not.
    assert_eq!(
        evaluate(
            &[&only_other],
            &request(ALICE, "1", "S3:getobject", "arn:aws:s3:::Public/a")
        ),
        Decision::Allow
    );
}

#[test]
fn trust_policies_name_principals_and_check_conditions() {
    let trust = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{
            "Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},
            "Action":"sts:AssumeRole",
            "Condition":{"StringEquals":{"sts:ExternalId":"123ABC"}}}]}"#,
    )
    .expect("valid");
    let role = "arn:aws:iam::111122223333:role/demo";
    let mut assume = request(ALICE, "111122223333", "sts:AssumeRole", role);
    assert_eq!(
        evaluate_resource_policy(&trust, &assume).0,
        Decision::ImplicitDeny,
        "no external id"
    );
    assume
        .keys
        .insert("sts:ExternalId".into(), vec!["123ABC".into()]);
    assert_eq!(
        evaluate_resource_policy(&trust, &assume),
        (Decision::Allow, Some(PrincipalMatch::Named))
    );
    assume
        .keys
        .insert("sts:ExternalId".into(), vec!["wrong".into()]);
    assert_eq!(
        evaluate_resource_policy(&trust, &assume).0,
        Decision::ImplicitDeny
    );
    let bob = request(
        "arn:aws:iam::111122223333:user/bob",
        "111122223333",
        "sts:AssumeRole",
        role,
    );
    assert_eq!(
        evaluate_resource_policy(&trust, &bob).0,
        Decision::ImplicitDeny
    );
}

#[test]
fn naming_the_account_delegates_to_its_own_policies() {
    let trust = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}"#,
    )
    .expect("valid");
    let role = "arn:aws:iam::444455556666:role/cross";
    let caller = request(ALICE, "111122223333", "sts:AssumeRole", role);
    assert_eq!(
        evaluate_resource_policy(&trust, &caller),
        (Decision::Allow, Some(PrincipalMatch::Account))
    );
    let by_id = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}"#,
    )
    .expect("valid");
    assert_eq!(
        evaluate_resource_policy(&by_id, &caller).1,
        Some(PrincipalMatch::Account)
    );
    let other = request(
        "arn:aws:iam::999999999999:user/eve",
        "999999999999",
        "sts:AssumeRole",
        role,
    );
    assert_eq!(
        evaluate_resource_policy(&trust, &other).0,
        Decision::ImplicitDeny
    );
}

#[test]
fn a_role_names_its_sessions_and_wildcards_and_conditions_on_the_caller() {
    let trust = Policy::parse(
        r#"{"Statement":[
            {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole",
             "Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/ci-*"}}},
            {"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole",
             "Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/ci-banned"}}}]}"#,
    )
    .expect("valid");
    let role = "arn:aws:iam::111122223333:role/target";
    let session = request(
        "arn:aws:sts::111122223333:assumed-role/admin/alice",
        "111122223333",
        "sts:AssumeRole",
        role,
    );
    assert_eq!(
        evaluate_resource_policy(&trust, &session).0,
        Decision::Allow
    );
    let ci = request(
        "arn:aws:iam::111122223333:user/ci-runner",
        "111122223333",
        "sts:AssumeRole",
        role,
    );
    assert_eq!(evaluate_resource_policy(&trust, &ci).0, Decision::Allow);
    let banned = request(
        "arn:aws:iam::111122223333:user/ci-banned",
        "111122223333",
        "sts:AssumeRole",
        role,
    );
    assert_eq!(
        evaluate_resource_policy(&trust, &banned).0,
        Decision::ExplicitDeny
    );
    let human = request(ALICE, "111122223333", "sts:AssumeRole", role);
    assert_eq!(
        evaluate_resource_policy(&trust, &human).0,
        Decision::ImplicitDeny
    );
}

#[test]
fn condition_operators() {
    let policy = |condition: &str| {
        Policy::parse(&format!(
            r#"{{"Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}}}"#
        ))
        .expect("valid")
    };
    let mut req = request(ALICE, "1", "s3:GetObject", "arn:aws:s3:::b/k");
    req.keys
        .insert("s3:prefix".into(), vec!["home/alice".into()]);
    for (condition, want) in [
        (r#"{"StringEquals":{"s3:prefix":"home/alice"}}"#, true),
        (r#"{"StringEquals":{"s3:prefix":["x","home/alice"]}}"#, true),
        (r#"{"StringNotEquals":{"s3:prefix":"home/alice"}}"#, false),
        (
            r#"{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/ALICE"}}"#,
            true,
        ),
        (r#"{"StringLike":{"s3:prefix":"home/*"}}"#, true),
        (r#"{"StringNotLike":{"s3:prefix":"home/*"}}"#, false),
        (r#"{"StringEquals":{"s3:missing":"x"}}"#, false),
        (r#"{"StringEqualsIfExists":{"s3:missing":"x"}}"#, true),
        (r#"{"StringNotEquals":{"s3:missing":"x"}}"#, true),
        (r#"{"Null":{"s3:missing":"true"}}"#, true),
        (r#"{"Null":{"s3:prefix":"true"}}"#, false),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/alice"}}"#,
            true,
        ),
        (
            r#"{"StringEquals":{"s3:prefix":"home/alice"},"StringLike":{"aws:PrincipalArn":"*:user/bob"}}"#,
            false,
        ),
    ] {
        let decision = evaluate(&[&policy(condition)], &req);
        assert_eq!(decision == Decision::Allow, want, "{condition}");
    }
}

#[test]
fn malformed_documents_are_refused() {
    for bad in [
        "not json",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Statement":{"Effect":"Maybe","Action":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow"}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"NumericSomething":{"k":"1"}}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":7}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"*","Principal":{"Martian":"x"}}}"#,
    ] {
        assert!(Policy::parse(bad).is_err(), "{bad}");
    }
}

/// The example of the IAM documentation's "Policy evaluation for requests within a single
/// account": Carlos's identity policy, and a bucket policy that allows him the logs bucket.
/// The explicit deny on `*log*` wins over the bucket policy's allow.
#[test]
fn the_documented_carlos_example() {
    let identity = Policy::parse(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "AllowS3ListRead", "Effect": "Allow",
             "Action": ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints", "s3:ListAllMyBuckets"],
             "Resource": "arn:aws:s3:::*"},
            {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar"]},
            {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"}]}"#,
    )
    .expect("valid");
    let bucket = Policy::parse(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:user/carlossalazar"},
            "Action": "s3:*", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*"}]}"#,
    )
    .expect("valid");
    let carlos = "arn:aws:iam::111122223333:user/carlossalazar";
    // Within one account, an explicit deny in either policy wins; otherwise an allow in
    // either suffices.
    let decide = |action: &str, resource: &str| {
        let request = request(carlos, "111122223333", action, resource);
        let mine = evaluate(&[&identity], &request);
        let theirs = evaluate_resource_policy(&bucket, &request).0;
        match (mine, theirs) {
            (Decision::ExplicitDeny, _) | (_, Decision::ExplicitDeny) => Decision::ExplicitDeny,
            (Decision::Allow, _) | (_, Decision::Allow) => Decision::Allow,
            _ => Decision::ImplicitDeny,
        }
    };
    assert_eq!(
        decide(
            "s3:PutObject",
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/trail.log"
        ),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decide(
            "s3:PutObject",
            "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/notes.txt"
        ),
        Decision::Allow
    );
    assert_eq!(
        decide("s3:ListAllMyBuckets", "arn:aws:s3:::*"),
        Decision::Allow
    );
    assert_eq!(
        decide("s3:GetObject", "arn:aws:s3:::someone-else/notes.txt"),
        Decision::ImplicitDeny
    );
}

#[test]
fn not_principal_and_missing_resources_follow_iam() {
    assert!(Policy::parse(
        r#"{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:user/a"},"Action":"*","Resource":"*"}}"#
    )
    .is_err());
    // Deny everyone but the named user: naming the account does not exempt its users.
    let policy = Policy::parse(
        r#"{"Statement":[
            {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},
            {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]},
             "Action":"s3:GetObject","Resource":"*"}]}"#,
    )
    .expect("valid");
    let alice = request(ALICE, "111122223333", "s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(evaluate_resource_policy(&policy, &alice).0, Decision::Allow);
    let bob = request(
        "arn:aws:iam::111122223333:user/bob",
        "111122223333",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    );
    assert_eq!(
        evaluate_resource_policy(&policy, &bob).0,
        Decision::ExplicitDeny
    );
    // An identity statement without Resource grants nothing.
    let no_resource =
        Policy::parse(r#"{"Statement":{"Effect":"Allow","Action":"*"}}"#).expect("parses");
    assert_eq!(evaluate(&[&no_resource], &alice), Decision::ImplicitDeny);
}

#[test]
fn a_sessions_principal_arn_is_its_roles() {
    let policy = Policy::parse(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",
            "Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/admin"}}}}"#,
    )
    .expect("valid");
    let session = request(
        "arn:aws:sts::111122223333:assumed-role/admin/alice",
        "111122223333",
        "s3:GetObject",
        "*",
    );
    assert_eq!(evaluate(&[&policy], &session), Decision::Allow);
    let user = request(ALICE, "111122223333", "s3:GetObject", "*");
    assert_eq!(evaluate(&[&policy], &user), Decision::ImplicitDeny);
}

#[test]
fn a_role_path_given_by_the_caller_counts() {
    // The session's ARN has no path; the caller that knows the role supplies its full ARN.
    let full = "arn:aws:iam::111122223333:role/ops/admin";
    let trust = Policy::parse(&format!(
        r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"{full}"}},"Action":"sts:AssumeRole"}}}}"#
    ))
    .expect("valid");
    let mut session = request(
        "arn:aws:sts::111122223333:assumed-role/admin/alice",
        "111122223333",
        "sts:AssumeRole",
        "arn:aws:iam::111122223333:role/next",
    );
    assert_eq!(
        evaluate_resource_policy(&trust, &session).0,
        Decision::ImplicitDeny
    );
    session
        .keys
        .insert("aws:PrincipalArn".into(), vec![full.into()]);
    assert_eq!(
        evaluate_resource_policy(&trust, &session).0,
        Decision::Allow
    );
    let condition = Policy::parse(&format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{{"StringEquals":{{"aws:PrincipalArn":"{full}"}}}}}}}}"#
    ))
    .expect("valid");
    assert_eq!(evaluate(&[&condition], &session), Decision::Allow);
}

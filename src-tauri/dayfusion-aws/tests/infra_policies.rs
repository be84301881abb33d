//! The IAM documents and the CloudFormation template under `infra/aws/`
//! stay least-privilege: named actions only, no wildcard resources except
//! the Rekognition actions that support no resource-level permissions, S3
//! objects only under `${Prefix}` + the kiosk's own principal tag, and the
//! webview's session policy equal to the one the kiosk sends. Then the
//! documents (the JSON files and the template's, which must be the same)
//! are evaluated with `iam_eval` against the requests the kiosk makes and
//! those it must not be able to make.

mod iam_eval;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dayfusion_aws::credentials::webview_session_policy;
use iam_eval::cfn::Stack;
use iam_eval::{Decision, Principal, Request, evaluate};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The kiosk role's actions: exactly what the backend calls. HeadObject is
/// authorised as `s3:GetObject`, a read by version as `GetObjectVersion`;
/// `sts:GetCallerIdentity` needs no permission; `SetSourceIdentity` goes
/// with the webview's AssumeRole.
const KIOSK_ACTIONS: &[&str] = &[
    "rekognition:CreateFaceLivenessSession",
    "rekognition:GetFaceLivenessSessionResults",
    "rekognition:CompareFaces",
    "rekognition:DetectFaces",
    "s3:PutObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:DeleteObject",
    "s3:ListBucket",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:DescribeTable",
    "sts:AssumeRole",
    "sts:SetSourceIdentity",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:Decrypt",
];

const OBJECTS: &str = "arn:aws:s3:::${Bucket}/${Prefix}";
/// The kiosk's id: the Roles Anywhere certificate's subject CN, or the tag
/// of the same key on a per-kiosk role.
const KIOSK_TAG: &str = "aws:PrincipalTag/x509Subject/CN";
const OWN_PREFIX: &str = "${Prefix}${aws:PrincipalTag/x509Subject/CN}/*";
const BUCKET: &str = "arn:aws:s3:::${Bucket}";
const TABLE: &str = "arn:aws:dynamodb:${Region}:${AccountId}:table/dayfusion_transactions";
const WEBVIEW_ROLE: &str = "arn:aws:iam::${AccountId}:role/${WebviewRoleName}";
/// The kiosk's heartbeat key (`dayfusion_aws::heartbeat`), bound to its tag.
const OWN_HEARTBEAT: &str = "HEARTBEAT#${aws:PrincipalTag/x509Subject/CN}";

fn aws_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/aws")
}

fn read_json(path: &Path) -> Result<Value, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// A string or a list of strings, as IAM writes `Action` and `Resource`.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// Every `infra/aws/iam/*.json`, parsed.
fn iam_documents() -> Result<Vec<(String, Value)>, Box<dyn std::error::Error>> {
    let dir = aws_dir().join("iam");
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            docs.push((name, read_json(&path)?));
        }
    }
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(docs)
}

/// Why `statement` breaks the wildcard rules, if it does.
fn wildcard_violation(statement: &Value) -> Option<String> {
    let effect = statement
        .get("Effect")
        .and_then(Value::as_str)
        .unwrap_or("");
    let actions = strings(statement.get("Action"));
    if statement.get("NotAction").is_some() || statement.get("NotResource").is_some() {
        return Some("NotAction/NotResource".into());
    }
    if let Some(a) = actions.iter().find(|a| a.contains('*')) {
        return Some(format!("action wildcard {a}"));
    }
    if let Some(p) = statement.get("Principal")
        && p.to_string().contains('*')
    {
        return Some(format!("principal wildcard {p}"));
    }
    let rekognition_only =
        !actions.is_empty() && actions.iter().all(|a| a.starts_with("rekognition:"));
    for resource in strings(statement.get("Resource")) {
        if !resource.contains('*') {
            continue;
        }
        if resource == "*" && effect == "Allow" && rekognition_only {
            continue; // no resource-level permissions for these actions
        }
        let scoped = resource
            .strip_suffix("${Prefix}*")
            .or_else(|| resource.strip_suffix(OWN_PREFIX))
            .is_some_and(|head| !head.contains('*') && head.ends_with('/'));
        if !scoped {
            return Some(format!("wildcard resource {resource}"));
        }
    }
    None
}

#[test]
fn every_iam_document_parses_and_has_no_wildcards() -> TestResult {
    let docs = iam_documents()?;
    let names: BTreeSet<&str> = docs.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "kiosk-role-policy.json",
        "webview-session-policy.json",
        "webview-role-trust.json",
    ] {
        assert!(names.contains(expected), "missing infra/aws/iam/{expected}");
    }
    for (name, doc) in &docs {
        assert_eq!(doc["Version"], "2012-10-17", "{name}");
        let list = statements(doc);
        assert!(!list.is_empty(), "{name}: no statements");
        for statement in list {
            if let Some(why) = wildcard_violation(statement) {
                return Err(format!("{name}: {why} in {statement}").into());
            }
        }
    }
    Ok(())
}

#[test]
fn the_wildcard_rule_catches_what_it_should() {
    let bad = [
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/p/*"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}"#,
        r#"{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:${Region}:${AccountId}:table/*"}"#,
        r#"{"Effect":"Allow","Action":["rekognition:CompareFaces","s3:GetObject"],"Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"rekognition:*","Resource":"*"}"#,
        r#"{"Effect":"Allow","NotAction":"iam:PassRole","Resource":"arn:aws:s3:::b"}"#,
        r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${Bucket}/${Prefix}${aws:PrincipalTag/x509Subject/CN}*"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${Bucket}/*/${Prefix}${aws:PrincipalTag/x509Subject/CN}/*"}"#,
    ];
    for text in bad {
        let statement: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        assert!(wildcard_violation(&statement).is_some(), "{text}");
    }
    let good = [
        r#"{"Effect":"Allow","Action":["rekognition:CompareFaces"],"Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${Bucket}/${Prefix}*"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${Bucket}/${Prefix}${aws:PrincipalTag/x509Subject/CN}/*"}"#,
    ];
    for text in good {
        let statement: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        assert_eq!(wildcard_violation(&statement), None, "{text}");
    }
}

#[test]
fn the_kiosk_policy_is_exactly_the_backends_calls() -> TestResult {
    let doc = read_json(&aws_dir().join("iam/kiosk-role-policy.json"))?;
    let list = statements(&doc);
    let allowed: BTreeSet<String> = list
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| strings(s.get("Action")))
        .collect();
    let expected: BTreeSet<String> = KIOSK_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
    assert_eq!(allowed, expected);

    for statement in list.iter().filter(|s| s["Effect"] == "Allow") {
        let actions = strings(statement.get("Action"));
        let resources = strings(statement.get("Resource"));
        let service = actions
            .first()
            .and_then(|a| a.split(':').next())
            .unwrap_or("");
        assert!(
            actions
                .iter()
                .all(|a| a.starts_with(&format!("{service}:"))),
            "one service per statement: {statement}"
        );
        match service {
            "rekognition" => assert_eq!(resources, ["*"]),
            "s3" if actions == ["s3:ListBucket"] => {
                assert_eq!(resources, [BUCKET]);
                let prefixes =
                    strings(statement.pointer("/Condition/StringLikeIfExists/s3:prefix"));
                assert_eq!(
                    prefixes,
                    [OWN_PREFIX],
                    "ListBucket beyond the kiosk's prefix"
                );
            }
            "s3" => assert_eq!(
                resources,
                [format!("arn:aws:s3:::${{Bucket}}/{OWN_PREFIX}")],
                "S3 objects outside the kiosk's own prefix"
            ),
            "dynamodb" if actions == ["dynamodb:UpdateItem"] => {
                assert_eq!(resources, [TABLE]);
                assert_eq!(
                    strings(
                        statement
                            .pointer("/Condition/ForAllValues:StringEquals/dynamodb:Attributes")
                    ),
                    REVIEW_ATTRIBUTES,
                    "UpdateItem beyond the review and purge attributes"
                );
            }
            "dynamodb" if statement["Sid"] == "KioskHeartbeatUnderOwnKey" => {
                assert_eq!(resources, [TABLE]);
                assert_eq!(actions, ["dynamodb:PutItem"]);
                assert_eq!(
                    strings(
                        statement
                            .pointer("/Condition/ForAllValues:StringEquals/dynamodb:LeadingKeys")
                    ),
                    [OWN_HEARTBEAT],
                    "heartbeat beyond the kiosk's own key"
                );
            }
            "dynamodb" => {
                assert_eq!(resources, [TABLE]);
                assert!(
                    !actions
                        .iter()
                        .any(|a| a.contains("Delete") || a.contains("Batch"))
                );
                assert_eq!(
                    strings(
                        statement
                            .pointer("/Condition/ForAllValues:StringNotLike/dynamodb:LeadingKeys")
                    ),
                    ["HEARTBEAT#*"],
                    "transaction statement reaching heartbeats"
                );
            }
            "sts" => assert_eq!(resources, [WEBVIEW_ROLE]),
            "kms" => {
                assert_eq!(
                    resources,
                    ["arn:aws:kms:${Region}:${AccountId}:key/${KmsKeyId}"]
                );
                assert_eq!(
                    statement.pointer("/Condition/StringEquals/kms:ViaService"),
                    Some(&Value::from("s3.${Region}.amazonaws.com"))
                );
            }
            other => return Err(format!("unexpected service {other}").into()),
        }
    }

    // Every S3 resource anywhere in the document: the bucket or under the prefix.
    for resource in list.iter().flat_map(|s| strings(s.get("Resource"))) {
        if resource.starts_with("arn:aws:s3:::") {
            assert!(
                resource == BUCKET || resource.starts_with(OBJECTS),
                "{resource}"
            );
        }
    }

    let denies: Vec<&&Value> = list.iter().filter(|s| s["Effect"] == "Deny").collect();
    assert!(
        denies.iter().any(|s| {
            strings(s.get("Action")) == ["s3:PutObject"]
                && s.pointer("/Condition/Null/s3:x-amz-server-side-encryption")
                    == Some(&Value::from("true"))
        }),
        "no deny of unencrypted PutObject"
    );
    assert!(
        denies.iter().any(|s| {
            s.pointer("/Condition/Bool/aws:SecureTransport") == Some(&Value::from("false"))
        }),
        "no deny without TLS"
    );
    assert!(
        denies.iter().any(|s| {
            strings(s.get("Action")).contains(&"dynamodb:DeleteItem".to_owned())
                && s.get("Condition").is_none()
        }),
        "no unconditional deny of DeleteItem"
    );
    assert!(
        denies.iter().any(|s| {
            s.pointer(&format!("/Condition/Null/{}", KIOSK_TAG.replace('/', "~1")))
                == Some(&Value::from("true"))
        }),
        "no deny of evidence without the kiosk tag"
    );
    Ok(())
}

#[test]
fn the_webview_session_policy_file_is_the_one_the_kiosk_sends() -> TestResult {
    let file = read_json(&aws_dir().join("iam/webview-session-policy.json"))?;
    assert_eq!(file, webview_session_policy());
    let actions: Vec<String> = statements(&file)
        .iter()
        .flat_map(|s| strings(s.get("Action")))
        .collect();
    assert_eq!(actions, ["rekognition:StartFaceLivenessSession"]);
    Ok(())
}

#[test]
fn only_the_kiosk_role_may_assume_the_webview_role() -> TestResult {
    let trust = read_json(&aws_dir().join("iam/webview-role-trust.json"))?;
    let list = statements(&trust);
    assert_eq!(list.len(), 2);
    for statement in list {
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(
            strings(statement.get("Action")),
            ["sts:AssumeRole", "sts:SetSourceIdentity"]
        );
        assert_eq!(
            statement["Principal"],
            json!({"AWS": "arn:aws:iam::${AccountId}:role/${KioskRoleName}"})
        );
        assert_eq!(
            statement.pointer("/Condition/StringLike/sts:RoleSessionName"),
            Some(&Value::from("dayfusion-webview-*"))
        );
    }
    Ok(())
}

#[test]
fn the_bucket_policy_only_denies() -> TestResult {
    let doc = read_json(&aws_dir().join("s3/bucket-policy.json"))?;
    let list = statements(&doc);
    assert_eq!(list.len(), 3);
    for statement in list {
        assert_eq!(statement["Effect"], "Deny", "{statement}");
        assert_eq!(statement["Principal"], "*", "{statement}");
    }
    Ok(())
}
/// What the app's UpdateItem of a review or a purge names (the key included).
const REVIEW_ATTRIBUTES: [&str; 9] = [
    "TransactionId",
    "Status",
    "ReviewStatus",
    "ReviewedBy",
    "ReviewedAt",
    "ReviewReason",
    "EvidenceDeletedAt",
    "Record",
    "RecordSha256",
];

const ACCOUNT: &str = "111122223333";
const REGION: &str = "sa-east-1";
const BUCKET_NAME: &str = "bank-dayfusion-evidence";
const KEY_PREFIX: &str = "dayfusion/";
const KMS_KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const ANCHOR: &str = "arn:aws:rolesanywhere:sa-east-1:111122223333:trust-anchor/a1b2c3d4-0000-4000-8000-000000000001";
const CREATED_ANCHOR: &str =
    "arn:aws:rolesanywhere:sa-east-1:111122223333:trust-anchor/created-by-the-stack";
const KIOSK_PRINCIPAL: &str = "arn:aws:iam::111122223333:user/kiosk-042-bootstrap";
const KIOSK_ROLE_ARN: &str = "arn:aws:iam::111122223333:role/dayfusion-kiosk";
const WEBVIEW_ROLE_ARN: &str = "arn:aws:iam::111122223333:role/dayfusion-webview-liveness";
const TABLE_ARN: &str = "arn:aws:dynamodb:sa-east-1:111122223333:table/dayfusion_transactions";

/// One deployment: its policy documents with every placeholder filled in.
struct Deployment {
    name: String,
    kiosk_policy: Value,
    kiosk_trust: Value,
    webview_trust: Value,
    webview_policy: Value,
    bucket_policy: Value,
}

/// How the kiosk role is trusted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Identity {
    /// An existing trust anchor (`TrustAnchorArn`).
    RolesAnywhere,
    /// A trust anchor the stack creates from the CA's PEM.
    RolesAnywhereCreated,
    /// One principal ARN and its kiosk id (a per-kiosk role).
    Principal,
}

/// The JSON files as `create-roles.sh` and `create-bucket.sh` render them
/// (`_common.sh`'s `render`): placeholders filled, the KMS statement dropped
/// without a key.
fn render(text: &str, kms: bool, trust_anchor: &str) -> Result<Value, Box<dyn std::error::Error>> {
    let mut text = text.to_owned();
    for (name, value) in [
        ("Bucket", BUCKET_NAME),
        ("Prefix", KEY_PREFIX),
        ("Region", REGION),
        ("AccountId", ACCOUNT),
        ("KioskRoleName", "dayfusion-kiosk"),
        ("WebviewRoleName", "dayfusion-webview-liveness"),
        ("KmsKeyId", if kms { KMS_KEY } else { "" }),
        ("KioskPrincipalArn", KIOSK_PRINCIPAL),
        ("TrustAnchorArn", trust_anchor),
        ("SseAlgorithm", if kms { "aws:kms" } else { "AES256" }),
    ] {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    let mut doc: Value = serde_json::from_str(&text)?;
    if !kms && let Some(Value::Array(list)) = doc.get_mut("Statement") {
        list.retain(|s| s["Sid"] != "EvidenceKmsThroughS3");
    }
    Ok(doc)
}

fn json_deployment(
    kms: bool,
    identity: Identity,
) -> Result<Deployment, Box<dyn std::error::Error>> {
    let dir = aws_dir();
    let file = |p: &str| std::fs::read_to_string(dir.join(p));
    let trust_file = match identity {
        Identity::Principal => "iam/kiosk-role-trust.json",
        _ => "iam/kiosk-role-trust-rolesanywhere.json",
    };
    Ok(Deployment {
        name: format!("JSON files, kms={kms}, {identity:?}"),
        kiosk_policy: render(&file("iam/kiosk-role-policy.json")?, kms, ANCHOR)?,
        kiosk_trust: render(&file(trust_file)?, kms, ANCHOR)?,
        webview_trust: render(&file("iam/webview-role-trust.json")?, kms, ANCHOR)?,
        webview_policy: render(&file("iam/webview-session-policy.json")?, kms, ANCHOR)?,
        bucket_policy: render(&file("s3/bucket-policy.json")?, kms, ANCHOR)?,
    })
}

fn template_text() -> Result<String, Box<dyn std::error::Error>> {
    let path = aws_dir().join("cloudformation/dayfusion.yaml");
    Ok(std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn stack(params: &[(&str, &str)]) -> Result<Stack, Box<dyn std::error::Error>> {
    let bucket_arn = format!("arn:aws:s3:::{BUCKET_NAME}");
    Ok(Stack::new(
        &template_text()?,
        params,
        &[
            ("AWS::Partition", "aws"),
            ("AWS::Region", REGION),
            ("AWS::AccountId", ACCOUNT),
            ("AWS::URLSuffix", "amazonaws.com"),
        ],
        &[
            ("EvidenceBucket", BUCKET_NAME.to_owned()),
            ("TransactionsTable", "dayfusion_transactions".to_owned()),
            ("KioskRole", "dayfusion-kiosk".to_owned()),
            ("WebviewRole", "dayfusion-webview-liveness".to_owned()),
        ],
        &[
            ("EvidenceBucket.Arn", bucket_arn),
            ("TransactionsTable.Arn", TABLE_ARN.to_owned()),
            ("KioskRole.Arn", KIOSK_ROLE_ARN.to_owned()),
            ("WebviewRole.Arn", WEBVIEW_ROLE_ARN.to_owned()),
            ("KioskTrustAnchor.TrustAnchorArn", CREATED_ANCHOR.to_owned()),
            (
                "KioskRolesAnywhereProfile.ProfileArn",
                "arn:aws:rolesanywhere:sa-east-1:111122223333:profile/p".to_owned(),
            ),
        ],
    )?)
}

fn identity_params(identity: Identity) -> Vec<(&'static str, &'static str)> {
    match identity {
        Identity::RolesAnywhere => vec![("TrustAnchorArn", ANCHOR)],
        Identity::RolesAnywhereCreated => vec![(
            "TrustAnchorCertificateBundle",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )],
        Identity::Principal => vec![
            ("KioskPrincipalArn", KIOSK_PRINCIPAL),
            ("KioskId", "kiosk-042"),
        ],
    }
}

fn template_deployment(
    kms: bool,
    identity: Identity,
) -> Result<Deployment, Box<dyn std::error::Error>> {
    let mut params = vec![("BucketName", BUCKET_NAME), ("Prefix", KEY_PREFIX)];
    if kms {
        params.push(("KmsKeyId", KMS_KEY));
    }
    params.extend(identity_params(identity));
    let stack = stack(&params)?;
    let failed = stack.failed_rules()?;
    assert!(failed.is_empty(), "{identity:?}: {failed:?}");
    let at = |path: &[&str]| stack.resolve_at(path);
    Ok(Deployment {
        name: format!("template, kms={kms}, {identity:?}"),
        kiosk_policy: at(&[
            "Resources",
            "KioskRole",
            "Properties",
            "Policies",
            "0",
            "PolicyDocument",
        ])?,
        kiosk_trust: at(&[
            "Resources",
            "KioskRole",
            "Properties",
            "AssumeRolePolicyDocument",
        ])?,
        webview_trust: at(&[
            "Resources",
            "WebviewRole",
            "Properties",
            "AssumeRolePolicyDocument",
        ])?,
        webview_policy: at(&[
            "Resources",
            "WebviewRole",
            "Properties",
            "Policies",
            "0",
            "PolicyDocument",
        ])?,
        bucket_policy: at(&[
            "Resources",
            "EvidenceBucketPolicy",
            "Properties",
            "PolicyDocument",
        ])?,
    })
}

/// Every deployment the tests below run against: the JSON files and the
/// template, with and without KMS, each kind of kiosk identity.
fn deployments() -> Result<Vec<Deployment>, Box<dyn std::error::Error>> {
    let mut all = Vec::new();
    for kms in [false, true] {
        for identity in [
            Identity::RolesAnywhere,
            Identity::RolesAnywhereCreated,
            Identity::Principal,
        ] {
            if identity != Identity::RolesAnywhereCreated {
                all.push(json_deployment(kms, identity)?);
            }
            all.push(template_deployment(kms, identity)?);
        }
    }
    Ok(all)
}

/// A policy document with one-item lists for scalars (`"Action": "x"` and
/// `"Action": ["x"]` say the same), for comparing the template's and the
/// JSON files' documents.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(_) if k != "Version" && k != "Sid" && k != "Effect" => {
                            if k == "Principal" {
                                v.clone()
                            } else {
                                Value::Array(vec![v.clone()])
                            }
                        }
                        other => canonical(other),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[test]
fn the_template_holds_the_same_documents_as_the_json_files() -> TestResult {
    for kms in [false, true] {
        for identity in [Identity::RolesAnywhere, Identity::Principal] {
            let files = json_deployment(kms, identity)?;
            let template = template_deployment(kms, identity)?;
            for (what, a, b) in [
                ("kiosk policy", &files.kiosk_policy, &template.kiosk_policy),
                ("kiosk trust", &files.kiosk_trust, &template.kiosk_trust),
                (
                    "webview trust",
                    &files.webview_trust,
                    &template.webview_trust,
                ),
                (
                    "webview policy",
                    &files.webview_policy,
                    &template.webview_policy,
                ),
                (
                    "bucket policy",
                    &files.bucket_policy,
                    &template.bucket_policy,
                ),
            ] {
                assert_eq!(
                    canonical(a),
                    canonical(b),
                    "{what} differs (kms={kms}, {identity:?}):\nfile:     {a}\ntemplate: {b}"
                );
            }
        }
    }
    // The created trust anchor is the one the trust names.
    let created = template_deployment(false, Identity::RolesAnywhereCreated)?;
    assert_eq!(
        created
            .kiosk_trust
            .pointer("/Statement/0/Condition/ArnEquals/aws:SourceArn"),
        Some(&Value::from(CREATED_ANCHOR))
    );
    Ok(())
}

#[test]
fn the_template_requires_an_explicit_kiosk_identity() -> TestResult {
    let base = [("BucketName", BUCKET_NAME)];
    let failing: &[&[(&str, &str)]] = &[
        &[],
        &[("KioskId", "kiosk-042")],
        &[("KioskPrincipalArn", KIOSK_PRINCIPAL)],
        &[
            ("KioskPrincipalArn", KIOSK_PRINCIPAL),
            ("KioskId", "k"),
            ("TrustAnchorArn", ANCHOR),
        ],
        &[
            ("TrustAnchorArn", ANCHOR),
            ("TrustAnchorCertificateBundle", "PEM"),
        ],
    ];
    for extra in failing {
        let params: Vec<(&str, &str)> = base.iter().chain(extra.iter()).copied().collect();
        assert!(
            !stack(&params)?.failed_rules()?.is_empty(),
            "accepted {extra:?}"
        );
    }
    for identity in [
        Identity::RolesAnywhere,
        Identity::RolesAnywhereCreated,
        Identity::Principal,
    ] {
        let params: Vec<(&str, &str)> = base
            .iter()
            .copied()
            .chain(identity_params(identity))
            .collect();
        let stack = stack(&params)?;
        assert!(stack.failed_rules()?.is_empty(), "{identity:?}");
        let roles_anywhere = identity != Identity::Principal;
        assert_eq!(
            stack.has_resource("KioskRolesAnywhereProfile")?,
            roles_anywhere
        );
        assert_eq!(
            stack.has_resource("KioskTrustAnchor")?,
            identity == Identity::RolesAnywhereCreated
        );
        let tags = stack.resolve_at(&["Resources", "KioskRole", "Properties", "Tags"])?;
        let kiosk_tag = json!({"Key": "x509Subject/CN", "Value": "kiosk-042"});
        let tagged = tags.as_array().is_some_and(|t| t.contains(&kiosk_tag));
        assert_eq!(tagged, !roles_anywhere, "{identity:?}: {tags}");
        if roles_anywhere {
            let profile =
                stack.resolve_at(&["Resources", "KioskRolesAnywhereProfile", "Properties"])?;
            assert_eq!(profile["RoleArns"], json!([KIOSK_ROLE_ARN]));
            assert_eq!(profile["Enabled"], json!(true));
        }
    }
    Ok(())
}

#[test]
fn the_cloudformation_template_has_no_wildcards_beyond_rekognition() -> TestResult {
    let text = template_text()?;
    for deployment in [
        template_deployment(false, Identity::RolesAnywhere)?,
        template_deployment(true, Identity::Principal)?,
    ] {
        for (name, doc) in [
            ("kiosk policy", &deployment.kiosk_policy),
            ("kiosk trust", &deployment.kiosk_trust),
            ("webview trust", &deployment.webview_trust),
            ("webview policy", &deployment.webview_policy),
        ] {
            for statement in statements(doc) {
                // The template's values are filled in: put the placeholders
                // back for the rule.
                let text = statement
                    .to_string()
                    .replace(
                        &format!("arn:aws:s3:::{BUCKET_NAME}"),
                        "arn:aws:s3:::${Bucket}",
                    )
                    .replace(&format!("${{Bucket}}/{KEY_PREFIX}"), "${Bucket}/${Prefix}");
                let statement: Value = serde_json::from_str(&text)?;
                if let Some(why) = wildcard_violation(&statement) {
                    return Err(format!("{}: {name}: {why} in {statement}", deployment.name).into());
                }
            }
        }
        // The bucket policy: Denies for everyone only.
        for statement in statements(&deployment.bucket_policy) {
            assert_eq!(statement["Effect"], "Deny", "{statement}");
        }
    }
    for needle in [
        "BillingMode: PAY_PER_REQUEST",
        "PointInTimeRecoveryEnabled: true",
        "SSEEnabled: true",
        "BlockPublicAcls: true",
        "IgnorePublicAcls: true",
        "BlockPublicPolicy: true",
        "RestrictPublicBuckets: true",
        "Status: Enabled",
        "BucketKeyEnabled: true",
        "TableName: dayfusion_transactions",
        "AttributeName: TransactionId",
        "UseKms: !Not",
        "Type: AWS::RolesAnywhere::TrustAnchor",
        "Type: AWS::RolesAnywhere::Profile",
    ] {
        assert!(text.contains(needle), "template lacks `{needle}`");
    }
    Ok(())
}

// ---- The requests: what a kiosk does and what it must not do. ----

/// A kiosk's session as Roles Anywhere issues it: its certificate's CN as
/// principal tag and source identity.
fn kiosk(cn: &str) -> Request {
    Request::default()
        .principal(Principal::role_session(KIOSK_ROLE_ARN, "3f2a9c"))
        .with(KIOSK_TAG, cn)
        .with("aws:SourceIdentity", cn)
        .with("aws:SecureTransport", "true")
        .with("aws:ViaAWSService", "false")
}

/// The same request on another action and resource.
fn on(request: &Request, action: &str, resource: &str) -> Request {
    let mut r = request.clone();
    r.action = action.to_owned();
    r.resource = resource.to_owned();
    r
}

fn object(key: &str) -> String {
    format!("arn:aws:s3:::{BUCKET_NAME}/{key}")
}

/// The kiosk's PutObject as the app sends it: SSE header and If-None-Match.
fn put(who: &Request, key: &str, kms: bool) -> Request {
    on(who, "s3:PutObject", &object(key))
        .with(
            "s3:x-amz-server-side-encryption",
            if kms { "aws:kms" } else { "AES256" },
        )
        .with("s3:if-none-match", "*")
        .with("s3:ObjectCreationOperation", "true")
}

/// An S3 request decided by the kiosk's identity policy and the bucket
/// policy together (one account: an Allow in either, no Deny in both).
fn s3_decision(d: &Deployment, request: &Request) -> Result<Decision, Box<dyn std::error::Error>> {
    Ok(evaluate(&[&d.kiosk_policy, &d.bucket_policy], request)?)
}

fn kiosk_decision(
    d: &Deployment,
    request: &Request,
) -> Result<Decision, Box<dyn std::error::Error>> {
    Ok(evaluate(&[&d.kiosk_policy], request)?)
}

fn is_kms(d: &Deployment) -> bool {
    d.name.contains("kms=true")
}

/// The app's keys (`{Prefix}{kioskId}/...`).
fn own_keys(kiosk: &str) -> Vec<String> {
    vec![
        format!("{KEY_PREFIX}{kiosk}/documents/7d0c6a1e/document.jpg"),
        format!("{KEY_PREFIX}{kiosk}/liveness/0f1e2d3c/reference.jpg"),
        format!("{KEY_PREFIX}{kiosk}/liveness/0f1e2d3c/audit_1.jpg"),
        format!("{KEY_PREFIX}{kiosk}/audit-heads/{kiosk}/000000000042.json"),
    ]
}

#[test]
fn kiosk_a_reads_writes_and_deletes_only_its_own_objects() -> TestResult {
    for d in deployments()? {
        let a = kiosk("kiosk-a");
        let kms = is_kms(&d);
        for key in own_keys("kiosk-a") {
            assert_eq!(
                s3_decision(&d, &put(&a, &key, kms))?,
                Decision::Allow,
                "{}: put {key}",
                d.name
            );
            for action in ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"] {
                let r = on(&a, action, &object(&key));
                assert_eq!(
                    s3_decision(&d, &r)?,
                    Decision::Allow,
                    "{}: {action} {key}",
                    d.name
                );
            }
        }
        for key in own_keys("kiosk-b").into_iter().chain([
            format!("{KEY_PREFIX}kiosk-ab/documents/x/document.jpg"),
            format!("{KEY_PREFIX}documents/x/document.jpg"),
            "kiosk-a/documents/x/document.jpg".to_owned(),
        ]) {
            assert!(
                !s3_decision(&d, &put(&a, &key, kms))?.allowed(),
                "{}: put {key}",
                d.name
            );
            for action in ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"] {
                let r = on(&a, action, &object(&key));
                assert!(
                    !s3_decision(&d, &r)?.allowed(),
                    "{}: {action} {key}",
                    d.name
                );
            }
        }
        // Listing: under its own prefix only. A request without any
        // prefix (the ListBucket check S3 makes for a HeadObject of a
        // missing key) passes: StringLikeIfExists, for a 404 over a 403.
        let bucket = format!("arn:aws:s3:::{BUCKET_NAME}");
        let list = |prefix: Option<&str>| {
            let r = on(&a, "s3:ListBucket", &bucket);
            match prefix {
                Some(p) => r.with("s3:prefix", p),
                None => r,
            }
        };
        for prefix in ["dayfusion/kiosk-a/", "dayfusion/kiosk-a/documents/"] {
            assert_eq!(
                s3_decision(&d, &list(Some(prefix)))?,
                Decision::Allow,
                "{}: {prefix}",
                d.name
            );
        }
        for prefix in ["dayfusion/kiosk-b/", "dayfusion/", "", "dayfusion/kiosk-a"] {
            assert!(
                !s3_decision(&d, &list(Some(prefix)))?.allowed(),
                "{}: list {prefix:?}",
                d.name
            );
        }
        assert_eq!(s3_decision(&d, &list(None))?, Decision::Allow, "{}", d.name);
        // Without TLS nothing.
        let key = &own_keys("kiosk-a")[0];
        let plain = on(&a, "s3:GetObject", &object(key)).with("aws:SecureTransport", "false");
        assert_eq!(
            s3_decision(&d, &plain)?,
            Decision::ExplicitDeny,
            "{}",
            d.name
        );
    }
    Ok(())
}

#[test]
fn a_session_without_a_sound_kiosk_tag_reaches_no_evidence() -> TestResult {
    for d in deployments()? {
        let untagged = kiosk("kiosk-a").without(KIOSK_TAG);
        for key in own_keys("kiosk-a") {
            let r = on(&untagged, "s3:GetObject", &object(&key));
            assert_eq!(
                s3_decision(&d, &r)?,
                Decision::ExplicitDeny,
                "{}: {key}",
                d.name
            );
        }
        // An id with a slash would reach into kiosk-a's folders; * and ?
        // must not act as wildcards; an empty id would be the shared prefix.
        for cn in ["kiosk-a/documents", "*", "kiosk-?", "", "..", "a..b"] {
            let odd = kiosk(cn);
            let key = format!("{KEY_PREFIX}{cn}/documents/x/document.jpg");
            for r in [
                on(&odd, "s3:GetObject", &object(&key)),
                on(&odd, "s3:GetObject", &object(&own_keys("kiosk-a")[0])),
                put(&odd, &key, is_kms(&d)),
            ] {
                assert_eq!(
                    s3_decision(&d, &r)?,
                    Decision::ExplicitDeny,
                    "{}: cn {cn:?} {}",
                    d.name,
                    r.resource
                );
            }
        }
    }
    Ok(())
}

#[test]
fn rekognition_writes_the_liveness_output_under_the_callers_prefix() -> TestResult {
    for d in deployments()? {
        // OutputConfig: Rekognition puts with the caller's permissions
        // (aws:ViaAWSService), without SSE header or If-None-Match; the
        // bucket's default encryption applies.
        let via = kiosk("kiosk-a").with("aws:ViaAWSService", "true");
        let own = format!("{KEY_PREFIX}kiosk-a/liveness-output/0f1e2d3c/reference.jpg");
        let other = format!("{KEY_PREFIX}kiosk-b/liveness-output/0f1e2d3c/reference.jpg");
        let r = on(&via, "s3:PutObject", &object(&own)).with("s3:ObjectCreationOperation", "true");
        assert_eq!(s3_decision(&d, &r)?, Decision::Allow, "{}", d.name);
        let r =
            on(&via, "s3:PutObject", &object(&other)).with("s3:ObjectCreationOperation", "true");
        assert!(!s3_decision(&d, &r)?.allowed(), "{}", d.name);
        // The kiosk reads it back to store the images as evidence.
        assert_eq!(
            s3_decision(&d, &on(&kiosk("kiosk-a"), "s3:GetObject", &object(&own)))?,
            Decision::Allow
        );
    }
    Ok(())
}

#[test]
fn the_bucket_policy_refuses_unencrypted_and_overwriting_puts() -> TestResult {
    for d in deployments()? {
        let a = kiosk("kiosk-a");
        let kms = is_kms(&d);
        let key = &own_keys("kiosk-a")[0];
        let good = put(&a, key, kms);
        assert_eq!(s3_decision(&d, &good)?, Decision::Allow, "{}", d.name);
        let wrong_sse = if kms { "AES256" } else { "aws:kms" };
        for (why, r) in [
            (
                "no SSE header",
                good.clone().without("s3:x-amz-server-side-encryption"),
            ),
            (
                "other SSE",
                good.clone()
                    .with("s3:x-amz-server-side-encryption", wrong_sse),
            ),
            ("no If-None-Match", good.clone().without("s3:if-none-match")),
            (
                "no If-None-Match (complete multipart)",
                good.clone()
                    .without("s3:if-none-match")
                    .without("s3:ObjectCreationOperation"),
            ),
            (
                "plain HTTP",
                good.clone().with("aws:SecureTransport", "false"),
            ),
        ] {
            assert_eq!(
                s3_decision(&d, &r)?,
                Decision::ExplicitDeny,
                "{}: {why}",
                d.name
            );
            // The bucket policy alone refuses it, whatever identity policy
            // a principal has.
            assert_eq!(
                evaluate(&[&d.bucket_policy], &r)?,
                Decision::ExplicitDeny,
                "{}: {why}",
                d.name
            );
        }
        // The parts of a multipart upload carry no conditional header.
        let part = good
            .clone()
            .without("s3:if-none-match")
            .with("s3:ObjectCreationOperation", "false");
        assert_eq!(s3_decision(&d, &part)?, Decision::Allow, "{}", d.name);
    }
    Ok(())
}

fn update_item(who: &Request, attributes: &[&str]) -> Request {
    on(who, "dynamodb:UpdateItem", TABLE_ARN).with_all("dynamodb:Attributes", attributes)
}

#[test]
fn the_kiosk_updates_only_the_review_and_purge_attributes_and_never_deletes() -> TestResult {
    for d in deployments()? {
        let a = kiosk("kiosk-a");
        let review = [
            "TransactionId",
            "Status",
            "ReviewStatus",
            "ReviewedBy",
            "ReviewedAt",
            "ReviewReason",
            "Record",
            "RecordSha256",
        ];
        let purge = [
            "TransactionId",
            "EvidenceDeletedAt",
            "Record",
            "RecordSha256",
        ];
        for attributes in [&review[..], &purge[..], &REVIEW_ATTRIBUTES[..]] {
            let r = update_item(&a, attributes);
            assert_eq!(
                kiosk_decision(&d, &r)?,
                Decision::Allow,
                "{}: {attributes:?}",
                d.name
            );
            for returns in ["NONE", "ALL_OLD", "UPDATED_OLD", "UPDATED_NEW"] {
                let r = r.clone().with("dynamodb:ReturnValues", returns);
                assert_eq!(
                    kiosk_decision(&d, &r)?,
                    Decision::Allow,
                    "{}: {returns}",
                    d.name
                );
            }
            let r = r.clone().with("dynamodb:ReturnValues", "ALL_NEW");
            assert!(!kiosk_decision(&d, &r)?.allowed(), "{}: ALL_NEW", d.name);
        }
        for decision_attribute in [
            "Similarity",
            "Liveness",
            "LivenessConfidence",
            "CreatedAt",
            "KioskId",
            "DocumentKey",
            "Decision",
        ] {
            let mut attributes = review.to_vec();
            attributes.push(decision_attribute);
            let r = update_item(&a, &attributes);
            assert!(
                !kiosk_decision(&d, &r)?.allowed(),
                "{}: {decision_attribute}",
                d.name
            );
        }
        for action in [
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:PartiQLDelete",
            "dynamodb:DeleteTable",
            "dynamodb:UpdateTable",
        ] {
            let r = on(&a, action, TABLE_ARN);
            assert_eq!(
                kiosk_decision(&d, &r)?,
                Decision::ExplicitDeny,
                "{}: {action}",
                d.name
            );
        }
        for action in [
            "dynamodb:PutItem",
            "dynamodb:GetItem",
            "dynamodb:DescribeTable",
        ] {
            let r = on(&a, action, TABLE_ARN);
            assert_eq!(
                kiosk_decision(&d, &r)?,
                Decision::Allow,
                "{}: {action}",
                d.name
            );
        }
        for action in ["dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem"] {
            let r = on(
                &a,
                action,
                "arn:aws:dynamodb:sa-east-1:111122223333:table/other",
            );
            assert!(
                !kiosk_decision(&d, &r)?.allowed(),
                "{}: {action} on another table",
                d.name
            );
        }
    }
    Ok(())
}

/// A request on the item whose partition key is `key` (DynamoDB's
/// `dynamodb:LeadingKeys`).
fn on_item(who: &Request, action: &str, key: &str) -> Request {
    on(who, action, TABLE_ARN).with("dynamodb:LeadingKeys", key)
}

#[test]
fn a_kiosk_writes_only_its_own_heartbeat() -> TestResult {
    for d in deployments()? {
        let a = kiosk("kiosk-a");
        // Its own heartbeat: written (the sync's PutItem, overwritten each pass).
        let own = on_item(&a, "dynamodb:PutItem", "HEARTBEAT#kiosk-a");
        assert_eq!(kiosk_decision(&d, &own)?, Decision::Allow, "{}", d.name);
        // Another kiosk's, or a look-alike key: never, by any action.
        for key in [
            "HEARTBEAT#kiosk-b",
            "HEARTBEAT#kiosk-ab",
            "HEARTBEAT#kiosk-",
            "HEARTBEAT#*",
            "HEARTBEAT#",
            "HEARTBEAT#kiosk-a/x",
        ] {
            for action in [
                "dynamodb:PutItem",
                "dynamodb:GetItem",
                "dynamodb:UpdateItem",
            ] {
                let mut r = on_item(&a, action, key);
                if action == "dynamodb:UpdateItem" {
                    r = r.with_all("dynamodb:Attributes", &["TransactionId", "Status"]);
                }
                assert_eq!(
                    kiosk_decision(&d, &r)?,
                    Decision::ExplicitDeny,
                    "{}: {action} {key}",
                    d.name
                );
            }
        }
        // Kiosk b's session on kiosk a's heartbeat: denied too.
        let b = kiosk("kiosk-b");
        let r = on_item(&b, "dynamodb:PutItem", "HEARTBEAT#kiosk-a");
        assert_eq!(
            kiosk_decision(&d, &r)?,
            Decision::ExplicitDeny,
            "{}",
            d.name
        );
        // Without the kiosk tag, no heartbeat at all.
        let untagged = a.clone().without(KIOSK_TAG);
        for key in ["HEARTBEAT#kiosk-a", "HEARTBEAT#"] {
            let r = on_item(&untagged, "dynamodb:PutItem", key);
            assert_eq!(
                kiosk_decision(&d, &r)?,
                Decision::ExplicitDeny,
                "{}: untagged {key}",
                d.name
            );
        }
        // Transactions stay as they were: put and read by their id.
        for action in ["dynamodb:PutItem", "dynamodb:GetItem"] {
            let r = on_item(&a, action, "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b");
            assert_eq!(
                kiosk_decision(&d, &r)?,
                Decision::Allow,
                "{}: {action}",
                d.name
            );
        }
        // A heartbeat through the transaction statement alone: its own
        // heartbeat's GetItem is not part of the kiosk's calls.
        let r = on_item(&a, "dynamodb:GetItem", "HEARTBEAT#kiosk-a");
        assert!(!kiosk_decision(&d, &r)?.allowed(), "{}", d.name);
    }
    Ok(())
}

/// The kiosk's AssumeRole of the webview role: the webview role's trust and
/// the kiosk's identity policy must both allow each action the call needs
/// (`sts:SetSourceIdentity` too when a source identity is carried or set).
fn webview_assume(d: &Deployment, request: &Request) -> Result<bool, Box<dyn std::error::Error>> {
    let mut actions = vec!["sts:AssumeRole"];
    let has_source = request.has("aws:SourceIdentity") || request.has("sts:SourceIdentity");
    if has_source {
        actions.push("sts:SetSourceIdentity");
    }
    for action in actions {
        let r = on(request, action, WEBVIEW_ROLE_ARN);
        if !evaluate(&[&d.webview_trust], &r)?.allowed() || !kiosk_decision(d, &r)?.allowed() {
            return Ok(false);
        }
    }
    Ok(true)
}

#[test]
fn the_webview_role_takes_a_kiosk_session_with_its_source_identity_only() -> TestResult {
    for d in deployments()? {
        let session = |r: Request| r.with("sts:RoleSessionName", "dayfusion-webview-1733400000");
        // Roles Anywhere: the source identity (the CN) carried along.
        let ra = session(kiosk("kiosk-a"));
        assert!(
            webview_assume(&d, &ra)?,
            "{}: Roles Anywhere session",
            d.name
        );
        // Without a source identity: refused.
        assert!(
            !webview_assume(&d, &ra.clone().without("aws:SourceIdentity"))?,
            "{}",
            d.name
        );
        // Another kiosk's id as source identity: refused.
        assert!(
            !webview_assume(&d, &ra.clone().with("aws:SourceIdentity", "kiosk-b"))?,
            "{}",
            d.name
        );
        // A per-kiosk role's session (no source identity yet) sets its own.
        let per_kiosk = ra.clone().without("aws:SourceIdentity");
        assert!(
            webview_assume(&d, &per_kiosk.clone().with("sts:SourceIdentity", "kiosk-a"))?,
            "{}",
            d.name
        );
        assert!(
            !webview_assume(&d, &per_kiosk.clone().with("sts:SourceIdentity", "kiosk-b"))?,
            "{}",
            d.name
        );
        // Another session name, or another principal: refused.
        assert!(
            !webview_assume(&d, &ra.clone().with("sts:RoleSessionName", "x"))?,
            "{}",
            d.name
        );
        let other = session(
            Request::default()
                .principal(Principal::role_session(
                    "arn:aws:iam::111122223333:role/other",
                    "s",
                ))
                .with(KIOSK_TAG, "kiosk-a")
                .with("aws:SourceIdentity", "kiosk-a")
                .with("aws:SecureTransport", "true"),
        );
        for action in ["sts:AssumeRole", "sts:SetSourceIdentity"] {
            let r = on(&other, action, WEBVIEW_ROLE_ARN);
            assert!(
                !evaluate(&[&d.webview_trust], &r)?.allowed(),
                "{}: {action}",
                d.name
            );
        }
        // The webview's own permission: StartFaceLivenessSession only.
        let start = on(&ra, "rekognition:StartFaceLivenessSession", "*");
        assert!(evaluate(&[&d.webview_policy], &start)?.allowed());
        let compare = on(&ra, "rekognition:CompareFaces", "*");
        assert!(!evaluate(&[&d.webview_policy], &compare)?.allowed());
    }
    Ok(())
}

#[test]
fn the_kiosk_role_trusts_only_its_explicit_identity() -> TestResult {
    for d in deployments()? {
        let roles_anywhere = !d.name.contains("Principal");
        let anchor = if d.name.contains("RolesAnywhereCreated") {
            CREATED_ANCHOR
        } else {
            ANCHOR
        };
        let ra = |action: &str, source_arn: &str| {
            Request::new(action, KIOSK_ROLE_ARN)
                .principal(Principal::service("rolesanywhere.amazonaws.com"))
                .with("aws:SourceArn", source_arn)
        };
        for action in ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"] {
            let allowed = evaluate(&[&d.kiosk_trust], &ra(action, anchor))?.allowed();
            assert_eq!(allowed, roles_anywhere, "{}: {action}", d.name);
            let other_anchor = ra(
                action,
                "arn:aws:rolesanywhere:sa-east-1:444455556666:trust-anchor/x",
            );
            assert!(
                !evaluate(&[&d.kiosk_trust], &other_anchor)?.allowed(),
                "{}",
                d.name
            );
        }
        let by = |arn: &str| {
            Request::new("sts:AssumeRole", KIOSK_ROLE_ARN).principal(Principal::arn(arn))
        };
        let named = evaluate(&[&d.kiosk_trust], &by(KIOSK_PRINCIPAL))?.allowed();
        assert_eq!(named, !roles_anywhere, "{}", d.name);
        // Unknown principals, of this account (no account-root default) or
        // another.
        for unknown in [
            "arn:aws:iam::111122223333:user/someone-else",
            "arn:aws:iam::111122223333:role/admin",
            "arn:aws:iam::444455556666:user/kiosk-042-bootstrap",
        ] {
            assert!(
                !evaluate(&[&d.kiosk_trust], &by(unknown))?.allowed(),
                "{}: {unknown}",
                d.name
            );
        }
        let service = Request::new("sts:AssumeRole", KIOSK_ROLE_ARN)
            .principal(Principal::service("ec2.amazonaws.com"));
        assert!(
            !evaluate(&[&d.kiosk_trust], &service)?.allowed(),
            "{}",
            d.name
        );
    }
    Ok(())
}

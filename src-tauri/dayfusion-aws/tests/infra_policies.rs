//! The IAM documents and the CloudFormation template under `infra/aws/`
//! stay least-privilege: named actions only, no wildcard resources except
//! the Rekognition actions that support no resource-level permissions, S3
//! objects only under `${Prefix}`, and the webview's session policy equal
//! to the one the kiosk sends.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dayfusion_aws::credentials::webview_session_policy;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The kiosk role's actions: exactly what the backend calls. HeadObject is
/// authorised as `s3:GetObject`; `sts:GetCallerIdentity` needs no permission.
const KIOSK_ACTIONS: &[&str] = &[
    "rekognition:CreateFaceLivenessSession",
    "rekognition:GetFaceLivenessSessionResults",
    "rekognition:CompareFaces",
    "rekognition:DetectFaces",
    "s3:PutObject",
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:DescribeTable",
    "sts:AssumeRole",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:Decrypt",
];

const OBJECTS: &str = "arn:aws:s3:::${Bucket}/${Prefix}";
const BUCKET: &str = "arn:aws:s3:::${Bucket}";
const TABLE: &str = "arn:aws:dynamodb:${Region}:${AccountId}:table/dayfusion_transactions";
const WEBVIEW_ROLE: &str = "arn:aws:iam::${AccountId}:role/${WebviewRoleName}";

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
    ];
    for text in bad {
        let statement: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        assert!(wildcard_violation(&statement).is_some(), "{text}");
    }
    let good = [
        r#"{"Effect":"Allow","Action":["rekognition:CompareFaces"],"Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${Bucket}/${Prefix}*"}"#,
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
                assert!(!prefixes.is_empty(), "ListBucket without s3:prefix");
                assert!(prefixes.iter().all(|p| p.starts_with("${Prefix}")));
            }
            "s3" => assert!(
                resources.iter().all(|r| r.starts_with(OBJECTS)),
                "S3 objects outside ${{Prefix}}: {resources:?}"
            ),
            "dynamodb" => assert_eq!(resources, [TABLE]),
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
    assert_eq!(list.len(), 1);
    let statement = list[0];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(strings(statement.get("Action")), ["sts:AssumeRole"]);
    assert_eq!(
        statement["Principal"],
        serde_json::json!({"AWS": "arn:aws:iam::${AccountId}:role/${KioskRoleName}"})
    );
    assert_eq!(
        statement.pointer("/Condition/StringLike/sts:RoleSessionName"),
        Some(&Value::from("dayfusion-webview-*"))
    );
    Ok(())
}

#[test]
fn the_bucket_policy_only_denies_plain_http() -> TestResult {
    let doc = read_json(&aws_dir().join("s3/bucket-policy.json"))?;
    for statement in statements(&doc) {
        assert_eq!(statement["Effect"], "Deny", "{statement}");
        assert_eq!(
            statement.pointer("/Condition/Bool/aws:SecureTransport"),
            Some(&Value::from("false"))
        );
    }
    Ok(())
}

/// One `- Sid:` statement of the template: its lines, comments dropped.
struct YamlStatement {
    sid: String,
    lines: Vec<String>,
}

impl YamlStatement {
    fn effect(&self) -> &str {
        self.lines
            .iter()
            .find_map(|l| l.trim().strip_prefix("Effect:"))
            .map(str::trim)
            .unwrap_or("")
    }

    /// `service:Action` words under `Action:` (list items or inline).
    fn actions(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut in_actions = false;
        for line in &self.lines {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("Action:") {
                in_actions = true;
                let rest = rest.trim().trim_matches('\'');
                if !rest.is_empty() {
                    out.push(rest.to_owned());
                    in_actions = false;
                }
            } else if in_actions && t.starts_with("- ") {
                out.push(t.trim_start_matches("- ").trim_matches('\'').to_owned());
            } else {
                in_actions = false;
            }
        }
        out
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The template's policy statements, split at `- Sid:` lines.
fn yaml_statements(text: &str) -> (Vec<YamlStatement>, Vec<String>) {
    let mut found = Vec::new();
    let mut outside = Vec::new();
    let mut current: Option<(usize, YamlStatement)> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        // A line at or left of the statement's `-` ends it.
        if current
            .as_ref()
            .is_some_and(|(depth, _)| indent(line) <= *depth)
            && let Some((_, s)) = current.take()
        {
            found.push(s);
        }
        if let Some(sid) = t.strip_prefix("- Sid:") {
            if let Some((_, s)) = current.take() {
                found.push(s);
            }
            current = Some((
                indent(line),
                YamlStatement {
                    sid: sid.trim().to_owned(),
                    lines: vec![line.to_owned()],
                },
            ));
        } else if let Some((_, s)) = current.as_mut() {
            s.lines.push(line.to_owned());
        } else {
            outside.push(line.to_owned());
        }
    }
    if let Some((_, s)) = current.take() {
        found.push(s);
    }
    (found, outside)
}

#[test]
fn the_cloudformation_template_has_no_wildcards_beyond_rekognition() -> TestResult {
    let path = aws_dir().join("cloudformation/dayfusion.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (list, outside) = yaml_statements(&text);

    // Every statement was found (each has a Sid).
    let effects = text
        .lines()
        .filter(|l| {
            l.trim_start().starts_with("Effect:") || l.trim_start().starts_with("- Effect:")
        })
        .count();
    assert_eq!(effects, list.len(), "a statement without a Sid");

    for line in &outside {
        let t = line.trim_start();
        assert!(
            !line.contains('*') || t.starts_with("AllowedPattern:"),
            "wildcard outside a statement: {line}"
        );
    }

    let mut rekognition_star = 0;
    for statement in &list {
        let actions = statement.actions();
        assert!(!actions.is_empty(), "{}: no actions", statement.sid);
        // The bucket policy's Deny for everyone without TLS: its wildcards
        // only narrow access.
        let bucket_tls_deny = statement.effect() == "Deny"
            && statement.lines.iter().any(|l| l.trim() == "Principal: '*'")
            && statement
                .lines
                .iter()
                .any(|l| l.trim() == "aws:SecureTransport: 'false'");
        if bucket_tls_deny {
            continue;
        }
        assert!(
            actions.iter().all(|a| !a.contains('*')),
            "{}: action wildcard in {actions:?}",
            statement.sid
        );
        for line in statement.lines.iter().filter(|l| l.contains('*')) {
            let t = line.trim();
            let scoped = t.replace("${Prefix}*'", "");
            if !scoped.contains('*') {
                continue;
            }
            if t == "sts:RoleSessionName: 'dayfusion-webview-*'" {
                continue;
            }
            if t == "Resource: '*'"
                && statement.effect() == "Allow"
                && actions.iter().all(|a| a.starts_with("rekognition:"))
            {
                rekognition_star += 1;
                continue;
            }
            return Err(format!("{}: wildcard in `{t}`", statement.sid).into());
        }
    }
    assert_eq!(
        rekognition_star, 2,
        "the kiosk's and the webview's Rekognition statements"
    );

    // The template's kiosk role asks for the same actions as the JSON policy.
    let kiosk_json = read_json(&aws_dir().join("iam/kiosk-role-policy.json"))?;
    let json_actions: BTreeSet<String> = statements(&kiosk_json)
        .iter()
        .flat_map(|s| strings(s.get("Action")))
        .collect();
    let kiosk_sids: BTreeSet<&str> = statements(&kiosk_json)
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    let yaml_actions: BTreeSet<String> = list
        .iter()
        .filter(|s| kiosk_sids.contains(s.sid.as_str()))
        .flat_map(YamlStatement::actions)
        .collect();
    assert_eq!(yaml_actions, json_actions);

    let webview: Vec<String> = list
        .iter()
        .filter(|s| s.sid == "FaceLivenessStreamingOnly")
        .flat_map(YamlStatement::actions)
        .collect();
    assert_eq!(webview, ["rekognition:StartFaceLivenessSession"]);

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
    ] {
        assert!(text.contains(needle), "template lacks `{needle}`");
    }
    Ok(())
}

//! An evaluator of the IAM policy subset that `infra/aws/` uses, for the
//! policy tests (test support, not a product: it refuses what it does not
//! model instead of guessing).
//!
//! Modelled, after the IAM User Guide ("Policy evaluation logic", "IAM JSON
//! policy elements: Condition operators", "Variables and tags"):
//! - `Effect` Allow/Deny, an explicit Deny wins over any Allow, no Allow is
//!   an implicit deny;
//! - `Action`/`NotAction` with `*` and `?` wildcards, case-insensitive;
//! - `Resource`/`NotResource` ARNs with wildcards and policy variables
//!   (`${aws:PrincipalTag/...}`, `${key, 'default'}`, and `${*}`, `${?}`,
//!   `${$}` for literal characters). A value substituted for a variable is
//!   literal (a tag value `*` is no wildcard). A variable that does not
//!   resolve (key absent, or multivalued) makes the whole statement
//!   inapplicable: an Allow then grants nothing and a Deny denies nothing,
//!   which is why the policies guard such variables with a `Null` Deny;
//! - `Principal` (`"*"`, `AWS` ARNs or account ids, `Service`);
//! - the condition operators `String{Equals,NotEquals,EqualsIgnoreCase,
//!   NotEqualsIgnoreCase,Like,NotLike}`, `Arn{Equals,NotEquals,Like,NotLike}`,
//!   `Bool`, `Null`, each (but `Null`) with `...IfExists`, and the
//!   `ForAllValues:`/`ForAnyValue:` set prefixes. Operators AND, keys AND,
//!   values OR. A key absent from the request: a positive operator is false,
//!   a negated one (`...Not...`) true, `...IfExists` true, `ForAllValues`
//!   true, `ForAnyValue` false.
//!
//! Condition keys are case-insensitive, values case-sensitive (but for
//! `...IgnoreCase` and `Bool`).

pub mod cfn;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// What a set of policies decides for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// A policy the evaluator cannot read (an element or operator it does not
/// model): the tests fail instead of deciding on a guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError(pub String);

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EvalError {}

fn err<T>(message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError(message.into()))
}

/// Who makes the request, for `Principal` in trust and resource policies.
#[derive(Debug, Clone, Default)]
pub struct Principal {
    /// ARNs the principal answers to: a role session answers to its role's
    /// ARN and its `assumed-role` ARN.
    pub arns: Vec<String>,
    /// The principal's account (an `AWS` principal of `ACCOUNT` or
    /// `arn:aws:iam::ACCOUNT:root` matches every principal of it).
    pub account: Option<String>,
    /// A service principal (`rolesanywhere.amazonaws.com`).
    pub service: Option<String>,
}

impl Principal {
    /// A session of `role_arn` (`arn:aws:iam::ACCOUNT:role/NAME`).
    pub fn role_session(role_arn: &str, session: &str) -> Principal {
        let account = role_arn.split(':').nth(4).map(str::to_owned);
        let name = role_arn.rsplit('/').next().unwrap_or_default();
        let session_arn = format!(
            "arn:aws:sts::{}:assumed-role/{name}/{session}",
            account.as_deref().unwrap_or_default()
        );
        Principal {
            arns: vec![role_arn.to_owned(), session_arn],
            account,
            service: None,
        }
    }

    /// An IAM user or role ARN itself.
    pub fn arn(arn: &str) -> Principal {
        Principal {
            arns: vec![arn.to_owned()],
            account: arn.split(':').nth(4).map(str::to_owned),
            service: None,
        }
    }

    /// A service principal.
    pub fn service(name: &str) -> Principal {
        Principal {
            service: Some(name.to_owned()),
            ..Principal::default()
        }
    }
}

/// One request: its action, resource, principal and context keys.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub action: String,
    pub resource: String,
    pub principal: Option<Principal>,
    /// Context keys, lowercased; a multivalued key has several values.
    context: BTreeMap<String, Vec<String>>,
}

impl Request {
    pub fn new(action: &str, resource: &str) -> Request {
        Request {
            action: action.to_owned(),
            resource: resource.to_owned(),
            ..Request::default()
        }
    }

    pub fn principal(mut self, principal: Principal) -> Request {
        self.principal = Some(principal);
        self
    }

    /// A single-valued key.
    pub fn with(mut self, key: &str, value: &str) -> Request {
        self.context
            .insert(key.to_ascii_lowercase(), vec![value.to_owned()]);
        self
    }

    /// A multivalued key (`dynamodb:Attributes`).
    pub fn with_all(mut self, key: &str, values: &[&str]) -> Request {
        self.context.insert(
            key.to_ascii_lowercase(),
            values.iter().map(|v| (*v).to_owned()).collect(),
        );
        self
    }

    /// Drops a key (as if the request had no such context).
    pub fn without(mut self, key: &str) -> Request {
        self.context.remove(&key.to_ascii_lowercase());
        self
    }

    /// Whether the request has `key` (with a value).
    pub fn has(&self, key: &str) -> bool {
        self.values(key).is_some()
    }

    fn values(&self, key: &str) -> Option<&[String]> {
        self.context
            .get(&key.to_ascii_lowercase())
            .map(Vec::as_slice)
            .filter(|v| !v.is_empty())
    }
}

/// Every policy in `policies` together (identity, session, resource or
/// trust policies of one account): Deny if any statement denies, else Allow
/// if any allows, else the implicit deny.
pub fn evaluate(policies: &[&Value], request: &Request) -> Result<Decision, EvalError> {
    let mut allowed = false;
    for policy in policies {
        for statement in statements(policy)? {
            match statement_applies(statement, request)? {
                Some(Effect::Deny) => return Ok(Decision::ExplicitDeny),
                Some(Effect::Allow) => allowed = true,
                None => {}
            }
        }
    }
    Ok(if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

fn statements(policy: &Value) -> Result<Vec<&Value>, EvalError> {
    if let Some(version) = policy.get("Version")
        && version != "2012-10-17"
    {
        return err(format!(
            "policy version {version} (variables need 2012-10-17)"
        ));
    }
    match policy.get("Statement") {
        Some(Value::Array(items)) => Ok(items.iter().collect()),
        Some(one @ Value::Object(_)) => Ok(vec![one]),
        _ => err("policy without Statement"),
    }
}

const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "Condition",
];

/// The statement's effect when it applies to `request`, `None` when it
/// does not (or a variable in it does not resolve).
fn statement_applies(statement: &Value, request: &Request) -> Result<Option<Effect>, EvalError> {
    let Some(object) = statement.as_object() else {
        return err(format!("statement is not an object: {statement}"));
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !STATEMENT_KEYS.contains(&k.as_str()))
    {
        return err(format!("statement element {unknown} is not modelled"));
    }
    let effect = match object.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => return err(format!("Effect {other:?}")),
    };
    let action_match = match (object.get("Action"), object.get("NotAction")) {
        (Some(list), None) => strings(list)?
            .iter()
            .any(|a| action_matches(a, &request.action)),
        (None, Some(list)) => !strings(list)?
            .iter()
            .any(|a| action_matches(a, &request.action)),
        _ => return err("exactly one of Action and NotAction"),
    };
    if !action_match {
        return Ok(None);
    }
    let resource_match = match (object.get("Resource"), object.get("NotResource")) {
        (Some(list), None) => {
            match any_pattern_matches(&strings(list)?, &request.resource, request)? {
                Some(m) => m,
                None => return Ok(None),
            }
        }
        (None, Some(list)) => {
            match any_pattern_matches(&strings(list)?, &request.resource, request)? {
                Some(m) => !m,
                None => return Ok(None),
            }
        }
        // Trust policies name no resource: the role itself.
        (None, None) if object.contains_key("Principal") => true,
        _ => return err("exactly one of Resource and NotResource"),
    };
    if !resource_match {
        return Ok(None);
    }
    if let Some(principal) = object.get("Principal")
        && !principal_matches(principal, request.principal.as_ref())?
    {
        return Ok(None);
    }
    if let Some(condition) = object.get("Condition") {
        match conditions_hold(condition, request)? {
            Some(true) => {}
            Some(false) | None => return Ok(None),
        }
    }
    Ok(Some(effect))
}

/// A string or a list of strings.
fn strings(value: &Value) -> Result<Vec<String>, EvalError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(b) => Ok(b.to_string()),
                other => err(format!("not a string: {other}")),
            })
            .collect(),
        other => err(format!("not a string or list: {other}")),
    }
}

fn action_matches(pattern: &str, action: &str) -> bool {
    let tokens = literal_pattern(&pattern.to_ascii_lowercase());
    glob(&tokens, &action.to_ascii_lowercase())
}

/// `Some(true)` when one of `patterns` matches `value`, `None` when a
/// variable in a pattern does not resolve.
fn any_pattern_matches(
    patterns: &[String],
    value: &str,
    request: &Request,
) -> Result<Option<bool>, EvalError> {
    let mut matched = false;
    for pattern in patterns {
        let Some(tokens) = resolve(pattern, request)? else {
            return Ok(None);
        };
        matched |= glob(&tokens, value);
    }
    Ok(Some(matched))
}

fn principal_matches(principal: &Value, who: Option<&Principal>) -> Result<bool, EvalError> {
    if principal == "*" {
        return Ok(true);
    }
    let Some(who) = who else {
        return err("a policy with Principal needs a request principal");
    };
    let Some(object) = principal.as_object() else {
        return err(format!("Principal {principal}"));
    };
    for (kind, values) in object {
        let values = strings(values)?;
        let hit = match kind.as_str() {
            "AWS" => values.iter().any(|v| {
                if v == "*" {
                    return true;
                }
                let root_of = v
                    .strip_prefix("arn:aws:iam::")
                    .and_then(|rest| rest.strip_suffix(":root"))
                    .or_else(|| {
                        (v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()))
                            .then_some(v.as_str())
                    });
                match root_of {
                    Some(account) => who.account.as_deref() == Some(account),
                    None => who.arns.iter().any(|a| a == v),
                }
            }),
            "Service" => values
                .iter()
                .any(|v| who.service.as_deref() == Some(v.as_str())),
            other => return err(format!("Principal kind {other} is not modelled")),
        };
        if hit {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One piece of a pattern: literal text, `*` or `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Text(String),
    Many,
    One,
}

/// A pattern without variables: `*` and `?` are wildcards.
fn literal_pattern(pattern: &str) -> Vec<Token> {
    let mut out = Vec::new();
    push_wild(&mut out, pattern);
    out
}

fn push_wild(out: &mut Vec<Token>, text: &str) {
    for c in text.chars() {
        match c {
            '*' => out.push(Token::Many),
            '?' => out.push(Token::One),
            c => push_text(out, c),
        }
    }
}

fn push_text(out: &mut Vec<Token>, c: char) {
    if let Some(Token::Text(s)) = out.last_mut() {
        s.push(c);
    } else {
        out.push(Token::Text(c.to_string()));
    }
}

/// `pattern` with its variables replaced (their values literal), or `None`
/// when one does not resolve.
fn resolve(pattern: &str, request: &Request) -> Result<Option<Vec<Token>>, EvalError> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        push_wild(&mut out, &rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return err(format!("unclosed variable in {pattern}"));
        };
        let inner = &after[..end];
        rest = &after[end + 1..];
        match inner {
            "*" | "?" | "$" => {
                for c in inner.chars() {
                    push_text(&mut out, c);
                }
                continue;
            }
            _ => {}
        }
        let (key, default) = match inner.split_once(',') {
            Some((key, default)) => {
                let default = default.trim();
                let Some(text) = default
                    .strip_prefix('\'')
                    .and_then(|d| d.strip_suffix('\''))
                else {
                    return err(format!("default value {default} is not quoted"));
                };
                (key.trim(), Some(text))
            }
            None => (inner, None),
        };
        if !key.contains(':') {
            return err(format!(
                "variable ${{{key}}} is not a context key (a template placeholder left?)"
            ));
        }
        let value = match request.values(key) {
            Some([one]) => one.as_str(),
            Some(_) => match default {
                Some(d) => d,
                None => return Ok(None),
            },
            None => match default {
                Some(d) => d,
                None => return Ok(None),
            },
        };
        for c in value.chars() {
            push_text(&mut out, c);
        }
    }
    push_wild(&mut out, rest);
    Ok(Some(out))
}

/// Whether `tokens` match all of `value`.
fn glob(tokens: &[Token], value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    // Positions reachable in `chars` after each token.
    let mut reach = vec![false; chars.len() + 1];
    reach[0] = true;
    for token in tokens {
        let mut next = vec![false; chars.len() + 1];
        match token {
            Token::Many => {
                let mut on = false;
                for i in 0..=chars.len() {
                    on |= reach[i];
                    next[i] = on;
                }
            }
            Token::One => {
                for i in 0..chars.len() {
                    if reach[i] {
                        next[i + 1] = true;
                    }
                }
            }
            Token::Text(text) => {
                let t: Vec<char> = text.chars().collect();
                for i in 0..=chars.len() {
                    if reach[i] && chars.len() - i >= t.len() && chars[i..i + t.len()] == t[..] {
                        next[i + t.len()] = true;
                    }
                }
            }
        }
        reach = next;
    }
    reach[chars.len()]
}

fn text_of(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Text(s) => s.clone(),
            Token::Many => "*".into(),
            Token::One => "?".into(),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    ArnEquals,
    ArnLike,
    Bool,
}

/// `Some(all hold)`, `None` when a variable in a value does not resolve.
fn conditions_hold(condition: &Value, request: &Request) -> Result<Option<bool>, EvalError> {
    let Some(blocks) = condition.as_object() else {
        return err(format!("Condition {condition}"));
    };
    for (operator, keys) in blocks {
        let Some(keys) = keys.as_object() else {
            return err(format!("{operator}: {keys}"));
        };
        for (key, wanted) in keys {
            match condition_holds(operator, key, &strings(wanted)?, request)? {
                Some(true) => {}
                other => return Ok(other),
            }
        }
    }
    Ok(Some(true))
}

fn condition_holds(
    operator: &str,
    key: &str,
    wanted: &[String],
    request: &Request,
) -> Result<Option<bool>, EvalError> {
    let present = request.values(key);
    if operator == "Null" {
        let want_absent = match wanted {
            [one] if one.eq_ignore_ascii_case("true") => true,
            [one] if one.eq_ignore_ascii_case("false") => false,
            _ => return err(format!("Null {key}: {wanted:?}")),
        };
        return Ok(Some(present.is_none() == want_absent));
    }
    let (set, rest) = if let Some(r) = operator.strip_prefix("ForAllValues:") {
        (Some(true), r)
    } else if let Some(r) = operator.strip_prefix("ForAnyValue:") {
        (Some(false), r)
    } else {
        (None, operator)
    };
    let (rest, if_exists) = match rest.strip_suffix("IfExists") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let (base, negated) = match rest {
        "StringEquals" => (Base::StringEquals, false),
        "StringNotEquals" => (Base::StringEquals, true),
        "StringEqualsIgnoreCase" => (Base::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Base::StringEqualsIgnoreCase, true),
        "StringLike" => (Base::StringLike, false),
        "StringNotLike" => (Base::StringLike, true),
        "ArnEquals" => (Base::ArnEquals, false),
        "ArnNotEquals" => (Base::ArnEquals, true),
        "ArnLike" => (Base::ArnLike, false),
        "ArnNotLike" => (Base::ArnLike, true),
        "Bool" => (Base::Bool, false),
        other => return err(format!("condition operator {other} is not modelled")),
    };
    let Some(values) = present else {
        return Ok(Some(match set {
            Some(true) => true,
            Some(false) => false,
            None => if_exists || negated,
        }));
    };
    // The policy's values, variables resolved.
    let mut patterns = Vec::new();
    for w in wanted {
        match resolve(w, request)? {
            Some(tokens) => patterns.push(tokens),
            None => return Ok(None),
        }
    }
    let one = |value: &str| -> bool {
        let hit = patterns.iter().any(|p| match base {
            Base::StringEquals => text_of(p) == value,
            Base::StringEqualsIgnoreCase => text_of(p).eq_ignore_ascii_case(value),
            // ArnEquals and ArnLike both take wildcards in IAM.
            Base::StringLike | Base::ArnEquals | Base::ArnLike => glob(p, value),
            Base::Bool => text_of(p).eq_ignore_ascii_case(value),
        });
        hit != negated
    };
    Ok(Some(match set {
        Some(true) => values.iter().all(|v| one(v)),
        Some(false) => values.iter().any(|v| one(v)),
        None if negated => values.iter().all(|v| one(v)),
        None => values.iter().any(|v| one(v)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn decide(policy: &Value, request: &Request) -> Result<Decision, EvalError> {
        evaluate(&[policy], request)
    }

    #[test]
    fn explicit_deny_wins_and_nothing_is_an_implicit_deny() -> TestResult {
        let allow = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ]});
        let deny = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/secret/*"}
        ]});
        let open = Request::new("s3:GetObject", "arn:aws:s3:::b/open/x");
        let secret = Request::new("s3:GetObject", "arn:aws:s3:::b/secret/x");
        assert_eq!(evaluate(&[&allow, &deny], &open)?, Decision::Allow);
        assert_eq!(evaluate(&[&allow, &deny], &secret)?, Decision::ExplicitDeny);
        assert_eq!(evaluate(&[&deny, &allow], &secret)?, Decision::ExplicitDeny);
        let put = Request::new("s3:PutObject", "arn:aws:s3:::b/open/x");
        assert_eq!(evaluate(&[&allow, &deny], &put)?, Decision::ImplicitDeny);
        assert_eq!(evaluate(&[], &open)?, Decision::ImplicitDeny);
        Ok(())
    }

    #[test]
    fn actions_match_with_wildcards_case_insensitively_and_not_action_inverts() -> TestResult {
        assert!(action_matches("s3:*", "s3:GetObject"));
        assert!(action_matches("s3:Get*", "S3:getobject"));
        assert!(action_matches("s3:?etObject", "s3:GetObject"));
        assert!(!action_matches("s3:Get*", "s3:PutObject"));
        assert!(!action_matches("s3:GetObject", "s3:GetObjectVersion"));
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "*"}
        ]});
        assert!(decide(&policy, &Request::new("s3:GetObject", "arn:aws:s3:::b/k"))?.allowed());
        assert!(
            !decide(
                &policy,
                &Request::new("s3:DeleteObject", "arn:aws:s3:::b/k")
            )?
            .allowed()
        );
        Ok(())
    }

    #[test]
    fn resources_match_arn_wildcards_case_sensitively_and_not_resource_inverts() -> TestResult {
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/p/*", "arn:aws:s3:::b/x?"]}
        ]});
        let get = |r: &str| Request::new("s3:GetObject", r);
        assert!(decide(&policy, &get("arn:aws:s3:::b/p/a/b.jpg"))?.allowed());
        assert!(decide(&policy, &get("arn:aws:s3:::b/p/"))?.allowed());
        assert!(decide(&policy, &get("arn:aws:s3:::b/x1"))?.allowed());
        assert!(!decide(&policy, &get("arn:aws:s3:::b/x12"))?.allowed());
        assert!(!decide(&policy, &get("arn:aws:s3:::b/P/a"))?.allowed());
        assert!(!decide(&policy, &get("arn:aws:s3:::b/q/a"))?.allowed());
        let not = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/p/*"}
        ]});
        assert_eq!(
            decide(&not, &get("arn:aws:s3:::b/q/a"))?,
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&not, &get("arn:aws:s3:::b/p/a"))?,
            Decision::ImplicitDeny
        );
        Ok(())
    }

    #[test]
    fn principal_tag_variables_resolve_literally_or_void_the_statement() -> TestResult {
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b/p/${aws:PrincipalTag/x509Subject/CN}/*"}
        ]});
        let get = |k: &str| Request::new("s3:GetObject", &format!("arn:aws:s3:::b/p/{k}"));
        let a = |r: Request| r.with("aws:PrincipalTag/x509Subject/CN", "kiosk-a");
        assert!(decide(&policy, &a(get("kiosk-a/doc.jpg")))?.allowed());
        assert!(!decide(&policy, &a(get("kiosk-b/doc.jpg")))?.allowed());
        assert!(!decide(&policy, &a(get("kiosk-ab/doc.jpg")))?.allowed());
        // Tag keys are case-insensitive.
        let upper = get("kiosk-a/doc.jpg").with("AWS:PRINCIPALTAG/X509SUBJECT/CN", "kiosk-a");
        assert!(decide(&policy, &upper)?.allowed());
        // A tag value `*` is literal, not a wildcard.
        let star = get("kiosk-b/doc.jpg").with("aws:PrincipalTag/x509Subject/CN", "*");
        assert!(!decide(&policy, &star)?.allowed());
        let literal = get("*/doc.jpg").with("aws:PrincipalTag/x509Subject/CN", "*");
        assert!(decide(&policy, &literal)?.allowed());
        // No tag: the statement grants nothing ...
        assert_eq!(decide(&policy, &get("/doc.jpg"))?, Decision::ImplicitDeny);
        // ... and a Deny with an unresolved variable denies nothing.
        let deny = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:GetObject",
             "NotResource": "arn:aws:s3:::b/p/${aws:PrincipalTag/team}/*"}
        ]});
        assert_eq!(decide(&deny, &get("x/doc.jpg"))?, Decision::Allow);
        // Defaults and the special characters.
        let defaulted = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b/p/${aws:PrincipalTag/team, 'shared'}/${*}${?}${$}"}
        ]});
        assert!(decide(&defaulted, &get("shared/*?$"))?.allowed());
        assert!(!decide(&defaulted, &get("shared/abc"))?.allowed());
        // A template placeholder left unfilled is an error, not a guess.
        let unfilled = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::${Bucket}/*"}
        ]});
        assert!(decide(&unfilled, &get("x")).is_err());
        Ok(())
    }

    fn one_condition(effect: &str, condition: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": effect, "Action": "dynamodb:UpdateItem", "Resource": "*", "Condition": condition}
        ]})
    }

    fn update() -> Request {
        Request::new("dynamodb:UpdateItem", "arn:aws:dynamodb:r:1:table/t")
    }

    #[test]
    fn string_operators_and_if_exists() -> TestResult {
        let eq = one_condition(
            "Allow",
            json!({"StringEquals": {"dynamodb:ReturnValues": ["NONE", "ALL_OLD"]}}),
        );
        assert!(decide(&eq, &update().with("dynamodb:ReturnValues", "NONE"))?.allowed());
        assert!(!decide(&eq, &update().with("dynamodb:ReturnValues", "ALL_NEW"))?.allowed());
        assert!(!decide(&eq, &update().with("dynamodb:ReturnValues", "none"))?.allowed());
        assert!(
            !decide(&eq, &update())?.allowed(),
            "absent key: positive operator false"
        );
        let if_exists = one_condition(
            "Allow",
            json!({"StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"}}),
        );
        assert!(decide(&if_exists, &update())?.allowed());
        assert!(
            !decide(
                &if_exists,
                &update().with("dynamodb:ReturnValues", "ALL_NEW")
            )?
            .allowed()
        );
        let ne = one_condition(
            "Deny",
            json!({"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}),
        );
        assert_eq!(
            decide(&ne, &update())?,
            Decision::ExplicitDeny,
            "absent key: negated operator true"
        );
        assert_eq!(
            decide(
                &ne,
                &update().with("s3:x-amz-server-side-encryption", "aws:kms")
            )?,
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(
                &ne,
                &update().with("s3:x-amz-server-side-encryption", "AES256")
            )?,
            Decision::ImplicitDeny
        );
        let ic = one_condition("Allow", json!({"StringEqualsIgnoreCase": {"k:k": "Abc"}}));
        assert!(decide(&ic, &update().with("k:k", "aBC"))?.allowed());
        let like = one_condition(
            "Allow",
            json!({"StringLike": {"sts:RoleSessionName": "dayfusion-webview-*"}}),
        );
        assert!(
            decide(
                &like,
                &update().with("sts:RoleSessionName", "dayfusion-webview-1")
            )?
            .allowed()
        );
        assert!(!decide(&like, &update().with("sts:RoleSessionName", "other"))?.allowed());
        let not_like = one_condition("Deny", json!({"StringNotLike": {"s3:prefix": "p/*"}}));
        assert_eq!(
            decide(&not_like, &update().with("s3:prefix", "q/"))?,
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&not_like, &update().with("s3:prefix", "p/x"))?,
            Decision::ImplicitDeny
        );
        // A variable in a condition value.
        let var = one_condition(
            "Allow",
            json!({"StringEquals": {"aws:SourceIdentity": "${aws:PrincipalTag/x509Subject/CN}"}}),
        );
        let tagged = update().with("aws:PrincipalTag/x509Subject/CN", "kiosk-a");
        assert!(decide(&var, &tagged.clone().with("aws:SourceIdentity", "kiosk-a"))?.allowed());
        assert!(!decide(&var, &tagged.clone().with("aws:SourceIdentity", "kiosk-b"))?.allowed());
        assert!(!decide(&var, &update().with("aws:SourceIdentity", "kiosk-a"))?.allowed());
        // StringEquals takes no wildcards.
        let literal = one_condition("Allow", json!({"StringEquals": {"k:k": "a*"}}));
        assert!(!decide(&literal, &update().with("k:k", "abc"))?.allowed());
        assert!(decide(&literal, &update().with("k:k", "a*"))?.allowed());
        Ok(())
    }

    #[test]
    fn set_operators_over_multivalued_keys() -> TestResult {
        let all = one_condition(
            "Allow",
            json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["TransactionId", "Status"]}}),
        );
        let attrs = |a: &[&str]| update().with_all("dynamodb:Attributes", a);
        assert!(decide(&all, &attrs(&["TransactionId", "Status"]))?.allowed());
        assert!(decide(&all, &attrs(&["Status"]))?.allowed());
        assert!(!decide(&all, &attrs(&["Status", "Similarity"]))?.allowed());
        assert!(
            decide(&all, &update())?.allowed(),
            "ForAllValues holds on an absent key"
        );
        let any = one_condition(
            "Deny",
            json!({"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["Similarity", "Liveness"]}}),
        );
        assert_eq!(
            decide(&any, &attrs(&["Status", "Liveness"]))?,
            Decision::ExplicitDeny
        );
        assert_eq!(decide(&any, &attrs(&["Status"]))?, Decision::ImplicitDeny);
        assert_eq!(
            decide(&any, &update())?,
            Decision::ImplicitDeny,
            "ForAnyValue fails on an absent key"
        );
        let any_not = one_condition(
            "Deny",
            json!({"ForAnyValue:StringNotEquals": {"dynamodb:Attributes": ["Status"]}}),
        );
        assert_eq!(
            decide(&any_not, &attrs(&["Status", "X"]))?,
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&any_not, &attrs(&["Status"]))?,
            Decision::ImplicitDeny
        );
        Ok(())
    }

    #[test]
    fn null_bool_and_arn_operators() -> TestResult {
        let null = one_condition("Deny", json!({"Null": {"s3:if-none-match": "true"}}));
        assert_eq!(decide(&null, &update())?, Decision::ExplicitDeny);
        assert_eq!(
            decide(&null, &update().with("s3:if-none-match", "*"))?,
            Decision::ImplicitDeny
        );
        let present = one_condition("Allow", json!({"Null": {"aws:SourceIdentity": "false"}}));
        assert!(decide(&present, &update().with("aws:SourceIdentity", "k"))?.allowed());
        assert!(!decide(&present, &update())?.allowed());
        // Two keys in one operator: both must hold.
        let both = one_condition("Deny", json!({"Null": {"a:a": "true", "b:b": "true"}}));
        assert_eq!(
            decide(&both, &update().with("a:a", "1"))?,
            Decision::ImplicitDeny
        );
        assert_eq!(decide(&both, &update())?, Decision::ExplicitDeny);
        let tls = one_condition("Deny", json!({"Bool": {"aws:SecureTransport": "false"}}));
        assert_eq!(
            decide(&tls, &update().with("aws:SecureTransport", "false"))?,
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&tls, &update().with("aws:SecureTransport", "TRUE"))?,
            Decision::ImplicitDeny
        );
        assert_eq!(decide(&tls, &update())?, Decision::ImplicitDeny);
        let bool_if = one_condition(
            "Deny",
            json!({"BoolIfExists": {"s3:ObjectCreationOperation": true}}),
        );
        assert_eq!(decide(&bool_if, &update())?, Decision::ExplicitDeny);
        assert_eq!(
            decide(
                &bool_if,
                &update().with("s3:ObjectCreationOperation", "false")
            )?,
            Decision::ImplicitDeny
        );
        let arn = one_condition(
            "Allow",
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:rolesanywhere:sa-east-1:111122223333:trust-anchor/a"}}),
        );
        assert!(
            decide(
                &arn,
                &update().with(
                    "aws:SourceArn",
                    "arn:aws:rolesanywhere:sa-east-1:111122223333:trust-anchor/a"
                )
            )?
            .allowed()
        );
        assert!(
            !decide(
                &arn,
                &update().with(
                    "aws:SourceArn",
                    "arn:aws:rolesanywhere:sa-east-1:111122223333:trust-anchor/b"
                )
            )?
            .allowed()
        );
        assert!(!decide(&arn, &update())?.allowed());
        let arn_like = one_condition(
            "Allow",
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:rolesanywhere:*:111122223333:trust-anchor/*"}}),
        );
        assert!(
            decide(
                &arn_like,
                &update().with(
                    "aws:SourceArn",
                    "arn:aws:rolesanywhere:sa-east-1:111122223333:trust-anchor/x"
                )
            )?
            .allowed()
        );
        let unknown = one_condition("Allow", json!({"NumericLessThan": {"a:a": "1"}}));
        assert!(decide(&unknown, &update().with("a:a", "0")).is_err());
        Ok(())
    }

    #[test]
    fn trust_policies_match_principals() -> TestResult {
        let role = "arn:aws:iam::111122223333:role/dayfusion-kiosk";
        let trust = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": "sts:TagSession"}
        ]});
        let assume = |p: Principal| {
            Request::new("sts:AssumeRole", "arn:aws:iam::111122223333:role/w").principal(p)
        };
        assert!(decide(&trust, &assume(Principal::role_session(role, "s")))?.allowed());
        assert!(
            !decide(
                &trust,
                &assume(Principal::arn("arn:aws:iam::111122223333:user/eve"))
            )?
            .allowed()
        );
        assert!(
            !decide(
                &trust,
                &assume(Principal::service("rolesanywhere.amazonaws.com"))
            )?
            .allowed()
        );
        let tag = Request::new("sts:TagSession", "arn:aws:iam::111122223333:role/w")
            .principal(Principal::service("rolesanywhere.amazonaws.com"));
        assert!(decide(&trust, &tag)?.allowed());
        let root = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}
        ]});
        assert!(
            decide(
                &root,
                &assume(Principal::arn("arn:aws:iam::111122223333:user/eve"))
            )?
            .allowed()
        );
        assert!(
            !decide(
                &root,
                &assume(Principal::arn("arn:aws:iam::444455556666:user/eve"))
            )?
            .allowed()
        );
        let anyone = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
        ]});
        assert_eq!(
            decide(&anyone, &Request::new("s3:GetObject", "arn:aws:s3:::b/k"))?,
            Decision::ExplicitDeny
        );
        assert!(
            decide(&trust, &Request::new("sts:AssumeRole", "r")).is_err(),
            "no principal"
        );
        Ok(())
    }

    #[test]
    fn unmodelled_policy_parts_are_errors() {
        let bad = [
            json!({"Version": "2008-10-17", "Statement": []}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "a:b", "Resource": "*"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "a:b", "Resource": "*"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "a:b", "NotAction": "a:c", "Resource": "*"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "a:b"}]}),
        ];
        for policy in bad {
            assert!(
                decide(&policy, &Request::new("a:b", "r")).is_err(),
                "{policy}"
            );
        }
    }

    #[test]
    fn glob_matches_whole_strings() {
        let p = literal_pattern("a*b?c");
        assert!(glob(&p, "abxc"));
        assert!(glob(&p, "a123bxc"));
        assert!(!glob(&p, "abc"));
        assert!(!glob(&p, "abxcd"));
        assert!(glob(&literal_pattern("*"), ""));
        assert!(glob(&literal_pattern(""), ""));
        assert!(!glob(&literal_pattern(""), "x"));
    }
}

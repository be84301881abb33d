//! Just enough of CloudFormation to read the policy documents out of
//! `infra/aws/cloudformation/dayfusion.yaml` for given parameters: `Ref`,
//! `Fn::Sub` (with `${!Literal}`), `Fn::GetAtt`, `Fn::If` with the
//! template's `Conditions`, `Fn::Join`, `AWS::NoValue` and the pseudo
//! parameters, in short (`!Sub`) or long (`Fn::Sub`) form. `Rules`
//! assertions can be checked too. Anything else is an error.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::EvalError;

type Result<T> = std::result::Result<T, EvalError>;

fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(EvalError(message.into()))
}

/// A template with its parameters given: resolves its values.
pub struct Stack {
    template: Yaml,
    /// Parameters (defaults, then the given ones) and pseudo parameters.
    refs: BTreeMap<String, String>,
    /// `Logical.Attribute` values of the resources.
    attributes: BTreeMap<String, String>,
}

impl Stack {
    /// `given` parameters over the template's defaults; `resource_refs` and
    /// `attributes` stand for what the deployed resources would answer.
    pub fn new(
        text: &str,
        given: &[(&str, &str)],
        pseudo: &[(&str, &str)],
        resource_refs: &[(&str, String)],
        attributes: &[(&str, String)],
    ) -> Result<Stack> {
        let template: Yaml =
            serde_yaml::from_str(text).map_err(|e| EvalError(format!("template YAML: {e}")))?;
        let mut refs = BTreeMap::new();
        if let Some(Yaml::Mapping(params)) = template.get("Parameters") {
            for (name, spec) in params {
                let Some(name) = name.as_str() else {
                    return fail("parameter name");
                };
                if let Some(default) = spec.get("Default") {
                    refs.insert(name.to_owned(), scalar(default)?);
                }
            }
        }
        for (name, value) in given {
            let known = template
                .get("Parameters")
                .and_then(|p| p.get(*name))
                .is_some();
            if !known {
                return fail(format!("no parameter {name} in the template"));
            }
            refs.insert((*name).to_owned(), (*value).to_owned());
        }
        for (name, value) in pseudo {
            refs.insert((*name).to_owned(), (*value).to_owned());
        }
        for (name, value) in resource_refs {
            refs.insert((*name).to_owned(), value.clone());
        }
        let attributes = attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        Ok(Stack {
            template,
            refs,
            attributes,
        })
    }

    /// The value at `path` (mapping keys and sequence indexes), resolved.
    pub fn resolve_at(&self, path: &[&str]) -> Result<Json> {
        let mut node = &self.template;
        for step in path {
            node = match (node, step.parse::<usize>()) {
                (Yaml::Sequence(items), Ok(i)) => items.get(i),
                _ => node.get(*step),
            }
            .ok_or_else(|| EvalError(format!("template has no {}", path.join("."))))?;
        }
        self.resolve(node)?
            .ok_or_else(|| EvalError(format!("{} is AWS::NoValue", path.join("."))))
    }

    /// Whether the resource `logical` exists with these parameters.
    pub fn has_resource(&self, logical: &str) -> Result<bool> {
        let Some(resource) = self.template.get("Resources").and_then(|r| r.get(logical)) else {
            return Ok(false);
        };
        match resource.get("Condition").and_then(Yaml::as_str) {
            Some(name) => self.condition(name),
            None => Ok(true),
        }
    }

    /// The `AssertDescription` of every `Rules` assertion that fails.
    pub fn failed_rules(&self) -> Result<Vec<String>> {
        let mut failed = Vec::new();
        let Some(Yaml::Mapping(rules)) = self.template.get("Rules") else {
            return Ok(failed);
        };
        for (_, rule) in rules {
            if rule.get("RuleCondition").is_some() {
                return fail("RuleCondition is not modelled");
            }
            let Some(Yaml::Sequence(assertions)) = rule.get("Assertions") else {
                return fail("rule without Assertions");
            };
            for assertion in assertions {
                let Some(test) = assertion.get("Assert") else {
                    return fail("assertion without Assert");
                };
                if !self.boolean(test)? {
                    let why = assertion
                        .get("AssertDescription")
                        .and_then(Yaml::as_str)
                        .unwrap_or("(no description)");
                    failed.push(why.to_owned());
                }
            }
        }
        Ok(failed)
    }

    fn condition(&self, name: &str) -> Result<bool> {
        let Some(body) = self.template.get("Conditions").and_then(|c| c.get(name)) else {
            return fail(format!("no condition {name}"));
        };
        self.boolean(body)
    }

    /// A condition function's value.
    fn boolean(&self, node: &Yaml) -> Result<bool> {
        let (function, args) = function_of(node)
            .ok_or_else(|| EvalError(format!("not a condition function: {node:?}")))?;
        let list = |n: usize| -> Result<&Vec<Yaml>> {
            match args {
                Yaml::Sequence(items) if n == 0 || items.len() == n => Ok(items),
                _ => fail(format!("Fn::{function} arguments: {args:?}")),
            }
        };
        match function {
            "Equals" => {
                let items = list(2)?;
                Ok(self.resolve(&items[0])? == self.resolve(&items[1])?)
            }
            "Not" => Ok(!self.boolean(&list(1)?[0])?),
            "And" => {
                for item in list(0)? {
                    if !self.boolean(item)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            "Or" => {
                for item in list(0)? {
                    if self.boolean(item)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            "Condition" => match args.as_str() {
                Some(name) => self.condition(name),
                None => fail("Condition needs a name"),
            },
            other => fail(format!("Fn::{other} is no condition function")),
        }
    }

    /// `None` for `AWS::NoValue`.
    fn resolve(&self, node: &Yaml) -> Result<Option<Json>> {
        if let Some((function, args)) = function_of(node) {
            return self.function(function, args);
        }
        Ok(Some(match node {
            Yaml::Null => Json::Null,
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Number(n) => {
                serde_json::to_value(n).map_err(|e| EvalError(format!("number {n}: {e}")))?
            }
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Sequence(items) => {
                let mut out = Vec::new();
                for item in items {
                    if let Some(v) = self.resolve(item)? {
                        out.push(v);
                    }
                }
                Json::Array(out)
            }
            Yaml::Mapping(map) => {
                let mut out = serde_json::Map::new();
                for (key, value) in map {
                    let Some(key) = key.as_str() else {
                        return fail(format!("mapping key {key:?} (quote 'Null')"));
                    };
                    if let Some(v) = self.resolve(value)? {
                        out.insert(key.to_owned(), v);
                    }
                }
                Json::Object(out)
            }
            Yaml::Tagged(tagged) => return fail(format!("tag {} is not modelled", tagged.tag)),
        }))
    }

    fn function(&self, function: &str, args: &Yaml) -> Result<Option<Json>> {
        match function {
            "Ref" => {
                let Some(name) = args.as_str() else {
                    return fail("Ref needs a name");
                };
                if name == "AWS::NoValue" {
                    return Ok(None);
                }
                match self.refs.get(name) {
                    Some(v) => Ok(Some(Json::String(v.clone()))),
                    None => fail(format!("Ref {name}: unknown")),
                }
            }
            "GetAtt" => {
                let key = match args {
                    Yaml::String(s) => s.clone(),
                    Yaml::Sequence(items) if items.len() == 2 => format!(
                        "{}.{}",
                        items[0].as_str().unwrap_or_default(),
                        items[1].as_str().unwrap_or_default()
                    ),
                    _ => return fail(format!("GetAtt {args:?}")),
                };
                match self.attributes.get(&key) {
                    Some(v) => Ok(Some(Json::String(v.clone()))),
                    None => fail(format!("GetAtt {key}: unknown")),
                }
            }
            "Sub" => {
                let (text, vars) = match args {
                    Yaml::String(s) => (s.as_str(), None),
                    Yaml::Sequence(items) if items.len() == 2 => match items[0].as_str() {
                        Some(s) => (s, Some(&items[1])),
                        None => return fail("Sub's first argument"),
                    },
                    _ => return fail(format!("Sub {args:?}")),
                };
                Ok(Some(Json::String(self.sub(text, vars)?)))
            }
            "If" => {
                let Yaml::Sequence(items) = args else {
                    return fail("If needs a list");
                };
                let [name, yes, no] = items.as_slice() else {
                    return fail("If needs three items");
                };
                let Some(name) = name.as_str() else {
                    return fail("If's condition name");
                };
                if self.condition(name)? {
                    self.resolve(yes)
                } else {
                    self.resolve(no)
                }
            }
            "Join" => {
                let Yaml::Sequence(items) = args else {
                    return fail("Join needs a list");
                };
                let [sep, list] = items.as_slice() else {
                    return fail("Join needs two items");
                };
                let sep = sep.as_str().unwrap_or_default();
                let Some(Json::Array(parts)) = self.resolve(list)? else {
                    return fail("Join's list");
                };
                let parts: Vec<String> = parts
                    .iter()
                    .map(|p| {
                        p.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| p.to_string())
                    })
                    .collect();
                Ok(Some(Json::String(parts.join(sep))))
            }
            other => fail(format!("Fn::{other} is not modelled")),
        }
    }

    fn sub(&self, text: &str, vars: Option<&Yaml>) -> Result<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return fail(format!("Sub: unclosed ${{ in {text}"));
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            if let Some(value) = vars.and_then(|v| v.get(name)) {
                match self.resolve(value)? {
                    Some(Json::String(s)) => out.push_str(&s),
                    other => return fail(format!("Sub variable {name}: {other:?}")),
                }
            } else if let Some(value) = self.refs.get(name) {
                out.push_str(value);
            } else if let Some(value) = self.attributes.get(name) {
                out.push_str(value);
            } else {
                return fail(format!(
                    "Sub: ${{{name}}} is neither a parameter nor a resource (write ${{!{name}}} for IAM)"
                ));
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// `(name, arguments)` of an intrinsic function in either form.
fn function_of(node: &Yaml) -> Option<(&str, &Yaml)> {
    match node {
        Yaml::Tagged(tagged) => {
            let name = tagged.tag.to_string();
            let name = name.trim_start_matches('!');
            let name = FUNCTIONS.iter().find(|f| **f == name)?;
            Some((name, &tagged.value))
        }
        Yaml::Mapping(map) if map.len() == 1 => {
            let (key, value) = map.iter().next()?;
            let key = key.as_str()?;
            let name = if key == "Ref" || key == "Condition" {
                key
            } else {
                key.strip_prefix("Fn::")?
            };
            let name = FUNCTIONS.iter().find(|f| **f == name)?;
            Some((name, value))
        }
        _ => None,
    }
}

const FUNCTIONS: &[&str] = &[
    "Ref",
    "Sub",
    "GetAtt",
    "If",
    "Join",
    "Equals",
    "Not",
    "And",
    "Or",
    "Condition",
];

fn scalar(node: &Yaml) -> Result<String> {
    match node {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        other => fail(format!("not a scalar: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TEMPLATE: &str = r#"
Parameters:
  Name:
    Type: String
    Default: base
  Flag:
    Type: String
    Default: ''
Conditions:
  HasFlag: !Not [!Equals [!Ref Flag, '']]
  Either: !Or [!Condition HasFlag, !Equals [!Ref Name, other]]
Rules:
  NeedsFlag:
    Assertions:
      - Assert: !Condition HasFlag
        AssertDescription: give Flag
Resources:
  Thing:
    Type: X
    Condition: HasFlag
    Properties:
      A: !Sub 'arn:${AWS::Partition}:x:::${Name}/${!aws:PrincipalTag/k}/*'
      B: !If [HasFlag, !Ref Flag, !Ref AWS::NoValue]
      C:
        - one
        - !If [Either, two, !Ref AWS::NoValue]
      D: !GetAtt Other.Arn
      E:
        Fn::Join: ['-', [!Ref Name, x]]
      F: !Sub ['${V}!', {V: !Ref Name}]
      'Null':
        k: 'true'
"#;

    #[test]
    fn the_intrinsics_resolve_for_the_parameters_given() -> std::result::Result<(), EvalError> {
        let attrs = [("Other.Arn", "arn:o".to_owned())];
        let stack = Stack::new(TEMPLATE, &[], &[("AWS::Partition", "aws")], &[], &attrs)?;
        assert!(!stack.has_resource("Thing")?);
        assert_eq!(stack.failed_rules()?, ["give Flag"]);
        let props = stack.resolve_at(&["Resources", "Thing", "Properties"])?;
        assert_eq!(
            props,
            json!({"A": "arn:aws:x:::base/${aws:PrincipalTag/k}/*", "C": ["one"], "D": "arn:o",
                   "E": "base-x", "F": "base!", "Null": {"k": "true"}})
        );
        let flagged = Stack::new(
            TEMPLATE,
            &[("Flag", "f")],
            &[("AWS::Partition", "aws")],
            &[],
            &attrs,
        )?;
        assert!(flagged.has_resource("Thing")?);
        assert!(flagged.failed_rules()?.is_empty());
        assert_eq!(
            flagged.resolve_at(&["Resources", "Thing", "Properties", "B"])?,
            json!("f")
        );
        assert_eq!(
            flagged.resolve_at(&["Resources", "Thing", "Properties", "C"])?,
            json!(["one", "two"])
        );
        assert!(Stack::new(TEMPLATE, &[("Nope", "x")], &[], &[], &[]).is_err());
        Ok(())
    }

    #[test]
    fn an_unknown_sub_variable_is_an_error() -> std::result::Result<(), EvalError> {
        let stack = Stack::new(
            "X: !Sub '${aws:PrincipalTag/k}'\nY: !FindInMap [a, b, c]\n",
            &[],
            &[],
            &[],
            &[],
        )?;
        assert!(stack.resolve_at(&["X"]).is_err());
        assert!(stack.resolve_at(&["Y"]).is_err());
        Ok(())
    }
}

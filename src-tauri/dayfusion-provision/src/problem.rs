//! What is wrong with a provisioning file, where (key path and line), in
//! the operator's language.

use std::ops::Range;

use serde::Serialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Language of the messages: Brazilian Portuguese (the default) or English.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    /// Brazilian Portuguese.
    #[default]
    PtBr,
    /// English.
    En,
}

impl Lang {
    /// `pt-BR` for any Portuguese tag, English for anything else.
    pub fn parse(tag: &str) -> Lang {
        let lower = tag.to_ascii_lowercase();
        if lower == "pt" || lower.starts_with("pt-") || lower.starts_with("pt_") {
            Lang::PtBr
        } else {
            Lang::En
        }
    }

    /// The locale code of the message files.
    pub fn code(self) -> &'static str {
        match self {
            Lang::PtBr => "pt-BR",
            Lang::En => "en",
        }
    }
}

/// The message `key` in `lang` with `%{name}` replaced by the arguments.
pub(crate) fn text(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut message = rust_i18n::t!(key, locale = lang.code()).into_owned();
    for (name, value) in args {
        message = message.replace(&format!("%{{{name}}}"), value);
    }
    message
}

/// Whether `key` may hold a secret pasted by mistake (`pin-file`,
/// `pin-env`, `reset-pin`, a `pin` key): the TOML parser's words about its
/// value (which quote the value) are never passed on.
pub(crate) fn secret_key(key: &str) -> bool {
    key.to_ascii_lowercase().contains("pin")
}

/// Whether the line of `text` holding byte `offset` assigns a key that may
/// hold a secret (see [`secret_key`]).
pub(crate) fn secret_line(text: &str, offset: usize) -> bool {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let start = bytes[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[offset..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| offset + i);
    let line = String::from_utf8_lossy(&bytes[start..end]);
    let key = line.split('=').next().unwrap_or_default();
    secret_key(key)
}

/// One step of a key path in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A key of a table.
    Key(String),
    /// An entry of an array (0-based).
    Index(usize),
}

/// A key path: `["staff", 1, "pin-file"]`.
pub(crate) type KeyPath = Vec<Seg>;

/// `path` with `key` appended.
pub(crate) fn at(path: &[Seg], key: &str) -> KeyPath {
    let mut path = path.to_vec();
    path.push(Seg::Key(key.to_owned()));
    path
}

/// A key path as people read it: `staff[2].pin-file` (entries counted from 1).
pub(crate) fn key_name(path: &[Seg]) -> String {
    let mut name = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(key);
            }
            Seg::Index(i) => name.push_str(&format!("[{}]", i + 1)),
        }
    }
    name
}

/// Something that stops the file from being applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Stable code (`pin-file-permissions`).
    pub code: String,
    /// The key it is about (`staff[2].pin-file`), when there is one.
    pub key: Option<String>,
    /// Line of the file (from 1), when known.
    pub line: Option<usize>,
    /// The message for people, in the requested language.
    pub message: String,
}

/// Something worth knowing that does not stop the file from being applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    /// Stable code (`staff-kept`).
    pub code: String,
    /// The message for people, in the requested language.
    pub message: String,
}

impl Notice {
    /// Warning `code` worded by `warning.{code}`.
    pub(crate) fn new(lang: Lang, code: &str, args: &[(&str, &str)]) -> Notice {
        Notice {
            code: code.to_owned(),
            message: text(lang, &format!("warning.{code}"), args),
        }
    }
}

/// The parsed file with its positions, to name lines.
pub(crate) struct Source<'i> {
    text: &'i str,
    doc: Spanned<DeTable<'i>>,
}

impl<'i> Source<'i> {
    /// Parses `text` (TOML syntax only).
    pub fn parse(text: &'i str) -> Result<Source<'i>, toml::de::Error> {
        Ok(Source {
            text,
            doc: DeTable::parse(text)?,
        })
    }

    /// The document's top-level table.
    pub fn root(&self) -> &DeTable<'i> {
        self.doc.get_ref()
    }

    /// Line (from 1) of byte `offset`.
    pub fn line_at(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// Line of the deepest part of `path` found in the file.
    pub fn line_of(&self, path: &[Seg]) -> Option<usize> {
        let mut best = None;
        let mut value: Option<&Spanned<DeValue<'i>>> = None;
        for seg in path {
            match seg {
                Seg::Key(key) => {
                    let table = match value.map(Spanned::get_ref) {
                        None => self.root(),
                        Some(DeValue::Table(table)) => table,
                        Some(_) => break,
                    };
                    let Some((k, v)) = table.get_key_value(key.as_str()) else {
                        break;
                    };
                    best = Some(k.span().start);
                    value = Some(v);
                }
                Seg::Index(i) => {
                    let Some(DeValue::Array(array)) = value.map(Spanned::get_ref) else {
                        break;
                    };
                    let Some(item) = array.get(*i) else { break };
                    best = Some(item.span().start);
                    value = Some(item);
                }
            }
        }
        best.map(|offset| self.line_at(offset))
    }
}

/// Collects the problems of one file, localised and located.
pub(crate) struct Problems<'s, 'i> {
    pub lang: Lang,
    source: Option<&'s Source<'i>>,
    pub list: Vec<Problem>,
}

impl<'s, 'i> Problems<'s, 'i> {
    pub fn new(lang: Lang, source: Option<&'s Source<'i>>) -> Self {
        Problems {
            lang,
            source,
            list: Vec::new(),
        }
    }

    /// Adds problem `code` about `path` (`%{key}` is its name).
    pub fn add(&mut self, code: &str, path: &[Seg], args: &[(&str, &str)]) {
        self.add_worded(code, code, path, args);
    }

    /// Adds problem `code` worded by message `problem.{wording}`.
    pub fn add_worded(&mut self, code: &str, wording: &str, path: &[Seg], args: &[(&str, &str)]) {
        let key = (!path.is_empty()).then(|| key_name(path));
        let mut all: Vec<(&str, &str)> = args.to_vec();
        if let Some(key) = &key {
            all.push(("key", key));
        }
        let message = text(self.lang, &format!("problem.{wording}"), &all);
        self.list.push(Problem {
            code: code.to_owned(),
            line: self.source.and_then(|s| s.line_of(path)),
            key,
            message,
        });
    }

    /// Adds problem `code` found at byte range `span` (a TOML error).
    pub fn add_at(
        &mut self,
        code: &str,
        path: &[Seg],
        span: Option<Range<usize>>,
        args: &[(&str, &str)],
    ) {
        self.add_worded_at(code, code, path, span, args);
    }

    /// [`Problems::add_at`] worded by message `problem.{wording}`.
    pub fn add_worded_at(
        &mut self,
        code: &str,
        wording: &str,
        path: &[Seg],
        span: Option<Range<usize>>,
        args: &[(&str, &str)],
    ) {
        self.add_worded(code, wording, path, args);
        if let (Some(span), Some(source), Some(last)) = (span, self.source, self.list.last_mut()) {
            last.line = Some(source.line_at(span.start));
        }
    }

    /// The problems in file order (those without a line last).
    pub fn into_sorted(mut self) -> Vec<Problem> {
        self.list
            .sort_by_key(|p| (p.line.is_none(), p.line.unwrap_or_default()));
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_name_lines() -> Result<(), toml::de::Error> {
        let text = "[kiosk]\nid = \"a\"\n\n[[staff]]\nid = \"f1\"\n\n[[staff]]\nid = \"f2\"\npin-env = \"X\"\n";
        let source = Source::parse(text)?;
        let staff = |i: usize, key: &str| {
            vec![
                Seg::Key("staff".into()),
                Seg::Index(i),
                Seg::Key(key.into()),
            ]
        };
        assert_eq!(source.line_of(&[Seg::Key("kiosk".into())]), Some(1));
        assert_eq!(
            source.line_of(&at(&[Seg::Key("kiosk".into())], "id")),
            Some(2)
        );
        assert_eq!(source.line_of(&staff(1, "pin-env")), Some(9));
        assert_eq!(source.line_of(&staff(0, "id")), Some(5));
        // A key that is not there: its table's header.
        assert_eq!(source.line_of(&staff(0, "name")), Some(4));
        assert_eq!(key_name(&staff(1, "pin-env")), "staff[2].pin-env");
        Ok(())
    }

    #[test]
    fn languages() {
        assert_eq!(Lang::parse("pt"), Lang::PtBr);
        assert_eq!(Lang::parse("pt_BR"), Lang::PtBr);
        assert_eq!(Lang::parse("en-US"), Lang::En);
        assert_eq!(Lang::default(), Lang::PtBr);
        let pt = text(Lang::PtBr, "report.nothing", &[]);
        let en = text(Lang::En, "report.nothing", &[]);
        assert!(pt.starts_with("Nada a alterar"), "{pt}");
        assert!(en.starts_with("Nothing to change"), "{en}");
    }
}

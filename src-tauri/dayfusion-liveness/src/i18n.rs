//! Messages in pt-BR (the default) and en.

/// The locale code rust-i18n knows for `locale`: `pt-BR` for any
/// Portuguese tag, `en` for anything else.
pub fn normalise(locale: &str) -> &'static str {
    let lower = locale.to_ascii_lowercase();
    if lower == "pt" || lower.starts_with("pt-") || lower.starts_with("pt_") {
        "pt-BR"
    } else {
        "en"
    }
}

/// The message under `key` in `locale`; a key with no message is returned
/// as is (so a missing translation shows up rather than hiding).
pub fn translate(key: &str, locale: &str) -> String {
    rust_i18n::t!(key, locale = normalise(locale)).into_owned()
}

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

/// The sentence for an error or reason `code`; an unknown code falls back to
/// the generic message of its family, so a person never sees a bare code.
pub fn message(code: &str, locale: &str) -> String {
    let locale = normalise(locale);
    let key = format!("message.{code}");
    let text = rust_i18n::t!(&key, locale = locale).into_owned();
    if text == key {
        rust_i18n::t!("message.unknown", locale = locale).into_owned()
    } else {
        text
    }
}

/// The status as a word for people (`Aprovado`).
pub fn status_label(status: crate::domain::Status, locale: &str) -> String {
    let key = format!("status.{}", status.as_str());
    rust_i18n::t!(&key, locale = normalise(locale)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_messages_in_both_languages_and_unknown_codes_fall_back() {
        let pt = message("storage-full", "pt-BR");
        let en = message("storage-full", "en");
        assert!(pt.contains("disco"), "{pt}");
        assert!(en.contains("disk"), "{en}");
        assert_eq!(message("no-such-code", "en"), message("unknown", "en"));
        for code in [
            "review-not-pending",
            "legal-hold-unchanged",
            "staff-sign-in-refused",
        ] {
            for locale in ["pt-BR", "en"] {
                assert_ne!(message(code, locale), message("unknown", locale), "{code}");
            }
        }
        assert_eq!(
            status_label(crate::domain::Status::Approved, "pt"),
            "Aprovado"
        );
    }
}

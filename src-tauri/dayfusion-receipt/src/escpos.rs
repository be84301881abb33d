//! ESC/POS bytes of a receipt.

use crate::ReceiptError;

/// Most lines a receipt takes (besides the protocol).
pub const MAX_LINES: usize = 24;
/// Longest line, characters (the printer wraps it).
pub const MAX_LINE_CHARS: usize = 200;
/// Longest protocol, characters.
const MAX_PROTOCOL_CHARS: usize = 64;

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;
const LF: u8 = 0x0a;

/// What the receipt says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The outcome, printed large first (the kiosk's own words for the
    /// decision, never the screen's).
    pub headline: String,
    /// The lines after it, in the customer's language, in order.
    pub lines: Vec<String>,
    /// The label before the protocol (`Protocolo`).
    pub protocol_label: String,
    /// The protocol, printed as text and as a QR code.
    pub protocol: String,
}

fn text_ok(text: &str, max: usize) -> bool {
    let count = text.chars().count();
    (1..=max).contains(&count) && !text.chars().any(char::is_control)
}

/// `text` in Windows-1252; a character it lacks becomes `?`.
fn cp1252(text: &str, out: &mut Vec<u8>) {
    let mut encoder = encoding_rs::WINDOWS_1252.new_encoder();
    let mut buffer = [0u8; 8];
    for ch in text.chars() {
        let mut utf8 = [0u8; 4];
        let (result, _, written) = encoder.encode_from_utf8_without_replacement(
            ch.encode_utf8(&mut utf8),
            &mut buffer,
            true,
        );
        match result {
            encoding_rs::EncoderResult::InputEmpty => out.extend_from_slice(&buffer[..written]),
            _ => out.push(b'?'),
        }
    }
}

/// The receipt as ESC/POS bytes: reset, code page 16 (Windows-1252),
/// centred; the headline bold at double size; the lines; the
/// protocol's label and text in bold; its QR code (model 2, 6-dot modules,
/// level M); a feed and a partial cut.
pub fn encode(receipt: &Receipt) -> Result<Vec<u8>, ReceiptError> {
    if receipt.lines.len() > MAX_LINES {
        return Err(ReceiptError::Invalid("lines"));
    }
    if !receipt.lines.iter().all(|l| text_ok(l, MAX_LINE_CHARS))
        || !text_ok(&receipt.headline, MAX_LINE_CHARS)
        || !text_ok(&receipt.protocol_label, MAX_LINE_CHARS)
    {
        return Err(ReceiptError::Invalid("line"));
    }
    if !text_ok(&receipt.protocol, MAX_PROTOCOL_CHARS) || !receipt.protocol.is_ascii() {
        return Err(ReceiptError::Invalid("protocol"));
    }
    let mut out = vec![ESC, b'@', ESC, b't', 16, ESC, b'a', 1];
    out.extend_from_slice(&[ESC, b'E', 1, GS, b'!', 0x11]);
    cp1252(&receipt.headline, &mut out);
    out.extend_from_slice(&[GS, b'!', 0, ESC, b'E', 0, LF, LF]);
    for line in &receipt.lines {
        cp1252(line, &mut out);
        out.push(LF);
    }
    out.push(LF);
    out.extend_from_slice(&[ESC, b'E', 1]);
    cp1252(&receipt.protocol_label, &mut out);
    out.extend_from_slice(b": ");
    out.extend_from_slice(receipt.protocol.as_bytes());
    out.extend_from_slice(&[ESC, b'E', 0, LF]);
    out.extend_from_slice(&qr_code(receipt.protocol.as_bytes()));
    out.extend_from_slice(&[LF, ESC, b'd', 4, GS, b'V', 66, 0]);
    Ok(out)
}

/// `GS ( k` function 165 (model 2), 167 (module size), 169 (level M), 180
/// (store the data), 181 (print it).
fn qr_code(data: &[u8]) -> Vec<u8> {
    let stored = data.len() + 3;
    let mut out = vec![
        GS, b'(', b'k', 4, 0, 49, 65, 50, 0, // model 2
        GS, b'(', b'k', 3, 0, 49, 67, 6, // 6 dots a module
        GS, b'(', b'k', 3, 0, 49, 69, 49, // error correction M
        GS, b'(', b'k',
    ];
    // The protocol is at most 64 bytes: both length bytes fit.
    out.extend_from_slice(&[(stored % 256) as u8, (stored / 256) as u8, 49, 80, 48]);
    out.extend_from_slice(data);
    out.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            headline: "Verificação aprovada".to_owned(),
            lines: vec![
                "Você já pode seguir com o atendimento.".to_owned(),
                "07/12/2026 22:31 · Quiosque AG0001-01".to_owned(),
            ],
            protocol_label: "Protocolo".to_owned(),
            protocol: "7F3A91C2".to_owned(),
        }
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn a_receipt_is_reset_windows_1252_text_a_qr_code_of_the_protocol_and_a_cut()
    -> Result<(), ReceiptError> {
        let bytes = encode(&receipt())?;
        assert!(
            bytes.starts_with(&[ESC, b'@', ESC, b't', 16]),
            "reset, code page 16"
        );
        // "ç" and "ã" as Windows-1252 bytes, the title at double size.
        let title =
            find(&bytes, b"Verifica\xe7\xe3o aprovada").ok_or(ReceiptError::Invalid("title"))?;
        assert_eq!(&bytes[title - 3..title], &[GS, b'!', 0x11]);
        assert!(find(&bytes, b"Voc\xea j\xe1 pode").is_some());
        // "·" is in Windows-1252 too.
        assert!(find(&bytes, b"22:31 \xb7 Quiosque").is_some());
        assert!(find(&bytes, b"Protocolo: 7F3A91C2").is_some());
        // Store 8 bytes of data (+3), then print.
        let store = find(&bytes, &[GS, b'(', b'k', 11, 0, 49, 80, 48])
            .ok_or(ReceiptError::Invalid("store"))?;
        assert_eq!(&bytes[store + 8..store + 16], b"7F3A91C2");
        assert!(find(&bytes, &[GS, b'(', b'k', 3, 0, 49, 81, 48]).is_some_and(|p| p > store));
        assert!(bytes.ends_with(&[GS, b'V', 66, 0]), "partial cut");
        Ok(())
    }

    #[test]
    fn characters_without_a_byte_become_question_marks_and_nothing_else_slips_through()
    -> Result<(), ReceiptError> {
        let mut r = receipt();
        r.lines[0] = "Olá 😀 ✓".to_owned();
        let bytes = encode(&r)?;
        assert!(find(&bytes, b"Ol\xe1 ? ?").is_some());

        // Control characters (an ESC/POS command smuggled in a line) are refused.
        let mut hostile = receipt();
        hostile.lines[0] = "abc\u{1b}@".to_owned();
        assert!(matches!(encode(&hostile), Err(ReceiptError::Invalid(_))));
        let mut empty = receipt();
        empty.headline.clear();
        assert!(encode(&empty).is_err());
        let mut no_lines = receipt();
        no_lines.lines.clear();
        assert!(encode(&no_lines).is_ok());
        let mut many = receipt();
        many.lines = vec!["x".to_owned(); MAX_LINES + 1];
        assert!(encode(&many).is_err());
        let mut long = receipt();
        long.lines[1] = "x".repeat(MAX_LINE_CHARS + 1);
        assert!(encode(&long).is_err());
        let mut protocol = receipt();
        protocol.protocol = "protocolo-ç".to_owned();
        assert!(encode(&protocol).is_err());
        Ok(())
    }
}

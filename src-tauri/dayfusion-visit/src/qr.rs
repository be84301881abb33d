//! QR codes for the customer's screens: the protocol on the result, the
//! DPO's contact on the consent. The screens draw the SVG path; nothing
//! leaves the kiosk.

use dayfusion_ipc::QrCode;
use qrcode::{Color, EcLevel};

use crate::error::VisitError;

/// Longest text a screen may turn into a QR code, characters.
pub const MAX_QR_CHARS: usize = 256;

/// `text` as a QR code (error correction M: a smudged screen still scans).
/// Empty text, control characters or more than [`MAX_QR_CHARS`] are refused.
pub fn encode(text: &str) -> Result<QrCode, VisitError> {
    let count = text.chars().count();
    if count == 0 || count > MAX_QR_CHARS || text.chars().any(char::is_control) {
        return Err(VisitError::InvalidInput("QR code text"));
    }
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| VisitError::InvalidInput("QR code text"))?;
    let size = code.width();
    let colours = code.to_colors();
    let mut path = String::new();
    for (y, row) in colours.chunks(size).enumerate() {
        let mut x = 0;
        while x < size {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let run = row[x..].iter().take_while(|c| **c == Color::Dark).count();
            path.push_str(&format!("M{x} {y}h{run}v1h-{run}z"));
            x += run;
        }
    }
    Ok(QrCode {
        size: u32::try_from(size).map_err(|_| VisitError::InvalidInput("QR code text"))?,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dark modules the path draws, read back.
    fn modules(code: &QrCode) -> Vec<bool> {
        let size = code.size as usize;
        let mut dark = vec![false; size * size];
        for part in code.path.split('z').filter(|p| !p.is_empty()) {
            let numbers: Vec<usize> = part
                .trim_start_matches('M')
                .split(['h', 'v', ' '])
                .filter_map(|n| n.trim_start_matches('-').parse().ok())
                .collect();
            let (x, y, run) = (numbers[0], numbers[1], numbers[2]);
            for cell in &mut dark[y * size + x..y * size + x + run] {
                *cell = true;
            }
        }
        dark
    }

    #[test]
    fn the_path_draws_exactly_the_codes_dark_modules() -> Result<(), Box<dyn std::error::Error>> {
        let text = "Protocolo 7F3A-91C2";
        let code = encode(text)?;
        let reference = qrcode::QrCode::with_error_correction_level(text, EcLevel::M)?;
        assert_eq!(code.size as usize, reference.width());
        let expected: Vec<bool> = reference
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        assert_eq!(modules(&code), expected);
        // The three finder patterns: a 7-module dark run opens the first row.
        assert!(code.path.starts_with("M0 0h7v1h-7z"), "{}", code.path);
        Ok(())
    }

    #[test]
    fn empty_long_or_control_text_is_refused() {
        assert!(encode("").is_err());
        assert!(encode(&"a".repeat(MAX_QR_CHARS + 1)).is_err());
        assert!(encode("line\nbreak").is_err());
        assert!(encode(&"a".repeat(MAX_QR_CHARS)).is_ok());
        assert!(encode("mailto:dpo@banco.example").is_ok());
    }
}

//! Document intake: where the photo comes from (file, PDF scan, SANE
//! scanner, scan-to-folder inbox, camera), the portrait on it, the preview
//! the customer confirms, and live framing feedback for the camera.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use dayfusion_ipc::{DocumentFrameQuality, DocumentHint, DocumentPreview};
use dayfusion_verify::flow::MAX_DOCUMENT_BYTES;
use dayfusion_verify::{FaceMatcher, FlowError, PortraitLocation};
use image::{GrayImage, RgbImage, imageops};
use zeroize::Zeroizing;

use crate::desk::DeskConfig;
use crate::error::VisitError;

/// Where a document photo comes from.
#[derive(Debug)]
pub enum DocumentSource {
    /// Encoded bytes the screen sent (a camera frame).
    Bytes(Vec<u8>),
    /// A file the customer picked in the native dialog.
    File(PathBuf),
    /// The newest file of the scan-to-folder inbox (deleted once read).
    Inbox,
    /// A SANE scanner.
    Scanner,
}

/// A document held in memory until the customer confirms it.
pub struct HeldDocument {
    /// JPEG or PNG bytes as they will be stored; zeroed on drop.
    pub bytes: Zeroizing<Vec<u8>>,
    /// The holder's portrait on it.
    pub location: PortraitLocation,
    /// Whether it was a PDF's first page.
    pub from_pdf: bool,
}

/// Inbox files younger than this may still be being written by the scanner.
const INBOX_SETTLE: Duration = Duration::from_secs(2);
/// Resolution PDF pages are rendered at (dpi): an ID card at 200 dpi is
/// about 670 px wide, its portrait well above the detector's minimum.
const PDF_DPI: &str = "200";
/// Longest a PDF may take to render.
const PDF_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads the document from `source` (at most [`MAX_DOCUMENT_BYTES`]);
/// a PDF becomes a JPEG of its first page (and `true`).
pub fn acquire(
    source: DocumentSource,
    config: &DeskConfig,
) -> Result<(Zeroizing<Vec<u8>>, bool), VisitError> {
    let bytes = match source {
        DocumentSource::Bytes(bytes) => Zeroizing::new(bytes),
        DocumentSource::File(path) => read_limited(&path)?,
        DocumentSource::Inbox => {
            let dir = config
                .document_inbox
                .as_deref()
                .ok_or_else(|| VisitError::InboxEmpty("no inbox folder is set".into()))?;
            take_from_inbox(dir)?
        }
        DocumentSource::Scanner => Zeroizing::new(crate::scanner::scan()?),
    };
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(VisitError::DocumentTooLarge(bytes.len() as u64));
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok((rasterize_pdf(&bytes)?, true));
    }
    Ok((bytes, false))
}

/// Whether `bytes` are a JPEG or PNG image.
fn is_jpeg_or_png(bytes: &[u8]) -> bool {
    matches!(
        image::guess_format(bytes),
        Ok(image::ImageFormat::Jpeg | image::ImageFormat::Png)
    )
}

/// Finds the portrait on the document; the document is held only when one
/// is found.
pub fn examine(
    matcher: &dyn FaceMatcher,
    bytes: Zeroizing<Vec<u8>>,
    from_pdf: bool,
) -> Result<HeldDocument, VisitError> {
    if !is_jpeg_or_png(&bytes) {
        return Err(VisitError::DocumentUnreadable(
            "not a JPEG, PNG or PDF file".into(),
        ));
    }
    let location = matcher
        .locate_portrait(&bytes)
        .map_err(|e| VisitError::Flow(FlowError::Input(e)))?;
    Ok(HeldDocument {
        bytes,
        location,
        from_pdf,
    })
}

impl HeldDocument {
    /// The portrait (upright) and the whole document, reduced, as data URLs.
    pub fn preview(&self) -> Result<DocumentPreview, VisitError> {
        let image = dayfusion_face::decode_image(&self.bytes)
            .map_err(|e| VisitError::DocumentUnreadable(e.to_string()))?;
        let portrait = portrait_crop(&image, &self.location);
        let document = upright(&image, self.location.rotation_degrees);
        Ok(DocumentPreview {
            portrait: jpeg_data_url(&fit(&portrait, 480))?,
            document: jpeg_data_url(&fit(&document, 960))?,
            rotation_degrees: self.location.rotation_degrees,
            from_pdf: self.from_pdf,
        })
    }
}

/// The portrait with a margin around the face, turned upright.
pub fn portrait_crop(image: &RgbImage, location: &PortraitLocation) -> RgbImage {
    let b = location.face_box;
    let (w, h) = (image.width() as f32, image.height() as f32);
    let margin_x = b.width * 0.45;
    let margin_y = b.height * 0.45;
    let x0 = (b.x - margin_x).clamp(0.0, w - 1.0);
    let y0 = (b.y - margin_y).clamp(0.0, h - 1.0);
    let x1 = (b.x + b.width + margin_x).clamp(x0 + 1.0, w);
    let y1 = (b.y + b.height + margin_y).clamp(y0 + 1.0, h);
    // Float pixel coordinates to whole pixels (inside the image by the clamps).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let crop = imageops::crop_imm(
        image,
        x0 as u32,
        y0 as u32,
        (x1 - x0).max(1.0) as u32,
        (y1 - y0).max(1.0) as u32,
    )
    .to_image();
    upright(&crop, location.rotation_degrees)
}

/// `image` turned clockwise by `degrees` (0, 90, 180, 270).
fn upright(image: &RgbImage, degrees: u16) -> RgbImage {
    match degrees {
        90 => imageops::rotate90(image),
        180 => imageops::rotate180(image),
        270 => imageops::rotate270(image),
        _ => image.clone(),
    }
}

/// `image` reduced so its longer side is at most `max` px.
fn fit(image: &RgbImage, max: u32) -> RgbImage {
    let longer = image.width().max(image.height());
    if longer <= max {
        return image.clone();
    }
    let scale = f64::from(max) / f64::from(longer);
    // Scaled sides of an image at most 8192 px fit u32.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (w, h) = (
        ((f64::from(image.width()) * scale).round() as u32).max(1),
        ((f64::from(image.height()) * scale).round() as u32).max(1),
    );
    imageops::resize(image, w, h, imageops::FilterType::Triangle)
}

/// A JPEG data URL of `image`.
pub fn jpeg_data_url(image: &RgbImage) -> Result<String, VisitError> {
    Ok(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(encode_jpeg(image)?)
    ))
}

fn encode_jpeg(image: &RgbImage) -> Result<Vec<u8>, VisitError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(image)
        .map_err(|e| VisitError::DocumentUnreadable(format!("preview encoding: {e}")))?;
    Ok(out)
}

fn read_limited(path: &Path) -> Result<Zeroizing<Vec<u8>>, VisitError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Never through a symlink swapped in, never blocking on a FIFO.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options
        .open(path)
        .map_err(|e| VisitError::DocumentUnreadable(format!("cannot open the file: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| VisitError::DocumentUnreadable(format!("cannot read the file: {e}")))?;
    if !meta.is_file() {
        return Err(VisitError::DocumentUnreadable("not a regular file".into()));
    }
    let size = meta.len();
    if size > MAX_DOCUMENT_BYTES as u64 {
        return Err(VisitError::DocumentTooLarge(size));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| VisitError::DocumentUnreadable(format!("cannot read the file: {e}")))?;
    Ok(bytes)
}

/// The newest settled JPEG, PNG or PDF in `dir` (regular files only), read
/// and then deleted: a scan holds personal data and is not left behind.
fn take_from_inbox(dir: &Path) -> Result<Zeroizing<Vec<u8>>, VisitError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| VisitError::InboxEmpty(format!("cannot read the inbox folder: {e}")))?;
    let now = SystemTime::now();
    let newest = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_ascii_lowercase();
            [".jpg", ".jpeg", ".png", ".pdf"]
                .iter()
                .any(|ext| name.ends_with(ext))
                && !name.starts_with('.')
        })
        .filter_map(|e| {
            let meta = std::fs::symlink_metadata(e.path()).ok()?;
            let modified = meta.modified().ok()?;
            let settled = now.duration_since(modified).unwrap_or_default() >= INBOX_SETTLE;
            (meta.is_file() && settled).then_some((modified, e.path()))
        })
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, path)| path)
        .ok_or_else(|| VisitError::InboxEmpty("no document in the inbox".into()))?;
    let bytes = read_limited(&newest);
    if let Err(e) = std::fs::remove_file(&newest) {
        tracing::warn!(event = "inbox_remove_failed", error = %e, "a scan could not be removed from the inbox");
    }
    bytes
}

/// Deletes every regular file in the inbox (scans nobody took belong to a
/// customer who has gone). Failures are logged, never raised.
pub fn clear_inbox(dir: Option<&Path>) {
    let Some(dir) = dir else { return };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut removed = 0u32;
    for entry in entries.filter_map(Result::ok) {
        let is_file = std::fs::symlink_metadata(entry.path()).is_ok_and(|m| !m.is_dir());
        if is_file && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(
            event = "inbox_cleared",
            files = removed,
            "scans left in the inbox deleted"
        );
    }
}

/// The first page of a PDF as a JPEG (`pdftoppm`, poppler-utils), in a
/// private temporary folder removed afterwards.
fn rasterize_pdf(pdf: &[u8]) -> Result<Zeroizing<Vec<u8>>, VisitError> {
    let unreadable = |what: String| VisitError::DocumentUnreadable(what);
    let dir = tempfile::Builder::new()
        .prefix("dayfusion-pdf-")
        .tempdir()
        .map_err(|e| unreadable(format!("temporary folder: {e}")))?;
    let input = dir.path().join("scan.pdf");
    std::fs::write(&input, pdf).map_err(|e| unreadable(format!("temporary file: {e}")))?;
    let prefix = dir.path().join("page");
    // At most 2400 px a side (an ID card page needs far less), 60 s at most.
    let mut command = Command::new("pdftoppm");
    command
        .args([
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            PDF_DPI,
            "-scale-to",
            "2400",
            "-jpeg",
            "-singlefile",
        ])
        .arg(&input)
        .arg(&prefix);
    crate::scanner::run(command, PDF_TIMEOUT)
        .map_err(|e| unreadable(format!("the PDF could not be read: {e}")))?;
    let page = std::fs::read(prefix.with_extension("jpg"))
        .map_err(|e| unreadable(format!("pdftoppm wrote no page: {e}")))?;
    Ok(Zeroizing::new(page))
}

/// Like [`acquire`] then [`examine`], remembering whether it was a PDF.
pub fn take(
    matcher: &dyn FaceMatcher,
    source: DocumentSource,
    config: &DeskConfig,
) -> Result<HeldDocument, VisitError> {
    let (bytes, from_pdf) = acquire(source, config)?;
    examine(matcher, bytes, from_pdf)
}

/// Sharpness below this (variance of the Laplacian, 8-bit grey at 640 px)
/// reads as blurred.
pub const BLUR_THRESHOLD: f32 = 60.0;
/// A share of blown-out pixels above this reads as glare.
pub const GLARE_THRESHOLD: f32 = 0.03;
/// Mean brightness below this reads as too dark.
pub const DARK_THRESHOLD: f32 = 50.0;

/// Framing feedback on one camera frame of a document: light, sharpness,
/// glare, then whether a portrait is found.
pub fn frame_quality(
    matcher: &dyn FaceMatcher,
    frame: &[u8],
) -> Result<DocumentFrameQuality, VisitError> {
    let image = dayfusion_face::decode_image(frame)
        .map_err(|e| VisitError::DocumentUnreadable(e.to_string()))?;
    let grey = imageops::grayscale(&fit(&image, 640));
    let (brightness, glare) = light(&grey);
    let sharpness = laplacian_variance(&grey);
    let portrait_found = matcher.locate_portrait(frame).is_ok();
    let hint = if brightness < DARK_THRESHOLD {
        DocumentHint::TooDark
    } else if sharpness < BLUR_THRESHOLD {
        DocumentHint::Blurred
    } else if glare > GLARE_THRESHOLD {
        DocumentHint::Glare
    } else if !portrait_found {
        DocumentHint::NoPortrait
    } else {
        DocumentHint::Ready
    };
    Ok(DocumentFrameQuality {
        hint,
        sharpness,
        glare,
        brightness,
        portrait_found,
    })
}

/// Mean brightness and the share of pixels at 250 or more.
fn light(grey: &GrayImage) -> (f32, f32) {
    let n = grey.pixels().len().max(1) as f64;
    let (sum, blown) = grey.pixels().fold((0u64, 0u64), |(s, b), p| {
        (s + u64::from(p.0[0]), b + u64::from(p.0[0] >= 250))
    });
    // Means of 8-bit values over at most 640x640 pixels fit f32.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    ((sum as f64 / n) as f32, (blown as f64 / n) as f32)
}

/// Variance of the 4-neighbour Laplacian (a standard focus measure).
pub fn laplacian_variance(grey: &GrayImage) -> f32 {
    let (w, h) = grey.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let at = |x: u32, y: u32| f64::from(grey.get_pixel(x, y).0[0]);
    let (mut sum, mut sum_sq, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let l = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += l;
            sum_sq += l * l;
            n += 1.0;
        }
    }
    let mean = sum / n;
    // A variance of 8-bit differences fits f32.
    #[allow(clippy::cast_possible_truncation)]
    let variance = (sum_sq / n - mean * mean) as f32;
    variance
}

//! Document intake: where the photo comes from (file, PDF scan, SANE
//! scanner, scan-to-folder inbox, camera), the portrait on it, the preview
//! the customer confirms, and live framing feedback for the camera.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use dayfusion_ipc::{DocumentFrameQuality, DocumentHint, DocumentPreview};
use dayfusion_verify::flow::MAX_DOCUMENT_BYTES;
use dayfusion_verify::{FaceMatcher, FlowError, PortraitLocation, Provider};
use image::{GrayImage, RgbImage, imageops};
use zeroize::Zeroizing;

use crate::confined::{Confinement, Decoder, Limits};
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

/// Reads a document file: never through a link in its last step, never
/// blocking on a FIFO, a regular file of at most [`MAX_DOCUMENT_BYTES`]
/// (also the removable-media picker's reader).
pub(crate) fn read_limited(path: &Path) -> Result<Zeroizing<Vec<u8>>, VisitError> {
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

/// Extensions of the files the inbox takes and clears (lowercase).
const SCAN_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "pdf"];

/// Whether `path` names a scan: a regular file (never a symlink, folder,
/// FIFO or device) ending in .jpg, .jpeg, .png or .pdf in any case.
pub fn is_scan_file(path: &Path) -> bool {
    let named_like_a_scan = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SCAN_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    named_like_a_scan && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// Deletes `path` if it is still a scan (see [`is_scan_file`]).
fn remove_scan(path: &Path) -> std::io::Result<bool> {
    if !is_scan_file(path) {
        return Ok(false);
    }
    std::fs::remove_file(path).map(|()| true)
}

/// The newest settled scan in `dir` (see [`is_scan_file`]; names starting
/// with a dot are a scanner's files in progress), read and then deleted: a
/// scan holds personal data and is not left behind.
fn take_from_inbox(dir: &Path) -> Result<Zeroizing<Vec<u8>>, VisitError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| VisitError::InboxEmpty(format!("cannot read the inbox folder: {e}")))?;
    let now = SystemTime::now();
    let newest = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| is_scan_file(&e.path()))
        .filter_map(|e| {
            let modified = std::fs::symlink_metadata(e.path()).ok()?.modified().ok()?;
            let settled = now.duration_since(modified).unwrap_or_default() >= INBOX_SETTLE;
            settled.then_some((modified, e.path()))
        })
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, path)| path)
        .ok_or_else(|| VisitError::InboxEmpty("no document in the inbox".into()))?;
    let bytes = read_limited(&newest);
    if let Err(e) = remove_scan(&newest) {
        tracing::warn!(event = "inbox_remove_failed", error = %e, "a scan could not be removed from the inbox");
    }
    bytes
}

/// Deletes the scans in the inbox (scans nobody took belong to a customer
/// who has gone): regular .jpg/.jpeg/.png/.pdf files only, in the folder
/// itself; symlinks, subfolders and any other file stay. Failures are
/// logged, never raised.
pub fn clear_inbox(dir: Option<&Path>) {
    let Some(dir) = dir else { return };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let (mut removed, mut kept) = (0u32, 0u32);
    for entry in entries.filter_map(Result::ok) {
        match remove_scan(&entry.path()) {
            Ok(true) => removed += 1,
            Ok(false) => kept += 1,
            Err(e) => {
                tracing::warn!(event = "inbox_remove_failed", error = %e, "a scan could not be removed from the inbox");
            }
        }
    }
    if removed > 0 {
        tracing::info!(
            event = "inbox_cleared",
            files = removed,
            "scans left in the inbox deleted"
        );
    }
    if kept > 0 {
        tracing::warn!(
            event = "inbox_holds_other_files",
            files = kept,
            "the inbox holds entries that are not scans; they were left in place"
        );
    }
}

/// Poppler's words when an allocation failed (`goo/gmem`): the page was
/// drawn without what did not fit in the decoder's memory.
const DECODER_OUT_OF_MEMORY: [&str; 2] = ["Out of memory", "Bogus memory allocation size"];

/// The first page of a PDF as a JPEG (`pdftoppm`, poppler-utils), rendered
/// by a confined decoder (see [`crate::confined`]) in a private temporary
/// folder removed afterwards.
fn rasterize_pdf(pdf: &[u8]) -> Result<Zeroizing<Vec<u8>>, VisitError> {
    rasterize_pdf_with(pdf, crate::confined::confinement())
}

fn rasterize_pdf_with(pdf: &[u8], how: &Confinement) -> Result<Zeroizing<Vec<u8>>, VisitError> {
    let unreadable = |what: String| VisitError::DocumentUnreadable(what);
    let dir = tempfile::Builder::new()
        .prefix("dayfusion-pdf-")
        .tempdir()
        .map_err(|e| unreadable(format!("temporary folder: {e}")))?;
    let input = dir.path().join("scan.pdf");
    let output = dir.path().join("out");
    std::fs::write(&input, pdf)
        .and_then(|()| std::fs::create_dir(&output))
        .map_err(|e| unreadable(format!("temporary file: {e}")))?;
    let decoder = Decoder {
        program: "pdftoppm",
        input: &input,
        output_dir: &output,
        timeout: PDF_TIMEOUT,
        limits: Limits::DECODER,
    };
    // At most 2400 px a side (an ID card page needs far less).
    let finished = decoder
        .run(how, |input, out| {
            let mut args: Vec<std::ffi::OsString> = [
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
            ]
            .into_iter()
            .map(Into::into)
            .collect();
            args.extend([
                input.as_os_str().to_owned(),
                out.join("page").into_os_string(),
            ]);
            args
        })
        .map_err(|e| unreadable(format!("the PDF could not be read: {e}")))?;
    if DECODER_OUT_OF_MEMORY
        .iter()
        .any(|m| finished.stderr.contains(m))
    {
        return Err(unreadable(format!(
            "the PDF needs more memory than a document may use ({} MiB)",
            Limits::DECODER.memory_bytes / (1024 * 1024)
        )));
    }
    // Never through a link the decoder may have left in its place.
    read_limited(&output.join("page.jpg")).map_err(|e| match e {
        VisitError::DocumentUnreadable(why) => unreadable(format!("pdftoppm wrote no page: {why}")),
        other => other,
    })
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
/// glare, then whether a portrait is found by `detector`.
///
/// Only a local detector (the embedded matcher, [`Provider::Embedded`])
/// looks at the frames: they are previews, taken every half second before
/// the customer confirms anything, so on the AWS backend they must not
/// reach Rekognition (a paid call per frame, the customer's document sent
/// before "Sim, sou eu"). A remote matcher passed here is not called; with
/// no local detector (`None`, or its models missing) the portrait is not
/// looked for (`portrait_found` false) and the hint judges the light and
/// focus alone; the portrait is then found on the photo taken.
pub fn frame_quality(
    detector: Option<&dyn FaceMatcher>,
    frame: &[u8],
) -> Result<DocumentFrameQuality, VisitError> {
    let image = dayfusion_face::decode_image(frame)
        .map_err(|e| VisitError::DocumentUnreadable(e.to_string()))?;
    let grey = imageops::grayscale(&fit(&image, 640));
    let (brightness, glare) = light(&grey);
    let sharpness = laplacian_variance(&grey);
    let local = detector.filter(|d| d.provider() == Provider::Embedded);
    if detector.is_some() && local.is_none() {
        tracing::warn!("framing feedback was given a remote matcher: not called");
    }
    let portrait_found = local.is_some_and(|d| d.locate_portrait(frame).is_ok());
    let hint = if brightness < DARK_THRESHOLD {
        DocumentHint::TooDark
    } else if sharpness < BLUR_THRESHOLD {
        DocumentHint::Blurred
    } else if glare > GLARE_THRESHOLD {
        DocumentHint::Glare
    } else if local.is_some() && !portrait_found {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// A one-page 200×200 pt PDF drawing `content` with image `/Im0`
    /// (`image_dict` without its length, then `data`).
    fn one_page_pdf(content: &str, image_dict: &str, data: &[u8]) -> Vec<u8> {
        let page = "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]\
                    /Resources<</XObject<</Im0 5 0 R>>>>/Contents 4 0 R>>";
        let contents = format!("<</Length {}>>stream\n{content}\nendstream", content.len());
        let mut image = format!("<<{image_dict}/Length {}>>stream\n", data.len()).into_bytes();
        image.extend_from_slice(data);
        image.extend_from_slice(b"\nendstream");
        let objects: [Vec<u8>; 5] = [
            b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
            b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
            page.as_bytes().to_vec(),
            contents.into_bytes(),
            image,
        ];
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            pdf.extend_from_slice(body);
            pdf.extend_from_slice(b"\nendobj\n");
        }
        let xref = pdf.len();
        pdf.extend_from_slice(b"xref\n0 6\n0000000000 65535 f \n");
        for offset in offsets {
            pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        pdf.extend_from_slice(
            format!("trailer<</Size 6/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        pdf
    }

    /// 700 bytes that make pdftoppm want 1.2 GB: a 2×2 image drawn turned
    /// by a hair over 1700×1700 pt of the page, which poppler's Splash
    /// scales to about 20 400 px a side (at the 2400 px page) before turning.
    fn pdf_bomb() -> Vec<u8> {
        one_page_pdf(
            "q 1700 10 -10 1700 -800 -800 cm /Im0 Do Q",
            "/Type/XObject/Subtype/Image/Width 2/Height 2/BitsPerComponent 8/ColorSpace/DeviceRGB",
            &[255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255],
        )
    }

    /// An ordinary scan: a 600×400 JPEG filling the page.
    fn pdf_scan() -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let card = RgbImage::from_fn(600, 400, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        Ok(one_page_pdf(
            "q 200 0 0 133 0 33 cm /Im0 Do Q",
            "/Type/XObject/Subtype/Image/Width 600/Height 400/BitsPerComponent 8\
             /ColorSpace/DeviceRGB/Filter/DCTDecode",
            &encode_jpeg(&card)?,
        ))
    }

    /// Whether pdftoppm is here (in CI its absence is an error).
    fn pdftoppm_present(test: &str) -> Result<bool, Box<dyn std::error::Error>> {
        if std::process::Command::new("pdftoppm")
            .arg("-v")
            .output()
            .is_ok()
        {
            return Ok(true);
        }
        if std::env::var_os("CI").is_some() {
            return Err(format!("{test}: pdftoppm (poppler-utils) is missing in CI").into());
        }
        eprintln!("SKIP {test}: needs pdftoppm (poppler-utils)");
        Ok(false)
    }

    /// Peak resident memory of this test process, bytes.
    fn own_peak_memory() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .map_or(0, |kib| kib * 1024)
    }

    /// Both confinements where this machine has them: the probed one
    /// (bubblewrap when it works) and limits only.
    fn confinements() -> Vec<Confinement> {
        let probed = crate::confined::confinement().clone();
        if matches!(probed, Confinement::Bubblewrap { .. }) {
            vec![probed, Confinement::LimitsOnly("test".into())]
        } else {
            vec![probed]
        }
    }

    #[test]
    fn a_pdf_bomb_is_refused_within_the_decoder_memory_limit() -> TestResult {
        if !pdftoppm_present("pdf bomb")? {
            return Ok(());
        }
        let bomb = pdf_bomb();
        assert!(bomb.len() < 1024, "{} bytes", bomb.len());
        for how in confinements() {
            let before = own_peak_memory();
            let started = Instant::now();
            let result = rasterize_pdf_with(&bomb, &how);
            let took = started.elapsed();
            match &result {
                Err(VisitError::DocumentUnreadable(why)) => {
                    assert!(why.contains("memory"), "{how:?}: {why}");
                }
                other => panic!(
                    "{how:?}: the bomb was not refused: {:?}",
                    other.as_ref().map(|b| b.len())
                ),
            }
            assert!(took < Duration::from_secs(10), "{how:?}: {took:?}");
            let grown = own_peak_memory().saturating_sub(before);
            assert!(
                grown < 128 * 1024 * 1024,
                "{how:?}: this process grew {grown} bytes"
            );
            eprintln!("pdf bomb under {how:?}: refused in {took:?}");
        }
        Ok(())
    }

    #[test]
    fn a_pdf_scan_still_renders_under_the_decoder_limits() -> TestResult {
        if !pdftoppm_present("pdf scan")? {
            return Ok(());
        }
        let pdf = pdf_scan()?;
        for how in confinements() {
            let page = rasterize_pdf_with(&pdf, &how)?;
            let image = image::load_from_memory(&page)?;
            assert_eq!(image.width().max(image.height()), 2400, "{how:?}");
        }
        // A damaged PDF is still refused as unreadable.
        let broken = rasterize_pdf_with(b"%PDF-1.4\nnot really", crate::confined::confinement());
        assert!(matches!(broken, Err(VisitError::DocumentUnreadable(_))));
        Ok(())
    }

    /// Sets `path`'s modification time `secs` seconds back.
    fn age(path: &Path, secs: u64) -> std::io::Result<()> {
        std::fs::File::options()
            .write(true)
            .open(path)?
            .set_modified(SystemTime::now() - Duration::from_secs(secs))
    }

    #[test]
    fn clearing_the_inbox_deletes_only_scans() -> TestResult {
        let tmp = tempfile::tempdir()?;
        // An inbox set to the data folder by mistake.
        let inbox = tmp.path().join("data");
        std::fs::create_dir(&inbox)?;
        let scans = ["a.jpg", "b.JPEG", "c.Png", "d.pdf", "E.PDF", ".partial.jpg"];
        for scan in scans {
            std::fs::write(inbox.join(scan), b"scan")?;
        }
        let others = [
            "transactions.db",
            "transactions.db-wal",
            "staff.json",
            "settings.json",
            "aws.toml",
            "notes.txt",
            "jpg",
            "scan.jpg.part",
        ];
        for other in others {
            std::fs::write(inbox.join(other), b"keep")?;
        }
        std::fs::create_dir_all(inbox.join("evidence"))?;
        std::fs::write(inbox.join("evidence/photo.jpg"), b"evidence")?;
        std::fs::create_dir(inbox.join("folder.jpg"))?;
        let outside = tmp.path().join("outside.jpg");
        std::fs::write(&outside, b"outside")?;
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&outside, inbox.join("link.jpg"))?;
            std::os::unix::fs::symlink(tmp.path(), inbox.join("dir-link.pdf"))?;
        }

        clear_inbox(Some(&inbox));

        for scan in scans {
            assert!(!inbox.join(scan).exists(), "{scan} was left");
        }
        for other in others {
            assert_eq!(std::fs::read(inbox.join(other))?, b"keep", "{other}");
        }
        assert_eq!(
            std::fs::read(inbox.join("evidence/photo.jpg"))?,
            b"evidence"
        );
        assert!(inbox.join("folder.jpg").is_dir());
        assert_eq!(std::fs::read(&outside)?, b"outside");
        #[cfg(unix)]
        {
            assert!(
                std::fs::symlink_metadata(inbox.join("link.jpg"))?
                    .file_type()
                    .is_symlink()
            );
            assert!(
                std::fs::symlink_metadata(inbox.join("dir-link.pdf"))?
                    .file_type()
                    .is_symlink()
            );
        }
        // No inbox: nothing happens.
        clear_inbox(None);
        Ok(())
    }

    #[test]
    fn taking_from_the_inbox_deletes_only_the_scan_it_took() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let inbox = tmp.path();
        std::fs::write(inbox.join("scan.JPG"), b"the scan")?;
        age(&inbox.join("scan.JPG"), 60)?;
        // Newer files that are not scans are neither taken nor deleted.
        std::fs::write(inbox.join("transactions.db"), b"keep")?;
        age(&inbox.join("transactions.db"), 10)?;
        std::fs::create_dir(inbox.join("newer.jpg"))?;
        let taken = take_from_inbox(inbox)?;
        assert_eq!(taken.as_slice(), b"the scan");
        assert!(
            !inbox.join("scan.JPG").exists(),
            "the scan is deleted once read"
        );
        assert_eq!(std::fs::read(inbox.join("transactions.db"))?, b"keep");
        assert!(inbox.join("newer.jpg").is_dir());
        assert!(matches!(
            take_from_inbox(inbox),
            Err(VisitError::InboxEmpty(_))
        ));
        Ok(())
    }

    /// A matcher that counts the portraits it is asked for.
    struct CountingMatcher {
        provider: Provider,
        calls: std::sync::atomic::AtomicUsize,
    }

    impl FaceMatcher for CountingMatcher {
        fn provider(&self) -> Provider {
            self.provider
        }

        fn locate_portrait(
            &self,
            _document: &[u8],
        ) -> Result<PortraitLocation, dayfusion_verify::ProviderError> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(PortraitLocation {
                face_box: dayfusion_verify::PixelBox {
                    x: 10.0,
                    y: 10.0,
                    width: 40.0,
                    height: 50.0,
                },
                rotation_degrees: 0,
            })
        }

        fn compare(
            &self,
            _document: &[u8],
            _face: &[u8],
        ) -> Result<dayfusion_verify::MatchResult, dayfusion_verify::ProviderError> {
            Err(dayfusion_verify::ProviderError::new(
                "provider-unavailable",
                "not in framing",
                false,
            ))
        }
    }

    #[test]
    fn framing_feedback_never_calls_a_remote_matcher() -> TestResult {
        // A sharp, evenly lit frame: a checkerboard of mid greys.
        let frame = image::RgbImage::from_fn(320, 200, |x, y| {
            let v = if (x / 8 + y / 8) % 2 == 0 { 70 } else { 190 };
            image::Rgb([v, v, v])
        });
        let jpeg = encode_jpeg(&frame)?;
        let aws = CountingMatcher {
            provider: Provider::Aws,
            calls: 0.into(),
        };
        let quality = frame_quality(Some(&aws), &jpeg)?;
        assert_eq!(aws.calls.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert!(!quality.portrait_found);
        assert_eq!(quality.hint, DocumentHint::Ready, "{quality:?}");
        let without = frame_quality(None, &jpeg)?;
        assert_eq!(without.hint, DocumentHint::Ready);
        let local = CountingMatcher {
            provider: Provider::Embedded,
            calls: 0.into(),
        };
        let quality = frame_quality(Some(&local), &jpeg)?;
        assert_eq!(local.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(quality.portrait_found);
        Ok(())
    }
}

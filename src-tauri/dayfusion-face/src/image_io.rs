//! Decoding untrusted images safely: dimensions are checked from the header
//! before any pixel is decoded, the decoder runs under [`image::Limits`], and
//! the EXIF orientation is applied so that faces are upright.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

use crate::error::FaceError;

/// Longest side accepted (px).
pub const MAX_SIDE: u32 = 8192;
/// Largest pixel count accepted (40 megapixels).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Shortest side accepted (px).
pub const MIN_SIDE: u32 = 16;
/// Most memory the decoder may allocate (bytes).
pub const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// Reads and decodes an image file; see [`decode_image`].
pub fn load_image(path: &Path) -> Result<RgbImage, FaceError> {
    let bytes = std::fs::read(path).map_err(|source| FaceError::ImageRead {
        path: path.to_path_buf(),
        source,
    })?;
    decode_image(&bytes)
}

/// Decodes an encoded image (JPEG or PNG) to upright 8-bit RGB.
///
/// Rejects, before decoding pixels, images whose header announces more than
/// [`MAX_SIDE`] px a side or [`MAX_PIXELS`] pixels (decompression bombs);
/// rejects images under [`MIN_SIDE`] px a side. EXIF orientation is honoured.
pub fn decode_image(bytes: &[u8]) -> Result<RgbImage, FaceError> {
    let decode_err = |e: image::ImageError| FaceError::ImageDecode(e.to_string());
    // The header alone gives the dimensions: check them before decoding, so
    // the error names the real size instead of a decoder limit.
    let mut header = reader(bytes)?;
    header.no_limits();
    let (width, height) = header.into_dimensions().map_err(decode_err)?;
    check_dimensions(width, height)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut pixels = reader(bytes)?;
    pixels.limits(limits);
    let mut decoder = pixels.into_decoder().map_err(decode_err)?;
    let orientation = decoder.orientation().map_err(decode_err)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    image.apply_orientation(orientation);
    Ok(image.into_rgb8())
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, FaceError> {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| FaceError::ImageDecode(e.to_string()))
}

/// Checks decoded or announced dimensions against the limits.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), FaceError> {
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(FaceError::ImageTooLarge {
            width,
            height,
            max_side: MAX_SIDE,
            max_pixels: MAX_PIXELS,
        });
    }
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(FaceError::ImageTooSmall {
            width,
            height,
            min_side: MIN_SIDE,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ReasonCode;
    use image::{ImageFormat, RgbImage};

    fn png(width: u32, height: u32) -> Result<Vec<u8>, image::ImageError> {
        let mut out = Cursor::new(Vec::new());
        RgbImage::new(width, height).write_to(&mut out, ImageFormat::Png)?;
        Ok(out.into_inner())
    }

    fn reason(result: Result<RgbImage, FaceError>) -> Option<ReasonCode> {
        result.err().map(|e| e.reason())
    }

    #[test]
    fn decodes_a_png() -> Result<(), Box<dyn std::error::Error>> {
        let image = decode_image(&png(40, 30)?)?;
        assert_eq!(image.dimensions(), (40, 30));
        Ok(())
    }

    #[test]
    fn rejects_oversize_images_from_the_header() -> Result<(), Box<dyn std::error::Error>> {
        let wide = png(MAX_SIDE + 1, 16)?;
        assert!(
            wide.len() < 64 * 1024,
            "a tiny file announcing a wide image"
        );
        let err = decode_image(&wide).err().ok_or("accepted")?;
        assert_eq!(err.reason(), ReasonCode::ImageTooLarge);
        assert!(err.to_string().contains("8193x16"), "{err}");
        Ok(())
    }

    #[test]
    fn pixel_count_and_small_sides_are_limited() {
        assert!(check_dimensions(8000, 8000).is_err());
        assert!(check_dimensions(6000, 4000).is_ok());
        assert!(matches!(
            check_dimensions(15, 400),
            Err(FaceError::ImageTooSmall { .. })
        ));
    }

    #[test]
    fn tiny_and_garbage_inputs_are_clear_errors() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(
            reason(decode_image(&png(8, 8)?)),
            Some(ReasonCode::ImageTooSmall)
        );
        assert_eq!(
            reason(decode_image(b"not an image")),
            Some(ReasonCode::ImageInvalid)
        );
        assert_eq!(reason(decode_image(&[])), Some(ReasonCode::ImageInvalid));
        let truncated = png(64, 64)?;
        assert_eq!(
            reason(decode_image(&truncated[..truncated.len() / 2])),
            Some(ReasonCode::ImageInvalid)
        );
        Ok(())
    }
}

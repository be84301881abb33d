//! Which camera the kiosk films with.
//!
//! WebKitGTK opens the camera, so the app sees only the label the webview
//! reports (a V4L2 device's card name, which a virtual camera such as
//! v4l2loopback can set to anything). This crate reads the V4L2 devices
//! from sysfs ([`sysfs::enumerate`]): driver, bus and, for USB cameras,
//! vendor, product and serial; and ties a label to one device
//! ([`trust::resolve`]): virtual drivers are refused, a label two devices
//! share is refused, and a pinned camera must be the one found.
//!
//! What it cannot see: a USB capture dongle (HDMI in, UVC out) is a
//! `uvcvideo` device like a webcam; only a pin (vendor, product, serial)
//! tells the kiosk's own camera from it.

pub mod sysfs;
pub mod trust;

pub use sysfs::{Bus, UsbId, VideoDevice, enumerate};
pub use trust::{CameraIdentity, CameraPin, CameraRefusal, resolve};

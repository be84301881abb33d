//! Tying the webview's camera label to one V4L2 device, and what the
//! kiosk refuses.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sysfs::{Bus, VideoDevice};

/// Kernel drivers of cameras with no sensor behind them (virtual cameras
/// and the kernel's test drivers), as sysfs names them.
pub const VIRTUAL_DRIVERS: [&str; 5] = ["v4l2loopback", "akvcam", "vivid", "vimc", "vicodec"];

/// V4L2 card names are at most this long (the kernel truncates longer
/// product names), so a longer label matches a name it starts with.
const CARD_NAME_MAX: usize = 31;

/// The camera staff pinned: only this one may film a liveness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CameraPin {
    /// USB `idVendor`.
    pub vendor: String,
    /// USB `idProduct`.
    pub product: String,
    /// USB serial, when the camera has one.
    pub serial: Option<String>,
}

impl CameraPin {
    /// `VENDOR:PRODUCT[:SERIAL]`: the USB ids as four hex digits each (any
    /// case) and the serial when given; `None` for anything else.
    pub fn parse(value: &str) -> Option<CameraPin> {
        let mut parts = value.trim().splitn(3, ':');
        let (vendor, product) = (parts.next()?, parts.next()?);
        let hex4 = |p: &str| p.len() == 4 && p.chars().all(|c| c.is_ascii_hexdigit());
        if !hex4(vendor) || !hex4(product) {
            return None;
        }
        Some(CameraPin {
            vendor: vendor.to_ascii_lowercase(),
            product: product.to_ascii_lowercase(),
            serial: parts.next().filter(|s| !s.is_empty()).map(str::to_owned),
        })
    }

    /// The pin naming `camera`: its USB ids and serial. `None` off USB (a
    /// pin is USB ids).
    pub fn of(camera: &CameraIdentity) -> Option<CameraPin> {
        match &camera.bus {
            Bus::Usb(id) => Some(CameraPin {
                vendor: id.vendor.to_ascii_lowercase(),
                product: id.product.to_ascii_lowercase(),
                serial: id.serial.clone(),
            }),
            _ => None,
        }
    }
}

impl fmt::Display for CameraPin {
    /// `vvvv:pppp` or `vvvv:pppp:SERIAL`, which [`CameraPin::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.vendor, self.product)?;
        match &self.serial {
            Some(serial) => write!(f, ":{serial}"),
            None => Ok(()),
        }
    }
}

/// The camera a liveness check was filmed with, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CameraIdentity {
    /// The node, `video0`.
    pub node: String,
    /// The device's name.
    pub name: String,
    /// The kernel driver.
    pub driver: Option<String>,
    /// Where it sits (USB: vendor, product, serial).
    pub bus: Bus,
}

impl CameraIdentity {
    /// One line for records and logs:
    /// `usb 046d:082d serial A1B2C3 "HD Pro Webcam C920" (uvcvideo, video0)`.
    pub fn summary(&self) -> String {
        let bus = match &self.bus {
            Bus::Usb(id) => match &id.serial {
                Some(serial) => format!("usb {}:{} serial {serial}", id.vendor, id.product),
                None => format!("usb {}:{}", id.vendor, id.product),
            },
            Bus::Pci => "pci".to_owned(),
            Bus::Platform => "platform".to_owned(),
            Bus::Virtual => "virtual".to_owned(),
        };
        format!(
            "{bus} {:?} ({}, {})",
            self.name,
            self.driver.as_deref().unwrap_or("no driver"),
            self.node
        )
    }
}

/// Why a camera may not film a liveness check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CameraRefusal {
    /// A virtual camera (no sensor): anything can be fed through it.
    #[error("the camera {label:?} is virtual ({driver})")]
    Virtual {
        /// The label.
        label: String,
        /// Its driver, or `no hardware`.
        driver: String,
    },
    /// No V4L2 device has this name.
    #[error("no V4L2 camera is named {0:?}")]
    Unknown(String),
    /// Several devices have this name: which one films is unknown.
    #[error("{count} cameras are named {label:?}")]
    Ambiguous {
        /// The label.
        label: String,
        /// How many.
        count: usize,
    },
    /// Not the camera staff pinned.
    #[error("the camera {0:?} is not the pinned camera")]
    NotPinned(String),
    /// Staff asked to pin a camera that is not on USB (a pin is USB ids).
    #[error("the camera {0:?} is not on USB: only a USB camera can be pinned")]
    NotUsb(String),
}

impl CameraRefusal {
    /// The stable code (`camera-virtual`).
    pub const fn code(&self) -> &'static str {
        match self {
            CameraRefusal::Virtual { .. } => "camera-virtual",
            CameraRefusal::Unknown(_) => "camera-unknown",
            CameraRefusal::Ambiguous { .. } => "camera-ambiguous",
            CameraRefusal::NotPinned(_) => "camera-not-pinned",
            CameraRefusal::NotUsb(_) => "camera-not-usb",
        }
    }
}

/// Whether a device has no sensor behind it.
pub fn is_virtual(device: &VideoDevice) -> bool {
    device.bus == Bus::Virtual
        || device
            .driver
            .as_deref()
            .is_some_and(|d| VIRTUAL_DRIVERS.contains(&d))
}

/// A label's name and, where the browser appends it (Chromium:
/// `Name (046d:082d)`), the USB vendor and product.
fn split_label(label: &str) -> (&str, Option<(&str, &str)>) {
    let label = label.trim();
    if let Some(open) = label.rfind(" (")
        && let Some(inner) = label[open + 2..].strip_suffix(')')
        && let Some((vendor, product)) = inner.split_once(':')
        && [vendor, product]
            .iter()
            .all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return (&label[..open], Some((vendor, product)));
    }
    (label, None)
}

fn name_matches(device: &VideoDevice, name: &str) -> bool {
    device.name == name || (device.name.len() >= CARD_NAME_MAX && name.starts_with(&device.name))
}

/// Whether `device` is the camera `pin` names.
pub fn pinned(device: &VideoDevice, pin: &CameraPin) -> bool {
    match &device.bus {
        Bus::Usb(id) => {
            id.vendor.eq_ignore_ascii_case(&pin.vendor)
                && id.product.eq_ignore_ascii_case(&pin.product)
                && (pin.serial.is_none() || id.serial == pin.serial)
        }
        _ => false,
    }
}

/// The one device the webview's `label` names among `devices` (capture
/// nodes only), refused when it is virtual, when a virtual device shares
/// its name (a spoofed label), when it is unknown or ambiguous (the label
/// cannot say which of two same-named devices films, pin or not), or when
/// a `pin` is set and it is not the pinned camera.
pub fn resolve(
    devices: &[VideoDevice],
    label: &str,
    pin: Option<&CameraPin>,
) -> Result<CameraIdentity, CameraRefusal> {
    let capture_nodes_named = |name: &str| -> Vec<&VideoDevice> {
        devices
            .iter()
            .filter(|d| d.index == 0 && name_matches(d, name))
            .collect()
    };
    // The whole label first: uvcvideo itself names a camera without a
    // product string `UVC Camera (vvvv:pppp)`.
    let label = label.trim();
    let (named, usb) = match capture_nodes_named(label) {
        named if !named.is_empty() => (named, None),
        _ => {
            let (name, usb) = split_label(label);
            (capture_nodes_named(name), usb)
        }
    };
    if let Some(fake) = named.iter().find(|d| is_virtual(d)) {
        return Err(CameraRefusal::Virtual {
            label: label.to_owned(),
            driver: fake.driver.clone().unwrap_or_else(|| "no hardware".into()),
        });
    }
    let candidates: Vec<&VideoDevice> = named
        .into_iter()
        .filter(|d| match (usb, &d.bus) {
            (Some((vendor, product)), Bus::Usb(id)) => {
                id.vendor.eq_ignore_ascii_case(vendor) && id.product.eq_ignore_ascii_case(product)
            }
            (Some(_), _) => false,
            (None, _) => true,
        })
        .collect();
    let device = match candidates.as_slice() {
        [] => return Err(CameraRefusal::Unknown(label.to_owned())),
        [one] => *one,
        several => {
            return Err(CameraRefusal::Ambiguous {
                label: label.to_owned(),
                count: several.len(),
            });
        }
    };
    if pin.is_some_and(|pin| !pinned(device, pin)) {
        return Err(CameraRefusal::NotPinned(label.to_owned()));
    }
    Ok(CameraIdentity::from(device))
}

impl From<&VideoDevice> for CameraIdentity {
    fn from(device: &VideoDevice) -> Self {
        CameraIdentity {
            node: device.node.clone(),
            name: device.name.clone(),
            driver: device.driver.clone(),
            bus: device.bus.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromium_appends_the_usb_id_and_webkit_does_not() {
        assert_eq!(
            split_label("HD Pro Webcam C920 (046d:082d)"),
            ("HD Pro Webcam C920", Some(("046d", "082d")))
        );
        assert_eq!(
            split_label(" HD Pro Webcam C920 "),
            ("HD Pro Webcam C920", None)
        );
        assert_eq!(split_label("Cam (front)"), ("Cam (front)", None));
    }
}

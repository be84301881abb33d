//! The V4L2 devices as sysfs describes them
//! (`/sys/class/video4linux/videoN`).

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The class folder of V4L2 devices, under the sysfs root.
pub const CLASS_DIR: &str = "class/video4linux";

/// A USB device's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsbId {
    /// `idVendor`, four hex digits.
    pub vendor: String,
    /// `idProduct`, four hex digits.
    pub product: String,
    /// `serial`, when the device has one.
    pub serial: Option<String>,
}

/// Where a device sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Bus {
    /// On USB (webcams, and capture dongles).
    Usb(UsbId),
    /// On PCI (capture cards, some laptop cameras).
    Pci,
    /// On a platform bus (MIPI cameras of laptops and boards).
    Platform,
    /// No hardware behind it (`/sys/devices/virtual`: v4l2loopback and
    /// the like), or USB hardware emulated in software (`dummy_hcd`,
    /// usbip's `vhci_hcd`).
    Virtual,
}

/// One V4L2 device node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoDevice {
    /// The node, `video0`.
    pub node: String,
    /// The device's name (the card name a browser shows as the label).
    pub name: String,
    /// Its index among its hardware's nodes (0: the capture node; a UVC
    /// camera's metadata node is 1).
    pub index: u32,
    /// The kernel driver bound to the hardware (`uvcvideo`); none for a
    /// device without hardware (v4l2loopback).
    pub driver: Option<String>,
    /// Where it sits.
    pub bus: Bus,
}

fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The USB device (the folder with `idVendor`) at or above `dir`.
fn usb_id(dir: &Path) -> Option<UsbId> {
    dir.ancestors().find_map(|d| {
        Some(UsbId {
            vendor: read_trimmed(&d.join("idVendor"))?,
            product: read_trimmed(&d.join("idProduct"))?,
            serial: read_trimmed(&d.join("serial")),
        })
    })
}

/// USB host controllers that emulate devices in software (a UVC gadget
/// on `dummy_hcd`, a device imported over the network with usbip on
/// `vhci_hcd`): a "webcam" behind them has no sensor of its own.
const EMULATED_USB_HOSTS: [&str; 2] = ["dummy_hcd", "vhci_hcd"];

fn describe(devices_dir: &Path, entry: &Path, node: String) -> Option<VideoDevice> {
    // Lossy: the kernel may cut a long name inside a UTF-8 character.
    let name = fs::read(entry.join("name"))
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .filter(|name| !name.is_empty())?;
    let index = read_trimmed(&entry.join("index"))
        .and_then(|i| i.parse().ok())
        .unwrap_or(0);
    let hardware: Option<PathBuf> = fs::canonicalize(entry.join("device")).ok();
    let driver = hardware
        .as_ref()
        .and_then(|h| fs::read_link(h.join("driver")).ok())
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    let under_virtual = fs::canonicalize(entry)
        .ok()
        .and_then(|path| {
            path.strip_prefix(devices_dir)
                .ok()
                .map(|p| p.starts_with("virtual"))
        })
        .unwrap_or(false);
    let emulated = hardware.as_ref().is_some_and(|h| {
        h.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            EMULATED_USB_HOSTS.iter().any(|host| c.starts_with(host))
        })
    });
    let bus = match &hardware {
        _ if under_virtual || emulated => Bus::Virtual,
        None => Bus::Virtual,
        Some(h) => match usb_id(h) {
            Some(id) => Bus::Usb(id),
            None if h
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with("pci")) =>
            {
                Bus::Pci
            }
            None => Bus::Platform,
        },
    };
    Some(VideoDevice {
        node,
        name,
        index,
        driver,
        bus,
    })
}

/// Every V4L2 device under `sysfs_root` (`/sys` on a kiosk), by node name;
/// none when the class folder is absent (no V4L2 at all).
pub fn enumerate(sysfs_root: &Path) -> Vec<VideoDevice> {
    let Ok(entries) = fs::read_dir(sysfs_root.join(CLASS_DIR)) else {
        return Vec::new();
    };
    let devices_dir =
        fs::canonicalize(sysfs_root.join("devices")).unwrap_or_else(|_| sysfs_root.join("devices"));
    let mut devices: Vec<VideoDevice> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let node = e.file_name().to_string_lossy().into_owned();
            node.starts_with("video")
                .then(|| describe(&devices_dir, &e.path(), node))
                .flatten()
        })
        .collect();
    devices.sort_by(|a, b| a.node.cmp(&b.node));
    devices
}

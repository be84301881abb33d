//! A fake sysfs tree of V4L2 devices, laid out as the kernel lays them
//! out, for `dayfusion_camera::enumerate` to read.

use std::io;
use std::os::unix::fs::symlink;
use std::path::Path;

use dayfusion_camera::sysfs::CLASS_DIR;

/// Adds a UVC webcam on USB port `port` (`1-4`): its capture node (index
/// 0) and its metadata node (index 1); `usb` is vendor, product, serial.
pub fn add_uvc_camera(
    root: &Path,
    port: &str,
    nodes: [&str; 2],
    name: &str,
    usb: (&str, &str, Option<&str>),
) -> io::Result<()> {
    add_uvc_device(
        root,
        "devices/pci0000:00/0000:00:14.0/usb1",
        port,
        nodes,
        name,
        usb,
    )
}

/// Adds the usual kiosk webcam layout: a UVC camera on port `1-4` with
/// nodes `video0` (capture) and `video1` (metadata).
pub fn add_webcam(root: &Path, name: &str, usb: (&str, &str, Option<&str>)) -> io::Result<()> {
    add_uvc_camera(root, "1-4", ["video0", "video1"], name, usb)
}

/// Adds a UVC "webcam" on a USB bus emulated in software (`dummy_hcd`, as
/// a configfs UVC gadget uses), with whatever ids it was given.
pub fn add_emulated_uvc_camera(
    root: &Path,
    nodes: [&str; 2],
    name: &str,
    usb: (&str, &str, Option<&str>),
) -> io::Result<()> {
    add_uvc_device(
        root,
        "devices/platform/dummy_hcd.0/usb3",
        "3-1",
        nodes,
        name,
        usb,
    )
}

fn add_uvc_device(
    root: &Path,
    bus: &str,
    port: &str,
    nodes: [&str; 2],
    name: &str,
    usb: (&str, &str, Option<&str>),
) -> io::Result<()> {
    let usb_dir = root.join(bus).join(port);
    let interface = usb_dir.join(format!("{port}:1.0"));
    let driver = root.join("bus/usb/drivers/uvcvideo");
    std::fs::create_dir_all(&driver)?;
    std::fs::create_dir_all(&interface)?;
    std::fs::write(usb_dir.join("idVendor"), format!("{}\n", usb.0))?;
    std::fs::write(usb_dir.join("idProduct"), format!("{}\n", usb.1))?;
    if let Some(serial) = usb.2 {
        std::fs::write(usb_dir.join("serial"), format!("{serial}\n"))?;
    }
    symlink(&driver, interface.join("driver"))?;
    for (index, node) in nodes.iter().enumerate() {
        let dir = interface.join("video4linux").join(node);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("name"), format!("{name}\n"))?;
        std::fs::write(dir.join("index"), format!("{index}\n"))?;
        symlink(&interface, dir.join("device"))?;
        class_link(root, node, &dir)?;
    }
    Ok(())
}

/// Adds a v4l2loopback device (no hardware behind it: under
/// `/sys/devices/virtual`) with the card label it was loaded with.
pub fn add_loopback(root: &Path, node: &str, label: &str) -> io::Result<()> {
    let dir = root.join("devices/virtual/video4linux").join(node);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("name"), format!("{label}\n"))?;
    std::fs::write(dir.join("index"), "0\n")?;
    class_link(root, node, &dir)
}

fn class_link(root: &Path, node: &str, target: &Path) -> io::Result<()> {
    let class = root.join(CLASS_DIR);
    std::fs::create_dir_all(&class)?;
    symlink(target, class.join(node))
}

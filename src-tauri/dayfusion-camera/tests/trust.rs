//! Cameras on a fake sysfs laid out as the kernel lays them out: a UVC
//! webcam is found and identified; a v4l2loopback device is refused, also
//! when it copies the webcam's label; a pin refuses any other camera.

use dayfusion_camera::{Bus, CameraPin, CameraRefusal, enumerate, resolve};
use dayfusion_test_support::TestResult;
use dayfusion_test_support::sysfs::{
    add_emulated_uvc_camera, add_loopback, add_uvc_camera, add_webcam,
};

const WEBCAM: &str = "HD Pro Webcam C920";

#[test]
fn a_webcam_is_identified_and_a_loopback_device_refused() -> TestResult {
    let root = tempfile::tempdir()?;
    assert!(enumerate(root.path()).is_empty(), "no V4L2 at all");
    add_webcam(root.path(), WEBCAM, ("046d", "082d", Some("A1B2C3")))?;
    add_loopback(root.path(), "video10", "OBS Virtual Camera")?;
    let devices = enumerate(root.path());
    assert_eq!(devices.len(), 3, "{devices:?}");
    assert_eq!(devices[0].driver.as_deref(), Some("uvcvideo"));
    assert_eq!(devices[1].index, 1, "the metadata node");
    assert_eq!(devices[2].bus, Bus::Virtual);

    // WebKitGTK's label is the card name; Chromium adds the USB id.
    for label in [WEBCAM, "HD Pro Webcam C920 (046d:082d)"] {
        let camera = resolve(&devices, label, None)?;
        assert_eq!(camera.node, "video0");
        assert_eq!(
            camera.summary(),
            "usb 046d:082d serial A1B2C3 \"HD Pro Webcam C920\" (uvcvideo, video0)"
        );
    }
    let refused = resolve(&devices, "OBS Virtual Camera", None);
    assert!(
        matches!(&refused, Err(e @ CameraRefusal::Virtual { .. }) if e.code() == "camera-virtual"),
        "{refused:?}"
    );
    assert_eq!(
        resolve(&devices, "Some Other Camera", None).map_err(|e| e.code()),
        Err("camera-unknown")
    );
    assert_eq!(
        resolve(&devices, "HD Pro Webcam C920 (1234:5678)", None).map_err(|e| e.code()),
        Err("camera-unknown"),
        "the right name with another USB id"
    );
    Ok(())
}

#[test]
fn a_loopback_device_copying_the_webcams_label_is_refused() -> TestResult {
    let root = tempfile::tempdir()?;
    add_webcam(root.path(), WEBCAM, ("046d", "082d", None))?;
    // modprobe v4l2loopback card_label="HD Pro Webcam C920"
    add_loopback(root.path(), "video10", WEBCAM)?;
    let refused = resolve(&enumerate(root.path()), WEBCAM, None);
    assert!(
        matches!(refused, Err(CameraRefusal::Virtual { .. })),
        "{refused:?}"
    );
    Ok(())
}

#[test]
fn a_pinned_camera_refuses_every_other_one() -> TestResult {
    let root = tempfile::tempdir()?;
    add_webcam(root.path(), WEBCAM, ("046d", "082d", Some("KIOSK1")))?;
    // A second camera of the same model (or a capture dongle under the
    // same name): the label alone cannot tell them apart.
    add_uvc_camera(
        root.path(),
        "1-5",
        ["video2", "video3"],
        WEBCAM,
        ("046d", "082d", Some("OTHER")),
    )?;
    let devices = enumerate(root.path());
    assert_eq!(
        resolve(&devices, WEBCAM, None).map_err(|e| e.code()),
        Err("camera-ambiguous")
    );
    let pin = CameraPin {
        vendor: "046d".into(),
        product: "082d".into(),
        serial: Some("KIOSK1".into()),
    };
    // Not even with a pin: which of the two the webview opened is unknown.
    assert_eq!(
        resolve(&devices, WEBCAM, Some(&pin)).map_err(|e| e.code()),
        Err("camera-ambiguous")
    );
    // The pinned camera alone is let through.
    let root = tempfile::tempdir()?;
    add_webcam(root.path(), WEBCAM, ("046d", "082d", Some("KIOSK1")))?;
    assert_eq!(
        resolve(&enumerate(root.path()), WEBCAM, Some(&pin))?.node,
        "video0"
    );
    // One camera, not the pinned one (a dongle plugged in its place).
    let root = tempfile::tempdir()?;
    add_webcam(root.path(), "USB Video", ("534d", "2109", None))?;
    assert_eq!(
        resolve(&enumerate(root.path()), "USB Video", Some(&pin)).map_err(|e| e.code()),
        Err("camera-not-pinned")
    );
    Ok(())
}

#[test]
fn a_camera_without_a_product_string_keeps_the_name_uvcvideo_gives_it() -> TestResult {
    let root = tempfile::tempdir()?;
    // uvcvideo names it `UVC Camera (vvvv:pppp)`, which is also its label.
    let name = "UVC Camera (0c45:6366)";
    add_webcam(root.path(), name, ("0c45", "6366", None))?;
    assert_eq!(resolve(&enumerate(root.path()), name, None)?.node, "video0");
    Ok(())
}

#[test]
fn a_webcam_emulated_on_a_software_usb_bus_is_virtual() -> TestResult {
    let root = tempfile::tempdir()?;
    // A UVC gadget on dummy_hcd can copy a real webcam's ids and serial.
    add_emulated_uvc_camera(
        root.path(),
        ["video0", "video1"],
        WEBCAM,
        ("046d", "082d", Some("KIOSK1")),
    )?;
    let devices = enumerate(root.path());
    assert_eq!(devices[0].bus, Bus::Virtual, "{devices:?}");
    assert_eq!(
        resolve(&devices, WEBCAM, None).map_err(|e| e.code()),
        Err("camera-virtual")
    );
    Ok(())
}

#[test]
fn a_pin_is_two_usb_ids_and_maybe_a_serial_and_reads_back_as_written() -> TestResult {
    let pin = CameraPin::parse("046D:082d:A1B2").ok_or("no pin")?;
    assert_eq!(
        (pin.vendor.as_str(), pin.product.as_str()),
        ("046d", "082d")
    );
    assert_eq!(pin.serial.as_deref(), Some("A1B2"));
    assert_eq!(pin.to_string(), "046d:082d:A1B2");
    assert_eq!(CameraPin::parse(&pin.to_string()), Some(pin));
    assert_eq!(
        CameraPin::parse(" 046d:082d ")
            .map(|p| p.to_string())
            .as_deref(),
        Some("046d:082d")
    );
    for bad in ["", "046d", "46d:082d", "zzzz:082d", "Integrated Camera"] {
        assert!(CameraPin::parse(bad).is_none(), "{bad}");
    }

    // Staff pin the camera the webview names: its USB ids and serial.
    let root = tempfile::tempdir()?;
    add_webcam(root.path(), WEBCAM, ("046d", "082d", Some("KIOSK1")))?;
    let devices = enumerate(root.path());
    let camera = resolve(&devices, WEBCAM, None)?;
    let pin = CameraPin::of(&camera).ok_or("a USB camera has a pin")?;
    assert_eq!(pin.to_string(), "046d:082d:KIOSK1");
    assert_eq!(resolve(&devices, WEBCAM, Some(&pin))?.node, "video0");
    Ok(())
}

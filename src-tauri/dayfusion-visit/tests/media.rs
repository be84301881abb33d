//! The customer's document picker over removable media, on a fake medium:
//! a temporary folder the picker is told is mounted. What it lists, what it
//! refuses (`..`, absolute paths, hidden entries, links out of the medium,
//! other files), and that the desk offers it only while a visit chooses
//! its document. No models: the desk's matcher is a stub here.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dayfusion_evidence::{KeySource, LocalEvidenceStore};
use dayfusion_ipc::{MediaEntryKind, VisitEnd, VisitRefusal};
use dayfusion_ledger::SqliteLog;
use dayfusion_verify::{
    FaceMatcher, LivenessOutcome, LivenessProvider, LivenessSessionStart, MatchResult, PixelBox,
    PolicySet, PortraitLocation, Provider, ProviderError,
};
use dayfusion_visit::media::{MAX_ENTRIES, RemovableMedia};
use dayfusion_visit::{DeskConfig, DeskPorts, VisitDesk, VisitError};
use image::{Rgb, RgbImage};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A small JPEG (the stub matcher finds a "portrait" on anything).
fn jpeg(width: u32, height: u32) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&image)?;
    Ok(out)
}

/// A fake medium and, beside it, a "data folder" it must never reach.
struct FakeMedium {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    card: Vec<u8>,
}

/// ```text
/// STICK/                 data/ (outside the medium)
///   RG frente.JPG          transactions.db, secret.jpg
///   scan.PDF
///   foto.png
///   notes.txt            (not a document)
///   .hidden.jpg          (hidden)
///   .Trash-1000/old.jpg  (hidden folder)
///   DCIM/inner.jpeg
///   data -> ../data      (link to a folder outside)
///   link.jpg -> ../data/secret.jpg
///   inside-link.jpg -> RG frente.JPG (a link, even pointing inside)
///   pipe.jpg             (a FIFO)
/// ```
fn fake_medium() -> Result<FakeMedium, Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("STICK");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(root.join("DCIM"))?;
    std::fs::create_dir_all(root.join(".Trash-1000"))?;
    std::fs::create_dir_all(&data)?;
    let card = jpeg(320, 200)?;
    std::fs::write(root.join("RG frente.JPG"), &card)?;
    std::fs::write(root.join("scan.PDF"), b"%PDF-1.4\n")?;
    std::fs::write(root.join("foto.png"), b"png?")?;
    std::fs::write(root.join("notes.txt"), b"notes")?;
    std::fs::write(root.join(".hidden.jpg"), &card)?;
    std::fs::write(root.join(".Trash-1000/old.jpg"), &card)?;
    std::fs::write(root.join("DCIM/inner.jpeg"), &card)?;
    std::fs::write(data.join("transactions.db"), b"SQLite format 3")?;
    std::fs::write(data.join("secret.jpg"), &card)?;
    symlink(&data, root.join("data"))?;
    symlink(data.join("secret.jpg"), root.join("link.jpg"))?;
    symlink("RG frente.JPG", root.join("inside-link.jpg"))?;
    let fifo = std::process::Command::new("mkfifo")
        .arg(root.join("pipe.jpg"))
        .status()?;
    assert!(fifo.success(), "mkfifo failed");
    Ok(FakeMedium {
        _tmp: tmp,
        root,
        data,
        card,
    })
}

fn refusal<T: std::fmt::Debug>(result: Result<T, VisitError>) -> VisitRefusal {
    match result {
        Ok(v) => panic!("accepted: {v:?}"),
        Err(e) => e.refusal(),
    }
}

#[test]
fn a_fake_medium_lists_its_folders_images_and_pdfs_only() -> TestResult {
    let m = fake_medium()?;
    let media = RemovableMedia::stand_ins(vec![m.root.clone(), m.root.join("missing")]);
    let list = media.list();
    assert_eq!(list.len(), 1, "a missing folder is no medium");
    let medium = &list[0];
    assert_eq!(medium.label, "STICK");
    let ipc = medium.to_ipc();
    assert!(
        !ipc.id.contains("STICK") && !ipc.id.contains('/'),
        "opaque id: {}",
        ipc.id
    );
    assert_eq!(ipc.label, "STICK");

    let root = media.browse(&medium.id, "")?;
    let listed: Vec<(&str, MediaEntryKind)> = root
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        listed,
        [
            ("DCIM", MediaEntryKind::Folder),
            ("foto.png", MediaEntryKind::Image),
            ("RG frente.JPG", MediaEntryKind::Image),
            ("scan.PDF", MediaEntryKind::Pdf),
        ],
        "no .., hidden entries, links (to the data folder or inside), FIFOs or other files"
    );
    assert!(!root.truncated);
    assert_eq!(root.path, "");
    let card = &root.entries[2];
    assert_eq!(card.path, "RG frente.JPG");
    assert_eq!(card.size, m.card.len() as u64);
    assert_eq!(root.entries[0].size, 0);

    let dcim = media.browse(&medium.id, "DCIM")?;
    assert_eq!(dcim.path, "DCIM");
    assert_eq!(dcim.entries.len(), 1);
    assert_eq!(dcim.entries[0].path, "DCIM/inner.jpeg");
    assert_eq!(dcim.entries[0].kind, MediaEntryKind::Image);
    Ok(())
}

#[test]
fn browsing_never_leaves_the_medium() -> TestResult {
    let m = fake_medium()?;
    let media = RemovableMedia::stand_ins(vec![m.root.clone()]);
    let id = media.list()[0].id.clone();
    let data = m.data.to_string_lossy().into_owned();
    let root = m.root.to_string_lossy().into_owned();
    for path in [
        "..",
        "../",
        "../data",
        "DCIM/..",
        "DCIM/../..",
        ".",
        "./DCIM",
        "/",
        "/etc",
        data.as_str(),
        root.as_str(),
        "data",
        ".Trash-1000",
        "RG frente.JPG",
        "missing",
        "DCIM//",
        "DCIM\\..",
    ] {
        assert_eq!(
            refusal(media.browse(&id, path)),
            VisitRefusal::MediumUnavailable,
            "{path:?}"
        );
    }
    assert_eq!(
        refusal(media.browse("m0000000000000000", "")),
        VisitRefusal::MediumUnavailable,
        "an unknown medium"
    );
    Ok(())
}

#[test]
fn reading_takes_documents_on_the_medium_only() -> TestResult {
    let m = fake_medium()?;
    let media = RemovableMedia::stand_ins(vec![m.root.clone()]);
    let id = media.list()[0].id.clone();
    assert_eq!(media.read(&id, "RG frente.JPG")?.as_slice(), m.card);
    assert_eq!(media.read(&id, "DCIM/inner.jpeg")?.as_slice(), m.card);

    let secret = m.data.join("secret.jpg").to_string_lossy().into_owned();
    for path in [
        "../x",
        "../data/secret.jpg",
        "DCIM/../RG frente.JPG",
        secret.as_str(),
        "/etc/passwd",
        "data/secret.jpg",
        "link.jpg",
        "inside-link.jpg",
        ".hidden.jpg",
        ".Trash-1000/old.jpg",
        "notes.txt",
        "DCIM",
        "pipe.jpg",
        "",
        "missing.jpg",
    ] {
        assert_eq!(
            refusal(media.read(&id, path)),
            VisitRefusal::MediumUnavailable,
            "{path:?}"
        );
    }
    Ok(())
}

#[test]
fn a_removed_medium_is_refused() -> TestResult {
    let m = fake_medium()?;
    let media = RemovableMedia::stand_ins(vec![m.root.clone()]);
    let id = media.list()[0].id.clone();
    std::fs::remove_dir_all(&m.root)?;
    assert!(media.list().is_empty());
    assert_eq!(
        refusal(media.browse(&id, "")),
        VisitRefusal::MediumUnavailable
    );
    assert_eq!(
        refusal(media.read(&id, "RG frente.JPG")),
        VisitRefusal::MediumUnavailable
    );
    Ok(())
}

#[test]
fn large_folders_are_capped_and_large_files_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("BIG");
    std::fs::create_dir_all(root.join("zz-folder"))?;
    for i in 0..MAX_ENTRIES + 20 {
        std::fs::write(root.join(format!("p{i:04}.jpg")), b"x")?;
    }
    // Sparse: larger than a document may be, without taking the disk.
    let huge = std::fs::File::create(root.join("huge.pdf"))?;
    huge.set_len(dayfusion_verify::flow::MAX_DOCUMENT_BYTES as u64 + 1)?;
    drop(huge);
    let media = RemovableMedia::stand_ins(vec![root]);
    let id = media.list()[0].id.clone();
    let folder = media.browse(&id, "")?;
    assert_eq!(folder.entries.len(), MAX_ENTRIES);
    assert!(folder.truncated);
    assert_eq!(folder.entries[0].name, "zz-folder", "folders come first");
    assert_eq!(
        refusal(media.read(&id, "huge.pdf")),
        VisitRefusal::DocumentTooLarge
    );
    Ok(())
}

/// Finds a "portrait" in the middle of any document.
struct StubMatcher;

impl FaceMatcher for StubMatcher {
    fn provider(&self) -> Provider {
        Provider::Embedded
    }
    fn locate_portrait(&self, _document: &[u8]) -> Result<PortraitLocation, ProviderError> {
        Ok(PortraitLocation {
            face_box: PixelBox {
                x: 40.0,
                y: 40.0,
                width: 80.0,
                height: 100.0,
            },
            rotation_degrees: 0,
        })
    }
    fn compare(&self, _document: &[u8], _face: &[u8]) -> Result<MatchResult, ProviderError> {
        Err(ProviderError::new("provider-unavailable", "stub", false))
    }
}

/// Never reached: the picker comes before the liveness session.
struct NoLiveness;

impl LivenessProvider for NoLiveness {
    fn provider(&self) -> Provider {
        Provider::Embedded
    }
    fn create_session(&self) -> Result<LivenessSessionStart, ProviderError> {
        Err(ProviderError::new("provider-unavailable", "stub", false))
    }
    fn session_results(&self, _session_id: &str) -> Result<LivenessOutcome, ProviderError> {
        Err(ProviderError::new("provider-unavailable", "stub", false))
    }
}

fn desk(dir: &Path, medium: &Path) -> Result<VisitDesk, Box<dyn std::error::Error>> {
    let ports = DeskPorts {
        kind: Provider::Embedded,
        liveness: Arc::new(NoLiveness),
        matcher: Arc::new(StubMatcher),
        evidence: Arc::new(LocalEvidenceStore::open(
            &dir.join("evidence"),
            KeySource::FileOnly,
        )?),
        log: Arc::new(SqliteLog::open(&dir.join("transactions.db"))?),
    };
    let config = DeskConfig {
        kiosk_id: "kiosk-test".into(),
        product: "account-opening".into(),
        policy: PolicySet::shipped()?
            .get("default")
            .cloned()
            .ok_or("no policy")?,
        idle_timeout_seconds: 30,
        retention_days: 180,
        document_inbox: None,
        scanner: false,
        camera: true,
        aws_region: None,
        data_dir: dir.to_path_buf(),
    };
    Ok(VisitDesk::open(ports, config)?
        .with_media(RemovableMedia::stand_ins(vec![medium.to_path_buf()])))
}

#[test]
fn the_desk_offers_the_picker_only_while_a_visit_chooses_its_document() -> TestResult {
    let m = fake_medium()?;
    let data = tempfile::tempdir()?;
    let desk = desk(data.path(), &m.root)?;

    // No visit.
    assert_eq!(
        refusal(desk.media_list("no-such-visit")),
        VisitRefusal::VisitExpired
    );
    let visit = desk.begin("pt-BR");
    assert!(visit.document_sources.removable_media);
    let id = visit.visit_id.clone();
    // Before the consent.
    assert_eq!(refusal(desk.media_list(&id)), VisitRefusal::OutOfOrder);
    desk.consent(&id, true)?;
    let media = desk.media_list(&id)?;
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].label, "STICK");
    let medium = media[0].id.clone();
    let root = desk.media_browse(&id, &medium, "")?;
    assert!(root.entries.iter().any(|e| e.name == "RG frente.JPG"));
    // Another visit's id gets nothing.
    assert_eq!(
        refusal(desk.media_browse("other", &medium, "")),
        VisitRefusal::VisitExpired
    );
    assert_eq!(
        refusal(desk.take_media_document(&id, &medium, "../data/secret.jpg")),
        VisitRefusal::MediumUnavailable
    );
    assert_eq!(
        refusal(desk.take_media_document(&id, &medium, "link.jpg")),
        VisitRefusal::MediumUnavailable
    );
    // The chosen image goes the way of every document: a portrait preview.
    let preview = desk.take_media_document(&id, &medium, "RG frente.JPG")?;
    assert!(preview.portrait.starts_with("data:image/jpeg;base64,"));
    assert!(!preview.from_pdf);
    desk.retake_document(&id)?;

    // After the visit ended: refused.
    desk.end(&id, VisitEnd::Cancelled)?;
    assert_eq!(refusal(desk.media_list(&id)), VisitRefusal::VisitExpired);
    assert_eq!(
        refusal(desk.media_browse(&id, &medium, "")),
        VisitRefusal::VisitExpired
    );
    assert_eq!(
        refusal(desk.take_media_document(&id, &medium, "RG frente.JPG")),
        VisitRefusal::VisitExpired
    );

    // After the visit expired (nobody touched it): refused.
    let idle = desk.begin("pt-BR");
    desk.consent(&idle.visit_id, true)?;
    assert!(desk.expire_idle(Instant::now() + Duration::from_secs(3600)));
    assert_eq!(
        refusal(desk.media_list(&idle.visit_id)),
        VisitRefusal::VisitExpired
    );
    assert_eq!(
        refusal(desk.media_browse(&idle.visit_id, &medium, "")),
        VisitRefusal::VisitExpired
    );
    Ok(())
}

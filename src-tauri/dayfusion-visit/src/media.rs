//! The customer's document picker over removable media, instead of a
//! system file dialog: the USB sticks and memory cards mounted now, their
//! folders, and their images and PDFs — never anything above a medium's
//! root, hidden, a link, or a file of another kind.
//!
//! ```text
//! /proc/self/mountinfo ─► mounts under udisks' folders (/media/<user>/<name>,
//!     /run/media/<user>/<name>) ─► block device removable or on USB (sysfs)
//!     ─► Medium { opaque id, label = folder name, ro/noexec/nodev }
//! browse(id, "DCIM/100")  relative path, every step lstat'ed: a folder on
//!     the medium's file system, no link, canonical path under the root
//! read(id, "DCIM/a.jpg")  same, then the bounded no-follow document reader
//! ```
//!
//! Debug builds may name folders that stand in for mounted media in
//! `DAYFUSION_REMOVABLE_MEDIA` (separated by `:`, like `PATH`), as the
//! end-to-end tests do; release builds ignore it and log a warning.

use std::ffi::{OsStr, OsString};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use dayfusion_ipc::{MediaEntry, MediaEntryKind, MediaFolder, RemovableMedium};
use tracing::warn;
use zeroize::Zeroizing;

use crate::error::VisitError;

/// Folders that stand in for mounted media (debug builds only).
pub const MEDIA_ENV: &str = "DAYFUSION_REMOVABLE_MEDIA";
/// Most entries one folder lists (folders first); the rest are left out.
pub const MAX_ENTRIES: usize = 500;
/// Most directory entries read from one folder (a medium with a huge
/// folder answers quickly, truncated).
const MAX_SCANNED: usize = 20_000;
/// Deepest path the picker opens.
const MAX_DEPTH: usize = 32;
/// Longest path the picker accepts, in bytes.
const MAX_PATH_LEN: usize = 1024;

/// A removable medium mounted now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Medium {
    /// Opaque id (a hash of the mount), stable while it stays mounted.
    pub id: String,
    /// The folder's name (udisks names it after the volume label).
    pub label: String,
    /// Where it is mounted (never sent to the screens).
    pub root: PathBuf,
    /// Mounted read-only.
    pub read_only: bool,
    /// Mounted `noexec`.
    pub noexec: bool,
    /// Mounted `nodev`.
    pub nodev: bool,
}

impl Medium {
    /// As the picker shows it (no path).
    pub fn to_ipc(&self) -> RemovableMedium {
        RemovableMedium {
            id: self.id.clone(),
            label: self.label.clone(),
            read_only: self.read_only,
        }
    }
}

/// Where the picker finds media: the system's mounts, or (tests, debug
/// builds) folders standing in for them.
#[derive(Debug, Clone, Default)]
pub struct RemovableMedia {
    stand_ins: Option<Vec<PathBuf>>,
}

impl RemovableMedia {
    /// The removable media the system has mounted.
    pub fn system() -> Self {
        Self { stand_ins: None }
    }

    /// `folders` treated as mounted media (tests).
    pub fn stand_ins(folders: Vec<PathBuf>) -> Self {
        Self {
            stand_ins: Some(folders),
        }
    }

    /// The system's media, or in a debug build the folders named in
    /// [`MEDIA_ENV`] when it is set; a release build ignores it (warning).
    pub fn from_env() -> Self {
        Self::choose(std::env::var_os(MEDIA_ENV), cfg!(debug_assertions))
    }

    fn choose(value: Option<OsString>, debug_build: bool) -> Self {
        match value {
            Some(value) if debug_build => Self::stand_ins(
                std::env::split_paths(&value)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect(),
            ),
            Some(_) => {
                warn!(
                    event = "removable_media_override_ignored",
                    "DAYFUSION_REMOVABLE_MEDIA is ignored in release builds"
                );
                Self::system()
            }
            None => Self::system(),
        }
    }

    /// Whether folders stand in for the system's media.
    pub fn is_stand_in(&self) -> bool {
        self.stand_ins.is_some()
    }

    /// The media mounted now, by label.
    pub fn list(&self) -> Vec<Medium> {
        let mountinfo = std::fs::read("/proc/self/mountinfo").unwrap_or_else(|e| {
            warn!(event = "mountinfo_unreadable", error = %e, "removable media cannot be listed");
            Vec::new()
        });
        let mounts = parse_mountinfo(&mountinfo);
        let mut media = match &self.stand_ins {
            Some(folders) => folders
                .iter()
                .filter_map(|folder| stand_in(folder, &mounts))
                .collect(),
            None => removable_mounts(&mounts, Path::new("/sys")),
        };
        media.sort_by(|a, b| a.label.cmp(&b.label).then_with(|| a.id.cmp(&b.id)));
        media.dedup_by(|a, b| a.id == b.id);
        media
    }

    /// The medium with `id`, if it is still mounted.
    pub fn find(&self, id: &str) -> Result<Medium, VisitError> {
        self.list()
            .into_iter()
            .find(|m| m.id == id)
            .ok_or_else(|| VisitError::Medium("the medium is no longer mounted".into()))
    }

    /// The folders, images and PDFs in folder `path` (relative to the
    /// medium's root; `""` is the root).
    pub fn browse(&self, id: &str, path: &str) -> Result<MediaFolder, VisitError> {
        let medium = self.find(id)?;
        let root = canonical_root(&medium)?;
        let parts = relative(path)?;
        let dir = resolve(&root, &parts, Want::Folder)?;
        list_folder(&dir, &parts.join("/"))
    }

    /// The bytes of document `path` (relative to the medium's root), read
    /// like every document file: without following a link, at most
    /// [`dayfusion_verify::flow::MAX_DOCUMENT_BYTES`].
    pub fn read(&self, id: &str, path: &str) -> Result<Zeroizing<Vec<u8>>, VisitError> {
        let medium = self.find(id)?;
        let root = canonical_root(&medium)?;
        let parts = relative(path)?;
        if parts.is_empty() {
            return Err(refused("no file chosen"));
        }
        let file = resolve(&root, &parts, Want::Document)?;
        crate::document::read_limited(&file)
    }
}

fn refused(why: &str) -> VisitError {
    VisitError::Medium(why.to_owned())
}

fn canonical_root(medium: &Medium) -> Result<PathBuf, VisitError> {
    medium
        .root
        .canonicalize()
        .map_err(|_| refused("the medium is no longer mounted"))
}

/// What a picker entry named `name` is, by its extension; `None` for any
/// other file.
pub fn document_kind(name: &str) -> Option<MediaEntryKind> {
    let (_, ext) = name.rsplit_once('.')?;
    match ext.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" | "png" => Some(MediaEntryKind::Image),
        "pdf" => Some(MediaEntryKind::Pdf),
        _ => None,
    }
}

/// The steps of a path relative to a medium's root. Refused: absolute
/// paths, `.` and `..`, hidden names, empty steps, backslashes, NULs, too
/// deep or too long.
fn relative(path: &str) -> Result<Vec<&str>, VisitError> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    if path.len() > MAX_PATH_LEN || path.starts_with('/') || path.contains(['\\', '\0']) {
        return Err(refused("not a path on the medium"));
    }
    let parts: Vec<&str> = path.split('/').collect();
    // A leading '.' covers ".", ".." and hidden entries.
    if parts.len() > MAX_DEPTH || parts.iter().any(|p| p.is_empty() || p.starts_with('.')) {
        return Err(refused("not a path on the medium"));
    }
    Ok(parts)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Folder,
    Document,
}

/// `root` joined with `parts`, each step checked without following links:
/// folders on the root's file system, the last a folder or a document
/// file as `want` says; the canonical result is that path, under `root`.
fn resolve(root: &Path, parts: &[&str], want: Want) -> Result<PathBuf, VisitError> {
    let root_meta =
        std::fs::symlink_metadata(root).map_err(|_| refused("the medium is no longer mounted"))?;
    if !root_meta.is_dir() {
        return Err(refused("the medium is no longer mounted"));
    }
    let mut current = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        current.push(part);
        let meta =
            std::fs::symlink_metadata(&current).map_err(|_| refused("no such file or folder"))?;
        let kind = meta.file_type();
        let last = i + 1 == parts.len();
        let fits = if last && want == Want::Document {
            kind.is_file() && document_kind(part).is_some()
        } else {
            kind.is_dir()
        };
        if !fits {
            return Err(refused("not a folder or document on the medium"));
        }
        if meta.dev() != root_meta.dev() {
            return Err(refused("not on the medium's file system"));
        }
    }
    let canonical = current
        .canonicalize()
        .map_err(|_| refused("no such file or folder"))?;
    if canonical != current || !canonical.starts_with(root) {
        return Err(refused("outside the medium"));
    }
    Ok(canonical)
}

/// The folders and document files of `dir` (whose path on the medium is
/// `rel`), folders first then by name, at most [`MAX_ENTRIES`].
fn list_folder(dir: &Path, rel: &str) -> Result<MediaFolder, VisitError> {
    let dir_dev = std::fs::symlink_metadata(dir)
        .map_err(|_| refused("the folder cannot be read"))?
        .dev();
    let reader = std::fs::read_dir(dir).map_err(|_| refused("the folder cannot be read"))?;
    let mut entries = Vec::new();
    let mut truncated = false;
    for (n, entry) in reader.enumerate() {
        if n >= MAX_SCANNED {
            truncated = true;
            break;
        }
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        // Names the picker could not send back as a path are left out.
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || name.contains('\\') {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        let kind = meta.file_type();
        let (kind, size) = if kind.is_dir() && meta.dev() == dir_dev {
            (MediaEntryKind::Folder, 0)
        } else if kind.is_file() {
            match document_kind(name) {
                Some(kind) => (kind, meta.len()),
                None => continue,
            }
        } else {
            // Links, devices, FIFOs, sockets, other mounts.
            continue;
        };
        entries.push(MediaEntry {
            name: name.to_owned(),
            path: if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            },
            kind,
            size,
        });
    }
    entries.sort_by(|a, b| {
        (a.kind != MediaEntryKind::Folder)
            .cmp(&(b.kind != MediaEntryKind::Folder))
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.name.cmp(&b.name))
    });
    if entries.len() > MAX_ENTRIES {
        entries.truncate(MAX_ENTRIES);
        truncated = true;
    }
    Ok(MediaFolder {
        path: rel.to_owned(),
        entries,
        truncated,
    })
}

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mount {
    /// The block device's major and minor numbers.
    dev: (u32, u32),
    mount_point: PathBuf,
    /// The mount's own options (`ro`, `noexec`, `nodev`…).
    options: Vec<String>,
    /// The device (`/dev/sdb1`).
    source: String,
    /// The file system's options (`ro` when the medium is write-protected).
    super_options: Vec<String>,
}

impl Mount {
    fn has(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }
}

/// Undoes the kernel's octal escapes (`\040` for a space).
fn unescape(field: &str) -> OsString {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 4 <= bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let value = bytes[i + 1..i + 4]
                .iter()
                .fold(0u32, |v, b| v * 8 + u32::from(b - b'0'));
            out.push(u8::try_from(value).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    OsString::from_vec(out)
}

/// The mounts of a `mountinfo` text (lines it cannot read are skipped).
fn parse_mountinfo(text: &[u8]) -> Vec<Mount> {
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let sep = fields.iter().skip(6).position(|f| *f == "-")? + 6;
            let (major, minor) = fields.get(2)?.split_once(':')?;
            Some(Mount {
                dev: (major.parse().ok()?, minor.parse().ok()?),
                mount_point: PathBuf::from(unescape(fields.get(4)?)),
                options: fields.get(5)?.split(',').map(str::to_owned).collect(),
                source: unescape(fields.get(sep + 2)?)
                    .to_string_lossy()
                    .into_owned(),
                super_options: fields
                    .get(sep + 3)
                    .map(|o| o.split(',').map(str::to_owned).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Whether `mount_point` is a folder udisks mounts media in:
/// `/media/<user>/<name>` or `/run/media/<user>/<name>`.
fn under_udisks(mount_point: &Path) -> bool {
    let parts: Vec<Component<'_>> = mount_point.components().collect();
    let named =
        |c: &Component<'_>, name: &str| matches!(c, Component::Normal(n) if *n == OsStr::new(name));
    let normal = |c: &Component<'_>| matches!(c, Component::Normal(_));
    match parts.as_slice() {
        [Component::RootDir, media, user, name] => {
            named(media, "media") && normal(user) && normal(name)
        }
        [Component::RootDir, run, media, user, name] => {
            named(run, "run") && named(media, "media") && normal(user) && normal(name)
        }
        _ => false,
    }
}

/// Whether the block device of `mount` is removable or on USB (`sys` is
/// sysfs' root): by its name (`/sys/class/block/sdb1`), else its numbers
/// (`/sys/dev/block/8:17`); a partition asks its disk.
fn removable_device(mount: &Mount, sys: &Path) -> bool {
    let by_name = mount
        .source
        .strip_prefix("/dev/")
        .filter(|name| !name.is_empty() && !name.contains('/') && !name.starts_with('.'))
        .map(|name| sys.join("class/block").join(name));
    let by_number = sys.join(format!("dev/block/{}:{}", mount.dev.0, mount.dev.1));
    let Some(device) = by_name
        .into_iter()
        .chain([by_number])
        .find_map(|link| link.canonicalize().ok())
    else {
        return false;
    };
    if device
        .as_os_str()
        .as_bytes()
        .windows(4)
        .any(|w| w == b"/usb")
    {
        return true;
    }
    let disk = if device.join("partition").exists() {
        device.parent().map(Path::to_path_buf)
    } else {
        Some(device)
    };
    disk.and_then(|d| std::fs::read_to_string(d.join("removable")).ok())
        .is_some_and(|v| v.trim() == "1")
}

/// An opaque id for the medium mounted at `root` from device `dev`.
fn medium_id(root: &Path, dev: (u32, u32)) -> String {
    let mut hasher = DefaultHasher::new();
    root.hash(&mut hasher);
    dev.hash(&mut hasher);
    let hash = hasher.finish();
    format!("m{hash:016x}")
}

fn label_of(root: &Path) -> String {
    root.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn medium(root: PathBuf, mount: Option<&Mount>) -> Medium {
    let dev = mount.map_or((0, 0), |m| m.dev);
    Medium {
        id: medium_id(&root, dev),
        label: label_of(&root),
        read_only: mount.is_some_and(|m| m.has("ro") || m.super_options.iter().any(|o| o == "ro")),
        noexec: mount.is_some_and(|m| m.has("noexec")),
        nodev: mount.is_some_and(|m| m.has("nodev")),
        root,
    }
}

/// The mounts under udisks' folders whose device is removable or on USB
/// (the last mount on a folder wins: it hides the earlier ones).
fn removable_mounts(mounts: &[Mount], sys: &Path) -> Vec<Medium> {
    mounts
        .iter()
        .enumerate()
        .filter(|(i, m)| {
            !mounts[i + 1..]
                .iter()
                .any(|later| later.mount_point == m.mount_point)
        })
        .map(|(_, m)| m)
        .filter(|m| under_udisks(&m.mount_point) && removable_device(m, sys))
        .map(|m| medium(m.mount_point.clone(), Some(m)))
        .collect()
}

/// A folder standing in for a medium; its flags are those of the mount it
/// is on. `None` when it is not a folder.
fn stand_in(folder: &Path, mounts: &[Mount]) -> Option<Medium> {
    let root = folder.canonicalize().ok()?;
    if !std::fs::symlink_metadata(&root).ok()?.is_dir() {
        return None;
    }
    let mount = mounts
        .iter()
        .filter(|m| root.starts_with(&m.mount_point))
        .max_by_key(|m| m.mount_point.as_os_str().len());
    Some(medium(root, mount))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const MOUNTINFO: &str = "\
22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
25 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
40 22 8:17 / /media/kiosk/FOTOS\\040RG rw,nosuid,nodev,relatime shared:30 - vfat /dev/sdb1 rw,fmask=0022
41 22 8:1 / /media/kiosk/BACKUP rw,nosuid,nodev,relatime shared:31 - ext4 /dev/sda1 rw
42 22 8:33 / /run/media/kiosk/CARD ro,nosuid,nodev,noexec,relatime shared:32 - exfat /dev/sdc1 ro
43 22 8:17 / /mnt/usb rw,relatime shared:33 - vfat /dev/sdb1 rw
44 22 179:1 / /media/kiosk/SD rw,nosuid,relatime shared:34 - vfat /dev/mmcblk0p1 rw
";

    #[test]
    fn mountinfo_lines_are_read_with_their_escapes_and_options() {
        let mounts = parse_mountinfo(MOUNTINFO.as_bytes());
        assert_eq!(mounts.len(), 7);
        let fotos = &mounts[2];
        assert_eq!(fotos.dev, (8, 17));
        assert_eq!(fotos.mount_point, PathBuf::from("/media/kiosk/FOTOS RG"));
        assert_eq!(fotos.source, "/dev/sdb1");
        assert!(fotos.has("nodev") && !fotos.has("noexec") && !fotos.has("ro"));
        assert_eq!(mounts[4].super_options, vec!["ro".to_owned()]);
        assert!(parse_mountinfo(b"garbage line\n1 2 3\n").is_empty());
    }

    #[test]
    fn only_udisks_folders_count() {
        assert!(under_udisks(Path::new("/media/kiosk/STICK")));
        assert!(under_udisks(Path::new("/run/media/kiosk/STICK")));
        assert!(!under_udisks(Path::new("/media/STICK")));
        assert!(!under_udisks(Path::new("/media/kiosk/STICK/sub")));
        assert!(!under_udisks(Path::new("/mnt/usb")));
        assert!(!under_udisks(Path::new("/media/kiosk/..")));
        assert!(!under_udisks(Path::new("/")));
    }

    /// A sysfs tree: sdb on USB, sda on SATA (fixed), sdc a removable
    /// card reader on SATA, mmcblk0 a fixed eMMC.
    fn fake_sys(sys: &Path) -> TestResult {
        let devices = [
            (
                "sdb",
                "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb",
                "0",
                "8:16",
            ),
            (
                "sda",
                "devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda",
                "0",
                "8:0",
            ),
            (
                "sdc",
                "devices/pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0/block/sdc",
                "1",
                "8:32",
            ),
            (
                "mmcblk0",
                "devices/platform/mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0",
                "0",
                "179:0",
            ),
        ];
        std::fs::create_dir_all(sys.join("class/block"))?;
        std::fs::create_dir_all(sys.join("dev/block"))?;
        for (disk, path, removable, numbers) in devices {
            let dir = sys.join(path);
            let part = dir.join(format!(
                "{disk}{}",
                if disk.starts_with("mmc") { "p1" } else { "1" }
            ));
            std::fs::create_dir_all(&part)?;
            std::fs::write(dir.join("removable"), format!("{removable}\n"))?;
            std::fs::write(part.join("partition"), "1\n")?;
            let part_name = part.file_name().ok_or("name")?.to_owned();
            std::os::unix::fs::symlink(&part, sys.join("class/block").join(&part_name))?;
            let (major, minor) = numbers.split_once(':').ok_or("numbers")?;
            let minor: u32 = minor.parse()?;
            std::os::unix::fs::symlink(
                &part,
                sys.join(format!("dev/block/{major}:{}", minor + 1)),
            )?;
        }
        Ok(())
    }

    #[test]
    fn removable_or_usb_devices_under_udisks_folders_are_media() -> TestResult {
        let tmp = tempfile::tempdir()?;
        fake_sys(tmp.path())?;
        let media = removable_mounts(&parse_mountinfo(MOUNTINFO.as_bytes()), tmp.path());
        let labels: Vec<&str> = media.iter().map(|m| m.label.as_str()).collect();
        // sdb1 (USB) and sdc1 (removable); not the fixed sda1, the eMMC,
        // the root file system, nor sdb1's second mount outside udisks.
        assert_eq!(labels, ["FOTOS RG", "CARD"]);
        let (fotos, card) = (&media[0], &media[1]);
        assert!(!fotos.read_only && fotos.nodev && !fotos.noexec);
        assert!(card.read_only && card.noexec && card.nodev);
        assert_ne!(fotos.id, card.id);
        assert!(!fotos.id.contains("FOTOS") && !fotos.id.contains('/'));
        // Stable: the same mount gives the same id.
        let again = removable_mounts(&parse_mountinfo(MOUNTINFO.as_bytes()), tmp.path());
        assert_eq!(again, media);
        Ok(())
    }

    #[test]
    fn devices_found_by_number_when_the_source_is_not_a_device() -> TestResult {
        let tmp = tempfile::tempdir()?;
        fake_sys(tmp.path())?;
        let fuse = "50 22 8:17 / /media/kiosk/NTFS rw,nosuid,nodev - fuseblk none rw\n";
        let media = removable_mounts(&parse_mountinfo(fuse.as_bytes()), tmp.path());
        assert_eq!(media.len(), 1);
        let unknown = "51 22 9:9 / /media/kiosk/X rw - vfat /dev/../sda1 rw\n";
        assert!(removable_mounts(&parse_mountinfo(unknown.as_bytes()), tmp.path()).is_empty());
        Ok(())
    }

    #[test]
    fn a_later_mount_on_the_same_folder_hides_the_earlier() -> TestResult {
        let tmp = tempfile::tempdir()?;
        fake_sys(tmp.path())?;
        let text = "40 22 8:17 / /media/kiosk/A rw - vfat /dev/sdb1 rw\n\
                    41 40 8:1 / /media/kiosk/A rw - ext4 /dev/sda1 rw\n";
        assert!(removable_mounts(&parse_mountinfo(text.as_bytes()), tmp.path()).is_empty());
        Ok(())
    }

    #[test]
    fn release_builds_ignore_the_stand_in_folders() {
        let value = Some(OsString::from("/tmp/a:/tmp/b"));
        let debug = RemovableMedia::choose(value.clone(), true);
        assert_eq!(
            debug.stand_ins,
            Some(vec![PathBuf::from("/tmp/a"), PathBuf::from("/tmp/b")])
        );
        assert!(!RemovableMedia::choose(value, false).is_stand_in());
        assert!(!RemovableMedia::choose(None, true).is_stand_in());
    }

    #[test]
    fn relative_paths_only() {
        assert_eq!(relative("").ok(), Some(vec![]));
        assert_eq!(relative("DCIM/100").ok(), Some(vec!["DCIM", "100"]));
        for bad in [
            "/", "/etc", "..", "../x", "a/..", "a/../b", ".", "./a", "a//b", "a/", ".hidden",
            "a/.git", "a\\b", "a\0b",
        ] {
            assert!(relative(bad).is_err(), "{bad:?} accepted");
        }
        assert!(relative(&"a/".repeat(40)).is_err());
    }

    #[test]
    fn document_kinds_by_extension() {
        assert_eq!(document_kind("RG.JPG"), Some(MediaEntryKind::Image));
        assert_eq!(document_kind("a.jpeg"), Some(MediaEntryKind::Image));
        assert_eq!(document_kind("a.Png"), Some(MediaEntryKind::Image));
        assert_eq!(document_kind("scan.pdf"), Some(MediaEntryKind::Pdf));
        for other in ["a.txt", "jpg", "a.jpg.exe", "a.gif", "a."] {
            assert_eq!(document_kind(other), None, "{other}");
        }
    }
}

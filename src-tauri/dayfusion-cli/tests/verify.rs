//! `dayfusion verify` and the commands around the log, end to end through
//! the binary: a document and a selfie video made here with ffmpeg from
//! registry-shipped photos, real models, a real SQLite file and the real
//! encrypted evidence store in a temporary data folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use sha2::Digest;

mod common;
use common::{TestResult, ffmpeg, has_ffmpeg, selfie_video};

/// What every test needs: photos, models, ffmpeg, and a data folder.
struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    data: PathBuf,
    models: PathBuf,
    photos: PathBuf,
}

impl Setup {
    fn new(test: &str) -> Result<Option<Setup>, Box<dyn std::error::Error>> {
        let models = dayfusion_models::default_dir()?;
        let models_ok = dayfusion_models::verify(&models).is_ok();
        let photos = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/test-images/face_recognition");
        if !models_ok || !photos.join("obama.jpg").is_file() || !has_ffmpeg() {
            if std::env::var_os("CI").is_some() {
                return Err(format!(
                    "{test}: the model pack, test photos or ffmpeg are missing in CI"
                )
                .into());
            }
            eprintln!("SKIP {test}: needs the model pack, the test photos and ffmpeg (make setup)");
            return Ok(None);
        }
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().to_path_buf();
        Ok(Some(Setup {
            data: dir.join("data"),
            dir,
            _tmp: tmp,
            models,
            photos,
        }))
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dayfusion"));
        c.env("DAYFUSION_DATA_DIR", &self.data)
            .env("DAYFUSION_EVIDENCE_KEY", "file")
            .env_remove("DAYFUSION_LOG");
        c
    }

    fn verify_cmd(&self, document: &Path, video: &Path) -> Command {
        let mut c = self.cmd();
        c.args(["verify", "--json", "--lang", "en", "--document"])
            .arg(document)
            .arg("--selfie-video")
            .arg(video)
            .arg("--models-dir")
            .arg(&self.models);
        c
    }

    fn run(&self, args: &[&str]) -> Result<Output, std::io::Error> {
        self.cmd().args(args).output()
    }

    /// A 1000×630 ID card with the photo `name` as its portrait.
    fn document(&self, name: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
        let out = self.dir.join(format!("document-{name}"));
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=0xd8e4ef:s=1000x630",
            "-i",
            &self.photos.join(name).to_string_lossy(),
            "-filter_complex",
            "[1]scale=300:-2[p];[0][p]overlay=60:120,drawbox=x=40:y=40:w=920:h=50:color=0x1d4f91@1:t=fill,drawbox=x=420:y=160:w=500:h=24:color=0x555555@0.8:t=fill,drawbox=x=40:y=520:w=920:h=30:color=0x333333@0.7:t=fill",
            "-frames:v",
            "1",
            "-q:v",
            "3",
            &out.to_string_lossy(),
        ])?;
        Ok(out)
    }

    /// `seconds` of the photo `name` at 15 fps with camera noise (MJPEG).
    fn video(&self, name: &str, seconds: u32) -> Result<PathBuf, Box<dyn std::error::Error>> {
        let out = self.dir.join(format!("selfie-{name}.avi"));
        selfie_video(&self.photos.join(name), &out, seconds)?;
        Ok(out)
    }

    fn evidence_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut stack = vec![self.data.join("evidence")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files
    }

    fn transactions(&self) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
        let out = self.run(&["transactions", "list", "--json", "--limit", "0"])?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    }
}

fn json(out: &Output) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into()
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn verify_decides_stores_encrypted_evidence_and_logs_a_verifiable_chain() -> TestResult {
    let Some(s) = Setup::new("verify")? else {
        return Ok(());
    };
    let document = s.document("obama2.jpg")?;
    let video = s.video("obama.jpg", 2)?;
    let out = s.verify_cmd(&document, &video).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = json(&out)?;
    // A still photo in front of the camera: the same person as the document
    // (similarity well above 80) but the liveness checks see a flat print.
    assert_eq!(t["stage"], "decided");
    assert_eq!(t["status"], "REJECTED", "{t:#}");
    assert!(
        t["comparison"]["similarity"].as_f64().unwrap_or(0.0) >= 80.0,
        "{t:#}"
    );
    assert_eq!(t["decision"]["policy"]["id"], "default");
    assert_eq!(t["decision"]["policy"]["version"], 1);
    assert_eq!(t["decision"]["policy"]["livenessMin"], 70.0);
    // No AWS settings on this kiosk: the transaction stays local.
    assert_eq!(t["sync"], "local");
    let id = t["transactionId"].as_str().ok_or("no id")?;
    let session = t["liveness"]["sessionId"].as_str().ok_or("no session")?;
    assert_eq!(
        t["document"]["documentKey"],
        format!("documents/{id}/document.jpg")
    );
    assert_eq!(
        t["liveness"]["referenceKey"],
        format!("liveness/{session}/reference.jpg")
    );
    assert_eq!(
        t["liveness"]["auditImages"].as_array().map(Vec::len),
        Some(2)
    );

    // The document comes back byte for byte, checked against its hash.
    let doc_bytes = std::fs::read(&document)?;
    assert_eq!(
        t["document"]["sha256"],
        hex::encode(sha2::Sha256::digest(&doc_bytes))
    );
    let copy = s.dir.join("copy.jpg");
    let got = s.run(&[
        "evidence",
        "get",
        &format!("documents/{id}/document.jpg"),
        "--out",
        &copy.to_string_lossy(),
    ])?;
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(std::fs::read(&copy)?, doc_bytes);
    let reference = s.dir.join("reference.jpg");
    let got = s.run(&[
        "evidence",
        "get",
        &format!("liveness/{session}/reference.jpg"),
        "--out",
        &reference.to_string_lossy(),
    ])?;
    assert!(got.status.success());
    assert_eq!(
        hex::encode(sha2::Sha256::digest(std::fs::read(&reference)?)),
        t["liveness"]["referenceSha256"].as_str().ok_or("no hash")?
    );

    // At rest: no JPEG header, no plaintext hash in any evidence file.
    let hashes: Vec<String> = [
        t["document"]["sha256"].as_str(),
        t["liveness"]["referenceSha256"].as_str(),
    ]
    .into_iter()
    .flatten()
    .map(str::to_owned)
    .collect();
    // Plaintext probes are 16-byte windows (a JPEG's header with its JFIF
    // or Exif segment, and a run from the middle): a 3-byte magic would
    // turn up by chance in about one ciphertext of a few hundred kB in 50.
    let reference_bytes = std::fs::read(&reference)?;
    let probes: Vec<&[u8]> = [&doc_bytes, &reference_bytes]
        .into_iter()
        .flat_map(|p| [&p[..16], &p[p.len() / 2..p.len() / 2 + 16]])
        .collect();
    let files = s.evidence_files();
    assert!(files.len() >= 4);
    for file in &files {
        let bytes = std::fs::read(file)?;
        assert!(
            !bytes.starts_with(&[0xFF, 0xD8]),
            "a JPEG file at rest: {}",
            file.display()
        );
        for probe in &probes {
            assert!(
                !contains(&bytes, probe),
                "plaintext image bytes in {}",
                file.display()
            );
        }
        for h in &hashes {
            assert!(
                !contains(&bytes, h.as_bytes()),
                "hash in {}",
                file.display()
            );
            assert!(
                !contains(&bytes, &hex::decode(h)?),
                "raw hash in {}",
                file.display()
            );
        }
    }

    // Owner-only: every folder of the data folder, and every stored file
    // but the log files (inside an owner-only folder).
    use std::os::unix::fs::PermissionsExt;
    for path in walk_dirs(&s.data)
        .into_iter()
        .chain(s.evidence_files())
        .chain(["transactions.db", "verification.lock"].map(|f| s.data.join(f)))
    {
        let mode = std::fs::metadata(&path)?.permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", path.display());
    }

    // The kiosk log tells what happened, by id, and nothing personal.
    let mut log_text = String::new();
    for entry in std::fs::read_dir(s.data.join("logs"))? {
        log_text.push_str(&std::fs::read_to_string(entry?.path())?);
    }
    assert!(log_text.contains(id), "{log_text}");
    assert!(log_text.contains("transaction decided"), "{log_text}");
    for secret in hashes
        .iter()
        .map(String::as_str)
        .chain(["obama", "document-"])
    {
        assert!(!log_text.contains(secret), "{secret} in the log");
    }

    let audit = s.run(&["audit", "verify", "--json"])?;
    assert!(audit.status.success());
    let report = json(&audit)?;
    assert!(report["events"].as_u64().unwrap_or(0) >= 7, "{report}");
    assert!(report["firstBad"].is_null());
    let show = json(&s.run(&["transactions", "show", id, "--json"])?)?;
    let kinds: Vec<&str> = show["auditEvents"]
        .as_array()
        .ok_or("no events")?
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "transaction.started",
            "document.captured",
            "liveness.started",
            "liveness.completed",
            "comparison.completed",
            "decision.made"
        ]
    );
    Ok(())
}

#[test]
fn high_risk_policy_is_recorded_and_policy_edits_without_a_version_are_refused() -> TestResult {
    let Some(s) = Setup::new("policy")? else {
        return Ok(());
    };
    let document = s.document("obama2.jpg")?;
    let video = s.video("obama.jpg", 1)?;
    let mut c = s.verify_cmd(&document, &video);
    let out = c.args(["--policy", "high-risk"]).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = json(&out)?;
    assert_eq!(t["policy"]["id"], "high-risk");
    assert_eq!(t["decision"]["policy"]["similarityMin"], 90.0);

    // A kiosk file that changes a shipped policy without a new version.
    std::fs::create_dir_all(&s.data)?;
    let policy = |id: &str, min: f32| {
        format!(
            "[[policy]]\nid = \"{id}\"\nversion = 1\nliveness_min = {min:.1}\nsimilarity_min = {min:.1}\nreview_band = 5.0\npassive_liveness = \"allow\"\n"
        )
    };
    std::fs::write(s.data.join("policies.toml"), policy("high-risk", 50.0))?;
    let run = |id: &str| {
        s.verify_cmd(&document, &video)
            .args(["--policy", id])
            .output()
    };
    let out = run("high-risk")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[policy-invalid]"), "{stderr}");
    // The kiosk's own policy, used once, then edited in place: the log
    // remembers v1's numbers and refuses.
    std::fs::write(s.data.join("policies.toml"), policy("branch-pilot", 60.0))?;
    let out = run("branch-pilot")?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(s.data.join("policies.toml"), policy("branch-pilot", 40.0))?;
    let out = run("branch-pilot")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[policy-conflict]"), "{stderr}");
    // Earlier decisions still show the thresholds they were made with.
    let all = s.transactions()?;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["decision"]["policy"]["livenessMin"], 85.0);
    assert_eq!(all[0]["decision"]["policy"]["livenessMin"], 60.0);
    Ok(())
}

#[test]
fn bad_inputs_end_in_an_error_with_a_reason_code_or_a_rejection() -> TestResult {
    let Some(s) = Setup::new("bad inputs")? else {
        return Ok(());
    };
    let document = s.document("obama2.jpg")?;
    let video = s.video("obama.jpg", 1)?;
    let text = s.dir.join("notes.jpg");
    std::fs::write(&text, "not an image at all")?;
    let truncated = s.dir.join("truncated.jpg");
    let bytes = std::fs::read(&document)?;
    std::fs::write(&truncated, &bytes[..bytes.len() / 3])?;
    // A real 10000×10000 JPEG (100 megapixels, flat grey: small on disk).
    let huge = s.dir.join("huge.jpg");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:s=10000x10000",
        "-frames:v",
        "1",
        "-q:v",
        "31",
        &huge.to_string_lossy(),
    ])?;
    let coffee =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-images/coffee.png");
    let not_video = s.dir.join("clip.webm");
    std::fs::write(&not_video, "this is no video")?;

    let mut cases: Vec<(PathBuf, PathBuf, &str)> = vec![
        (text, video.clone(), "document-not-an-image"),
        (truncated, video.clone(), "document-"),
        (huge, video.clone(), "document-image-too-large"),
        (document.clone(), not_video, "liveness-video-unreadable"),
    ];
    if coffee.is_file() {
        cases.push((coffee, video.clone(), "document-no-"));
    }
    for (doc, vid, code) in &cases {
        let out = s.verify_cmd(doc, vid).output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{code}: {stderr}");
        assert!(stderr.contains(&format!("[{code}")), "{code}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let t = json(&out)?;
        assert_eq!(t["status"], "ABORTED");
        assert!(
            t["abortReason"].as_str().unwrap_or("").starts_with(code),
            "{t}"
        );
    }
    // pt-BR messages for the person.
    let out = s
        .cmd()
        .args(["verify", "--lang", "pt-BR", "--document"])
        .arg(&cases[0].0)
        .arg("--selfie-video")
        .arg(&video)
        .arg("--models-dir")
        .arg(&s.models)
        .output()?;
    assert!(String::from_utf8_lossy(&out.stderr).contains("não é uma foto"));

    // Two people in the selfie video: a decision, and it is a rejection.
    let pair = s.dir.join("pair.jpg");
    ffmpeg(&[
        "-i",
        &s.photos.join("obama.jpg").to_string_lossy(),
        "-i",
        &s.photos.join("biden.jpg").to_string_lossy(),
        "-filter_complex",
        "[0]scale=-2:400[a];[1]scale=-2:400[b];[a][b]hstack",
        "-frames:v",
        "1",
        &pair.to_string_lossy(),
    ])?;
    let pair_video = s.dir.join("pair.avi");
    ffmpeg(&[
        "-loop",
        "1",
        "-i",
        &pair.to_string_lossy(),
        "-t",
        "1",
        "-r",
        "15",
        "-vf",
        "noise=alls=8:allf=t",
        "-c:v",
        "mjpeg",
        "-q:v",
        "3",
        &pair_video.to_string_lossy(),
    ])?;
    let out = s.verify_cmd(&document, &pair_video).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)?["status"], "REJECTED");
    // No face at all in the video: a rejection that says so.
    let empty_video = s.dir.join("empty.avi");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=0x808890:s=640x480",
        "-t",
        "1",
        "-r",
        "15",
        "-vf",
        "noise=alls=8:allf=t",
        "-c:v",
        "mjpeg",
        &empty_video.to_string_lossy(),
    ])?;
    let out = s.verify_cmd(&document, &empty_video).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = json(&out)?;
    assert_eq!(t["status"], "REJECTED");
    assert_eq!(t["decision"]["reasons"][0], "liveness-failed", "{t:#}");

    // Aborted transactions keep no evidence; the chain still verifies.
    let all = s.transactions()?;
    assert_eq!(all.len(), cases.len() + 3); // + the pt-BR run, the pair, the empty video
    let kept: usize = all
        .iter()
        .filter(|t| t["status"] != "ABORTED")
        .map(|t| {
            1 + t["liveness"]["auditImages"].as_array().map_or(0, Vec::len)
                + usize::from(!t["liveness"]["referenceKey"].is_null())
        })
        .sum();
    let objects = s
        .evidence_files()
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "objects"))
        .count();
    assert_eq!(objects, kept);
    assert!(s.run(&["audit", "verify"])?.status.success());
    Ok(())
}

#[test]
fn audit_verify_names_the_first_edited_deleted_or_reordered_event() -> TestResult {
    let Some(s) = Setup::new("audit tamper")? else {
        return Ok(());
    };
    let document = s.document("obama2.jpg")?;
    let video = s.video("obama.jpg", 1)?;
    let out = s.verify_cmd(&document, &video).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = s.data.join("transactions.db");
    let pristine = s.dir.join("pristine.db");
    let checkpoint = rusqlite::Connection::open(&db)?;
    checkpoint.pragma_update(None, "wal_checkpoint", "TRUNCATE")?;
    drop(checkpoint);
    std::fs::copy(&db, &pristine)?;

    let cases: [(&str, &str); 5] = [
        (
            "UPDATE transactions SET record = replace(record, '\"REJECTED\"', '\"APPROVED\"')",
            "record-mismatch",
        ),
        (
            "DELETE FROM audit_events WHERE seq > (SELECT max(seq) - 2 FROM audit_events); \
             UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_events), \
             hash = (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1)",
            "record-mismatch",
        ),
        (
            "UPDATE audit_events SET data = replace(data, 'REJECTED', 'APPROVED') WHERE kind = 'decision.made'",
            "hash-mismatch",
        ),
        ("DELETE FROM audit_events WHERE seq = 3", "sequence-gap"),
        (
            "UPDATE audit_events SET seq = CASE seq WHEN 3 THEN 1003 WHEN 4 THEN 3 END WHERE seq IN (3, 4); UPDATE audit_events SET seq = 4 WHERE seq = 1003",
            "",
        ),
    ];
    for (sql, problem) in cases {
        std::fs::copy(&pristine, &db)?;
        let _ = std::fs::remove_file(s.data.join("transactions.db-wal"));
        let _ = std::fs::remove_file(s.data.join("transactions.db-shm"));
        let conn = rusqlite::Connection::open(&db)?;
        conn.execute_batch(
            "DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;",
        )?;
        for trigger in conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?
        {
            conn.execute_batch(&format!("DROP TRIGGER \"{trigger}\""))?;
        }
        conn.execute_batch(sql)?;
        drop(conn);
        let out = s.run(&["audit", "verify", "--json"])?;
        assert_eq!(out.status.code(), Some(1), "{sql}");
        let report = json(&out)?;
        let bad = &report["firstBad"];
        assert!(bad["seq"].as_u64().is_some(), "{report}");
        if !problem.is_empty() {
            assert_eq!(bad["problem"], problem, "{sql}: {report}");
        }
        let human = s.run(&["audit", "verify"])?;
        assert!(String::from_utf8_lossy(&human.stdout).contains(&format!("#{}", bad["seq"])));
    }
    Ok(())
}

#[test]
fn a_verify_killed_at_any_point_leaves_no_half_written_transaction() -> TestResult {
    let Some(s) = Setup::new("kill")? else {
        return Ok(());
    };
    let document = s.document("obama2.jpg")?;
    let video = s.video("obama.jpg", 2)?;
    // One whole run first: the kills then land at fractions of its length,
    // whatever the machine's speed and load.
    let started = std::time::Instant::now();
    let whole = s.verify_cmd(&document, &video).output()?;
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let full_ms = started.elapsed().as_millis() as u64;
    let mut stages_seen = std::collections::BTreeSet::new();
    for percent in [1u64, 8, 16, 25, 35, 45, 55, 65, 75, 85, 95] {
        let delay_ms = full_ms * percent / 100;
        let mut child = s.verify_cmd(&document, &video).spawn()?;
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill()?; // SIGKILL
        child.wait()?;
        // Before any recovery: the chain verifies and every row is whole.
        let audit = s.run(&["audit", "verify"])?;
        if s.data.join("transactions.db").exists() {
            assert!(
                audit.status.success(),
                "after {delay_ms} ms: {}",
                String::from_utf8_lossy(&audit.stdout)
            );
            for t in s.transactions()? {
                stages_seen.insert(t["stage"].as_str().unwrap_or("?").to_owned());
            }
        }
        let recover = s.run(&["recover", "--json"])?;
        if s.data.join("transactions.db").exists() {
            assert!(
                recover.status.success(),
                "{}",
                String::from_utf8_lossy(&recover.stderr)
            );
        }
    }
    // After recovery: every transaction is final, interrupted ones are
    // ABORTED with their evidence gone, and no orphan object remains.
    let all = s.transactions()?;
    assert!(!all.is_empty());
    for t in &all {
        assert!(
            matches!(t["stage"].as_str(), Some("decided" | "aborted")),
            "{t}"
        );
        if t["stage"] == "aborted" {
            assert_eq!(t["abortReason"], "interrupted");
        }
    }
    let referenced: usize = all
        .iter()
        .filter(|t| t["stage"] == "decided")
        .map(|t| 2 + t["liveness"]["auditImages"].as_array().map_or(0, Vec::len))
        .sum();
    let objects = s
        .evidence_files()
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "objects"))
        .count();
    assert_eq!(objects, referenced);
    assert!(s.run(&["audit", "verify"])?.status.success());
    eprintln!(
        "stages seen at kill time: {stages_seen:?}; transactions {}",
        all.len()
    );
    // At least one kill landed after the document was stored, and its
    // evidence went with the abort.
    assert!(
        all.iter()
            .any(|t| t["abortReason"] == "interrupted" && !t["document"].is_null()),
        "no kill landed mid-flow: {stages_seen:?}"
    );
    Ok(())
}

#[test]
fn a_lost_transaction_log_never_makes_evidence_look_orphaned() -> TestResult {
    let Some(s) = Setup::new("lost log")? else {
        return Ok(());
    };
    let document = s.document("obama2.jpg")?;
    let video = s.video("obama.jpg", 1)?;
    assert!(s.verify_cmd(&document, &video).output()?.status.success());
    let objects = |s: &Setup| {
        s.evidence_files()
            .into_iter()
            .filter(|p| p.components().any(|c| c.as_os_str() == "objects"))
            .count()
    };
    let before = objects(&s);
    assert!(before >= 4);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(s.data.join(format!("transactions.db{suffix}")));
    }
    let report = json(&s.run(&["recover", "--json"])?)?;
    assert_eq!(report["orphansDeleted"], 0);
    assert_eq!(report["unaccounted"].as_u64(), Some(before as u64));
    // A new verification on the fresh log keeps the old objects too.
    assert!(s.verify_cmd(&document, &video).output()?.status.success());
    assert!(objects(&s) >= before + 4);
    Ok(())
}

#[test]
fn purge_deletes_old_evidence_and_keeps_the_records_and_the_chain() -> TestResult {
    let Some(s) = Setup::new("purge")? else {
        return Ok(());
    };
    let document = s.document("obama2.jpg")?;
    let video = s.video("obama.jpg", 1)?;
    let out = s.verify_cmd(&document, &video).output()?;
    assert!(out.status.success());
    let id = json(&out)?["transactionId"]
        .as_str()
        .ok_or("no id")?
        .to_owned();
    // Not old enough: nothing goes.
    let report = json(&s.run(&["purge", "--older-than", "30", "--json"])?)?;
    assert_eq!(report["transactions"], 0);
    // Old enough (0 days) on a kiosk without AWS settings: nothing waits
    // for AWS, so the evidence goes without forcing.
    let report = json(&s.run(&["purge", "--older-than", "0", "--json"])?)?;
    assert_eq!(report["keptUnsynced"], 0);
    assert_eq!(report["queuedForAws"], 0);
    assert_eq!(report["transactions"], 1);
    assert!(report["objectsDeleted"].as_u64().unwrap_or(0) >= 2);
    let objects = s
        .evidence_files()
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "objects"))
        .count();
    assert_eq!(objects, 0);
    let show = json(&s.run(&["transactions", "show", &id, "--json"])?)?;
    assert!(show["transaction"]["evidencePurgedAt"].is_string());
    assert!(show["transaction"]["document"]["sha256"].is_string());
    assert_eq!(
        show["auditEvents"]
            .as_array()
            .and_then(|e| e.last())
            .map(|e| e["kind"].clone()),
        Some("evidence.purged".into())
    );
    assert!(s.run(&["audit", "verify"])?.status.success());
    let key = show["transaction"]["document"]["documentKey"]
        .as_str()
        .ok_or("no key")?;
    let got = s.run(&[
        "evidence",
        "get",
        key,
        "--out",
        &s.dir.join("x").to_string_lossy(),
    ])?;
    assert!(!got.status.success());
    assert!(String::from_utf8_lossy(&got.stderr).contains("[not-found]"));
    Ok(())
}

#[test]
fn an_unwritable_data_folder_gives_a_clear_error_and_loses_nothing() -> TestResult {
    let Some(s) = Setup::new("read-only")? else {
        return Ok(());
    };
    // Root ignores file modes: run the CLI as `nobody` then (setpriv).
    let as_root = {
        let probe = s.dir.join("probe");
        std::fs::create_dir(&probe)?;
        set_mode(&probe, 0o500)?;
        std::fs::write(probe.join("x"), "x").is_ok()
    };
    let setpriv = Path::new("/usr/bin/setpriv").is_file();
    if as_root && !setpriv {
        eprintln!("SKIP read-only: running as root without setpriv");
        return Ok(());
    }
    use std::os::unix::fs::PermissionsExt;
    // Everything `nobody` needs must be readable by it.
    set_mode(&s.dir, 0o755)?;
    let mut p = s.dir.clone();
    while let Some(parent) = p.parent() {
        if parent.metadata()?.permissions().mode() & 0o001 == 0 && as_root {
            eprintln!(
                "SKIP read-only: {} is not searchable by others",
                parent.display()
            );
            return Ok(());
        }
        p = parent.to_path_buf();
    }
    let models = s.dir.join("models");
    std::fs::create_dir(&models)?;
    for entry in std::fs::read_dir(&s.models)? {
        let entry = entry?;
        std::fs::copy(entry.path(), models.join(entry.file_name()))?;
        set_mode(&models.join(entry.file_name()), 0o644)?;
    }
    set_mode(&models, 0o755)?;
    let document = s.document("obama2.jpg")?;
    let video = s.video("obama.jpg", 1)?;
    for f in [&document, &video] {
        set_mode(f, 0o644)?;
    }
    std::fs::create_dir(&s.data)?;
    if as_root {
        chown_tree(&s.data)?;
    }
    // The binary too: the checkout may sit in an owner-only folder.
    let bin = s.dir.join("dayfusion");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_dayfusion"), &bin).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_dayfusion"), &bin)?;
    }
    set_mode(&bin, 0o755)?;
    let run_verify = || -> Result<Output, std::io::Error> {
        let mut c = if as_root {
            let mut c = Command::new("/usr/bin/setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&bin);
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_dayfusion"))
        };
        c.env("DAYFUSION_DATA_DIR", &s.data)
            .env("DAYFUSION_EVIDENCE_KEY", "file")
            .env("HOME", &s.dir)
            .args(["verify", "--json", "--lang", "en", "--document"])
            .arg(&document)
            .arg("--selfie-video")
            .arg(&video)
            .arg("--models-dir")
            .arg(&models)
            .output()
    };
    let first = run_verify()?;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = s.transactions()?;
    // The evidence folder becomes read-only.
    for dir in walk_dirs(&s.data.join("evidence")) {
        set_mode(&dir, 0o500)?;
    }
    let second = run_verify()?;
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[storage-not-writable]"), "{stderr}");
    for dir in walk_dirs(&s.data.join("evidence")) {
        set_mode(&dir, 0o700)?;
    }
    // The first transaction and its evidence are intact; the second one is
    // closed without a decision.
    let after = s.transactions()?;
    assert!(
        after
            .iter()
            .any(|t| t["transactionId"] == before[0]["transactionId"]
                && t["status"] == before[0]["status"])
    );
    let key = before[0]["document"]["documentKey"]
        .as_str()
        .ok_or("no key")?;
    let got = s.run(&[
        "evidence",
        "get",
        key,
        "--out",
        &s.dir.join("back.jpg").to_string_lossy(),
    ])?;
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert!(s.run(&["audit", "verify"])?.status.success());
    Ok(())
}

#[test]
fn a_full_disk_gives_a_clear_error_and_loses_nothing() -> TestResult {
    let Some(s) = Setup::new("full disk")? else {
        return Ok(());
    };
    let document = s.document("obama2.jpg")?;
    let video = s.video("obama.jpg", 1)?;
    let first = s.verify_cmd(&document, &video).output()?;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = s.transactions()?;
    // A file-size limit of 40 KiB stands in for a full disk (EFBIG instead
    // of ENOSPC; SIGXFSZ ignored so the write fails instead of killing).
    let full = Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 40; exec \"$@\"")
        .arg("bash")
        .arg(env!("CARGO_BIN_EXE_dayfusion"))
        .args(["verify", "--lang", "en", "--document"])
        .arg(&document)
        .arg("--selfie-video")
        .arg(&video)
        .arg("--models-dir")
        .arg(&s.models)
        .env("DAYFUSION_DATA_DIR", &s.data)
        .env("DAYFUSION_EVIDENCE_KEY", "file")
        .output()?;
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert_eq!(full.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("[storage-full]") || stderr.contains("[storage-error]"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Space back: the interrupted attempt is closed, the first is intact.
    let recover = s.run(&["recover", "--json"])?;
    assert!(
        recover.status.success(),
        "{}",
        String::from_utf8_lossy(&recover.stderr)
    );
    let after = s.transactions()?;
    assert!(after.iter().all(|t| t["status"] != "IN_PROGRESS"));
    let kept = after
        .iter()
        .find(|t| t["transactionId"] == before[0]["transactionId"])
        .ok_or("first transaction lost")?;
    assert_eq!(kept, &before[0]);
    let key = kept["liveness"]["referenceKey"].as_str().ok_or("no key")?;
    let got = s.run(&[
        "evidence",
        "get",
        key,
        "--out",
        &s.dir.join("r.jpg").to_string_lossy(),
    ])?;
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert!(s.run(&["audit", "verify"])?.status.success());
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

fn walk_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.to_path_buf()];
    let mut i = 0;
    while i < dirs.len() {
        for entry in std::fs::read_dir(&dirs[i]).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                dirs.push(entry.path());
            }
        }
        i += 1;
    }
    dirs
}

fn chown_tree(root: &Path) -> std::io::Result<()> {
    std::os::unix::fs::chown(root, Some(65534), Some(65534))
}

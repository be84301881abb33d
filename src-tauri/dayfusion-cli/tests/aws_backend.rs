//! The AWS backend end to end through the binary, with the real SDK pointed
//! at local protocol servers: moto (S3, DynamoDB, STS) and the fake
//! Rekognition of `infra/aws-local/` (the one edge we cannot reach; it
//! speaks Rekognition's JSON 1.1 protocol). The test command starts both and
//! sets `DAYFUSION_TEST_MOTO_URL` and `DAYFUSION_TEST_REKOGNITION_URL`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod common;
use common::{TestResult, has_ffmpeg, selfie_video};
type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The local servers, or `None` (a skip) outside CI.
fn servers(test: &str) -> AnyResult<Option<(String, String)>> {
    match (
        std::env::var("DAYFUSION_TEST_MOTO_URL"),
        std::env::var("DAYFUSION_TEST_REKOGNITION_URL"),
    ) {
        (Ok(moto), Ok(rekognition)) => Ok(Some((moto, rekognition))),
        _ if std::env::var_os("CI").is_some() => Err(format!(
            "{test}: DAYFUSION_TEST_MOTO_URL / DAYFUSION_TEST_REKOGNITION_URL not set in CI (infra/aws-local/servers.sh)"
        )
        .into()),
        _ => {
            eprintln!("SKIP {test}: needs the local AWS servers (infra/aws-local/servers.sh)");
            Ok(None)
        }
    }
}

/// One plain HTTP request to `url` + `path`; status and body (4xx/5xx are
/// answers, not errors).
fn http(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> AnyResult<(u16, Vec<u8>)> {
    let url = format!("{}{path}", url.trim_end_matches('/'));
    dayfusion_test_support::moto::http_with_headers(method, &url, headers, body)
}

/// A DynamoDB JSON call to moto (moto reads the region from the scope).
fn dynamodb(moto: &str, target: &str, body: &serde_json::Value) -> AnyResult<serde_json::Value> {
    let (status, out) = http(
        moto,
        "POST",
        "/",
        &[
            ("X-Amz-Target", &format!("DynamoDB_20120810.{target}")),
            ("Content-Type", "application/x-amz-json-1.0"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20261126/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            ),
        ],
        body.to_string().as_bytes(),
    )?;
    if status != 200 {
        return Err(format!(
            "dynamodb {target}: {status} {}",
            String::from_utf8_lossy(&out)
        )
        .into());
    }
    Ok(serde_json::from_slice(&out)?)
}

fn fake(url: &str, path: &str, body: &serde_json::Value) -> AnyResult<serde_json::Value> {
    let (status, out) = http(
        url,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )?;
    if status != 200 {
        return Err(format!("fake {path}: {status} {}", String::from_utf8_lossy(&out)).into());
    }
    Ok(serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null))
}

struct Kiosk {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    data: PathBuf,
    moto: String,
    rekognition: String,
    bucket: String,
    table: String,
    photos: PathBuf,
}

impl Kiosk {
    fn new(moto: String, rekognition: String) -> AnyResult<Kiosk> {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().to_path_buf();
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let bucket = format!("bank-evidence-{}", &suffix[..12]);
        let table = format!("dayfusion_transactions_{}", &suffix[..12]);
        let (status, out) = http(&moto, "PUT", &format!("/{bucket}"), &[], b"")?;
        if status != 200 {
            return Err(
                format!("create bucket: {status} {}", String::from_utf8_lossy(&out)).into(),
            );
        }
        dynamodb(
            &moto,
            "CreateTable",
            &serde_json::json!({
                "TableName": table,
                "AttributeDefinitions": [{"AttributeName": "TransactionId", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "TransactionId", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        )?;
        let photos = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/test-images/face_recognition");
        Ok(Kiosk {
            data: dir.join("data"),
            dir,
            _tmp: tmp,
            moto,
            rekognition,
            bucket,
            table,
            photos,
        })
    }

    /// The binary with the kiosk's AWS environment: static test credentials
    /// (the default chain's environment step), no profile files, no
    /// instance metadata.
    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dayfusion"));
        c.env("DAYFUSION_DATA_DIR", &self.data)
            .env("DAYFUSION_LOG_DIR", self.dir.join("logs"))
            .env("DAYFUSION_EVIDENCE_KEY", "file")
            .env_remove("DAYFUSION_LOG")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", self.dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.join("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &self.moto)
            .env("AWS_ENDPOINT_URL_REKOGNITION", &self.rekognition)
            .env("DAYFUSION_AWS_BUCKET", &self.bucket)
            // Each kiosk's objects: {prefix}{kiosk id}/ (kiosks/agencia-0001/).
            .env("DAYFUSION_AWS_PREFIX", "kiosks/")
            .env("DAYFUSION_AWS_TABLE", &self.table)
            .env("DAYFUSION_AWS_RESULTS_WAIT_S", "90")
            .env(
                "DAYFUSION_AWS_WEBVIEW_ROLE_ARN",
                "arn:aws:iam::123456789012:role/dayfusion-webview",
            );
        c
    }

    fn run(&self, args: &[&str]) -> Result<Output, std::io::Error> {
        self.cmd().args(args).output()
    }

    fn photo(&self, name: &str) -> AnyResult<Vec<u8>> {
        let path = self.photos.join(name);
        std::fs::read(&path).map_err(|e| {
            format!(
                "{}: {e} (the test photos come from `make test`)",
                path.display()
            )
            .into()
        })
    }

    fn item(&self, id: &str) -> AnyResult<serde_json::Value> {
        let out = dynamodb(
            &self.moto,
            "GetItem",
            &serde_json::json!({"TableName": self.table, "Key": {"TransactionId": {"S": id}}, "ConsistentRead": true}),
        )?;
        Ok(out["Item"].clone())
    }

    fn item_count(&self) -> AnyResult<u64> {
        let out = dynamodb(
            &self.moto,
            "Scan",
            // Transactions only: the kiosk's heartbeat left out.
            &serde_json::json!({
                "TableName": self.table,
                "Select": "COUNT",
                "FilterExpression": "NOT begins_with(TransactionId, :heartbeat)",
                "ExpressionAttributeValues": {":heartbeat": {"S": "HEARTBEAT#"}},
            }),
        )?;
        out["Count"].as_u64().ok_or_else(|| "no count".into())
    }

    /// The object of evidence key `key` in kiosk `kiosk`'s folder.
    fn object(&self, kiosk: &str, key: &str) -> AnyResult<(u16, Vec<u8>)> {
        http(
            &self.moto,
            "GET",
            &format!("/{}/kiosks/{kiosk}/{key}", self.bucket),
            &[(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20261126/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
            )],
            b"",
        )
    }
}

fn json(out: &Output) -> AnyResult<serde_json::Value> {
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into()
    })
}

/// A `verify --backend aws` running in the background: the session id it
/// announces on stderr, then its output.
struct RunningVerify {
    child: std::process::Child,
    session: std::sync::mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl RunningVerify {
    fn spawn(mut cmd: Command) -> AnyResult<RunningVerify> {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            let mut all = String::new();
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(rest) = line.strip_prefix("dayfusion: liveness session ")
                    && let Some(id) = rest.split(':').next()
                {
                    let _ = tx.send(id.to_owned());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        Ok(RunningVerify {
            child,
            session: rx,
            stderr: reader,
        })
    }

    fn session(&mut self) -> AnyResult<String> {
        match self.session.recv_timeout(Duration::from_secs(60)) {
            Ok(id) => Ok(id),
            Err(_) => {
                let _ = self.child.kill();
                Err("the binary announced no liveness session".into())
            }
        }
    }

    fn finish(self) -> AnyResult<(std::process::ExitStatus, serde_json::Value, String)> {
        let out = self.child.wait_with_output()?;
        let stderr = self.stderr.join().map_err(|_| "stderr reader panicked")?;
        let value = serde_json::from_slice(&out.stdout).map_err(|e| {
            format!(
                "{e}: stdout {} stderr {stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        })?;
        Ok((out.status, value, stderr))
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> AnyResult<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, bytes)?;
    Ok(path)
}

#[test]
fn doctor_checks_every_service_and_explains_missing_credentials() -> TestResult {
    let Some((moto, rekognition)) = servers("doctor")? else {
        return Ok(());
    };
    let k = Kiosk::new(moto, rekognition)?;
    let out = k.run(&["doctor", "--json", "--lang", "en"])?;
    let report = json(&out)?;
    eprintln!("{}", serde_json::to_string_pretty(&report)?);
    assert!(out.status.success(), "{report}");
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .ok_or("no checks")?
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "config",
            "credentials",
            "clock",
            "bucket",
            "table",
            "rekognition",
            "webview-role"
        ]
    );
    for check in report["checks"].as_array().ok_or("no checks")? {
        assert_eq!(check["status"], "ok", "{check}");
    }

    // No credentials anywhere in the chain: the guide's "Credentials must be
    // specified", explained in Portuguese, and nothing else is tried.
    let out = k
        .cmd()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["doctor", "--json", "--lang", "pt-BR"])
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out)?;
    let credentials = &report["checks"][1];
    assert_eq!(credentials["status"], "failing", "{report}");
    assert_eq!(credentials["code"], "aws-credentials-missing", "{report}");
    assert!(
        credentials["fix"]
            .as_str()
            .is_some_and(|f| f.contains("~/.aws/credentials"))
    );
    assert!(
        credentials["message"]
            .as_str()
            .is_some_and(|m| m.contains("credenciais"))
    );
    assert_eq!(report["checks"][3]["status"], "skipped");

    // A table that does not exist: found by name, with the fix.
    let out = k
        .cmd()
        .env("DAYFUSION_AWS_TABLE", "no_such_table")
        .args(["doctor", "--json", "--lang", "en"])
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out)?;
    let table = &report["checks"][4];
    assert_eq!(table["status"], "failing", "{report}");
    assert!(
        table["fix"]
            .as_str()
            .is_some_and(|f| f.contains("create-table.sh")),
        "{table}"
    );
    Ok(())
}

#[test]
fn verify_on_aws_stores_evidence_in_s3_and_logs_to_dynamodb_once() -> TestResult {
    let Some((moto, rekognition)) = servers("verify-aws")? else {
        return Ok(());
    };
    let k = Kiosk::new(moto, rekognition)?;
    let document = write(&k.dir, "document.jpg", &k.photo("obama2.jpg")?)?;
    let selfie = k.photo("obama.jpg")?;
    let mut cmd = k.cmd();
    cmd.args([
        "verify",
        "--backend",
        "aws",
        "--json",
        "--lang",
        "en",
        "--kiosk-id",
        "agencia-0001",
        "--document",
    ])
    .arg(&document);
    let mut running = RunningVerify::spawn(cmd)?;
    // The kiosk screen's part: finish the session the binary created, on
    // the fake, with the live frame as the reference image.
    let session = running.session()?;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    fake(
        &k.rekognition,
        "/_fake/compare",
        &serde_json::json!({"similarity": 97.25}),
    )?;
    fake(
        &k.rekognition,
        &format!("/_fake/sessions/{session}/complete"),
        &serde_json::json!({
            "status": "SUCCEEDED",
            "confidence": 93.5,
            "referenceImage": b64.encode(&selfie),
            "auditImages": [b64.encode(&selfie), b64.encode(&selfie)]
        }),
    )?;
    let (status, t, stderr) = running.finish()?;
    assert!(status.success(), "{stderr}");
    assert_eq!(t["status"], "APPROVED", "{t}");
    assert_eq!(t["backend"], "aws");
    assert_eq!(t["livenessSessionId"], session.as_str());
    assert_eq!(t["liveness"]["confidence"], 93.5);
    assert_eq!(t["comparison"]["similarity"], 97.25);
    let id = t["transactionId"].as_str().ok_or("no id")?;

    // Evidence: in S3 under the kiosk's prefix, byte-identical.
    let (status, body) = k.object("agencia-0001", &format!("documents/{id}/document.jpg"))?;
    assert_eq!(status, 200);
    assert_eq!(body, std::fs::read(&document)?);
    let (status, body) = k.object("agencia-0001", &format!("liveness/{session}/reference.jpg"))?;
    assert_eq!(status, 200);
    assert_eq!(body, selfie);
    assert!(
        !k.data.join("evidence/documents").exists(),
        "AWS evidence must not stay on the kiosk"
    );

    // The central log: the guide's item, written once.
    let item = k.item(id)?;
    assert_eq!(item["Status"]["S"], "APPROVED", "{item}");
    assert_eq!(item["SessionId"]["S"], session.as_str());
    // The real S3 key, kiosk folder included.
    assert_eq!(
        item["DocumentKey"]["S"],
        format!("kiosks/agencia-0001/documents/{id}/document.jpg")
    );
    assert_eq!(
        item["Similarity"]["N"]
            .as_str()
            .map(|n| n.parse::<f64>().ok()),
        Some(Some(97.25))
    );
    assert_eq!(item["KioskId"]["S"], "agencia-0001");
    assert_eq!(k.item_count()?, 1);

    // Locally: synced, nothing waiting; a second sync does nothing.
    let out = k.run(&["sync", "status", "--json"])?;
    assert_eq!(json(&out)?["pending"], 0);
    // Something that is not a heartbeat holds the kiosk's heartbeat key: the
    // heartbeat fails, is reported, and the sync still succeeds.
    dynamodb(
        &k.moto,
        "PutItem",
        &serde_json::json!({
            "TableName": k.table,
            "Item": {
                "TransactionId": {"S": "HEARTBEAT#kiosk-unconfigured"},
                "Status": {"S": "APPROVED"},
            },
        }),
    )?;
    let out = k.run(&["sync", "--json"])?;
    assert!(out.status.success());
    let synced = json(&out)?;
    assert_eq!(synced["report"]["synced"], 0);
    assert_eq!(synced["heartbeat"]["error"], "sync-conflict", "{synced}");
    assert_eq!(
        k.item("HEARTBEAT#kiosk-unconfigured")?["Status"]["S"],
        "APPROVED"
    );
    assert_eq!(k.item_count()?, 1);
    let out = k.run(&["transactions", "show", id, "--json"])?;
    let shown = json(&out)?;
    assert_eq!(shown["transaction"]["sync"], "synced", "{shown}");
    let kinds: Vec<&str> = shown["auditEvents"]
        .as_array()
        .ok_or("no events")?
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds.last(), Some(&"sync.completed"), "{kinds:?}");
    let out = k.run(&["audit", "verify", "--json"])?;
    assert!(out.status.success());

    // A session the customer never finished: the fake says EXPIRED, the
    // transaction ends ABORTED with the reason, nothing left in S3.
    let mut cmd = k.cmd();
    cmd.args([
        "verify",
        "--backend",
        "aws",
        "--json",
        "--lang",
        "pt-BR",
        "--document",
    ])
    .arg(&document);
    let mut running = RunningVerify::spawn(cmd)?;
    let second = running.session()?;
    fake(
        &k.rekognition,
        &format!("/_fake/sessions/{second}/complete"),
        &serde_json::json!({"status": "EXPIRED"}),
    )?;
    let (status, t, stderr) = running.finish()?;
    assert!(status.success(), "{stderr}");
    assert_eq!(t["status"], "REJECTED", "{t}");
    assert!(
        t["decision"]["reasons"]
            .to_string()
            .contains("liveness-expired"),
        "{t}"
    );
    assert!(t["comparison"].is_null(), "{t}");
    let item = k.item(t["transactionId"].as_str().ok_or("no id")?)?;
    assert_eq!(item["Status"]["S"], "REJECTED", "{item}");
    assert_eq!(k.item_count()?, 2);
    Ok(())
}

#[test]
fn offline_verifications_reach_aws_after_an_outage_exactly_once() -> TestResult {
    let Some((moto, rekognition)) = servers("offline-sync")? else {
        return Ok(());
    };
    let models = dayfusion_models::default_dir()?;
    if dayfusion_models::verify(&models).is_err() || !has_ffmpeg() {
        if std::env::var_os("CI").is_some() {
            return Err("offline-sync: the model pack or ffmpeg is missing in CI".into());
        }
        eprintln!("SKIP offline-sync: needs the model pack and ffmpeg (make setup)");
        return Ok(());
    }
    let k = Kiosk::new(moto, rekognition)?;
    let document = k.photos.join("obama2.jpg");
    let video = k.dir.join("selfie.avi");
    selfie_video(&k.photos.join("obama.jpg"), &video, 1)?;

    // A field agent without network: two verifications on the embedded
    // backend, with AWS unreachable (nothing listens on the endpoint).
    let offline = |c: &mut Command| {
        c.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    };
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut c = k.cmd();
        offline(&mut c);
        let out = c
            .args(["verify", "--json", "--lang", "en", "--document"])
            .arg(&document)
            .arg("--selfie-video")
            .arg(&video)
            .arg("--models-dir")
            .arg(&models)
            .output()?;
        let t = json(&out)?;
        assert!(out.status.success(), "{t}");
        assert_eq!(t["sync"], "pending");
        ids.push(t["transactionId"].as_str().ok_or("no id")?.to_owned());
    }
    let mut c = k.cmd();
    offline(&mut c);
    let out = c.args(["sync", "--json", "--lang", "pt-BR"]).output()?;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out)?;
    assert_eq!(report["report"]["synced"], 0, "{report}");
    assert_eq!(report["status"]["pending"], 2, "{report}");
    assert_eq!(report["status"]["lastError"], "aws-unreachable", "{report}");
    assert_eq!(report["heartbeat"]["error"], "aws-unreachable", "{report}");
    assert_eq!(k.item_count()?, 0);

    // The network is back. The run above stopped at the first failure, so
    // only that transaction waits out its backoff; the other one goes now.
    let out = k.run(&["sync", "--json"])?;
    let report = json(&out)?;
    assert_eq!(report["report"]["synced"], 1, "{report}");
    assert_eq!(report["report"]["skippedBackoff"], 1, "{report}");
    assert_eq!(k.item_count()?, 1);
    // The heartbeat tells the fleet what still waits.
    let heartbeat = k.item("HEARTBEAT#kiosk-unconfigured")?;
    assert_eq!(heartbeat["ItemType"]["S"], "kiosk-heartbeat", "{heartbeat}");
    assert_eq!(heartbeat["Queued"]["N"], "1", "{heartbeat}");
    assert_eq!(heartbeat["Failing"]["N"], "1", "{heartbeat}");
    assert_eq!(heartbeat["LastErrorCode"]["S"], "aws-unreachable");
    assert!(heartbeat["HealthStatus"]["S"].is_string(), "{heartbeat}");
    assert_eq!(report["heartbeat"]["published"]["backlog"]["queued"], 1);
    // Staff ask for a sync now: the one in backoff goes too.
    let out = k.run(&["sync", "--retry-now", "--json"])?;
    let report = json(&out)?;
    assert!(out.status.success(), "{report}");
    assert_eq!(report["report"]["synced"], 1, "{report}");
    assert_eq!(report["status"]["pending"], 0, "{report}");
    assert_eq!(k.item_count()?, 2);
    // Overwritten: nothing waits now.
    let heartbeat = k.item("HEARTBEAT#kiosk-unconfigured")?;
    assert_eq!(heartbeat["Queued"]["N"], "0", "{heartbeat}");
    assert_eq!(heartbeat["Failing"]["N"], "0", "{heartbeat}");
    assert!(heartbeat["OldestQueuedAt"].is_null(), "{heartbeat}");
    for id in &ids {
        let item = k.item(id)?;
        assert_eq!(item["Backend"]["S"], "embedded", "{item}");
        // The evidence in S3 is the plaintext the local store holds.
        let key = format!("documents/{id}/document.jpg");
        // No kiosk settings and no --kiosk-id: the CLI's kiosk-unconfigured.
        let (status, body) = k.object("kiosk-unconfigured", &key)?;
        assert_eq!(status, 200, "{key}");
        let local = k.dir.join("decrypted.jpg");
        let out = k.run(&[
            "evidence",
            "get",
            &key,
            "--out",
            &local.to_string_lossy(),
            "--force",
        ])?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(body, std::fs::read(&local)?);
    }
    // Once only: a further sync has nothing to do.
    let out = k.run(&["sync", "--retry-now", "--json"])?;
    assert_eq!(json(&out)?["report"]["synced"], 0);
    assert_eq!(k.item_count()?, 2);
    let out = k.run(&["audit", "verify", "--json"])?;
    assert!(out.status.success());
    Ok(())
}

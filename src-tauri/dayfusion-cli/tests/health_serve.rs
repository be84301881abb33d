//! `dayfusion health serve`: the real binary on a loopback port and on a
//! Unix socket, asked the way a monitoring agent (or an abuser) would.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// The running server, killed when dropped.
struct Server {
    child: Child,
    listening: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dayfusion(data: &Path, logs: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dayfusion"));
    c.args(args)
        .env("DAYFUSION_DATA_DIR", data)
        .env("DAYFUSION_LOG_DIR", logs)
        .env("DAYFUSION_EVIDENCE_KEY", "file");
    c
}

/// Starts the server and waits for its `{"listening":...}` line.
fn serve(data: &Path, logs: &Path, args: &[&str]) -> TestResult<Server> {
    let mut child = dayfusion(data, logs, &[&["health", "serve"], args].concat())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout).read_line(&mut line)?;
    }
    let mut server = Server {
        child,
        listening: String::new(),
    };
    let parsed: serde_json::Value = match serde_json::from_str(&line) {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = server.child.kill();
            let mut stderr = String::new();
            if let Some(mut err) = server.child.stderr.take() {
                err.read_to_string(&mut stderr)?;
            }
            return Err(format!("{e}: {line:?} {stderr}").into());
        }
    };
    server.listening = parsed["listening"]
        .as_str()
        .ok_or("no listening address")?
        .to_owned();
    Ok(server)
}

/// Sends `raw` and returns the status, the head and the body.
fn exchange(mut stream: impl Read + Write, raw: &[u8]) -> TestResult<(u16, String, String)> {
    stream.write_all(raw)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8(answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").ok_or("no head")?;
    let status = head.split(' ').nth(1).ok_or("no status")?.parse::<u16>()?;
    Ok((status, head.to_owned(), body.to_owned()))
}

fn tcp(addr: &str, raw: &[u8]) -> TestResult<(u16, String, String)> {
    let stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    exchange(stream, raw)
}

fn get(addr: &str, path: &str) -> TestResult<(u16, String, String)> {
    tcp(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
    )
}

#[test]
fn serves_the_health_report_and_refuses_everything_else() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let server = serve(
        tmp.path(),
        &tmp.path().join("logs"),
        &["--listen", "127.0.0.1:0"],
    )?;
    let addr = server.listening.as_str();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    let (status, head, body) = get(addr, "/health")?;
    let report: dayfusion_ipc::HealthReport = serde_json::from_str(&body)?;
    // 503 exactly when a check fails (which one may depend on the machine:
    // disk space on a full CI volume; the folders made here are usable).
    let failing = report.status == dayfusion_ipc::HealthStatus::Failing;
    assert_eq!(status, if failing { 503 } else { 200 }, "{report:?}");
    assert!(head.contains("Content-Type: application/json"), "{head}");
    let data = report
        .checks
        .iter()
        .find(|c| c.id == dayfusion_ipc::HealthCheckId::DataDir)
        .ok_or("no dataDir check")?;
    assert_eq!(data.status, dayfusion_ipc::HealthStatus::Ok);
    assert_eq!(data.detail, tmp.path().display().to_string());
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.id == dayfusion_ipc::HealthCheckId::EvidenceKey),
        "the same checks as `health --json`"
    );

    let (status, _, body) = get(addr, "/health/live")?;
    assert_eq!((status, body.trim()), (200, "ok"));

    let (head_status, head, body) = tcp(
        addr,
        format!("HEAD /health HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
    )?;
    assert_eq!(head_status, if failing { 503 } else { 200 });
    assert!(
        body.is_empty() && head.contains("Content-Length: "),
        "{head}"
    );

    let (status, head, _) = tcp(
        addr,
        format!("POST /health HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
    )?;
    assert_eq!(status, 405);
    assert!(head.contains("Allow: GET, HEAD"), "{head}");

    assert_eq!(get(addr, "/nope")?.0, 404);
    assert_eq!(get(addr, "/health/")?.0, 404);

    // Oversized head: refused, the server reads no further.
    let huge = format!(
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    assert_eq!(tcp(addr, huge.as_bytes())?.0, 431);
    // Too many header lines, a request body, a foreign Host (DNS rebinding).
    let many = format!(
        "GET /health HTTP/1.1\r\nHost: {addr}\r\n{}\r\n",
        "X-A: b\r\n".repeat(100)
    );
    assert_eq!(tcp(addr, many.as_bytes())?.0, 431);
    let with_body = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 3\r\n\r\nabc");
    assert_eq!(tcp(addr, with_body.as_bytes())?.0, 413);
    let rebound = b"GET /health HTTP/1.1\r\nHost: attacker.example:9464\r\n\r\n";
    assert_eq!(tcp(addr, rebound)?.0, 421);
    assert_eq!(tcp(addr, b"garbage\r\n\r\n")?.0, 400);

    // A client that never finishes its head is dropped; the server goes on.
    let idle = std::net::TcpStream::connect(addr)?;
    let (status, _, _) = get(addr, "/health/live")?;
    assert_eq!(status, 200);
    drop(idle);
    Ok(())
}

#[test]
fn answers_503_when_the_data_folder_is_unusable() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let blocker = tmp.path().join("file-not-folder");
    std::fs::write(&blocker, b"x")?;
    let server = serve(
        &blocker,
        &tmp.path().join("logs"),
        &["--listen", "127.0.0.1:0"],
    )?;
    let (status, _, body) = get(&server.listening, "/health")?;
    assert_eq!(status, 503, "{body}");
    let report: dayfusion_ipc::HealthReport = serde_json::from_str(&body)?;
    assert_eq!(report.status, dayfusion_ipc::HealthStatus::Failing);
    // Alive all the same.
    assert_eq!(get(&server.listening, "/health/live")?.0, 200);
    Ok(())
}

#[test]
fn refuses_to_listen_beyond_loopback() -> TestResult {
    let tmp = tempfile::tempdir()?;
    for (lang, words) in [
        ("en", "loopback addresses only"),
        ("pt-BR", "apenas em endereços"),
    ] {
        let out = dayfusion(
            tmp.path(),
            &tmp.path().join("logs"),
            &[
                "health",
                "serve",
                "--listen",
                "0.0.0.0:9464",
                "--lang",
                lang,
            ],
        )
        .output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("health-not-loopback"), "{stderr}");
        assert!(stderr.contains(words), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing listened");
    }
    Ok(())
}

#[cfg(unix)]
#[test]
fn serves_on_a_unix_socket_too() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixStream;
    let tmp = tempfile::tempdir()?;
    let socket = tmp.path().join("health.sock");
    let logs = tmp.path().join("logs");
    let args = ["--socket", socket.to_str().ok_or("path")?, "--lang", "en"];
    let server = serve(tmp.path(), &logs, &args)?;
    assert_eq!(server.listening, format!("unix:{}", socket.display()));
    let mode = std::fs::metadata(&socket)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o660);

    let ask = |path: &str| -> TestResult<(u16, String, String)> {
        let stream = UnixStream::connect(&socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        exchange(
            stream,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
        )
    };
    let (status, _, body) = ask("/health")?;
    let report: dayfusion_ipc::HealthReport = serde_json::from_str(&body)?;
    let failing = report.status == dayfusion_ipc::HealthStatus::Failing;
    assert_eq!(status, if failing { 503 } else { 200 });
    assert_eq!(ask("/health/live")?.0, 200);

    // A second server on the same socket is refused while the first runs.
    let out = dayfusion(
        tmp.path(),
        &logs,
        &[&["health", "serve"], &args[..]].concat(),
    )
    .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("health-endpoint-in-use"), "{stderr}");

    // Killed, it leaves the socket file; the next start replaces it.
    drop(server);
    assert!(socket.exists());
    let again = serve(tmp.path(), &logs, &args)?;
    assert_eq!(ask("/health/live")?.0, 200);
    drop(again);

    // Never replaces a file that is not a socket.
    std::fs::remove_file(&socket)?;
    std::fs::write(&socket, b"keep me")?;
    let out = dayfusion(
        tmp.path(),
        &logs,
        &[&["health", "serve"], &args[..]].concat(),
    )
    .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&socket)?, b"keep me");
    Ok(())
}

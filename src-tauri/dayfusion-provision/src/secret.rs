//! PINs supplied out of band: a file only its owner can read, or an
//! environment variable. Never logged, never echoed, wiped after use. The
//! messages about a PIN's source never repeat where it comes from either
//! (the file's path or the variable's name): a PIN pasted there by mistake
//! stays out of every message, which names only the key
//! (`staff[2].pin-env`).

use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

use crate::schema::StaffEntry;

/// Longest PIN file read (a PIN is 6-12 digits and a newline).
const MAX_PIN_FILE: u64 = 256;

/// Why a PIN could not be had: a problem code and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretError {
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

fn refused(code: &'static str, args: Vec<(&'static str, String)>) -> SecretError {
    SecretError { code, args }
}

/// The effective user id of this process (`None` where there is none).
pub(crate) fn effective_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        Some(rustix::process::geteuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The PIN of `entry`, checked for strength. `env` stands in for the
/// environment.
pub(crate) fn read_pin(
    entry: &StaffEntry,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Zeroizing<String>, SecretError> {
    let pin = match (&entry.pin_file, &entry.pin_env) {
        (Some(file), _) => read_pin_file(file)?,
        (None, Some(var)) => {
            let value = Zeroizing::new(env(var).unwrap_or_default());
            let pin = Zeroizing::new(value.trim().to_owned());
            if pin.is_empty() {
                return Err(refused("pin-env-missing", vec![]));
            }
            pin
        }
        (None, None) => return Err(refused("staff-pin-source-missing", vec![])),
    };
    if dayfusion_staff::check_pin_strength(&pin).is_err() {
        return Err(refused("pin-weak", vec![]));
    }
    Ok(pin)
}

/// Opens `path` for reading: never through a symbolic link in its last
/// step, never blocking (a FIFO or a device answers at once).
#[cfg(unix)]
fn open_pin_file(path: &Path) -> Result<std::fs::File, SecretError> {
    use rustix::fs::{Mode, OFlags};
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => Ok(std::fs::File::from(fd)),
        Err(rustix::io::Errno::LOOP) => Err(refused("pin-file-not-regular", vec![])),
        Err(e) => Err(refused(
            "pin-file-unreadable",
            vec![("detail", std::io::Error::from(e).to_string())],
        )),
    }
}

#[cfg(not(unix))]
fn open_pin_file(path: &Path) -> Result<std::fs::File, SecretError> {
    std::fs::File::open(path)
        .map_err(|e| refused("pin-file-unreadable", vec![("detail", e.to_string())]))
}

/// The first line of `path`, which must be a regular file (not a link)
/// that neither group nor others may read or write, owned by the caller.
/// Every check is made on the file opened, not on its name.
fn read_pin_file(path: &Path) -> Result<Zeroizing<String>, SecretError> {
    let unreadable = |detail: String| refused("pin-file-unreadable", vec![("detail", detail)]);
    let file = open_pin_file(path)?;
    let meta = file.metadata().map_err(|e| unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(refused("pin-file-not-regular", vec![]));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(refused(
                "pin-file-permissions",
                vec![("mode", format!("{mode:03o}"))],
            ));
        }
        if effective_uid().is_some_and(|uid| uid != meta.uid()) {
            return Err(refused(
                "pin-file-owner",
                vec![("uid", meta.uid().to_string())],
            ));
        }
    }
    if meta.len() > MAX_PIN_FILE {
        return Err(unreadable(format!("longer than {MAX_PIN_FILE} bytes")));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_PIN_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_PIN_FILE {
        return Err(unreadable(format!("longer than {MAX_PIN_FILE} bytes")));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| unreadable("not UTF-8 text".into()))?;
    Ok(Zeroizing::new(
        text.lines().next().unwrap_or_default().trim().to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(file: Option<&Path>, var: Option<&str>) -> StaffEntry {
        StaffEntry {
            id: "f1001".into(),
            name: "Ana".into(),
            role: dayfusion_staff::Role::Admin,
            pin_file: file.map(Path::to_path_buf),
            pin_env: var.map(str::to_owned),
            reset_pin: false,
        }
    }

    fn code(result: Result<Zeroizing<String>, SecretError>) -> Option<&'static str> {
        result.err().map(|e| e.code)
    }

    #[cfg(unix)]
    #[test]
    fn pin_files_must_be_private() -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir()?;
        let file = tmp.path().join("pin");
        std::fs::write(&file, "240817\n")?;
        let no_env = |_: &str| None;
        for mode in [0o644, 0o640, 0o604, 0o620] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode))?;
            assert_eq!(
                code(read_pin(&entry(Some(&file), None), &no_env)),
                Some("pin-file-permissions"),
                "{mode:o}"
            );
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        let pin = read_pin(&entry(Some(&file), None), &no_env)
            .map_err(|e| std::io::Error::other(e.code))?;
        assert_eq!(pin.as_str(), "240817");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400))?;
        assert!(read_pin(&entry(Some(&file), None), &no_env).is_ok());

        std::fs::write(tmp.path().join("weak"), "123456\n")?;
        std::fs::set_permissions(
            tmp.path().join("weak"),
            std::fs::Permissions::from_mode(0o600),
        )?;
        assert_eq!(
            code(read_pin(
                &entry(Some(&tmp.path().join("weak")), None),
                &no_env
            )),
            Some("pin-weak")
        );
        assert_eq!(
            code(read_pin(
                &entry(Some(&tmp.path().join("missing")), None),
                &no_env
            )),
            Some("pin-file-unreadable")
        );
        assert_eq!(
            code(read_pin(&entry(Some(tmp.path()), None), &no_env)),
            Some("pin-file-not-regular")
        );
        let long = tmp.path().join("long");
        std::fs::write(&long, "240817\n".repeat(100))?;
        std::fs::set_permissions(&long, std::fs::Permissions::from_mode(0o600))?;
        assert_eq!(
            code(read_pin(&entry(Some(&long), None), &no_env)),
            Some("pin-file-unreadable")
        );
        Ok(())
    }

    /// A link to a good PIN file is refused: the file is opened without
    /// following it, so a link swapped in after a check cannot redirect it.
    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_refused() -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir()?;
        let file = tmp.path().join("pin");
        std::fs::write(&file, "240817\n")?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&file, &link)?;
        let error = read_pin(&entry(Some(&link), None), &|_| None).err();
        assert_eq!(error.as_ref().map(|e| e.code), Some("pin-file-not-regular"));
        assert!(
            error.is_some_and(|e| e.args.iter().all(|(_, v)| !v.contains("240817"))),
            "nothing of the file is echoed"
        );
        Ok(())
    }

    /// A FIFO is refused at once, without waiting for a writer.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let fifo = tmp.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg("-m")
            .arg("600")
            .arg(&fifo)
            .status()?;
        assert!(made.success(), "mkfifo failed");
        let (send, receive) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let result = read_pin(&entry(Some(&path), None), &|_| None);
            let _ = send.send(result.err().map(|e| e.code));
        });
        let code = receive
            .recv_timeout(std::time::Duration::from_secs(10))
            .map_err(|_| std::io::Error::other("reading a FIFO blocked"))?;
        assert_eq!(code, Some("pin-file-not-regular"));
        Ok(())
    }

    /// Only a file of the user running the provisioning is read.
    #[cfg(unix)]
    #[test]
    fn another_users_file_is_refused() -> std::io::Result<()> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let tmp = tempfile::tempdir()?;
        let file = tmp.path().join("pin");
        std::fs::write(&file, "240817\n")?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        assert_eq!(
            effective_uid(),
            Some(std::fs::metadata(&file)?.uid()),
            "a new file is the caller's"
        );
        if effective_uid() != Some(0) {
            // Only root can give a file away; the rule is checked as root.
            return Ok(());
        }
        std::os::unix::fs::chown(&file, Some(4242), None)?;
        let error = read_pin(&entry(Some(&file), None), &|_| None).err();
        assert_eq!(error.as_ref().map(|e| e.code), Some("pin-file-owner"));
        Ok(())
    }

    #[test]
    fn pins_from_the_environment() {
        let env = |name: &str| match name {
            "PIN_OK" => Some(" 240817\n".to_owned()),
            "PIN_EMPTY" => Some(String::new()),
            _ => None,
        };
        assert_eq!(
            read_pin(&entry(None, Some("PIN_OK")), &env)
                .ok()
                .map(|p| p.to_string()),
            Some("240817".to_owned())
        );
        assert_eq!(
            code(read_pin(&entry(None, Some("PIN_EMPTY")), &env)),
            Some("pin-env-missing")
        );
        let missing = read_pin(&entry(None, Some("PIN_NONE")), &env).err();
        assert_eq!(missing.as_ref().map(|e| e.code), Some("pin-env-missing"));
        assert!(
            missing.is_some_and(|e| e.args.iter().all(|(_, v)| !v.contains("PIN_NONE"))),
            "the variable named is not repeated (it may be a PIN pasted there)"
        );
    }
}

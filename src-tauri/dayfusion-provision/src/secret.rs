//! PINs supplied out of band: a file only its owner can read, or an
//! environment variable. Never logged, never echoed, wiped after use.

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

/// Where the PIN of `entry` comes from, for messages (never the PIN).
pub(crate) fn source_name(entry: &StaffEntry) -> String {
    match (&entry.pin_file, &entry.pin_env) {
        (Some(file), _) => file.display().to_string(),
        (None, Some(var)) => format!("${var}"),
        (None, None) => String::new(),
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
                return Err(refused("pin-env-missing", vec![("value", var.clone())]));
            }
            pin
        }
        (None, None) => return Err(refused("staff-pin-source-missing", vec![])),
    };
    if dayfusion_staff::check_pin_strength(&pin).is_err() {
        return Err(refused("pin-weak", vec![("value", source_name(entry))]));
    }
    Ok(pin)
}

/// The first line of `path`, which must be a regular file that neither
/// group nor others may read or write, owned by root or by the caller.
fn read_pin_file(path: &Path) -> Result<Zeroizing<String>, SecretError> {
    let value = path.display().to_string();
    let unreadable = |detail: String| {
        refused(
            "pin-file-unreadable",
            vec![("value", value.clone()), ("detail", detail)],
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(refused("pin-file-not-regular", vec![("value", value)]));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(refused(
                "pin-file-permissions",
                vec![("value", value), ("mode", format!("{mode:03o}"))],
            ));
        }
        // The caller's effective uid: the owner of its own /proc entry.
        let caller = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
        if meta.uid() != 0 && caller.is_some_and(|uid| uid != meta.uid()) {
            return Err(refused(
                "pin-file-owner",
                vec![("value", value), ("uid", meta.uid().to_string())],
            ));
        }
    }
    let mut bytes = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PIN_FILE + 1).read_to_end(&mut bytes))
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
        assert_eq!(
            code(read_pin(&entry(None, Some("PIN_NONE")), &env)),
            Some("pin-env-missing")
        );
    }
}

//! Keys kept on disk, created on first use with owner-only permissions and never logged: the
//! dev-mode token key (32 random bytes in `{data_dir}/dev-signing.key`, base64), the portal's
//! session key (`{data_dir}/portal-session.key`, the same shape) and the custom-extension
//! callout key (PKCS#8 ES256 in `{data_dir}/callout-signing.key`, base64).
use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use std::path::Path;

pub fn dev_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    random_key(data_dir, "dev-signing.key")
}

/// The portal's session-signing key, `{data_dir}/portal-session.key`, made the same way. Every
/// instance serving the portal for one database needs the same file.
pub fn portal_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    random_key(data_dir, "portal-session.key")
}

/// 32 random bytes kept in `{data_dir}/{name}`.
fn random_key(data_dir: &Path, name: &str) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(name);
    load_or_create(&path, || {
        let mut key = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Ok(key)
    })
    .and_then(|key| {
        if key.len() < 32 {
            anyhow::bail!("the signing key in {} is shorter than 32 bytes", path.display());
        }
        Ok(key)
    })
}

/// The callout signing key (PKCS#8), at `file` or `{data_dir}/callout-signing.key`.
pub fn callout_key(data_dir: &Path, file: &str) -> anyhow::Result<Vec<u8>> {
    let path = if file.is_empty() { data_dir.join("callout-signing.key") } else { Path::new(file).to_path_buf() };
    load_or_create(&path, || Ok(grantd_service::extensions::Signer::generate_pkcs8()?))
}

/// The HMAC key in `file` (its bytes, trailing newline removed); None when `file` is empty.
pub fn hmac_key(file: &str) -> anyhow::Result<Option<Vec<u8>>> {
    if file.is_empty() {
        return Ok(None);
    }
    let mut key = std::fs::read(file).with_context(|| format!("reading the HMAC key file {file}"))?;
    while key.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        key.pop();
    }
    if key.len() < 16 {
        anyhow::bail!("the HMAC key in {file} is shorter than 16 bytes");
    }
    Ok(Some(key))
}

fn read_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    STANDARD.decode(text.trim()).with_context(|| format!("the key in {} is not base64", path.display()))
}

/// Reads the base64 key at `path`, or creates it with `make` (0600). Several instances may start
/// at once on one data directory: each writes its candidate to a file of its own and links it
/// into place, which succeeds for exactly one of them; the others read the winner's key, so
/// every instance ends up with the same key.
fn load_or_create(path: &Path, make: impl FnOnce() -> anyhow::Result<Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    if path.exists() {
        return read_key(path);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let key = make()?;
    let tmp = path.with_extension(format!("key.{}.{:016x}.tmp", std::process::id(), rand::thread_rng().next_u64()));
    let placed = (|| -> std::io::Result<()> {
        std::fs::write(&tmp, STANDARD.encode(&key))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    match placed {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(path),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_starting_at_once_on_one_data_directory_get_the_same_key() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let keys: Vec<Vec<u8>> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..8).map(|_| s.spawn(|| portal_key(dir.path()).unwrap())).collect();
                workers.into_iter().map(|w| w.join().unwrap()).collect()
            });
            assert!(keys.iter().all(|k| *k == keys[0] && k.len() == 32), "{keys:?}");
            assert_eq!(portal_key(dir.path()).unwrap(), keys[0], "the file holds the key they share");
            let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(left.len(), 1, "no temporary file is left behind: {left:?}");
        }
    }
}

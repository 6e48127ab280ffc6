//! Signing keys kept in the data directory: the dev-mode token key (`dev-signing.key`) and the
//! portal's session key (`portal-session.key`), 32 random bytes each (base64), created on first
//! use with owner-only permissions. Never logged.
use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use std::path::Path;

pub fn dev_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    key_file(data_dir, "dev-signing.key")
}

/// The portal's session-signing key, `{data_dir}/portal-session.key`, made the same way. Every
/// instance serving the portal for one database needs the same file.
pub fn portal_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    key_file(data_dir, "portal-session.key")
}

fn key_file(data_dir: &Path, name: &str) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(name);
    if path.exists() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let key = STANDARD.decode(text.trim()).context("the dev signing key is not base64")?;
        if key.len() < 32 {
            anyhow::bail!("the signing key in {} is shorter than 32 bytes", path.display());
        }
        return Ok(key);
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let mut key = vec![0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let tmp = data_dir.join(format!("{name}.tmp"));
    std::fs::write(&tmp, STANDARD.encode(&key))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(key)
}

//! The dev-mode signing key: 32 random bytes kept in `{data_dir}/dev-signing.key` (base64),
//! created on first use with owner-only permissions. Never logged.
use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use std::path::Path;

pub fn dev_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("dev-signing.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let key = STANDARD.decode(text.trim()).context("the dev signing key is not base64")?;
        if key.len() < 32 {
            anyhow::bail!("the dev signing key in {} is shorter than 32 bytes", path.display());
        }
        return Ok(key);
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let mut key = vec![0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let tmp = data_dir.join("dev-signing.key.tmp");
    std::fs::write(&tmp, STANDARD.encode(&key))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(key)
}

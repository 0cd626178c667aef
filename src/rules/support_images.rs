//! Which images the Python/uv pinning rules (PY009–PY011, UV101–UV105) speak about, so the
//! generic image rules (hadolint DL3006/DL3007 and the like) can leave them alone.

use crate::semantics::image::{ImageRef, python_image_info, uv_image_info};

/// True for the official `python` image and Astral's uv images (`ghcr.io/astral-sh/uv`,
/// `docker.io/astral/uv`), whose tags berth checks with its own, more specific rules.
pub(crate) fn is_python_or_uv_image(reference: &ImageRef) -> bool {
    python_image_info(reference).is_some() || uv_image_info(reference).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantics::image::parse_image_ref;

    #[test]
    fn recognises_python_and_uv_images_only() {
        let check = |text: &str| parse_image_ref(text).is_some_and(|it| is_python_or_uv_image(&it));
        assert!(check("python"));
        assert!(check("python:3.12-slim"));
        assert!(check("docker.io/library/python:latest"));
        assert!(check("ghcr.io/astral-sh/uv:0.12.5"));
        assert!(check("astral/uv:python3.12-trixie-slim"));
        assert!(!check("debian:trixie-slim"));
        assert!(!check("ghcr.io/library/python:3.12"));
        assert!(!check("pypy:3"));
        assert!(!check("ghcr.io/astral-sh/ruff:latest"));
    }
}

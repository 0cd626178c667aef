//! A large, realistic multi-stage Dockerfile for benchmarks and stress tests.

/// One block: a uv multi-stage build as the uv docs and the seed guides write it.
const BLOCK: &str = r#"# syntax=docker/dockerfile:1.7
ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim AS builder-{n}
COPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0
WORKDIR /app
# Install the dependencies first, so that they are cached in their own layer.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-install-project --no-dev
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev
RUN <<EOT
set -eux
python -m compileall -q /app/src
EOT

FROM python:${PYTHON_VERSION}-slim AS runtime-{n}
LABEL org.opencontainers.image.title="app" \
      org.opencontainers.image.source="https://example.com/app"
RUN groupadd --system app && useradd --system --gid app --home /app app
COPY --from=builder-{n} --chown=app:app /app /app
ENV PATH="/app/.venv/bin:$PATH"
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/health')"]
ENTRYPOINT ["python", "-m", "uvicorn"]
CMD ["app.main:app", "--host", "0.0.0.0", "--port", "8000"]
"#;

/// A Dockerfile of exactly `lines` lines made of repeated multi-stage blocks (stage names are
/// numbered so they stay unique), padded with `RUN` lines when the last block does not fit.
pub fn sample_large_dockerfile(lines: usize) -> String {
    let block_lines = BLOCK.lines().count();
    let mut out = String::with_capacity(lines * 40);
    let mut written = 0;
    let mut n = 0;
    while written + block_lines <= lines {
        let block = match n {
            0 => BLOCK.to_string(),
            // Only the first line of a file can hold the `syntax` directive.
            _ => BLOCK.replacen("# syntax=docker/dockerfile:1.7\n", "# Next build.\n", 1),
        };
        out.push_str(&block.replace("{n}", &n.to_string()));
        written += block_lines;
        n += 1;
    }
    while written < lines {
        out.push_str("RUN echo padding\n");
        written += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_requested_line_count() {
        for lines in [0, 1, 10, 37, 5000] {
            assert_eq!(sample_large_dockerfile(lines).lines().count(), lines);
        }
    }
}

//! The classroom page (`web/`, embedded in the binary so `feedlab serve` works from anywhere, offline) and the
//! results directory (`results/`, read from disk because `feedlab run` rewrites it while the server runs).

use std::path::Path;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use include_dir::{Dir, include_dir};

use crate::error::ApiError;
use crate::state::AppState;

static WEB: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../web");

fn content_type(path: &str) -> &'static str {
    match Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "md" | "txt" | "csv" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Refuses anything that could leave the directory: only plain names of `[A-Za-z0-9._-]` joined by `/`.
fn safe(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
}

/// `GET /` and `GET /<file>`: the embedded page.
pub async fn page(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    let path = if path.is_empty() { "index.html".to_owned() } else { path };
    let file = safe(&path).then(|| WEB.get_file(&path)).flatten().ok_or_else(|| ApiError::NotFound(path.clone()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type(&path)))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(file.contents()))
}

/// `GET /results/<file>`: charts and data written by `feedlab run`.
pub async fn results(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    if !safe(&path) {
        return Err(ApiError::NotFound(path));
    }
    let full = state.config.results_dir.join(&path);
    match tokio::fs::read(&full).await {
        Ok(bytes) => Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type(&path)))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(bytes)),
        Err(_) => Err(ApiError::NotFound(format!("results/{path} (run `feedlab run` to produce results)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn traversal_is_refused() {
        assert!(safe("index.html") && safe("clients/ws.js") && safe("header-overhead/chart.svg"));
        for bad in ["", "../Cargo.toml", "a/../../b", "/etc/passwd", "a//b", "a/./b", "a%2e%2e", "a\\b"] {
            assert!(!safe(bad), "{bad}");
        }
    }
}

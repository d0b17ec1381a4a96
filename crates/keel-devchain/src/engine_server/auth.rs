//! JWT authentication of every Engine API request, as an HTTP middleware in front of the
//! JSON-RPC service.
//!
//! Spec: protocol/exec-engine.md#engine-api-usage and the execution-apis authentication
//! rules (`src/engine/authentication.md`): HS256 with the shared 32-byte secret, `iat`
//! within ±60 s of the server's clock; anything else is refused with HTTP 401 before the
//! request reaches a method.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use alloy_rpc_types_engine::JwtSecret;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use tower::{Layer, Service};

/// Layer adding [`JwtAuth`] around the RPC service.
#[derive(Debug, Clone)]
pub(crate) struct JwtAuthLayer {
    secret: JwtSecret,
}

impl JwtAuthLayer {
    pub(crate) const fn new(secret: JwtSecret) -> Self {
        Self { secret }
    }
}

impl<S> Layer<S> for JwtAuthLayer {
    type Service = JwtAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtAuth {
            inner,
            secret: self.secret,
        }
    }
}

/// Refuses requests without a valid `Authorization: Bearer <jwt>` header.
#[derive(Debug, Clone)]
pub(crate) struct JwtAuth<S> {
    inner: S,
    secret: JwtSecret,
}

/// Why a request's token was refused (the 401 body).
pub(crate) fn check_token(secret: &JwtSecret, header: Option<&str>) -> Result<(), String> {
    let header = header.ok_or("missing Authorization header")?;
    let token = header
        .strip_prefix("Bearer ")
        .ok_or("Authorization is not a Bearer token")?;
    // `validate` checks HS256, the signature and `iat` within ±60 s of the wall clock.
    secret.validate(token.trim()).map_err(|e| e.to_string())
}

fn unauthorized(reason: String) -> HttpResponse {
    let body = format!("{reason}\n");
    HttpResponse::builder()
        .status(401u16)
        .header("content-type", "text/plain")
        .body(HttpBody::from(body.clone()))
        // The builder only fails on an invalid status or header, and these are constants.
        .unwrap_or_else(|_| HttpResponse::new(HttpBody::from(body)))
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S, B> Service<HttpRequest<B>> for JwtAuth<S>
where
    S: Service<HttpRequest<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = BoxFuture<Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        let header = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        match check_token(&self.secret, header) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(reason) => Box::pin(std::future::ready(Ok(unauthorized(reason)))),
        }
    }
}

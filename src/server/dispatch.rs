//! The message loop: frames read from stdin go to the LSP service; its answers, the server's own
//! requests and notifications to the client, and the errors owed for malformed input go to stdout.
//!
//! tower-lsp-server's own `Server` would read stdin itself: through a decoder that copies every
//! message into serde's buffer of values before reading it as a response or a request (for a
//! `didOpen`, the whole document once more), and that ends the session at the first body it
//! cannot read. Here each body is read once, by the framing in `transport`, straight into the
//! request the service takes.

use std::future::{poll_fn, ready};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tower::Service;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{ClientSocket, ExitedError};

use crate::server::stdio::{self, Input};
use crate::server::transport::{self, Frame};

/// How many handlers run at once. Handlers start in the order their messages arrived; once this
/// many are running, later ones wait in a queue of [`QUEUED`], and reading waits when it is full.
const CONCURRENT: usize = 4;
const QUEUED: usize = 100;

/// Serves `service` over stdio until stdin ends or `exit` arrives, then lets the handlers still
/// running finish and write their answers.
pub(crate) async fn serve<S>(mut input: Input, socket: ClientSocket, mut service: S)
where
    S: Service<Request, Response = Option<Response>, Error = ExitedError>,
{
    let (client_requests, mut client_responses) = socket.split();
    let (client_requests, stop_client_requests) = futures_util::stream::abortable(client_requests);
    let (queue, mut queued) = tokio::sync::mpsc::channel::<S::Future>(QUEUED);

    let run_handlers =
        futures_util::stream::poll_fn(|cx| queued.poll_recv(cx)).buffer_unordered(CONCURRENT).for_each(|answer| {
            match answer {
                Ok(Some(response)) => send(&response),
                Ok(None) => {}
                Err(err) => tracing::error!("{err}"),
            }
            ready(())
        });
    let send_client_requests = client_requests.for_each(|request| {
        send(&request);
        ready(())
    });
    let read_input = async {
        while let Some(frame) = poll_fn(|cx| input.poll_frame(cx)).await {
            match frame {
                Frame::Request(request) => {
                    if let Err(err) = poll_fn(|cx| service.poll_ready(cx)).await {
                        tracing::error!("{err}");
                        break;
                    }
                    let exit = request.method() == "exit";
                    if queue.send(service.call(request)).await.is_err() || exit {
                        break;
                    }
                }
                Frame::Response(response) => {
                    if let Err(err) = client_responses.send(response).await {
                        tracing::error!("could not pass on the client's response: {err}");
                        break;
                    }
                }
                Frame::Malformed { code, message, id } => send(&transport::malformed_response(code, message, id)),
            }
        }
        // Handlers already queued still run; the server sends nothing new of its own.
        drop(queue);
        stop_client_requests.abort();
    };
    tokio::join!(run_handlers, send_client_requests, read_input);
}

/// Writes `message` to stdout as one frame.
fn send(message: &impl Serialize) {
    match serde_json::to_vec(message) {
        Ok(body) => {
            if let Err(err) = stdio::write_frame(&body) {
                // The client is gone; stdin will end too, and the server with it.
                tracing::warn!("could not write to stdout: {err}");
            }
        }
        Err(err) => tracing::error!("could not serialise a message: {err}"),
    }
}

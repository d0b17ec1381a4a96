//! The async edge: runs the controller's actions through an [`EngineApi`] and hands the
//! answers back. It decides nothing; the node's task loop (channels, cancellation) wraps it.

use crate::{
    api::EngineApi,
    controller::{EngineAction, EngineController, EngineEvent, EngineInput, EngineResult},
};

/// Most actions run for one input before [`EngineActor::drive`] yields: a build is four
/// calls, a consolidation five; far more means the controller loops.
pub const MAX_ACTIONS_PER_DRIVE: usize = 64;

/// A controller and the engine it drives.
#[derive(Debug)]
pub struct EngineActor<C> {
    client: C,
    controller: EngineController,
}

impl<C: EngineApi> EngineActor<C> {
    /// Pairs `controller` with `client`.
    pub const fn new(client: C, controller: EngineController) -> Self {
        Self { client, controller }
    }

    /// The controller (heads, state).
    pub const fn controller(&self) -> &EngineController {
        &self.controller
    }

    /// The client.
    pub const fn client(&self) -> &C {
        &self.client
    }

    /// Hands `input` to the controller and runs the actions it causes, until the
    /// controller needs no engine call (idle, or parked after a temporary failure) or
    /// [`MAX_ACTIONS_PER_DRIVE`] calls were made. Returns the events, in order.
    pub async fn drive(&mut self, input: EngineInput) -> Vec<EngineEvent> {
        self.controller.handle(input);
        self.run().await
    }

    /// Runs pending actions (see [`Self::drive`]).
    pub async fn run(&mut self) -> Vec<EngineEvent> {
        let mut events = Vec::new();
        for _ in 0..MAX_ACTIONS_PER_DRIVE {
            while let Some(e) = self.controller.poll_event() {
                events.push(e);
            }
            let Some(action) = self.controller.poll_action() else {
                break;
            };
            let result = execute(&self.client, action).await;
            self.controller.on_result(result);
        }
        while let Some(e) = self.controller.poll_event() {
            events.push(e);
        }
        events
    }
}

/// Performs one action on the engine.
pub async fn execute<C: EngineApi>(client: &C, action: EngineAction) -> EngineResult {
    match action {
        EngineAction::NewPayload(envelope) => {
            EngineResult::NewPayload(client.new_payload(&envelope).await)
        }
        EngineAction::ForkchoiceUpdate { state, attributes } => EngineResult::ForkchoiceUpdated(
            client
                .forkchoice_updated(state, attributes.as_deref())
                .await,
        ),
        EngineAction::GetPayload { id, timestamp } => {
            EngineResult::GetPayload(client.get_payload(id, timestamp).await)
        }
        EngineAction::FetchPayload { number } => {
            EngineResult::FetchPayload(client.payload_by_number(number).await)
        }
    }
}

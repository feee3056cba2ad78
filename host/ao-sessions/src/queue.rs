//! `maxConcurrentSessions`: tasks beyond the limit wait in the store's spawn
//! queue and start, oldest first, as sessions end.

use crate::{SessionError, SessionManager, SpawnRequest};
use ao_core::state::{QueuedSpawn, Session};
use ao_runtime::Liveness;

/// What became of one submitted task.
#[derive(Debug)]
pub enum Submitted {
    Started(Box<Session>),
    /// Waiting for a free slot; `position` counts from 1.
    Queued {
        entry: QueuedSpawn,
        position: usize,
    },
}

impl SessionManager {
    /// Free slots under `maxConcurrentSessions` (`None`: no limit).
    pub fn free_slots(&self) -> Result<Option<usize>, SessionError> {
        let Some(max) = self.config.max_concurrent_sessions else {
            return Ok(None);
        };
        Ok(Some((max as usize).saturating_sub(self.running_count()?)))
    }

    /// This config's agents that really run, plus its spawns under way
    /// whose process is alive. Ended, exited and interrupted sessions do not
    /// count, nor do another repository's (its config has its own limit).
    pub fn running_count(&self) -> Result<usize, SessionError> {
        let live = self.runtimes.liveness();
        Ok(self
            .store
            .sessions(None, false)?
            .iter()
            .filter(|s| self.owns(s))
            .filter(|s| {
                let kind = s.runtime.as_deref().unwrap_or("tmux");
                let running = matches!(live.get(&s.id), Some((k, Liveness::Running)) if k == kind);
                let spawning = s.status == "spawning" && s.owner().is_some_and(|o| o.is_running());
                running || spawning
            })
            .count())
    }

    /// Starts the task if a slot is free (and nothing queued is waiting
    /// before it), else queues it. Duplicates are refused either way.
    pub fn submit(&mut self, request: &SpawnRequest) -> Result<Submitted, SessionError> {
        let project = self.project(&request.project)?;
        self.refuse_duplicate(&project.id, request.issue.as_deref())?;
        let queue_empty = !self
            .store
            .queued_spawns()?
            .iter()
            .any(|q| self.owns_project(&q.project_id, q.config_path.as_deref()));
        if queue_empty && self.free_slots()?.is_none_or(|free| free > 0) {
            return Ok(Submitted::Started(Box::new(self.spawn(request)?)));
        }
        let config_key = self.config_key();
        let entry = self
            .store
            .enqueue_spawn(
                &project.id,
                request.issue.as_deref(),
                &request.prompt,
                request.agent.as_deref(),
                config_key.as_deref(),
            )
            .map_err(crate::spawn::duplicate)?;
        let position = self
            .store
            .queued_spawns()?
            .iter()
            .position(|q| q.seq == entry.seq)
            .map_or(1, |p| p + 1);
        Ok(Submitted::Queued { entry, position })
    }

    /// Starts queued tasks of this config's projects while slots are free.
    /// Each entry is taken off the queue before it is spawned, so two
    /// drainers never start it twice; a failed spawn is recorded as an
    /// errored session like any other. Entries of projects configured
    /// elsewhere (another repository's config) wait for a command or daemon
    /// run with that config: they are never dropped here.
    pub fn drain_queue(&mut self) -> Result<Vec<Result<Session, SessionError>>, SessionError> {
        let mut started = Vec::new();
        loop {
            if self.free_slots()?.is_some_and(|free| free == 0) {
                break;
            }
            let Some(next) = self
                .store
                .queued_spawns()?
                .into_iter()
                .find(|q| self.owns_project(&q.project_id, q.config_path.as_deref()))
            else {
                break;
            };
            if !self.store.dequeue_spawn(next.seq)? {
                continue;
            }
            let request = SpawnRequest {
                project: next.project_id,
                prompt: next.prompt,
                issue: next.issue_id,
                agent: next.agent,
            };
            started.push(self.spawn(&request));
        }
        Ok(started)
    }
}

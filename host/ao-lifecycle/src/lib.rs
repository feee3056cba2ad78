//! # ao-lifecycle
//!
//! The PR loop: once an agent pushes its work, follow the pull request's
//! CI and reviews through the project's SCM, wake the same agent with the
//! failure or the review comments, tell people when they are needed, merge
//! when allowed, and clean up after the merge.
//!
//! - [`facts`]: what is known about a PR, whoever reports it;
//! - [`status`]: the pure rules from facts to a session status and reaction;
//! - [`local_tracker`] and [`local_scm`]: the built-in, account-free tracker
//!   (issues as files) and SCM (pushed branches, a CI command, `ao review`);
//! - `plugin_scm`: SCM plugins such as GitHub;
//! - [`notify`]: notifications by priority;
//! - [`pr_loop`]: one cycle of all of it;
//! - [`claim`]: attaching an existing PR to a session.

pub mod claim;
pub mod deliveries;
pub mod facts;
pub mod local_scm;
pub mod local_tracker;
pub mod notify;
mod plugin_scm;
pub mod pr_loop;
pub mod status;
pub mod tracker;

pub use plugin_scm::{WebhookEvent, WebhookRequest};
pub use pr_loop::{CycleReport, PrLoop, WebhookError};

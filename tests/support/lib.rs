//! Shared test support: fake HTTP services on 127.0.0.1 (real sockets, real
//! HTTP, scripted answers), fakes of GitHub, GitLab and Linear with state, and helpers to run the
//! real `ao` binary in an isolated home.

pub mod agent_clis;
pub mod ao_binary;
pub mod fake_github;
pub mod fake_gitlab;
pub mod fake_http;
pub mod fake_linear;
pub mod model_server;
pub mod webdriver;

pub use ao_binary::AoEnv;
pub use fake_github::FakeGitHub;
pub use fake_gitlab::FakeGitLab;
pub use fake_http::{FakeServer, Recorded, Reply};
pub use fake_linear::FakeLinear;
pub use model_server::{ModelServer, Script, Step};

//! After the send: the delivery trace of a task per account, the task funnel and its loss
//! reasons, and scheduled tasks judged before they fire (post-send.md). The front ends (`timx
//! trace`, `push-stats`, `scheduled`, the explorer's `:trace` and `:stats`) sit on these.

pub mod delivery;
pub mod fetch;
pub mod scheduled;
pub mod stats;
pub mod trace;

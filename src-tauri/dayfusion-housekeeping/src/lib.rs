//! The kiosk's background upkeep, GUI-free, run by the app while it is
//! open (the CLI's `sync` and `purge` do the same once, under the same
//! lock):
//!
//! - **Sync**: while the kiosk has AWS settings, the outbox drains to S3
//!   and DynamoDB right after each decision ([`Housekeeper::nudge`]), on a
//!   schedule (the outbox's own backoff per entry, plus jitter), and within
//!   a minute of AWS answering again after a network failure: a cheap
//!   probe (a TCP connection to the DynamoDB endpoint, no request, no
//!   credentials) runs every [`Schedule::probe_every`] and resets the
//!   backoff when it succeeds. Transactions are queued for AWS only while
//!   AWS settings exist, and the ones kept local are queued when they are
//!   added ([`dayfusion_ledger::SqliteLog::set_aws_outbox`]).
//!   After each pass that reached AWS (and, with nothing to send, once per
//!   idle period) the kiosk's heartbeat goes to DynamoDB
//!   ([`dayfusion_aws::heartbeat`]): its health ([`KioskFacts::health`])
//!   and backlog; a failed heartbeat never fails the round.
//! - **Retention**: the purge runs at start and every
//!   [`Schedule::purge_every`] with the kiosk's retention setting, on the
//!   local store; the S3 copies follow through the outbox.
//!
//! Neither ever takes the verification lock: both hold only the
//! [`HousekeepingLock`] (one sync or purge at a time with the CLI) and
//! touch final transactions only, so a customer's visit is never refused or
//! delayed by them. Everything they decide is in the SQLite log, so a
//! restart loses nothing.

mod probe;
mod service;

pub use probe::{Endpoint, reachable};
pub use service::{
    Connector, Housekeeper, HousekeepingConfig, KioskFacts, Schedule, ServiceState,
    default_connector,
};

use dayfusion_verify::HousekeepingLock;

// SPDX-License-Identifier: AGPL-3.0-only
//! The operator's work: domains, plans, customers, managers, the monitor.

mod assign_manager;
mod create_customer;
mod create_manager;
mod create_plan;
mod list_customers;
mod list_domains;
mod list_managers;
mod list_plans;
mod monitor;
mod register_domain;
mod set_staff_two_factor;
mod snapshots;
mod staff_two_factor;

pub use assign_manager::*;
pub use create_customer::*;
pub use create_manager::*;
pub use create_plan::*;
pub use list_customers::*;
pub use list_domains::*;
pub use list_managers::*;
pub use list_plans::*;
pub use monitor::*;
pub use register_domain::*;
pub use set_staff_two_factor::*;
pub use snapshots::*;
pub use staff_two_factor::*;

//! Helpers shared by the security tests.

pub mod leaks;

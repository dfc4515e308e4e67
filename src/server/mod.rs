//! The GitHub App server (`releasebot serve`), built up in issue 4. So far: webhook signature
//! verification.

pub mod signature;

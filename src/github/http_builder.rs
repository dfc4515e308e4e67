//! The one way a GitHub client is built, whoever authenticates it (a token, an App's JWT, an
//! installation token): no call may hang a job for ever, so a GitHub that stops answering fails
//! the call, and the job is retried with back-off instead of holding its worker.

use std::time::Duration;

use octocrab::Octocrab;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) fn builder() -> octocrab::OctocrabBuilder<
    octocrab::NoSvc,
    octocrab::DefaultOctocrabBuilderConfig,
    octocrab::NoAuth,
    octocrab::NotLayerReady,
> {
    Octocrab::builder()
        .set_connect_timeout(Some(CONNECT_TIMEOUT))
        .set_read_timeout(Some(READ_TIMEOUT))
        .set_write_timeout(Some(READ_TIMEOUT))
}

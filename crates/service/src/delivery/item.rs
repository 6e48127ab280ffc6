//! `delivery.item`: one grant or revoke at an external target. Success or a permanent failure
//! (a 4xx for bad data, with the target's message) finishes the item and queues the request's
//! delivery check in the same transaction. A transient failure (unreachable, 5xx, 429) is
//! recorded on the item and retried by the runner with exponential backoff and jitter, until
//! the configured attempts are spent; then the item fails with the last message.
use super::plan::{access_of, no_connector, subject_of};
use super::{deliver_job, Delivery};
use crate::connectors::ConnectorError;
use crate::runner::JobError;
use grantd_domain::delivery::{DeliveryItem, ItemAction, ItemState};
use grantd_domain::request::RequestState;
use grantd_store::{Job, StoreError};

fn retry(e: StoreError) -> JobError {
    JobError::Retry(e.to_string())
}

async fn save(env: &Delivery, job: &Job, mut item: DeliveryItem, then_check: bool) -> Result<(), JobError> {
    item.version += 1;
    let jobs = if then_check { vec![deliver_job(item.request_id, env.ctx.clock.now())] } else { Vec::new() };
    env.ctx.store.save_delivery_items(job.tenant, &[item], &jobs, env.ctx.clock.now()).await.map_err(retry)?;
    if then_check {
        env.ctx.wake.notify_one();
    }
    Ok(())
}

pub async fn run_item(env: &Delivery, job: &Job) -> Result<(), JobError> {
    let store = &env.ctx.store;
    let Some(mut item) = store.get_delivery_item(job.tenant, job.subject).await.map_err(retry)? else {
        return Ok(());
    };
    if item.state != ItemState::Pending {
        return Ok(());
    }
    let Some(r) = store.get_request(job.tenant, item.request_id).await.map_err(retry)? else { return Ok(()) };
    if r.state != RequestState::Delivering {
        return Ok(());
    }
    let now = env.ctx.clock.now();
    let user = store.get_user(job.tenant, item.target_id).await.map_err(retry)?;
    let (Some(user), Some(c)) = (user, env.connectors.for_origin(&item.origin_system)) else {
        let why = if env.connectors.for_origin(&item.origin_system).is_none() {
            no_connector(&item.origin_system)
        } else {
            "the target user no longer exists".into()
        };
        item.finish(Err(why), now);
        return save(env, job, item, true).await;
    };
    let a = access_of(job.tenant, &item, subject_of(&user));
    let result = match item.action {
        ItemAction::Grant => c.grant(&a).await,
        ItemAction::Revoke => c.revoke(&a).await,
    };
    item.attempts = job.attempts;
    let now = env.ctx.clock.now();
    match result {
        Ok(()) => item.finish(Ok(()), now),
        Err(ConnectorError::Permanent(m)) => item.finish(Err(m), now),
        Err(ConnectorError::Transient(m)) if job.attempts < env.settings.max_attempts => {
            tracing::warn!(item = %item.id, attempts = job.attempts, error = %m, "delivery to target failed; will retry");
            item.error = Some(m.clone());
            item.modified_date_time = now;
            save(env, job, item, false).await?;
            return Err(JobError::Retry(m));
        }
        Err(ConnectorError::Transient(m)) => {
            let attempts = job.attempts;
            item.finish(Err(format!("{m} (gave up after {attempts} attempts)")), now);
        }
    }
    save(env, job, item, true).await
}

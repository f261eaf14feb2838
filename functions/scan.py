"""Scheduled fleet scans: the timer plans a run, the queue worker scans one shard."""

from __future__ import annotations

import logging
import os

import azure.functions as func

from shared.runs import RunConfig, Shard, new_run_id, run_shard, start_run
from shared.runtime import open_sources, open_storage, scan_clock
from shared.telemetry import configure_telemetry, scan_run_context

bp = func.Blueprint()
log = logging.getLogger(__name__)
configure_telemetry()  # idempotent: Application Insights via OpenTelemetry, scan_run_id on every record


@bp.timer_trigger(arg_name="timer", schedule="%FLEETDOC_SCAN_SCHEDULE%", run_on_startup=False, use_monitor=True)
async def scan_fleet(timer: func.TimerRequest) -> None:
    config = RunConfig.from_env(os.environ)
    async with open_sources() as sources, open_storage() as storage:
        now = scan_clock(sources)
        with scan_run_context(new_run_id(now)) as run_id:
            if timer.past_due:
                log.warning("scan timer is past due; running now")
            shards = await start_run(sources, storage.state, config, now, run_id)
            clusters = sum(len(s.cluster_ids) for s in shards)
            if clusters <= config.inline_max:  # small fleet: no fan-out, same code path per shard
                for shard in shards:
                    await run_shard(shard, sources, storage.state, storage.reports, config)
                log.info("run %s: %d shard(s) scanned inline", run_id, len(shards))
                return
            await storage.enqueue([s.to_message() for s in shards])
            log.info("run %s: %d shard(s) enqueued for %d clusters", run_id, len(shards), clusters)


@bp.queue_trigger(arg_name="msg", queue_name="%FLEETDOC_SHARD_QUEUE%", connection="AzureWebJobsStorage")
async def scan_shard(msg: func.QueueMessage) -> None:
    try:
        shard = Shard.from_message(msg.get_body().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        log.error("dropping malformed shard message %s: %s", msg.id, err)  # retrying cannot fix it
        return
    config = RunConfig.from_env(os.environ)
    with scan_run_context(shard.run_id):
        async with open_sources() as sources, open_storage() as storage:
            outcome = await run_shard(shard, sources, storage.state, storage.reports, config)
        log.info(
            "run %s shard %s: scanned=%s findings=%d new=%d resolved=%d published=%s",
            outcome.run_id,
            outcome.shard_id,
            outcome.scanned,
            outcome.findings,
            outcome.new,
            outcome.resolved,
            outcome.published,
        )

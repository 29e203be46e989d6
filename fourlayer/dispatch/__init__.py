"""Scale-out over network zones: Celery on RabbitMQ, one queue and one worker per zone (issue #12).

    coordinator (`fourlayer scan INV --broker URL`)           zone worker (`fourlayer worker --zone Z --broker URL`)
      plan ─► one task per host ─► queue fourlayer.zone.<Z> ─► scan_host_item(...) (fourlayer.core.runner)
      store ◄── results queue fourlayer.results.<run> ◄────── one JSON message per host

- `app`: the Celery application and every setting that makes it safe, each with its reason.
- `codec`: what crosses the broker (a host's declared description and references, its results) as plain JSON.
- `worker_task`: the task a zone's worker runs; `coordinator`: sends the tasks and gathers the results.

Without `--broker` none of this is imported: the scan runs in-process exactly as before.
"""

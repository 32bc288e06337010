"""The job framework: registry, runner (lock, calendar, JobRun), heartbeats, beat schedules."""

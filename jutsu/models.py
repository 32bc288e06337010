"""Cross-cutting models: configuration overrides, the security/audit log, and job state.

These live in the project package because every app depends on them: runtime parameters resolve
through overrides, every app writes security events, and every scheduled job records its runs here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class ConfigOverrideQuerySet(models.QuerySet):
    def in_force(self, at=None) -> ConfigOverrideQuerySet:
        """Active overrides that have not expired at ``at`` (default: now)."""
        at = at or timezone.now()
        return self.filter(is_active=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))


class ConfigOverride(models.Model):
    """A runtime parameter set in the database, with who/why/when and an optional expiry.

    At most one active override exists per (parameter, strategy); changes go through
    ``jutsu.services.config_overrides`` so that each one is audited. Expired overrides never apply
    (the resolver filters them) and a housekeeping job deactivates them.
    """

    parameter = models.CharField(max_length=100)
    strategy_id = models.CharField(max_length=50, blank=True, default="", help_text="Empty = all strategies")
    value = models.TextField()
    value_type = models.CharField(max_length=10)
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deactivation_reason = models.CharField(max_length=200, blank=True, default="")

    history = HistoricalRecords()
    objects = ConfigOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["parameter", "strategy_id"],
                condition=Q(is_active=True),
                name="one_active_override_per_parameter",
            )
        ]

    def __str__(self) -> str:
        scope = f" [{self.strategy_id}]" if self.strategy_id else ""
        return f"{self.parameter}{scope} = {self.value}"

    def is_in_force(self, at=None) -> bool:
        at = at or timezone.now()
        return self.is_active and (self.expires_at is None or self.expires_at > at)


class SecurityEventType(models.TextChoices):
    LOGIN_SUCCESS = "LOGIN_SUCCESS"
    LOGIN_FAILURE = "LOGIN_FAILURE"
    LOGOUT = "LOGOUT"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    TOKEN_CREATED = "TOKEN_CREATED"
    TOKEN_REFRESHED = "TOKEN_REFRESHED"
    TOKEN_INVALID = "TOKEN_INVALID"
    OAUTH_INITIATED = "OAUTH_INITIATED"
    OAUTH_COMPLETED = "OAUTH_COMPLETED"
    OAUTH_FAILED = "OAUTH_FAILED"
    OAUTH_TOKEN_DELETED = "OAUTH_TOKEN_DELETED"
    ACCESS_DENIED = "ACCESS_DENIED"
    RATE_LIMITED = "RATE_LIMITED"
    SUSPICIOUS_ACTIVITY = "SUSPICIOUS_ACTIVITY"
    TWO_FA_ENABLED = "2FA_ENABLED"
    TWO_FA_DISABLED = "2FA_DISABLED"
    TWO_FA_SUCCESS = "2FA_SUCCESS"
    TWO_FA_FAILURE = "2FA_FAILURE"
    PASSKEY_REGISTERED = "PASSKEY_REGISTERED"
    PASSKEY_AUTHENTICATED = "PASSKEY_AUTHENTICATED"
    PASSKEY_AUTH_FAILED = "PASSKEY_AUTH_FAILED"
    PASSKEY_REVOKED = "PASSKEY_REVOKED"
    USER_INVITED = "USER_INVITED"
    INVITATION_ACCEPTED = "INVITATION_ACCEPTED"
    ROLE_CHANGED = "ROLE_CHANGED"
    CONFIG_OVERRIDE_CHANGED = "CONFIG_OVERRIDE_CHANGED"
    MODE_CHANGED = "MODE_CHANGED"


class Severity(models.TextChoices):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class ImmutableQuerySet(models.QuerySet):
    """A queryset whose rows can be created and read, never changed or deleted."""

    def update(self, **kwargs):
        raise PermissionError("security events are append-only")

    def delete(self):
        raise PermissionError("security events are append-only")


class SecurityEvent(models.Model):
    """One security-relevant event; append-only (no update, no delete, read-only in admin)."""

    event_type = models.CharField(max_length=40, choices=SecurityEventType.choices, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, default="")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="security_event_severity_valid"),
            models.CheckConstraint(
                condition=Q(event_type__in=SecurityEventType.values), name="security_event_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.event_type} {self.username or '-'}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("security events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("security events are append-only")


class JobStatus(models.TextChoices):
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"
    PARTIAL = "partial"


class JobTrigger(models.TextChoices):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    API = "api"


class JobRun(models.Model):
    """One run of a scheduled job: the only scheduler state besides the beat schedule rows (TD-3)."""

    job_name = models.CharField(max_length=80)
    run_number = models.PositiveIntegerField(help_text="1 for the job's first run, then counting up")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING)
    trigger = models.CharField(max_length=10, choices=JobTrigger.choices, default=JobTrigger.SCHEDULE)
    as_of = models.DateTimeField(help_text="The moment this run represents (replays use a past time)")
    trading_date = models.DateField(help_text="New York calendar date of as_of")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True, default="")
    error = models.TextField(blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    hostname = models.CharField(max_length=120, blank=True, default="")
    pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["job_name", "-started_at"], name="jobrun_job_started")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="jobrun_status_valid"),
            models.UniqueConstraint(fields=["job_name", "run_number"], name="jobrun_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.job_name} #{self.run_number} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class JobLock(models.Model):
    """A named lock held by one run at a time, across every worker and process."""

    name = models.CharField(max_length=80, primary_key=True)
    owner = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.owner}"


class ServiceKind(models.TextChoices):
    WORKER = "worker"
    BEAT = "beat"


class ServiceHeartbeat(models.Model):
    """The last sign of life of a Celery worker or beat process."""

    service = models.CharField(max_length=10, choices=ServiceKind.choices)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "hostname"], name="heartbeat_unique_service_host")]

    def __str__(self) -> str:
        return f"{self.service}@{self.hostname}"


class LiveEventOutbox(models.Model):
    """Events published outside the web process when the channel layer cannot cross processes.

    In the embedded mode (in-memory channel layer) a worker or command cannot reach the web
    process's layer, so it writes the event here and the web process relays it to its sockets.
    """

    group = models.CharField(max_length=100)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.group}: {self.payload.get('type', '?')}"

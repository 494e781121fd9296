"""Counters for the rate limits, kept in the database.

In the database rather than the cache, so that every process on every server counts together,
and a count survives a restart of Redis (or Redis being down: the cache may lose a key at any
time, the database keeps it until its window ends).
"""

from django.db import models


class AttemptCount(models.Model):
    key = models.CharField(
        max_length=200,
        unique=True,
        help_text="What is counted: a purpose and a hash, never an address or email itself.",
    )
    count = models.PositiveIntegerField(default=0, help_text="Attempts in the current window.")
    window_ends_at = models.DateTimeField(
        db_index=True,
        help_text="When the current window ends; the next attempt after it starts a new one.",
    )

    class Meta:
        verbose_name = "attempt count"

    def __str__(self):
        return f"{self.key}: {self.count}"

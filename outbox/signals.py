"""Apps that care when one of their emails finally fails connect to `email_failed`.

The receiver gets `email` (an OutgoingEmail with `kind`, `reference` and `last_error`). The
outbox imports no feature app: the register, for example, connects a receiver that notes the
failure on the entry for register managers to see.
"""

from django.dispatch import Signal

email_failed = Signal()

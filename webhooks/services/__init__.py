"""Webhooks: events written with the change they announce, and their delivery.

* ``outbox``: ``emit()``, the one door in, in the caller's transaction.
* ``endpoints``: a company's URLs, their event types and their health.
* ``delivery``: a sender's batch, the sweep and redelivery, built on
  ``leases`` (who may attempt a delivery, the drain), ``sending`` (one HTTP
  attempt), ``settlement`` (what an outcome writes) and ``broker`` (queueing
  tasks, and the breaker for broker outages).
* ``postgres``: the PostgreSQL fast path of all of these, in one place.
"""
